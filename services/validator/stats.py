"""Numbers only: put the measured value on the paper's scale, and compare it with the printed value.

A printed "66.1" is consistent with any true value in [66.05, 66.15) (round half up), so we compare the
measurement with that interval, not with the point 66.1. The measurement's uncertainty is its standard
error (lm-eval's, or the binomial one from the examples used), combined with the paper's own "±" spread
when it prints one. Thresholds live here as named constants; docs/verdicts.md explains them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from shared.benchmarks import FRACTION_METRICS
from shared.models import Claim, Measurement

Z_THRESHOLD = 1.96  # two-sided 95 %: |difference| <= z * sigma is "within the uncertainty"
PRACTICAL_MARGIN_POINTS = 1.0  # one point on the percent scale (0.01 on the fraction scale)
RELATIVE_MARGIN_OTHER = 0.01  # metrics that are not fractions (perplexity, BLEU, ...): 1 % of the value
MIN_EXAMPLES = 100  # fewer examples than this: too small to judge -> inconclusive
MAX_HALF_WIDTH_POINTS = 5.0  # z * sigma above five points (percent scale): too imprecise -> inconclusive

NumericOutcome = Literal["consistent", "within_margin", "beyond"]

_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


@dataclass(frozen=True)
class Comparison:
    """The measured value against the printed one, all on the paper's printed scale."""

    reported: float
    measured: float
    interval_low: float  # rounding interval [low, high) of the printed value
    interval_high: float
    distance: float  # from the measured value to the rounding interval (0 inside it)
    sigma: float  # combined standard error on the printed scale
    margin: float  # practical margin on the printed scale
    half_width_points: float  # z * sigma, expressed in percent points (for the precision limit)
    outcome: NumericOutcome

    @property
    def tolerance(self) -> float:
        return Z_THRESHOLD * self.sigma

    def describe(self) -> str:
        return (
            f"measured {self.measured:.4g} vs printed {self.reported:g} "
            f"(rounding [{self.interval_low:g}, {self.interval_high:g})); distance {self.distance:.3g}, "
            f"z*sigma {self.tolerance:.3g} (z={Z_THRESHOLD}), margin {self.margin:.3g}: {self.outcome}"
        )


def printed_decimals(quoted_text: str, reported_value: float) -> int:
    """Decimals as printed: "66.1" -> 1, "50" -> 0; falls back to the float's shortest repr."""
    match = _NUMBER.search(quoted_text.replace("\u2212", "-"))
    text = match.group(0) if match else repr(float(reported_value))
    text = text.replace(",", ".")
    if "." not in text:
        return 0
    return len(text.split(".", 1)[1])


def rounding_interval(reported_value: float, decimals: int) -> tuple[float, float]:
    """Every true value that prints as `reported_value` with `decimals` decimals: [low, high)."""
    half = 0.5 * 10.0 ** (-decimals)
    return reported_value - half, reported_value + half


def metric_of(claim: Claim, measurement: Measurement) -> str | None:
    if measurement.metric:
        return measurement.metric
    if measurement.protocol is not None:
        return measurement.protocol.metric
    return claim.protocol.metric


def is_fraction_metric(metric: str | None, value: float | None) -> bool:
    """Accuracy-like metrics are stored as fractions; an unknown metric is one when it lies in [0, 1]."""
    if metric is not None and metric != "other":
        return metric in FRACTION_METRICS
    return value is not None and 0.0 <= value <= 1.0


def scale_factor(claim: Claim, measurement: Measurement) -> float:
    """Factor taking the stored measurement (a fraction for accuracy-like metrics) to the printed scale."""
    fraction = is_fraction_metric(metric_of(claim, measurement), measurement.value)
    return 100.0 if fraction and claim.protocol.scale == "percent" else 1.0


def standard_error(measurement: Measurement, fraction: bool) -> float | None:
    """lm-eval's stderr when given, else the binomial one for fractions: sqrt(p(1-p)/(n-1))."""
    if measurement.stderr is not None and math.isfinite(measurement.stderr):
        return abs(measurement.stderr)
    p, n = measurement.value, measurement.examples_used
    if fraction and p is not None and 0.0 <= p <= 1.0 and n >= 2:
        return math.sqrt(p * (1.0 - p) / (n - 1))
    return None


def practical_margin(claim: Claim, fraction: bool, decimals: int) -> float:
    """One point (percent scale) / 0.01 (fraction scale); 1 % of the value for other metrics."""
    if fraction:
        return PRACTICAL_MARGIN_POINTS if claim.protocol.scale == "percent" else PRACTICAL_MARGIN_POINTS / 100.0
    return max(RELATIVE_MARGIN_OTHER * abs(claim.citation.reported_value), 10.0 ** (-decimals))


def compare(claim: Claim, measurement: Measurement) -> Comparison:
    """Compare a measured value with the claim's printed value; the measurement must have a value."""
    if measurement.value is None:
        raise ValueError(f"measurement {measurement.measurement_id} has no value to compare")
    metric = metric_of(claim, measurement)
    fraction = is_fraction_metric(metric, measurement.value)
    factor = scale_factor(claim, measurement)
    reported = claim.citation.reported_value
    decimals = printed_decimals(claim.citation.quoted_text, reported)
    low, high = rounding_interval(reported, decimals)
    measured = measurement.value * factor
    se = standard_error(measurement, fraction)
    sigma_measured = (se or 0.0) * factor
    spread = abs(claim.spread) if claim.spread is not None else 0.0
    sigma = math.hypot(sigma_measured, spread)  # hypot: no overflow on absurd stderrs
    margin = practical_margin(claim, fraction, decimals)
    if low <= measured < high:
        distance = 0.0
    else:
        distance = low - measured if measured < low else measured - high
    inside = low <= measured < high
    if inside or (sigma > 0 and distance <= Z_THRESHOLD * sigma):
        outcome: NumericOutcome = "consistent"
    elif distance <= margin:
        outcome = "within_margin"
    else:
        outcome = "beyond"
    # Precision limit in percent points whatever the printed scale (fraction scale: x100).
    points_per_unit = 1.0 if (not fraction or claim.protocol.scale == "percent") else 100.0
    return Comparison(
        reported=reported,
        measured=measured,
        interval_low=low,
        interval_high=high,
        distance=distance,
        sigma=sigma,
        margin=margin,
        half_width_points=Z_THRESHOLD * sigma * points_per_unit,
        outcome=outcome,
    )


def too_small(measurement: Measurement) -> str | None:
    """Why the measurement is too small or imprecise to judge, or None when it is usable."""
    if measurement.examples_used < MIN_EXAMPLES:
        return f"only {measurement.examples_used} examples used (minimum {MIN_EXAMPLES})"
    return None
