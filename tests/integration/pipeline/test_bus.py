"""shared.bus and shared.consumer against the real Kafka: dead letters for bad input, retry-then-DLQ, and the pipeline
going on after each failure."""

from __future__ import annotations

import base64

import pytest
from pydantic import BaseModel

from services.ingestor.requests import decode_ingest_request
from shared import topics
from shared.bus import Bus, Outgoing
from shared.consumer import RetryPolicy
from shared.messages import IngestPaper
from tests.integration.pipeline.kafka_helpers import (
    Ping,
    letters,
    produce,
    read_records,
    start_consumer,
    unique_topic,
    wait_for,
)

pytestmark = pytest.mark.timeout(180)


async def test_malformed_json_is_dead_lettered_and_the_consumer_goes_on(kafka_bootstrap: str) -> None:
    topic = unique_topic("malformed")
    seen: list[int] = []

    async def handle(msg: Ping) -> None:
        seen.append(msg.n)

    broker, stats = await start_consumer(kafka_bootstrap, topic, handle)
    try:
        await produce(kafka_bootstrap, topic, b'{"n": oops', key=b"k", headers=[("correlation_id", b"corr-1")])
        await produce(kafka_bootstrap, topic, b'{"n": 7}', key=b"k")
        assert await wait_for(lambda: seen == [7])
        dead = letters(await read_records(kafka_bootstrap, topics.dead_letter(topic), count=1))
        assert len(dead) == 1
        assert dead[0]["topic"] == topic and dead[0]["stage"] == "decode"
        assert base64.b64decode(dead[0]["original_b64"]) == b'{"n": oops'
        assert dead[0]["original_headers"]["correlation_id"] == "corr-1"
        assert "json" in dead[0]["error"].lower()
        assert stats.dead_lettered == 1 and stats.handled == 1
    finally:
        await broker.stop()


async def test_oversized_message_is_dead_lettered(kafka_bootstrap: str) -> None:
    topic = unique_topic("oversized")
    seen: list[int] = []

    async def handle(msg: Ping) -> None:
        seen.append(msg.n)

    broker, _ = await start_consumer(kafka_bootstrap, topic, handle, max_bytes=2_000)
    try:
        big = b'{"n": 1, "pad": "' + b"x" * 5_000 + b'"}'
        await produce(kafka_bootstrap, topic, big)
        await produce(kafka_bootstrap, topic, b'{"n": 2}')
        assert await wait_for(lambda: seen == [2])
        dead = letters(await read_records(kafka_bootstrap, topics.dead_letter(topic), count=1))
        assert "exceeds the limit of 2000 bytes" in dead[0]["error"]
        assert dead[0]["original_size"] == len(big)
    finally:
        await broker.stop()


async def test_malformed_arxiv_id_is_dead_lettered_with_a_clear_error(kafka_bootstrap: str) -> None:
    topic = unique_topic("ingest")
    seen: list[str] = []

    async def handle(msg: IngestPaper) -> None:
        seen.append(msg.arxiv_id)

    broker, _ = await start_consumer(kafka_bootstrap, topic, handle, decode=decode_ingest_request)
    try:
        await produce(kafka_bootstrap, topic, b"2502.0273")
        await produce(kafka_bootstrap, topic, b"2502.02730")
        assert await wait_for(lambda: seen == ["2502.02730"])
        dead = letters(await read_records(kafka_bootstrap, topics.dead_letter(topic), count=1))
        assert "'2502.0273' is malformed" in dead[0]["error"]
    finally:
        await broker.stop()


async def test_failing_handler_is_retried_then_dead_lettered(kafka_bootstrap: str) -> None:
    topic = unique_topic("retry")
    calls: dict[int, int] = {}

    async def handle(msg: Ping) -> list[Outgoing]:
        calls[msg.n] = calls.get(msg.n, 0) + 1
        if msg.n == 1:
            raise RuntimeError("store unavailable")
        if msg.n == 2 and calls[2] < 3:
            raise ConnectionError("flaky")
        return [Outgoing(f"{topic}.out", Ping(n=msg.n * 10), key="k")]

    broker, stats = await start_consumer(kafka_bootstrap, topic, handle, retry=RetryPolicy(attempts=3, backoff_s=0.05))
    try:
        await produce(kafka_bootstrap, topic, b'{"n": 1}')
        await produce(kafka_bootstrap, topic, b'{"n": 2}')
        assert await wait_for(lambda: stats.handled == 1, timeout_s=30)
        assert calls == {1: 3, 2: 3}
        dead = letters(await read_records(kafka_bootstrap, topics.dead_letter(topic), count=1))
        assert dead[0]["attempts"] == 3 and dead[0]["stage"] == "handle"
        assert "RuntimeError: store unavailable" in dead[0]["error"]
        out = await read_records(kafka_bootstrap, f"{topic}.out", count=1)
        assert [Ping.model_validate_json(r.value).n for r in out] == [20]
    finally:
        await broker.stop()


