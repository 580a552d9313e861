"""The published document, built from a paper's claims and their current verdicts (pure).

A paper has many claims and one published document (a superset of the seed shape):
- `verdict` is the paper's headline: the most severe current POST verdict of the paper's latest
  version (wrong, then partial, then inconclusive, then confirmed; ties by confidence, highest first,
  then by claim position); a PRE verdict until the first POST;
- `verdicts` the headline claim's latest PRE and POST;
- `claims` every claim of that version with its own current verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from shared.documents import DOCUMENT_SCHEMA_VERSION, ClaimEntry, PublishedDocument, VerdictPair
from shared.models import Claim, PaperMeta, PaperVersion, Verdict

SEVERITY: dict[str, int] = {"wrong": 0, "partial": 1, "inconclusive": 2, "confirmed": 3, "pending": 4}


def utc(value: datetime) -> datetime:
    """MongoDB returns naive UTC datetimes; make every datetime aware so comparisons work."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def verdict_order(verdict: Verdict) -> tuple[datetime, str]:
    """Which of two verdicts of the same claim and kind is newer: computed_at, then id."""
    return utc(verdict.computed_at), verdict.id


def is_newer(candidate: Verdict, current: Verdict | None) -> bool:
    return current is None or verdict_order(candidate) > verdict_order(current)


def claim_position(claim: Claim) -> tuple[str, int, int, str]:
    return claim.table_label, claim.row_index, claim.col_index, claim.claim_id


def apply_verdict(entry: ClaimEntry | None, claim: Claim, verdict: Verdict) -> ClaimEntry:
    """The claim's entry with `verdict` as its current verdict of that kind, unless a newer one is there."""
    pair = entry.verdicts if entry is not None else VerdictPair()
    slot = "post" if verdict.kind == "POST" else "pre"
    current = getattr(pair, slot)
    if is_newer(verdict, current):
        pair = pair.model_copy(update={slot: verdict.model_copy(update={"is_current": True})})
    return ClaimEntry(claim_id=claim.claim_id, claim=claim, verdicts=pair)


def _headline_key(entry: ClaimEntry, verdict: Verdict) -> tuple[int, float, tuple[str, int, int, str]]:
    return SEVERITY[verdict.status], -verdict.confidence, claim_position(entry.claim)


def select_headline(entries: Iterable[ClaimEntry]) -> ClaimEntry | None:
    """The headline claim: most severe current POST verdict; before any POST, the PRE verdict with the
    highest confidence (then table position)."""
    entries = list(entries)
    with_post = [e for e in entries if e.verdicts.post is not None]
    if with_post:
        return min(with_post, key=lambda e: _headline_key(e, e.verdicts.post))  # type: ignore[arg-type]
    with_pre = [e for e in entries if e.verdicts.pre is not None]
    if with_pre:
        return min(with_pre, key=lambda e: _headline_key(e, e.verdicts.pre))  # type: ignore[arg-type]
    return None


def headline_fields(entries: Sequence[ClaimEntry]) -> dict[str, Any]:
    """`verdict`, `verdicts`, `claim_id` of the document, from its claims."""
    headline = select_headline(entries)
    if headline is None:
        return {"verdict": None, "verdicts": VerdictPair(), "claim_id": None}
    pair = headline.verdicts
    return {"verdict": pair.post or pair.pre, "verdicts": pair, "claim_id": headline.claim_id}


def sorted_entries(entries: Iterable[ClaimEntry]) -> list[ClaimEntry]:
    return sorted(entries, key=lambda e: claim_position(e.claim))


def build_document(
    paper: PaperMeta,
    version: PaperVersion,
    entries: Iterable[ClaimEntry],
    *,
    now: datetime,
    expected_claims: int | None = None,
    extraction_outcome: str | None = None,
) -> PublishedDocument:
    """The whole document for one paper version (claims of other versions are left out)."""
    chosen = sorted_entries(e for e in entries if e.claim.version == version.version)
    return PublishedDocument(
        paper=paper,
        latest_version=version,
        schema_version=DOCUMENT_SCHEMA_VERSION,
        arxiv_id=paper.arxiv_id,
        claims=chosen,
        expected_claims=expected_claims,
        extraction_outcome=extraction_outcome,
        updated_at=now,
        **headline_fields(chosen),
    )


def status_counts(entries: Iterable[ClaimEntry]) -> dict[str, int]:
    """How many claims have each current status (POST if any, else PRE's `pending`)."""
    counts: dict[str, int] = {}
    for entry in entries:
        verdict = entry.verdicts.post or entry.verdicts.pre
        key = verdict.status if verdict is not None else "unverified"
        counts[key] = counts.get(key, 0) + 1
    return counts
