"""Evaluator: `claims.extracted` (keyed by model id) -> `evaluations.planned` (announced first) ->
a real log-likelihood evaluation in a worker thread -> `evaluations.completed`.

Long evaluations keep the consumer in its group: the model runs off the event loop (heartbeats go
on) and `max.poll.interval.ms` comes from PV_KAFKA_MAX_POLL_INTERVAL_MS (one hour by default).

    faststream run services.evaluator.app:app
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from services.evaluator.adapters import build_cache, build_runner, mongo_client
from services.evaluator.handlers import Evaluator
from shared import topics
from shared.bus import Bus, declare_publisher
from shared.consumer import consume
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.service import ServiceApp, Slot, service_app
from shared.settings import EvaluatorSettings, KafkaSettings, MongoSettings

SERVICE = "evaluator"
log = get_logger("paperverdict.evaluator")


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
        await report_code_sandbox(bus.monitor.metrics)
        evaluator = Evaluator(
            bus.publish, settings, build_runner(settings), await build_cache(db), ArtifactStore(db), bus.monitor.metrics
        )
        return evaluator, [client]

    return service_app(SERVICE, register, start)


async def report_code_sandbox(metrics: Metrics) -> None:
    """Say at start whether code claims can be measured here, and why not (a container started without
    the security options the sandbox needs): the log line `code_sandbox` and a gauge."""
    from services.evaluator.sandbox import unavailable_reason

    reason = await asyncio.to_thread(unavailable_reason)
    metrics.code_sandbox.set(0 if reason else 1)
    if reason:
        log.warning("code_sandbox", available=False, reason=reason)
    else:
        log.info("code_sandbox", available=True)


app = create_app()
