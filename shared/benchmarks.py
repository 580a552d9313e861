"""The benchmarks paperverdict can re-measure: one record each, the single definition that the
extractor (printed names -> key), the evaluator (key -> lm-eval task, `LM_EVAL`; published split
sizes) and the validator (metric scale) read; `tests/unit/test_registries.py` checks that every
consumer's keys equal these."""

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
# lm-eval's own names included: a measurement's metric is the mapped variant's (LmEvalTask.metric).
FRACTION_METRICS = frozenset(
    {"acc", "acc_norm", "exact_match", "exact_match_flexible", "pass@1", "f1", "rouge"}
    | {"accuracy_amb", "accuracy_disamb", "bleu_acc", "contains", "pct_stereotype", "rouge1", "rouge2", "rougeL"}
    | {f"{level}_level_{mode}_acc" for level in ("prompt", "inst") for mode in ("strict", "loose")}  # IFEval
)


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


def _mc(task: str, metric: str = "acc", formulation: str = "cloze", n_shot: int | None = None) -> LmEvalTask:
    return LmEvalTask(task, metric, f"{metric},none", n_shot, formulation, "multiple_choice")


def _gen(
    task: str, metric: str, result_key: str, formulation: str = "generate", n_shot: int | None = None
) -> LmEvalTask:
    fixed = n_shot is not None and formulation == "cot"  # the chain-of-thought exemplars are the task's own
    return LmEvalTask(task, metric, result_key, n_shot, formulation, "generate_until", fixed_shots=fixed)


def _code(task: str, result_key: str, n_shot: int | None = None) -> LmEvalTask:
    return LmEvalTask(task, "pass@1", result_key, n_shot, "code", "generate_until", needs_sandbox=True)


def _rolling(task: str, metric: str = "word_perplexity") -> LmEvalTask:
    return LmEvalTask(task, metric, f"{metric},none", None, "rolling", "loglikelihood_rolling")


def _bbh(subtask: str) -> tuple[LmEvalTask, ...]:
    """Big-Bench Hard (a group, or one of its 27 tasks): 3-shot CoT first, as most papers report it."""
    name = "" if subtask == "bbh" else f"_{subtask}"
    return (
        LmEvalTask(
            f"bbh_cot_fewshot{name}",
            "exact_match",
            "exact_match,get-answer",
            3,
            "cot",
            "generate_until",
            fixed_shots=True,
        ),
        LmEvalTask(
            f"bbh_fewshot{name}", "exact_match", "exact_match,none", 3, "generate", "generate_until", fixed_shots=True
        ),
        LmEvalTask(
            f"bbh_cot_zeroshot{name}",
            "exact_match",
            "exact_match,flexible-extract",
            0,
            "cot",
            "generate_until",
            fixed_shots=True,
        ),
        LmEvalTask(
            f"bbh_zeroshot{name}",
            "exact_match",
            "exact_match,flexible-extract",
            0,
            "generate",
            "generate_until",
            fixed_shots=True,
        ),
    )


BBH_SUBTASKS = (  # noqa: SIM905  (one string reads better than 27)
    "boolean_expressions causal_judgement date_understanding disambiguation_qa dyck_languages formal_fallacies "
    "geometric_shapes hyperbaton logical_deduction_five_objects logical_deduction_seven_objects "
    "logical_deduction_three_objects movie_recommendation multistep_arithmetic_two navigate object_counting "
    "penguins_in_a_table reasoning_about_colored_objects ruin_names salient_translation_error_detection snarks "
    "sports_understanding temporal_sequences tracking_shuffled_objects_five_objects "
    "tracking_shuffled_objects_seven_objects tracking_shuffled_objects_three_objects web_of_lies word_sorting"
).split()
_PRO = "exact_match,custom-extract"  # MMLU-Pro: 5-shot CoT, the answer letter extracted
_MATH = "exact_match,none"
_QA = "exact_match,remove_whitespace"

