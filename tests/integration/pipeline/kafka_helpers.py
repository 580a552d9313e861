"""Small helpers for tests that talk to the real Kafka."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import BaseModel

from shared import topics
from shared.admin import ensure_topics
from shared.bus import Bus, json_decoder, make_broker
from shared.consumer import ConsumerStats, RetryPolicy, consume
from shared.outage import OutagePolicy
from shared.settings import KafkaSettings


class Ping(BaseModel):
    n: int


async def start_consumer(
    kafka_bootstrap: str,
    topic: str,
    handler: Any,
    *,
    decode: Any = json_decoder(Ping),
    max_bytes: int = 1_000_000,
    retry: RetryPolicy | None = None,
    outage: OutagePolicy | None = None,
    max_poll_interval_ms: int | None = None,
) -> tuple[Any, ConsumerStats]:
    """A started broker with `handler` consuming `topic` (single-partition `topic`, its `.dlq` and
    `<topic>.out` created), and the consumer's counters."""
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, max_message_bytes=max_bytes)
    await ensure_topics(settings, [topic, topics.dead_letter(topic), f"{topic}.out"], partitions=1)
    broker = make_broker(settings, service="test", graceful_timeout=5.0)
    bus = Bus(broker, service="test")
    stats = consume(
        broker,
        topic,
        bus=bus,
        group_id=f"g-{topic}",
        decode=decode,
        handler=handler,
        settings=settings,
        retry=retry or RetryPolicy(attempts=3, backoff_s=0.05),
        outage=outage,
        max_poll_interval_ms=max_poll_interval_ms,
    )
    await broker.start()
    return broker, stats


def unique_topic(stem: str) -> str:
    return f"pvtest.{stem}.{uuid.uuid4().hex[:10]}"


async def produce(
    bootstrap: str,
    topic: str,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=5_000_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def read_records(bootstrap: str, topic: str, *, count: int, timeout_s: float = 30.0) -> list[Any]:
    """The first `count` records of `topic` (from the beginning), or fewer if the time runs out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"pvtest-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_bytes=10_000_000,
        max_partition_fetch_bytes=10_000_000,
    )
    await consumer.start()
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


def letters(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


async def wait_for(predicate: Any, timeout_s: float = 30.0, interval_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval_s)
    return predicate()
