"""plan_run: what to run for a claim (pure)."""

from __future__ import annotations

import pytest

from services.evaluator.lm_eval_catalog import LmEvalTaskInfo
from services.evaluator.planner import Unsupported, plan_run, protocol_key
from shared.models import Claim, ClaimCitation, ClaimProtocol, RunProtocol


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


def ours(task: str, documents: int, keys: tuple[str, ...], leaves: tuple[str, ...] = ()) -> LmEvalTaskInfo:
    """The benchmarks the demo runs, as the catalog describes lm-eval's tasks (and our `arc` group) online."""
    return LmEvalTaskInfo(
        task=task,
        version="1.0",
        config_hash="a" * 64,
        data_revision="allenai/ai2_arc@210d026" if "arc" in task else "cais/mmlu@c30699e",
        local_data=False,
        metric_keys=keys,
        default_shots=0,
        output_type="group" if leaves else "multiple_choice",
        documents=documents,
        leaves=leaves or (task,),
        split="test",
    )


BENCHMARK_TASKS = {
    "mmlu": ours("mmlu", 14042, ("acc,none",), ("mmlu_anatomy", "mmlu_astronomy")),
    "mmlu_continuation": ours("mmlu_continuation", 14042, ("acc,none",), ("mmlu_anatomy_continuation",)),
    "mmlu_cloze": ours("mmlu_cloze", 14042, ("acc_norm,none", "acc,none"), ("mmlu_anatomy_continuation",)),
    "arc_easy": ours("arc_easy", 2376, ("acc,none", "acc_norm,none")),
    "arc": ours("arc", 3548, ("acc_norm,none", "acc,none"), ("arc_easy", "arc_challenge")),
}


def describe_benchmarks(task: str) -> LmEvalTaskInfo | str:
    return BENCHMARK_TASKS.get(task, f"lm-eval task {task!r} has no local data: the Hub is off")


def plan(c: Claim, max_examples=None) -> RunProtocol | Unsupported:
    return plan_run(c, max_examples=max_examples, slice_seed=7, lm_eval_task=describe_benchmarks)


def test_defaults_when_the_paper_states_only_the_benchmark():
    """A claim with no task named (the extractor names one) runs the map's task for its benchmark."""
    run = plan(claim(benchmark="mmlu"))
    assert isinstance(run, RunProtocol)
    assert (run.task, run.n_shot, run.metric, run.formulation, run.harness, run.split) == (
        "mmlu",
        5,
        "acc",
        "mcf",
        "lm-eval",
        "test",
    )
    assert (run.full_set, run.examples, run.slice_seed) == (True, 14042, None)
    arc = plan(claim(benchmark="arc_easy"))
    assert (arc.task, arc.n_shot, arc.metric, arc.split) == ("arc_easy", 0, "acc_norm", "test")
    mean = plan(claim(benchmark="arc"))  # the papers' "ARC": our group over lm-eval's two tasks
    assert (mean.task, mean.metric, mean.examples) == ("arc", "acc_norm", 3548)


def test_claimed_values_win():
    run = plan(claim(benchmark="arc_easy", task="arc_easy", n_shot=10, metric="acc"))
    assert (run.n_shot, run.metric) == (10, "acc")


def test_mmlu_cloze_follows_the_formulation():
    """MMLU stated as cloze runs our `mmlu_cloze` (lm-eval's continuation tasks, acc_norm aggregated);
    stated with acc, lm-eval's own `mmlu_continuation` group, which aggregates acc only."""
    run = plan(claim(benchmark="mmlu", formulation="cloze"))
    assert (run.task, run.benchmark, run.formulation, run.metric) == ("mmlu_cloze", "mmlu", "cloze", "acc_norm")
    acc = plan(claim(benchmark="mmlu_cloze", metric="acc"))
    assert (acc.task, acc.metric) == ("mmlu_continuation", "acc")
    refused = plan(claim(benchmark="mmlu_cloze", task="mmlu_continuation", metric="acc_norm"))
    assert isinstance(refused, Unsupported) and "'acc_norm' is not reported" in refused.reason


def test_budget_takes_a_seeded_slice():
    run = plan(claim(benchmark="arc"), max_examples=500)
    assert (run.full_set, run.examples, run.slice_seed) == (False, 500, 7)
    assert plan(claim(benchmark="arc_easy"), max_examples=5000).full_set is True


