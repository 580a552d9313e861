"""The whole pipeline as real subprocesses: an arXiv ID on the ingest topic becomes a seed-shaped
MongoDB document and published-verdict events; bad input is dead-lettered and the pipeline goes on."""

from __future__ import annotations

import json
import uuid

import pytest
from pymongo import MongoClient

from shared import topics
from shared.deadletters import DeadLetter
from shared.documents import PAPERS_COLLECTION, VERDICTS_COLLECTION, PublishedDocument
from shared.messages import VerdictPublished
from tests.e2e.conftest import ROOT, load_run_demo
from tests.integration.pipeline.kafka_helpers import produce, read_records
from tests.paths import SEED

# The bundled demo paper; until it lands, the first extractor-corpus paper stands in.
PAPER = "2611.00001" if (ROOT / "fixtures" / "papers" / "2611.00001").is_dir() else "2611.00101"
VERDICT_TIMEOUT_S = 420
pytestmark = [pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def pipeline(services_env: dict[str, str]):
    if not (ROOT / "fixtures" / "papers" / PAPER).is_dir():
        pytest.fail(f"fixture paper fixtures/papers/{PAPER} is missing")
    run_demo = load_run_demo()
    pipe = run_demo.Pipeline(services_env, extra_env={"PV_KAFKA_MAX_MESSAGE_BYTES": "200000"}, with_api=False)
    pipe.start()
    yield pipe
    pipe.stop()


@pytest.fixture(scope="module")
def nonce() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
async def published(pipeline, kafka_bootstrap: str, nonce: str):
    """Four bad ingest messages, then the fixture paper's ID as bare text; the document once done."""
    bad = {
        "malformed-id": b"2502.0273",
        "unknown-paper": b"2611.09999",
        "malformed-json": b'{"arxiv_id": "2611.00001", ',  # cut short
        "oversized": json.dumps({"arxiv_id": PAPER, "pad": "x" * 300_000}).encode(),
    }
    for name, payload in bad.items():
        await produce(
            kafka_bootstrap,
            topics.INGEST_REQUESTS,
            payload,
            key=b"bad",
            headers=[("correlation_id", f"{nonce}-{name}".encode())],
        )
    await produce(
        kafka_bootstrap,
        topics.INGEST_REQUESTS,
        PAPER.encode(),
        key=PAPER.encode(),
        headers=[("correlation_id", f"{nonce}-good".encode())],
    )
    document = await pipeline.wait_for_verdicts(PAPER, VERDICT_TIMEOUT_S)
    assert document is not None, "no complete document in time:\n" + "\n".join(
        f"--- {n}\n{pipeline.log_tail(n, 20)}" for n in pipeline.procs
    )
    return document


async def test_bad_input_is_dead_lettered_with_clear_errors(published, kafka_bootstrap: str, nonce: str) -> None:
    records = await read_records(kafka_bootstrap, topics.dead_letter(topics.INGEST_REQUESTS), count=10_000, timeout_s=8)
    letters = {}
    for record in records:
        letter = DeadLetter.model_validate_json(record.value)
        corr = letter.original_headers.get("correlation_id", "")
        if corr.startswith(nonce):
            letters[corr.removeprefix(f"{nonce}-")] = letter
    assert set(letters) == {"malformed-id", "unknown-paper", "malformed-json", "oversized"}
    assert "'2502.0273' is malformed" in letters["malformed-id"].error
    assert "arXiv has no paper '2611.09999'" in letters["unknown-paper"].error
    assert letters["unknown-paper"].stage == "handle"
    assert "not a valid IngestPaper" in letters["malformed-json"].error
    assert "exceeds the limit of 200000 bytes" in letters["oversized"].error
    assert letters["malformed-json"].original() == b'{"arxiv_id": "2611.00001", '


async def test_paper_becomes_a_seed_shaped_document_and_events(published, pipeline, kafka_bootstrap: str) -> None:
    document: PublishedDocument = published
    assert document.paper.arxiv_id == PAPER and document.paper.title
    assert document.expected_claims and len(document.claims) == document.expected_claims
    assert document.verdict is not None and document.verdicts.post is not None

    with MongoClient(pipeline.env["PV_MONGO_URL"], tz_aware=True) as client:
        db = client[pipeline.database]
        raw = db[PAPERS_COLLECTION].find_one({"paper.arxiv_id": PAPER})
        history = list(db[VERDICTS_COLLECTION].find({}))
    assert raw is not None
    raw.pop("_id", None)
    seed_keys = set(json.loads(SEED.read_text()))
    assert seed_keys <= set(raw), f"stored document lacks seed fields {seed_keys - set(raw)}"
    PublishedDocument.model_validate(raw)

    verdict_ids = {v["id"] for v in history}
    assert len(verdict_ids) == len(history), "the history holds a duplicate verdict"
    posts = [v for v in history if v["kind"] == "POST" and v.get("is_current")]
    assert len(posts) == document.expected_claims

    events = await read_records(kafka_bootstrap, topics.VERDICTS_PUBLISHED, count=100_000, timeout_s=10)
    seen = {VerdictPublished.model_validate_json(r.value).verdict.id for r in events}
    assert verdict_ids <= seen, f"{len(verdict_ids - seen)} verdicts have no published event"


# The demo paper's numbers were written after measuring tiny-llama on fixtures/demo-data: each
# column below ends in a known verdict and measured value (README.md, "What `make run` ends with"), so a
# stage that returned canned or default results fails here.
DEMO_EXPECTED = {
    "Cloze, normalized accuracy / HellaSwag (0-shot)": ("confirmed", "match", 26.0),
    "Cloze, normalized accuracy / ARC-e (0-shot)": ("confirmed", "match", 27.2),
    "Cloze, normalized accuracy / ARC-c (0-shot)": ("wrong", "match", 23.0),  # reported 41.5
    "Cloze, normalized accuracy / PIQA (0-shot)": ("confirmed", "match", 49.7),
    "Cloze, accuracy / WinoGrande (5-shot)": ("confirmed", "match", 51.8),
    "Cloze, accuracy / BoolQ": ("partial", "unknown", 53.0),  # reported 62.4, no shot count: C1 downgrades
    "MCF, accuracy / MMLU (5-shot)": ("confirmed", "match", 24.7),
}
DEMO_CLAIMS = 16  # the 7 above, the 7 cells of tiny-llama-xl (unreleased), MT-Bench and AlpacaEval


@pytest.mark.skipif(PAPER != "2611.00001", reason="the demo paper is not bundled")
async def test_demo_paper_ends_in_the_designed_mix_of_verdicts(published) -> None:
    document: PublishedDocument = published
    by_cell = {(e.claim.citation.row, e.claim.citation.column): e for e in document.claims}
    assert len(document.claims) == DEMO_CLAIMS
    for column, (status, match, measured) in DEMO_EXPECTED.items():
        post = by_cell[("tiny-llama", column)].verdicts.post
        assert post is not None and (post.status, post.protocol_match) == (status, match), column
        assert post.score is not None and round(post.score * 100, 1) == measured, (column, post.score)
        assert post.run_protocol is not None and post.run_protocol.full_set
        pre = by_cell[("tiny-llama", column)].verdicts.pre
        assert pre is not None and pre.status == "pending"
    unreleased = [e for (row, _), e in by_cell.items() if row.startswith("tiny-llama-xl")]
    assert len(unreleased) == 7 and all(e.verdicts.post.status == "inconclusive" for e in unreleased)
    judged = [by_cell[("tiny-llama", column)] for column in ("MT-Bench", "AlpacaEval 2.0")]
    assert all(e.verdicts.post.status == "inconclusive" for e in judged)
    assert document.verdict is not None and document.verdict.status == "wrong"
    assert document.verdict.claim_citation.quoted_text == "41.5"
