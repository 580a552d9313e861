"""Canonical benchmark keys and vocabulary shared by the extractor (labels -> keys), the evaluator
(keys -> task implementations) and the validator (protocol comparison)."""

from __future__ import annotations

# key -> (default metric as lm-eval reports it, default formulation, default split)
BENCHMARKS: dict[str, tuple[str, str, str]] = {
    "mmlu": ("acc", "mcf", "test"),
    "mmlu_cloze": ("acc_norm", "cloze", "test"),
    "winogrande": ("acc", "cloze", "validation"),
    "hellaswag": ("acc_norm", "cloze", "validation"),
    "arc_easy": ("acc_norm", "cloze", "test"),
    "arc_challenge": ("acc_norm", "cloze", "test"),
    "arc": ("acc_norm", "cloze", "test"),  # mean of arc_easy and arc_challenge, when a paper reports one number
    "piqa": ("acc_norm", "cloze", "validation"),
    "openbookqa": ("acc_norm", "cloze", "test"),
    "commonsense_qa": ("acc", "mcf", "validation"),
    "boolq": ("acc", "cloze", "validation"),
    "gsm8k": ("exact_match", "generate", "test"),
}

METRICS = ("acc", "acc_norm", "exact_match", "exact_match_flexible", "pass@1", "f1", "rouge", "other")
FORMULATIONS = ("mcf", "cloze", "cot", "generate")
HARNESSES = ("lm-eval", "lighteval")

# Metrics reported as a fraction in [0, 1] by the evaluator and as a percent in most papers.
FRACTION_METRICS = frozenset({"acc", "acc_norm", "exact_match", "exact_match_flexible", "pass@1", "f1", "rouge"})
