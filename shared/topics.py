"""Kafka topic names: the only channels between services.

Partition keys (see README "Topics"): ingest and paper topics by arXiv ID; claim and evaluation
topics by Hugging Face model id (one evaluator loads a model once for all its claims); verdict topics
by arXiv ID (one paper's document updates in order).
"""

INGEST_REQUESTS = "paperverdict.ingest.requests"
PAPERS_INGESTED = "paperverdict.papers.ingested"
CLAIMS_EXTRACTED = "paperverdict.claims.extracted"
EXTRACTION_COMPLETED = "paperverdict.extraction.completed"
EVALUATIONS_PLANNED = "paperverdict.evaluations.planned"
EVALUATIONS_COMPLETED = "paperverdict.evaluations.completed"
VERDICTS_VALIDATED = "paperverdict.verdicts.validated"
VERDICTS_PUBLISHED = "paperverdict.verdicts.published"

ALL = (
    INGEST_REQUESTS,
    PAPERS_INGESTED,
    CLAIMS_EXTRACTED,
    EXTRACTION_COMPLETED,
    EVALUATIONS_PLANNED,
    EVALUATIONS_COMPLETED,
    VERDICTS_VALIDATED,
    VERDICTS_PUBLISHED,
)


def dead_letter(topic: str) -> str:
    """The dead-letter topic of `topic`: failed messages go there with the error and original bytes."""
    return f"{topic}.dlq"


# Claims and evaluations whose model could not be resolved share this partition key.
UNRESOLVED_KEY = "unresolved"


def model_key(model_id: str | None) -> str:
    """The partition key of claim and evaluation topics: the model id, so that one evaluator loads a
    model once for all its claims."""
    return model_id or UNRESOLVED_KEY
