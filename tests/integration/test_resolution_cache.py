"""ResolutionCache (services/extractor/adapters.py) on the real FerretDB: collection
`model_resolutions`, one document per key, upserted, expiring only when asked to."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from services.extractor.adapters import RESOLUTIONS, ResolutionCache
from services.extractor.hub_resolution import cache_key

DECISION = {
    "repo": "Qwen/Qwen2.5-7B",
    "source": "hub search",
    "evidence": "'Qwen2.5 7B' -> Qwen/Qwen2.5-7B",
    "reason": None,
}


async def test_put_then_get_round_trips_the_value(mongo_db: Any) -> None:
    cache = ResolutionCache(mongo_db)
    key = cache_key("Qwen 2.5 7B", False, "2407.10671")
    assert await cache.get(key) is None
    await cache.put(key, DECISION)
    assert await cache.get(key) == DECISION
    document = await mongo_db[RESOLUTIONS].find_one({"_id": key})
    assert set(document) == {"_id", "value", "checked_at"}
    assert abs(document["checked_at"].replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)


async def test_put_again_replaces_the_one_document(mongo_db: Any) -> None:
    cache = ResolutionCache(mongo_db)
    unresolved = {"repo": None, "source": "", "evidence": "", "reason": "no repo of that exact name"}
    await cache.put("k|base|-", unresolved)
    await cache.put("k|base|-", DECISION)
    assert await cache.get("k|base|-") == DECISION
    assert await mongo_db[RESOLUTIONS].count_documents({}) == 1


async def test_concurrent_puts_of_a_new_key_leave_one_document(mongo_db: Any) -> None:
    cache = ResolutionCache(mongo_db)
    values = [{**DECISION, "evidence": f"writer {i}"} for i in range(8)]
    await asyncio.gather(*(cache.put("raced|base|-", v) for v in values))
    assert await mongo_db[RESOLUTIONS].count_documents({"_id": "raced|base|-"}) == 1
    assert await cache.get("raced|base|-") in values


async def test_entries_older_than_max_age_read_as_missing(mongo_db: Any) -> None:
    fresh, aged = ResolutionCache(mongo_db, max_age=timedelta(days=30)), ResolutionCache(mongo_db)
    await fresh.put("old|base|-", DECISION)
    assert await fresh.get("old|base|-") == DECISION
    long_ago = datetime.now(UTC) - timedelta(days=31)
    await mongo_db[RESOLUTIONS].update_one({"_id": "old|base|-"}, {"$set": {"checked_at": long_ago}})
    assert await fresh.get("old|base|-") is None
    assert await aged.get("old|base|-") == DECISION  # no max_age: kept for good
