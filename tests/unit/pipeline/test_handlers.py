"""The services' translators without Kafka or MongoDB: what each handler emits, with which key, and
what it refuses."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from services.publisher.handlers import CLOCK_SKEW, Publisher
from services.validator.handlers import Validator
from shared import topics
from shared.artifacts import ArtifactNotFound
from shared.errors import PermanentError
from shared.gates import GateViolation
from shared.ids import sha256_hex
from shared.messages import VerdictPublished, VerdictValidated
from shared.models import Evidence
from shared.sources import SourceReader
from tests.unit.pipeline.test_message_pins import CLAIM as UNGROUNDED
from tests.unit.pipeline.test_message_pins import MEASUREMENT, PAPER, PROTOCOL, VERDICT, VERSION

# A stored single-file e-print (gzipped .tex) holding the claim's number at its cited cell.
SOURCE_TEX = "\\begin{tabular}{lc}\nModel & HellaSwag \\\\\ntiny-llama & 41.2 \\\\\n\\end{tabular}\n"
SOURCE = gzip.compress(SOURCE_TEX.encode(), mtime=0)
CELL = SOURCE_TEX.index("41.2")
CLAIM = UNGROUNDED.model_copy(
    update={
        "source_sha256": sha256_hex(SOURCE),
        "evidence": Evidence(source_file="main.tex", char_start=CELL, char_end=CELL + 4, raw_cell="41.2"),
    }
)


class FakeArtifacts:
    def __init__(self, *blobs: bytes) -> None:
        self.blobs = {sha256_hex(b): b for b in blobs}

    async def get(self, sha256: str) -> bytes:
        if sha256 not in self.blobs:
            raise ArtifactNotFound(f"artifact {sha256} is not in GridFS")
        return self.blobs[sha256]


def sources() -> SourceReader:
    return SourceReader(FakeArtifacts(SOURCE))


class FakeStore:
    def __init__(self) -> None:
        self.verdicts: dict[str, VerdictValidated] = {}
        self.announced_ids: set[str] = set()

    async def announced(self, verdict_id: str) -> bool:
        return verdict_id in self.announced_ids

    async def mark_announced(self, verdict_id: str) -> None:
        self.announced_ids.add(verdict_id)

    async def recorded_at(self, verdict_id: str) -> datetime | None:
        return RECORDED if verdict_id in self.verdicts else None

    async def record_verdict(self, msg: VerdictValidated, extra_gates=()) -> bool:  # type: ignore[no-untyped-def]
        if any(not gate.passed for gate in extra_gates):
            raise GateViolation(next(gate for gate in extra_gates if not gate.passed), msg.verdict.id)
        if msg.verdict.id in self.verdicts:
            return False
        self.verdicts[msg.verdict.id] = msg
        return True


RECORDED = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class FakeEvents:
    """The published-verdict topic: the verdict ids on it, and every question asked of it."""

    def __init__(self, *on_topic: str) -> None:
        self.on_topic = set(on_topic)
        self.asked: list[tuple[str, datetime]] = []

    async def contains(self, verdict_id: str, since: datetime) -> bool:
        self.asked.append((verdict_id, since))
        return verdict_id in self.on_topic


def _validated(claim=CLAIM, **verdict_changes) -> VerdictValidated:  # type: ignore[no-untyped-def]
    return VerdictValidated(
        correlation_id="c",
        paper=PAPER,
        version=VERSION,
        claim=claim,
        verdict=VERDICT.model_copy(update=verdict_changes),
        measurement=MEASUREMENT,
    )


async def test_publisher_announces_a_verdict_once_and_again_only_if_the_first_never_went_out() -> None:
    store = FakeStore()
    publisher = Publisher(store, sources())
    first = await publisher.on_verdict(_validated())
    # the write happened but the event was never acknowledged (the service died): the replay announces it
    unacknowledged = await publisher.on_verdict(_validated())
    for out in (first, unacknowledged):
        assert [(o.topic, o.key) for o in out] == [(topics.VERDICTS_PUBLISHED, "2611.00001")]
        event = out[0].message
        assert isinstance(event, VerdictPublished)
        assert (event.verdict.id, event.claim_id, event.correlation_id) == (VERDICT.id, CLAIM.claim_id, "c")
    assert first[0].after_sent is not None
    await first[0].after_sent()  # what the consumer does once the broker acknowledged the event
    assert store.announced_ids == {VERDICT.id}
    assert await publisher.on_verdict(_validated()) == []  # an upstream replay: written and announced already
    assert len(store.verdicts) == 1


async def test_a_replay_after_a_death_between_ack_and_mark_finds_the_event_and_sends_nothing() -> None:
    """Killed after the broker acknowledged the event but before `mark_announced`: the replay reads the
    topic back (from the verdict's recording time less the clock-skew margin), finds the event, marks
    it and sends nothing; an event that never reached the topic is sent."""
    store, events = FakeStore(), FakeEvents(VERDICT.id)
    publisher = Publisher(store, sources(), events=events)
    assert len(await publisher.on_verdict(_validated())) == 1  # the first write: the topic is not read
    assert events.asked == []
    assert await publisher.on_verdict(_validated()) == []
    assert events.asked == [(VERDICT.id, RECORDED - CLOCK_SKEW)] and store.announced_ids == {VERDICT.id}
    assert await publisher.on_verdict(_validated()) == [] and len(events.asked) == 1  # marked now: not asked

    store, events = FakeStore(), FakeEvents()
    publisher = Publisher(store, sources(), events=events)
    await publisher.on_verdict(_validated())
    again = await publisher.on_verdict(_validated())  # died before the broker had it: announced again
    assert [o.topic for o in again] == [topics.VERDICTS_PUBLISHED] and store.announced_ids == set()


async def test_publisher_refuses_a_c1_violation_whoever_sent_it() -> None:
    store = FakeStore()
    with pytest.raises(PermanentError, match="violates gate C1"):
        await Publisher(store, sources()).on_verdict(_validated(status="wrong", protocol_match="unknown"))
    assert store.verdicts == {}


async def test_validator_turns_plan_and_measurement_into_pre_and_post_verdicts() -> None:
    from shared.messages import EvaluationCompleted, EvaluationPlanned

    validator = Validator(sources())
    pre = await validator.on_planned(
        EvaluationPlanned(paper=PAPER, version=VERSION, claim=CLAIM, protocol=PROTOCOL, model_id=CLAIM.model_id)
    )
    post = await validator.on_completed(
        EvaluationCompleted(paper=PAPER, version=VERSION, claim=CLAIM, measurement=MEASUREMENT)
    )
    assert [(o.topic, o.key, o.message.verdict.kind) for o in pre + post] == [
        (topics.VERDICTS_VALIDATED, "2611.00001", "PRE"),
        (topics.VERDICTS_VALIDATED, "2611.00001", "POST"),
    ]
    assert post[0].message.measurement == MEASUREMENT
    assert all(o.message.verdict.claim_citation.quoted_text == CLAIM.citation.quoted_text for o in pre + post)
    assert all([g.gate for g in o.message.verdict.gates if g.gate == "G1" and g.passed] == ["G1"] for o in pre + post)


@pytest.mark.parametrize(
    "claim",
    [
        UNGROUNDED,  # no stored source at all
        CLAIM.model_copy(update={"source_sha256": "0" * 64}),  # the stored source is gone
        CLAIM.model_copy(
            update={"citation": CLAIM.citation.model_copy(update={"quoted_text": "50.8"})}
        ),  # not at the cell
    ],
)
async def test_an_ungrounded_claim_is_refused_by_validator_and_publisher(claim) -> None:  # type: ignore[no-untyped-def]
    from shared.messages import EvaluationCompleted

    with pytest.raises(GateViolation, match="gate G1 failed"):
        await Validator(sources()).on_completed(
            EvaluationCompleted(paper=PAPER, version=VERSION, claim=claim, measurement=MEASUREMENT)
        )
    store = FakeStore()
    with pytest.raises(GateViolation):  # a forged message that skipped the validator
        await Publisher(store, sources()).on_verdict(_validated(claim=claim))
    assert store.verdicts == {}


def test_claims_are_keyed_by_model_id() -> None:
    assert topics.model_key("org/model") == "org/model"
    assert topics.model_key(None) == topics.UNRESOLVED_KEY == "unresolved"


async def test_a_topic_that_cannot_be_read_back_leaves_the_replay_announced_again() -> None:
    class Unreadable(FakeEvents):
        async def contains(self, verdict_id: str, since: datetime) -> bool | None:
            await super().contains(verdict_id, since)
            return None

    store, events = FakeStore(), Unreadable(VERDICT.id)
    publisher = Publisher(store, sources(), events=events)
    await publisher.on_verdict(_validated())
    assert len(await publisher.on_verdict(_validated())) == 1 and len(events.asked) == 1
    assert store.announced_ids == set()
