"""Validator: `evaluations.planned` -> PRE verdict, `evaluations.completed` -> POST verdict, both
through gate C1, onto `verdicts.validated` (keyed by arXiv ID).

    faststream run services.validator.app:app
"""

from __future__ import annotations

from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from shared import topics
from shared.bus import Bus, Outgoing, consume, ensure_topics, json_decoder, make_broker
from shared.logging import configure_logging, get_logger
from shared.messages import EvaluationCompleted, EvaluationPlanned, VerdictValidated, utcnow
from shared.settings import KafkaSettings

SERVICE = "validator"
log = get_logger("paperverdict.validator")


async def on_planned(msg: EvaluationPlanned) -> list[Outgoing]:
    from services.validator.rules import pre_verdict

    verdict = pre_verdict(msg.claim, msg.protocol, now=utcnow(), model_id=msg.model_id)
    log.info("verdict_validated", kind=verdict.kind, status=verdict.status, verdict_id=verdict.id)
    out = VerdictValidated(correlation_id=msg.correlation_id, paper=msg.paper, version=msg.version, claim=msg.claim, verdict=verdict)
    return [Outgoing(topics.VERDICTS_VALIDATED, out, key=msg.paper.arxiv_id)]


async def on_completed(msg: EvaluationCompleted) -> list[Outgoing]:
    from services.validator.rules import post_verdict

    verdict = post_verdict(msg.claim, msg.measurement, now=utcnow())
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
    consume(
        broker, topics.EVALUATIONS_PLANNED, bus=bus, group_id="paperverdict-validator-pre",
        decode=json_decoder(EvaluationPlanned), handler=on_planned, settings=kafka,
        description="EvaluationPlanned -> PRE verdict (keyed by model id).",
    )
    consume(
        broker, topics.EVALUATIONS_COMPLETED, bus=bus, group_id="paperverdict-validator-post",
        decode=json_decoder(EvaluationCompleted), handler=on_completed, settings=kafka,
        description="EvaluationCompleted -> POST verdict (keyed by model id).",
    )
    broker.publisher(
        topics.VERDICTS_VALIDATED, schema=VerdictValidated, title=f"{topics.VERDICTS_VALIDATED}:publish",
        description="PRE and POST verdicts that passed gate C1; key = arXiv ID.",
    )


def create_app() -> FastStream:
    configure_logging()
    kafka = KafkaSettings()
    broker = make_broker(kafka, service=SERVICE)
    bus = Bus(broker, service=SERVICE)
    register(broker, bus, kafka, {})
    app = FastStream(broker)

    @app.on_startup
    async def start() -> None:
        await ensure_topics(kafka)

    return app


app = create_app()
