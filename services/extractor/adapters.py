"""GridFS reads for the extractor: the paper's stored artifacts, by sha256."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from shared.artifacts import ArtifactStore
from shared.models import ArtifactRef
from shared.settings import MongoSettings


def mongo_client(settings: MongoSettings) -> AsyncIOMotorClient[Any]:
    return AsyncIOMotorClient(settings.url.get_secret_value(), tz_aware=True, serverSelectionTimeoutMS=10_000)


async def load_artifacts(store: ArtifactStore, refs: list[ArtifactRef]) -> dict[str, tuple[bytes, str]]:
    """kind -> (bytes, sha256) for the source, html and pdf artifacts of one paper version."""
    out: dict[str, tuple[bytes, str]] = {}
    for ref in refs:
        if ref.kind in ("source", "html", "pdf") and ref.kind not in out:
            out[ref.kind] = (await store.get(ref.sha256), ref.sha256)
    return out
