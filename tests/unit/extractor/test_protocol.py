"""Labels and captions -> benchmark keys, shots, metrics, formulations, aggregates, hyper-parameters."""

from __future__ import annotations

import pytest

from services.extractor.protocol import (
    match_benchmark,
    match_unmeasurable,
    parse_caption,
    parse_label,
)
from shared.benchmarks import BENCHMARKS


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("HellaSwag", "hellaswag"),
        ("Hellaswag (10-shot)", "hellaswag"),
        ("ARC-c", "arc_challenge"),
        ("ARC-Challenge", "arc_challenge"),
        ("ARC (Challenge)", "arc_challenge"),
        ("ARC-e", "arc_easy"),
        ("ARC Easy", "arc_easy"),
        ("ARC", "arc"),
        ("ARC (average)", "arc"),
        ("MMLU", "mmlu"),
        ("MMLU (5-shot)", "mmlu"),
        ("MMLU (MCF)", "mmlu"),
        ("MMLU (cloze)", "mmlu_cloze"),
        ("MMLU-CF", "mmlu_cloze"),
        ("WinoGrande", "winogrande"),
        ("PIQA", "piqa"),
        ("OBQA", "openbookqa"),
        ("OpenBookQA", "openbookqa"),
        ("CSQA", "commonsense_qa"),
        ("CommonsenseQA", "commonsense_qa"),
        ("BoolQ", "boolq"),
        ("GSM8K", "gsm8k"),
        ("GSM-8K (8-shot, CoT)", "gsm8k"),
    ],
)
def test_benchmark_labels_map_to_shared_keys(label: str, key: str) -> None:
    assert match_benchmark(label) == key
    assert key in BENCHMARKS


@pytest.mark.parametrize("label", ["MMLU-Pro", "CMMLU", "Commonsense", "Math", "Average", "SIQA", "Params"])
def test_other_labels_are_not_canonical_benchmarks(label: str) -> None:
    assert match_benchmark(label) is None


@pytest.mark.parametrize(
    ("label", "why"),
    [
        ("MT-Bench", "is LLM-judged"),
        ("AlpacaEval 2.0 (LC)", "is LLM-judged"),
        ("Human win rate (%)", "is human-judged"),
        ("IFEval", "is not supported by the evaluator"),
        ("HumanEval (pass@1)", "is not supported by the evaluator"),
        ("MATH (4-shot)", "is not supported by the evaluator"),
        ("TriviaQA", "is not supported by the evaluator"),
    ],
)
def test_known_benchmarks_we_cannot_run_come_with_a_reason(label: str, why: str) -> None:
    found = match_unmeasurable(label)
    assert found is not None and found[1] == why
    assert match_unmeasurable("Math") is None  # a category header, not the MATH benchmark


@pytest.mark.parametrize(
    ("label", "n_shot", "metric", "formulation"),
    [
        ("GSM8K (5-shot)", 5, None, None),
        ("MATH (4-shot)", 4, None, None),
        ("BBH (3-shot)", 3, None, None),
        ("0-shot", 0, None, None),
        ("zero-shot", 0, None, None),
        ("five-shot", 5, None, None),
        ("HellaSwag (acc_norm)", None, "acc_norm", None),
        ("Acc. (norm)", None, "acc_norm", None),
        ("GSM8K (8-shot CoT, EM)", 8, "exact_match", "cot"),
        ("HumanEval (pass@1)", None, "pass@1", None),
        ("DROP (F1)", None, "f1", None),
        ("XSum (ROUGE-2)", None, "rouge2", None),
        ("CNN/DM / ROUGE-L", None, "rougeL", None),
        ("R-1", None, None, None),
        ("ROUGE", None, "rouge", None),
        ("MMLU (MCF)", None, None, "mcf"),
        ("MMLU (cloze)", None, None, "cloze"),
        ("Accuracy", None, "accuracy", None),
        ("unnormalized accuracy", None, "acc", None),
        ("k=5", 5, None, None),
        ("Pass@1 (prompt; loose)", None, "prompt_level_loose_acc", None),  # IFEval: lm-eval's four names
        ("IFEval (prompt-level strict acc.)", None, "prompt_level_strict_acc", None),
        ("Inst-level loose", None, "inst_level_loose_acc", None),
        ("IFEval instruction strict", None, "inst_level_strict_acc", None),
    ],
)
def test_label_protocol_fields(label: str, n_shot: int | None, metric: str | None, formulation: str | None) -> None:
    info = parse_label(label)
    assert (info.n_shot, info.metric, info.formulation) == (n_shot, metric, formulation)


def test_aggregates_hyper_parameters_and_protocol_columns() -> None:
    assert all(parse_label(x).aggregate for x in ("Average", "Avg.", "Avg. (7 tasks)", "Mean"))
    assert not parse_label("ARC (average)").aggregate
    for hyper in (
        "Params",
        "#Params",
        "Size",
        "Tokens (B)",
        "Training tokens",
        "Attention heads",
        "Learning rate",
        "Context length",
        "Proportion (%)",
    ):
        assert parse_label(hyper).hyper, hyper
    assert not parse_label("HellaSwag").hyper
    assert parse_label("# Shots").shot_column and parse_label("Metric").metric_column
    assert parse_label("Held-out / DROP (F1)").held_out
    assert parse_label("few-shot").few_shot


def test_caption_general_and_per_benchmark_statements() -> None:
    info = parse_caption(
        "Zero-shot accuracy of base models unless stated otherwise. GSM8K is 5-shot; MMLU uses the cloze formulation."
    )
    assert info.n_shot == 0 and info.unless_stated
    assert info.shots_by_benchmark == {"gsm8k": 5}
    assert info.formulation is None and info.formulation_by_benchmark == {"mmlu": "cloze"}
    assert info.metric == "accuracy"


def test_caption_statements_about_unrunnable_benchmarks_do_not_leak() -> None:
    info = parse_caption(
        "IFEval reports strict accuracy; MT-Bench is scored 1--10 by a GPT-4 judge. Other tasks are zero-shot."
    )
    assert info.metric is None and info.n_shot == 0


def test_caption_flags() -> None:
    assert parse_caption("Evaluation of instruction-tuned models.").instruct
    info = parse_caption("Base and instruction-tuned models.")
    assert info.instruct and info.base
    assert parse_caption("Ablations of the data mixture.").ablation
    assert parse_caption("Zero-shot accuracy (%).").percent
    assert parse_caption("Results with lm-evaluation-harness.").harness == "lm-eval"
    assert not parse_caption("Architecture hyper-parameters.").results
