"""The evaluator's and extractor's handlers with fakes for every adapter, and one service wired through
FastStream's in-memory Kafka (the subscriber, the slot, the declared publisher) without a broker."""

from __future__ import annotations

import gzip

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.evaluator.cache import InMemoryMeasurementCache
from services.evaluator.handlers import Evaluator
from services.evaluator.lm_eval_catalog import LmEvalTaskInfo
from services.extractor.handlers import Extractor
from services.validator import app as validator_app
from services.validator.handlers import Validator
from shared import topics
from shared.bus import Bus
from shared.ids import sha256_hex
from shared.messages import ClaimExtracted, EvaluationCompleted, EvaluationPlanned, PaperIngested, VerdictValidated
from shared.models import ArtifactKind, ArtifactRef, Claim, Measurement, RunProtocol
from shared.service import Slot
from shared.settings import EvaluatorSettings, ExtractorSettings, KafkaSettings
from tests.unit.evaluator.test_planner import ours as described
from tests.unit.pipeline.test_handlers import CLAIM, FakeArtifacts, sources
from tests.unit.pipeline.test_message_pins import MEASUREMENT, PAPER, VERSION


class FakeRunner:
    def __init__(self) -> None:
        self.runs: list[RunProtocol] = []

    def lm_eval_task(self, task: str) -> LmEvalTaskInfo | str:
        if task != "arc_easy":
            return f"lm-eval task {task!r} has no local data"
        return described("arc_easy", 40, ("acc,none", "acc_norm,none"))

    @property
    def model_loads(self) -> int:
        return 1 if self.runs else 0

    def measurement_key(self, claim: Claim, protocol: RunProtocol) -> str | None:
        return f"m-{claim.claim_id}-{protocol.n_shot}"

    def measure(self, claim: Claim, protocol: RunProtocol) -> tuple[Measurement, bytes | None]:
        self.runs.append(protocol)
        measured = MEASUREMENT.model_copy(update={"measurement_id": self.measurement_key(claim, protocol)})
        return measured, gzip.compress(b'{"doc": 0}\n')


class FakeWriter:
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    async def put(self, data: bytes, *, kind: ArtifactKind, content_type: str, filename: str) -> ArtifactRef:
        self.stored[sha256_hex(data)] = data
        return ArtifactRef(
            kind=kind, sha256=sha256_hex(data), size=len(data), content_type=content_type, filename=filename
        )


class Announcements:
    def __init__(self) -> None:
        self.sent: list[tuple[str, EvaluationPlanned, str]] = []

    async def __call__(self, topic: str, message: EvaluationPlanned, *, key: str) -> None:
        self.sent.append((topic, message, key))


def _evaluator() -> tuple[Evaluator, FakeRunner, Announcements, FakeWriter]:
    runner, announce, writer = FakeRunner(), Announcements(), FakeWriter()
    evaluator = Evaluator(announce, EvaluatorSettings(), runner, InMemoryMeasurementCache(), writer)
    return evaluator, runner, announce, writer


async def test_evaluator_announces_the_plan_then_measures_once_and_answers_repeats_from_the_cache() -> None:
    evaluator, runner, announce, writer = _evaluator()
    msg = ClaimExtracted(correlation_id="c", paper=PAPER, version=VERSION, claim=CLAIM)
    first = await evaluator.handle(msg)
    again = await evaluator.handle(msg)
    assert len(runner.runs) == 1 and runner.runs[0].benchmark == "arc_easy"
    assert [(t, k) for t, _, k in announce.sent] == [(topics.EVALUATIONS_PLANNED, CLAIM.model_id)] * 2
    for out in (first, again):
        assert [(o.topic, o.key) for o in out] == [(topics.EVALUATIONS_COMPLETED, CLAIM.model_id)]
    done, repeat = first[0].message, again[0].message
    assert isinstance(done, EvaluationCompleted) and isinstance(repeat, EvaluationCompleted)
    assert done.measurement.records_sha256 in writer.stored and not done.measurement.cached
    assert repeat.measurement.cached and repeat.measurement.value == done.measurement.value


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"model_id": None}, "could not be resolved"),
        ({"measurable": False, "unmeasurable_reason": "a composite average"}, "a composite average"),
    ],
)
async def test_an_unmeasurable_claim_gets_a_failure_and_no_plan(changes: dict[str, object], reason: str) -> None:
    evaluator, runner, announce, _ = _evaluator()
    claim = CLAIM.model_copy(update=changes)
    out = await evaluator.handle(ClaimExtracted(paper=PAPER, version=VERSION, claim=claim))
    assert runner.runs == [] and announce.sent == []
    completed = out[0].message
    assert isinstance(completed, EvaluationCompleted)
    assert reason in (completed.measurement.failure or "")
    assert out[0].key == topics.model_key(claim.model_id)


