"""Per-example records of a measurement: a GridFS file (by sha256) of gzipped JSON lines."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from shared.artifacts import ArtifactNotFound, ArtifactTooLarge

GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Records:
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None
    error: str | None = None


MAX_STORED_BYTES = 64 * 2**20  # a records file larger than this in GridFS is not read
MAX_TEXT_BYTES = 512 * 2**20  # nor decompressed past this (a gzip bomb stops here)


class _Lines:
    """Records from decompressed chunks: the first `limit` JSON objects kept, every line counted."""

    def __init__(self, limit: int) -> None:
        self.limit, self.records, self.tail = limit, Records(total=0), b""

    def feed(self, data: bytes) -> None:
        lines = (self.tail + data).split(b"\n")
        self.tail = lines.pop()
        for line in lines:
            self._line(line)

    def close(self) -> Records:
        self._line(self.tail)
        return self.records

    def _line(self, line: bytes) -> None:
        if not line.strip():
            return
        self.records.total = (self.records.total or 0) + 1
        if len(self.records.items) < self.limit:
            try:
                record = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                return
            if isinstance(record, dict):
                self.records.items.append(record)


async def read_records(chunks: AsyncIterator[bytes], limit: int) -> Records:
    """The first `limit` records and the total count, streamed: gzip or plain JSON lines, bounded in the
    bytes decompressed; a line that is not a JSON object is skipped."""
    lines = _Lines(limit)
    inflate: Any = None
    produced = 0
    async for chunk in chunks:
        if inflate is None:
            inflate = zlib.decompressobj(wbits=31) if chunk[:2] == GZIP_MAGIC else _Plain()
        room = MAX_TEXT_BYTES - produced
        data = inflate.decompress(chunk, room + 1)
        produced += len(data)
        lines.feed(data[:room])
        if produced > MAX_TEXT_BYTES or inflate.unconsumed_tail:
            lines.records.error = (
                f"records decompress to more than {MAX_TEXT_BYTES // 2**20} MiB: counted the first part"
            )
            break
    return lines.close()


class _Plain:
    unconsumed_tail = b""

    @staticmethod
    def decompress(data: bytes, _: int) -> bytes:
        return data


async def load_records(artifacts: Any, sha256: str | None, limit: int) -> Records:
    if not sha256:
        return Records(error="the measurement has no per-example records")
    try:
        return await read_records(artifacts.stream(sha256, max_bytes=MAX_STORED_BYTES), limit)
    except (ArtifactNotFound, ArtifactTooLarge) as exc:
        return Records(error=str(exc))
    except (OSError, zlib.error, EOFError) as exc:
        return Records(error=f"records {sha256} are not gzipped JSON lines: {exc}")
