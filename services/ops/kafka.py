"""The Kafka reads and writes the operator commands need: a whole topic from the beginning, record
counts, consumer-group lag, and republishing bytes with their headers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.admin import topic_partitions


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int


async def _consumer(bootstrap: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, max_partition_fetch_bytes=10_000_000
    )
    await started(consumer)
    return consumer


async def started(client: Any) -> Any:
    """`client.start()`, closing the client again when the broker cannot be reached (no "Unclosed
    AIOKafkaConsumer" warning after the CLI's one-line error)."""
    try:
        await client.start()
    except BaseException:
        close = getattr(client, "stop", None) or client.close
        await close()
        raise
    return client


async def read_topic(bootstrap: str, topic: str, *, limit: int = 10_000) -> list[Record]:
    """Every record of `topic` now on the broker (at most `limit`), without joining a group."""
    consumer = await _consumer(bootstrap)
    try:
        tps = await topic_partitions(consumer, topic)
        if not tps:
            return []
        consumer.assign(tps)
        begin = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, begin[tp])
        pending = {tp for tp in tps if end[tp] > begin[tp]}
        records: list[Record] = []
        while pending and len(records) < limit:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, items in batch.items():
                for r in items:
                    if r.offset < end[tp]:
                        records.append(
                            Record(r.topic, r.partition, r.offset, r.key, r.value or b"", tuple(r.headers), r.timestamp)
                        )
                if await consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
        return records[:limit]
    finally:
        await consumer.stop()


async def record_counts(bootstrap: str, names: Iterable[str]) -> dict[str, int]:
    """Records now held per topic (end - beginning offsets; 0 for a topic that does not exist)."""
    consumer = await _consumer(bootstrap)
    try:
        counts: dict[str, int] = {}
        for topic in names:
            tps = await topic_partitions(consumer, topic)
            if not tps:
                counts[topic] = 0
                continue
            begin, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
            counts[topic] = sum(end[tp] - begin[tp] for tp in tps)
        return counts
    finally:
        await consumer.stop()


async def group_lags(bootstrap: str, prefix: str = "paperverdict-") -> list[tuple[str, str, int]]:
    """(group, topic, lag) for every consumer group whose name starts with `prefix`: lag is end
    offsets minus committed offsets, summed over the topic's partitions. (Group members are not
    listed: aiokafka's DescribeGroups cannot decode Kafka 4's answer; /readyz says who is assigned.)"""
    admin = await started(AIOKafkaAdminClient(bootstrap_servers=bootstrap))
    consumer = await _consumer(bootstrap)
    try:
        groups = sorted(g[0] for g in await admin.list_consumer_groups() if str(g[0]).startswith(prefix))
        out: list[tuple[str, str, int]] = []
        for group in groups:
            committed: dict[TopicPartition, Any] = await admin.list_consumer_group_offsets(group)
            by_topic: dict[str, list[TopicPartition]] = {}
            for tp in committed:
                by_topic.setdefault(tp.topic, []).append(tp)
            for topic, tps in sorted(by_topic.items()):
                end = await consumer.end_offsets(tps)
                lag = sum(max(0, end[tp] - max(0, committed[tp].offset)) for tp in tps)
                out.append((group, topic, lag))
        return out
    finally:
        await consumer.stop()
        await admin.close()


async def send_records(bootstrap: str, items: Sequence[tuple[str, bytes | None, bytes, dict[str, str]]]) -> int:
    """Send (topic, key, value, headers) records in order, idempotent producer, acks=all; the count
    sent (`dlq replay`, and `publish` for new ingest requests)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        client_id="paperverdict-cli",
        max_request_size=10_000_000,
    )
    await started(producer)
    try:
        for topic, key, value, headers in items:
            await producer.send_and_wait(
                topic, value, key=key, headers=[(k, v.encode("utf-8")) for k, v in headers.items()]
            )
        return len(items)
    finally:
        await producer.stop()