@pytest.mark.parametrize(
    "protocol, words",
    [
        ({"benchmark": None}, "names no benchmark"),
        ({"benchmark": "alpaca_eval"}, "LLM-judged"),
        ({"benchmark": "no_such_benchmark"}, "has no lm-eval task in the map"),
        ({"benchmark": "arc_easy", "metric": "f1"}, "not reported"),
        ({"benchmark": "arc_challenge"}, "'arc_challenge' has no local data"),
        ({"task": "no_such_task"}, "'no_such_task' has no local data"),
    ],
)
def test_unsupported_says_why(protocol, words):
    result = plan(claim(**protocol))
    assert isinstance(result, Unsupported) and words in result.reason, result


def test_unresolved_model_and_unmeasurable_claims():
    assert isinstance(plan(claim(benchmark="mmlu").model_copy(update={"model_id": None})), Unsupported)
    off = claim(benchmark="mmlu").model_copy(update={"measurable": False, "unmeasurable_reason": "closed model"})
    assert plan(off) == Unsupported("closed model")


def test_protocol_key_changes_with_what_changes_results():
    run = plan(claim(benchmark="mmlu"))
    assert protocol_key(run) == protocol_key(run.model_copy(update={"model_revision": "abc"}))
    assert protocol_key(run) != protocol_key(run.model_copy(update={"n_shot": 0}))
    assert protocol_key(run) != protocol_key(run.model_copy(update={"dtype": "bfloat16"}))


# ---------------------------------------------------------------- lm-eval tasks (issue 18)

TRUTHFULQA = LmEvalTaskInfo(
    task="truthfulqa_mc2",
    version="3.0",
    config_hash="c" * 64,
    data_revision="truthfulqa/truthful_qa@abc123",
    local_data=False,
    metric_keys=("acc,none",),
    default_shots=0,
    output_type="multiple_choice",
    documents=None,
    leaves=("truthfulqa_mc2",),
    split="validation",
)
GSM_LOCAL = LmEvalTaskInfo(
    task="pv_gsm8k",
    version="3.0",
    config_hash="d" * 64,
    data_revision="local-sha256:" + "e" * 64,
    local_data=True,
    metric_keys=("exact_match,strict-match", "exact_match,flexible-extract"),
    default_shots=5,
    output_type="generate_until",
    documents=40,
    leaves=("pv_gsm8k",),
    split="test",
)
CATALOG = {info.task: info for info in (TRUTHFULQA, GSM_LOCAL)}


def describe(task: str) -> LmEvalTaskInfo | str:
    return CATALOG.get(task, f"lm-eval task {task!r} has no local data: the Hub is off")


def lm_plan(c: Claim, max_examples=None) -> RunProtocol | Unsupported:
    return plan_run(c, max_examples=max_examples, slice_seed=7, lm_eval_task=describe)


def test_a_claim_naming_an_lm_eval_task_is_planned_as_that_task():
    run = lm_plan(claim(benchmark="truthfulqa", task="truthfulqa_mc2"))
    assert isinstance(run, RunProtocol)
    assert (run.benchmark, run.task, run.harness, run.split, run.n_shot, run.metric) == (
        "truthfulqa",
        "truthfulqa_mc2",
        "lm-eval",
        "validation",
        0,
        "acc",
    )
    assert (run.task_version, run.task_config_hash, run.data_revision) == ("3.0", "c" * 64, TRUTHFULQA.data_revision)
    assert run.lm_eval_version == TRUTHFULQA.lm_eval_version
    assert (run.chat_template, run.fewshot_as_multiturn, run.system_prompt) == (False, False, None)
    assert (run.full_set, run.examples) == (True, 0)  # a Hub dataset's size is known once it is loaded


def test_without_a_catalog_nothing_is_planned():
    assert (
        "no lm-eval task catalog"
        in plan_run(claim(benchmark="truthfulqa", task="truthfulqa_mc2"), max_examples=None, slice_seed=7).reason
    )


def test_chat_template_and_system_prompt_go_to_lm_eval():
    chat = plan(claim(benchmark="arc_easy", task="arc_easy", chat_template=True, system_prompt="Be brief."))
    assert (chat.task, chat.chat_template, chat.fewshot_as_multiturn, chat.system_prompt) == (
        "arc_easy",
        True,
        True,
        "Be brief.",
    )


def test_a_task_without_its_few_shot_split_runs_zero_shot_only():
    """A data folder without the split lm-eval draws examples from: lm-eval would draw them from the
    evaluated documents instead, so a few-shot claim is refused and a 0-shot one runs."""
    import dataclasses

    lacking = dataclasses.replace(
        GSM_LOCAL, no_fewshot="lm-eval's pv_gsm8k draws few-shot examples from its 'train' split"
    )

    def describe_lacking(task: str) -> LmEvalTaskInfo | str:
        return lacking

    def planned(**protocol):
        return plan_run(
            claim(task="pv_gsm8k", **protocol),
            max_examples=None,
            slice_seed=7,
            lm_eval_task=describe_lacking,
        )

    refused = planned()  # the task's default is 5-shot
    assert isinstance(refused, Unsupported) and refused.reason.startswith("5-shot: lm-eval's pv_gsm8k draws")
    assert planned(n_shot=0).n_shot == 0
    assert lm_plan(claim(task="pv_gsm8k")).n_shot == 5  # with the split: as before


