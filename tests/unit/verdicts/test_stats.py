"""Scales, rounding intervals and the numeric comparison."""

from __future__ import annotations

import math

import pytest

from services.validator import stats
from tests.unit.verdicts import factories as f


@pytest.mark.parametrize(
    ("quoted", "value", "decimals"),
    [
        ("66.1", 66.1, 1),
        ("50", 50.0, 0),
        ("0.508", 0.508, 3),
        ("\\textbf{71.25}", 71.25, 2),
        ("66,1", 66.1, 1),
        ("", 66.1, 1),
        ("−3.5", -3.5, 1),
    ],
)
def test_printed_decimals(quoted: str, value: float, decimals: int) -> None:
    assert stats.printed_decimals(quoted, value) == decimals


def test_rounding_interval_is_half_open_around_the_printed_value() -> None:
    low, high = stats.rounding_interval(66.1, 1)
    assert low == pytest.approx(66.05) and high == pytest.approx(66.15)


@pytest.mark.parametrize(
    ("measured", "outcome"),
    [
        (0.6605, "consistent"),
        (0.6614, "consistent"),
        (0.6615, "within_margin"),
        (0.6604, "within_margin"),
        (0.6714, "within_margin"),
        (0.6716, "beyond"),
        (0.6490, "beyond"),
    ],
)
def test_rounding_aware_comparison_without_uncertainty(measured: float, outcome: str) -> None:
    claim = f.claim(citation=dict(reported_value=66.1, quoted_text="66.1"))
    m = f.measurement(measured, stderr=0.0)
    assert stats.compare(claim, m).outcome == outcome


def test_percent_and_fraction_scales_are_normalised() -> None:
    percent = stats.compare(f.claim(), f.measurement(0.508, stderr=0.0))
    fraction = stats.compare(
        f.claim(citation=dict(reported_value=0.508, quoted_text="0.508"), protocol=dict(scale="fraction")),
        f.measurement(0.508, stderr=0.0),
    )
    assert percent.measured == pytest.approx(50.8) and percent.outcome == "consistent"
    assert fraction.measured == pytest.approx(0.508) and fraction.outcome == "consistent"
    assert fraction.margin == pytest.approx(0.01) and percent.margin == pytest.approx(1.0)
    # The precision limit is in percent points whatever the printed scale.
    wide = stats.compare(
        f.claim(protocol=dict(scale="fraction"), citation=dict(reported_value=0.508, quoted_text="0.508")),
        f.measurement(0.508, stderr=0.02),
    )
    assert wide.half_width_points == pytest.approx(1.96 * 2.0)


def test_uncertainty_widens_consistency() -> None:
    claim = f.claim()  # 50.8
    assert stats.compare(claim, f.measurement(0.516, stderr=0.004)).outcome == "consistent"  # 0.75 <= 0.784
    assert stats.compare(claim, f.measurement(0.5165, stderr=0.004)).outcome == "within_margin"
    assert stats.compare(claim, f.measurement(0.53, stderr=0.004)).outcome == "beyond"


def test_binomial_standard_error_when_lm_eval_gives_none() -> None:
    m = f.measurement(0.5, stderr=None, examples_used=101)
    assert stats.standard_error(m, fraction=True) == pytest.approx(math.sqrt(0.25 / 100))
    assert stats.standard_error(m, fraction=False) is None


def test_paper_spread_adds_to_the_uncertainty() -> None:
    claim = f.claim(spread=1.0)
    comparison = stats.compare(claim, f.measurement(0.525, stderr=0.0))
    assert comparison.sigma == pytest.approx(1.0) and comparison.outcome == "consistent"


def test_non_fraction_metric_uses_a_relative_margin() -> None:
    claim = f.claim(
        citation=dict(reported_value=12.3, quoted_text="12.3", reported_metric="perplexity"),
        protocol=dict(metric="other"),
    )
    comparison = stats.compare(claim, f.measurement(12.4, stderr=None, metric="other"))
    assert comparison.measured == pytest.approx(12.4)
    assert comparison.margin == pytest.approx(0.123) and comparison.outcome == "within_margin"


def test_too_small() -> None:
    assert stats.too_small(f.measurement(examples_used=99)) is not None
    assert stats.too_small(f.measurement(examples_used=100)) is None


def test_compare_needs_a_value() -> None:
    with pytest.raises(ValueError, match="no value"):
        stats.compare(f.claim(), f.measurement(None))
