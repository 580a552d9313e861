"""The read model in MongoDB (FerretDB): published documents, claims, and the verdict history.

Collections
- `verdicts` (history): every verdict ever published, `_id` = verdict id, so a replay cannot insert a
  second copy. A newer verdict of the same claim and kind sets the older one's `is_current` to false.
- `claims`: one document per claim (`_id` = claim id) with the claim, its current PRE and POST
  verdicts and the measurement behind the POST verdict (per-example records stay in GridFS).
- `papers`: one document per paper (`_id` = arXiv ID): the seed shape (paper, latest_version, the
  headline `verdict` and `verdicts`) plus `claim_id`, `expected_claims`, `extraction_outcome`, `extraction_detail`. Its
  `claims` array is assembled on read from the `claims` collection (latest version, table order), so a
  verdict never rewrites the whole document: on FerretDB (SQLite) that cost grew with the claim count.
- `claim_cards`: each claim's card (`services/publisher/cards.py`: status, table, model, unmeasurable
  reason, plot point) as a JSON string, in CARD_BUCKETS documents per paper version (`_id` =
  "<arXiv ID>#<version>#<bucket>", the card under a hash of the claim id): the paper page reads its
  buckets by `_id` and only the full claims whose rows it shows. FerretDB's cost grows with the values
  it decodes, so 4,000 cards as strings read in a fraction of a second where 4,000 claims take seconds;
  a verdict rewrites one card (`$set` of one field) in its bucket.
- `claim_rows`: each claim's entry (claim and current verdicts) as one JSON string (`_id` = claim id),
  what a shown row of the page renders: a string is read in milliseconds where FerretDB takes ~17 ms
  to decode the same claim's nested document.

Cost of one verdict: FerretDB v1 (SQLite) answers `_id` lookups from its primary key and scans the
collection for any other filter, and supports neither `claims.$` nor arrayFilters. So the verdict
path reads and writes by `_id` only: the claim's document says which verdict is current (no history
query), the superseded verdict is updated by its id, and the headline moves incrementally
(`next_headline`); only when the headline claim itself loses rank, or a new arXiv version arrives,
are the paper's claims read again.

FerretDB has no transactions and no change streams, and one process may handle a `papers.ingested`
and a `verdicts.validated` message of the same paper at once: every write is a field-level `$set`
under a per-paper asyncio.Lock. A crash between the history insert and the projection is repaired by
the replay of that message, which Kafka delivers before any later message of the paper (same key,
same partition, offset committed after the write).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from services.publisher.cards import Card, card_of, cards_of
from services.publisher.documents import (
    RecomputeHeadline,
    claim_position,
    fields_of_headline,
    headline_rank,
    is_newer,
    next_headline,
    rank_of,
    select_headline,
    sorted_entries,
    utc,
)
from shared.clock import utc_now
from shared.documents import (
    DOCUMENT_SCHEMA_VERSION,
    PAPERS_COLLECTION,
    VERDICTS_COLLECTION,
    ClaimEntry,
    PublishedDocument,
    VerdictPair,
)
from shared.gates import GateViolation, check_c1, require
from shared.ids import InvalidArxivId, parse_arxiv_id
from shared.messages import ExtractionCompleted, PaperIngested, VerdictValidated
from shared.models import Claim, GateOutcome, Measurement, Model, Verdict

CLAIMS_COLLECTION = "claims"
CARDS_COLLECTION = "claim_cards"
ROWS_COLLECTION = "claim_rows"
CARD_BUCKETS = 16


class StoredClaim(Model):
    """A claim as the `claims` collection keeps it."""

    claim_id: str
    arxiv_id: str
    version: int
    claim: Claim
    verdicts: VerdictPair = Field(default_factory=VerdictPair)
    measurement: Measurement | None = None
    updated_at: datetime | None = None

    @property
    def entry(self) -> ClaimEntry:
        return ClaimEntry(claim_id=self.claim_id, claim=self.claim, verdicts=self.verdicts)


class InconsistentVerdict(ValueError):
    """The message's verdict, claim and paper do not belong together: dead-letter it."""


def paper_key(arxiv_id: str) -> str:
    """The document key: the arXiv ID without version ("2502.02737v2" -> "2502.02737")."""
    try:
        return parse_arxiv_id(arxiv_id).base
    except InvalidArxivId:
        return arxiv_id.strip()


