"""GridFS reads for the extractor: the paper's stored artifacts, by sha256; the Hub resolution cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pymongo.errors import DuplicateKeyError

from shared.artifacts import ArtifactReader
from shared.models import ArtifactRef
from shared.settings import HubSettings

if TYPE_CHECKING:
    from services.extractor.hub_resolution import HubResolver
from shared.mongo import mongo_client  # noqa: F401  (re-exported for app.py)


async def load_artifacts(store: ArtifactReader, refs: list[ArtifactRef]) -> dict[str, tuple[bytes, str]]:
    """kind -> (bytes, sha256) for the source, html and pdf artifacts of one paper version."""
    out: dict[str, tuple[bytes, str]] = {}
    for ref in refs:
        if ref.kind in ("source", "html", "pdf") and ref.kind not in out:
            out[ref.kind] = (await store.get(ref.sha256), ref.sha256)
    return out


RESOLUTIONS = "model_resolutions"


class ResolutionCache:
    """The Hub's answer per printed model name (`hub_resolution.cache_key`), so that each distinct name
    is asked once: collection `model_resolutions`, documents {_id: key, value, checked_at}. Upserts, no
    transactions (FerretDB). Entries older than `max_age` (when given) read as missing: asked again."""

    def __init__(self, db: Any, collection: str = RESOLUTIONS, max_age: timedelta | None = None) -> None:
        self.collection = db[collection]  # a motor AsyncIOMotorDatabase; nothing is sent before the first call
        self.max_age = max_age

    async def get(self, key: str) -> dict[str, Any] | None:
        document = await self.collection.find_one({"_id": key})
        if document is None or _expired(document.get("checked_at"), self.max_age):
            return None
        value: dict[str, Any] = document["value"]
        return value

    async def put(self, key: str, value: dict[str, Any]) -> None:
        document = {"_id": key, "value": value, "checked_at": datetime.now(UTC)}
        try:
            await self.collection.replace_one({"_id": key}, document, upsert=True)
        except DuplicateKeyError:  # two upserts of a new key raced; the other one inserted it
            await self.collection.replace_one({"_id": key}, document)


class InMemoryResolutionCache:
    """ResolutionCache for tests and the CLI: a dict."""

    def __init__(self, max_age: timedelta | None = None) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.max_age = max_age

    async def get(self, key: str) -> dict[str, Any] | None:
        document = self.documents.get(key)
        if document is None or _expired(document["checked_at"], self.max_age):
            return None
        return dict(document["value"])

    async def put(self, key: str, value: dict[str, Any]) -> None:
        self.documents[key] = {"value": dict(value), "checked_at": datetime.now(UTC)}


def _expired(checked_at: object, max_age: timedelta | None) -> bool:
    if max_age is None:
        return False
    if not isinstance(checked_at, datetime):
        return True
    if checked_at.tzinfo is None:  # pymongo hands back naive UTC datetimes
        checked_at = checked_at.replace(tzinfo=UTC)
    return datetime.now(UTC) - checked_at > max_age


def hub_resolver(settings: HubSettings, db: Any) -> HubResolver | None:
    """The online model-name step when PV_HUB_ENABLED is set: the Hub behind its client, answers cached in
    MongoDB (`model_resolutions`) for `cache_days`; None keeps extraction offline."""
    if not settings.enabled:
        return None
    from services.extractor.hub import HubClient, HubUnavailable, reject_reason
    from services.extractor.hub_resolution import HubResolver

    token = settings.token.get_secret_value() if settings.token else None
    return HubResolver(
        HubClient(settings.endpoint, token, settings.timeout),
        ResolutionCache(db, max_age=timedelta(days=settings.cache_days)),
        unavailable=HubUnavailable,
        reject=reject_reason,
    )