_FAMILIES: dict[str, tuple[LmEvalTask, ...]] = {
    # the benchmarks the demo and the fidelity tests run; "arc" is our group (the papers' mean of the two)
    "mmlu": (_mc("mmlu", formulation="mcf", n_shot=5), _mc("mmlu_cloze", "acc_norm"), _mc("mmlu_continuation")),
    # ours (lmeval_tasks/mmlu_cloze.yaml): lm-eval's continuation tasks, acc_norm aggregated too; lm-eval's
    # own group aggregates acc only (a claim stating acc runs it)
    "mmlu_cloze": (_mc("mmlu_cloze", "acc_norm"), _mc("mmlu_continuation")),
    "hellaswag": (_mc("hellaswag", "acc_norm"),),
    "arc_easy": (_mc("arc_easy", "acc_norm"),),
    "arc_challenge": (_mc("arc_challenge", "acc_norm"),),
    "arc": (_mc("arc", "acc_norm"),),  # services/evaluator/lmeval_tasks/arc.yaml
    # ours (lmeval_tasks/wmt/): lm-eval's WMT translation task on WMT15 fr-en / WMT14 en-de; BLEU 0-100
    "wmt15_fr_en": (_gen("wmt15-fr-en", "bleu", "bleu,none"),),
    "wmt14_en_de": (_gen("wmt14-en-de", "bleu", "bleu,none"),),
    "winogrande": (_mc("winogrande"),),
    "piqa": (_mc("piqa", "acc_norm"),),
    "openbookqa": (_mc("openbookqa", "acc_norm"),),
    "commonsense_qa": (_mc("commonsense_qa", formulation="mcf"),),
    "boolq": (_mc("boolq"),),
    "gsm8k": (
        _gen("gsm8k", "exact_match", "exact_match,strict-match", n_shot=5),
        _gen("gsm8k_cot", "exact_match", "exact_match,strict-match", "cot", n_shot=8),
        _gen("gsm8k_cot_zeroshot", "exact_match", "exact_match,flexible-extract", "cot", n_shot=0),
    ),
    # the rest of the labelled corpus that lm-eval 0.4.13 has
    "truthfulqa": (
        _mc("truthfulqa_mc2", formulation="mc2"),
        _mc("truthfulqa_mc1", formulation="mc1"),
        _gen("truthfulqa_gen", "bleu_acc", "bleu_acc,none"),
    ),
    "bbh": _bbh("bbh"),
    **{f"bbh_{s}": _bbh(s) for s in BBH_SUBTASKS},
    "math": (
        _gen("minerva_math", "exact_match", _MATH, "cot", n_shot=4),
        _gen("hendrycks_math", "exact_match", _MATH),
        _gen("minerva_math500", "exact_match", _MATH, "cot", n_shot=4),
    ),
    "drop": (_gen("drop", "f1", "f1,none"), _gen("drop", "exact_match", "em,none")),
    "humaneval": (_code("humaneval", "pass@1,create_test"),),
    "humaneval_plus": (_code("humaneval_plus", "pass@1,create_test"),),
    "mbpp": (_code("mbpp", "pass_at_1,none", 3),),
    "mbpp_plus": (_code("mbpp_plus", "pass_at_1,none", 3),),
    "naturalqs": (_gen("nq_open", "exact_match", _QA),),
    "triviaqa": (_gen("triviaqa", "exact_match", _QA),),
    "triviaqa_open": (_gen("triviaqa", "exact_match", _QA),),
    "lambada": (
        LmEvalTask("lambada_openai", "acc", "acc,none", None, "cloze", "loglikelihood"),
        LmEvalTask("lambada_standard", "acc", "acc,none", None, "cloze", "loglikelihood"),
    ),
    "lambada_ppl": (LmEvalTask("lambada_openai", "perplexity", "perplexity,none", None, "cloze", "loglikelihood"),),
    "wikitext_ppl": (_rolling("wikitext"),),
    "siqa": (_mc("social_iqa"),),
    "agieval": (_mc("agieval", formulation="mcf"), _mc("agieval_en", formulation="mcf")),
    "race": (_mc("race"),),
    "mmlu_pro": (_gen("mmlu_pro", "exact_match", _PRO, "cot", n_shot=5),),
    "mmlu_pro_math": (_gen("mmlu_pro_math", "exact_match", _PRO, "cot", n_shot=5),),
    "mmlu_pro_cs": (_gen("mmlu_pro_computer_science", "exact_match", _PRO, "cot", n_shot=5),),
    "mmlu_stem": (_mc("mmlu_stem", formulation="mcf", n_shot=5),),
    "mmlu_redux": (_gen("mmlu_redux_generative", "exact_match", "exact_match,default"),),
    "c_eval": (_mc("ceval-valid", formulation="mcf"),),
    "cmmlu": (_mc("cmmlu", formulation="mcf"),),
    "sciq": (_mc("sciq"), _mc("sciq", "acc_norm")),
    "gpqa": (
        LmEvalTask("gpqa_main_zeroshot", "acc", "acc,none", 0, "mcf", "multiple_choice", fixed_shots=True),
        _mc("gpqa_main_n_shot", formulation="mcf"),
        _gen("gpqa_main_cot_zeroshot", "exact_match", "exact_match,flexible-extract", "cot", n_shot=0),
        _gen("gpqa_main_cot_n_shot", "exact_match", "exact_match,flexible-extract", "cot"),
    ),
    "aime_2024": (_gen("aime24", "exact_match", "exact_match,none"),),
    "aime_2025": (_gen("aime25", "exact_match", "exact_match,none"),),
    # SQuAD as zero-shot completion ("SQD" in recall-intensive suites: hazyresearch/based-squad)
    "squad": (_gen("squad_completion", "contains", "contains,none"),),
    # lm-eval's squadv2, scored by our class (lmeval_tasks/squadv2/): F1 in percent, as lm-eval reports it
    "squad_v2": (_gen("squadv2", "squad_f1", "f1,none"),),
    # ROUGE F-measures (rouge_score, stemmed); lm-eval's BERTScore needs bert_score, not installed
    "cnn_dm": tuple(_gen("cnn_dailymail_abisee", m, f"{m},none") for m in ("rougeL", "rouge2", "rouge1")),
    # prompt level strict first (IFEval's headline); OLMo 2 states "Pass@1 (prompt; loose)"
    "ifeval": tuple(
        _gen("ifeval", metric, f"{metric},none")
        for metric in (
            "prompt_level_strict_acc",
            "prompt_level_loose_acc",
            "inst_level_strict_acc",
            "inst_level_loose_acc",
        )
    ),
    "crows_pairs": (_mc("crows_pairs_english", "pct_stereotype"),),
    "winogender": (_mc("winogender_all"),),
    "toxigen": (_mc("toxigen"),),
    "bbq_ambig": (_mc("bbq", "accuracy_amb"),),
    "bbq_disambig": (_mc("bbq", "accuracy_disamb"),),
    "babi": (_gen("babi", "exact_match", "exact_match,none"),),
    "swde": (_gen("swde", "contains", "contains,none"),),  # Python task classes: metrics declared in code
    "fda": (_gen("fda", "contains", "contains,none"),),
    "logiqa": (_mc("logiqa", "acc_norm"), _mc("logiqa")),
    "headqa_en": (_mc("headqa_en", "acc_norm"), _mc("headqa_en")),
    # SuperGLUE and GLUE
    "copa": (_mc("copa"),),
    "rte": (_mc("rte"), _mc("sglue_rte")),
    "wsc": (_mc("wsc"),),
    "wic": (_mc("wic"),),
    "multirc": (_mc("multirc"),),
    "qqp": (_mc("qqp"), _mc("qqp", "f1")),
    "mrpc": (_mc("mrpc"), _mc("mrpc", "f1")),
    "qnli": (_mc("qnli"),),
    "wnli": (_mc("wnli"),),
    "sst": (_mc("sst2"),),
}
LM_EVAL: dict[str, TaskFamily] = {key: TaskFamily(key, variants) for key, variants in _FAMILIES.items()}


