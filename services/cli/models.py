"""`paperverdict models refresh [--endpoint URL] [--index PATH] [--write]`: the bundled checkpoint index
checked against the Hugging Face Hub, one `HubClient.info` per repo (services/extractor/index_refresh.py
compares; with --write the file is rewritten in place, line order and format kept).

The Hub is asked whatever PV_HUB_ENABLED says (this command exists to ask it); PV_HUB_ENDPOINT,
PV_HUB_TOKEN and PV_HUB_TIMEOUT apply. An unreachable Hub is one `error:` line and exit 2.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import typer

models_app = typer.Typer(add_completion=False, no_args_is_help=True, help="The bundled checkpoint index.")

WORKERS = 4  # the Hub rate-limits anonymous API calls; a few at a time keeps ~900 repos to a minute or two
# --write drops missing repos; this many missing at once means the endpoint is not the whole Hub (a mirror,
# a test server) rather than that the repos are gone, so nothing is written without --force
MAX_MISSING_SHARE = 0.2


@models_app.command("refresh")
def refresh(
    endpoint: str | None = typer.Option(None, "--endpoint", help="the Hub (default PV_HUB_ENDPOINT or huggingface.co)"),
    index: Path | None = typer.Option(None, "--index", help="the JSON-lines index (default: the bundled one)"),
    write: bool = typer.Option(False, "--write", help="rewrite the index: Hub parameter counts, missing repos out"),
    force: bool = typer.Option(
        False, "--force", help=f"write even when over {MAX_MISSING_SHARE:.0%} of repos are missing"
    ),
) -> None:
    """Compare the checkpoint index with the Hub: missing repos, non-causal or pickle-only ones, parameter
    counts, gating."""
    from services.extractor.checkpoints import CHECKPOINTS_FILE
    from services.extractor.hub import HubClient, HubError, HubModel, HubUnavailable
    from services.extractor.index_refresh import diff, index_repos, rewrite
    from shared.settings import HubSettings

    settings = HubSettings()
    url = (endpoint or settings.endpoint).rstrip("/")
    path = index or CHECKPOINTS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        repos = index_repos(lines)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: cannot read the index {path}: {exc}", err=True)
        raise typer.Exit(2) from None
    token = settings.token.get_secret_value() if settings.token else None
    hub = HubClient(url, token, settings.timeout)
    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            answers: dict[str, HubModel | None] = dict(zip(repos, pool.map(hub.info, repos)))
    except HubUnavailable as exc:
        wait = f"; it asks to retry in {exc.retry_after_s:g}s" if exc.retry_after_s else ""
        typer.echo(f"error: the Hugging Face Hub at {url} could not be reached ({exc}){wait}", err=True)
        raise typer.Exit(2) from None
    except HubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    changes = diff(lines, answers)
    typer.echo(f"{path}: {len(repos)} repos checked against {url}, {len(changes)} findings")
    width = max((len(c.repo) for c in changes), default=0)
    for change in changes:
        typer.echo(f"  {change.kind:<15} {change.repo:<{width}}  {change.detail}")
    if write:
        missing = sum(1 for c in changes if c.kind == "missing")
        if missing > MAX_MISSING_SHARE * len(repos) and not force:
            typer.echo(
                f"error: {missing} of {len(repos)} repos are missing at {url}: is it the whole Hub? "
                "Nothing written (--force writes anyway)",
                err=True,
            )
            raise typer.Exit(1)
        updated = rewrite(lines, changes)
        if updated != lines:
            path.write_text("".join(line + "\n" for line in updated), encoding="utf-8")
        typer.echo(f"wrote {path}: {len(lines) - len(updated)} entries dropped, {_changed(lines, updated)} updated")


def _changed(before: list[str], after: list[str]) -> int:
    kept = set(before)
    return sum(1 for line in after if line not in kept)
