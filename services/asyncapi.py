"""One FastStream app that registers every service's subscribers and publishers, for the AsyncAPI
document only (never run it):

    faststream docs gen --yaml services.asyncapi:app --out docs/asyncapi.yaml
"""

from __future__ import annotations

from faststream import FastStream
from faststream.specification import AsyncAPI

from services.evaluator import app as evaluator
from services.extractor import app as extractor
from services.ingestor import app as ingestor
from services.publisher import app as publisher
from services.validator import app as validator
from shared import topics
from shared.bus import Bus, declare_publisher, make_broker
from shared.service import Slot
from shared.settings import KafkaSettings


def create_docs_app() -> FastStream:
    kafka = KafkaSettings(bootstrap_servers="kafka:9092")
    broker = make_broker(kafka, service="docs", description="paperverdict pipeline topics (keys: see docs/pipeline.md)")
    bus = Bus(broker, service="docs")
    for service in (ingestor, extractor, evaluator, validator, publisher):
        service.register(broker, bus, kafka, Slot())
    declare_publisher(
        broker,
        topics.INGEST_REQUESTS,
        "Published by `paperverdict publish` (or anyone): IngestPaper JSON or a bare arXiv ID as UTF-8 text; "
        "key = arXiv ID.",
    )
    for topic in topics.ALL:
        declare_publisher(
            broker,
            topics.dead_letter(topic),
            f"Messages of {topic} that failed validation or exhausted their retries.",
        )
    return FastStream(
        broker,
        specification=AsyncAPI(
            title="paperverdict",
            version="0.1.0",
            description="Checks the numbers in machine-learning papers. Every message is JSON (pydantic v2 models "
            "in shared/messages.py) with schema_version and correlation_id, also sent as Kafka headers; "
            "failed messages go to `<topic>.dlq`.",
        ),
    )


app = create_docs_app()
