"""Publisher: the only writer of the read model. Papers and extraction outcomes update the paper
document; each validated verdict is written idempotently (history insert, supersede, paper upsert),
then announced on `verdicts.published`, then its offset is committed. A verdict violating C1 is
dead-lettered, whoever sent it; so is one whose claim fails the G1 re-check against the stored source.

    faststream run services.publisher.app:app
"""

from __future__ import annotations

from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from services.publisher.adapters import database, mongo_client
from shared import topics
from shared.bus import Bus, Outgoing, PermanentError, consume, json_decoder
from shared.logging import get_logger
from shared.messages import ExtractionCompleted, PaperIngested, VerdictPublished, VerdictValidated
from shared.service import service_app
from shared.settings import KafkaSettings, MongoSettings

SERVICE = "publisher"
log = get_logger("paperverdict.publisher")


class Publisher:
    def __init__(self, store: Any, sources: Any) -> None:
        self.store = store
        self.sources = sources  # shared.sources.SourceReader: gate G1 re-checked against the stored source

    async def on_paper(self, msg: PaperIngested) -> None:
        await self.store.record_paper(msg)

    async def on_extraction(self, msg: ExtractionCompleted) -> None:
        await self.store.record_extraction(msg)

    async def on_verdict(self, msg: VerdictValidated) -> list[Outgoing]:
        from shared.gates import check_c1

        gate = check_c1(msg.verdict)
        if not gate.passed:
            raise PermanentError(f"verdict {msg.verdict.id} violates gate C1: {gate.detail}")
        # record_verdict re-checks C1 and refuses (GateViolation -> dead letter) a failed G1 re-check.
        written = await self.store.record_verdict(msg, extra_gates=[await self.sources.check_g1(msg.claim)])
        log.info(
            "verdict_published" if written else "verdict_replayed", verdict_id=msg.verdict.id, kind=msg.verdict.kind
        )
        # Emitted on replays too: the previous attempt may have written MongoDB and died before the
        # event went out. Consumers dedupe on verdict.id.
        event = VerdictPublished(
            correlation_id=msg.correlation_id,
            arxiv_id=msg.paper.arxiv_id,
            paper_version=msg.version.version,
            claim_id=msg.claim.claim_id,
            verdict=msg.verdict,
            paper_title=msg.paper.title,
            model_id=msg.claim.model_id,
        )
        return [Outgoing(topics.VERDICTS_PUBLISHED, event, key=msg.paper.arxiv_id)]


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, deps: dict[str, Any]) -> None:
    async def on_paper(msg: PaperIngested) -> None:
        await deps["publisher"].on_paper(msg)

    async def on_extraction(msg: ExtractionCompleted) -> None:
        await deps["publisher"].on_extraction(msg)

    async def on_verdict(msg: VerdictValidated) -> list[Outgoing]:
        return await deps["publisher"].on_verdict(msg)

    consume(
        broker,
        topics.PAPERS_INGESTED,
        bus=bus,
        group_id="paperverdict-publisher-papers",
        decode=json_decoder(PaperIngested),
        handler=on_paper,
        settings=kafka,
        description="Paper metadata into the paper document (keyed by arXiv ID).",
    )
    consume(
        broker,
        topics.EXTRACTION_COMPLETED,
        bus=bus,
        group_id="paperverdict-publisher-extraction",
        decode=json_decoder(ExtractionCompleted),
        handler=on_extraction,
        settings=kafka,
        description="Claims and expected verdict count into the paper document (keyed by arXiv ID).",
    )
    consume(
        broker,
        topics.VERDICTS_VALIDATED,
        bus=bus,
        group_id="paperverdict-publisher-verdicts",
        decode=json_decoder(VerdictValidated),
        handler=on_verdict,
        settings=kafka,
        description="Verdicts into history + paper document, then announced (keyed by arXiv ID).",
    )
    broker.publisher(
        topics.VERDICTS_PUBLISHED,
        schema=VerdictPublished,
        title=f"{topics.VERDICTS_PUBLISHED}:publish",
        description="A verdict written to MongoDB; at least once per verdict id, key = arXiv ID.",
    )


def create_app() -> FastStream:
    mongo = MongoSettings()

    async def start(deps: dict[str, Any], bus: Bus) -> None:
        from services.publisher.store import PublisherStore
        from shared.artifacts import ArtifactStore
        from shared.sources import SourceReader

        deps["mongo"] = mongo_client(mongo)
        store = PublisherStore(database(deps["mongo"], mongo))
        await store.ensure_indexes()
        deps["publisher"] = Publisher(store, SourceReader(ArtifactStore(database(deps["mongo"], mongo))))

    return service_app(SERVICE, register, start)


app = create_app()
