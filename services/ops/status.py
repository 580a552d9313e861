"""`paperverdict status` (pure: no I/O): the services' readiness, each consumer group's lag, the
dead letters per topic, the papers in flight and the measurement cache's hit rate, as one JSON
object and as one screen of text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class ServiceState:
    name: str
    url: str
    ready: bool
    detail: str  # the failed checks, or why /readyz could not be read
    waiting: tuple[str, ...] = ()  # "waiting for arXiv since 22:19 (7 tries), next in 64 s", per upstream


def service_state(
    name: str, url: str, status: int | None, body: dict[str, Any] | None, error: str = ""
) -> ServiceState:
    if status is None or body is None:
        return ServiceState(name, url, False, error or "no answer")
    failed = [f"{c['name']}: {c['detail']}" for c in body.get("checks", []) if not c.get("ok")]
    waiting = tuple(str(w.get("text", "")) for w in body.get("waiting") or [] if isinstance(w, dict))
    return ServiceState(name, url, bool(body.get("ready")) and status == 200, "; ".join(failed), waiting)


def cache_counts(metrics_text: str) -> tuple[int, int]:
    """(hits, misses) of the measurement cache from an evaluator's /metrics."""
    hits = misses = 0.0
    for family in text_string_to_metric_families(metrics_text):
        if family.name != "paperverdict_measurement_cache":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                if sample.labels.get("result") == "hit":
                    hits += sample.value
                elif sample.labels.get("result") == "miss":
                    misses += sample.value
    return int(hits), int(misses)


def in_flight(progress: Iterable[tuple[str, int | None, int]]) -> list[str]:
    """Papers ingested but without every claim's POST verdict (or not yet extracted)."""
    return sorted(key for key, expected, done in progress if expected is None or done < expected)


def status_json(
    services: Sequence[ServiceState],
    lags: Sequence[tuple[str, str, int]],
    dlq: dict[str, int],
    papers: Sequence[str],
    cache: tuple[int, int] | None,
) -> dict[str, Any]:
    hits, misses = cache or (0, 0)
    return {
        "services": [
            {
                "name": s.name,
                "ready": s.ready,
                "metrics_url": f"{s.url}/metrics",
                "detail": s.detail,
                "waiting": list(s.waiting),
            }
            for s in services
        ],
        "consumer_groups": [{"group": g, "topic": t, "lag": lag} for g, t, lag in lags],
        "dlq": dict(dlq),
        "papers_in_flight": len(papers),
        "papers_in_flight_ids": list(papers[:50]),
        "measurement_cache": {
            "hits": hits,
            "misses": misses,
            "hit_rate": round(hits / (hits + misses), 4) if cache and hits + misses else None,
        },
    }


def status_text(status: dict[str, Any]) -> str:
    lines = ["services"]
    for s in status["services"]:
        mark = "ready    " if s["ready"] else "NOT READY"
        lines.append(f"  {s['name']:10} {mark}  {s['metrics_url']}" + (f"  ({s['detail']})" if s["detail"] else ""))
        lines.extend(f"  {s['name']}: {text}" for text in s.get("waiting", ()))
    lines.append("consumer groups (lag = messages not yet handled)")
    for g in status["consumer_groups"]:
        lines.append(f"  {g['group']:36} {g['topic']:40} {g['lag']:>7}")
    lines.append("dead letters")
    for topic, count in status["dlq"].items():
        lines.append(f"  {topic:45} {count:>7}")
    ids = status["papers_in_flight_ids"]
    lines.append(f"papers in flight: {status['papers_in_flight']}" + (f"  ({', '.join(ids[:10])})" if ids else ""))
    cache = status["measurement_cache"]
    rate = "n/a" if cache["hit_rate"] is None else f"{cache['hit_rate']:.1%}"
    lines.append(f"measurement cache: {cache['hits']} hits, {cache['misses']} misses, hit rate {rate}")
    return "\n".join(lines)
