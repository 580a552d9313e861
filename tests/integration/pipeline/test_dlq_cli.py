"""`paperverdict dlq list` and `dlq replay` against the real Kafka: a message that failed while its
cause was present is listed with its error; once the cause is fixed, replaying it brings it through,
and replaying again changes nothing downstream that an idempotent consumer would see twice."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from pydantic import BaseModel

from shared import topics
from shared.admin import ensure_topics
from shared.bus import Bus, Outgoing, make_broker
from shared.consumer import RetryPolicy, consume
from shared.errors import PermanentError
from shared.settings import KafkaSettings
from tests.integration.pipeline.kafka_helpers import produce, read_records, unique_topic, wait_for
from tests.paths import ROOT

pytestmark = pytest.mark.timeout(180)


class Ping(BaseModel):
    n: int


async def _cli(kafka_bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PV_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli.main", "dlq", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_failed_message_is_listed_then_replayed_once_its_cause_is_fixed(kafka_bootstrap: str) -> None:
    topic = unique_topic("replay")
    out = f"{topic}.out"
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    await ensure_topics(settings, [topic, topics.dead_letter(topic), out], partitions=1)
    broken = {"yes": True}
    handled: list[int] = []

    async def handle(msg: Ping) -> list[Outgoing]:
        if broken["yes"]:
            raise PermanentError(f"paper {msg.n} is not on arXiv yet")
        handled.append(msg.n)
        return [Outgoing(out, msg, key=str(msg.n))]

    broker = make_broker(settings, service="test", graceful_timeout=5.0)
    bus = Bus(broker, service="test")
    stats = consume(
        broker,
        topic,
        bus=bus,
        group_id=f"g-{topic}",
        decode=Ping.model_validate_json,
        handler=handle,
        settings=settings,
        retry=RetryPolicy(attempts=2, backoff_s=0.05),
    )
    await broker.start()
    try:
        await produce(kafka_bootstrap, topic, b'{"n": 41}', key=b"k41", headers=[("correlation_id", b"c-41")])
        assert await wait_for(lambda: stats.dead_lettered == 1)

        listed = await _cli(kafka_bootstrap, "list", topic, "--json")
        assert listed.returncode == 0, listed.stderr
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert len(rows) == 1
        row = rows[0]
        assert (row["topic"], row["key"], row["stage"], row["error_type"]) == (topic, "k41", "handle", "PermanentError")
        assert "not on arXiv yet" in row["error"] and row["original_size"] == len(b'{"n": 41}')
        text = await _cli(kafka_bootstrap, "list", topics.dead_letter(topic))
        assert "not on arXiv yet" in text.stdout and "1 dead letter(s)" in text.stderr

        refused = await _cli(kafka_bootstrap, "replay", topic)
        assert refused.returncode == 2 and "--offset N" in refused.stderr

        broken["yes"] = False  # the cause is fixed
        replayed = await _cli(kafka_bootstrap, "replay", topic, "--offset", str(row["offset"]))
        assert replayed.returncode == 0, replayed.stderr
        assert json.loads(replayed.stdout)["to"] == topic
        assert await wait_for(lambda: handled == [41])
        record = (await read_records(kafka_bootstrap, out, count=1))[0]
        assert json.loads(record.value) == {"n": 41} and record.key == b"41"

        again = await _cli(kafka_bootstrap, "replay", topic, "--all")
        assert again.returncode == 0
        assert await wait_for(lambda: handled == [41, 41])  # delivered again; ids make it idempotent downstream
        original = await read_records(kafka_bootstrap, topic, count=3)
        assert [dict(r.headers).get("correlation_id") for r in original] == [b"c-41"] * 3
        assert dict(original[1].headers)["x-replayed-from"] == f"{topics.dead_letter(topic)}/0/{row['offset']}".encode()
    finally:
        await broker.stop()
