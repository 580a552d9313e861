"""Ingestor: `ingest.requests` (JSON or a bare arXiv ID) -> arXiv -> GridFS -> `papers.ingested`.

faststream run services.ingestor.app:app
"""

from __future__ import annotations

from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from services.ingestor.adapters import ArxivClient
from shared import topics
from shared.bus import Bus, consume, decode_ingest_request
from shared.messages import IngestPaper, PaperIngested
from shared.service import service_app
from shared.settings import ArxivSettings, KafkaSettings, MongoSettings

SERVICE = "ingestor"
GROUP_ID = "paperverdict-ingestor"


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, deps: dict[str, Any]) -> None:
    """Subscribers and documented publishers of this service; `deps` is filled at startup."""

    async def handle(request: IngestPaper) -> Any:
        return await deps["ingestor"].handle(request)

    consume(
        broker,
        topics.INGEST_REQUESTS,
        bus=bus,
        group_id=GROUP_ID,
        decode=decode_ingest_request,
        handler=handle,
        settings=kafka,
        description="IngestPaper as JSON, or a bare arXiv ID as UTF-8 text (keyed by arXiv ID).",
    )
    broker.publisher(
        topics.PAPERS_INGESTED,
        schema=PaperIngested,
        title=f"{topics.PAPERS_INGESTED}:publish",
        description="Metadata fetched and artifacts stored in GridFS; key = arXiv ID.",
    )


def create_app() -> FastStream:
    mongo, arxiv = MongoSettings(), ArxivSettings()

    async def start(deps: dict[str, Any], bus: Bus) -> None:
        from motor.motor_asyncio import AsyncIOMotorClient

        from services.ingestor.adapters import MongoIngestionLog
        from services.ingestor.handlers import Ingestor
        from shared.artifacts import ArtifactStore

        deps["mongo"] = AsyncIOMotorClient(mongo.url.get_secret_value(), tz_aware=True)
        deps["arxiv"] = ArxivClient(arxiv)
        db = deps["mongo"][mongo.database]
        # Documents cite arxiv.org (the paper's identity), also when a local mirror served the bytes.
        deps["ingestor"] = Ingestor(
            deps["arxiv"], ArtifactStore(db), ingestions=MongoIngestionLog(db), publish=bus.publish_all
        )

    return service_app(SERVICE, register, start)


app = create_app()
