"""`PublishedEvents` against the real Kafka (and FerretDB): the publisher's check, on a replay, whether
a verdict's event already went out (a publisher killed between the broker's ack and its mark)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.publisher.events import PublishedEvents
from services.publisher.handlers import Publisher
from services.publisher.store import PublisherStore
from services.validator.rules import post_verdict
from shared.admin import ensure_topics
from shared.gates import G1
from shared.models import GateOutcome
from shared.settings import KafkaSettings
from tests.integration.pipeline.kafka_helpers import produce, unique_topic
from tests.unit.verdicts import factories as f

pytestmark = pytest.mark.timeout(120)


def event(verdict_id: str) -> bytes:
    return json.dumps({"arxiv_id": "2611.00001", "verdict": {"id": verdict_id, "kind": "POST"}}).encode()


async def test_an_event_on_any_partition_is_found_and_an_absent_one_is_not(kafka_bootstrap: str) -> None:
    topic = unique_topic("published")
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    await ensure_topics(settings, [topic], partitions=3)
    events = PublishedEvents(settings, topic=topic, timeout_s=30)
    before = datetime.now(UTC)
    assert not await events.contains("v-1", before - timedelta(minutes=5))  # an empty topic
    for n in range(30):  # keys spread the events over the three partitions
        await produce(kafka_bootstrap, topic, event(f"v-{n}"), key=f"2611.{n:05d}".encode())
    await produce(kafka_bootstrap, topic, b"not json, but it names v-99")  # a stray record is skipped
    since = before - timedelta(minutes=5)
    assert await events.contains("v-0", since) and await events.contains("v-29", since)
    assert not await events.contains("v-99", since) and not await events.contains("v-3x", since)
    # an event older than the verdict's recording (less the margin) is not read at all
    await asyncio.sleep(1.1)
    assert not await events.contains("v-0", datetime.now(UTC))


async def test_a_topic_that_does_not_exist_yet_holds_no_event(kafka_bootstrap: str) -> None:
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    events = PublishedEvents(settings, topic=unique_topic("never-created"), timeout_s=10)
    assert not await events.contains("v-1", datetime.now(UTC) - timedelta(minutes=5))


class GroundedSources:
    async def check_g1(self, claim):  # type: ignore[no-untyped-def]
        return GateOutcome(gate=G1, passed=True, detail="the fixture's claim is taken as grounded")


async def test_a_publisher_killed_between_ack_and_mark_announces_the_verdict_once(
    kafka_bootstrap: str, mongo_db
) -> None:  # type: ignore[no-untyped-def]
    """Real Kafka and FerretDB: the first publisher writes the verdict and the broker acknowledges its
    event, then it dies before `mark_announced`. The restarted publisher gets the verdict again (its
    offset was never committed), finds the event on the topic, marks it, and sends nothing."""
    topic = unique_topic("announce")
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    await ensure_topics(settings, [topic], partitions=3)
    store = PublisherStore(mongo_db)
    await store.ensure_indexes()
    claim, measurement = f.claim(), f.measurement(0.47)
    msg = f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement)
    events = PublishedEvents(settings, topic=topic, timeout_s=30)

    first = await Publisher(store, GroundedSources(), events=events).on_verdict(msg)
    assert len(first) == 1
    await produce(kafka_bootstrap, topic, first[0].message.model_dump_json().encode(), key=first[0].key.encode())
    # ... acknowledged, and the process is killed here: first[0].after_sent never runs
    assert not await store.announced(msg.verdict.id)

    replay = await Publisher(store, GroundedSources(), events=events).on_verdict(msg)
    assert replay == [] and await store.announced(msg.verdict.id)

    newer = f.measurement(0.52, measurement_id="m2")
    other = f.validated(claim, post_verdict(claim, newer, now=f.NOW + timedelta(hours=1)), newer)  # never sent
    await Publisher(store, GroundedSources(), events=events).on_verdict(other)
    assert len(await Publisher(store, GroundedSources(), events=events).on_verdict(other)) == 1


async def test_a_topic_that_cannot_be_read_is_no_answer_not_a_failure(kafka_bootstrap: str) -> None:
    """Over its time limit (or with Kafka unreachable) the check says it cannot tell; the publisher then
    announces the verdict again instead of failing the message."""
    topic = unique_topic("slow")
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    await ensure_topics(settings, [topic], partitions=1)
    await produce(kafka_bootstrap, topic, event("v-1"))
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert await PublishedEvents(settings, topic=topic, timeout_s=0).contains("v-1", since) is None
    unreachable = KafkaSettings(bootstrap_servers="127.0.0.1:9")
    assert await PublishedEvents(unreachable, topic=topic, timeout_s=5).contains("v-1", since) is None
