"""The read model the publisher writes to MongoDB: one published document per paper (seed shape),
plus the verdict history (one `Verdict` per document, unique on `id`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.models import Claim, Model, PaperMeta, PaperVersion, Verdict

PAPERS_COLLECTION = "papers"
VERDICTS_COLLECTION = "verdicts"  # history: every verdict ever published
DOCUMENT_SCHEMA_VERSION = 1


class VerdictPair(Model):
    post: Verdict | None = None
    pre: Verdict | None = None


class ClaimEntry(Model):
    """One claim of the paper with its own current verdicts (our addition to the seed shape)."""

    claim_id: str
    claim: Claim
    verdicts: VerdictPair = Field(default_factory=VerdictPair)


class PublishedDocument(Model):
    """Seed shape: paper, latest_version, verdict (headline), verdicts {post, pre}; the rest is ours."""

    paper: PaperMeta
    latest_version: PaperVersion
    verdict: Verdict | None = None
    verdicts: VerdictPair = Field(default_factory=VerdictPair)
    # additive
    schema_version: int | None = None
    arxiv_id: str | None = None  # the document key (== paper.arxiv_id)
    claim_id: str | None = None  # the headline claim
    claims: list[ClaimEntry] = Field(default_factory=list)
    expected_claims: int | None = None
    extraction_outcome: str | None = None
    extraction_detail: str | None = None  # why, e.g. "limit: latex expansion over 20 MB"
    updated_at: datetime | None = None
