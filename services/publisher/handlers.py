"""Write the read model: papers and extraction outcomes into the paper document; each validated
verdict, once gate C1 and the G1 re-check against the stored source pass, into history and the paper
document, then announced as `VerdictPublished` (keyed by arXiv ID)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared import topics
from shared.bus import Outgoing
from shared.errors import PermanentError
from shared.gates import check_c1
from shared.logging import get_logger
from shared.messages import ExtractionCompleted, PaperIngested, VerdictPublished, VerdictValidated
from shared.metrics import Metrics
from shared.models import GateOutcome
from shared.sources import SourceChecker

log = get_logger("paperverdict.publisher")


class ReadModel(Protocol):
    """The MongoDB read model (`services.publisher.store.PublisherStore`, or a fake in a test)."""

    async def record_paper(self, msg: PaperIngested) -> None: ...

    async def record_extraction(self, msg: ExtractionCompleted) -> None: ...

    async def record_verdict(self, msg: VerdictValidated, extra_gates: Sequence[GateOutcome] = ()) -> bool: ...

    async def announced(self, verdict_id: str) -> bool: ...

    async def mark_announced(self, verdict_id: str) -> None: ...


class Publisher:
    def __init__(self, store: ReadModel, sources: SourceChecker, metrics: Metrics | None = None) -> None:
        self.store = store
        self.sources = sources
        self.metrics = metrics or Metrics("publisher")

    async def on_paper(self, msg: PaperIngested) -> None:
        await self.store.record_paper(msg)

    async def on_extraction(self, msg: ExtractionCompleted) -> None:
        await self.store.record_extraction(msg)

    async def on_verdict(self, msg: VerdictValidated) -> list[Outgoing]:
        gate = check_c1(msg.verdict)
        if not gate.passed:
            raise PermanentError(f"verdict {msg.verdict.id} violates gate C1: {gate.detail}")
        # record_verdict re-checks C1 and refuses (GateViolation -> dead letter) a failed G1 re-check.
        written = await self.store.record_verdict(msg, extra_gates=[await self.sources.check_g1(msg.claim)])
        log.info(
            "verdict_published" if written else "verdict_replayed", verdict_id=msg.verdict.id, kind=msg.verdict.kind
        )
        if written:
            self.metrics.verdicts.labels(msg.verdict.kind, msg.verdict.status).inc()
        # A replay (the same verdict validated again after an upstream service restarted, or this one died
        # after writing) is announced only if no announcement was acknowledged before: the event goes out
        # once, except when this service dies between the broker's ack and `mark_announced` (consumers
        # dedupe on verdict.id for that window).
        if not written and await self.store.announced(msg.verdict.id):
            return []
        event = VerdictPublished(
            correlation_id=msg.correlation_id,
            arxiv_id=msg.paper.arxiv_id,
            paper_version=msg.version.version,
            claim_id=msg.claim.claim_id,
            verdict=msg.verdict,
            paper_title=msg.paper.title,
            model_id=msg.claim.model_id,
        )
        verdict_id = msg.verdict.id

        async def announced() -> None:
            await self.store.mark_announced(verdict_id)

        return [Outgoing(topics.VERDICTS_PUBLISHED, event, key=msg.paper.arxiv_id, after_sent=announced)]
