"""Property: whatever the claim, measurement and protocol, no verdict the validator publishes is
`wrong` unless its protocol matches; and the publisher's re-check refuses any forged verdict that is."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.validator.rules import post_verdict, pre_verdict
from shared.gates import check_c1, enforce_c1
from shared.models import Claim, ClaimCitation, ClaimProtocol, Measurement, RunProtocol, Verdict
from tests.unit.verdicts import factories as f

BENCHMARKS = st.sampled_from(["mmlu", "hellaswag", "winogrande", "gsm8k"])
MODELS = st.sampled_from([f.MODEL, "meta-llama/Llama-3.2-1B"])


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    scale = draw(st.sampled_from(["percent", "fraction"]))
    decimals = draw(st.integers(0, 3))
    top = 100.0 if scale == "percent" else 1.0
    reported = round(draw(st.floats(0.0, top, allow_nan=False)), decimals)
    protocol = ClaimProtocol(
        benchmark=draw(st.none() | BENCHMARKS),
        benchmark_label=draw(st.sampled_from(["", "MMLU", "Unknown-Bench"])),
        subset=draw(st.none() | st.sampled_from(["stem", "all"])),
        split=draw(st.none() | st.sampled_from(["test", "validation"])),
        n_shot=draw(st.none() | st.integers(0, 10)),
        metric=draw(st.none() | st.sampled_from(["acc", "acc_norm", "exact_match", "other"])),
        formulation=draw(st.none() | st.sampled_from(["mcf", "cloze", "cot"])),
        harness=draw(st.none() | st.sampled_from(["lm-eval", "lighteval"])),
        scale=scale,
    )
    citation = ClaimCitation(
        paper_arxiv_id="2502.02737",
        section="Table 2",
        row="Model",
        column="Bench",
        reported_value=reported,
        reported_metric="accuracy",
        quoted_text=draw(st.sampled_from([f"{reported:.{decimals}f}", "", "n/a"])),
    )
    return Claim(
        claim_id="c",
        arxiv_id="2502.02737",
        version=1,
        table_label="Table 2",
        row_index=1,
        col_index=1,
        citation=citation,
        model_label="Model",
        model_id=draw(st.none() | MODELS),
        protocol=protocol,
        spread=draw(st.none() | st.floats(0.0, 5.0)),
        measurable=draw(st.booleans()),
    )


@st.composite
def runs(draw: st.DrawFn) -> RunProtocol:
    return RunProtocol(
        benchmark=draw(BENCHMARKS),
        subset=draw(st.none() | st.sampled_from(["stem", "all"])),
        split=draw(st.sampled_from(["test", "validation"])),
        n_shot=draw(st.integers(0, 10)),
        metric=draw(st.sampled_from(["acc", "acc_norm", "exact_match"])),
        formulation=draw(st.sampled_from(["mcf", "cloze", "cot"])),
        full_set=draw(st.booleans()),
        examples=draw(st.integers(0, 20000)),
        harness=draw(st.sampled_from(["lm-eval", "lighteval"])),
        dtype=draw(st.none() | st.just("bfloat16")),
        chat_template=draw(st.booleans()),
    )


@st.composite
def measurements(draw: st.DrawFn) -> Measurement:
    failed = draw(st.booleans())
    return Measurement(
        measurement_id=draw(st.text("abc123", min_size=1, max_size=8)),
        model_id=draw(MODELS),
        task="t",
        protocol=draw(st.none() | runs()),
        value=None
        if failed
        else draw(st.floats(0.0, 1.0) | st.floats(-10.0, 200.0) | st.floats(allow_nan=False, allow_infinity=False)),
        stderr=draw(st.none() | st.floats(0.0, 0.2) | st.floats(allow_nan=False, allow_infinity=False)),
        examples_used=draw(st.integers(0, 20000)),
        is_slice=draw(st.booleans()),
        failure=draw(st.none() | st.just("oom")) if failed else None,
    )


@settings(max_examples=400, deadline=None)
@given(claims(), measurements())
def test_no_post_verdict_is_wrong_without_a_matching_protocol(claim: Claim, measurement: Measurement) -> None:
    verdict = post_verdict(claim, measurement, now=f.NOW)
    if verdict.status == "wrong":
        assert verdict.protocol_match == "match"
    assert check_c1(verdict).passed
    assert verdict.status != "pending" and 0.0 <= verdict.confidence <= 1.0
    assert [g.gate for g in verdict.gates] == ["C1"]


@settings(max_examples=200, deadline=None)
@given(claims(), runs(), st.none() | MODELS)
def test_pre_verdicts_are_pending(claim: Claim, run: RunProtocol, model_id: str | None) -> None:
    verdict = pre_verdict(claim, run, now=f.NOW, model_id=model_id)
    assert verdict.status == "pending" and check_c1(verdict).passed


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["confirmed", "partial", "wrong", "inconclusive", "pending"]),
    st.sampled_from(["match", "mismatch", "unknown"]),
)
def test_publisher_recheck_refuses_every_forged_wrong(status: str, match: str) -> None:
    forged = Verdict(
        id="forged",
        kind="POST",
        status=status,
        confidence=0.9,
        agent_version="forger",
        computed_at=f.NOW,
        claim_citation=f.claim().citation,
        protocol_match=match,
    )
    assert check_c1(forged).passed is not (status == "wrong" and match != "match")
    assert check_c1(enforce_c1(forged)).passed
