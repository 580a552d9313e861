"""`paperverdict dlq list|replay` and `paperverdict status`: the I/O around services/ops/ (Kafka,
MongoDB, the services' /readyz and /metrics)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Optional

import typer

dlq_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Dead letters: list them, replay them.")


def _bootstrap() -> str:
    from shared.settings import KafkaSettings

    return KafkaSettings().bootstrap_servers


def _dlq_topics(topic: str | None) -> list[str]:
    from services.ops.dlq import dlq_topic_of
    from shared import topics

    return [dlq_topic_of(topic)] if topic else [topics.dead_letter(t) for t in topics.ALL]


async def _rows(names: list[str], limit: int) -> list[Any]:
    from services.ops.dlq import row
    from services.ops.kafka import read_topic

    rows = []
    for name in names:
        for r in await read_topic(_bootstrap(), name, limit=limit):
            rows.append(row(name, r.partition, r.offset, r.value))
    return rows


@dlq_app.command("list")
def dlq_list(
    topic: Optional[str] = typer.Argument(None, help="a pipeline topic or its .dlq (default: every dead-letter topic)"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per dead letter"),
    limit: int = typer.Option(10_000, min=1, max=1_000_000, help="at most this many per topic"),
) -> None:
    """What sits in the dead-letter topics: error, stage, time, key, original size."""
    from services.ops.dlq import table

    rows = asyncio.run(_rows(_dlq_topics(topic), limit))
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r.summary(), ensure_ascii=False))
    else:
        typer.echo(table(rows))
        typer.echo(f"{len(rows)} dead letter(s)", err=True)


@dlq_app.command("replay")
def dlq_replay(
    topic: str = typer.Argument(..., help="a pipeline topic or its .dlq"),
    offset: Optional[int] = typer.Option(
        None, min=0, max=2**63 - 1, help="the dead letter at this offset of the .dlq topic"
    ),
    partition: Optional[int] = typer.Option(
        None, min=0, max=100_000, help="its partition, when the offset is in several"
    ),
    everything: bool = typer.Option(False, "--all", help="every dead letter of the topic"),
) -> None:
    """Send dead letters' original bytes and headers back to their topic (safe to repeat)."""
    from services.ops.dlq import ReplayRefused, replay_record, select
    from services.ops.kafka import send_records

    rows = asyncio.run(_rows(_dlq_topics(topic), 100_000))
    try:
        chosen = select(rows, offset=offset, partition=partition, everything=everything)
        records = [replay_record(r) for r in chosen]
    except ReplayRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    sent = asyncio.run(send_records(_bootstrap(), records))
    for r, (target, _, value, _) in zip(chosen, records, strict=True):
        typer.echo(
            json.dumps({"replayed": f"{r.dlq_topic}/{r.partition}/{r.offset}", "to": target, "bytes": len(value)})
        )
    typer.echo(f"{sent} message(s) replayed", err=True)


async def _readiness(name: str, url: str) -> Any:
    import httpx

    from services.ops.status import service_state

    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(f"{url}/readyz")
        return service_state(name, url, response.status_code, response.json())
    except (httpx.HTTPError, ValueError) as exc:
        return service_state(name, url, None, None, f"{type(exc).__name__}: {exc}"[:200])


async def _cache(urls: list[str]) -> tuple[int, int] | None:
    import httpx

    from services.ops.status import cache_counts

    totals, seen = [0, 0], False
    async with httpx.AsyncClient(timeout=3.0) as client:
        for url in urls:
            try:
                hits, misses = cache_counts((await client.get(f"{url}/metrics")).text)
            except httpx.HTTPError:
                continue
            totals[0] += hits
            totals[1] += misses
            seen = True
    return (totals[0], totals[1]) if seen else None


async def _papers() -> list[str]:
    from services.ops.status import in_flight
    from services.publisher.store import PublisherStore
    from shared.mongo import mongo_client
    from shared.settings import MongoSettings

    settings = MongoSettings()
    client = mongo_client(settings)
    try:
        return in_flight(await PublisherStore(client[settings.database]).progress())
    finally:
        client.close()


async def _status() -> dict[str, Any]:
    from services.ops.kafka import group_lags, record_counts
    from services.ops.status import status_json
    from shared import topics
    from shared.settings import StatusSettings

    endpoints = StatusSettings().endpoints()
    services = await asyncio.gather(*(_readiness(name, url) for name, url in endpoints))
    lags = await group_lags(_bootstrap())
    dlq = await record_counts(_bootstrap(), [topics.dead_letter(t) for t in topics.ALL])
    cache = await _cache([url for name, url in endpoints if name.startswith("evaluator")])
    return status_json(services, lags, dlq, await _papers(), cache)


def status(as_json: bool = typer.Option(False, "--json", help="one JSON object")) -> None:
    """Each service's readiness, consumer lag, dead letters, papers in flight, cache hit rate.
    Exit 0 when every service is ready, 1 otherwise."""
    from services.ops.status import status_text

    result = asyncio.run(_status())
    typer.echo(json.dumps(result, indent=2) if as_json else status_text(result))
    raise typer.Exit(0 if all(s["ready"] for s in result["services"]) else 1)
