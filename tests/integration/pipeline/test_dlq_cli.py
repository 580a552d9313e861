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

from shared import topics
from shared.bus import Outgoing
from shared.consumer import RetryPolicy
from shared.errors import PermanentError
from tests.integration.pipeline.kafka_helpers import Ping, produce, read_records, start_consumer, unique_topic, wait_for
from tests.paths import ROOT

pytestmark = pytest.mark.timeout(180)


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
    broken = {"yes": True}
    handled: list[int] = []

    async def handle(msg: Ping) -> list[Outgoing]:
        if broken["yes"]:
            raise PermanentError(f"paper {msg.n} is not on arXiv yet")
        handled.append(msg.n)
        return [Outgoing(out, msg, key=str(msg.n))]

    broker, stats = await start_consumer(kafka_bootstrap, topic, handle, retry=RetryPolicy(attempts=2, backoff_s=0.05))
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
