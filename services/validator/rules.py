"""From claim + plan to a PRE verdict, and from claim + measurement to a POST verdict (pure).

POST status, before the C1 gate (docs/verdicts.md has the table):

    inconclusive   claim not measurable, measurement failed or has no usable value (none, NaN, a
                   "fraction" outside [0, 1]) -> confidence 0; too few examples, or the uncertainty
                   (z * sigma) wider than MAX_HALF_WIDTH_POINTS -> confidence as usual
    otherwise compare the value with the printed one (stats.compare) -> consistent / within_margin / beyond
                   protocol match      unknown             mismatch
    consistent     confirmed           partial             inconclusive
    within_margin  partial             partial             inconclusive
    beyond         wrong               wrong -> partial*   wrong -> inconclusive*

    * the C1 gate (shared.gates.enforce_c1) downgrades a would-be `wrong` without a matching protocol;
      the outcome is recorded in `Verdict.gates` with `changed_status_from="wrong"`.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import Any

from services.validator import confidence as conf
from services.validator import stats
from services.validator.protocol import PROTOCOL_RULES_VERSION, compare_protocols, overall_match, summarize
from shared.benchmarks import FRACTION_METRICS
from shared.clock import bson_time
from shared.gates import enforce_c1
from shared.ids import verdict_id
from shared.models import (
    Claim,
    ClaimCitation,
    FieldMatch,
    Measurement,
    ProtocolMatch,
    RunProtocol,
    Verdict,
    VerdictKind,
    VerdictStatus,
)

CODE_VERSION = "0.1.0"
RULES_VERSION = "r1"
# Names the code, the status rules and the protocol-matching rules that produced a verdict.
AGENT_VERSION = f"paperverdict-validator/{CODE_VERSION}+rules.{RULES_VERSION}+protocol.{PROTOCOL_RULES_VERSION}"
VERDICT_SCHEMA_VERSION = 1

_STATUS_TABLE: dict[tuple[str, str], VerdictStatus] = {
    ("consistent", "match"): "confirmed",
    ("consistent", "unknown"): "partial",
    ("consistent", "mismatch"): "inconclusive",
    ("within_margin", "match"): "partial",
    ("within_margin", "unknown"): "partial",
    ("within_margin", "mismatch"): "inconclusive",
    # A would-be `wrong` whatever the protocol: the C1 gate is the one place that downgrades it.
    ("beyond", "match"): "wrong",
    ("beyond", "unknown"): "wrong",
    ("beyond", "mismatch"): "wrong",
}


def raw_status(outcome: stats.NumericOutcome, match: ProtocolMatch) -> VerdictStatus:
    """The status before gates (may be a would-be `wrong`)."""
    return _STATUS_TABLE[(outcome, match)]


def _citation(claim: Claim, *notes: str) -> ClaimCitation:
    extra = " ".join(n for n in notes if n)
    joined = f"{claim.citation.notes} {extra}".strip() if claim.citation.notes else extra
    return claim.citation.model_copy(update={"notes": joined})


def _plan_key(protocol: RunProtocol) -> str:
    return "plan:" + hashlib.sha256(protocol.model_dump_json().encode()).hexdigest()[:16]


def _verdict(
    claim: Claim,
    *,
    kind: VerdictKind,
    key: str | None,
    status: VerdictStatus,
    fields: list[FieldMatch],
    match: ProtocolMatch,
    confidence: float,
    now: datetime,
    notes: str,
    **extra: Any,
) -> Verdict:
    verdict = Verdict(
        id=verdict_id(claim.claim_id, kind, key, AGENT_VERSION),
        kind=kind,
        status=status,
        confidence=confidence,
        agent_version=AGENT_VERSION,
        computed_at=bson_time(now),
        is_current=True,
        claim_citation=_citation(claim, summarize(fields, match), notes),
        protocol_match=match,
        schema_version=VERDICT_SCHEMA_VERSION,
        claim_id=claim.claim_id,
        paper_version=claim.version,
        protocol_fields=fields,
        **extra,
    )
    return enforce_c1(verdict)


def pre_verdict(claim: Claim, protocol: RunProtocol, *, now: datetime, model_id: str | None = None) -> Verdict:
    """PRE: status `pending`; records the protocol we will run and whether it matches the claim's."""
    fields = compare_protocols(claim, protocol, model_id=model_id, is_slice=not protocol.full_set)
    match = overall_match(fields)
    return _verdict(
        claim,
        kind="PRE",
        key=_plan_key(protocol),
        status="pending",
        fields=fields,
        match=match,
        confidence=conf.confidence(match, fields, examples=protocol.examples),
        now=now,
        notes=f"Planned: {protocol.benchmark} {protocol.n_shot}-shot {protocol.formulation}/{protocol.metric} "
        f"on {protocol.examples} examples with {protocol.harness}.",
        run_protocol=protocol,
        examples_used=protocol.examples,
    )


