"""The one way a paperverdict process opens MongoDB (FerretDB here, mongo:7 in compose)."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

from shared.settings import MongoSettings


def mongo_client(settings: MongoSettings) -> AsyncIOMotorClient[Any]:
    # tz_aware: datetimes come back as UTC-aware, like the ones pydantic wrote.
    return AsyncIOMotorClient(settings.url.get_secret_value(), tz_aware=True, serverSelectionTimeoutMS=10_000)


def database(client: AsyncIOMotorClient[Any], settings: MongoSettings) -> AsyncIOMotorDatabase[Any]:
    return client[settings.database]
