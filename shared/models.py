"""Value types that travel inside messages and documents: papers, claims, measurements, verdicts.

Field names of `PaperMeta`, `PaperVersion`, `ClaimCitation` and `Verdict` are those of the seed
document (`../shared/seed/published_verdict_example.json`); everything we add is optional, so the
seed validates unchanged and schemas evolve additively.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

VerdictKind = Literal["PRE", "POST"]
VerdictStatus = Literal["confirmed", "partial", "wrong", "inconclusive", "pending"]
# The one list of statuses: every map keyed by status is typed `dict[VerdictStatus, ...]` and
# tests/unit/test_registries.py checks its keys equal these.
VERDICT_STATUSES: tuple[VerdictStatus, ...] = get_args(VerdictStatus)
ProtocolMatch = Literal["match", "mismatch", "unknown"]
ArtifactKind = Literal["source", "html", "pdf", "records"]
# A number that enters from outside (a paper, a message, a file): finite, and a number, never a bool or a
# string that looks like one ("0.6", true, NaN and ±Inf are refused, not coerced).
Finite = Annotated[float, Field(allow_inf_nan=False, strict=True)]
# An integer that enters from outside (a count, an index, a size, a version): non-negative and bounded, so a
# 400-digit `examples_used` is refused at the boundary instead of reaching statistics or MongoDB's int64.
Count = Annotated[int, Field(ge=0, le=10**15)]


class Model(BaseModel):
    """Base of every schema: unknown fields are ignored so that older readers survive additions."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# ---------------------------------------------------------------- papers


class PaperMeta(Model):
    """arXiv metadata, as arXiv's Atom API gives it (seed: `paper`)."""

    arxiv_id: str
    title: str
    abstract: str
    primary_category: str | None = None
    venue: str | None = None
    published_at: datetime | None = None
    latest_version: Count
    withdrawn: bool = False
    # additive
    authors: list[str] = Field(default_factory=list)
    updated_at: datetime | None = None


class PaperVersion(Model):
    """The paper version a verdict was computed on (seed: `latest_version`)."""

    id: str
    version: Count
    source_url: str
    rendered_html_url: str | None = None
    rendering_engine: str | None = None


class ArtifactRef(Model):
    """A large artifact stored in MongoDB GridFS by the service that produced it, found by sha256."""

    kind: ArtifactKind
    sha256: str
    size: Count
    content_type: str
    filename: str


# ---------------------------------------------------------------- claims


class ClaimCitation(Model):
    """Where a claim stands in the paper (seed: `claim_citation`)."""

    paper_arxiv_id: str
    section: str  # "Table 2", "Table A.1"
    row: str  # printed row header(s), multi-level joined with " / "
    column: str  # printed column header(s), multi-level joined with " / "
    reported_value: Finite
    reported_metric: str
    quoted_text: str  # the number exactly as printed
    pdf_page: Count | None = None
    notes: str = ""


class ProtocolStatement(Model):
    """A sentence of the paper's body text that states part of a claim's protocol ("8-shot GSM8K")."""

    field: str  # "n_shot", "harness"
    value: str
    source_file: str
    char_start: Count
    char_end: Count
    text: str  # the sentence as written in the source file at [char_start, char_end)
    plain: str = ""  # the sentence as printed


class Evidence(Model):
    """Proof that the quoted text is at the cited cell: a span of the LaTeX source, and the HTML cell."""

    source_file: str | None = None
    char_start: Count | None = None
    char_end: Count | None = None
    raw_cell: str = ""
    html_element_id: str | None = None
    html_text: str | None = None
    statements: list[ProtocolStatement] = Field(default_factory=list)  # body-text protocol, with their spans


class ClaimProtocol(Model):
    """The protocol the paper states for a cell, normalised. None means the paper does not say."""

    benchmark: str | None = None  # canonical task key: "mmlu", "hellaswag", "arc_challenge", ...
    benchmark_label: str = ""  # as printed
    subset: str | None = None
    split: str | None = None
    n_shot: Count | None = None
    metric: str | None = None  # "acc", "acc_norm", "exact_match", "pass@1", "f1", "rouge"
    formulation: str | None = None  # "mcf", "cloze", "cot"
    harness: str | None = None  # "lm-eval", "lighteval" when the paper names it
    scale: Literal["percent", "fraction"] = "percent"
    is_aggregate: bool = False
    held_out: bool = False
    derived: Literal["average", "rank", "delta"] | None = None  # computed from other cells: never measurable
    task: str | None = None  # the exact lm-eval task the claim will run ("truthfulqa_mc2", "bbh_cot_fewshot")
    chat_template: bool | None = None  # the paper says prompts went through the model's chat template
    fewshot_as_multiturn: bool | None = None  # few-shot examples as chat turns (lm-eval's fewshot_as_multiturn)
    system_prompt: str | None = None  # as the paper states it