def _lighteval(task: str, formulation: str = "cloze") -> LmEvalTask:
    return LmEvalTask(
        f"lighteval_{task}", "acc_norm", "acc_norm,none", 0, formulation, "multiple_choice", fixed_shots=True
    )


# SmolLM2's lighteval formulations (0-shot, acc_norm by the length without the leading space), our own
# lm-eval task configs (services/evaluator/lmeval_tasks/lighteval/): what a claim stating lighteval runs
LIGHTEVAL: dict[str, LmEvalTask] = {
    "mmlu": _lighteval("mmlu_mc", "mcf"),
    "mmlu_cloze": _lighteval("mmlu_cf"),
    "hellaswag": _lighteval("hellaswag"),
    "winogrande": _lighteval("winogrande"),
    "arc_easy": _lighteval("arc_easy"),
    "arc_challenge": _lighteval("arc_challenge"),
    "arc": _lighteval("arc"),  # a group: the plain mean of the two
    "piqa": _lighteval("piqa"),
    "openbookqa": _lighteval("openbookqa"),
    "commonsense_qa": _lighteval("commonsense_qa"),
}

_JUDGED = "is LLM-judged (a judge model scores the answers)"
_HUMAN = "is human-judged"
_OWN = "is the paper's own benchmark or aggregate"
_VISION = "is a vision benchmark (images in the input)"
_ABSENT = "is not in lm-eval 0.4.13"
_SAFETY = "is a refusal/safety benchmark scored by a judge model or classifier"
NO_LM_EVAL_TASK: dict[str, str] = {
    "cruxeval_i": "lm-eval's cruxeval_input executes the generated code inside the evaluating process and samples "
    "(temperature 0.2, 10 repeats); code runs here only in our sandbox, and decoding is greedy",
    "cruxeval_o": "lm-eval's cruxeval_output executes the generated code inside the evaluating process and samples "
    "(temperature 0.2, 10 repeats); code runs here only in our sandbox, and decoding is greedy",
    "realtoxicityprompts": "is scored by the Perspective API (an external service)",
    "pile_ppl": "lm-eval 0.4.13 has only the Pile's 22 subsets (pile_arxiv, ...), no whole-Pile task",
    "pile_bpb": "lm-eval 0.4.13 has only the Pile's 22 subsets (pile_arxiv, ...), no whole-Pile task",
    "openbookqa_fact": "gives the model OpenBookQA's supporting fact, which lm-eval's openbookqa does not",
    "gsm8k_pal": "runs generated programs (PAL), which lm-eval 0.4.13 has no task for",
    "gaokao_bench": "is GAOKAO-Bench, not lm-eval's AGIEval gaokao subsets",
    "wmt": "names no WMT year and language pair",
    "simpleqa": _JUDGED,
    "alpaca_eval": _JUDGED,
    "mt_bench": _JUDGED,
    "chatbot_arena_elo": _HUMAN,
    **dict.fromkeys(
        (
            "advbench",
            "malicious_instructions",
            "strongreject",
            "sorry_bench",
            "or_bench",
            "or_bench_hard_1k",
            "xstest",
            "phtest",
            "oktest",
            "falsereject_test",
            "safety",
        ),
        _SAFETY,
    ),
    **dict.fromkeys(
        (
            "core",
            "extended",
            "multi_exam",
            "multi_understanding",
            "multi_mathematics",
            "multi_translation",
            "openrewrite_eval",
            "relations",
        ),
        _OWN,
    ),
    **dict.fromkeys(
        (
            "amber_attribute",
            "amber_existence",
            "amber_relation",
            "amber_accuracy",
            "mme_color",
            "mme_position",
            "mme_scene",
            "pope",
            "vsr",
            "a_okvqa",
            "gqa",
            "realworldqa",
        ),
        _VISION,
    ),
    **dict.fromkeys(
        (
            "popqa",
            "quac",
            "slimpajama_ppl",
            "leetcode",
            "apps",
            "codecontests",
            "livecodebench_v3",
            "multipl_e",
            "tldr",
            "theoremqa",
            "omega",
            "zebralogic",
            "ifbench",
            "nlp4lp",
            "nl4opt",
            "industryor",
            "mamo_complexlp",
            "logior",
            "optibench",
            "litqa2",
            "cmath",
            "cluewsc",
            "cmrc",
            "c3",
            "ccpm",
            "chid",
            "arxiv",
            "pubmed",
            "mediasum",
            "multinews",
            "webnlg",
            "bold",
            "winobias_1_2",
            "winobias_2_2",
        ),
        _ABSENT,
    ),
}


