"""Write the read model: papers and extraction outcomes into the paper document; each validated
verdict, once gate C1 and the G1 re-check against the stored source pass, into history and the paper
document, then announced as `VerdictPublished` (keyed by arXiv ID)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
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

    async def recorded_at(self, verdict_id: str) -> datetime | None: ...


class EventLog(Protocol):
    """The published-verdict topic read back (`services.publisher.events.PublishedEvents`)."""

    async def contains(self, verdict_id: str, since: datetime) -> bool | None: ...  # None: could not tell


# the event of a verdict is written after the verdict was recorded; the margin covers clock skew
# between the publisher that recorded it and the broker's timestamps
CLOCK_SKEW = timedelta(minutes=5)


class Publisher:
    def __init__(
        self,
        store: ReadModel,
        sources: SourceChecker,
        metrics: Metrics | None = None,
        events: EventLog | None = None,
    ) -> None:
        self.store = store
        self.sources = sources
        self.metrics = metrics or Metrics("publisher")
        self.events = events  # None: a replay of an unmarked verdict is announced again (at least once)

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
        # after writing) is announced only if no announcement went out before: marked once the broker
        # acknowledged it, or, where this service died between the ack and the mark, found on the topic.
        if not written and await self._went_out(msg.verdict.id):
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

    async def _went_out(self, verdict_id: str) -> bool:
        if await self.store.announced(verdict_id):
            return True
        if self.events is None:
            return False
        since = await self.store.recorded_at(verdict_id)
        if since is None or not await self.events.contains(verdict_id, since - CLOCK_SKEW):
            return False  # not on the topic, or the topic could not be read: announced (again)
        await self.store.mark_announced(verdict_id)
        log.info("verdict_announcement_found", verdict_id=verdict_id)
        return True
