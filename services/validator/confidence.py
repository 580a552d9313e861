"""Confidence: a documented product of protocol match, sample size and uncertainty, in [0, 1].

    confidence = P(protocol_match) * A(advisory fields) * S(n) * U(sigma)

- P: match 1.0, unknown 0.7, mismatch 0.4 (how much the measurement speaks to the claim at all).
- A: 0.95 per advisory field the paper does not state, 0.85 per advisory field that differs, and
  0.95 when the chat template matches only by convention (the paper does not state it).
- S(n) = n / (n + 50): 100 examples -> 0.67, 1 000 -> 0.95, 14 042 (MMLU) -> 0.996.
- U(sigma) = 1 / (1 + (sigma / (2 * margin))^2): sigma on the printed scale, margin the practical
  margin (one point); U = 0.5 when the standard error is twice the margin, ~0.96 for full MMLU.
A PRE verdict has no measurement yet: its confidence is P * A * S(planned examples).
Failed or unmeasurable claims get 0. The result is rounded to two decimals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from services.validator.protocol import BY_CONVENTION
from shared.models import FieldMatch, ProtocolMatch

PROTOCOL_WEIGHT: dict[str, float] = {"match": 1.0, "unknown": 0.7, "mismatch": 0.4}
ADVISORY_UNKNOWN_FACTOR = 0.95
ADVISORY_MISMATCH_FACTOR = 0.85
SAMPLE_HALF_POINT = 50


def protocol_factor(match: ProtocolMatch, fields: Sequence[FieldMatch]) -> float:
    factor = PROTOCOL_WEIGHT[match]
    for f in fields:
        if f.field == "chat_template" and f.outcome == "match" and (f.claimed or "").endswith(BY_CONVENTION):
            factor *= ADVISORY_UNKNOWN_FACTOR
        if f.critical:
            continue
        if f.outcome == "unknown":
            factor *= ADVISORY_UNKNOWN_FACTOR
        elif f.outcome == "mismatch":
            factor *= ADVISORY_MISMATCH_FACTOR
    return factor


def sample_factor(examples: int) -> float:
    n = max(examples, 0)
    return n / (n + SAMPLE_HALF_POINT)


def uncertainty_factor(sigma: float, margin: float) -> float:
    if margin <= 0:
        return 1.0 if sigma == 0 else 0.0
    ratio = sigma / (2.0 * margin)
    if not math.isfinite(ratio) or ratio > 1e6:  # an absurd stderr: no confidence, without overflow
        return 0.0
    return 1.0 / (1.0 + ratio**2)


def confidence(
    match: ProtocolMatch,
    fields: Sequence[FieldMatch],
    *,
    examples: int,
    sigma: float | None = None,
    margin: float | None = None,
) -> float:
    value = protocol_factor(match, fields) * sample_factor(examples)
    if sigma is not None and margin is not None:
        value *= uncertainty_factor(sigma, margin)
    return round(min(max(value, 0.0), 1.0), 2)