def test_gsm8k_runs_lm_evals_task():
    """A GSM8K claim runs lm-eval's gsm8k (the map's task when none is named), or says why it cannot."""
    assert "'gsm8k' has no local data" in lm_plan(claim(benchmark="gsm8k")).reason
    assert "'gsm8k' has no local data" in lm_plan(claim(benchmark="gsm8k", task="gsm8k")).reason
    lighteval = lm_plan(claim(benchmark="gsm8k", task="pv_gsm8k", harness="lighteval")).reason
    assert "lighteval formulation of 'gsm8k' is not implemented" in lighteval
    assert "runs with lm-eval" in lm_plan(claim(benchmark="gsm8k", task="pv_gsm8k", harness="olmes")).reason


def test_lm_eval_metric_shots_and_budget():
    flexible = lm_plan(claim(task="pv_gsm8k", metric="exact_match_flexible"))
    assert (flexible.benchmark, flexible.metric, flexible.n_shot, flexible.formulation) == (
        "pv_gsm8k",
        "exact_match_flexible",
        5,
        "generate",
    )
    assert lm_plan(claim(task="pv_gsm8k", n_shot=8)).n_shot == 8
    assert "not reported" in lm_plan(claim(task="pv_gsm8k", metric="acc_norm")).reason
    sliced = lm_plan(claim(task="pv_gsm8k"), max_examples=10)
    assert (sliced.full_set, sliced.examples, sliced.slice_seed) == (False, 10, 7)
    whole = lm_plan(claim(task="pv_gsm8k"), max_examples=100)
    assert (whole.full_set, whole.examples, whole.slice_seed) == (True, 40, None)
    unknown_size = lm_plan(claim(task="truthfulqa_mc2"), max_examples=100)
    assert (unknown_size.full_set, unknown_size.examples) == (False, 100)


def test_lm_eval_unsupported_says_why():
    assert "has no local data" in lm_plan(claim(task="mmlu_pro")).reason
    assert "harness 'olmes'" in lm_plan(claim(task="pv_gsm8k", harness="olmes")).reason
    assert "need the chat template" in lm_plan(claim(task="pv_gsm8k", fewshot_as_multiturn=True)).reason


def test_prompt_format_comes_from_the_claim_with_lm_evals_defaults():
    chat = lm_plan(claim(task="pv_gsm8k", chat_template=True, system_prompt="You are a math tutor."))
    assert (chat.chat_template, chat.fewshot_as_multiturn, chat.system_prompt) == (True, True, "You are a math tutor.")
    single_turn = lm_plan(claim(task="pv_gsm8k", chat_template=True, fewshot_as_multiturn=False))
    assert (single_turn.chat_template, single_turn.fewshot_as_multiturn) == (True, False)


def test_fixed_shot_tasks_from_the_benchmark_map(monkeypatch):
    import shared.benchmarks as benchmarks

    bbh = LmEvalTaskInfo(
        **{**TRUTHFULQA.__dict__, "task": "bbh_cot_fewshot", "metric_keys": ("exact_match,get-answer",)}
    )
    variant = benchmarks.LmEvalTask(
        "bbh_cot_fewshot", "exact_match", "exact_match,get-answer", 3, "cot", "generate_until", fixed_shots=True
    )
    monkeypatch.setattr(benchmarks, "LM_EVAL", {"bbh": benchmarks.TaskFamily("bbh", (variant,))}, raising=False)
    run = plan_run(
        claim(benchmark="bbh", task="bbh_cot_fewshot"),
        max_examples=None,
        slice_seed=0,
        lm_eval_task=lambda t: bbh,
    )
    assert (run.n_shot, run.metric, run.formulation) == (3, "exact_match", "cot")
    refused = plan_run(
        claim(benchmark="bbh", task="bbh_cot_fewshot", n_shot=0),
        max_examples=None,
        slice_seed=0,
        lm_eval_task=lambda t: bbh,
    )
    assert "in the prompt" in refused.reason