def post_verdict(claim: Claim, measurement: Measurement, *, now: datetime) -> Verdict:
    """POST: the status from the measurement, the protocol match and the C1 gate."""
    fields = compare_protocols(
        claim,
        measurement.protocol,
        model_id=measurement.model_id,
        model_revision=measurement.model_revision,
        is_slice=measurement.is_slice,
    )
    match = overall_match(fields)
    finite = measurement.value is not None and math.isfinite(measurement.value)
    common: dict[str, Any] = {
        "kind": "POST",
        "key": measurement.measurement_id,
        "fields": fields,
        "match": match,
        "now": now,
        "score": measurement.value if finite else None,
        "measurement_id": measurement.measurement_id,
        "run_protocol": measurement.protocol,
        "stderr": stats.standard_error(
            measurement, stats.is_fraction_metric(stats.metric_of(claim, measurement), measurement.value)
        ),
        "examples_used": measurement.examples_used,
    }
    reason = _unusable_reason(claim, measurement)
    if reason is not None:  # nothing was measured that speaks to the claim: confidence 0
        return _verdict(claim, status="inconclusive", confidence=0.0, notes=f"Inconclusive: {reason}.", **common)
    small = stats.too_small(measurement)
    if small is not None:
        value = conf.confidence(match, fields, examples=measurement.examples_used)
        return _verdict(claim, status="inconclusive", confidence=value, notes=f"Inconclusive: {small}.", **common)
    comparison = stats.compare(claim, measurement)
    if comparison.half_width_points > stats.MAX_HALF_WIDTH_POINTS:
        value = conf.confidence(
            match, fields, examples=measurement.examples_used, sigma=comparison.sigma, margin=comparison.margin
        )
        return _verdict(
            claim,
            status="inconclusive",
            confidence=value,
            notes=f"Inconclusive: uncertainty z*sigma = {comparison.half_width_points:.2f} points exceeds "
            f"{stats.MAX_HALF_WIDTH_POINTS} ({comparison.describe()}).",
            **common,
        )
    value = conf.confidence(
        match, fields, examples=measurement.examples_used, sigma=comparison.sigma, margin=comparison.margin
    )
    status = raw_status(comparison.outcome, match)
    return _verdict(claim, status=status, confidence=value, notes=f"Comparison: {comparison.describe()}.", **common)


def _unusable_reason(claim: Claim, measurement: Measurement) -> str | None:
    if not claim.measurable:
        return f"the claim cannot be measured ({claim.unmeasurable_reason or 'no reason given'})"
    if measurement.failure:
        return f"the measurement failed ({measurement.failure})"
    if measurement.value is None:
        return "the measurement has no value"
    if not math.isfinite(measurement.value):
        return f"the measured value {measurement.value} is not a finite number"
    metric = stats.metric_of(claim, measurement)
    if metric in FRACTION_METRICS and not 0.0 <= measurement.value <= 1.0:
        return f"the measured {metric} {measurement.value} is not a fraction in [0, 1]"
    return None
