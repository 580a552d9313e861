"""Evaluator: `claims.extracted` (keyed by model id) -> `evaluations.planned` (announced first) ->
a real log-likelihood evaluation in a worker thread -> `evaluations.completed`.

Long evaluations keep the consumer in its group: the model runs off the event loop (heartbeats go
on) and `max.poll.interval.ms` comes from PV_KAFKA_MAX_POLL_INTERVAL_MS (one hour by default).

    faststream run services.evaluator.app:app
"""

from __future__ import annotations

import asyncio
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from services.evaluator.adapters import build_cache, build_runner, mongo_client
from shared import topics
from shared.bus import Bus, Outgoing, consume, json_decoder
from shared.ids import measurement_id
from shared.logging import get_logger
from shared.messages import ClaimExtracted, EvaluationCompleted, EvaluationPlanned
from shared.models import Claim, Measurement
from shared.service import service_app
from shared.settings import EvaluatorSettings, KafkaSettings, MongoSettings

SERVICE = "evaluator"
UNRESOLVED_MODEL_KEY = "unresolved"
log = get_logger("paperverdict.evaluator")


def unsupported_measurement(claim: Claim, reason: str) -> Measurement:
    task = claim.protocol.benchmark or "unknown"
    return Measurement(
        measurement_id=measurement_id(claim.model_id or "-", task, "unsupported", claim.claim_id),
        model_id=claim.model_id or UNRESOLVED_MODEL_KEY,
        task=task,
        failure=reason,
    )


class Evaluator:
    def __init__(self, bus: Bus, settings: EvaluatorSettings, runner: Any, cache: Any, artifacts: Any) -> None:
        self.bus = bus
        self.settings = settings
        self.runner = runner
        self.cache = cache
        self.artifacts = artifacts
        self._available: dict[str, int] | None = None

    def _plan(self, claim: Claim) -> Any:
        from services.evaluator.planner import plan_run

        if self._available is None:  # task sizes: read once per process
            self._available = dict(self.runner.available())
        return plan_run(
            claim,
            max_examples=self.settings.max_examples,
            slice_seed=self.settings.slice_seed,
            available=self._available,
        )

    async def handle(self, msg: ClaimExtracted) -> list[Outgoing]:
        from shared.models import RunProtocol

        claim = msg.claim
        key = claim.model_id or UNRESOLVED_MODEL_KEY
        plan = None
        if not claim.measurable:
            reason = claim.unmeasurable_reason or "the claim is not measurable"
        elif not claim.model_id:
            reason = f"model {claim.model_label!r} could not be resolved to a Hugging Face repo"
        else:
            plan = self._plan(claim)
            reason = getattr(plan, "reason", "unsupported protocol")
        if not isinstance(plan, RunProtocol):
            log.info("evaluation_unsupported", reason=reason)
            measurement = unsupported_measurement(claim, reason)
        else:
            planned = EvaluationPlanned(
                correlation_id=msg.correlation_id,
                paper=msg.paper,
                version=msg.version,
                claim=claim,
                protocol=plan,
                model_id=key,
            )
            await self.bus.publish(topics.EVALUATIONS_PLANNED, planned, key=key)
            log.info("evaluation_planned", benchmark=plan.benchmark, examples=plan.examples, model_id=key)
            measurement = await self._measure(claim, plan)
        completed = EvaluationCompleted(
            correlation_id=msg.correlation_id,
            paper=msg.paper,
            version=msg.version,
            claim=claim,
            measurement=measurement,
        )
        return [Outgoing(topics.EVALUATIONS_COMPLETED, completed, key=key)]

    async def _measure(self, claim: Claim, plan: Any) -> Measurement:
        cached = await self._cache_get(claim, plan)
        if cached is not None:
            log.info("measurement_cached", measurement_id=cached.measurement_id)
            return cached.model_copy(update={"cached": True})
        measurement, records = await asyncio.to_thread(self.runner.measure, claim, plan)
        if records:
            ref = await self.artifacts.put(
                records,
                kind="records",
                content_type="application/gzip",
                filename=f"{measurement.measurement_id}.records.jsonl.gz",
            )
            measurement = measurement.model_copy(update={"records_sha256": ref.sha256})
        if measurement.failure is None:
            await self.cache.put(measurement)
        log.info(
            "evaluation_completed",
            value=measurement.value,
            failure=measurement.failure,
            seconds=measurement.seconds,
            examples=measurement.examples_used,
        )
        return measurement

    async def _cache_get(self, claim: Claim, plan: Any) -> Measurement | None:
        key = self.runner.measurement_key(claim, plan)
        return await self.cache.get(key) if key else None


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, deps: dict[str, Any]) -> None:
    async def handle(msg: ClaimExtracted) -> list[Outgoing]:
        return await deps["evaluator"].handle(msg)

    consume(
        broker,
        topics.CLAIMS_EXTRACTED,
        bus=bus,
        group_id="paperverdict-evaluator",
        decode=json_decoder(ClaimExtracted),
        handler=handle,
        settings=kafka,
        max_poll_interval_ms=kafka.max_poll_interval_ms,
        description="One claim to measure (keyed by model id: one evaluator loads a model once).",
    )
    broker.publisher(
        topics.EVALUATIONS_PLANNED,
        schema=EvaluationPlanned,
        title=f"{topics.EVALUATIONS_PLANNED}:publish",
        description="The protocol the evaluator will run; key = model id.",
    )
    broker.publisher(
        topics.EVALUATIONS_COMPLETED,
        schema=EvaluationCompleted,
        title=f"{topics.EVALUATIONS_COMPLETED}:publish",
        description="A measurement or a failure with its reason; key = model id.",
    )


def create_app() -> FastStream:
    mongo, settings = MongoSettings(), EvaluatorSettings()

    async def start(deps: dict[str, Any], bus: Bus) -> None:
        from shared.artifacts import ArtifactStore

        deps["mongo"] = mongo_client(mongo)
        db = deps["mongo"][mongo.database]
        deps["evaluator"] = Evaluator(bus, settings, build_runner(settings), await build_cache(db), ArtifactStore(db))

    return service_app(SERVICE, register, start)


app = create_app()
