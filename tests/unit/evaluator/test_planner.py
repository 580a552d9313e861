"""plan_run: what to run for a claim (pure)."""

from __future__ import annotations

import pytest

from services.evaluator.planner import Unsupported, plan_run, protocol_key
from shared.models import Claim, ClaimCitation, ClaimProtocol, RunProtocol

AVAILABLE = {
    "mmlu": 14042,
    "mmlu_cloze": 14042,
    "hellaswag": 10042,
    "arc_easy": 2376,
    "arc_challenge": 1172,
    "arc": 3548,
    "gsm8k": 1319,
    "winogrande": 1267,
    "commonsense_qa": 1221,
}


def claim(**protocol) -> Claim:
    return Claim(
        claim_id="c1",
        arxiv_id="2502.02737",
        version=1,
        table_label="Table 2",
        row_index=1,
        col_index=2,
        citation=ClaimCitation(
            paper_arxiv_id="2502.02737",
            section="Table 2",
            row="SmolLM2-1.7B",
            column="MMLU",
            reported_value=50.0,
            reported_metric="acc",
            quoted_text="50.0",
        ),
        model_label="SmolLM2-1.7B",
        model_id="HuggingFaceTB/SmolLM2-1.7B",
        protocol=ClaimProtocol(**protocol),
    )


def plan(c: Claim, max_examples=None) -> RunProtocol | Unsupported:
    return plan_run(c, max_examples=max_examples, slice_seed=7, available=AVAILABLE)


def test_defaults_when_the_paper_states_only_the_benchmark():
    run = plan(claim(benchmark="mmlu"))
    assert isinstance(run, RunProtocol)
    assert (run.n_shot, run.metric, run.formulation, run.harness, run.split) == (5, "acc", "mcf", "lm-eval", "test")
    assert (run.full_set, run.examples, run.slice_seed) == (True, 14042, None)
    hellaswag = plan(claim(benchmark="hellaswag"))
    assert (hellaswag.n_shot, hellaswag.metric, hellaswag.split) == (0, "acc_norm", "validation")
    assert plan(claim(benchmark="gsm8k")).n_shot == 5


def test_claimed_values_win():
    run = plan(claim(benchmark="hellaswag", n_shot=10, metric="acc"))
    assert (run.n_shot, run.metric) == (10, "acc")
    assert plan(claim(benchmark="gsm8k", metric="exact_match_flexible")).metric == "exact_match_flexible"


def test_mmlu_cloze_follows_the_formulation():
    run = plan(claim(benchmark="mmlu", formulation="cloze"))
    assert (run.benchmark, run.formulation, run.metric) == ("mmlu_cloze", "cloze", "acc_norm")


def test_lighteval_claims_run_lighteval_formulation_zero_shot():
    run = plan(claim(benchmark="hellaswag", harness="lighteval"))
    assert (run.harness, run.n_shot, run.metric) == ("lighteval", 0, "acc_norm")
    assert plan(claim(benchmark="commonsense_qa", harness="lighteval")).formulation == "cloze"
    assert isinstance(plan(claim(benchmark="hellaswag", harness="lighteval", n_shot=5)), Unsupported)
    assert isinstance(plan(claim(benchmark="gsm8k", harness="lighteval")), Unsupported)


def test_budget_takes_a_seeded_slice():
    run = plan(claim(benchmark="arc"), max_examples=500)
    assert (run.full_set, run.examples, run.slice_seed) == (False, 500, 7)
    assert plan(claim(benchmark="arc_easy"), max_examples=5000).full_set is True


@pytest.mark.parametrize(
    "protocol, words",
    [
        ({"benchmark": None}, "names no benchmark"),
        ({"benchmark": "humaneval"}, "not implemented"),
        ({"benchmark": "arc_easy", "metric": "f1"}, "not computed"),
        ({"benchmark": "piqa"}, "no evaluation data"),
    ],
)
def test_unsupported_says_why(protocol, words):
    result = plan(claim(**protocol))
    assert isinstance(result, Unsupported) and words in result.reason


def test_unresolved_model_and_unmeasurable_claims():
    assert isinstance(plan(claim(benchmark="mmlu").model_copy(update={"model_id": None})), Unsupported)
    off = claim(benchmark="mmlu").model_copy(update={"measurable": False, "unmeasurable_reason": "closed model"})
    assert plan(off) == Unsupported("closed model")


def test_protocol_key_changes_with_what_changes_results():
    run = plan(claim(benchmark="mmlu"))
    assert protocol_key(run) == protocol_key(run.model_copy(update={"model_revision": "abc"}))
    assert protocol_key(run) != protocol_key(run.model_copy(update={"n_shot": 0}))
    assert protocol_key(run) != protocol_key(run.model_copy(update={"dtype": "bfloat16"}))
