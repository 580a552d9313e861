"""The services' translators without Kafka or MongoDB: what each handler emits, with which key, and
what it refuses."""

from __future__ import annotations

import pytest

from shared import topics
from shared.bus import PermanentError
from shared.messages import VerdictPublished, VerdictValidated

from services.extractor.app import UNRESOLVED_MODEL_KEY, claim_key
from services.publisher.app import Publisher
from services.validator.app import on_completed, on_planned
from tests.unit.pipeline.test_message_pins import CLAIM, MEASUREMENT, PAPER, PROTOCOL, VERDICT, VERSION


class FakeStore:
    def __init__(self) -> None:
        self.verdicts: dict[str, VerdictValidated] = {}

    async def record_verdict(self, msg: VerdictValidated) -> bool:
        if msg.verdict.id in self.verdicts:
            return False
        self.verdicts[msg.verdict.id] = msg
        return True


def _validated(**verdict_changes) -> VerdictValidated:
    return VerdictValidated(correlation_id="c", paper=PAPER, version=VERSION, claim=CLAIM,
                            verdict=VERDICT.model_copy(update=verdict_changes), measurement=MEASUREMENT)


async def test_publisher_announces_every_verdict_keyed_by_arxiv_id_even_on_replay() -> None:
    publisher = Publisher(FakeStore())
    first = await publisher.on_verdict(_validated())
    replay = await publisher.on_verdict(_validated())
    for out in (first, replay):
        assert [(o.topic, o.key) for o in out] == [(topics.VERDICTS_PUBLISHED, "2611.00001")]
        event = out[0].message
        assert isinstance(event, VerdictPublished)
        assert (event.verdict.id, event.claim_id, event.correlation_id) == (VERDICT.id, CLAIM.claim_id, "c")
    assert len(publisher.store.verdicts) == 1


async def test_publisher_refuses_a_c1_violation_whoever_sent_it() -> None:
    store = FakeStore()
    with pytest.raises(PermanentError, match="violates gate C1"):
        await Publisher(store).on_verdict(_validated(status="wrong", protocol_match="unknown"))
    assert store.verdicts == {}


async def test_validator_turns_plan_and_measurement_into_pre_and_post_verdicts() -> None:
    from shared.messages import EvaluationCompleted, EvaluationPlanned

    pre = await on_planned(EvaluationPlanned(paper=PAPER, version=VERSION, claim=CLAIM, protocol=PROTOCOL,
                                             model_id=CLAIM.model_id))
    post = await on_completed(EvaluationCompleted(paper=PAPER, version=VERSION, claim=CLAIM, measurement=MEASUREMENT))
    assert [(o.topic, o.key, o.message.verdict.kind) for o in pre + post] == [
        (topics.VERDICTS_VALIDATED, "2611.00001", "PRE"), (topics.VERDICTS_VALIDATED, "2611.00001", "POST")]
    assert post[0].message.measurement == MEASUREMENT
    assert all(o.message.verdict.claim_citation.quoted_text == CLAIM.citation.quoted_text for o in pre + post)


def test_claims_are_keyed_by_model_id() -> None:
    assert claim_key("org/model") == "org/model"
    assert claim_key(None) == UNRESOLVED_MODEL_KEY
