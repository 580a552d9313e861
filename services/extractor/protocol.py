"""Protocol from printed labels and captions: benchmark key, shot count, metric, formulation, split,
aggregates ("Average"), held-out markers, and the labels that are hyper-parameters, not results.

Everything here is a pure function of text; `headers.py` decides which labels to read and
`claims.py` combines label, caption and benchmark defaults, recording which field came from where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from services.extractor.names import (
    _BENCHMARKS,
    _MEASURABLE_KEYS,
    benchmarks_in,
    match_benchmark,
    match_unmeasurable,
)
from services.extractor.shots import parse_shots, shots_per_benchmark

_METRICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (k, re.compile(p))
    for k, p in (
        # IFEval's four (lm-eval's names): "Pass@1 (prompt; loose)", "Prompt-level strict acc."
        ("prompt_level_loose_acc", r"(?s)^(?=.*\bprompt\b)(?=.*\bloose\b)"),
        ("prompt_level_strict_acc", r"(?s)^(?=.*\bprompt\b)(?=.*\bstrict\b)"),
        ("inst_level_loose_acc", r"(?s)^(?=.*\binst(?:r|ruction)?s?\b\.?)(?=.*\bloose\b)"),
        ("inst_level_strict_acc", r"(?s)^(?=.*\binst(?:r|ruction)?s?\b\.?)(?=.*\bstrict\b)"),
        ("acc", r"\bun-?normali[sz]ed[\s\-]+acc|\braw[\s\-]+acc|\bacc\.?\s*\((?:unnorm|raw)"),
        ("acc_norm", r"acc(?:uracy)?[\s_.\-]*\(?norm|(?<!un)normali[sz]ed[\s\-]+acc|\bacc_n\b|\bnorm\.?\s*acc"),
        ("exact_match", r"\bem\b|exact[\s\-]*match"),
        ("pass@1", r"pass\s*@\s*1\b"),
        ("f1", r"\bf1\b"),
        ("rougeL", r"\brouge[\s\-_]*l\b"),  # lm-eval's names for ROUGE-L, -2, -1
        ("rouge2", r"\brouge[\s\-_]*2\b"),
        ("rouge1", r"\brouge[\s\-_]*1\b"),
        ("rouge", r"\brouge"),
        ("other", r"\bbleu\b|\bchrf\b|\bperplexity\b|\bppl\b|\bbpb\b|\bbits[\s\-]per[\s\-]byte\b"),
        ("accuracy", r"\bacc(?:uracy|uracies)?\b"),  # the word: does not say whether normalized
    )
)
_FORMULATIONS = (
    ("mcf", re.compile(r"\bmcf\b|multiple[\s\-]*choice")),
    ("cloze", re.compile(r"\bcloze\b|\bcf\b")),
    ("cot", re.compile(r"\bcot\b|chain[\s\-]*of[\s\-]*thought")),
)
# "Dev Benchmarks" (the benchmarks used while developing) and "test suite" are not splits
_NOT_A_SPLIT = r"(?![\s\-]*(?:benchmarks?|tasks?|suites?|evals?|evaluations?|sets? of)\b)"
SPLITS = (
    ("validation", re.compile(rf"\b(?:val|valid|validation|dev){_NOT_A_SPLIT}\b")),
    ("test", re.compile(rf"\btest{_NOT_A_SPLIT}\b")),
)
_SPLITS = SPLITS
_AGGREGATE = re.compile(r"^(?:avg\.?|average|mean|overall|macro[\s\-]*avg\.?|all)(?:\b|$)")
_DELTA = re.compile(
    r"(?:^|\s)(?:δ|delta|diff\.?|difference|gain|improvement|impr\.?|change|rel\.?\s*(?:gain|impr)|"
    r"\+/-|relative)(?:\b|$)"
)
_RANK = re.compile(r"^(?:#\s*)?(?:rank(?:ing)?|avg\.?\s*rank|mean\s*rank|position)(?:\b|$)")
_HELD_OUT = re.compile(r"held[\s\-]*out|\bunseen\b")
_HYPER = re.compile(
    r"(?:^|\s|#)(?:params?\.?|parameters|non-emb\w*|size|(?:train(?:ing)?\s+)?tokens?|layers?|heads?|hidden|d_?model|"
    r"d_?ff|ffn|dim(?:ension)?s?|vocab(?:ulary)?|context|ctx|seq(?:uence)?[\s\-]*len\w*|lr|learning[\s\-]*rate|batch|"
    r"steps?|warm[\s\-]*up|weight[\s\-]*decay|epochs?|flops|gpu[\s\-]*hours|compute|throughput|latency|memory|year|"
    r"date|license|release|proportion|ratio|weight|mixture|docs?|documents?|examples|samples|disk|bytes|"
    r"time|speed|speed[\s\-]*up|t\s*infer|wall[\s\-]*clock|tokens?/s|ms|sec|seconds|hours|cost|price|"
    r"conv(?:ergence|erged)?|valid(?:ity)?|coverage|parse[ds]?|parsable|refusals?)"
    r"(?=$|[\s).,:;(%])"
)
# "Hash Layer", "Switch Layer": a method named after its layer (one name word, singular), not a count of layers
# ("Layers", "# Layers", "Num Layer", "Transformer Layers")
_NAMED_LAYER = re.compile(
    r"^(?!(?:num|number|total|no|n|per|each|hidden|transformer|attention)\b)[a-z][\w\-]*\s+layer(?:\s+[\d.]+\s*[kmbt]?)?$"
)
_INDEX_HEADERS = frozenset({"#", "no.", "no", "id", "idx", "index", "rank", "run", "seed", "step", "checkpoint"})
_SHOT_HEADER = re.compile(
    r"^(?:#|no\.|num\.?|n)?[\s\-]*(?:shots?|k|n[\s\-]*shots?|k[\s\-]*shots?|few[\s\-]*shot|#?\s*demos?)$"
)
_METRIC_HEADER = re.compile(r"^(?:metric|measure|score type)s?$")
_RESULTS_WORDS = re.compile(
    r"\b(?:results?|accuracy|accuracies|performance|evaluations?|evaluated|evaluate|evals?|benchmarks?|scores?|"
    r"comparison|compare|compared|ablations?)\b"
)
_INSTRUCT = re.compile(
    r"\binstruct\b|instruction[\s\-]*(?:tun|follow)|\bchat\b|post[\s\-]*train|\bsft\b|"
    r"\baligned\b|\brlhf\b|\bdpo\b|\binstruct(?:ed)?[\s\-]+models?\b"
)
_BASE = re.compile(r"\bbase\b|\bpre[\s\-]*trained\b")
_ABLATION = re.compile(r"\bablat")
_PERCENT = re.compile(r"%|\bpercent")
# A harness by its name: "lm-evaluation-harness", "LM Evaluation Harness", "lm-eval" -- not "LM evaluations";
# OLMES and lighteval are harnesses of their own (a paper that cites lm-eval but runs OLMES ran OLMES).
_HARNESS = (
    ("olmes", re.compile(r"\bolmes\b")),
    ("lighteval", re.compile(r"\blighteval\b")),
    (
        "lm-eval",
        re.compile(
            r"\blm[\s\-_]*eval(?:uation)?[\s\-_]+harness\b|\blm[\-_]eval\b(?![\s\-]*s\b)|\beval[\s\-_]harness\b"
        ),
    ),
)
# A sentence that says the paper ran a harness, not one that cites or describes it.
HARNESS_USE = re.compile(
    r"\b(?:we|our|all|results?|models?|evaluations?|scores?)\b[^.]{0,80}\b(?:use[sd]?|using|with|via|run|ran|"
    r"implemented|computed|obtained|reported|evaluated|measured|follow(?:s|ed|ing)?|based on|adopt(?:s|ed)?)\b|"
    r"\b(?:using|with|via|in)\s+(?:the\s+)?(?:lm|olmes|lighteval|eval)",
    re.I,
)


@dataclass(frozen=True)
class LabelInfo:
    """What one printed header label says."""

    text: str
    benchmark: str | None = None
    known_benchmark: str | None = None  # the printed name of a benchmark we recognise but cannot run
    unmeasurable: str | None = None  # "is LLM-judged", ...
    n_shot: int | None = None
    few_shot: bool = False  # "few-shot" without a count
    metric: str | None = None
    formulation: str | None = None
    split: str | None = None
    aggregate: bool = False
    derived: str | None = None  # "average", "rank", "delta"
    held_out: bool = False
    hyper: bool = False
    shot_column: bool = False
    metric_column: bool = False
    results_word: bool = False

    @property
    def is_result(self) -> bool:
        return bool(
            self.benchmark
            or self.known_benchmark
            or self.aggregate
            or self.metric
            or self.results_word
            or self.n_shot is not None
            or self.few_shot
        )


@lru_cache(maxsize=4096)
def parse_metric(text: str) -> str | None:
    low = text.lower()
    for key, pattern in _METRICS:
        if pattern.search(low):
            return key
    return None


@lru_cache(maxsize=4096)
def parse_label(text: str) -> LabelInfo:
    low = text.lower().strip()
    n_shot, few = parse_shots(low)
    formulation = next((k for k, p in _FORMULATIONS if p.search(low)), None)
    split = next((k for k, p in _SPLITS if p.search(low)), None)
    benchmark = match_benchmark(low)
    unmeasurable = None if benchmark else match_unmeasurable(text)
    if benchmark == "mmlu_cloze" and formulation is None:
        formulation = "cloze"
    stripped = re.sub(r"\s*[\(\[].*?[\)\]]\s*", " ", low).strip()
    aggregate = bool(_AGGREGATE.match(stripped)) and benchmark is None
    derived = (
        "average"
        if aggregate
        else "rank"
        if _RANK.match(stripped)
        else "delta"
        if _DELTA.search(stripped) and benchmark is None
        else None
    )
    return LabelInfo(
        text=text,
        benchmark=benchmark,
        known_benchmark=unmeasurable[0] if unmeasurable else None,
        unmeasurable=unmeasurable[1] if unmeasurable else None,
        n_shot=n_shot,
        few_shot=few,
        metric=parse_metric(low),
        formulation=formulation,
        split=split,
        aggregate=aggregate,
        derived=derived,
        held_out=bool(_HELD_OUT.search(low)),
        hyper=(bool(_HYPER.search(stripped)) or stripped in _INDEX_HEADERS)
        and not _NAMED_LAYER.match(stripped)
        and benchmark is None
        and unmeasurable is None,
        shot_column=bool(_SHOT_HEADER.match(stripped)),
        metric_column=bool(_METRIC_HEADER.match(stripped)),
        results_word=bool(_RESULTS_WORDS.search(low)),
    )


# "(both without RLHF)", "w/o SFT", "before instruction tuning": a negated mention says the opposite
_NEGATED = re.compile(
    r"\b(?:without|w/o|no|non|not|before|prior to|un)[\s\-]+(?:any\s+)?(?:rlhf|sft|dpo|chat|instruct\w*|"
    r"instruction[\s\-]*tun\w*|alignment|aligned|post[\s\-]*train\w*)\b"
)


def is_instruct_text(text: str) -> bool:
    return bool(_INSTRUCT.search(_NEGATED.sub(" ", text.lower())))


def is_base_text(text: str) -> bool:
    return bool(_BASE.search(text.lower()))


@dataclass
class CaptionInfo:
    """What a caption (and the table's notes) say for the whole table or for named benchmarks."""

    n_shot: int | None = None
    unless_stated: bool = False
    shots_by_benchmark: dict[str, int] = field(default_factory=dict)
    formulation_by_benchmark: dict[str, str] = field(default_factory=dict)
    metric: str | None = None
    metric_by_benchmark: dict[str, str] = field(default_factory=dict)
    formulation: str | None = None
    instruct: bool = False
    base: bool = False
    ablation: bool = False
    percent: bool = False
    results: bool = False
    harness: str | None = None
    named: list[tuple[str, str]] = field(default_factory=list)  # (key, printed name) of benchmarks it names
    paper_named: list[tuple[str, str]] = field(default_factory=list)  # the same over every caption of the paper
    legend: dict[str, str] = field(default_factory=dict)  # "IFE -- IFEval, TQA -- TruthfulQA": IFE -> IFEval

    def benchmark_for(self, label: str) -> str | None:
        """A header the caption explains: "H" in a table whose caption lists "... Hellaswag, Winogrande ...",
        or "Baseline Acc" in a table whose caption names one benchmark only."""
        info = parse_label(label)
        if info.derived or info.hyper or info.benchmark:
            return None
        short = re.sub(r"[^a-z]", "", label.lower())
        if 0 < len(short) <= 4 and short == label.strip().lower().rstrip("."):
            for named in (self.named, self.paper_named):  # this caption first, then the paper's other captions
                hits = {
                    key
                    for key, printed in named
                    if _initials(printed).startswith(short) or re.sub(r"[^a-z]", "", printed.lower()).startswith(short)
                }
                if hits:
                    return hits.pop() if len(hits) == 1 else None
            return None
        keys = {key for key, _ in self.named}
        if len(keys) == 1 and info.metric in ("accuracy", "acc", "acc_norm", "exact_match"):
            return keys.pop()
        return None


_LEGEND = re.compile(
    r"(?:^|(?<=[\s,;:(]))([A-Z][A-Za-z0-9]{0,7})\s*(?:--|–|—|=)\s*"
    r"([A-Z][A-Za-z0-9][\w\-+. ]{1,40}?)(?=\s*(?:[,;)]|\.(?:\s|$)|$))"
)


def _initials(name: str) -> str:
    return "".join(word[0] for word in re.split(r"[\s\-_]+", name.lower()) if word)


def parse_caption(caption: str, notes: str = "") -> CaptionInfo:
    """Table-wide and per-benchmark protocol statements of a caption ("GSM8K is 5-shot")."""
    info = CaptionInfo()
    low = caption.lower()
    everything = f"{low} {notes.lower()}"
    info.instruct = is_instruct_text(low)
    info.base = bool(_BASE.search(low))
    info.ablation = bool(_ABLATION.search(low))
    info.percent = bool(_PERCENT.search(low))
    info.results = bool(_RESULTS_WORDS.search(low))
    info.harness = next((k for k, p in _HARNESS if p.search(everything)), None)
    info.legend = {m.group(1): m.group(2).strip() for m in _LEGEND.finditer(f"{caption} {notes}")}
    info.named = [
        (key, re.split(r"[\s,;:()]+", caption[pos : pos + 40].strip())[0])
        for pos, key in benchmarks_in(caption)
        if key in _MEASURABLE_KEYS
    ]
    for original in re.split(r"[.;,:]\s+|\s+(?:while|whereas|but|except)\s+", f"{caption} {notes}"):
        clause = original.strip().lower()
        if not clause:
            continue
        benchmarks = {key for key, p in _BENCHMARKS if key and p.search(clause)}
        shots = shots_per_benchmark(original)  # "HellaSwag (10-shot) MMLU (5-shot)": each its own count
        metric = parse_metric(clause)
        formulation = next((k for k, p in _FORMULATIONS if p.search(clause)), None)
        for key, n in shots.items():
            if key is not None:
                info.shots_by_benchmark.setdefault(key, n)
        if benchmarks:
            for key in benchmarks:
                if metric is not None:
                    info.metric_by_benchmark.setdefault(key, metric)
                if formulation is not None:
                    info.formulation_by_benchmark.setdefault(key, formulation)
        elif match_unmeasurable(clause) is not None:
            continue  # about a benchmark we cannot run ("MT-Bench is scored by a GPT-4 judge")
        else:
            if formulation is not None and info.formulation is None:
                info.formulation = formulation
            if shots.get(None) is not None and info.n_shot is None:
                info.n_shot = shots[None]
                info.unless_stated |= bool(re.search(r"unless|otherwise|by default|except", clause))
            if metric is not None and info.metric is None:
                info.metric = metric
    return info
