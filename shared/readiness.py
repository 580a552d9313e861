"""When a service is ready: pure rules over what its consumers report (no I/O, unit-tested).

Ready means the broker answered, and every subscription has partitions assigned and is either busy
with a message (for less than its max poll interval) or has fetched from Kafka recently. A consumer
that has done neither for `stale_poll_s` is stuck, and the service is not ready. A subscription whose
partition is paused while a message waits for its upstream (arXiv, the Hub) is ready: the service is
healthy, its upstream is not (shared/outage.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SubscriptionState:
    topic: str
    group_id: str
    started: bool
    assigned: int  # partitions assigned to this instance
    last_fetch_s_ago: float | None  # since the consumer last fetched from any assigned partition
    busy_s: float | None  # how long the handler has been on the current message, None when idle
    max_busy_s: float  # max.poll.interval: past it, the broker considers the consumer gone
    lag: int | None = None  # records on assigned partitions not yet handed to the handler
    waiting: str | None = None  # "waiting for arXiv since 22:19 (7 tries), next in 64 s"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Readiness:
    ready: bool
    checks: list[Check] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)  # shared.outage.summarize, per upstream

    def as_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "checks": [asdict(c) for c in self.checks], "waiting": self.waiting}


def subscription_check(state: SubscriptionState, *, stale_poll_s: float) -> Check:
    name = f"{state.group_id}:{state.topic}"
    if not state.started:
        return Check(name, False, "consumer not started")
    if state.assigned == 0:
        return Check(name, False, "no partitions assigned (joining the group, or more instances than partitions)")
    if state.busy_s is not None:
        if state.busy_s > state.max_busy_s:
            return Check(name, False, f"handler busy for {state.busy_s:.0f}s, past max.poll.interval")
        return Check(name, True, f"handling a message for {state.busy_s:.0f}s")
    if state.waiting:
        return Check(name, True, state.waiting)
    if state.last_fetch_s_ago is None:
        return Check(name, False, "no fetch from Kafka yet")
    if state.last_fetch_s_ago > stale_poll_s:
        return Check(name, False, f"no fetch for {state.last_fetch_s_ago:.0f}s (stuck consumer)")
    return Check(name, True, f"{state.assigned} partition(s), fetched {state.last_fetch_s_ago:.1f}s ago")


def readiness(broker_ok: bool, states: list[SubscriptionState], *, stale_poll_s: float) -> Readiness:
    checks = [Check("broker", broker_ok, "reachable" if broker_ok else "unreachable")]
    checks += [subscription_check(s, stale_poll_s=stale_poll_s) for s in states]
    if not states:
        checks.append(Check("subscriptions", False, "no subscriptions registered"))
    return Readiness(all(c.ok for c in checks), checks)
