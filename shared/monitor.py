"""Health and metrics of one running service: which subscriptions it has, what their aiokafka
consumers report, and the HTTP endpoints over them.

    GET /livez    200 while the event loop answers
    GET /readyz   200 or 503, JSON: broker reachable, partitions assigned, consumer fetched recently
                  (or busy with a message for less than max.poll.interval): see shared/readiness.py
    GET /metrics  Prometheus text (shared/metrics.py + FastStream's middleware)
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faststream.asgi import AsgiResponse, get

from shared.metrics import CONTENT_TYPE, Metrics
from shared.outage import summarize
from shared.readiness import Readiness, SubscriptionState, readiness


@dataclass
class Watched:
    topic: str
    group_id: str
    subscriber: Any  # FastStream's Kafka subscriber: `.consumer` is the aiokafka consumer once started
    stats: Any  # shared.consumer.ConsumerStats
    max_busy_s: float


class Monitor:
    def __init__(self, service: str, metrics: Metrics | None = None, *, stale_poll_s: float = 60.0) -> None:
        self.service = service
        self.metrics = metrics or Metrics(service)
        self.stale_poll_s = stale_poll_s
        self.watched: list[Watched] = []

    def watch(self, topic: str, group_id: str, subscriber: Any, stats: Any, *, max_busy_s: float) -> None:
        self.watched.append(Watched(topic, group_id, subscriber, stats, max_busy_s))

    async def states(self) -> list[SubscriptionState]:
        return [await self._state(w) for w in self.watched]

    async def _state(self, w: Watched) -> SubscriptionState:
        consumer = getattr(w.subscriber, "consumer", None)
        busy_since = w.stats.busy_since
        busy_s = None if busy_since is None else time.monotonic() - busy_since
        waiting = "; ".join(x["text"] for x in summarize(getattr(w.stats, "waits", {}).values())) or None
        if consumer is None:
            return SubscriptionState(w.topic, w.group_id, False, 0, None, busy_s, w.max_busy_s, waiting=waiting)
        partitions = list(consumer.assignment())
        now_ms = time.time() * 1000
        fetched = [t for t in (consumer.last_poll_timestamp(tp) for tp in partitions) if t]
        lag = 0
        for tp in partitions:
            partition_lag = await self._lag(consumer, tp)
            if partition_lag is not None:
                self.metrics.lag.labels(w.group_id, tp.topic, str(tp.partition)).set(partition_lag)
                lag += partition_lag
        return SubscriptionState(
            w.topic,
            w.group_id,
            True,
            len(partitions),
            (now_ms - max(fetched)) / 1000 if fetched else None,
            busy_s,
            w.max_busy_s,
            lag,
            waiting,
        )

    @staticmethod
    async def _lag(consumer: Any, tp: Any) -> int | None:
        highwater = consumer.highwater(tp)
        if highwater is None:
            return None
        try:  # the position is local once known; do not wait on an offset reset
            position = await asyncio.wait_for(consumer.position(tp), timeout=0.5)
        except Exception:  # noqa: BLE001 - unassigned in between, or not known yet
            return None
        return max(0, int(highwater) - int(position))

    async def readiness(self, broker: Any) -> Readiness:
        try:
            broker_ok = bool(await broker.ping(timeout=2.0))
        except Exception:  # noqa: BLE001 - unreachable is an answer, not an error
            broker_ok = False
        result = readiness(broker_ok, await self.states(), stale_poll_s=self.stale_poll_s)
        result.waiting = summarize(wait for w in self.watched for wait in getattr(w.stats, "waits", {}).values())
        return result

    def routes(self, broker: Any) -> Sequence[tuple[str, Any]]:
        @get(include_in_schema=False)
        async def livez(scope: Any) -> AsgiResponse:
            return AsgiResponse(b'{"live": true}', 200, headers={"content-type": "application/json"})

        @get(include_in_schema=False)
        async def readyz(scope: Any) -> AsgiResponse:
            result = await self.readiness(broker)
            body = json.dumps({"service": self.service, **result.as_json()}).encode()
            return AsgiResponse(body, 200 if result.ready else 503, headers={"content-type": "application/json"})

        @get(include_in_schema=False)
        async def metrics(scope: Any) -> AsgiResponse:
            await self.states()  # refreshes the lag gauges
            return AsgiResponse(self.metrics.render(), 200, headers={"content-type": CONTENT_TYPE})

        return [("/livez", livez), ("/readyz", readyz), ("/metrics", metrics)]
