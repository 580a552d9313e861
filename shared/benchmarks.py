"""The benchmarks paperverdict can re-measure: one record each, the single definition that the
extractor (printed names -> key), the evaluator (key -> task, composite parts, published split sizes)
and the validator (metric scale) read. Adding a benchmark is a record here plus its task module;
`tests/unit/test_registries.py` checks that every consumer's keys equal these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    key: str
    title: str  # as papers usually print it
    metric: str  # the metric lm-eval reports by default
    formulation: str  # "mcf" (letters), "cloze" (answer texts) or "generate"
    split: str  # the split lm-eval evaluates
    published_size: int  # documents in that split as published (the Hub is not asked)
    names: str  # regex over lower-cased text that names it ("hella-swag")
    abbreviations: tuple[str, ...] = ()  # narrow-header forms, matched against a whole bare label ("hs")
    parts: tuple[str, ...] = ()  # a composite is the mean of these benchmarks ("arc": easy + challenge)


# Most specific name first: "ARC-Challenge" must be tried before "ARC", "MMLU (cloze)" before "MMLU".
REGISTRY: tuple[Benchmark, ...] = (
    Benchmark(
        "mmlu_cloze", "MMLU (cloze)", "acc_norm", "cloze", "test", 14042, r"\bmmlu[\s\-_]*(?:\(|\[)?\s*(?:cloze|cf)\b"
    ),
    Benchmark("mmlu", "MMLU", "acc", "mcf", "test", 14042, r"\bmmlu\b"),
    Benchmark(
        "arc_challenge",
        "ARC-Challenge",
        "acc_norm",
        "cloze",
        "test",
        1172,
        r"\barc[\s\-_/]*(?:\(|\[)?\s*(?:c|challenge|chal+\.?)(?![a-z])",
        ("arcc", "arcch", "arcchal", "arcchall"),
    ),
    Benchmark(
        "arc_easy",
        "ARC-Easy",
        "acc_norm",
        "cloze",
        "test",
        2376,
        r"\barc[\s\-_/]*(?:\(|\[)?\s*(?:e|easy)(?![a-z])",
        ("arce", "arceasy", "arcez"),
    ),
    Benchmark("arc", "ARC", "acc_norm", "cloze", "test", 3548, r"\barc\b", parts=("arc_easy", "arc_challenge")),
    Benchmark(
        "hellaswag",
        "HellaSwag",
        "acc_norm",
        "cloze",
        "validation",
        10042,
        r"\bhella[\s\-]*swag\b",
        ("hs", "hswag", "hella", "hellas", "hellasw", "hellaswg", "hsw", "hswg"),
    ),
    Benchmark(
        "winogrande",
        "WinoGrande",
        "acc",
        "cloze",
        "validation",
        1267,
        r"\bwino[\s\-]*grande\b",
        ("wg", "wino", "winog", "winogr", "wgrande", "wngrd", "winogrd", "wngr", "wgr"),
    ),
    Benchmark("piqa", "PIQA", "acc_norm", "cloze", "validation", 1838, r"\bpiqa\b"),
    Benchmark(
        "openbookqa",
        "OpenBookQA",
        "acc_norm",
        "cloze",
        "test",
        500,
        r"\bobqa\b|\bopen[\s\-]*book[\s\-]*qa\b",
        ("oqa", "obq", "openbook", "obook"),
    ),
    Benchmark(
        "commonsense_qa",
        "CommonsenseQA",
        "acc",
        "mcf",
        "validation",
        1221,
        r"\bcsqa\b|\bcommonsense[\s\-]*qa\b",
        ("cqa", "comqa", "commonsenseqa", "csqa"),
    ),
    Benchmark("boolq", "BoolQ", "acc", "cloze", "validation", 3270, r"\bboolq\b", ("bq", "boolqa", "bool")),
    Benchmark("gsm8k", "GSM8K", "exact_match", "generate", "test", 1319, r"\bgsm[\s\-]*8k\b", ("gsm", "gsm8")),
)
BENCHMARKS: dict[str, Benchmark] = {b.key: b for b in REGISTRY}
COMPOSITES: dict[str, tuple[str, ...]] = {b.key: b.parts for b in REGISTRY if b.parts}

# Metrics reported as a fraction in [0, 1] by the evaluator and as a percent in most papers.
FRACTION_METRICS = frozenset({"acc", "acc_norm", "exact_match", "exact_match_flexible", "pass@1", "f1", "rouge"})


# ---------------------------------------------------------------- printed benchmark -> lm-eval task
# Issue 18: every benchmark of the labelled corpus that lm-eval has maps to the exact lm-eval task a
# claim on it runs (`ClaimProtocol.task`, `RunProtocol.task`); one without a task says why.


@dataclass(frozen=True)
class LmEvalTask:
    task: str  # lm-eval task (or group) name, as its registry spells it
    metric: str  # the metric a claim on it reports, our name ("acc", "acc_norm", "exact_match", "pass@1", "mc2", "f1")
    result_key: str  # lm-eval's results key for that metric ("acc,none", "exact_match,flexible-extract")
    n_shot: int | None  # the shots the task is defined with (None: num_fewshot decides, default 0)
    formulation: str  # "mcf", "cloze", "generate", "cot", "rolling", "code"
    kind: str  # lm-eval request type: "multiple_choice", "loglikelihood", "loglikelihood_rolling", "generate_until"
    needs_sandbox: bool = False  # scoring executes generated code (services/evaluator/sandbox.py)
    fixed_shots: bool = False  # the few-shot examples are part of the task's prompt (bbh_cot_fewshot: 3)


@dataclass(frozen=True)
class TaskFamily:
    key: str  # the benchmark key the extractor files a claim under ("truthfulqa", "bbh", "math", "mmlu")
    variants: tuple[LmEvalTask, ...]  # the default variant first
