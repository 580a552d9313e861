"""InMemoryResolutionCache: the ResolutionCache stand-in for tests and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.extractor.adapters import InMemoryResolutionCache


async def test_round_trip_copy_and_expiry() -> None:
    cache = InMemoryResolutionCache(max_age=timedelta(hours=1))
    assert await cache.get("k") is None
    value = {"repo": "Qwen/Qwen2.5-7B", "reason": None}
    await cache.put("k", value)
    value["repo"] = "changed by the caller afterwards"
    got = await cache.get("k")
    assert got == {"repo": "Qwen/Qwen2.5-7B", "reason": None}
    got["repo"] = "changed by a reader"
    assert (await cache.get("k")) == {"repo": "Qwen/Qwen2.5-7B", "reason": None}
    cache.documents["k"]["checked_at"] = datetime.now(UTC) - timedelta(hours=2)
    assert await cache.get("k") is None
