"""The measurement cache: a claim whose (model sha, task, protocol, data revision) was measured before
(the same cell cited twice, a re-ingested paper version) is answered without running again."""

from __future__ import annotations

from typing import Any, Protocol

from shared.models import Measurement

COLLECTION = "measurements"


class MeasurementCache(Protocol):
    async def get(self, measurement_id: str) -> Measurement | None: ...

    async def put(self, measurement: Measurement) -> None: ...


class InMemoryMeasurementCache:
    def __init__(self) -> None:
        self._items: dict[str, Measurement] = {}

    async def get(self, measurement_id: str) -> Measurement | None:
        found = self._items.get(measurement_id)
        return found.model_copy(update={"cached": True}) if found else None

    async def put(self, measurement: Measurement) -> None:
        if measurement.failure is None:
            self._items[measurement.measurement_id] = measurement


class MongoMeasurementCache:
    """Collection `measurements`, one document per measurement id (unique index, created lazily on the
    first call so that constructing the cache does no I/O)."""

    def __init__(self, db: Any, collection: str = COLLECTION) -> None:
        self.collection = db[collection]
        self._indexed = False

    async def ensure_indexes(self) -> None:
        if not self._indexed:
            await self.collection.create_index("measurement_id", unique=True)
            self._indexed = True

    async def get(self, measurement_id: str) -> Measurement | None:
        await self.ensure_indexes()
        document = await self.collection.find_one({"measurement_id": measurement_id}, {"_id": 0})
        if document is None:
            return None
        return Measurement.model_validate(document).model_copy(update={"cached": True})

    async def put(self, measurement: Measurement) -> None:
        if measurement.failure is not None:
            return  # failures are retried, never cached
        await self.ensure_indexes()
        document = measurement.model_dump(mode="json") | {"cached": False}
        await self.collection.replace_one({"measurement_id": measurement.measurement_id}, document, upsert=True)
