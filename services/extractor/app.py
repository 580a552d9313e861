"""Extractor: `papers.ingested` -> one `claims.extracted` per numeric result cell (keyed by model
id), then `extraction.completed` (keyed by arXiv ID). Offsets commit only after all were published.

    faststream run services.extractor.app:app
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from services.extractor.adapters import hub_resolver, mongo_client
from services.extractor.handlers import Extractor
from shared import topics
from shared.bus import Bus, declare_publisher
from shared.consumer import consume
from shared.service import ServiceApp, Slot, service_app
from shared.settings import ExtractorSettings, HubSettings, KafkaSettings, MongoSettings

SERVICE = "extractor"


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, slot: Slot[Extractor]) -> None:
    consume(
        broker,
        topics.PAPERS_INGESTED,
        bus=bus,
        group_id="paperverdict-extractor",
        handler=slot.bound(Extractor.handle),
        settings=kafka,
        description="Stored LaTeX/HTML/PDF of a paper version (keyed by arXiv ID).",
    )
    declare_publisher(
        broker, topics.CLAIMS_EXTRACTED, "One numeric result cell, grounded in the source; key = model id."
    )
    declare_publisher(broker, topics.EXTRACTION_COMPLETED, "Extraction done for a paper version; key = arXiv ID.")


def create_app() -> ServiceApp:
    mongo, settings, hub = MongoSettings(), ExtractorSettings(), HubSettings()

    async def start(bus: Bus) -> tuple[Extractor, Sequence[Any]]:
        from shared.artifacts import ArtifactStore

        client = mongo_client(mongo)
        db = client[mongo.database]
        return Extractor(ArtifactStore(db), settings, hub_resolver(hub, db)), [client]

    return service_app(SERVICE, register, start)


app = create_app()
