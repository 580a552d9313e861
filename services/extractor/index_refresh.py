"""`paperverdict models refresh`, the pure part: the bundled checkpoint index (`data/checkpoints.jsonl`,
one JSON object a line) compared with what the Hub says of each repo, and the index rewritten from it.

Written back: parameter counts from the Hub's safetensors metadata (3 significant digits, as the index
keeps them), and repos the Hub no longer has are dropped. Only reported: repos that are not causal LMs,
have no safetensors weights or exist only as their repository's code (never run: their claims end
refused), renamed repos (the Hub redirects the old name), gated repos.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from services.extractor.hub import HubModel

# the index rounds to 3 significant digits; a difference beyond rounding is a change
PARAMS_TOLERANCE = 0.005


@dataclass(frozen=True)
class Change:
    repo: str
    kind: str  # missing | renamed | not-causal-lm | no-safetensors | remote-code | params | gated
    detail: str
    params_b: float | None = None  # kind "params": the Hub's count, as it will be written


def index_repos(lines: list[str]) -> list[str]:
    """The repos the index names, in file order, without duplicates; entries with "repo": null are skipped."""
    repos: list[str] = []
    for line in lines:
        if line.strip():
            repo = json.loads(line).get("repo")
            if repo and repo not in repos:
                repos.append(repo)
    return repos


def significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


def diff(lines: list[str], hub: Mapping[str, HubModel | None]) -> list[Change]:
    """What the Hub (`hub`: repo -> its answer, None for "no such repo") says differs from the index;
    repos the mapping lacks were not asked and are not compared."""
    changes: list[Change] = []
    indexed = _params_by_repo(lines)
    for repo in index_repos(lines):
        if repo not in hub:
            continue
        model = hub[repo]
        if model is None:
            changes.append(Change(repo, "missing", "the Hub has no such repo (dropped with --write)"))
            continue
        if model.repo != repo:
            changes.append(Change(repo, "renamed", f"the Hub answers as {model.repo}"))
        if not model.causal_lm:
            changes.append(
                Change(repo, "not-causal-lm", "no *ForCausalLM architecture, pipeline is not text-generation")
            )
        if not model.safetensors:
            changes.append(Change(repo, "no-safetensors", "no .safetensors weights"))
        if model.remote_code:
            changes.append(Change(repo, "remote-code", model.remote_code))
        old = indexed.get(repo)
        if model.params_b is not None and (old is None or abs(model.params_b - old) > PARAMS_TOLERANCE * old):
            new = significant(model.params_b)
            shown = "none" if old is None else f"{old:g}B"
            changes.append(Change(repo, "params", f"params_b {shown} -> {new:g}B (written with --write)", new))
        if model.gated:
            changes.append(Change(repo, "gated", "gated: downloading it needs PV_EVAL_HF_TOKEN with access"))
    return changes


def rewrite(lines: list[str], changes: list[Change]) -> list[str]:
    """The index lines with the changes applied: params_b updated, missing repos dropped; every other
    line, and the order, untouched."""
    missing = {c.repo for c in changes if c.kind == "missing"}
    params = {c.repo: c.params_b for c in changes if c.kind == "params"}
    out: list[str] = []
    for line in lines:
        entry = json.loads(line) if line.strip() else {}
        repo = entry.get("repo")
        if repo in missing:
            continue
        if repo in params and entry.get("params_b") != params[repo]:
            entry["params_b"] = params[repo]
            line = json.dumps(entry, ensure_ascii=False)
        out.append(line)
    return out


def _params_by_repo(lines: list[str]) -> dict[str, float | None]:
    """Each repo's params_b in the index (its first entry's)."""
    found: dict[str, float | None] = {}
    for line in lines:
        entry = json.loads(line) if line.strip() else {}
        repo, value = entry.get("repo"), entry.get("params_b")
        if repo and repo not in found:
            found[repo] = float(value) if isinstance(value, int | float) else None
    return found