async def test_offsets_are_committed_only_after_the_handler_finished(kafka_bootstrap: str) -> None:
    """A consumer that dies mid-handler leaves the offset uncommitted: the next one gets the message."""
    topic = unique_topic("commit")
    first_calls: list[int] = []

    async def never_finishes(msg: Ping) -> None:
        first_calls.append(msg.n)
        import asyncio

        await asyncio.sleep(3600)

    broker, _ = await start_consumer(kafka_bootstrap, topic, never_finishes)
    await produce(kafka_bootstrap, topic, b'{"n": 5}')
    assert await wait_for(lambda: first_calls == [5])
    await broker.stop()  # the handler is cancelled after the graceful timeout; nothing was committed

    second_calls: list[int] = []

    async def finishes(msg: Ping) -> None:
        second_calls.append(msg.n)

    broker, _ = await start_consumer(kafka_bootstrap, topic, finishes)
    try:
        assert await wait_for(lambda: second_calls == [5], timeout_s=40)
    finally:
        await broker.stop()


async def test_graceful_stop_finishes_the_message_in_flight_and_commits_it(kafka_bootstrap: str) -> None:
    """SIGTERM -> broker.stop(): the handler in flight finishes (within the graceful timeout), its
    output is published and its offset committed, so the next consumer does not see it again."""
    import asyncio

    topic = unique_topic("graceful")
    started: list[int] = []

    async def slow(msg: Ping) -> list[Outgoing]:
        started.append(msg.n)
        await asyncio.sleep(1.5)
        return [Outgoing(f"{topic}.out", Ping(n=msg.n + 100), key="k")]

    broker, stats = await start_consumer(kafka_bootstrap, topic, slow)
    await produce(kafka_bootstrap, topic, b'{"n": 1}')
    assert await wait_for(lambda: started == [1])
    await broker.stop()
    assert stats.handled == 1
    out = await read_records(kafka_bootstrap, f"{topic}.out", count=1)
    assert [Ping.model_validate_json(r.value).n for r in out] == [101]

    again: list[int] = []

    async def record(msg: Ping) -> None:
        again.append(msg.n)

    broker, _ = await start_consumer(kafka_bootstrap, topic, record)
    try:
        await produce(kafka_bootstrap, topic, b'{"n": 2}')
        assert await wait_for(lambda: again == [2], timeout_s=40)
    finally:
        await broker.stop()


async def test_an_output_over_the_size_limit_is_refused_before_anything_is_sent(kafka_bootstrap: str) -> None:
    topic = unique_topic("toolarge")

    class Blob(BaseModel):
        pad: str

    async def handle(msg: Ping) -> list[Outgoing]:
        return [
            Outgoing(f"{topic}.out", Ping(n=msg.n), key="k"),
            Outgoing(f"{topic}.out", Blob(pad="x" * 5000), key="k"),
        ]

    broker, stats = await start_consumer(kafka_bootstrap, topic, handle, max_bytes=2000)
    try:
        await produce(kafka_bootstrap, topic, b'{"n": 7}')
        dead = letters(await read_records(kafka_bootstrap, topics.dead_letter(topic), count=1))
        assert "Blob" in dead[0]["error"] and "nothing was sent" in dead[0]["error"] and dead[0]["attempts"] == 1
        assert await read_records(kafka_bootstrap, f"{topic}.out", count=1, timeout_s=3) == []
    finally:
        await broker.stop()


async def test_a_retry_after_a_partial_publish_does_not_republish(kafka_bootstrap: str) -> None:
    topic = unique_topic("partial")
    calls = 0

    async def handle(msg: Ping) -> list[Outgoing]:
        nonlocal calls
        calls += 1
        return [Outgoing(f"{topic}.out", Ping(n=msg.n * 10 + k), key="k") for k in range(3)]

    broker, stats = await start_consumer(kafka_bootstrap, topic, handle)
    bus_publish = Bus.publish
    failures = iter([False, True])  # the second publish fails once, as a broker timeout would

    async def flaky(self, topic_: str, message: BaseModel, *, key: str, payload: bytes | None = None) -> None:
        if next(failures, False):
            raise ConnectionError("broker timed out")
        await bus_publish(self, topic_, message, key=key, payload=payload)

    Bus.publish = flaky  # type: ignore[method-assign]
    try:
        await produce(kafka_bootstrap, topic, b'{"n": 4}')
        assert await wait_for(lambda: stats.handled == 1, timeout_s=30)
        out = await read_records(kafka_bootstrap, f"{topic}.out", count=10, timeout_s=5)
        assert sorted(Ping.model_validate_json(r.value).n for r in out) == [40, 41, 42]  # each once
        assert calls == 1 and stats.retried == 1
    finally:
        Bus.publish = bus_publish  # type: ignore[method-assign]
        await broker.stop()
