"""The `paperverdict` command line.

    paperverdict publish 2611.00001 [more IDs]      ask the pipeline to check papers
    paperverdict watch [--from-beginning] [--arxiv ID] [--status S]   published verdicts as JSON lines
    paperverdict show 2611.00001                    the published document
    paperverdict status [--json]                    services' readiness, lag, dead letters, papers in flight
    paperverdict dlq list [TOPIC] | dlq replay TOPIC --offset N | --all
    paperverdict extract | eval loglikelihood | eval task | validate   run one stage locally
    paperverdict models refresh [--endpoint URL] [--write]   check the bundled checkpoint index against the Hub

Kafka and MongoDB come from PV_KAFKA_BOOTSTRAP_SERVERS and PV_MONGO_URL; when they are unset, from
the running local stack's .run/services.env (`make serve` / `make up`; services/cli/stack.py). An
unreachable dependency is one `error:` line and exit code 2.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import Optional

import typer

from services.cli import models as models_cmd
from services.cli import ops
from services.cli import resolve as resolve_cmd

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Check the numbers in ML papers.")
eval_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Run an evaluation locally.")
app.add_typer(eval_app, name="eval")
app.add_typer(ops.dlq_app, name="dlq")
app.add_typer(models_cmd.models_app, name="models")
app.command("status")(ops.status)
app.command("resolve")(resolve_cmd.resolve)


@app.callback()
def _find_the_stack() -> None:
    """Before every command: Kafka and MongoDB from the running local stack when not set (stack.py)."""
    from services.cli.stack import use_local_stack

    use_local_stack()


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


# ---------------------------------------------------------------- pipeline commands


@app.command()
def publish(
    arxiv_ids: list[str] = typer.Argument(..., metavar="ARXIV_ID...", help="e.g. 2611.00001 or hep-th/9901001v2"),
    force: bool = typer.Option(False, help="re-run even when this version was already ingested"),
) -> None:
    """Publish ingest requests (keyed by arXiv ID) on the ingest topic."""
    from shared.ids import InvalidArxivId, parse_arxiv_id
    from shared.messages import IngestPaper

    requests = []
    for raw in arxiv_ids:
        try:
            parsed = parse_arxiv_id(raw)
        except InvalidArxivId as exc:
            _fail(str(exc))
        requests.append(IngestPaper(arxiv_id=str(parsed), force=force, requested_by="cli"))
    asyncio.run(_publish(requests))
    for request in requests:
        typer.echo(json.dumps({"published": request.arxiv_id, "correlation_id": request.correlation_id}))


async def _publish(requests: list) -> None:
    from services.ops.kafka import send_records
    from shared import topics
    from shared.admin import ensure_topics
    from shared.headers import headers_for
    from shared.ids import parse_arxiv_id
    from shared.settings import KafkaSettings

    settings = KafkaSettings()
    # Create the topics with their partitions before the first message, not by broker auto-creation.
    await ensure_topics(settings)
    records = [
        (
            topics.INGEST_REQUESTS,
            parse_arxiv_id(request.arxiv_id).base.encode(),
            request.model_dump_json().encode(),
            headers_for(request),
        )
        for request in requests
    ]
    await send_records(settings.bootstrap_servers, records)


@app.command()
def watch(
    from_beginning: bool = typer.Option(False, "--from-beginning", help="replay every published verdict first"),
    arxiv: Optional[str] = typer.Option(None, "--arxiv", help="only this paper"),
    status: Optional[str] = typer.Option(None, "--status", help="only this status (confirmed, partial, wrong, ...)"),
    count: Optional[int] = typer.Option(
        None, "--count", min=1, max=10**9, help="exit after this many distinct verdicts"
    ),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0, max=10**7, help="exit 1 after this many seconds"),
    dedupe: bool = typer.Option(True, help="print each verdict id once (the topic is at-least-once)"),
) -> None:
    """Print published verdicts as JSON lines (a fresh consumer group per run)."""
    code = asyncio.run(_watch(from_beginning, arxiv, status, count, timeout, dedupe))
    raise typer.Exit(code)


async def _watch(
    from_beginning: bool, arxiv: str | None, status: str | None, count: int | None, timeout: float | None, dedupe: bool
) -> int:
    from aiokafka import AIOKafkaConsumer

    from services.cli.verdicts import matches_filter
    from services.ops.kafka import started
    from shared import topics
    from shared.messages import VerdictPublished
    from shared.settings import KafkaSettings

    consumer = AIOKafkaConsumer(
        topics.VERDICTS_PUBLISHED,
        bootstrap_servers=KafkaSettings().bootstrap_servers,
        group_id=f"paperverdict-watch-{uuid.uuid4().hex[:12]}",
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
    )
    await started(consumer)
    seen: set[str] = set()
    deadline = time.monotonic() + timeout if timeout else None
    try:
        while True:
            if deadline is not None and time.monotonic() > deadline:
                return 1
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    try:
                        event = VerdictPublished.model_validate_json(record.value)
                    except ValueError as exc:
                        typer.echo(f"warning: skipped an unreadable event at offset {record.offset}: {exc}", err=True)
                        continue
                    if not matches_filter(event, arxiv, status):
                        continue
                    if dedupe and event.verdict.id in seen:
                        continue
                    seen.add(event.verdict.id)
                    sys.stdout.write(event.model_dump_json() + "\n")
                    sys.stdout.flush()
                    if count is not None and len(seen) >= count:
                        return 0
    finally:
        await consumer.stop()


@app.command()
def show(arxiv_id: str = typer.Argument(..., metavar="ARXIV_ID")) -> None:
    """Print the published document of a paper (seed shape) as JSON."""
    from shared.ids import InvalidArxivId, parse_arxiv_id

    try:
        base = parse_arxiv_id(arxiv_id).base
    except InvalidArxivId as exc:
        _fail(str(exc))
    document = asyncio.run(_load_document(base))
    if document is None:
        _fail(f"no published document for {base} yet: publish it with `paperverdict publish {base}`", 1)
    typer.echo(document.model_dump_json(indent=2))


async def _load_document(arxiv_id: str):
    from services.publisher.store import PublisherStore
    from shared.mongo import mongo_client
    from shared.settings import MongoSettings

    settings = MongoSettings()
    client = mongo_client(settings)
    try:
        return await PublisherStore(client[settings.database]).get_document(arxiv_id)
    finally:
        client.close()


# ---------------------------------------------------------------- one stage, locally


@app.command()
def extract(
    source: Optional[Path] = typer.Argument(None, help="e-print (tar.gz / tex.gz / .tex)"),
    html: Optional[Path] = typer.Option(None, help="arXiv HTML rendering"),
    pdf: Optional[Path] = typer.Option(None, help="PDF rendering"),
    arxiv_id: Optional[str] = typer.Option(None, "--arxiv-id", help="the paper's arXiv ID"),
    version: int = typer.Option(1, min=1, max=999_999, help="the paper version"),
    verbose: bool = typer.Option(
        False, "-v", "--verbose", help="also list every numeric row or column of a result table that gave no claim"
    ),
) -> None:
    """Extract the claims of a local paper and print them as JSON lines."""
    from services.cli.extract import extract_command

    raise typer.Exit(extract_command(source, html, pdf, arxiv_id, version, verbose=verbose))


@eval_app.command("loglikelihood")
def eval_loglikelihood(
    model: str = typer.Option(..., help="Hugging Face repo id or a local model folder (safetensors)"),
    requests: Path = typer.Option(..., help="JSON lines of {context, continuation}"),
) -> None:
    """Score (context, continuation) pairs with a causal LM."""
    from services.cli.evaluate import loglikelihood_command

    raise typer.Exit(loglikelihood_command(model, requests))


@eval_app.command("task")
def eval_task(
    model: str = typer.Option(..., help="Hugging Face repo id or a local model folder (safetensors)"),
    task: str = typer.Option(
        ..., help="any lm-eval task (arc_easy, mmlu, bbh_cot_fewshot) or ours (arc, lighteval_hellaswag)"
    ),
    shots: Optional[int] = typer.Option(
        None, min=0, max=1000, help="few-shot examples (default: the task's own, MMLU 5)"
    ),
    limit: Optional[int] = typer.Option(None, min=1, max=10**9, help="at most this many examples"),
    data: Optional[Path] = typer.Option(
        None, help="a folder of task folders (gsm8k/, mmlu/<subject>/; default: PV_EVAL_DATA_DIR or the Hub)"
    ),
    records: Optional[Path] = typer.Option(None, help="write the per-document records here (.gz: gzipped)"),
    include_path: Optional[Path] = typer.Option(None, help="a folder of local lm-eval task configs"),
    chat_template: bool = typer.Option(False, "--chat-template", help="apply the model's chat template (lm-eval)"),
    fewshot_as_multiturn: Optional[bool] = typer.Option(
        None, "--fewshot-as-multiturn/--no-fewshot-as-multiturn", help="few-shot examples as chat turns"
    ),
    system_prompt: Optional[str] = typer.Option(None, help="system prompt (lm-eval's system_instruction)"),
) -> None:
    """Run one benchmark on a model and print the measurement."""
    from services.cli.evaluate import PromptFormat, task_command

    prompt = PromptFormat(chat_template, fewshot_as_multiturn, system_prompt)
    raise typer.Exit(task_command(model, task, shots, limit, data, records, include_path, prompt))


@eval_app.command("lmeval")
def eval_lmeval(
    model: str = typer.Option(..., help="Hugging Face repo id or a local model folder (safetensors)"),
    task: str = typer.Option(..., help="any lm-eval task or group, e.g. lambada_openai"),
    shots: Optional[int] = typer.Option(None, min=0, max=1000, help="few-shot examples (default: the task's)"),
    limit: Optional[int] = typer.Option(None, min=1, max=10**9, help="the first N documents of each task"),
    records: Optional[Path] = typer.Option(None, help="write lm-eval's per-sample records here (JSON lines)"),
    include_path: Optional[Path] = typer.Option(None, help="a folder of extra lm-eval task configs"),
) -> None:
    """The raw lm-eval run of a task (every metric, as JSON); `eval task` measures any lm-eval task too."""
    from services.cli.evaluate import lmeval_command

    raise typer.Exit(lmeval_command(model, task, shots, limit, records, include_path))


@app.command()
def validate(
    claim: Path = typer.Option(..., "--claim", help="a Claim as JSON"),
    measurement: Path = typer.Option(..., "--measurement", help="a Measurement as JSON"),
) -> None:
    """Turn a claim and a measurement into a POST verdict (gates applied) and print it."""
    from services.cli.verdicts import validate_command

    raise typer.Exit(validate_command(claim, measurement))


def main() -> None:
    from services.cli.stack import unreachable

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # a broker it cannot reach is our one line
    try:
        app()
    except Exception as exc:  # an unreachable dependency is one line; anything else stays a traceback
        line = unreachable(exc)
        if line is None:
            raise
        typer.echo(f"error: {line}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