class ModelResolution(Model):
    """How a claim's printed model name became a Hugging Face repo id, or why it did not."""

    printed: str  # the name as the header levels print it ("Qwen 2.5 / 32B")
    source: str | None = None  # "link in cell", "link in paper", "repo name", "index", "hub: paper tag", ...
    evidence: str = ""  # what pinned the checkpoint: the fields read and the entry they matched
    candidates: list[str] = Field(default_factory=list)  # the repos an ambiguous name could be
    want_instruct: bool = False  # the table's context says instruction-tuned models
    hub_query: str | None = None  # the name to ask the Hub for, when nothing offline decided it
    reason: str | None = None  # why no repo, when unresolved (also the first of the claim's unmeasurable reasons)


class Claim(Model):
    """One numeric result cell of one table of one paper version."""

    claim_id: str
    arxiv_id: str
    version: Count
    table_label: str  # "Table 2"
    row_index: Count
    col_index: Count
    citation: ClaimCitation
    model_label: str  # the model's name as printed
    model_id: str | None = None  # Hugging Face repo id, when resolved
    model_resolution: ModelResolution | None = None  # the decision behind model_id, with its evidence
    protocol: ClaimProtocol
    spread: Finite | None = None  # the ± part, when printed
    components: list[str] = Field(default_factory=list)  # claim ids an aggregate averages
    measurable: bool = True
    unmeasurable_reason: str | None = None
    evidence: Evidence = Field(default_factory=Evidence)
    source_sha256: str | None = None  # the stored artifact the evidence points into


# ---------------------------------------------------------------- measurements


class RunProtocol(Model):
    """The protocol the evaluator runs (or ran): compared field by field with `ClaimProtocol`."""

    benchmark: str
    subset: str | None = None
    split: str
    n_shot: Count
    metric: str
    formulation: str
    full_set: bool
    examples: Count
    slice_seed: Count | None = None
    harness: str
    model_revision: str | None = None
    dtype: str | None = None
    chat_template: bool = False
    data_revision: str | None = None
    task: str | None = None  # the lm-eval task run (None: measured before 2026-12-06 by a hand-written task)
    task_version: str | None = None  # lm-eval's version of that task
    task_config_hash: str | None = None  # sha256 of its resolved config (prompts, filters, metrics)
    lm_eval_version: str | None = None  # the lm-eval package that built the requests and scored them
    fewshot_as_multiturn: bool = False
    system_prompt: str | None = None


class Measurement(Model):
    """A measured value for a claim, or a failure with its reason (then `value` is None)."""

    measurement_id: str
    model_id: str
    model_revision: str | None = None
    task: str
    protocol: RunProtocol | None = None
    value: Finite | None = None  # fraction for accuracy-like metrics
    stderr: Finite | None = None  # as lm-eval computes it
    metric: str | None = None
    examples_used: Count = 0
    is_slice: bool = False
    device: str | None = None
    seconds: float | None = None
    tokens: Count | None = None
    peak_memory_bytes: Count | None = None
    records_sha256: str | None = None  # per-example records in GridFS
    cached: bool = False
    failure: str | None = None


# ---------------------------------------------------------------- verdicts


class FieldMatch(Model):
    """The outcome of comparing one protocol field between claim and run."""

    field: str
    claimed: str | None
    measured: str | None
    outcome: Literal["match", "mismatch", "unknown"]
    critical: bool


class GateOutcome(Model):
    """A gate's decision on a verdict (C1, G1), stored beside it."""

    gate: str
    passed: bool
    detail: str = ""
    changed_status_from: VerdictStatus | None = None


class Verdict(Model):
    """A verdict, seed-shaped; everything after `protocol_match` is our addition."""

    id: str
    kind: VerdictKind
    status: VerdictStatus
    score: Finite | None = None
    confidence: Finite
    agent_version: str
    computed_at: datetime
    is_current: bool = True
    claim_citation: ClaimCitation
    protocol_match: ProtocolMatch
    # additive
    schema_version: Count | None = None
    claim_id: str | None = None
    paper_version: Count | None = None
    measurement_id: str | None = None
    protocol_fields: list[FieldMatch] = Field(default_factory=list)
    gates: list[GateOutcome] = Field(default_factory=list)
    run_protocol: RunProtocol | None = None
    stderr: float | None = None
    examples_used: Count | None = None
