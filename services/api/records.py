"""Per-example records of a measurement: a GridFS file (by sha256) of gzipped JSON lines."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from shared.artifacts import ArtifactNotFound

GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Records:
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None
    error: str | None = None


def parse_records(data: bytes, limit: int) -> Records:
    """The first `limit` records and the total count; a line that is not a JSON object is skipped."""
    text = (gzip.decompress(data) if data[:2] == GZIP_MAGIC else data).decode("utf-8")
    items: list[dict[str, Any]] = []
    total = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        total += 1
        if len(items) < limit:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                items.append(record)
    return Records(items=items, total=total)


async def load_records(artifacts: Any, sha256: str | None, limit: int) -> Records:
    if not sha256:
        return Records(error="the measurement has no per-example records")
    try:
        data = await artifacts.get(sha256)
    except ArtifactNotFound as exc:
        return Records(error=str(exc))
    try:
        return parse_records(data, limit)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        return Records(error=f"records {sha256} are not gzipped JSON lines: {exc}")
