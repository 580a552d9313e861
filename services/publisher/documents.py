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
from datetime import UTC, datetime
from typing import Any

from shared.documents import DOCUMENT_SCHEMA_VERSION, ClaimEntry, PublishedDocument, VerdictPair
from shared.models import Claim, PaperMeta, PaperVersion, Verdict, VerdictStatus

SEVERITY: dict[VerdictStatus, int] = {"wrong": 0, "partial": 1, "inconclusive": 2, "confirmed": 3, "pending": 4}


def utc(value: datetime) -> datetime:
    """Aware UTC (a naive datetime, as a client without tz_aware returns it, is UTC), so comparisons work."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


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


Position = tuple[str, int, int, str]
Rank = tuple[int, int, float, Position]


def rank_of(pair: VerdictPair, position: Position) -> Rank | None:
    """Smaller ranks first: any POST before any PRE, then severity, confidence (highest first), table
    position. None for a claim without a verdict (never the headline)."""
    if pair.post is not None:
        return 0, SEVERITY[pair.post.status], -pair.post.confidence, position
    if pair.pre is not None:
        return 1, SEVERITY[pair.pre.status], -pair.pre.confidence, position
    return None


def headline_rank(entry: ClaimEntry) -> Rank | None:
    return rank_of(entry.verdicts, claim_position(entry.claim))


def select_headline(entries: Iterable[ClaimEntry]) -> ClaimEntry | None:
    """The headline claim: most severe current POST verdict; before any POST, the PRE verdict with the
    highest confidence (then table position)."""
    ranked = [(rank, e) for e in entries if (rank := headline_rank(e)) is not None]
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


class RecomputeHeadline(Exception):
    """Only the paper's other claims can tell the new headline: the headline claim itself lost rank."""


def next_headline(headline: Rank | None, changed: Rank | None) -> bool:
    """Whether the claim whose verdicts just changed (`changed`, its new rank) becomes the headline,
    knowing only the headline's rank before (a rank ends with the claim's
    position, whose last item is the claim id).

    Exact because no other claim changed. The one case it cannot decide, the headline claim itself
    dropping in rank, raises RecomputeHeadline.
    """
    if changed is None:
        return False  # a claim never loses its verdicts, so this is never the headline claim
    if headline is None:
        return True
    if changed[-1][-1] == headline[-1][-1]:  # the headline claim itself
        if changed <= headline:
            return True
        raise RecomputeHeadline(changed[-1][-1])
    return changed < headline


def headline_fields(entries: Sequence[ClaimEntry]) -> dict[str, Any]:
    """`verdict`, `verdicts`, `claim_id` of the document, from its claims."""
    return fields_of_headline(select_headline(entries))


def fields_of_headline(headline: ClaimEntry | None) -> dict[str, Any]:
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
