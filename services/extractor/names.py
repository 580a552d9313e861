"""Benchmark names as papers print them: our keys (`shared.benchmarks`), benchmarks we know but cannot
run (with the reason), variants that are other benchmarks ("GSM-Hard", "MMLU-Pro"), narrow-column
abbreviations ("HS", "WinoG"), and the printed-name keys under which everything else is filed.

Pure functions of text, shared by label, caption and running-text parsing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shared.benchmarks import REGISTRY

# Our keys, most specific pattern first (lower-cased text); the key "" marks variants that are other
# benchmarks ("MMLU-Pro", "MMLU-STEM", "CMMLU"), tried before the registry's names.
_BENCHMARKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "",
        re.compile(
            r"\bmmlu[\s\-_]*(?:\(|\[)?\s*(?:pro|p|redux|stem|humanities|hum\.?|social|soc\.?|other|others)\b|"
            r"\bc-?mmlu\b|\bmmmlu\b"
        ),
    ),
    *((b.key, re.compile(b.names)) for b in REGISTRY),
)

# Benchmarks we recognise but cannot re-measure, with the reason a verdict will show (lower-cased text;
# MATH is matched case-sensitively below, because "Math" is also a category header).
_UNMEASURABLE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), why)
    for p, why in (
        (
            r"\bhuman[\s\-]+evaluation\b|\bhuman\b(?![\s\-]?eval(?:\+|\b))|\belo\b|\bchatbot[\s\-]*arena\b",
            "is human-judged",
        ),
        (
            r"\bmt[\s\-]*bench\b|\balpaca[\s\-]*eval\b|\barena[\s\-]*hard\b|\bwild[\s\-]*bench\b|"
            r"\bllm[\s\-]*judge|\bgpt-?4[\s\-]*(?:judge|eval)|\bvicuna[\s\-]*bench\b|\bwin[\s\-]*rate\b",
            "is LLM-judged",
        ),
        (
            r"\bif[\s\-]*eval\b|\bhuman[\s\-]?eval\+?(?![a-z])|\bmbpp\b|\bbbh\b|\bbig[\s\-]*bench|"
            r"\btrivia[\s\-]*qa\b|\bnatural[\s\-]*questions\b|\bnq\b|\bdrop\b|\bsquad|\bxsum\b|\bcnn\s*/\s*dm\b|"
            r"\btruthful[\s\-]*qa\b|\bsiqa\b|\bsocial[\s\-]*i?qa\b|\blambada\b|\brace\b|\bagi[\s\-]*eval\b|\bgpqa\b|"
            r"\bmusr\b|\bmgsm\b|\bds-?1000\b|\bmultipl-e\b|\bmmlu[\s\-_]*(?:pro|redux)\b|\bc-?mmlu\b|\bmmmlu\b|"
            r"\bsciq\b|\bcoqa\b|\bquac\b|\btydi|\bnarrativeqa\b|\bqasper\b|\bminerva\b|\baime\b|\blivecodebench\b|"
            r"\bswe-?bench\b|\bcopa\b|\bstorycloze\b|\bwsc\b|\bmulti-?rc\b|\brte\b|\bwic\b",
            "is not supported by the evaluator",
        ),
    )
)
_MATH = re.compile(r"\bMATH(?:-?500)?\b")


# Abbreviations papers print in narrow headers, matched against the whole label (without metric,
# shot count and parenthesised notes): "HS (acc)", "WinoG", "Wino.", "BQ", "OQA" (real papers' headers).
_ABBREVIATION_KEYS = {abbr: b.key for b in REGISTRY for abbr in b.abbreviations}
_VARIANT = re.compile(r"\s*(?:\+\s*[a-z]|[\-_\s]*(?:hard|plus|symbolic|platinum|agi|ru|de|fr|zh|es|ja)\b)")
_LABEL_NOISE = re.compile(
    r"[\(\[][^()\[\]]*[\)\]]|\b\d{1,3}[\s\-]*shots?\b|\b(?:zero|one|few)[\s\-]*shots?\b|"
    r"\bacc(?:uracy)?(?:[\s_.\-]*(?:norm|n)\b)?|\bem\b|\bf1\b|[↑↓]"
)


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


_MEASURABLE_KEYS = frozenset(key for key, _ in _BENCHMARKS if key)

_PRINTED_SYNONYMS = {
    "naturalquestions": "nq",
    "naturalqs": "nq",
    "bigbenchhard": "bbh",
    "humanevalplus": "humaneval+",
    "socialiqa": "siqa",
    "socialqa": "siqa",
    "agieval": "agieval",
    "truthfulqamc2": "truthfulqa",
}


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
        if (printed := printed_key(plain[a:b])) and not any(a <= x[0] < b for x in benches):
            benches.append((a, printed))
    others = [m for pattern, _ in _UNMEASURABLE for m in pattern.finditer(low)] + list(_MATH.finditer(plain))
    for m in others:
        other = printed_key(m.group(0))
        if other and not any(b[0] <= m.start() < b[0] + 3 for b in benches):
            benches.append((m.start(), other))
    return sorted(benches)


def benchmark_family(key: str) -> tuple[str, ...]:
    """Keys a caption statement about `key` covers ("ARC" covers ARC-e and ARC-c)."""
    if key == "arc":
        return ("arc", "arc_easy", "arc_challenge")
    if key == "mmlu":
        return ("mmlu", "mmlu_cloze")
    return (key,)


# printed key -> the key of `shared.benchmarks.LM_EVAL` / `NO_LM_EVAL_TASK` where the two differ
_MAP_KEYS = {
    "nq": "naturalqs",
    "mmlupro": "mmlu_pro",
    "mmluredux": "mmlu_redux",
    "mmlustem": "mmlu_stem",
    "ceval": "c_eval",
    "humaneval+": "humaneval_plus",
    "mbpp+": "mbpp_plus",
    "headqaen": "headqa_en",
    "cruxevali": "cruxeval_i",
    "cruxevalo": "cruxeval_o",
    "mmlupromath": "mmlu_pro_math",
    "mmluprocs": "mmlu_pro_cs",
    "crowspairs": "crows_pairs",
    "bbqambig": "bbq_ambig",
    "bbqdisambig": "bbq_disambig",
    "cnndm": "cnn_dm",
    "livecodebench": "livecodebench_v3",
    "multiple": "multipl_e",
    "gaokao": "gaokao_bench",
    "falserejecttest": "falsereject_test",
    "falsereject": "falsereject_test",
    "orbench": "or_bench",
    "multiexam": "multi_exam",
    "multimathematics": "multi_mathematics",
    "multitranslation": "multi_translation",
    "multiunderstanding": "multi_understanding",
    "openrewriteeval": "openrewrite_eval",
    "obqa+fact": "openbookqa_fact",
    "alpacaeval": "alpaca_eval",
    "mtbench": "mt_bench",
    "chatbotarena": "chatbot_arena_elo",
    "realtoxicity": "realtoxicityprompts",
    "pile": "pile_ppl",
    "piletest": "pile_bpb",
    "slimpajamappl": "slimpajama_ppl",
    "winobias12": "winobias_1_2",
    "winobias22": "winobias_2_2",
    "rwqa": "realworldqa",
    "gsm8k+pal": "gsm8k_pal",
    "sqd": "squad",
    "squadv2": "squad_v2",
}
_AIME_YEAR = re.compile(r"\b(?:20)?(24|25)\b")


def map_key(levels: list[str]) -> str | None:
    """The benchmark-map key (`shared.benchmarks.LM_EVAL`, `NO_LM_EVAL_TASK`) the deepest header level
    names ("CRUXEval-I (Acc.)" under "Code" -> "cruxeval_i", "NQ" -> "naturalqs"), if any does."""
    from shared.benchmarks import LM_EVAL, NO_LM_EVAL_TASK

    for level in reversed(levels):
        key = printed_key(_LABEL_NOISE.sub(" ", level.lower()))
        key = _MAP_KEYS.get(key or "", key)
        if key == "math" and not _MATH.search(level):  # "Math" is a category; MATH is printed in capitals
            continue
        if key == "aime":
            year = _AIME_YEAR.search(" ".join(levels))
            key = f"aime_20{year.group(1)}" if year else None
        if key in LM_EVAL or key in NO_LM_EVAL_TASK:
            return key
    return None
