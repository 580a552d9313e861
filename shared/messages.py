"""Every Kafka message, declared once. Commands are imperative, events past tense.

Each message carries `schema_version` and `correlation_id` (also sent as Kafka headers, and bound
into every log line). Evolve additively: add optional fields, never rename or remove.
`tests/unit/test_messages.py` pins the JSON of each type.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from shared import topics
from shared.models import (
    ArtifactRef,
    Claim,
    Count,
    Measurement,
    Model,
    PaperMeta,
    PaperVersion,
    RunProtocol,
    Verdict,
)

SCHEMA_VERSION = 1


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(Model):
    schema_version: Count = SCHEMA_VERSION
    correlation_id: str = Field(default_factory=new_correlation_id)


class IngestPaper(Message):
    """Command on `paperverdict.ingest.requests`: fetch a paper and check its claims.

    Users may also publish a bare arXiv ID as UTF-8 text; the ingestor decodes it as text, never JSON
    (so `2502.02730` is not read as the float 2502.0273).
    """

    arxiv_id: str
    force: bool = False  # re-run even when this version was already ingested
    requested_by: str | None = None


class PaperIngested(Message):
    """Event: arXiv metadata fetched, the version's artifacts stored in GridFS."""

    paper: PaperMeta
    version: PaperVersion
    artifacts: list[ArtifactRef]
    source_format: Literal["tar", "tex", "pdf", "none"]


class ClaimExtracted(Message):
    """Event: one numeric result cell, grounded in the source (gate G1 passed in the extractor)."""

    paper: PaperMeta
    version: PaperVersion
    claim: Claim


class ExtractionCompleted(Message):
    """Event: the extractor is done with a paper version; waiters expect `claim_count` POST verdicts."""

    paper: PaperMeta
    version: PaperVersion
    claim_count: Count
    claim_ids: list[str]
    outcome: Literal["claims", "no_tables", "failed"]
    detail: str = ""


class EvaluationPlanned(Message):
    """Event: the evaluator will run `protocol` for `claim` (the PRE verdict follows from it)."""

    paper: PaperMeta
    version: PaperVersion
    claim: Claim
    protocol: RunProtocol
    model_id: str


class EvaluationCompleted(Message):
    """Event: a measurement for the claim, or a failure with its reason (`measurement.failure`)."""

    paper: PaperMeta
    version: PaperVersion
    claim: Claim
    measurement: Measurement


class VerdictValidated(Message):
    """Event: a PRE or POST verdict that passed the validator's gates, ready to publish."""

    paper: PaperMeta
    version: PaperVersion
    claim: Claim
    verdict: Verdict
    measurement: Measurement | None = None


class VerdictPublished(Message):
    """Event on the users' topic: a verdict written to MongoDB (consumers dedupe on `verdict.id`)."""

    arxiv_id: str
    paper_version: Count
    claim_id: str
    verdict: Verdict
    paper_title: str | None = None
    model_id: str | None = None
    published_at: datetime = Field(default_factory=utcnow)


# Which model travels on which topic: used by the AsyncAPI check, the CLI and the tests.
TOPIC_MESSAGES: dict[str, type[Message]] = {
    topics.INGEST_REQUESTS: IngestPaper,
    topics.PAPERS_INGESTED: PaperIngested,
    topics.CLAIMS_EXTRACTED: ClaimExtracted,
    topics.EXTRACTION_COMPLETED: ExtractionCompleted,
    topics.EVALUATIONS_PLANNED: EvaluationPlanned,
    topics.EVALUATIONS_COMPLETED: EvaluationCompleted,
    topics.VERDICTS_VALIDATED: VerdictValidated,
    topics.VERDICTS_PUBLISHED: VerdictPublished,
}
