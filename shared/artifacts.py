"""Large artifacts (paper sources, rendered HTML/PDF, per-example records) in MongoDB GridFS.

Each artifact is stored once under its sha256 (the GridFS file `_id`), so writing the same bytes
twice is a no-op and messages reference artifacts by `ArtifactRef.sha256` only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from motor.motor_asyncio import AsyncIOMotorDatabase, AsyncIOMotorGridFSBucket
from pymongo.errors import DuplicateKeyError

from shared.ids import sha256_hex
from shared.models import ArtifactKind, ArtifactRef

BUCKET = "artifacts"


class ArtifactWriter(Protocol):
    """What a handler that stores artifacts needs (`ArtifactStore`, or a fake in a test)."""

    async def put(self, data: bytes, *, kind: ArtifactKind, content_type: str, filename: str) -> ArtifactRef: ...


class ArtifactReader(Protocol):
    async def get(self, sha256: str) -> bytes: ...


class ArtifactNotFound(LookupError):
    pass


class ArtifactTooLarge(ValueError):
    pass


class ArtifactStore:
    """GridFS adapter over a motor database: `put` idempotently by sha256, `get` by sha256."""

    def __init__(self, db: AsyncIOMotorDatabase[Any], bucket: str = BUCKET) -> None:
        self._db = db
        self._bucket_name = bucket
        self._bucket = AsyncIOMotorGridFSBucket(db, bucket_name=bucket)

    @property
    def _files(self) -> Any:
        return self._db[f"{self._bucket_name}.files"]

    async def exists(self, sha256: str) -> bool:
        doc = await self._files.find_one({"_id": sha256}, projection={"_id": 1})
        return doc is not None

    async def put(self, data: bytes, *, kind: ArtifactKind, content_type: str, filename: str) -> ArtifactRef:
        digest = sha256_hex(data)
        ref = ArtifactRef(kind=kind, sha256=digest, size=len(data), content_type=content_type, filename=filename)
        if await self.exists(digest):
            return ref
        try:
            await self._bucket.upload_from_stream_with_id(
                digest,
                filename,
                data,
                metadata={"sha256": digest, "kind": kind, "content_type": content_type, "size": len(data)},
            )
        except DuplicateKeyError:
            # Another writer stored the same bytes first: same sha256, same content.
            pass
        return ref

    async def _open(self, sha256: str) -> Any:
        try:
            return await self._bucket.open_download_stream(sha256)
        except Exception as exc:  # gridfs.errors.NoFile, re-raised with the sha
            if type(exc).__name__ == "NoFile":
                raise ArtifactNotFound(f"artifact {sha256} is not in GridFS bucket {self._bucket_name!r}") from exc
            raise

    async def stream(self, sha256: str, *, max_bytes: int) -> AsyncIterator[bytes]:
        """The stored bytes chunk by chunk, never more than `max_bytes` (then ArtifactTooLarge)."""
        stream = await self._open(sha256)
        if stream.length > max_bytes:
            raise ArtifactTooLarge(f"artifact {sha256} has {stream.length} bytes, over the {max_bytes} read limit")
        while chunk := await stream.readchunk():
            yield chunk

    async def get(self, sha256: str) -> bytes:
        stream = await self._open(sha256)
        data: bytes = await stream.read()
        if sha256_hex(data) != sha256:
            raise ArtifactNotFound(f"artifact {sha256} is incomplete or corrupt in GridFS")
        return data
