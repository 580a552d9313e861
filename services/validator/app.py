"""Validator: `evaluations.planned` -> PRE verdict, `evaluations.completed` -> POST verdict, both
through gates C1 (in the rules) and G1 (the quoted text at its cell of the stored source), onto
`verdicts.validated` (keyed by arXiv ID). A claim that fails G1 is dead-lettered, never published.

    faststream run services.validator.app:app
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from services.validator.adapters import mongo_client
from services.validator.handlers import Validator
from shared import topics
from shared.bus import Bus, declare_publisher
from shared.consumer import consume
from shared.service import ServiceApp, Slot, service_app
from shared.settings import KafkaSettings, MongoSettings

SERVICE = "validator"


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, slot: Slot[Validator]) -> None:
    consume(
        broker,
        topics.EVALUATIONS_PLANNED,
        bus=bus,
        group_id="paperverdict-validator-pre",
        handler=slot.bound(Validator.on_planned),
        settings=kafka,
        description="EvaluationPlanned -> PRE verdict (keyed by model id).",
    )
    consume(
        broker,
        topics.EVALUATIONS_COMPLETED,
        bus=bus,
        group_id="paperverdict-validator-post",
        handler=slot.bound(Validator.on_completed),
        settings=kafka,
        description="EvaluationCompleted -> POST verdict (keyed by model id).",
    )
    declare_publisher(
        broker, topics.VERDICTS_VALIDATED, "PRE and POST verdicts that passed gates C1 and G1; key = arXiv ID."
    )


def create_app() -> ServiceApp:
    mongo = MongoSettings()

    async def start(bus: Bus) -> tuple[Validator, Sequence[Any]]:
        from shared.artifacts import ArtifactStore
        from shared.sources import SourceReader

        client = mongo_client(mongo)
        return Validator(SourceReader(ArtifactStore(client[mongo.database]))), [client]

    return service_app(SERVICE, register, start)


app = create_app()