def test_protocol_key_of_lm_eval_runs_covers_task_and_prompt_format():
    run = lm_plan(claim(task="pv_gsm8k"))
    changes = {
        "task": "gsm8k",
        "task_version": "4.0",
        "task_config_hash": "0" * 64,
        "lm_eval_version": "0.4.14",
        "n_shot": 8,
        "chat_template": True,
        "fewshot_as_multiturn": True,
        "system_prompt": "Be brief.",
    }
    for name, value in changes.items():
        assert protocol_key(run) != protocol_key(run.model_copy(update={name: value})), name


def test_protocol_key_of_runs_measured_before_the_lm_eval_fields_is_unchanged():
    """A run without lm-eval's fields keys as it did before they existed (cached measurement ids hold)."""
    run = RunProtocol(
        benchmark="mmlu",
        split="test",
        n_shot=5,
        metric="acc",
        formulation="mcf",
        examples=14042,
        full_set=True,
        harness="lm-eval",
    )
    assert protocol_key(run) == (
        "benchmark=mmlu|subset=None|split=test|n_shot=5|metric=acc|formulation=mcf|harness=lm-eval|"
        "full_set=True|examples=14042|slice_seed=None|dtype=None|chat_template=False"
    )


def test_an_lm_eval_slice_is_seeded_proportional_and_keeps_every_task():
    from services.evaluator.lm_eval_plan import slice_documents

    picked = slice_documents({"mmlu_anatomy": 100, "mmlu_astronomy": 50, "mmlu_tiny": 2}, 30, seed=7)
    assert {k: len(v) for k, v in picked.items()} == {"mmlu_anatomy": 20, "mmlu_astronomy": 10, "mmlu_tiny": 1}
    assert all(v == sorted(set(v)) and all(0 <= i < 100 for i in v) for v in picked.values())
    assert slice_documents({"mmlu_anatomy": 100, "mmlu_astronomy": 50, "mmlu_tiny": 2}, 30, seed=7) == picked
    assert slice_documents({"mmlu_anatomy": 100, "mmlu_astronomy": 50, "mmlu_tiny": 2}, 30, seed=8) != picked
    assert slice_documents({"a": 3}, 10, seed=1) == {"a": [0, 1, 2]}


def lighteval_plan(**protocol) -> RunProtocol | Unsupported:
    """Planned against a catalog that has our lighteval configs (and nothing else)."""
    import dataclasses

    def describe_ours(task: str) -> LmEvalTaskInfo | str:
        if not task.startswith("lighteval_"):
            return f"no {task}"
        keys = ("acc,none", "acc_norm,none")
        return dataclasses.replace(TRUTHFULQA, task=task, metric_keys=keys, leaves=(task,), local_data=True)

    return plan_run(claim(**protocol), max_examples=None, slice_seed=7, lm_eval_task=describe_ours)


def test_lighteval_claims_run_our_lighteval_configs_zero_shot():
    """A claim stating lighteval runs SmolLM2's formulation, our lm-eval config of it, whatever lm-eval
    task the extractor named (`shared.benchmarks.LIGHTEVAL`): 0-shot, acc_norm unless stated."""
    run = lighteval_plan(benchmark="hellaswag", task="hellaswag", harness="lighteval")
    assert (run.task, run.harness, run.n_shot, run.metric, run.formulation) == (
        "lighteval_hellaswag",
        "lighteval",
        0,
        "acc_norm",
        "cloze",
    )
    assert lighteval_plan(benchmark="commonsense_qa", harness="lighteval").task == "lighteval_commonsense_qa"
    mc = lighteval_plan(benchmark="mmlu", harness="lighteval")
    assert (mc.task, mc.formulation) == ("lighteval_mmlu_mc", "mcf")
    assert lighteval_plan(benchmark="mmlu", formulation="cloze", harness="lighteval").task == "lighteval_mmlu_cf"
    assert lighteval_plan(benchmark="arc", harness="lighteval").task == "lighteval_arc"  # the mean of the two
    assert lighteval_plan(benchmark="piqa", harness="lighteval", metric="acc").metric == "acc"
    five = lighteval_plan(benchmark="hellaswag", harness="lighteval", n_shot=5)
    assert isinstance(five, Unsupported) and "0-shot" in five.reason and "5-shot" in five.reason
    boolq = lighteval_plan(benchmark="boolq", harness="lighteval")
    assert isinstance(boolq, Unsupported) and "lighteval formulation of 'boolq' is not implemented" in boolq.reason
    unpinned = plan_run(claim(benchmark="hellaswag", harness="lighteval"), max_examples=None, slice_seed=7)
    assert "no lm-eval task catalog" in unpinned.reason
    named = lighteval_plan(task="lighteval_winogrande")  # the config named, no harness stated (the CLI)
    assert (named.task, named.harness, named.metric) == ("lighteval_winogrande", "lighteval", "acc_norm")
