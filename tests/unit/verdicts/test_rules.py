"""Table-driven tests of the verdict rules, the seed's own case included."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from services.validator.rules import AGENT_VERSION, post_verdict, pre_verdict, raw_status
from shared.gates import C1
from shared.ids import verdict_id
from shared.models import ClaimCitation
from tests.paths import SEED
from tests.unit.verdicts import factories as f

FULL = f.run()
N_SHOT_UNSTATED = {"n_shot": None}

# (case, claim protocol overrides, run overrides, measured value, stderr, status, protocol_match, C1 changed from)
CASES = [
    ("exact", {}, {}, 0.508, 0.004, "confirmed", "match", None),
    ("within rounding", {}, {}, 0.5084, 0.0, "confirmed", "match", None),
    ("within uncertainty", {}, {}, 0.515, 0.004, "confirmed", "match", None),
    ("beyond uncertainty, within a point", {}, {}, 0.5165, 0.004, "partial", "match", None),
    ("beyond both", {}, {}, 0.47, 0.004, "wrong", "match", None),
    ("beyond both, higher", {}, {}, 0.55, 0.004, "wrong", "match", None),
    ("consistent, protocol partly stated", N_SHOT_UNSTATED, {}, 0.508, 0.004, "partial", "unknown", None),
    ("beyond both, protocol partly stated", N_SHOT_UNSTATED, {}, 0.40, 0.004, "partial", "unknown", "wrong"),
    ("consistent, other n_shot", {}, {"n_shot": 0}, 0.508, 0.004, "inconclusive", "mismatch", None),
    ("beyond both, other n_shot", {}, {"n_shot": 0}, 0.40, 0.004, "inconclusive", "mismatch", "wrong"),
    (
        "beyond both, cloze vs MCF",
        {},
        {"formulation": "cloze", "metric": "acc"},
        0.30,
        0.004,
        "inconclusive",
        "mismatch",
        "wrong",
    ),
    ("beyond both, acc vs acc_norm", {}, {"metric": "acc_norm"}, 0.30, 0.004, "inconclusive", "mismatch", "wrong"),
    ("beyond both, slice", {}, {"full_set": False, "examples": 2000}, 0.40, 0.01, "inconclusive", "mismatch", "wrong"),
    ("too imprecise", {}, {}, 0.40, 0.03, "inconclusive", "match", None),
]


@pytest.mark.parametrize(
    ("case", "claim_protocol", "run_overrides", "value", "stderr", "status", "match", "changed"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_post_verdict_rules(case, claim_protocol, run_overrides, value, stderr, status, match, changed) -> None:  # type: ignore[no-untyped-def]
    verdict = post_verdict(
        f.claim(protocol=claim_protocol),
        f.measurement(value, stderr=stderr, protocol=f.run(**run_overrides)),
        now=f.NOW,
    )
    assert (verdict.status, verdict.protocol_match) == (status, match)
    c1 = [g for g in verdict.gates if g.gate == C1]
    assert len(c1) == 1 and c1[0].passed and c1[0].changed_status_from == changed
    assert verdict.kind == "POST" and verdict.score == value and 0.0 <= verdict.confidence <= 1.0


@pytest.mark.parametrize(
    ("case", "claim_overrides", "measurement_overrides", "reason"),
    [
        ("failed", {}, {"value": None, "failure": "CUDA out of memory"}, "measurement failed (CUDA out of memory)"),
        ("no value", {}, {"value": None}, "no value"),
        ("not a fraction", {}, {"value": 50.8}, "acc 50.8 is not a fraction in [0, 1]"),
        ("too small", {}, {"examples_used": 40}, "only 40 examples"),
        ("unmeasurable", {"measurable": False, "unmeasurable_reason": "closed model"}, {}, "closed model"),
    ],
)
def test_inconclusive_when_the_claim_cannot_be_judged(case, claim_overrides, measurement_overrides, reason) -> None:  # type: ignore[no-untyped-def]
    measurement = f.measurement(**{"value": 0.40, **measurement_overrides})
    verdict = post_verdict(f.claim(**claim_overrides), measurement, now=f.NOW)
    assert verdict.status == "inconclusive" and reason in verdict.claim_citation.notes
    if case != "too small":
        assert verdict.confidence == 0.0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), True, "0.6"])
def test_a_measurement_or_claim_that_is_not_a_finite_number_is_refused_at_the_boundary(value: object) -> None:
    """NaN, ±Inf, booleans and numeric strings never become a value that a verdict is computed from."""
    with pytest.raises(ValidationError):
        f.measurement(value=value)
    with pytest.raises(ValidationError):
        ClaimCitation.model_validate({**f.claim().citation.model_dump(), "reported_value": value})


def test_the_seed_case_is_never_wrong() -> None:
    """Claimed MMLU 5-shot 50.8; measured WinoGrande 0-shot on a 249-item slice: 63.45."""
    seed = json.loads(SEED.read_text()) if SEED.exists() else None
    claim = f.claim()
    measurement = f.measurement(0.6345381526104418, stderr=None, protocol=f.seed_run())
    verdict = post_verdict(claim, measurement, now=f.NOW)
    assert verdict.protocol_match == "mismatch" and verdict.status == "inconclusive"
    assert "benchmark (paper: mmlu; run: winogrande)" in verdict.claim_citation.notes
    # Even with a precise measurement the benchmark differs: a would-be wrong, downgraded by C1.
    precise = post_verdict(claim, measurement.model_copy(update={"stderr": 0.001, "examples_used": 5000}), now=f.NOW)
    assert precise.status == "inconclusive" and precise.gates[-1].changed_status_from == "wrong"
    # As the seed's service saw it (protocol not recorded: unknown) the status could only be partial.
    unknown = post_verdict(
        claim, measurement.model_copy(update={"protocol": None, "stderr": 0.001, "examples_used": 5000}), now=f.NOW
    )
    assert (unknown.protocol_match, unknown.status) == ("unknown", "partial")
    if seed:
        assert (seed["verdict"]["protocol_match"], seed["verdict"]["status"]) == ("unknown", "partial")


def test_post_verdict_fields() -> None:
    claim, measurement = f.claim(citation=dict(notes="from the extractor")), f.measurement()
    verdict = post_verdict(claim, measurement, now=f.NOW)
    assert verdict.id == verdict_id(claim.claim_id, "POST", measurement.measurement_id, AGENT_VERSION)
    assert verdict.agent_version == AGENT_VERSION and "rules." in AGENT_VERSION and "protocol." in AGENT_VERSION
    assert verdict.claim_id == claim.claim_id and verdict.paper_version == claim.version
    assert verdict.measurement_id == measurement.measurement_id and verdict.run_protocol == measurement.protocol
    assert verdict.claim_citation.notes.startswith("from the extractor PROTOCOL_MATCH = match")
    assert verdict.claim_citation.quoted_text == claim.citation.quoted_text
    assert verdict.computed_at == f.NOW and verdict.is_current
    assert len(verdict.protocol_fields) == 14  # 11 critical (incl. the prompt format), 3 advisory
    assert post_verdict(claim, measurement, now=f.NOW) == verdict  # deterministic


def test_pre_verdict_records_the_plan() -> None:
    claim = f.claim()
    match = pre_verdict(claim, f.run(), now=f.NOW, model_id=f.MODEL)
    assert (match.kind, match.status, match.protocol_match, match.score) == ("PRE", "pending", "match", None)
    assert match.run_protocol == f.run() and "Planned: mmlu 5-shot mcf/acc" in match.claim_citation.notes
    slice_plan = pre_verdict(claim, f.run(full_set=False, examples=500), now=f.NOW, model_id=f.MODEL)
    assert slice_plan.protocol_match == "mismatch" and slice_plan.status == "pending"
    assert slice_plan.id != match.id  # another plan, another PRE verdict
    assert slice_plan.confidence < match.confidence


@pytest.mark.parametrize("match", ["match", "unknown", "mismatch"])
def test_raw_status_before_the_gate_is_wrong_beyond_both(match: str) -> None:
    assert raw_status("beyond", match) == "wrong"  # type: ignore[arg-type]
