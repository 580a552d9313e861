"""Pins the JSON of every message type in shared.messages.TOPIC_MESSAGES (and of the dead letter).

A change that renames or removes a field, or changes how a value is written, fails here. Additive
changes fail too, on purpose: look at the diff, then regenerate the pins with

    PV_UPDATE_PINS=1 .venv/bin/pytest tests/unit/pipeline/test_message_pins.py
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared import topics
from shared.deadletters import DeadLetter
from shared.ids import claim_id, measurement_id, paper_version_id, verdict_id
from shared.messages import (
    TOPIC_MESSAGES,
    ClaimExtracted,
    EvaluationCompleted,
    EvaluationPlanned,
    ExtractionCompleted,
    IngestPaper,
    PaperIngested,
    VerdictPublished,
    VerdictValidated,
)
from shared.models import (
    ArtifactRef,
    Claim,
    ClaimCitation,
    ClaimProtocol,
    Measurement,
    ModelResolution,
    PaperMeta,
    PaperVersion,
    RunProtocol,
    Verdict,
)

PINS = Path(__file__).parent / "pins"
WHEN = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CORR = "0123456789abcdef0123456789abcdef"

PAPER = PaperMeta(
    arxiv_id="2611.00001",
    title="A Fixture Paper",
    abstract="We measure small models.",
    primary_category="cs.CL",
    published_at=WHEN,
    latest_version=1,
    authors=["Ada Lovelace"],
)
VERSION = PaperVersion(id=paper_version_id("2611.00001", 1), version=1, source_url="https://arxiv.org/abs/2611.00001v1")
CLAIM_ID = claim_id("2611.00001", 1, "Table 1", 2, 3)
CITATION = ClaimCitation(
    paper_arxiv_id="2611.00001",
    section="Table 1",
    row="tiny-llama",
    column="ARC-Easy",
    reported_value=41.2,
    reported_metric="acc_norm",
    quoted_text="41.2",
)
CLAIM = Claim(
    claim_id=CLAIM_ID,
    arxiv_id="2611.00001",
    version=1,
    table_label="Table 1",
    row_index=2,
    col_index=3,
    citation=CITATION,
    model_label="tiny-llama",
    model_id="paperverdict-fixtures/tiny-llama",
    model_resolution=ModelResolution(
        printed="tiny-llama",
        source="link in paper",
        evidence="the paper links huggingface.co/paperverdict-fixtures/tiny-llama as 'tiny-llama'",
    ),
    protocol=ClaimProtocol(benchmark="arc_easy", benchmark_label="ARC-Easy", n_shot=0, metric="acc_norm"),
)
PROTOCOL = RunProtocol(
    benchmark="arc_easy",
    split="test",
    n_shot=0,
    metric="acc_norm",
    formulation="cloze",
    full_set=True,
    examples=40,
    harness="lm-eval",
)
MEASUREMENT_ID = measurement_id("d242b8eb", "arc_easy", "arc_easy|0|acc_norm", "rev1")
MEASUREMENT = Measurement(
    measurement_id=MEASUREMENT_ID,
    model_id="paperverdict-fixtures/tiny-llama",
    task="arc_easy",
    protocol=PROTOCOL,
    value=0.4,
    stderr=0.08,
    metric="acc_norm",
    examples_used=40,
)
VERDICT = Verdict(
    id=verdict_id(CLAIM_ID, "POST", MEASUREMENT_ID, "0.1.0"),
    kind="POST",
    status="confirmed",
    score=0.4,
    confidence=0.7,
    agent_version="0.1.0",
    computed_at=WHEN,
    claim_citation=CITATION,
    protocol_match="match",
    claim_id=CLAIM_ID,
)

SAMPLES = {
    IngestPaper: IngestPaper(correlation_id=CORR, arxiv_id="2611.00001", requested_by="cli"),
    PaperIngested: PaperIngested(
        correlation_id=CORR,
        paper=PAPER,
        version=VERSION,
        source_format="tar",
        artifacts=[
            ArtifactRef(
                kind="source",
                sha256="ab" * 32,
                size=1234,
                content_type="application/x-eprint",
                filename="2611.00001v1.eprint",
            )
        ],
    ),
    ClaimExtracted: ClaimExtracted(correlation_id=CORR, paper=PAPER, version=VERSION, claim=CLAIM),
    ExtractionCompleted: ExtractionCompleted(
        correlation_id=CORR, paper=PAPER, version=VERSION, claim_count=1, claim_ids=[CLAIM_ID], outcome="claims"
    ),
    EvaluationPlanned: EvaluationPlanned(
        correlation_id=CORR,
        paper=PAPER,
        version=VERSION,
        claim=CLAIM,
        protocol=PROTOCOL,
        model_id="paperverdict-fixtures/tiny-llama",
    ),
    EvaluationCompleted: EvaluationCompleted(
        correlation_id=CORR, paper=PAPER, version=VERSION, claim=CLAIM, measurement=MEASUREMENT
    ),
    VerdictValidated: VerdictValidated(
        correlation_id=CORR, paper=PAPER, version=VERSION, claim=CLAIM, verdict=VERDICT, measurement=MEASUREMENT
    ),
    VerdictPublished: VerdictPublished(
        correlation_id=CORR,
        arxiv_id="2611.00001",
        paper_version=1,
        claim_id=CLAIM_ID,
        verdict=VERDICT,
        paper_title="A Fixture Paper",
        published_at=WHEN,
    ),
    DeadLetter: DeadLetter(
        topic=topics.INGEST_REQUESTS,
        partition=0,
        offset=7,
        key="2502.0273",
        service="ingestor",
        stage="decode",
        attempts=0,
        error_type="MessageRejected",
        error="arXiv ID '2502.0273' is malformed",
        original_size=9,
        original_b64="MjUwMi4wMjcz",
        failed_at=WHEN,
    ),
}


def test_every_topic_message_has_a_sample() -> None:
    assert set(TOPIC_MESSAGES.values()) <= set(SAMPLES)


@pytest.mark.parametrize("model", list(SAMPLES), ids=lambda m: m.__name__)
def test_json_is_pinned(model: type) -> None:
    sample = SAMPLES[model]
    produced = json.loads(sample.model_dump_json())
    pin = PINS / f"{model.__name__}.json"
    if os.environ.get("PV_UPDATE_PINS") == "1" or not pin.exists():
        PINS.mkdir(exist_ok=True)
        pin.write_text(json.dumps(produced, indent=2, sort_keys=True) + "\n")
        if os.environ.get("PV_UPDATE_PINS") != "1":
            pytest.fail(f"wrote the missing pin {pin.name}; check it in")
    assert produced == json.loads(pin.read_text())
    assert model.model_validate_json(pin.read_text()) == sample  # the pinned JSON still reads back


@pytest.mark.parametrize("model", list(TOPIC_MESSAGES.values()), ids=lambda m: m.__name__)
def test_messages_carry_schema_version_and_correlation_id(model: type) -> None:
    fields = model.model_fields
    assert "schema_version" in fields and "correlation_id" in fields
