"""Field-by-field comparison of the protocol a paper states (`ClaimProtocol`) with the one we ran.

Critical fields decide `protocol_match`: all `match` -> match; any `mismatch` -> mismatch; otherwise
(some unstated) -> unknown. A field the paper does not state (None) is `unknown`, never a mismatch,
with one exception: a benchmark the paper names but we have no key for cannot be the one we ran.
An unstated split is a match when we ran the benchmark's conventional evaluation split
(`shared.benchmarks.BENCHMARKS`), since that is what a bare "HellaSwag" in a results table means.
Advisory fields (harness, model revision, dtype) never change `protocol_match`; the ones the paper
does not state only lower confidence (see confidence.py).

The prompt format of instruction-tuned models is critical: chat template, few-shot examples as chat
turns, system prompt. Papers rarely state them; unstated, they match "by convention" when we ran
lm-eval's defaults (no chat template; multi-turn few-shot exactly when the template is applied; no
system prompt), as a bare results table means; a stated one that differs from the run is a mismatch.
An unstated chat template still lowers confidence as an unstated advisory field does.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.benchmarks import BENCHMARKS
from shared.models import Claim, FieldMatch, ProtocolMatch, RunProtocol

PROTOCOL_RULES_VERSION = "p2"

CRITICAL_FIELDS = (
    "model",
    "benchmark",
    "subset",
    "split",
    "n_shot",
    "formulation",
    "metric",
    "full_set",
    "chat_template",
    "fewshot_as_multiturn",
    "system_prompt",
)
ADVISORY_FIELDS = ("harness", "model_revision", "dtype")
BY_CONVENTION = "(lm-eval's default, not stated)"


def _norm(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip().lower().replace("-", "_").replace(" ", "_") or None


def _field(name: str, claimed: object, measured: object, *, critical: bool) -> FieldMatch:
    c, m = _norm(claimed), _norm(measured)
    outcome: ProtocolMatch
    if c is None or m is None:
        outcome = "unknown"
    else:
        outcome = "match" if c == m else "mismatch"
    return FieldMatch(
        field=name,
        claimed=None if claimed is None else str(claimed),
        measured=None if measured is None else str(measured),
        outcome=outcome,
        critical=critical,
    )


def _benchmark(claim: Claim, run: RunProtocol) -> FieldMatch:
    stated = claim.protocol.benchmark
    if stated is None and claim.protocol.benchmark_label.strip():
        # The paper names a benchmark we do not know: whatever we ran, it is not that one.
        return FieldMatch(
            field="benchmark",
            claimed=claim.protocol.benchmark_label,
            measured=run.benchmark,
            outcome="mismatch",
            critical=True,
        )
    return _field("benchmark", stated, run.benchmark, critical=True)


def _subset(claim: Claim, run: RunProtocol) -> FieldMatch:
    if claim.protocol.subset is None and run.subset is None:
        # Neither side has subsets (most benchmarks): nothing can differ.
        return FieldMatch(field="subset", claimed=None, measured=None, outcome="match", critical=True)
    return _field("subset", claim.protocol.subset, run.subset, critical=True)


def _split(claim: Claim, run: RunProtocol) -> FieldMatch:
    stated = claim.protocol.split
    record = BENCHMARKS.get(claim.protocol.benchmark or "")
    conventional = record.split if record else None
    if stated is None and conventional is not None and _norm(run.split) == _norm(conventional):
        # Papers rarely name the split; every benchmark has one conventional evaluation split (the one
        # its leaderboard and lm-eval report, usually the only labelled one). Running it is the claim.
        return FieldMatch(
            field="split",
            claimed=f"{conventional} (conventional, not stated)",
            measured=run.split,
            outcome="match",
            critical=True,
        )
    return _field("split", stated, run.split, critical=True)


def _by_convention(name: str, default: object, measured: object) -> FieldMatch | None:
    """An unstated setting the run left at lm-eval's default: a match by convention."""
    if measured != default:
        return None
    shown = "none" if default is None else str(default)
    return FieldMatch(field=name, claimed=f"{shown} {BY_CONVENTION}", measured=shown, outcome="match", critical=True)


