"""The read model in MongoDB (FerretDB): published documents, claims, and the verdict history.

Collections
- `verdicts` (history): every verdict ever published, `_id` = verdict id, so a replay cannot insert a
  second copy. A newer verdict of the same claim and kind sets the older one's `is_current` to false.
- `claims`: one document per claim (`_id` = claim id) with the claim, its current PRE and POST
  verdicts and the measurement behind the POST verdict (per-example records stay in GridFS).
- `papers`: one published document per paper (`_id` = arXiv ID), seed-shaped plus `claims`.

FerretDB has no transactions and no change streams, and one process may handle a `papers.ingested`
and a `verdicts.validated` message of the same paper at once: every write is a field-level `$set`
under a per-paper asyncio.Lock, and the document's claims and headline are recomputed from the
`claims` collection (idempotent), never patched blindly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from pydantic import Field
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared.documents import DOCUMENT_SCHEMA_VERSION, PAPERS_COLLECTION, VERDICTS_COLLECTION, ClaimEntry, \
    PublishedDocument, VerdictPair
from shared.gates import GateViolation, check_c1, require
from shared.ids import InvalidArxivId, parse_arxiv_id
from shared.messages import ExtractionCompleted, PaperIngested, VerdictValidated
from shared.models import Claim, GateOutcome, Measurement, Model, Verdict
from services.publisher.documents import build_document, is_newer, sorted_entries, utc

CLAIMS_COLLECTION = "claims"


class StoredClaim(Model):
    """A claim as the `claims` collection keeps it."""

    claim_id: str
    arxiv_id: str
    version: int
    claim: Claim
    verdicts: VerdictPair = Field(default_factory=VerdictPair)
    measurement: Measurement | None = None
    updated_at: datetime | None = None


class InconsistentVerdict(ValueError):
    """The message's verdict, claim and paper do not belong together: dead-letter it."""


def paper_key(arxiv_id: str) -> str:
    """The document key: the arXiv ID without version ("2502.02737v2" -> "2502.02737")."""
    try:
        return parse_arxiv_id(arxiv_id).base
    except InvalidArxivId:
        return arxiv_id.strip()


def _now() -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # BSON dates keep milliseconds


