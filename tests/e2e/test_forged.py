"""A forged `VerdictValidated` that bypasses the validator reaches the real publisher service over
Kafka: it is dead-lettered with the gate that fired, and nothing reaches MongoDB."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from pymongo import MongoClient

from shared import topics
from shared.deadletters import DeadLetter
from shared.documents import PAPERS_COLLECTION, VERDICTS_COLLECTION
from shared.headers import headers_for
from shared.messages import VerdictValidated
from tests.e2e.conftest import load_run_demo
from tests.e2e.test_crash import store_source, synthetic_paper
from tests.integration.pipeline.kafka_helpers import produce, read_records
from tests.unit.pipeline.test_message_pins import VERDICT

pytestmark = [pytest.mark.timeout(300)]


async def test_forged_verdicts_are_dead_lettered_by_the_publisher(
    services_env: dict[str, str], kafka_bootstrap: str
) -> None:
    arxiv_id = f"2611.{random.randrange(60000, 99999)}"
    paper, version, claims, source = synthetic_paper(arxiv_id)
    claim = claims[0]
    nonce = uuid.uuid4().hex
    forged = {
        # C1: `wrong` although the protocol is only `unknown`
        "c1": claim,
        "c1-verdict": {"status": "wrong", "protocol_match": "unknown"},
        # G1: a number that is not at the cited cell of the stored source
        "g1": claim.model_copy(update={"citation": claim.citation.model_copy(update={"quoted_text": "99.9"})}),
        "g1-verdict": {"status": "confirmed", "protocol_match": "match"},
    }
    pipe = load_run_demo().Pipeline(services_env, with_api=False)
    await store_source(pipe, source)
    pipe.start_service("publisher")
    try:
        for name in ("c1", "g1"):
            verdict = VERDICT.model_copy(
                update={**forged[f"{name}-verdict"], "id": str(uuid.uuid4()), "claim_id": claim.claim_id}
            )
            message = VerdictValidated(
                correlation_id=f"{nonce}-{name}", paper=paper, version=version, claim=forged[name], verdict=verdict
            )
            await produce(
                kafka_bootstrap,
                topics.VERDICTS_VALIDATED,
                message.model_dump_json().encode(),
                key=arxiv_id.encode(),
                headers=[(k, v.encode()) for k, v in headers_for(message).items()],
            )

        letters: dict[str, DeadLetter] = {}
        for _ in range(60):
            records = await read_records(
                kafka_bootstrap, topics.dead_letter(topics.VERDICTS_VALIDATED), count=100_000, timeout_s=3
            )
            for record in records:
                letter = DeadLetter.model_validate_json(record.value)
                corr = letter.original_headers.get("correlation_id", "")
                if corr.startswith(nonce):
                    letters[corr.removeprefix(f"{nonce}-")] = letter
            if len(letters) == 2:
                break
            await asyncio.sleep(1)
    finally:
        pipe.stop()

    assert set(letters) == {"c1", "g1"}, pipe.log_tail("publisher", 30)
    assert "violates gate C1" in letters["c1"].error
    assert "gate G1 failed" in letters["g1"].error and "'99.9'" in letters["g1"].error
    with MongoClient(pipe.env["PV_MONGO_URL"]) as client:
        db = client[pipe.database]
        # (the publisher's groups are shared with earlier runs, so count only this paper's documents)
        assert db[VERDICTS_COLLECTION].count_documents({"claim_id": claim.claim_id}) == 0
        assert db[PAPERS_COLLECTION].count_documents({"paper.arxiv_id": arxiv_id}) == 0
