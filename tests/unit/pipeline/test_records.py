"""Per-example records are read as a stream: the first N records, every line counted, and a gzip bomb
stopped at the decompression cap instead of filling memory."""

from __future__ import annotations

import gzip
import json
import resource
import zlib
from collections.abc import AsyncIterator

from services.api import records
from services.api.records import read_records


async def chunks(data: bytes, size: int = 255 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_first_records_and_total_from_gzipped_lines() -> None:
    lines = [json.dumps({"doc": i, "pred": i % 4}) for i in range(1000)] + ["not json", "[1, 2]", ""]
    result = await read_records(chunks(gzip.compress("\n".join(lines).encode())), limit=10)
    assert [r["doc"] for r in result.items] == list(range(10))
    assert result.total == 1002 and result.error is None


async def test_plain_json_lines_work_too() -> None:
    result = await read_records(chunks(b'{"a": 1}\n{"a": 2}\n'), limit=5)
    assert result.items == [{"a": 1}, {"a": 2}] and result.total == 2


async def test_a_gzip_bomb_is_stopped_at_the_cap(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(records, "MAX_TEXT_BYTES", 8 * 2**20)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = squeeze.compress(b'{"x": 1}\n' + b" " * 400_000_000) + squeeze.flush()  # 400 MB from ~400 KB
    assert len(bomb) < 1_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = await read_records(chunks(bomb), limit=5)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result.error is not None and "more than 8 MiB" in result.error
    assert result.items == [{"x": 1}]
    assert grown_kib < 200_000, grown_kib
