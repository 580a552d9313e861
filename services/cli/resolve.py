"""`paperverdict resolve "Qwen 2.5 / 32B" [--instruct] [--arxiv ID] [--json]`: the model resolver's decision
for one printed name and its evidence. Offline it uses the paper's links (none here) and the bundled
index; with PV_HUB_ENABLED=1 a name nothing offline decided is asked of the Hub (PV_HUB_ENDPOINT)."""

from __future__ import annotations

import json
from typing import Any

import typer


def resolve(
    name: str = typer.Argument(..., help='the model name as printed; header levels separated by " / "'),
    instruct: bool = typer.Option(False, "--instruct", help="the table is of instruction-tuned models"),
    arxiv: str | None = typer.Option(None, "--arxiv", help="the paper's arXiv ID (its date and its own models)"),
    as_json: bool = typer.Option(False, "--json", help="print the decision as JSON"),
) -> None:
    """Print how a printed model name resolves to a Hugging Face repo, or why it does not."""
    from services.extractor.models import ModelResolver

    levels = [part.strip() for part in name.split(" / ") if part.strip()]
    if not levels:
        typer.echo("error: give a model name, e.g. 'Qwen 2.5 / 32B'", err=True)
        raise typer.Exit(2)
    r = ModelResolver(arxiv_id=arxiv).resolve(levels, instruct=instruct)
    out: dict[str, Any] = {
        "printed": name,
        "repo": r.model_id,
        "source": r.source or None,
        "evidence": r.evidence,
        "reason": r.reason,
        "candidates": list(r.candidates),
    }
    if r.model_id is None and r.hub_query:
        out.update(_ask_hub(r.hub_query, r.want_instruct, arxiv))
    if as_json:
        typer.echo(json.dumps(out, indent=2))
    else:
        typer.echo(f"{name} -> {out['repo'] or 'unresolved'}")
        for key in ("source", "evidence", "reason"):
            if out.get(key):
                typer.echo(f"  {key}: {out[key]}")
        if out["candidates"]:
            typer.echo(f"  candidates: {', '.join(out['candidates'])}")
    if out["repo"] is None:
        raise typer.Exit(1)


def _ask_hub(query: str, want_instruct: bool, arxiv: str | None) -> dict[str, Any]:
    from services.extractor.checkpoints import bundled_index
    from services.extractor.hub import HubClient, HubError, HubUnavailable, reject_reason
    from services.extractor.hub_resolution import decide
    from shared.settings import HubSettings

    settings = HubSettings()
    if not settings.enabled:
        return {"hub": "not asked (offline; PV_HUB_ENABLED=1 asks the Hub)"}
    token = settings.token.get_secret_value() if settings.token else None
    hub = HubClient(settings.endpoint, token, settings.timeout)
    try:
        tagged = hub.paper_models(arxiv) if arxiv else []
        d = decide(query, want_instruct, hub, tagged, bundled_index(), reject_reason)
    except HubUnavailable as exc:
        typer.echo(f"error: the Hugging Face Hub at {settings.endpoint} could not be reached ({exc})", err=True)
        raise typer.Exit(2) from None
    except HubError as exc:
        typer.echo(f"error: the Hugging Face Hub at {settings.endpoint} refused the request ({exc})", err=True)
        raise typer.Exit(2) from None
    return {"repo": d.repo, "source": d.source or None, "evidence": d.evidence, "reason": d.reason or None}