def choose_task(
    key: str,
    *,
    n_shot: int | None = None,
    formulation: str | None = None,
    metric: str | None = None,
    cot: bool | None = None,
) -> LmEvalTask | str:
    """The lm-eval variant for what a paper states about a claim on benchmark `key`, or why none fits.
    A stated field narrows the variants; one no variant has (a formulation, a metric) is left to the
    planner, which checks it against the task's reported metrics. Shots: a variant defined with the
    stated count first, then one whose shots are free; a task with its exemplars in the prompt takes no other."""
    family = LM_EVAL.get(key)
    if family is None:
        return NO_LM_EVAL_TASK.get(key, f"has no lm-eval task in the map ({key!r})")
    variants = family.variants
    if cot is not None:
        variants = tuple(v for v in variants if (v.formulation == "cot") == cot)
        if not variants:
            return f"lm-eval has no {'chain-of-thought' if cot else 'direct-answer'} variant of {key}"
    for wanted, field in ((formulation, "formulation"), (metric, "metric")):
        narrowed = tuple(v for v in variants if wanted is not None and getattr(v, field) == wanted)
        variants = narrowed or variants
    if n_shot is None:
        return variants[0]
    fitting = [v for v in variants if v.n_shot == n_shot] + [v for v in variants if not v.fixed_shots]
    if fitting:
        return fitting[0]
    shots = sorted({v.n_shot for v in variants if v.n_shot is not None})
    return f"lm-eval's {key} tasks have their exemplars in the prompt ({', '.join(map(str, shots))}-shot); the paper states {n_shot}-shot"
