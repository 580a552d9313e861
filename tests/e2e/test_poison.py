"""A poison paper between two good ones (issue: hostile input): the e-print is 272 KB of gzip that expands
to a 280 MB .tex. The extractor ends it with a clear `limit:` reason inside its isolated process, the
paper is published with that reason, its offset is committed, and both good papers behind and before it
on the ingest topic get every verdict."""

from __future__ import annotations

import time
import uuid

import pytest

from shared import topics
from tests.e2e.conftest import ROOT, load_run_demo
from tests.integration.pipeline.kafka_helpers import produce

GOOD = ("2611.00101", "2611.00001")
POISON = "2611.00199"
pytestmark = [pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def pipeline(services_env: dict[str, str]):
    for paper in (*GOOD, POISON):
        assert (ROOT / "fixtures" / "papers" / paper).is_dir(), paper
    pipe = load_run_demo().Pipeline(services_env, with_api=False)
    pipe.start()
    yield pipe
    pipe.stop()


async def test_poison_paper_ends_with_its_reason_and_the_good_papers_finish(pipeline, kafka_bootstrap: str) -> None:
    nonce = uuid.uuid4().hex
    for paper in (GOOD[0], POISON, GOOD[1]):  # the poison paper between the two good ones
        await produce(
            kafka_bootstrap,
            topics.INGEST_REQUESTS,
            paper.encode(),
            key=b"same-partition",
            headers=[("correlation_id", f"{nonce}-{paper}".encode())],
        )
    started = time.monotonic()
    poison = await pipeline.wait_for_verdicts(POISON, 300)
    assert poison is not None, pipeline.log_tail("extractor", 40)
    assert poison.extraction_outcome == "failed" and poison.expected_claims == 0 and not poison.claims
    assert poison.extraction_detail is not None and poison.extraction_detail.startswith(
        "limit: latex expansion over 20 MB"
    )
    poison_seconds = time.monotonic() - started
    assert poison_seconds < 120, poison_seconds
    for paper in GOOD:
        document = await pipeline.wait_for_verdicts(paper, 420)
        assert document is not None, f"{paper} did not finish:\n" + pipeline.log_tail("extractor", 40)
        assert document.extraction_outcome == "claims" and document.expected_claims
        assert len(document.claims) == document.expected_claims
        assert all(entry.verdicts.post is not None for entry in document.claims)
