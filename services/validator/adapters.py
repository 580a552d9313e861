"""MongoDB for the validator: it reads the stored e-prints (GridFS) to apply gate G1."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from shared.settings import MongoSettings


def mongo_client(settings: MongoSettings) -> AsyncIOMotorClient[Any]:
    return AsyncIOMotorClient(settings.url.get_secret_value(), tz_aware=True, serverSelectionTimeoutMS=10_000)
