"""Ingestor: `ingest.requests` (JSON or a bare arXiv ID) -> arXiv -> GridFS -> `papers.ingested`.

faststream run services.ingestor.app:app
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from services.ingestor.adapters import ArxivClient
from services.ingestor.handlers import Ingestor
from services.ingestor.requests import decode_ingest_request
from shared import topics
from shared.bus import Bus, declare_publisher
from shared.consumer import consume
from shared.service import ServiceApp, Slot, service_app
from shared.settings import ArxivSettings, KafkaSettings, MongoSettings

SERVICE = "ingestor"
GROUP_ID = "paperverdict-ingestor"


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, slot: Slot[Ingestor]) -> None:
    consume(
        broker,
        topics.INGEST_REQUESTS,
        bus=bus,
        group_id=GROUP_ID,
        decode=decode_ingest_request,
        handler=slot.bound(Ingestor.handle),
        settings=kafka,
        description="IngestPaper as JSON, or a bare arXiv ID as UTF-8 text (keyed by arXiv ID).",
    )
    declare_publisher(
        broker, topics.PAPERS_INGESTED, "Metadata fetched and artifacts stored in GridFS; key = arXiv ID."
    )


def create_app() -> ServiceApp:
    mongo, arxiv = MongoSettings(), ArxivSettings()

    async def start(bus: Bus) -> tuple[Ingestor, Sequence[Any]]:
        from services.ingestor.adapters import MongoIngestionLog
        from shared.artifacts import ArtifactStore
        from shared.mongo import mongo_client

        client = mongo_client(mongo)
        arxiv_client = ArxivClient(arxiv)
        db = client[mongo.database]
        # Documents cite arxiv.org (the paper's identity), also when a local mirror served the bytes.
        ingestor = Ingestor(arxiv_client, ArtifactStore(db), ingestions=MongoIngestionLog(db), publish=bus.publish_all)
        return ingestor, [client, arxiv_client]

    return service_app(SERVICE, register, start)


app = create_app()
