"""Crash test: 50 claims flow through evaluator -> validator -> publisher (real subprocesses, real
Kafka and FerretDB); one service is SIGKILLed mid-stream and restarted. Every claim must end with
exactly one current verdict per kind in MongoDB (2 x 50 = 100 verdicts in the history, no more), and the
published-verdict topic must carry exactly one event per verdict id: README.md states 0 duplicate events.
A kill between an event's acknowledgement and its mark in MongoDB used to replay one event (it happened
once in this suite); the restarted publisher now reads the topic back before announcing a replayed verdict.
The figures are also written to test-artifacts/crash_*.json.

The claims are put on the claims topic directly (as the extractor would), for a synthetic paper with
a fresh arXiv ID per run, so the figures do not depend on the extractor's coverage.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from pymongo import MongoClient

from shared import topics
from shared.documents import VERDICTS_COLLECTION
from shared.headers import headers_for
from shared.ids import claim_id, paper_version_id, sha256_hex
from shared.messages import ClaimExtracted, ExtractionCompleted, PaperIngested, VerdictPublished
from shared.models import Claim, ClaimCitation, ClaimProtocol, Evidence, PaperMeta, PaperVersion
from tests.e2e.conftest import ROOT, load_run_demo
from tests.integration.pipeline.kafka_helpers import read_records, wait_for

CLAIMS = 50
MODEL_ID = "paperverdict-fixtures/tiny-llama"
BENCHMARKS = [
    ("arc_easy", "ARC-Easy", "acc_norm"),
    ("piqa", "PIQA", "acc_norm"),
    ("boolq", "BoolQ", "acc"),
    ("hellaswag", "HellaSwag", "acc_norm"),
    ("winogrande", "WinoGrande", "acc"),
    ("openbookqa", "OpenBookQA", "acc_norm"),
    ("arc_challenge", "ARC-Challenge", "acc_norm"),
]
FINISH_TIMEOUT_S = 420
# Log events that mark one message done by each service (the victim is killed after KILL_AFTER of them).
PROGRESS_EVENTS = {
    "evaluator": ('"evaluation_completed"', '"measurement_cached"', '"evaluation_unsupported"'),
    "validator": ('"verdict_validated"',),
    "publisher": ('"verdict_published"', '"verdict_replayed"'),
}
KILL_AFTER = 10
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = [pytest.mark.timeout(900)]


def synthetic_paper(arxiv_id: str) -> tuple[PaperMeta, PaperVersion, list[Claim], bytes]:
    """Fifty grounded cells: the LaTeX table is the stored e-print (gzipped .tex), each claim's evidence
    is its cell's span there, so gate G1 passes in the validator and the publisher."""
    paper = PaperMeta(
        arxiv_id=arxiv_id,
        title="Crash Test: Fifty Cells",
        abstract="Synthetic.",
        latest_version=1,
        primary_category="cs.CL",
    )
    version = PaperVersion(
        id=paper_version_id(arxiv_id, 1), version=1, source_url=f"https://arxiv.org/abs/{arxiv_id}v1"
    )
    rng = random.Random(arxiv_id)
    tex = (
        "\\begin{tabular}{l"
        + "c" * len(BENCHMARKS)
        + "}\nModel & "
        + " & ".join(f"{label} (0-shot)" for _, label, _ in BENCHMARKS)
        + " \\\\\n"
    )
    cells: list[tuple[int, int, float, int]] = []
    for index in range(CLAIMS):
        row, col = divmod(index, len(BENCHMARKS))
        if col == 0:
            tex += (" \\\\\n" if row else "") + f"tiny-llama run {row + 1}"
        value = round(rng.uniform(20, 80), 1)
        tex += " & "
        cells.append((row, col, value, len(tex)))
        tex += f"{value}"
    tex += " \\\\\n\\end{tabular}\n"
    source = gzip.compress(tex.encode(), mtime=0)
    claims = []
    for row, col, value, start in cells:
        key, label, metric = BENCHMARKS[col]
        citation = ClaimCitation(
            paper_arxiv_id=arxiv_id,
            section="Table 1",
            row=f"tiny-llama run {row + 1}",
            column=f"{label} (0-shot)",
            reported_value=value,
            reported_metric=metric,
            quoted_text=f"{value}",
        )
        claims.append(
            Claim(
                claim_id=claim_id(arxiv_id, 1, "Table 1", row + 1, col + 1),
                arxiv_id=arxiv_id,
                version=1,
                table_label="Table 1",
                row_index=row + 1,
                col_index=col + 1,
                citation=citation,
                model_label="tiny-llama",
                model_id=MODEL_ID,
                protocol=ClaimProtocol(benchmark=key, benchmark_label=label, n_shot=0, metric=metric, task=key),
                source_sha256=sha256_hex(source),
                evidence=Evidence(
                    source_file="main.tex", char_start=start, char_end=start + len(f"{value}"), raw_cell=f"{value}"
                ),
            )
        )
    return paper, version, claims, source


async def store_source(pipe, source: bytes) -> None:  # type: ignore[no-untyped-def]
    from motor.motor_asyncio import AsyncIOMotorClient

    from shared.artifacts import ArtifactStore

    client = AsyncIOMotorClient(pipe.env["PV_MONGO_URL"])
    try:
        await ArtifactStore(client[pipe.database]).put(
            source, kind="source", content_type="application/gzip", filename="eprint.tex.gz"
        )
    finally:
        client.close()


