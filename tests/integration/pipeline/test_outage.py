"""An upstream outage waits, on the real Kafka: the partition is paused and the message comes back by
itself, in order, after the outage, with no dead letter and the consumer still in its group; only a
message past the horizon is dead-lettered."""

from __future__ import annotations

import time

from shared import topics
from shared.bus import Outgoing
from shared.errors import UpstreamUnavailable
from shared.outage import OutagePolicy, summarize
from tests.integration.pipeline.kafka_helpers import (
    Ping,
    letters,
    produce,
    read_records,
    start_consumer,
    unique_topic,
    wait_for,
)


async def test_an_outage_longer_than_max_poll_interval_is_waited_out_in_order(kafka_bootstrap: str) -> None:
    topic = unique_topic("outage")
    outage_until = [float("inf")]
    calls: list[int] = []

    async def handle(msg: Ping) -> list[Outgoing]:
        calls.append(msg.n)
        if time.monotonic() < outage_until[0]:
            raise UpstreamUnavailable("arXiv", "arXiv answered 503 for http://127.0.0.1/api/query", None)
        return [Outgoing(f"{topic}.out", Ping(n=msg.n * 10), key="k")]

    broker, stats = await start_consumer(
        kafka_bootstrap,
        topic,
        handle,
        outage=OutagePolicy(horizon_s=600, backoff_s=0.2, max_backoff_s=1.0),
        max_poll_interval_ms=6000,  # the outage below lasts longer: only polling keeps the consumer in
    )
    try:
        consumer = broker.subscribers[0].consumer
        await produce(kafka_bootstrap, topic, b'{"n": 1}')
        await produce(kafka_bootstrap, topic, b'{"n": 2}')
        assert await wait_for(lambda: len(calls) >= 3, timeout_s=30)
        generation = consumer._coordinator.generation
        outage_until[0] = time.monotonic() + 10.0
        assert await wait_for(lambda: bool(stats.waits), timeout_s=5)
        [waiting] = summarize(stats.waits.values())
        assert waiting["service"] == "arXiv" and waiting["messages"] == 1 and waiting["tries"] >= 3
        assert waiting["text"].startswith("waiting for arXiv since ")
        assert await wait_for(lambda: stats.handled == 2, timeout_s=40)
        out = await read_records(kafka_bootstrap, f"{topic}.out", count=2)
        assert [Ping.model_validate_json(r.value).n for r in out] == [10, 20]  # in order: n=2 waited behind n=1
        assert set(calls[: calls.index(2)]) == {1}
        assert stats.dead_lettered == 0 and not stats.waits
        assert consumer._coordinator.generation == generation  # no rebalance: it never left its group
        assert 8 <= calls.count(1) <= 30  # backed off (0.2 s doubling to 1 s), not spinning
    finally:
        await broker.stop()
    assert await read_records(kafka_bootstrap, topics.dead_letter(topic), count=1, timeout_s=2) == []


async def test_past_the_horizon_the_message_is_dead_lettered(kafka_bootstrap: str) -> None:
    topic = unique_topic("horizon")

    async def handle(msg: Ping) -> None:
        raise UpstreamUnavailable("the Hugging Face Hub", "Hub answered 429", 0.1)

    broker, stats = await start_consumer(
        kafka_bootstrap, topic, handle, outage=OutagePolicy(horizon_s=2.0, backoff_s=0.2, max_backoff_s=0.5)
    )
    try:
        await produce(kafka_bootstrap, topic, b'{"n": 1}')
        assert await wait_for(lambda: stats.dead_lettered == 1, timeout_s=30)
        [dead] = letters(await read_records(kafka_bootstrap, topics.dead_letter(topic), count=1))
        assert dead["stage"] == "handle" and dead["attempts"] >= 3
        assert "the Hugging Face Hub unavailable for 2 s (PV_KAFKA_OUTAGE_HORIZON_S): Hub answered 429" in dead["error"]
        assert not stats.waits
    finally:
        await broker.stop()