PAPER_TEX = (
    "\\documentclass{article}\\begin{document}\n\\begin{table}\\caption{Zero-shot accuracy.}\n"
    "\\begin{tabular}{lcc}\nModel & HellaSwag & ARC-Easy \\\\\nPythia-160M & 29.4 & 43.5 \\\\\n"
    "SmolLM2-135M & 41.2 & 58.1 \\\\\n\\end{tabular}\n\\end{table}\n\\end{document}\n"
)


async def test_extractor_emits_each_claim_keyed_by_model_then_the_completion_keyed_by_paper() -> None:
    source = gzip.compress(PAPER_TEX.encode(), mtime=0)
    ref = ArtifactRef(
        kind="source", sha256=sha256_hex(source), size=len(source), content_type="application/gzip", filename="e.gz"
    )
    msg = PaperIngested(correlation_id="c", paper=PAPER, version=VERSION, artifacts=[ref], source_format="tex")
    out = await Extractor(FakeArtifacts(source), ExtractorSettings()).handle(msg)
    *claims, completed = out
    assert claims, "the fixture's table cell is a claim"
    assert all(o.topic == topics.CLAIMS_EXTRACTED for o in claims)
    assert all(o.key == topics.model_key(o.message.claim.model_id) for o in claims)  # type: ignore[attr-defined]
    cells = {(o.message.claim.model_label, o.message.claim.citation.quoted_text) for o in claims}  # type: ignore[attr-defined]
    assert cells == {
        ("Pythia-160M", "29.4"),
        ("Pythia-160M", "43.5"),
        ("SmolLM2-135M", "41.2"),
        ("SmolLM2-135M", "58.1"),
    }
    assert (completed.topic, completed.key) == (topics.EXTRACTION_COMPLETED, "2611.00001")
    assert completed.message.claim_count == len(claims)  # type: ignore[attr-defined]


async def test_a_registered_service_reads_its_slot_and_publishes_through_the_bus() -> None:
    kafka = KafkaSettings(bootstrap_servers="localhost:9092")
    broker = KafkaBroker(kafka.bootstrap_servers)
    slot: Slot[Validator] = Slot()
    validator_app.register(broker, Bus(broker, service="validator"), kafka, slot)
    seen: list[VerdictValidated] = []

    @broker.subscriber(topics.VERDICTS_VALIDATED, group_id="test-observer")
    async def observe(msg: VerdictValidated) -> None:
        seen.append(msg)

    slot.fill(Validator(sources()))
    async with TestKafkaBroker(broker) as test_broker:
        completed = EvaluationCompleted(
            correlation_id="c", paper=PAPER, version=VERSION, claim=CLAIM, measurement=MEASUREMENT
        )
        await test_broker.publish(completed.model_dump_json().encode(), topic=topics.EVALUATIONS_COMPLETED)
    assert [(v.verdict.kind, v.claim.claim_id, v.correlation_id) for v in seen] == [("POST", CLAIM.claim_id, "c")]


def test_a_slot_refuses_to_be_read_before_the_service_started() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = Slot[Validator]().handler