async def publish_claims(bootstrap: str, paper: PaperMeta, version: PaperVersion, claims: list[Claim]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:

        async def send(topic: str, message, key: str) -> None:
            await producer.send_and_wait(
                topic,
                message.model_dump_json().encode(),
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in headers_for(message).items()],
            )

        await send(
            topics.PAPERS_INGESTED,
            PaperIngested(paper=paper, version=version, artifacts=[], source_format="none"),
            paper.arxiv_id,
        )
        for claim in claims:
            await send(topics.CLAIMS_EXTRACTED, ClaimExtracted(paper=paper, version=version, claim=claim), MODEL_ID)
        await send(
            topics.EXTRACTION_COMPLETED,
            ExtractionCompleted(
                paper=paper,
                version=version,
                claim_count=len(claims),
                claim_ids=[c.claim_id for c in claims],
                outcome="claims",
            ),
            paper.arxiv_id,
        )
    finally:
        await producer.stop()


def history(pipe, arxiv_id: str) -> list[dict]:
    with MongoClient(pipe.env["PV_MONGO_URL"], tz_aware=True) as client:
        return list(client[pipe.database][VERDICTS_COLLECTION].find({"arxiv_id": arxiv_id}))


@pytest.mark.parametrize("victim", ["publisher", "evaluator"])
async def test_sigkill_mid_stream(victim: str, services_env: dict[str, str], kafka_bootstrap: str) -> None:
    run_demo = load_run_demo()
    # A fresh slice seed per run: real evaluations, not answers from the measurement cache.
    # fixtures/data holds every benchmark the synthetic paper names, so every claim is planned (PRE).
    pipe = run_demo.Pipeline(
        services_env,
        with_api=False,
        extra_env={
            "PV_EVAL_DATA_DIR": str(ROOT / "fixtures" / "data"),
            "PV_EVAL_MAX_EXAMPLES": "16",
            "PV_EVAL_SLICE_SEED": str(random.randrange(1, 10**9)),
            "PV_KAFKA_SESSION_TIMEOUT_MS": "10000",
        },
    )
    arxiv_id = f"2611.{random.randrange(60000, 99999)}"
    paper, version, claims, source = synthetic_paper(arxiv_id)
    await store_source(pipe, source)
    started = time.monotonic()
    for name in ("evaluator", "validator", "publisher"):
        pipe.start_service(name)
    try:
        await publish_claims(kafka_bootstrap, paper, version, claims)

        def posts() -> int:
            return sum(1 for v in history(pipe, arxiv_id) if v["kind"] == "POST")

        def progress() -> int:
            path = pipe.log_dir / f"{victim}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            return sum(text.count(marker) for marker in PROGRESS_EVENTS[victim])

        # Kill mid-stream: the victim has handled a few messages, most are still to come.
        assert await wait_for(lambda: progress() >= KILL_AFTER, 300, 0.05), (
            "the victim made no progress before the kill:\n" + pipe.log_tail(victim)
        )
        pipe.kill(victim, signal.SIGKILL)
        victim_progress = progress()
        before = posts()
        killed_at = time.monotonic() - started
        await asyncio.sleep(2)
        pipe.restart(victim)

        def finished() -> bool:
            rows = history(pipe, arxiv_id)
            current = Counter((v["claim_id"], v["kind"]) for v in rows if v.get("is_current"))
            # every claim is planned (PRE) and measured (POST)
            return all(sum(1 for (_, k) in current if k == kind) >= CLAIMS for kind in ("PRE", "POST"))

        assert await wait_for(finished, FINISH_TIMEOUT_S, 2.0), (
            "not every claim got PRE and POST verdicts:\n"
            + "\n".join(f"--- {n}\n{pipe.log_tail(n, 15)}" for n in pipe.procs)
        )
        await asyncio.sleep(3)  # let the last events of the replayed batch land
        elapsed = time.monotonic() - started
    finally:
        pipe.stop()

    rows = history(pipe, arxiv_id)
    ids = [v["_id"] for v in rows]
    assert len(ids) == len(set(ids))
    current = Counter((v["claim_id"], v["kind"]) for v in rows if v.get("is_current"))
    claim_ids = {c.claim_id for c in claims}
    for kind in ("POST", "PRE"):
        have = {cid for (cid, k) in current if k == kind}
        assert have == claim_ids, f"{len(claim_ids - have)} claims lack a current {kind} verdict"
    assert all(count == 1 for count in current.values()), f"more than one current verdict: {current.most_common(3)}"

    events = await read_records(kafka_bootstrap, topics.VERDICTS_PUBLISHED, count=10**6, timeout_s=10)
    per_verdict = Counter()
    for record in events:
        event = VerdictPublished.model_validate_json(record.value)
        if event.arxiv_id == arxiv_id:
            per_verdict[event.verdict.id] += 1
    missing = set(ids) - set(per_verdict)
    duplicates = sum(per_verdict.values()) - len(per_verdict)
    figures = {
        "victim": victim,
        "claims": CLAIMS,
        "victim_messages_done_at_kill": victim_progress,
        "post_verdicts_in_mongo_at_kill": before,
        "killed_after_s": round(killed_at, 1),
        "verdicts_in_history": len(rows),
        "current_verdicts": dict(Counter(kind for (_, kind) in current)),
        "events": sum(per_verdict.values()),
        "distinct_verdict_ids_in_events": len(per_verdict),
        "duplicate_events": duplicates,
        "seconds": round(elapsed, 1),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    Path(ARTIFACTS / f"crash_{victim}.json").write_text(json.dumps(figures, indent=2))
    print("crash test figures:", json.dumps(figures))
    assert not missing, f"{len(missing)} verdicts have no published event"
    assert len(rows) == 2 * CLAIMS, figures  # one PRE and one POST per claim: 100 verdicts
    assert duplicates == 0, f"{duplicates} duplicate published events: {figures}"
