"""Publisher: the only writer of the read model. Papers and extraction outcomes update the paper
document; each validated verdict is written idempotently (history insert, supersede, paper upsert),
then announced on `verdicts.published` (once: a replay of a verdict whose announcement was not marked
reads the topic back first), then its offset is committed. A verdict violating C1 is
dead-lettered, whoever sent it; so is one whose claim fails the G1 re-check against the stored source.

    faststream run services.publisher.app:app
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from services.publisher.adapters import database, mongo_client
from services.publisher.handlers import Publisher
from shared import topics
from shared.bus import Bus, declare_publisher
from shared.consumer import consume
from shared.service import ServiceApp, Slot, service_app
from shared.settings import KafkaSettings, MongoSettings

SERVICE = "publisher"


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, slot: Slot[Publisher]) -> None:
    consume(
        broker,
        topics.PAPERS_INGESTED,
        bus=bus,
        group_id="paperverdict-publisher-papers",
        handler=slot.bound(Publisher.on_paper),
        settings=kafka,
        description="Paper metadata into the paper document (keyed by arXiv ID).",
    )
    consume(
        broker,
        topics.EXTRACTION_COMPLETED,
        bus=bus,
        group_id="paperverdict-publisher-extraction",
        handler=slot.bound(Publisher.on_extraction),
        settings=kafka,
        description="Claims and expected verdict count into the paper document (keyed by arXiv ID).",
    )
    consume(
        broker,
        topics.VERDICTS_VALIDATED,
        bus=bus,
        group_id="paperverdict-publisher-verdicts",
        handler=slot.bound(Publisher.on_verdict),
        settings=kafka,
        description="Verdicts into history + paper document, then announced (keyed by arXiv ID).",
    )
    declare_publisher(
        broker,
        topics.VERDICTS_PUBLISHED,
        "A verdict written to MongoDB; once per verdict id (a replay reads the topic back), key = arXiv ID.",
    )


def create_app() -> ServiceApp:
    mongo = MongoSettings()

    async def start(bus: Bus) -> tuple[Publisher, Sequence[Any]]:
        from services.publisher.events import PublishedEvents
        from services.publisher.store import PublisherStore
        from shared.artifacts import ArtifactStore
        from shared.sources import SourceReader

        client = mongo_client(mongo)
        db = database(client, mongo)
        store = PublisherStore(db)
        await store.ensure_indexes()
        events = PublishedEvents(KafkaSettings())
        return Publisher(store, SourceReader(ArtifactStore(db)), bus.monitor.metrics, events), [client]

    return service_app(SERVICE, register, start)


app = create_app()
