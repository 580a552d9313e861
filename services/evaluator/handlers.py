"""Measure one claim: plan its protocol, announce the plan (`EvaluationPlanned`), answer from the
measurement cache or run the model in a worker thread, store the per-example records, and return
`EvaluationCompleted` (keyed by model id). A claim that cannot be measured gets a measurement with
its reason in `failure`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from services.evaluator.cache import MeasurementCache
from services.evaluator.planner import plan_run
from shared import topics
from shared.artifacts import ArtifactWriter
from shared.bus import Outgoing
from shared.ids import measurement_id
from shared.logging import get_logger
from shared.messages import ClaimExtracted, EvaluationCompleted, EvaluationPlanned
from shared.metrics import Metrics
from shared.models import Claim, Measurement, RunProtocol
from shared.settings import EvaluatorSettings

if TYPE_CHECKING:
    from services.evaluator.lm_eval_catalog import LmEvalTaskInfo

log = get_logger("paperverdict.evaluator")


class Runner(Protocol):
    """The model side (`services.evaluator.runner.EvaluationRunner`, or a fake in a test)."""

    @property
    def model_loads(self) -> int: ...

    def measurement_key(self, claim: Claim, protocol: RunProtocol) -> str | None: ...

    def lm_eval_task(self, task: str) -> LmEvalTaskInfo | str: ...

    def measure(self, claim: Claim, protocol: RunProtocol) -> tuple[Measurement, bytes | None]: ...


class Announce(Protocol):
    async def __call__(self, topic: str, message: EvaluationPlanned, *, key: str) -> None: ...


def unsupported_measurement(claim: Claim, reason: str) -> Measurement:
    task = claim.protocol.benchmark or "unknown"
    return Measurement(
        measurement_id=measurement_id(claim.model_id or "-", task, "unsupported", claim.claim_id),
        model_id=topics.model_key(claim.model_id),
        task=task,
        failure=reason,
    )


class Evaluator:
    """`announce` publishes the plan at once (before a long run), so that the PRE verdict does not wait."""

    def __init__(
        self,
        announce: Announce,
        settings: EvaluatorSettings,
        runner: Runner,
        cache: MeasurementCache,
        artifacts: ArtifactWriter,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics or Metrics("evaluator")
        self.announce = announce
        self.settings = settings
        self.runner = runner
        self.cache = cache
        self.artifacts = artifacts

    def plan(self, claim: Claim) -> RunProtocol | str:
        """The protocol to run, or why the claim cannot be measured."""
        if not claim.measurable:
            return claim.unmeasurable_reason or "the claim is not measurable"
        if not claim.model_id:
            return f"model {claim.model_label!r} could not be resolved to a Hugging Face repo"
        plan = plan_run(
            claim,
            max_examples=self.settings.max_examples,
            slice_seed=self.settings.slice_seed,
            lm_eval_task=lambda task: self.runner.lm_eval_task(task),  # noqa: PLW0108
        )
        return plan if isinstance(plan, RunProtocol) else plan.reason

    async def handle(self, msg: ClaimExtracted) -> list[Outgoing]:
        claim = msg.claim
        key = topics.model_key(claim.model_id)
        # describing an lm-eval task may index lm-eval's tasks (seconds) or ask the Hub: off the event loop
        plan = await asyncio.to_thread(self.plan, claim)
        if isinstance(plan, str):
            log.info("evaluation_unsupported", reason=plan)
            measurement = unsupported_measurement(claim, plan)
            self.metrics.evaluations.labels("unsupported").inc()
        else:
            planned = EvaluationPlanned(
                correlation_id=msg.correlation_id,
                paper=msg.paper,
                version=msg.version,
                claim=claim,
                protocol=plan,
                model_id=key,
            )
            await self.announce(topics.EVALUATIONS_PLANNED, planned, key=key)
            log.info("evaluation_planned", benchmark=plan.benchmark, examples=plan.examples, model_id=key)
            measurement = await self.measure(claim, plan)
        completed = EvaluationCompleted(
            correlation_id=msg.correlation_id,
            paper=msg.paper,
            version=msg.version,
            claim=claim,
            measurement=measurement,
        )
        return [Outgoing(topics.EVALUATIONS_COMPLETED, completed, key=key)]

    async def measure(self, claim: Claim, plan: RunProtocol) -> Measurement:
        cache_key = self.runner.measurement_key(claim, plan)
        cached = await self.cache.get(cache_key) if cache_key else None
        if cached is not None:
            log.info("measurement_cached", measurement_id=cached.measurement_id)
            self.metrics.cache.labels("hit").inc()
            self.metrics.evaluations.labels("cached").inc()
            return cached.model_copy(update={"cached": True})
        self.metrics.cache.labels("miss").inc()
        loads = self.runner.model_loads
        measurement, records = await asyncio.to_thread(self.runner.measure, claim, plan)
        self.metrics.model_loads.inc(self.runner.model_loads - loads)
        self.metrics.evaluations.labels("failed" if measurement.failure else "measured").inc()
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
