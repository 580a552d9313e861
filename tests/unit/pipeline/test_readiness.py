"""Readiness rules (shared/readiness.py) and the /livez, /readyz, /metrics endpoints of a service."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shared.consumer import ConsumerStats
from shared.monitor import Monitor
from shared.readiness import SubscriptionState, readiness


def state(**changes: Any) -> SubscriptionState:
    base: dict[str, Any] = {
        "topic": "t",
        "group_id": "g",
        "started": True,
        "assigned": 3,
        "last_fetch_s_ago": 0.5,
        "busy_s": None,
        "max_busy_s": 3600.0,
    }
    return SubscriptionState(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "ready", "detail"),
    [
        ({}, True, "fetched 0.5s ago"),
        ({"started": False}, False, "not started"),
        ({"assigned": 0}, False, "no partitions assigned"),
        ({"last_fetch_s_ago": None}, False, "no fetch"),
        ({"last_fetch_s_ago": 600.0}, False, "stuck consumer"),
        ({"last_fetch_s_ago": 600.0, "busy_s": 300.0}, True, "handling a message for 300s"),
        ({"busy_s": 4000.0}, False, "past max.poll.interval"),
    ],
)
def test_a_subscription_is_ready_only_when_assigned_and_fetching_or_busy(
    changes: dict[str, Any], ready: bool, detail: str
) -> None:
    result = readiness(True, [state(**changes)], stale_poll_s=60.0)
    assert result.ready is ready
    assert detail in result.checks[1].detail


def test_an_unreachable_broker_or_no_subscriptions_is_not_ready() -> None:
    assert not readiness(False, [state()], stale_poll_s=60).ready
    assert not readiness(True, [], stale_poll_s=60).ready


class FakeConsumer:
    """What aiokafka's consumer reports: assignment, highwater, position, last fetch."""

    def __init__(self, partitions: dict[int, tuple[int, int]], fetched_ms: float) -> None:
        from aiokafka import TopicPartition

        self.tps = {TopicPartition("t", p): hw_pos for p, hw_pos in partitions.items()}
        self.fetched_ms = fetched_ms

    def assignment(self) -> set[Any]:
        return set(self.tps)

    def highwater(self, tp: Any) -> int:
        return self.tps[tp][0]

    async def position(self, tp: Any) -> int:
        return self.tps[tp][1]

    def last_poll_timestamp(self, tp: Any) -> float:
        return self.fetched_ms


class FakeSubscriber:
    def __init__(self, consumer: FakeConsumer | None) -> None:
        self.consumer = consumer


class FakeBroker:
    def __init__(self, ok: bool) -> None:
        self.ok = ok

    async def ping(self, timeout: float | None = None) -> bool:
        return self.ok


async def _get(monitor: Monitor, broker: FakeBroker, path: str) -> httpx.Response:
    routes = dict(monitor.routes(broker))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await routes[scope["path"]](scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        return await client.get(path)


async def test_the_endpoints_report_readiness_lag_and_our_counters() -> None:
    import time

    monitor = Monitor("validator")
    stats = ConsumerStats()
    consumer = FakeConsumer({0: (10, 7), 1: (5, 5)}, fetched_ms=time.time() * 1000)
    monitor.watch("t", "g", FakeSubscriber(consumer), stats, max_busy_s=3600)
    monitor.metrics.dead_letters.labels("t").inc()

    assert (await _get(monitor, FakeBroker(True), "/livez")).status_code == 200
    ready = await _get(monitor, FakeBroker(True), "/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    down = await _get(monitor, FakeBroker(False), "/readyz")
    assert down.status_code == 503 and json.loads(down.text)["checks"][0] == {
        "name": "broker",
        "ok": False,
        "detail": "unreachable",
    }
    metrics = (await _get(monitor, FakeBroker(True), "/metrics")).text
    assert 'paperverdict_consumer_lag{group="g",partition="0",topic="t"} 3.0' in metrics
    assert 'paperverdict_consumer_lag{group="g",partition="1",topic="t"} 0.0' in metrics
    assert 'paperverdict_dead_letters_total{topic="t"} 1.0' in metrics


async def test_a_stuck_consumer_makes_the_service_unready() -> None:
    monitor = Monitor("evaluator", stale_poll_s=60)
    monitor.watch("t", "g", FakeSubscriber(FakeConsumer({0: (1, 0)}, fetched_ms=1.0)), ConsumerStats(), max_busy_s=3600)
    monitor.watch("u", "h", FakeSubscriber(None), ConsumerStats(), max_busy_s=3600)
    body = (await _get(monitor, FakeBroker(True), "/readyz")).json()
    assert body["ready"] is False
    assert [c["ok"] for c in body["checks"]] == [True, False, False]
    assert "stuck consumer" in body["checks"][1]["detail"] and "not started" in body["checks"][2]["detail"]
