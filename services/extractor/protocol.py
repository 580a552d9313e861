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
        ("", r"\bmmlu[\s\-_]*(?:\(|\[)?\s*(?:pro|p|redux|stem|humanities|hum\.?|social|soc\.?|other|others)\b|"
             r"\bc-?mmlu\b|\bmmmlu\b"),
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
         r"\bmusr\b|\bmgsm\b|\bds-?1000\b|\bmultipl-e\b|\bmmlu[\s\-_]*(?:pro|redux)\b|\bc-?mmlu\b|\bmmmlu\b|"
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
        ("other", r"\bbleu\b|\bchrf\b|\bperplexity\b|\bppl\b|\bbpb\b|\bbits[\s\-]per[\s\-]byte\b"),
        ("accuracy", r"\bacc(?:uracy|uracies)?\b"),  # the word: does not say whether normalized
    )
)
_FORMULATIONS = (("mcf", re.compile(r"\bmcf\b|multiple[\s\-]*choice")),
                 ("cloze", re.compile(r"\bcloze\b|\bcf\b")),
                 ("cot", re.compile(r"\bcot\b|chain[\s\-]*of[\s\-]*thought")))
_SPLITS = (("validation", re.compile(r"\b(?:val|valid|validation|dev)\b")), ("test", re.compile(r"\btest\b")))
_AGGREGATE = re.compile(r"^(?:avg\.?|average|mean|overall|macro[\s\-]*avg\.?|all)(?:\b|$)")
_MEASURABLE_KEYS = frozenset(key for key, _ in _BENCHMARKS if key)
_DELTA = re.compile(r"(?:^|\s)(?:δ|delta|diff\.?|difference|gain|improvement|impr\.?|change|rel\.?\s*(?:gain|impr)|"
                    r"\+/-|relative)(?:\b|$)")
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
_INDEX_HEADERS = frozenset({"#", "no.", "no", "id", "idx", "index", "rank", "run", "seed", "step", "checkpoint"})
_SHOT_HEADER = re.compile(
    r"^(?:#|no\.|num\.?|n)?[\s\-]*(?:shots?|k|n[\s\-]*shots?|k[\s\-]*shots?|few[\s\-]*shot|#?\s*demos?)$"
)
_METRIC_HEADER = re.compile(r"^(?:metric|measure|score type)s?$")
_RESULTS_WORDS = re.compile(
    r"\b(?:results?|accuracy|accuracies|performance|evaluations?|evaluated|evaluate|evals?|benchmarks?|scores?|"
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
    derived: str | None = None  # "average", "rank", "delta"
    held_out: bool = False
    hyper: bool = False
    shot_column: bool = False
    metric_column: bool = False
    results_word: bool = False

    @property
    def is_result(self) -> bool:
        return bool(self.benchmark or self.known_benchmark or self.aggregate or self.metric or self.results_word
                    or self.n_shot is not None or self.few_shot)


# Abbreviations papers print in narrow headers, matched against the whole label (without metric,
# shot count and parenthesised notes): "HS (acc)", "WinoG", "Wino.", "BQ", "OQA" (real papers' headers).
_ABBREVIATIONS = {
    "hellaswag": ("hs", "hswag", "hella", "hellas", "hellasw", "hellaswg", "hsw", "hswg"),
    "winogrande": ("wg", "wino", "winog", "winogr", "wgrande", "wngrd", "winogrd", "wngr", "wgr"),
    "boolq": ("bq", "boolqa", "bool"),
    "openbookqa": ("oqa", "obq", "openbook", "obook"),
    "arc_easy": ("arce", "arceasy", "arcez"),
    "arc_challenge": ("arcc", "arcch", "arcchal", "arcchall"),
    "gsm8k": ("gsm", "gsm8"),
    "commonsense_qa": ("cqa", "comqa", "commonsenseqa", "csqa"),
}
_ABBREVIATION_KEYS = {abbr: key for key, abbrs in _ABBREVIATIONS.items() for abbr in abbrs}
_VARIANT = re.compile(r"\s*(?:\+\s*[a-z]|[\-_\s]*(?:hard|plus|symbolic|platinum|agi|ru|de|fr|zh|es|ja)\b)")
_LABEL_NOISE = re.compile(
    r"[\(\[][^()\[\]]*[\)\]]|\b\d{1,3}[\s\-]*shots?\b|\b(?:zero|one|few)[\s\-]*shots?\b|"
    r"\bacc(?:uracy)?(?:[\s_.\-]*(?:norm|n)\b)?|\bem\b|\bf1\b|[↑↓]")


@lru_cache(maxsize=4096)
def match_benchmark(text: str) -> str | None:
    low = text.lower()
    for key, pattern in _BENCHMARKS:
        m = pattern.search(low)
        if m:
            if _VARIANT.match(low, m.end()):
                return None  # "OBQA+Fact", "GSM8K-Hard": another benchmark built on this one
            return key or None
    bare = re.sub(r"[^a-z0-9]+", "", _LABEL_NOISE.sub(" ", low))
    return _ABBREVIATION_KEYS.get(bare)


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
    aggregate = bool(_AGGREGATE.match(stripped)) and benchmark is None
    derived = "average" if aggregate else "rank" if _RANK.match(stripped) else \
        "delta" if _DELTA.search(stripped) and benchmark is None else None
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
                hits = {key for key, printed in named if _initials(printed).startswith(short)
                        or re.sub(r"[^a-z]", "", printed.lower()).startswith(short)}
                if hits:
                    return hits.pop() if len(hits) == 1 else None
            return None
        keys = {key for key, _ in self.named}
        if len(keys) == 1 and info.metric in ("accuracy", "acc", "acc_norm", "exact_match"):
            return keys.pop()
        return None


_LEGEND = re.compile(r"(?:^|(?<=[\s,;:(]))([A-Z][A-Za-z0-9]{0,7})\s*(?:--|–|—|=)\s*"
                     r"([A-Z][A-Za-z0-9][\w\-+. ]{1,40}?)(?=\s*(?:[,;)]|\.(?:\s|$)|$))")


def _initials(name: str) -> str:
    return "".join(word[0] for word in re.split(r"[\s\-_]+", name.lower()) if word)


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
    info.legend = {m.group(1): m.group(2).strip() for m in _LEGEND.finditer(f"{caption} {notes}")}
    info.named = [(key, re.split(r"[\s,;:()]+", caption[pos:pos + 40].strip())[0]) for pos, key in benchmarks_in(caption)
                  if key in _MEASURABLE_KEYS]
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


def benchmark_family(key: str) -> tuple[str, ...]:
    """Keys a caption statement about `key` covers ("ARC" covers ARC-e and ARC-c)."""
    if key == "arc":
        return ("arc", "arc_easy", "arc_challenge")
    if key == "mmlu":
        return ("mmlu", "mmlu_cloze")
    return (key,)


# ---------------------------------------------------------------- shot counts in running text

_NOT_PROMPTING = re.compile(
    r"shot[\s\-]+(?:transfer|generali[sz]|learn|classif|retriev|detect|segment|recogni|caption|tts|voice|speaker|"
    r"cross|prompting|manner\s+to\s+generate|capabilit|abilit|performance\s+of\s+clip)", re.I)
# "5-shot", "5 shots", "zero-shot", but not "two shot counts"
_SHOT_TOKEN = re.compile(r"\b(?:\d{1,3}[\s\-]?|(?:zero|one|two|three|four|five|eight|ten|twenty-five)-?)shots?\b"
                         r"(?![\s\-]+(?:counts?|numbers?|settings?\s+(?:of|and)|configurations?))", re.I)


_PRINTED_SYNONYMS = {"naturalquestions": "nq", "naturalqs": "nq", "bigbenchhard": "bbh", "humanevalplus": "humaneval+",
                     "socialiqa": "siqa", "socialqa": "siqa", "agieval": "agieval", "truthfulqamc2": "truthfulqa"}


def printed_key(name: str) -> str | None:
    """The key a benchmark we cannot run is filed under, from its printed name ("Big-Bench Hard" -> "bbh")."""
    key = re.sub(r"[^a-z0-9+]+", "", name.lower())
    return _PRINTED_SYNONYMS.get(key, key) or None


def benchmarks_in(plain: str) -> list[tuple[int, str]]:
    """(offset, key) of each benchmark a sentence names: our keys, else printed keys ("humaneval")."""
    low = plain.lower()
    benches: list[tuple[int, str]] = []
    excluded = [m.span() for key, pattern in _BENCHMARKS if not key for m in pattern.finditer(low)]  # MMLU-Pro
    for key, pattern in _BENCHMARKS:
        if not key:
            continue
        for m in pattern.finditer(low):
            if any(a <= m.start() < b for a, b in excluded) or _VARIANT.match(low, m.end()):
                continue
            if not any(b[0] <= m.start() < b[0] + 3 for b in benches):  # ARC-e is not also ARC
                benches.append((m.start(), key))
    for a, b in excluded:  # "MMLU-STEM", "MMLU-Pro": benchmarks too, filed under their printed names
        if (key := printed_key(plain[a:b])) and not any(a <= x[0] < b for x in benches):
            benches.append((a, key))
    others = [m for pattern, _ in _UNMEASURABLE for m in pattern.finditer(low)] + list(_MATH.finditer(plain))
    for m in others:
        key = printed_key(m.group(0))
        if key and not any(b[0] <= m.start() < b[0] + 3 for b in benches):
            benches.append((m.start(), key))
    return sorted(benches)


def shots_per_benchmark(plain: str) -> dict[str | None, int]:
    """Benchmark key (None: no benchmark named) -> shot count, from one sentence of plain text."""
    if _NOT_PROMPTING.search(plain):
        plain = _NOT_PROMPTING.sub(" ", plain)
    plain = _SHOT_RANGE.sub(" mixed ", plain)  # "3-5 shot" is not one count
    shots = [(m.start(), m.end(), parse_shots(m.group(0))[0]) for m in _SHOT_TOKEN.finditer(plain)]
    shots = [s for s in shots if s[2] is not None]
    if not shots:
        return {}
    benches = benchmarks_in(plain)
    for m in _NAMED_COUNT.finditer(plain):  # "Theorem QA (5-shot)": a name we do not know, with its count
        if not any(m.start("name") <= b[0] < m.end("name") for b in benches):
            benches.append((m.start("name"), printed_key(m.group("name")) or ""))
    benches.sort()
    if not benches:
        values = {s[2] for s in shots}
        return {None: values.pop()} if len(values) == 1 else {}
    if len(shots) == 1 and not _DESCRIBES.match(plain, shots[0][1]):
        return {key: shots[0][2] for _, key in benches}
    out: dict[str | None, int] = {}
    for pos, key in benches:
        owner = _owning_shot(plain, shots, pos)
        if owner is not None:
            out.setdefault(key, owner)
    return out


_NAMED_COUNT = re.compile(r"(?P<name>\b[A-Z][A-Za-z0-9\-]*(?:[ \-][A-Z0-9][A-Za-z0-9\-]*){0,3})\s*"
                          r"\(\s*\d{1,3}[\s\-]?shots?\b")
_SHOT_RANGE = re.compile(r"\b\d{1,3}\s*(?:[–—\-]|to)\s*\d{1,3}[\s\-]?shots?\b", re.I)
_ABBREVIATED = re.compile(r"[\w\s\-.]{0,25}\)?\s*(?:\([^()]{0,15}\))?\s*\(?\s*")
_DESCRIBES = re.compile(r"\s+(?:tasks|benchmarks|datasets|capabilit\w+|abilit\w+)\b(?!\s*:)")
_LIST_OPENER = re.compile(r"\s*\)?\s*(?:settings?|manner|evaluations?|tasks?|benchmarks?)?\s*\)?\s*:")
_MODIFIES = re.compile(r"\s*(?:(?:accuracy|performance|results?|evaluations?|scores?)\s+)?(?:(?:on|for|of|in)\s+)?"
                       r"(?:the\s+)?")


def _owning_shot(plain: str, shots: list[tuple[int, int, int | None]], pos: int) -> int | None:
    """The shot count a benchmark at `pos` belongs to: one that opens a list ("0-shot: A, B, C") up to the
    next count, else the nearest count in the same comma-separated clause."""
    preceding = [s for s in shots if s[1] <= pos]
    if preceding:
        s = preceding[-1]
        between = plain[s[1] : pos]
        if _LIST_OPENER.match(between) or _MODIFIES.fullmatch(between):  # "0-shot: A, B" / "5-shot MMLU"
            return s[2]
    clause_start = max(plain.rfind(",", 0, pos), plain.rfind(";", 0, pos), plain.rfind(")", 0, pos))
    clause_end = min((i for i in (plain.find(",", pos), plain.find(";", pos), plain.find(")", pos)) if i >= 0),
                     default=len(plain))
    inside = [s for s in shots if clause_start <= s[0] and s[1] <= clause_end]
    if not inside:  # "BigBench Hard (BBH) (3-shot)": the count follows a parenthesised abbreviation
        following = [s for s in shots if pos < s[0]][:1]
        inside = [s for s in following if _ABBREVIATED.fullmatch(plain, pos, s[0])]
    if len({s[2] for s in inside}) == 1:
        return inside[0][2]
    return None  # none, or "MMLU (0-shot and 5-shot)": the clause states no single count
