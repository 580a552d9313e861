"""Gates C1 and G1."""

from __future__ import annotations

import pytest

from shared.gates import C1, G1, GateViolation, check_c1, check_g1, enforce_c1, require
from shared.models import Evidence, Verdict
from tests.unit.verdicts import factories as f


def verdict(status: str, match: str, **overrides) -> Verdict:  # type: ignore[no-untyped-def]
    fields = dict(
        id="v-1",
        kind="POST",
        status=status,
        score=0.5,
        confidence=0.5,
        agent_version="test",
        computed_at=f.NOW,
        claim_citation=f.claim().citation,
        protocol_match=match,
    )
    fields.update(overrides)
    return Verdict(**fields)


@pytest.mark.parametrize(
    ("status", "match", "after", "changed"),
    [
        ("wrong", "match", "wrong", None),
        ("wrong", "unknown", "partial", "wrong"),
        ("wrong", "mismatch", "inconclusive", "wrong"),
        ("confirmed", "mismatch", "confirmed", None),
        ("partial", "unknown", "partial", None),
        ("pending", "unknown", "pending", None),
        ("inconclusive", "mismatch", "inconclusive", None),
    ],
)
def test_enforce_c1(status: str, match: str, after: str, changed: str | None) -> None:
    enforced = enforce_c1(verdict(status, match))
    assert enforced.status == after
    c1 = [g for g in enforced.gates if g.gate == C1]
    assert len(c1) == 1 and c1[0].passed and c1[0].changed_status_from == changed
    assert check_c1(enforced).passed


def test_enforce_c1_is_idempotent() -> None:
    once = enforce_c1(verdict("wrong", "unknown"))
    assert enforce_c1(once) == once


@pytest.mark.parametrize(
    ("status", "match", "passed"),
    [("wrong", "unknown", False), ("wrong", "mismatch", False), ("wrong", "match", True), ("partial", "unknown", True)],
)
def test_check_c1(status: str, match: str, passed: bool) -> None:
    outcome = check_c1(verdict(status, match))
    assert outcome.gate == C1 and outcome.passed is passed
    if not passed:
        with pytest.raises(GateViolation, match="gate C1 failed for verdict v-1"):
            require(outcome, "v-1")


SOURCE = {"main.tex": "0123456789 & \\textbf{50.8} & 41.2 \\\\ more text"}


@pytest.mark.parametrize(
    ("evidence", "quoted", "passed", "detail"),
    [
        (Evidence(source_file="main.tex", char_start=13, char_end=26), "50.8", True, "found"),
        (Evidence(source_file="main.tex", char_start=13, char_end=26), "51.8", False, "is not in"),
        (Evidence(source_file="main.tex", char_start=29, char_end=33), "50.8", False, "is not in"),
        (Evidence(source_file="other.tex", char_start=13, char_end=26), "50.8", False, "not in the source"),
        (Evidence(source_file="main.tex", char_start=13, char_end=999), "50.8", False, "outside"),
        (Evidence(source_file=None), "50.8", False, "no source span"),
        (Evidence(source_file="main.tex", char_start=13, char_end=26), "", False, "no quoted text"),
    ],
)
def test_check_g1(evidence: Evidence, quoted: str, passed: bool, detail: str) -> None:
    claim = f.claim(evidence=evidence, citation=dict(quoted_text=quoted))
    outcome = check_g1(claim, SOURCE)
    assert outcome.gate == G1 and outcome.passed is passed and detail in outcome.detail


def test_gate_violation_is_a_value_error_so_the_bus_dead_letters_it_at_once() -> None:
    assert issubclass(GateViolation, ValueError)