def _instruction_format(claim: Claim, run: RunProtocol) -> list[FieldMatch]:
    """Chat template, multi-turn few-shot and system prompt: stated -> compared; unstated -> a match
    when the run used lm-eval's default, else unknown."""
    p = claim.protocol
    fields = []
    # lm-eval turns few-shot examples into chat turns exactly when it applies the chat template
    for name, claimed, measured, default in (
        ("chat_template", p.chat_template, run.chat_template, False),
        ("fewshot_as_multiturn", p.fewshot_as_multiturn, run.fewshot_as_multiturn, run.chat_template),
    ):
        conventional = _by_convention(name, default, measured) if claimed is None else None
        fields.append(conventional or _field(name, claimed, measured, critical=True))
    stated = p.system_prompt
    if stated is None:
        conventional = _by_convention("system_prompt", None, run.system_prompt)
        fields.append(conventional or _field("system_prompt", None, run.system_prompt, critical=True))
    else:  # a text: compared as written, not normalised like the other fields
        same = (run.system_prompt or "").strip() == stated.strip()
        outcome: ProtocolMatch = "match" if same else "mismatch"
        fields.append(
            FieldMatch(
                field="system_prompt", claimed=stated, measured=run.system_prompt, outcome=outcome, critical=True
            )
        )
    return fields


def _full_set(run: RunProtocol, is_slice: bool) -> FieldMatch:
    # Papers report full evaluation sets; a seeded slice is a different (noisier) protocol.
    measured = "full" if run.full_set and not is_slice else f"slice of {run.examples}"
    return FieldMatch(
        field="full_set",
        claimed="full",
        measured=measured,
        outcome="match" if measured == "full" else "mismatch",
        critical=True,
    )


def compare_protocols(
    claim: Claim,
    run: RunProtocol | None,
    *,
    model_id: str | None = None,
    model_revision: str | None = None,
    is_slice: bool = False,
) -> list[FieldMatch]:
    """Every critical and advisory field, in a fixed order. No run protocol: all critical unknown."""
    if run is None:
        fields = [
            FieldMatch(field=name, claimed=None, measured=None, outcome="unknown", critical=True)
            for name in CRITICAL_FIELDS
        ]
        fields[0] = _field("model", claim.model_id, model_id, critical=True)
        return fields
    p = claim.protocol
    return [
        _field("model", claim.model_id, model_id, critical=True),
        _benchmark(claim, run),
        _subset(claim, run),
        _split(claim, run),
        _field("n_shot", p.n_shot, run.n_shot, critical=True),
        _field("formulation", p.formulation, run.formulation, critical=True),
        _field("metric", p.metric, run.metric, critical=True),
        _full_set(run, is_slice),
        *_instruction_format(claim, run),
        _field("harness", p.harness, run.harness, critical=False),
        # Papers do not state these: `unknown` by construction, they only lower confidence.
        _field("model_revision", None, model_revision or run.model_revision, critical=False),
        _field("dtype", None, run.dtype, critical=False),
    ]


def overall_match(fields: Sequence[FieldMatch]) -> ProtocolMatch:
    critical = [f.outcome for f in fields if f.critical]
    if any(outcome == "mismatch" for outcome in critical):
        return "mismatch"
    if critical and all(outcome == "match" for outcome in critical):
        return "match"
    return "unknown"


def summarize(fields: Sequence[FieldMatch], match: ProtocolMatch) -> str:
    """One line for `claim_citation.notes`: the overall match and the fields that are not a match."""

    def show(f: FieldMatch) -> str:
        claimed = f.claimed if f.claimed is not None else "not stated"
        measured = f.measured if f.measured is not None else "not recorded"
        return f"{f.field} (paper: {claimed}; run: {measured})"

    parts = [f"PROTOCOL_MATCH = {match}"]
    for label, critical, outcome in (
        ("critical mismatch", True, "mismatch"),
        ("critical unknown", True, "unknown"),
        ("advisory mismatch", False, "mismatch"),
        ("advisory unknown", False, "unknown"),
    ):
        chosen = [show(f) for f in fields if f.critical is critical and f.outcome == outcome]
        if chosen:
            parts.append(f"{label}: " + ", ".join(chosen))
    matched = [f.field for f in fields if f.outcome == "match"]
    if matched:
        parts.append("match: " + ", ".join(matched))
    return "; ".join(parts) + "."
