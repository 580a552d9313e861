"""Waiting out an upstream outage (pure: no I/O, unit-tested).

When a handler raises `shared.errors.UpstreamUnavailable` (arXiv or the Hub unreachable, timing out,
answering 5xx or 429), the message is fine and its upstream is not: the consumer pauses the
partition, rewinds to the message and comes back after `OutagePolicy.delay` (exponential with jitter,
at least the upstream's Retry-After), for as long as `horizon_s` since the first failure. Only past
the horizon is the message dead-lettered. `UpstreamWait` is what `/readyz` and `paperverdict status`
show meanwhile ("waiting for arXiv since 22:19 (7 tries), next in 64 s").
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutagePolicy:
    horizon_s: float = 6 * 3600.0
    backoff_s: float = 1.0
    max_backoff_s: float = 300.0

    def delay(self, tries: int, retry_after_s: float | None, rand: Callable[[], float] = random.random) -> float:
        """The wait before try `tries + 1`: base * 2^(tries-1), capped, with half of it jittered (so
        consumers that failed together do not come back together), and never below Retry-After."""
        exponential = min(self.max_backoff_s, self.backoff_s * 2.0 ** max(0, tries - 1))
        jittered = exponential * (0.5 + 0.5 * rand())
        return max(jittered, min(retry_after_s or 0.0, self.horizon_s))


@dataclass
class UpstreamWait:
    """One message waiting for its upstream."""

    service: str
    since: float  # time.time() of the first failure
    tries: int
    next_at: float  # time.time() of the next try
    error: str

    def past_horizon(self, policy: OutagePolicy, now: float) -> bool:
        return now - self.since >= policy.horizon_s


def record_failure(
    current: UpstreamWait | None,
    service: str,
    error: str,
    retry_after_s: float | None,
    policy: OutagePolicy,
    now: float,
    rand: Callable[[], float] = random.random,
) -> tuple[UpstreamWait, float]:
    """The wait after one more failed try, and the delay until the next try (clipped to the horizon)."""
    since = current.since if current is not None else now
    tries = (current.tries if current is not None else 0) + 1
    delay = policy.delay(tries, retry_after_s, rand)
    delay = max(0.0, min(delay, since + policy.horizon_s - now))
    return UpstreamWait(service, since, tries, now + delay, error[:500]), delay


def summarize(waits: Iterable[UpstreamWait], now: float | None = None) -> list[dict[str, Any]]:
    """One entry per upstream: since the oldest wait, the most tries, the soonest next try."""
    now = time.time() if now is None else now
    by_service: dict[str, list[UpstreamWait]] = {}
    for w in waits:
        by_service.setdefault(w.service, []).append(w)
    out = []
    for service, group in sorted(by_service.items()):
        since = min(w.since for w in group)
        tries = max(w.tries for w in group)
        next_in = max(0.0, min(w.next_at for w in group) - now)
        out.append(
            {
                "service": service,
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)),
                "tries": tries,
                "next_in_s": round(next_in, 1),
                "messages": len(group),
                "error": group[-1].error,
                "text": f"waiting for {service} since {time.strftime('%H:%M', time.localtime(since))} "
                f"({tries} {'try' if tries == 1 else 'tries'}), next in {next_in:.0f} s",
            }
        )
    return out
