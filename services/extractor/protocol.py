"""Protocol from printed labels and captions: benchmark key, shot count, metric, formulation, split,
aggregates ("Average"), held-out markers, and the labels that are hyper-parameters, not results.

Everything here is a pure function of text; `headers.py` decides which labels to read and
`claims.py` combines label, caption and benchmark defaults, recording which field came from where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# Canonical keys of shared.benchmarks.BENCHMARKS, most specific pattern first (lower-cased text).
_BENCHMARKS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("mmlu_cloze", r"\bmmlu[\s\-_]*(?:\(|\[)?\s*(?:cloze|cf)\b"),
        ("", r"\bmmlu[\s\-_]*(?:pro|redux)\b|\bc-?mmlu\b|\bmmmlu\b"),
        ("mmlu", r"\bmmlu\b"),
        ("arc_challenge", r"\barc[\s\-_/]*(?:\(|\[)?\s*(?:c|challenge|chal+\.?)(?![a-z])"),
        ("arc_easy", r"\barc[\s\-_/]*(?:\(|\[)?\s*(?:e|easy)(?![a-z])"),
        ("arc", r"\barc\b"),
        ("hellaswag", r"\bhella[\s\-]*swag\b"),
        ("winogrande", r"\bwino[\s\-]*grande\b"),
        ("piqa", r"\bpiqa\b"),
        ("openbookqa", r"\bobqa\b|\bopen[\s\-]*book[\s\-]*qa\b"),
        ("commonsense_qa", r"\bcsqa\b|\bcommonsense[\s\-]*qa\b"),
        ("boolq", r"\bboolq\b"),
        ("gsm8k", r"\bgsm[\s\-]*8k\b"),
    )
)

# Benchmarks we recognise but cannot re-measure, with the reason a verdict will show (lower-cased text;
# MATH is matched case-sensitively below, because "Math" is also a category header).
_UNMEASURABLE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), why)
    for p, why in (
        (r"\bhuman[\s\-]+evaluation\b|\bhuman\b(?![\s\-]?eval(?:\+|\b))|\belo\b|\bchatbot[\s\-]*arena\b",
         "is human-judged"),
        (r"\bmt[\s\-]*bench\b|\balpaca[\s\-]*eval\b|\barena[\s\-]*hard\b|\bwild[\s\-]*bench\b|"
         r"\bllm[\s\-]*judge|\bgpt-?4[\s\-]*(?:judge|eval)|\bvicuna[\s\-]*bench\b|\bwin[\s\-]*rate\b", "is LLM-judged"),
        (r"\bif[\s\-]*eval\b|\bhuman[\s\-]?eval\+?(?![a-z])|\bmbpp\b|\bbbh\b|\bbig[\s\-]*bench|"
         r"\btrivia[\s\-]*qa\b|\bnatural[\s\-]*questions\b|\bnq\b|\bdrop\b|\bsquad|\bxsum\b|\bcnn\s*/\s*dm\b|"
         r"\btruthful[\s\-]*qa\b|\bsiqa\b|\bsocial[\s\-]*i?qa\b|\blambada\b|\brace\b|\bagi[\s\-]*eval\b|\bgpqa\b|"
         r"\bmusr\b|\bmgsm\b|\bds-?1000\b|\bmultipl-?e\b|\bmmlu[\s\-_]*(?:pro|redux)\b|\bc-?mmlu\b|\bmmmlu\b|"
         r"\bsciq\b|\bcoqa\b|\bquac\b|\btydi|\bnarrativeqa\b|\bqasper\b|\bminerva\b|\baime\b|\blivecodebench\b|"
         r"\bswe-?bench\b|\bcopa\b|\bstorycloze\b|\bwsc\b|\bmulti-?rc\b|\brte\b|\bwic\b",
         "is not supported by the evaluator"),
    )
)
_MATH = re.compile(r"\bMATH(?:-?500)?\b")

_SHOT_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10, "twenty-five": 25}
_SHOTS = re.compile(r"\b(\d{1,3}|" + "|".join(_SHOT_WORDS) + r")[\s\-]*shots?\b")
_K_SHOTS = re.compile(r"\bk\s*=\s*(\d{1,3})\b")
_FEW_SHOT = re.compile(r"\bfew[\s\-]*shots?\b")
_METRICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (k, re.compile(p))
    for k, p in (
        ("acc", r"\bun-?normali[sz]ed[\s\-]+acc|\braw[\s\-]+acc|\bacc\.?\s*\((?:unnorm|raw)"),
        ("acc_norm", r"acc(?:uracy)?[\s_.\-]*\(?norm|(?<!un)normali[sz]ed[\s\-]+acc|\bacc_n\b|\bnorm\.?\s*acc"),
        ("exact_match", r"\bem\b|exact[\s\-]*match"),
        ("pass@1", r"pass\s*@\s*1\b"),
        ("f1", r"\bf1\b"),
        ("rouge", r"\brouge"),
        ("accuracy", r"\bacc(?:uracy|uracies)?\b"),  # the word: does not say whether normalized
    )
)
_FORMULATIONS = (("mcf", re.compile(r"\bmcf\b|multiple[\s\-]*choice")),
                 ("cloze", re.compile(r"\bcloze\b|\bcf\b")),
                 ("cot", re.compile(r"\bcot\b|chain[\s\-]*of[\s\-]*thought")))
_SPLITS = (("validation", re.compile(r"\b(?:val|valid|validation|dev)\b")), ("test", re.compile(r"\btest\b")))
_AGGREGATE = re.compile(r"^(?:avg\.?|average|mean|overall|macro[\s\-]*avg\.?|all)(?:\b|$)")
_HELD_OUT = re.compile(r"held[\s\-]*out|\bunseen\b")
_HYPER = re.compile(
    r"(?:^|\s|#)(?:params?\.?|parameters|non-emb\w*|size|(?:train(?:ing)?\s+)?tokens?|layers?|heads?|hidden|d_?model|"
    r"d_?ff|ffn|dim(?:ension)?s?|vocab(?:ulary)?|context|ctx|seq(?:uence)?[\s\-]*len\w*|lr|learning[\s\-]*rate|batch|"
    r"steps?|warm[\s\-]*up|weight[\s\-]*decay|epochs?|flops|gpu[\s\-]*hours|compute|throughput|latency|memory|year|"
    r"date|license|release|proportion|ratio|weight|mixture|docs?|documents?|examples|samples|disk|bytes)"
    r"(?=$|[\s).,:;(])"
)
_INDEX_HEADERS = frozenset({"#", "no.", "no", "id", "idx", "index", "rank", "run", "seed", "step", "checkpoint"})
_SHOT_HEADER = re.compile(
    r"^(?:#|no\.|num\.?|n)?[\s\-]*(?:shots?|k|n[\s\-]*shots?|k[\s\-]*shots?|few[\s\-]*shot|#?\s*demos?)$"
)
_METRIC_HEADER = re.compile(r"^(?:metric|measure|score type)s?$")
_RESULTS_WORDS = re.compile(
    r"\b(?:results?|accuracy|accuracies|performance|evaluation|evaluated|evaluate|benchmarks?|scores?|"
    r"comparison|compare|compared|ablations?)\b"
)
_INSTRUCT = re.compile(r"\binstruct\b|instruction[\s\-]*(?:tun|follow)|\bchat\b|post[\s\-]*train|\bsft\b|"
                       r"\baligned\b|\brlhf\b|\bdpo\b|\binstruct(?:ed)?[\s\-]+models?\b")
_BASE = re.compile(r"\bbase\b|\bpre[\s\-]*trained\b")
_ABLATION = re.compile(r"\bablat")
_PERCENT = re.compile(r"%|\bpercent")
_HARNESS = (("lm-eval", re.compile(r"lm[\s\-]*eval|evaluation[\s\-]*harness")),
            ("lighteval", re.compile(r"lighteval")))


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
    held_out: bool = False
    hyper: bool = False
    shot_column: bool = False
    metric_column: bool = False
    results_word: bool = False

    @property
    def is_result(self) -> bool:
        return bool(self.benchmark or self.known_benchmark or self.aggregate or self.metric or self.results_word
                    or self.n_shot is not None or self.few_shot)


@lru_cache(maxsize=4096)
def match_benchmark(text: str) -> str | None:
    low = text.lower()
    for key, pattern in _BENCHMARKS:
        if pattern.search(low):
            return key or None
    return None


@lru_cache(maxsize=4096)
def match_unmeasurable(text: str) -> tuple[str, str] | None:
    """(printed name, reason) for a benchmark we know but cannot run."""
    low = text.lower()
    for pattern, why in _UNMEASURABLE:
        m = pattern.search(low)
        if m:
            return text[m.start() : m.end()].strip() or text, why
    m = _MATH.search(text)
    if m:
        return m.group(0), "is not supported by the evaluator"
    return None


@lru_cache(maxsize=4096)
def parse_shots(text: str) -> tuple[int | None, bool]:
    low = text.lower()
    m = _SHOTS.search(low) or _K_SHOTS.search(low)
    if m:
        word = m.group(1)
        return (_SHOT_WORDS[word] if word in _SHOT_WORDS else int(word)), False
    return None, bool(_FEW_SHOT.search(low))


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
        aggregate=bool(_AGGREGATE.match(stripped)) and benchmark is None,
        held_out=bool(_HELD_OUT.search(low)),
        hyper=(bool(_HYPER.search(stripped)) or stripped in _INDEX_HEADERS)
        and benchmark is None and unmeasurable is None,
        shot_column=bool(_SHOT_HEADER.match(stripped)),
        metric_column=bool(_METRIC_HEADER.match(stripped)),
        results_word=bool(_RESULTS_WORDS.search(low)),
    )


def is_instruct_text(text: str) -> bool:
    return bool(_INSTRUCT.search(text.lower()))


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


def parse_caption(caption: str, notes: str = "") -> CaptionInfo:
    """Table-wide and per-benchmark protocol statements of a caption ("GSM8K is 5-shot")."""
    info = CaptionInfo()
    low = caption.lower()
    everything = f"{low} {notes.lower()}"
    info.instruct = bool(_INSTRUCT.search(low))
    info.base = bool(_BASE.search(low))
    info.ablation = bool(_ABLATION.search(low))
    info.percent = bool(_PERCENT.search(low))
    info.results = bool(_RESULTS_WORDS.search(low))
    info.harness = next((k for k, p in _HARNESS if p.search(everything)), None)
    for clause in re.split(r"[.;,:]\s+|\s+(?:while|whereas|but|except)\s+", everything):
        clause = clause.strip()
        if not clause:
            continue
        benchmarks = {key for key, p in _BENCHMARKS if key and p.search(clause)}
        n_shot, _ = parse_shots(clause)
        metric = parse_metric(clause)
        formulation = next((k for k, p in _FORMULATIONS if p.search(clause)), None)
        if benchmarks:
            for key in benchmarks:
                if n_shot is not None:
                    info.shots_by_benchmark.setdefault(key, n_shot)
                if metric is not None:
                    info.metric_by_benchmark.setdefault(key, metric)
                if formulation is not None:
                    info.formulation_by_benchmark.setdefault(key, formulation)
        elif match_unmeasurable(clause) is not None:
            continue  # about a benchmark we cannot run ("MT-Bench is scored by a GPT-4 judge")
        else:
            if formulation is not None and info.formulation is None:
                info.formulation = formulation
            if n_shot is not None and info.n_shot is None:
                info.n_shot = n_shot
                info.unless_stated |= bool(re.search(r"unless|otherwise|by default|except", clause))
            if metric is not None and info.metric is None:
                info.metric = metric
    return info


def benchmark_family(key: str) -> tuple[str, ...]:
    """Keys a caption statement about `key` covers ("ARC" covers ARC-e and ARC-c)."""
    if key == "arc":
        return ("arc", "arc_easy", "arc_challenge")
    if key == "mmlu":
        return ("mmlu", "mmlu_cloze")
    return (key,)