def _aware(value: Any) -> Any:
    """MongoDB hands back naive UTC datetimes: make them aware, recursively."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, dict):
        return {k: _aware(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, list):
        return [_aware(v) for v in value]
    return value


def _dump(model: Model) -> dict[str, Any]:
    return model.model_dump(mode="python")


class PublisherStore:
    """Writes (publisher service) and reads (API) of the read model over one motor database."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.papers = db[PAPERS_COLLECTION]
        self.verdicts = db[VERDICTS_COLLECTION]
        self.claims = db[CLAIMS_COLLECTION]
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def ensure_indexes(self) -> None:
        await self.verdicts.create_index([("claim_id", ASCENDING), ("kind", ASCENDING)])
        await self.verdicts.create_index([("arxiv_id", ASCENDING), ("computed_at", DESCENDING)])
        await self.claims.create_index([("arxiv_id", ASCENDING), ("version", ASCENDING)])
        await self.papers.create_index([("updated_at", DESCENDING)])

    # ------------------------------------------------------------ writes

    async def record_paper(self, msg: PaperIngested) -> None:
        """arXiv metadata and the latest version; an older version than the stored one changes nothing."""
        key = paper_key(msg.paper.arxiv_id)
        async with self._lock(key):
            existing = await self.papers.find_one({"_id": key}, projection={"latest_version": 1})
            stored = (existing or {}).get("latest_version", {}).get("version", 0)
            if stored > msg.version.version:
                return
            fields: dict[str, Any] = {
                "paper": _dump(msg.paper),  # withdrawn and latest_version as arXiv says now
                "latest_version": _dump(msg.version),
                "arxiv_id": key,
                "schema_version": DOCUMENT_SCHEMA_VERSION,
            }
            if existing is not None and stored < msg.version.version:
                fields.update(expected_claims=None, extraction_outcome=None)  # the new version's come later
            await self.papers.update_one({"_id": key}, {"$set": fields}, upsert=True)
            await self._refresh(key)

    async def record_extraction(self, msg: ExtractionCompleted) -> None:
        """How many claims the extractor found for the latest version, and its outcome."""
        key = paper_key(msg.paper.arxiv_id)
        async with self._lock(key):
            if not await self._adopt_version(key, msg.paper, msg.version):
                return  # an older version's extraction: the document shows the latest one
            await self.papers.update_one(
                {"_id": key},
                {"$set": {
                    "expected_claims": msg.claim_count,
                    "extraction_outcome": msg.outcome,
                    "updated_at": _now(),
                }},
            )

    async def record_verdict(self, msg: VerdictValidated, extra_gates: Sequence[GateOutcome] = ()) -> bool:
        """Publish one verdict: True when newly written, False for a replay.

        Re-checks the gates first (C1, any failed gate recorded on the verdict, and `extra_gates`, e.g.
        a G1 re-check against the stored source) and raises GateViolation before writing anything.
        """
        verdict = self._checked(msg, extra_gates)
        claim = msg.claim
        key = paper_key(msg.paper.arxiv_id)
        async with self._lock(key):
            current_doc = await self.verdicts.find_one(
                {"claim_id": claim.claim_id, "kind": verdict.kind, "is_current": True},
                sort=[("computed_at", DESCENDING)],
            )
            current = Verdict.model_validate(_aware(current_doc)) if current_doc else None
            newest = current is None or current.id == verdict.id or is_newer(verdict, current)
            history = {
                **_dump(verdict.model_copy(update={"is_current": newest})),
                "_id": verdict.id,
                "arxiv_id": key,
                "claim_id": claim.claim_id,
                "paper_version": claim.version,
                "correlation_id": msg.correlation_id,
                "recorded_at": _now(),
            }
            try:
                await self.verdicts.insert_one(history)
            except DuplicateKeyError:
                await self._repair_after_replay(key, msg, verdict)
                return False
            if newest:
                await self.verdicts.update_many(
                    {"claim_id": claim.claim_id, "kind": verdict.kind, "is_current": True,
                     "_id": {"$ne": verdict.id}},
                    {"$set": {"is_current": False}},
                )
            await self._project(key, msg, verdict if newest else None)
            return True

    def _checked(self, msg: VerdictValidated, extra_gates: Sequence[GateOutcome]) -> Verdict:
        verdict = msg.verdict
        require(check_c1(verdict), verdict.id)
        for outcome in (*verdict.gates, *extra_gates):
            require(outcome, verdict.id)
        if verdict.claim_id is not None and verdict.claim_id != msg.claim.claim_id:
            raise InconsistentVerdict(
                f"verdict {verdict.id} is for claim {verdict.claim_id}, the message carries claim {msg.claim.claim_id}"
            )
        if paper_key(verdict.claim_citation.paper_arxiv_id) != paper_key(msg.paper.arxiv_id):
            raise InconsistentVerdict(
                f"verdict {verdict.id} cites paper {verdict.claim_citation.paper_arxiv_id}, "
                f"the message is about {msg.paper.arxiv_id}"
            )
        stored = verdict.model_copy(update={"gates": [*verdict.gates, *extra_gates]})
        return stored.model_copy(update={"claim_id": msg.claim.claim_id, "paper_version": msg.claim.version})

    async def _repair_after_replay(self, key: str, msg: VerdictValidated, verdict: Verdict) -> None:
        """A replay writes nothing new, unless an earlier attempt died between history and projection."""
        stored = await self.verdicts.find_one({"_id": verdict.id}, projection={"is_current": 1})
        if not stored or not stored.get("is_current"):
            return
        slot = "post" if verdict.kind == "POST" else "pre"
        claim_doc = await self.claims.find_one({"_id": msg.claim.claim_id}, projection={"verdicts": 1})
        projected = ((claim_doc or {}).get("verdicts") or {}).get(slot) or {}
        if projected.get("id") != verdict.id:
            await self._project(key, msg, verdict)

    async def _project(self, key: str, msg: VerdictValidated, current: Verdict | None) -> None:
        """Claims collection, then the paper document (claims array and headline)."""
        claim = msg.claim
        fields: dict[str, Any] = {
            "claim_id": claim.claim_id,
            "arxiv_id": key,
            "version": claim.version,
            "claim": _dump(claim),
            "updated_at": _now(),
        }
        if current is not None:
            slot = "post" if current.kind == "POST" else "pre"
            fields[f"verdicts.{slot}"] = _dump(current.model_copy(update={"is_current": True}))
            if current.kind == "POST" and msg.measurement is not None:
                fields["measurement"] = _dump(msg.measurement)
        await self.claims.update_one({"_id": claim.claim_id}, {"$set": fields}, upsert=True)
        await self._adopt_version(key, msg.paper, msg.version)
        await self._refresh(key)

    async def _adopt_version(self, key: str, paper: Any, version: Any) -> bool:
        """Create the document if absent; move it to `version` if newer. False if `version` is older."""
        existing = await self.papers.find_one({"_id": key}, projection={"latest_version": 1})
        stored = (existing or {}).get("latest_version", {}).get("version", 0)
        if existing is None or version.version > stored:
            fields: dict[str, Any] = {"paper": _dump(paper), "latest_version": _dump(version), "arxiv_id": key,
                                      "schema_version": DOCUMENT_SCHEMA_VERSION}
            if existing is not None:
                fields.update(expected_claims=None, extraction_outcome=None)
            await self.papers.update_one({"_id": key}, {"$set": fields}, upsert=True)
            return True
        return version.version == stored

    async def _refresh(self, key: str) -> None:
        """Recompute `claims`, `verdict`, `verdicts`, `claim_id` from the claims collection."""
        doc = await self.papers.find_one({"_id": key})
        if doc is None:
            return
        version = doc["latest_version"]["version"]
        entries = [
            ClaimEntry(claim_id=c.claim_id, claim=c.claim, verdicts=c.verdicts)
            async for c in self._stored_claims({"arxiv_id": key, "version": version})
        ]
        stored = PublishedDocument.model_validate(_aware(doc))
        built = build_document(stored.paper, stored.latest_version, entries, now=_now())
        await self.papers.update_one(
            {"_id": key},
            {"$set": {
                "claims": [_dump(e) for e in built.claims],
                "verdict": _dump(built.verdict) if built.verdict else None,
                "verdicts": _dump(built.verdicts),
                "claim_id": built.claim_id,
                "updated_at": built.updated_at,
            }},
        )

    async def _stored_claims(self, query: dict[str, Any]):  # type: ignore[no-untyped-def]
        async for raw in self.claims.find(query):
            yield StoredClaim.model_validate(_aware(raw))

    # ------------------------------------------------------------ reads (the API)

    async def get_document(self, arxiv_id: str) -> PublishedDocument | None:
        doc = await self.papers.find_one({"_id": paper_key(arxiv_id)})
        return PublishedDocument.model_validate(_aware(doc)) if doc else None

    async def list_documents(self, *, limit: int = 50, offset: int = 0) -> list[PublishedDocument]:
        cursor = self.papers.find({}).sort([("updated_at", DESCENDING), ("_id", ASCENDING)]).skip(offset).limit(limit)
        return [PublishedDocument.model_validate(_aware(doc)) async for doc in cursor]

    async def count_documents(self) -> int:
        return await self.papers.count_documents({})

    async def get_history(self, arxiv_id: str) -> list[Verdict]:
        """Every verdict of the paper, newest first (superseded ones have is_current false)."""
        cursor = self.verdicts.find({"arxiv_id": paper_key(arxiv_id)})
        verdicts = [Verdict.model_validate(_aware(doc)) async for doc in cursor]
        return sorted(verdicts, key=lambda v: (utc(v.computed_at), v.id), reverse=True)

    async def get_claim(self, claim_id: str) -> StoredClaim | None:
        doc = await self.claims.find_one({"_id": claim_id})
        return StoredClaim.model_validate(_aware(doc)) if doc else None

    async def get_claims(self, arxiv_id: str, version: int | None = None) -> list[StoredClaim]:
        query: dict[str, Any] = {"arxiv_id": paper_key(arxiv_id)}
        if version is not None:
            query["version"] = version
        found = [c async for c in self._stored_claims(query)]
        order = {e.claim_id: i for i, e in enumerate(sorted_entries(
            ClaimEntry(claim_id=c.claim_id, claim=c.claim) for c in found))}
        return sorted(found, key=lambda c: order[c.claim_id])


__all__ = ["GateViolation", "InconsistentVerdict", "PublisherStore", "StoredClaim", "paper_key"]
