"""The confidence formula: protocol match x advisory fields x sample size x uncertainty."""

from __future__ import annotations

import pytest

from services.validator import confidence as conf
from services.validator.protocol import compare_protocols
from tests.unit.verdicts import factories as f


def test_factors() -> None:
    assert conf.sample_factor(50) == pytest.approx(0.5) and conf.sample_factor(0) == 0.0
    assert conf.uncertainty_factor(2.0, 1.0) == pytest.approx(0.5)
    assert conf.uncertainty_factor(0.0, 1.0) == 1.0


def test_formula() -> None:
    # 4 advisory fields unknown: harness, revision, dtype, template
    fields = compare_protocols(f.claim(), f.run(), model_id=f.MODEL)
    expected = 1.0 * 0.95**4 * (1000 / 1050) * (1 / (1 + (0.4 / 2) ** 2))
    assert conf.confidence("match", fields, examples=1000, sigma=0.4, margin=1.0) == round(expected, 2)


def test_confidence_orders() -> None:
    fields = compare_protocols(f.claim(), f.run(), model_id=f.MODEL)
    by_match = [
        conf.confidence(m, fields, examples=1000, sigma=0.5, margin=1.0) for m in ("match", "unknown", "mismatch")
    ]
    assert by_match == sorted(by_match, reverse=True) and len(set(by_match)) == 3
    by_n = [conf.confidence("match", fields, examples=n, sigma=0.5, margin=1.0) for n in (100, 1000, 10000)]
    assert by_n == sorted(by_n) and len(set(by_n)) == 3
    by_sigma = [conf.confidence("match", fields, examples=1000, sigma=s, margin=1.0) for s in (0.2, 1.0, 3.0)]
    assert by_sigma == sorted(by_sigma, reverse=True) and len(set(by_sigma)) == 3


def test_advisory_mismatch_lowers_more_than_unknown() -> None:
    stated = compare_protocols(f.claim(protocol={"harness": "lm-eval"}), f.run(), model_id=f.MODEL)
    unstated = compare_protocols(f.claim(), f.run(), model_id=f.MODEL)
    other = compare_protocols(f.claim(protocol={"harness": "lighteval"}), f.run(), model_id=f.MODEL)
    values = [conf.protocol_factor("match", fs) for fs in (stated, unstated, other)]
    assert values[0] > values[1] > values[2]