def _aware(value: Any) -> Any:
    """Make datetimes aware, recursively: our clients are tz_aware, but a client made without it (a
    script, an older deployment's tools) hands back naive UTC datetimes."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, dict):
        return {k: _aware(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, list):
        return [_aware(v) for v in value]
    return value


def _dump(model: Model) -> dict[str, Any]:
    return model.model_dump(mode="python")


def card_slot(key: str, version: int, claim_id: str) -> tuple[str, str]:
    """The bucket (`_id`) and field a claim's card is kept under: a hash of its id, no dots or `$`."""
    digest = hashlib.sha256(claim_id.encode()).hexdigest()
    return f"{key}#{version}#{int(digest[:8], 16) % CARD_BUCKETS:02d}", digest[:24]


class PublisherStore:
    """Writes (publisher service) and reads (API) of the read model over one motor database."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.papers = db[PAPERS_COLLECTION]
        self.verdicts = db[VERDICTS_COLLECTION]
        self.claims = db[CLAIMS_COLLECTION]
        self.cards = db[CARDS_COLLECTION]
        self.rows = db[ROWS_COLLECTION]
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
            adopted = await self._adopt_version(key, msg.paper, msg.version)
            if adopted == "older":
                return
            if adopted == "same":  # withdrawn and the version's metadata as arXiv says now
                await self.papers.update_one(
                    {"_id": key}, {"$set": {"paper": _dump(msg.paper), "latest_version": _dump(msg.version)}}
                )
            await self.rebuild_document(key)

    async def record_extraction(self, msg: ExtractionCompleted) -> None:
        """How many claims the extractor found for the latest version, and its outcome."""
        key = paper_key(msg.paper.arxiv_id)
        async with self._lock(key):
            adopted = await self._adopt_version(key, msg.paper, msg.version)
            if adopted == "newer":
                await self.rebuild_document(key)
            if adopted == "older":
                return  # an older version's extraction: the document shows the latest one
            await self.papers.update_one(
                {"_id": key},
                {
                    "$set": {
                        "expected_claims": msg.claim_count,
                        "extraction_outcome": msg.outcome,
                        "extraction_detail": msg.detail or None,
                        "updated_at": utc_now(),
                    }
                },
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
            claim_doc = await self.claims.find_one({"_id": claim.claim_id}, projection={"verdicts": 1})
            pair = VerdictPair.model_validate(_aware((claim_doc or {}).get("verdicts") or {}))
            current = pair.post if verdict.kind == "POST" else pair.pre
            newest = current is None or current.id == verdict.id or is_newer(verdict, current)
            history = {
                **_dump(verdict.model_copy(update={"is_current": newest})),
                "_id": verdict.id,
                "arxiv_id": key,
                "claim_id": claim.claim_id,
                "paper_version": claim.version,
                "correlation_id": msg.correlation_id,
                "recorded_at": utc_now(),
            }
            try:
                await self.verdicts.insert_one(history)
            except DuplicateKeyError:
                await self._repair_after_replay(key, msg, verdict, pair)
                return False
            if newest and current is not None and current.id != verdict.id:
                await self.verdicts.update_one({"_id": current.id}, {"$set": {"is_current": False}})
            await self._project(key, msg, verdict if newest else None, pair)
            return True

    async def announced(self, verdict_id: str) -> bool:
        """Whether this verdict's `VerdictPublished` event was acknowledged by the broker before."""
        doc = await self.verdicts.find_one({"_id": verdict_id}, projection={"announced_at": 1})
        return bool(doc and doc.get("announced_at"))

    async def mark_announced(self, verdict_id: str) -> None:
        await self.verdicts.update_one({"_id": verdict_id}, {"$set": {"announced_at": utc_now()}})

    async def recorded_at(self, verdict_id: str) -> datetime | None:
        """When this verdict was written to the history (None: never); its event can only be later."""
        doc = await self.verdicts.find_one({"_id": verdict_id}, projection={"recorded_at": 1})
        stamp = doc.get("recorded_at") if doc else None
        if not isinstance(stamp, datetime):
            return None
        return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)

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

    async def _repair_after_replay(self, key: str, msg: VerdictValidated, verdict: Verdict, pair: VerdictPair) -> None:
        """A replay writes nothing new, unless an earlier attempt died between history and projection."""
        projected = pair.post if verdict.kind == "POST" else pair.pre
        stored = await self.verdicts.find_one({"_id": verdict.id}, projection={"is_current": 1})
        if not stored or not stored.get("is_current") or (projected is not None and projected.id == verdict.id):
            return
        if projected is not None and not is_newer(verdict, projected):
            # a newer verdict was projected since: this one is history only
            await self.verdicts.update_one({"_id": verdict.id}, {"$set": {"is_current": False}})
            return
        if projected is not None:
            await self.verdicts.update_one({"_id": projected.id}, {"$set": {"is_current": False}})
        await self._project(key, msg, verdict, pair)

    async def _project(self, key: str, msg: VerdictValidated, current: Verdict | None, pair: VerdictPair) -> None:
        """Claims collection (`pair`: the claim's verdicts before), then the paper document's headline."""
        claim = msg.claim
        fields: dict[str, Any] = {
            "claim_id": claim.claim_id,
            "arxiv_id": key,
            "version": claim.version,
            "claim": _dump(claim),
            "updated_at": utc_now(),
        }
        if current is not None:
            slot = "post" if current.kind == "POST" else "pre"
            projected = current.model_copy(update={"is_current": True})
            fields[f"verdicts.{slot}"] = _dump(projected)
            pair = pair.model_copy(update={slot: projected})
            if current.kind == "POST" and msg.measurement is not None:
                fields["measurement"] = _dump(msg.measurement)
        await self.claims.update_one({"_id": claim.claim_id}, {"$set": fields}, upsert=True)
        await self._write_cards(key, claim.version, [ClaimEntry(claim_id=claim.claim_id, claim=claim, verdicts=pair)])
        adopted = await self._adopt_version(key, msg.paper, msg.version)
        if adopted == "newer":
            await self.rebuild_document(key)
        elif adopted == "same" and claim.version == msg.version.version:
            await self._move_headline(key, ClaimEntry(claim_id=claim.claim_id, claim=claim, verdicts=pair))

    async def _move_headline(self, key: str, changed: ClaimEntry) -> None:
        """The headline after one claim changed, from the stored headline's rank: no other claim is read."""
        doc = await self.papers.find_one({"_id": key}, projection={"verdicts": 1, "headline_position": 1})
        if doc is None:
            return
        position = doc.get("headline_position")
        stored = VerdictPair.model_validate(_aware(doc.get("verdicts") or {}))
        headline = rank_of(stored, tuple(position)) if position else None  # type: ignore[arg-type]
        try:
            takes_over = next_headline(headline, headline_rank(changed))
        except RecomputeHeadline:
            await self.rebuild_document(key)
            return
        fields = self._headline_set(changed) if takes_over else {"updated_at": utc_now()}
        await self.papers.update_one({"_id": key}, {"$set": fields})

    @staticmethod
    def _headline_set(headline: ClaimEntry | None) -> dict[str, Any]:
        fields = fields_of_headline(headline)
        return {
            "verdict": _dump(fields["verdict"]) if fields["verdict"] else None,
            "verdicts": _dump(fields["verdicts"]),
            "claim_id": fields["claim_id"],
            # internal: the headline claim's table position, so the next verdict can rank against it
            "headline_position": list(claim_position(headline.claim)) if headline else None,
            "updated_at": utc_now(),
        }

    async def _adopt_version(self, key: str, paper: Any, version: Any) -> str:
        """Create the document if absent ("newer"); move it to `version` if newer ("newer");
        "same" for the stored version, "older" for an older one (which changes nothing)."""
        existing = await self.papers.find_one({"_id": key}, projection={"latest_version": 1})
        stored = (existing or {}).get("latest_version", {}).get("version", 0)
        if existing is None or version.version > stored:
            fields: dict[str, Any] = {
                "paper": _dump(paper),
                "latest_version": _dump(version),
                "arxiv_id": key,
                "schema_version": DOCUMENT_SCHEMA_VERSION,
            }
            if existing is None:  # every claim of a new paper gets its card with its first verdict
                fields["cards_complete"] = True
            if existing is not None:
                fields.update(expected_claims=None, extraction_outcome=None, extraction_detail=None)
            await self.papers.update_one({"_id": key}, {"$set": fields}, upsert=True)
            return "newer"
        return "same" if version.version == stored else "older"

    async def rebuild_document(self, key: str) -> None:
        """Recompute the headline (`verdict`, `verdicts`, `claim_id`) from all the latest version's claims.

        Run when the version changes or the headline claim loses rank. A paper whose every claim has
        its card (`cards_complete`: created by this release, or its cards built once from its claims)
        is ranked from its card buckets, read by `_id`, and only the headline claim's row is read; an
        older one reads every claim. Drops a `claims` array stored by earlier releases.
        """
        doc = await self.papers.find_one({"_id": key}, projection={"latest_version": 1, "cards_complete": 1})
        if doc is None:
            return
        version = doc["latest_version"]["version"]
        if doc.get("cards_complete"):
            ranked = [c for c in await self._cards_of(key, version) if c.rank is not None]
            best = min(ranked, key=lambda c: c.rank or ()) if ranked else None
            headline = (await self.get_entries([best.claim_id])).get(best.claim_id) if best else None
        else:
            headline = select_headline(
                [c.entry async for c in self._stored_claims({"arxiv_id": key, "version": version})]
            )
        await self.papers.update_one({"_id": key}, {"$set": self._headline_set(headline), "$unset": {"claims": ""}})

    async def _cards_of(self, key: str, version: int) -> list[Card]:
        """The version's cards, bucket by bucket: FerretDB-SQLite answers an `_id` equality from its
        primary key (~6 ms a bucket of 250 cards, whatever the collection holds) but scans the whole
        collection for `_id $in` (4.5 s with 100 papers' buckets)."""
        cards = []
        for bucket in range(CARD_BUCKETS):
            doc = await self.cards.find_one({"_id": f"{key}#{version}#{bucket:02d}"})
            cards += [Card.from_json(text) for text in ((doc or {}).get("cards") or {}).values()]
        return cards

    async def _write_cards(self, key: str, version: int, entries: Sequence[ClaimEntry]) -> None:
        """The entries' cards into their buckets (one `$set` per bucket) and their rows (one each)."""
        by_bucket: dict[str, dict[str, str]] = {}
        for entry in entries:
            bucket, field = card_slot(key, version, entry.claim_id)
            by_bucket.setdefault(bucket, {})[f"cards.{field}"] = card_of(entry).to_json()
        for bucket, fields in by_bucket.items():
            await self.cards.update_one(
                {"_id": bucket}, {"$set": {**fields, "arxiv_id": key, "version": version}}, upsert=True
            )
        rows = [
            UpdateOne({"_id": e.claim_id}, {"$set": {"entry": e.model_dump_json(), "arxiv_id": key}}, upsert=True)
            for e in entries
        ]
        if rows:
            await self.rows.bulk_write(rows, ordered=False)

    async def _stored_claims(self, query: dict[str, Any]):  # type: ignore[no-untyped-def]
        async for raw in self.claims.find(query):
            yield StoredClaim.model_validate(_aware(raw))

    # ------------------------------------------------------------ reads (the API)

    async def get_paper(self, arxiv_id: str) -> PublishedDocument | None:
        """The paper's document without its claims (`claims` empty; see `get_cards`)."""
        doc = await self.papers.find_one({"_id": paper_key(arxiv_id)})
        return PublishedDocument.model_validate({**_aware(doc), "claims": []}) if doc else None

    async def get_cards(self, doc: PublishedDocument) -> list[Card]:
        """Every claim's card of the document's version, in table order: its card buckets by `_id`.
        A paper published before cards existed gets them from its claims, once."""
        key, version = paper_key(doc.arxiv_id or doc.paper.arxiv_id), doc.latest_version.version
        cards = await self._cards_of(key, version)
        if not cards and doc.expected_claims != 0:  # none found: a paper stored before cards, or none yet
            entries = [c.entry async for c in self._stored_claims({"arxiv_id": key, "version": version})]
            if entries:
                await self._write_cards(key, version, entries)
                await self.papers.update_one({"_id": key}, {"$set": {"cards_complete": True}})
            cards = cards_of(entries)
        return sorted(cards, key=lambda c: c.position)

    async def get_entries(self, claim_ids: Sequence[str]) -> dict[str, ClaimEntry]:
        """The full entries of these claims (the rows a page shows), one `_id` lookup each (an `$in`
        would scan the collection on FerretDB-SQLite); a claim stored before rows existed is read
        from its claim document."""
        found: dict[str, ClaimEntry] = {}
        for claim_id in dict.fromkeys(claim_ids):
            row = await self.rows.find_one({"_id": claim_id})
            if row is not None:
                found[claim_id] = ClaimEntry.model_validate_json(row["entry"])
                continue
            raw = await self.claims.find_one({"_id": claim_id})
            if raw is not None:
                found[claim_id] = StoredClaim.model_validate(_aware(raw)).entry
        return found

    async def get_document(self, arxiv_id: str) -> PublishedDocument | None:
        doc = await self.papers.find_one({"_id": paper_key(arxiv_id)})
        return (await self._with_claims([doc]))[0] if doc else None

    async def list_documents(
        self, *, limit: int = 50, offset: int = 0, query: dict[str, Any] | None = None
    ) -> list[PublishedDocument]:
        """Newest first; `query` is a plain find filter (the web page's search, see services/api/listing.py)."""
        return await self._with_claims(await self._newest(limit, offset, query))

    async def list_papers(
        self, *, limit: int = 50, offset: int = 0, query: dict[str, Any] | None = None
    ) -> list[PublishedDocument]:
        """As `list_documents`, without assembling the claims (`claims` is empty; `expected_claims` counts
        them): FerretDB scans the claims collection for every paper's claims, which a list need not pay."""
        return [
            PublishedDocument.model_validate({**_aware(doc), "claims": []})
            for doc in await self._newest(limit, offset, query)
        ]

    async def _newest(self, limit: int, offset: int, query: dict[str, Any] | None) -> list[dict[str, Any]]:
        cursor = (
            self.papers.find(query or {})
            .sort([("updated_at", DESCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def _with_claims(self, docs: list[dict[str, Any]]) -> list[PublishedDocument]:
        """The documents with `claims`: their latest version's claims in table order, one query for all."""
        if not docs:
            return []
        keys = [doc["_id"] for doc in docs]
        by_paper: dict[tuple[str, int], list[ClaimEntry]] = {}
        query = {"arxiv_id": keys[0]} if len(keys) == 1 else {"arxiv_id": {"$in": keys}}
        async for c in self._stored_claims(query):
            by_paper.setdefault((c.arxiv_id, c.version), []).append(c.entry)
        published = []
        for doc in docs:
            version = doc["latest_version"]["version"]
            claims = sorted_entries(by_paper.get((doc["_id"], version), []))
            published.append(PublishedDocument.model_validate({**_aware(doc), "claims": claims}))
        return published

    async def count_documents(self, query: dict[str, Any] | None = None) -> int:
        return await self.papers.count_documents(query or {})

    async def progress(self, *, limit: int = 10_000) -> list[tuple[str, int | None, int]]:
        """(arXiv ID, expected claims or None before extraction, claims of the latest version with a
        POST verdict) per paper: `paperverdict status` counts the papers still in flight."""
        latest: dict[str, int] = {}
        expected: dict[str, int | None] = {}
        async for doc in self.papers.find({}, {"latest_version": 1, "expected_claims": 1}).limit(limit):
            latest[doc["_id"]] = doc["latest_version"]["version"]
            expected[doc["_id"]] = doc.get("expected_claims")
        done = dict.fromkeys(latest, 0)
        async for c in self.claims.find({"verdicts.post": {"$ne": None}}, {"arxiv_id": 1, "version": 1}):
            if latest.get(c["arxiv_id"]) == c["version"]:
                done[c["arxiv_id"]] += 1
        return [(key, expected[key], done[key]) for key in latest]

    async def get_history(self, arxiv_id: str, *, limit: int = 200, offset: int = 0) -> tuple[list[Verdict], int]:
        """One page of the paper's verdicts, newest first (superseded ones have is_current false), and the total."""
        query = {"arxiv_id": paper_key(arxiv_id)}
        cursor = (
            self.verdicts.find(query).sort([("computed_at", DESCENDING), ("_id", DESCENDING)]).skip(offset).limit(limit)
        )
        verdicts = [Verdict.model_validate(_aware(doc)) async for doc in cursor]
        return verdicts, await self.verdicts.count_documents(query)

    async def get_claim(self, claim_id: str) -> StoredClaim | None:
        doc = await self.claims.find_one({"_id": claim_id})
        return StoredClaim.model_validate(_aware(doc)) if doc else None


__all__ = ["GateViolation", "InconsistentVerdict", "PublisherStore", "StoredClaim", "paper_key"]
