"""GridFS reads for the extractor: the paper's stored artifacts, by sha256."""

from __future__ import annotations

from shared.artifacts import ArtifactReader
from shared.models import ArtifactRef
from shared.mongo import mongo_client  # noqa: F401  (re-exported for app.py)


async def load_artifacts(store: ArtifactReader, refs: list[ArtifactRef]) -> dict[str, tuple[bytes, str]]:
    """kind -> (bytes, sha256) for the source, html and pdf artifacts of one paper version."""
    out: dict[str, tuple[bytes, str]] = {}
    for ref in refs:
        if ref.kind in ("source", "html", "pdf") and ref.kind not in out:
            out[ref.kind] = (await store.get(ref.sha256), ref.sha256)
    return out
