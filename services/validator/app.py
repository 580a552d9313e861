"""Validator: `evaluations.planned` -> PRE verdict, `evaluations.completed` -> POST verdict, both
through gates C1 (in the rules) and G1 (the quoted text at its cell of the stored source), onto
`verdicts.validated` (keyed by arXiv ID). A claim that fails G1 is dead-lettered, never published.

    faststream run services.validator.app:app
"""

from __future__ import annotations

from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from services.validator.adapters import mongo_client
from shared import topics
from shared.bus import Bus, Outgoing, consume, json_decoder
from shared.gates import GateViolation
from shared.logging import get_logger
from shared.messages import EvaluationCompleted, EvaluationPlanned, VerdictValidated, utcnow
from shared.models import Claim, Verdict
from shared.service import service_app
from shared.settings import KafkaSettings, MongoSettings

SERVICE = "validator"
log = get_logger("paperverdict.validator")


class Validator:
    def __init__(self, sources: Any) -> None:
        self.sources = sources  # shared.sources.SourceReader

    async def _grounded(self, claim: Claim, verdict: Verdict) -> Verdict:
        gate = await self.sources.check_g1(claim)
        if not gate.passed:
            raise GateViolation(gate, verdict.id)
        return verdict.model_copy(update={"gates": [*verdict.gates, gate]})

    async def on_planned(self, msg: EvaluationPlanned) -> list[Outgoing]:
        from services.validator.rules import pre_verdict

        verdict = pre_verdict(msg.claim, msg.protocol, now=utcnow(), model_id=msg.model_id)
        verdict = await self._grounded(msg.claim, verdict)
        log.info("verdict_validated", kind=verdict.kind, status=verdict.status, verdict_id=verdict.id)
        out = VerdictValidated(
            correlation_id=msg.correlation_id, paper=msg.paper, version=msg.version, claim=msg.claim, verdict=verdict
        )
        return [Outgoing(topics.VERDICTS_VALIDATED, out, key=msg.paper.arxiv_id)]

    async def on_completed(self, msg: EvaluationCompleted) -> list[Outgoing]:
        from services.validator.rules import post_verdict

        verdict = post_verdict(msg.claim, msg.measurement, now=utcnow())
        verdict = await self._grounded(msg.claim, verdict)
        log.info("verdict_validated", kind=verdict.kind, status=verdict.status, verdict_id=verdict.id)
        out = VerdictValidated(
            correlation_id=msg.correlation_id,
            paper=msg.paper,
            version=msg.version,
            claim=msg.claim,
            verdict=verdict,
            measurement=msg.measurement,
        )
        return [Outgoing(topics.VERDICTS_VALIDATED, out, key=msg.paper.arxiv_id)]


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, deps: dict[str, Any]) -> None:
    async def on_planned(msg: EvaluationPlanned) -> list[Outgoing]:
        return await deps["validator"].on_planned(msg)

    async def on_completed(msg: EvaluationCompleted) -> list[Outgoing]:
        return await deps["validator"].on_completed(msg)

    consume(
        broker,
        topics.EVALUATIONS_PLANNED,
        bus=bus,
        group_id="paperverdict-validator-pre",
        decode=json_decoder(EvaluationPlanned),
        handler=on_planned,
        settings=kafka,
        description="EvaluationPlanned -> PRE verdict (keyed by model id).",
    )
    consume(
        broker,
        topics.EVALUATIONS_COMPLETED,
        bus=bus,
        group_id="paperverdict-validator-post",
        decode=json_decoder(EvaluationCompleted),
        handler=on_completed,
        settings=kafka,
        description="EvaluationCompleted -> POST verdict (keyed by model id).",
    )
    broker.publisher(
        topics.VERDICTS_VALIDATED,
        schema=VerdictValidated,
        title=f"{topics.VERDICTS_VALIDATED}:publish",
        description="PRE and POST verdicts that passed gates C1 and G1; key = arXiv ID.",
    )


def create_app() -> FastStream:
    mongo = MongoSettings()

    async def start(deps: dict[str, Any], bus: Bus) -> None:
        from shared.artifacts import ArtifactStore
        from shared.sources import SourceReader

        deps["mongo"] = mongo_client(mongo)
        deps["validator"] = Validator(SourceReader(ArtifactStore(deps["mongo"][mongo.database])))

    return service_app(SERVICE, register, start)


app = create_app()
