"""Waiting out an upstream outage: the backoff, the horizon, and what /readyz and `status` say."""

from __future__ import annotations

import time

from services.ingestor.adapters import ArxivUnavailable
from services.ops.status import service_state, status_json, status_text
from shared.errors import TransientError, UpstreamUnavailable
from shared.outage import OutagePolicy, UpstreamWait, record_failure, summarize
from shared.readiness import SubscriptionState, readiness

POLICY = OutagePolicy(horizon_s=6 * 3600, backoff_s=1.0, max_backoff_s=300.0)


def test_the_default_horizon_is_at_least_six_hours() -> None:
    from shared.settings import KafkaSettings

    assert KafkaSettings().outage_horizon_s >= 6 * 3600
    assert OutagePolicy().horizon_s >= 6 * 3600


def test_backoff_doubles_with_jitter_up_to_the_cap_and_honours_retry_after() -> None:
    low = [POLICY.delay(n, None, rand=lambda: 0.0) for n in range(1, 12)]
    high = [POLICY.delay(n, None, rand=lambda: 1.0) for n in range(1, 12)]
    assert high == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert low == [h / 2 for h in high]  # jitter: anywhere in the upper half
    assert POLICY.delay(1, 90.0, rand=lambda: 1.0) == 90.0  # Retry-After wins over a shorter backoff


def test_waits_accumulate_and_are_clipped_to_the_horizon() -> None:
    policy = OutagePolicy(horizon_s=100.0, backoff_s=30.0, max_backoff_s=300.0)
    wait, delay = record_failure(None, "arXiv", "503", None, policy, now=1000.0, rand=lambda: 1.0)
    assert (wait.since, wait.tries, delay, wait.next_at) == (1000.0, 1, 30.0, 1030.0)
    wait, delay = record_failure(wait, "arXiv", "503", None, policy, now=1030.0, rand=lambda: 1.0)
    assert (wait.since, wait.tries, delay) == (1000.0, 2, 60.0)
    wait, delay = record_failure(wait, "arXiv", "503", None, policy, now=1090.0, rand=lambda: 1.0)
    assert (wait.tries, delay) == (3, 10.0)  # the next try is the last, at the horizon
    assert not wait.past_horizon(policy, 1099.0) and wait.past_horizon(policy, 1100.0)


def test_summary_and_status_line() -> None:
    now = time.time()
    waits = [
        UpstreamWait("arXiv", now - 300, 7, now + 64, "arXiv answered 503"),
        UpstreamWait("arXiv", now - 100, 3, now + 80, "arXiv answered 503"),
    ]
    [entry] = summarize(waits, now)
    hhmm = time.strftime("%H:%M", time.localtime(now - 300))
    assert entry["text"] == f"waiting for arXiv since {hhmm} (7 tries), next in 64 s"
    assert (entry["tries"], entry["messages"], entry["next_in_s"]) == (7, 2, 64.0)
    state = service_state("ingestor", "http://h:8101", 200, {"ready": True, "checks": [], "waiting": [entry]})
    text = status_text(status_json([state], [], {}, [], None))
    assert f"  ingestor: waiting for arXiv since {hhmm} (7 tries), next in 64 s" in text.splitlines()


def test_a_paused_subscription_waiting_for_its_upstream_is_ready() -> None:
    waiting = SubscriptionState("t", "g", True, 1, 900.0, None, 300.0, 0, "waiting for arXiv since 22:19 (7 tries)")
    stuck = SubscriptionState("t", "g", True, 1, 900.0, None, 300.0, 0)
    assert readiness(True, [waiting], stale_poll_s=60).ready
    assert readiness(True, [waiting], stale_poll_s=60).checks[1].detail.startswith("waiting for arXiv")
    assert not readiness(True, [stuck], stale_poll_s=60).ready


def test_arxiv_and_hub_outages_share_one_type() -> None:
    exc = ArxivUnavailable("arXiv answered 503", 30.0)
    assert isinstance(exc, UpstreamUnavailable) and isinstance(exc, TransientError)
    assert (exc.service, exc.retry_after_s, str(exc)) == ("arXiv", 30.0, "arXiv answered 503")
