"""CLI helpers for verdicts: `paperverdict validate` (offline) and the `paperverdict watch` filter."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.ids import InvalidArxivId, parse_arxiv_id
from shared.messages import VerdictPublished
from shared.models import Claim, Measurement

T = TypeVar("T", bound=BaseModel)


class InputError(ValueError):
    """A file the user named cannot be used; the message says which and why."""


MAX_INPUT_BYTES = 16 * 2**20


def _load(path: Path, model: type[T], key: str) -> T:
    """A `model` from a JSON file holding it, or a message that carries it under `key`."""
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: over {MAX_INPUT_BYTES // 2**20} MiB, not a claim or measurement file")
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except RecursionError as exc:  # 10^5 nested arrays
        raise InputError(f"{path}: JSON nested too deeply to be a claim or measurement") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, a 5,000-digit integer
        raise InputError(f"{path}: not a readable JSON file ({str(exc)[:200]})") from exc
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        data = data[key]  # e.g. an EvaluationCompleted message saved from Kafka
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5])
        raise InputError(f"{path}: not a {model.__name__} ({problems})") from exc


def validate_command(claim_path: Path, measurement_path: Path) -> int:
    """Print the POST verdict (gates applied) for a claim and a measurement; exit code 0, or 2 on bad input."""
    from services.validator.rules import post_verdict

    try:
        claim = _load(claim_path, Claim, "claim")
        measurement = _load(measurement_path, Measurement, "measurement")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verdict = post_verdict(claim, measurement, now=datetime.now(UTC))
    sys.stdout.write(verdict.model_dump_json(indent=2) + "\n")
    return 0


def matches_filter(event: VerdictPublished, arxiv_id: str | None, status: str | None) -> bool:
    """`watch --arxiv ID --status S`: ID with or without version (with one, only that version);
    S one status or a comma-separated list, case-insensitive. None means no filter."""
    if arxiv_id:
        try:
            wanted = parse_arxiv_id(arxiv_id)
            got = parse_arxiv_id(event.arxiv_id).base
        except InvalidArxivId:
            if arxiv_id.strip() != event.arxiv_id:
                return False
        else:
            if wanted.base != got:
                return False
            if wanted.version is not None and wanted.version != event.paper_version:
                return False
    if status:
        allowed = {s.strip().lower() for s in status.split(",") if s.strip()}
        if allowed and event.verdict.status not in allowed:
            return False
    return True
