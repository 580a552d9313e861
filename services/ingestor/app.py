"""Ingestor: `ingest.requests` (JSON or a bare arXiv ID) -> arXiv -> GridFS -> `papers.ingested`.

    faststream run services.ingestor.app:app
"""

from __future__ import annotations

from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from shared import topics
from shared.bus import Bus, consume, decode_ingest_request, ensure_topics, make_broker
from shared.logging import configure_logging
from shared.messages import IngestPaper, PaperIngested
from shared.settings import ArxivSettings, KafkaSettings, MongoSettings

from services.ingestor.adapters import ArxivClient

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
    configure_logging()
    kafka, mongo, arxiv = KafkaSettings(), MongoSettings(), ArxivSettings()
    broker = make_broker(kafka, service=SERVICE)
    bus = Bus(broker, service=SERVICE)
    deps: dict[str, Any] = {}
    register(broker, bus, kafka, deps)
    app = FastStream(broker)

    @app.on_startup
    async def start() -> None:
        from motor.motor_asyncio import AsyncIOMotorClient

        from shared.artifacts import ArtifactStore
        from services.ingestor.adapters import MongoIngestionLog
        from services.ingestor.handlers import Ingestor

        await ensure_topics(kafka)
        deps["mongo"] = AsyncIOMotorClient(mongo.url.get_secret_value(), tz_aware=True)
        deps["arxiv"] = ArxivClient(arxiv)
        db = deps["mongo"][mongo.database]
        # Documents cite arxiv.org (the paper's identity), also when a local mirror served the bytes.
        deps["ingestor"] = Ingestor(deps["arxiv"], ArtifactStore(db), ingestions=MongoIngestionLog(db),
                                    publish=bus.publish_all)

    @app.after_shutdown
    async def stop() -> None:
        if "arxiv" in deps:
            await deps["arxiv"].aclose()
        if "mongo" in deps:
            deps["mongo"].close()

    return app


app = create_app()
