"""Evaluator: `claims.extracted` (keyed by model id) -> `evaluations.planned` (announced first) ->
a real log-likelihood evaluation in a worker thread -> `evaluations.completed`.

Long evaluations keep the consumer in its group: the model runs off the event loop (heartbeats go
on) and `max.poll.interval.ms` comes from PV_KAFKA_MAX_POLL_INTERVAL_MS (one hour by default).

    faststream run services.evaluator.app:app
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from services.evaluator.adapters import build_cache, build_runner, mongo_client
from services.evaluator.handlers import Evaluator
from shared import topics
from shared.bus import Bus, declare_publisher
from shared.consumer import consume
from shared.service import ServiceApp, Slot, service_app
from shared.settings import EvaluatorSettings, KafkaSettings, MongoSettings

SERVICE = "evaluator"


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, slot: Slot[Evaluator]) -> None:
    consume(
        broker,
        topics.CLAIMS_EXTRACTED,
        bus=bus,
        group_id="paperverdict-evaluator",
        handler=slot.bound(Evaluator.handle),
        settings=kafka,
        max_poll_interval_ms=kafka.max_poll_interval_ms,
        description="One claim to measure (keyed by model id: one evaluator loads a model once).",
    )
    declare_publisher(broker, topics.EVALUATIONS_PLANNED, "The protocol the evaluator will run; key = model id.")
    declare_publisher(
        broker, topics.EVALUATIONS_COMPLETED, "A measurement or a failure with its reason; key = model id."
    )


def create_app() -> ServiceApp:
    mongo, settings = MongoSettings(), EvaluatorSettings()

    async def start(bus: Bus) -> tuple[Evaluator, Sequence[Any]]:
        from shared.artifacts import ArtifactStore

        client = mongo_client(mongo)
        db = client[mongo.database]
        evaluator = Evaluator(
            bus.publish, settings, build_runner(settings), await build_cache(db), ArtifactStore(db), bus.monitor.metrics
        )
        return evaluator, [client]

    return service_app(SERVICE, register, start)


app = create_app()
