"""Builders of claims, run protocols and measurements for the verdict tests (seed-shaped defaults)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.messages import PaperIngested, VerdictValidated
from shared.models import (
    Claim,
    ClaimCitation,
    ClaimProtocol,
    Evidence,
    Measurement,
    PaperMeta,
    PaperVersion,
    RunProtocol,
)

NOW = datetime(2026, 5, 15, 16, 33, 10, 626000, tzinfo=UTC)
MODEL = "HuggingFaceTB/SmolLM2-1.7B-Instruct"


def claim(**overrides: Any) -> Claim:
    """The seed's claim (Table 4 / SmolLM2-1.7B-Instruct / MMLU 5-shot / 50.8) with a full protocol."""
    citation = dict(
        paper_arxiv_id="2502.02737",
        section="Table 4",
        row="SmolLM2-1.7B-Instruct",
        column="MMLU 5-shot",
        reported_value=50.8,
        reported_metric="accuracy",
        quoted_text="50.8",
        pdf_page=8,
    )
    citation.update(overrides.pop("citation", {}))
    protocol = dict(benchmark="mmlu", benchmark_label="MMLU", split="test", n_shot=5, metric="acc", formulation="mcf")
    protocol.update(overrides.pop("protocol", {}))
    fields: dict[str, Any] = dict(
        claim_id="c-mmlu",
        arxiv_id="2502.02737",
        version=1,
        table_label="Table 4",
        row_index=3,
        col_index=2,
        citation=ClaimCitation(**citation),
        model_label="SmolLM2-1.7B-Instruct",
        model_id=MODEL,
        protocol=ClaimProtocol(**protocol),
        evidence=Evidence(source_file="main.tex", char_start=10, char_end=30, raw_cell="\\textbf{50.8}"),
    )
    fields.update(overrides)
    return Claim(**fields)


def run(**overrides: Any) -> RunProtocol:
    fields: dict[str, Any] = dict(
        benchmark="mmlu",
        split="test",
        n_shot=5,
        metric="acc",
        formulation="mcf",
        full_set=True,
        examples=14042,
        harness="lm-eval",
        dtype="bfloat16",
        model_revision="abc123",
    )
    fields.update(overrides)
    return RunProtocol(**fields)


def measurement(value: float | None = 0.508, **overrides: Any) -> Measurement:
    protocol = overrides.pop("protocol", None) or run()
    fields: dict[str, Any] = dict(
        measurement_id="m-1",
        model_id=MODEL,
        model_revision="abc123",
        task=protocol.benchmark,
        protocol=protocol,
        value=value,
        stderr=0.004,
        metric=protocol.metric,
        examples_used=protocol.examples,
        is_slice=not protocol.full_set,
    )
    fields.update(overrides)
    return Measurement(**fields)


def seed_run() -> RunProtocol:
    """What the seed's service measured: WinoGrande zero-shot on a 249-item slice."""
    return run(
        benchmark="winogrande",
        split="validation",
        n_shot=0,
        metric="acc",
        formulation="cloze",
        full_set=False,
        examples=249,
        slice_seed=1234,
    )


def paper(arxiv_id: str = "2502.02737", latest: int = 1, **overrides: Any) -> PaperMeta:
    fields: dict[str, Any] = dict(
        arxiv_id=arxiv_id,
        title="SmolLM2: When Smol Goes Big",
        abstract="Small LMs.",
        primary_category="cs.CL",
        latest_version=latest,
    )
    fields.update(overrides)
    return PaperMeta(**fields)


def version(arxiv_id: str = "2502.02737", number: int = 1) -> PaperVersion:
    return PaperVersion(
        id=f"{arxiv_id}v{number}", version=number, source_url=f"https://arxiv.org/abs/{arxiv_id}v{number}"
    )


def ingested(arxiv_id: str = "2502.02737", number: int = 1, **paper_overrides: Any) -> PaperIngested:
    return PaperIngested(
        paper=paper(arxiv_id, number, **paper_overrides),
        version=version(arxiv_id, number),
        artifacts=[],
        source_format="tar",
    )


def validated(
    the_claim: Claim, verdict: Any, the_measurement: Measurement | None = None, arxiv_id: str | None = None
) -> VerdictValidated:
    arxiv = arxiv_id or the_claim.arxiv_id
    return VerdictValidated(
        paper=paper(arxiv, the_claim.version),
        version=version(arxiv, the_claim.version),
        claim=the_claim,
        verdict=verdict,
        measurement=the_measurement,
    )
