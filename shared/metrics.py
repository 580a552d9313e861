"""Prometheus metrics of one service, in its own registry (no global state): what every consumer
reports (lag, in flight, handled, retried, dead letters) and what the evaluator and the publisher add
(measurement cache, model loads, evaluations, verdicts by status, GPU memory and utilisation).
FastStream's own middleware (received, processed, published, durations, exceptions) writes into the
same registry."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.handled = Counter(
            "paperverdict_messages_handled", "Messages handled and acknowledged.", ["topic"], registry=r
        )
        self.retried = Counter(
            "paperverdict_message_retries", "Handler retries after transient errors.", ["topic"], registry=r
        )
        self.dead_letters = Counter(
            "paperverdict_dead_letters", "Messages written to <topic>.dlq, by source topic.", ["topic"], registry=r
        )
        self.in_flight = Gauge(
            "paperverdict_messages_in_flight",
            "Messages a handler is working on (claims, for the evaluator).",
            ["topic"],
            registry=r,
        )
        self.lag = Gauge(
            "paperverdict_consumer_lag",
            "Records on this instance's partitions not yet handed to its handler (highwater - position).",
            ["group", "topic", "partition"],
            registry=r,
        )
        self.cache = Counter(
            "paperverdict_measurement_cache", "Measurement-cache lookups of the evaluator.", ["result"], registry=r
        )
        self.model_loads = Counter("paperverdict_model_loads", "Models loaded by the evaluator.", registry=r)
        self.evaluations = Counter(
            "paperverdict_evaluations", "Claims the evaluator finished, by outcome.", ["outcome"], registry=r
        )
        self.verdicts = Counter(
            "paperverdict_verdicts_published",
            "Verdicts written and announced, by kind and status.",
            ["kind", "status"],
            registry=r,
        )
        self.gpu_memory = Gauge("paperverdict_gpu_memory_bytes", "CUDA memory of this process.", ["kind"], registry=r)
        self.gpu_utilisation = Gauge("paperverdict_gpu_utilisation_ratio", "GPU utilisation (0..1).", registry=r)
        self.code_sandbox = Gauge(
            "paperverdict_code_sandbox_available",
            "1 when generated code (HumanEval, MBPP) can run in the evaluator's sandbox, else 0.",
            registry=r,
        )

    def sample_gpu(self) -> None:
        """GPU memory and utilisation, when this process has initialised CUDA (the evaluator on a GPU)."""
        import sys

        torch: Any = sys.modules.get("torch")
        if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
            return
        self.gpu_memory.labels("allocated").set(torch.cuda.memory_allocated())
        self.gpu_memory.labels("reserved").set(torch.cuda.memory_reserved())
        try:
            self.gpu_utilisation.set(torch.cuda.utilization() / 100.0)
        except Exception:  # noqa: BLE001 - needs pynvml; memory is still reported
            pass

    def render(self) -> bytes:
        self.sample_gpu()
        return generate_latest(self.registry)
