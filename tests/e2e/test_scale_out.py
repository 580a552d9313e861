"""Scale-out: two evaluators and two validators in their consumer groups on 3-partition topics.
Claims of three models (keyed by model id) are split between the evaluators and each model is loaded
by one instance only; SIGKILL one evaluator and the other takes over its partitions; every claim still
ends with exactly one current verdict per kind. Figures go to test-artifacts/scale_out.json."""

from __future__ import annotations

import json
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from aiokafka.partitioner import DefaultPartitioner

from shared import topics
from shared.headers import headers_for
from shared.messages import ClaimExtracted, ExtractionCompleted, PaperIngested
from tests.e2e.conftest import ROOT, load_run_demo
from tests.e2e.test_crash import history, store_source, synthetic_paper
from tests.integration.pipeline.kafka_helpers import wait_for

pytestmark = [pytest.mark.timeout(900)]
PARTITIONS = 3
FINISH_TIMEOUT_S = 480


def models_on_every_partition() -> list[str]:
    """Three model ids whose keys land on partitions 0, 1 and 2 (Kafka's default murmur2 partitioner)."""
    partitioner, chosen = DefaultPartitioner(), {}
    for i in range(100):
        model = f"paperverdict-fixtures/tiny-llama-{i}"
        part = partitioner(model.encode(), list(range(PARTITIONS)), list(range(PARTITIONS)))
        chosen.setdefault(part, model)
        if len(chosen) == PARTITIONS:
            return [chosen[p] for p in range(PARTITIONS)]
    raise AssertionError("no model ids cover every partition")


def hub_with(models: list[str], folder: Path) -> Path:
    """A Hugging Face cache where each model id is a copy of the fixture tiny-llama."""
    source = ROOT / "fixtures" / "hub" / "models--paperverdict-fixtures--tiny-llama"
    for model in models:
        shutil.copytree(source, folder / f"models--{model.replace('/', '--')}")
    return folder


def planned_models(log: Path) -> list[str]:
    out = []
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        if '"evaluation_planned"' in line:
            out.append(json.loads(line)["model_id"])
    return out


def loaded_models(log: Path) -> list[str]:
    return [
        json.loads(line)["model_id"]
        for line in (log.read_text(errors="replace").splitlines() if log.exists() else [])
        if '"model_loaded"' in line
    ]


async def publish(bootstrap: str, paper, version, claims) -> None:  # type: ignore[no-untyped-def]
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:

        async def send(topic: str, message, key: str) -> None:  # type: ignore[no-untyped-def]
            headers = [(k, v.encode()) for k, v in headers_for(message).items()]
            await producer.send_and_wait(topic, message.model_dump_json().encode(), key=key.encode(), headers=headers)

        ingested = PaperIngested(paper=paper, version=version, artifacts=[], source_format="none")
        await send(topics.PAPERS_INGESTED, ingested, paper.arxiv_id)
        for claim in claims:
            await send(
                topics.CLAIMS_EXTRACTED, ClaimExtracted(paper=paper, version=version, claim=claim), claim.model_id
            )
        done = ExtractionCompleted(
            paper=paper,
            version=version,
            claim_count=len(claims),
            claim_ids=[c.claim_id for c in claims],
            outcome="claims",
        )
        await send(topics.EXTRACTION_COMPLETED, done, paper.arxiv_id)
    finally:
        await producer.stop()


async def test_two_evaluators_split_models_and_one_takes_over_when_the_other_dies(
    services_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    models = models_on_every_partition()
    run_demo = load_run_demo()
    pipe = run_demo.Pipeline(
        services_env,
        with_api=False,
        extra_env={
            "HF_HUB_CACHE": str(hub_with(models, tmp_path / "hub")),
            "PV_EVAL_DATA_DIR": str(ROOT / "fixtures" / "data"),
            "PV_EVAL_MAX_EXAMPLES": "16",
            "PV_EVAL_SLICE_SEED": str(random.randrange(1, 10**9)),  # real evaluations, not cache answers
            "PV_KAFKA_SESSION_TIMEOUT_MS": "10000",
        },
    )
    arxiv_id = f"2611.{random.randrange(60000, 99999)}"
    paper, version, claims, source = synthetic_paper(arxiv_id)
    claims = [c.model_copy(update={"model_id": models[i % len(models)]}) for i, c in enumerate(claims)]
    await store_source(pipe, source)
    instances = ["evaluator", "evaluator-2"]
    started = time.monotonic()
    pipe.start_service("evaluator")
    pipe.start_service("evaluator", "evaluator-2")
    pipe.start_service("validator")
    pipe.start_service("validator", "validator-2")
    pipe.start_service("publisher")
    logs = {name: pipe.log_dir / f"{name}.log" for name in instances}
    try:

        def both_ready() -> bool:
            return all(pipe.ready(name) for name in (*instances, "validator", "validator-2"))

        assert await wait_for(both_ready, 90, 0.5), "\n".join(pipe.log_tail(n, 10) for n in pipe.procs)
        await publish(kafka_bootstrap, paper, version, claims)

        # Both evaluators get work, and no model is planned or loaded by both.
        assert await wait_for(lambda: all(len(planned_models(p)) >= 2 for p in logs.values()), 240, 0.2), {
            n: Counter(planned_models(p)) for n, p in logs.items()
        }
        before = {n: set(planned_models(p)) for n, p in logs.items()}
        assert before["evaluator"].isdisjoint(before["evaluator-2"]), before
        loads_before = {n: loaded_models(p) for n, p in logs.items()}
        assert all(len(v) == len(set(v)) for v in loads_before.values()), loads_before
        assert set(loads_before["evaluator"]).isdisjoint(loads_before["evaluator-2"]), loads_before

        # Kill the instance with more models (more work left), mid-stream.
        victim = max(instances, key=lambda n: len(before[n]))
        survivor = next(n for n in instances if n != victim)
        pipe.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic() - started

        def finished() -> bool:
            current = Counter((v["claim_id"], v["kind"]) for v in history(pipe, arxiv_id) if v.get("is_current"))
            return all(sum(1 for (_, k) in current if k == kind) >= len(claims) for kind in ("PRE", "POST"))

        assert await wait_for(finished, FINISH_TIMEOUT_S, 2.0), "\n".join(
            f"--- {n}\n{pipe.log_tail(n, 15)}" for n in pipe.procs
        )
        elapsed = time.monotonic() - started
        taken_over = set(planned_models(logs[survivor])) & before[victim]
        assert taken_over, f"{survivor} never took over {victim}'s models {before[victim]}"
    finally:
        pipe.stop()

    rows = history(pipe, arxiv_id)
    current = Counter((v["claim_id"], v["kind"]) for v in rows if v.get("is_current"))
    claim_ids = {c.claim_id for c in claims}
    for kind in ("PRE", "POST"):
        assert {cid for (cid, k) in current if k == kind} == claim_ids
    assert all(count == 1 for count in current.values()), current.most_common(3)
    figures = {
        "claims": len(claims),
        "models": models,
        "models_before_kill": {n: sorted(v) for n, v in before.items()},
        "loads_before_kill": loads_before,
        "victim": victim,
        "taken_over_by_survivor": sorted(taken_over),
        "killed_after_s": round(killed_at, 1),
        "all_verdicts_after_s": round(elapsed, 1),
        "claims_planned_per_instance": {n: len(planned_models(p)) for n, p in logs.items()},
    }
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "scale_out.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
