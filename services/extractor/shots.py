"""Shot counts in text: "5-shot", "zero-shot", "k=5" in a label, and in running text or captions the
count tied to each benchmark it modifies ("8-shot GSM8K, 4-shot MATH", "Commonsense Reasoning
(0-shot): Hellaswag, ...", "Big Bench Hard (BBH) (3 shot)"), leaving out ranges, clauses with two
counts for one benchmark, and shot wording that is not about prompting ("zero-shot transfer").
"""

from __future__ import annotations

import re
from functools import lru_cache

from services.extractor.names import benchmarks_in, printed_key

_SHOT_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty-five": 25,
}
_SHOTS = re.compile(r"\b(\d{1,3}|" + "|".join(_SHOT_WORDS) + r")[\s\-]*shots?\b")
_K_SHOTS = re.compile(r"\bk\s*=\s*(\d{1,3})\b")
_FEW_SHOT = re.compile(r"\bfew[\s\-]*shots?\b")


@lru_cache(maxsize=4096)
def parse_shots(text: str) -> tuple[int | None, bool]:
    low = text.lower()
    m = _SHOTS.search(low) or _K_SHOTS.search(low)
    if m:
        word = m.group(1)
        return (_SHOT_WORDS[word] if word in _SHOT_WORDS else int(word)), False
    return None, bool(_FEW_SHOT.search(low))


_NOT_PROMPTING = re.compile(
    r"shot[\s\-]+(?:transfer|generali[sz]|learn|classif|retriev|detect|segment|recogni|caption|tts|voice|speaker|"
    r"cross|prompting|manner\s+to\s+generate|capabilit|abilit|performance\s+of\s+clip)",
    re.I,
)
# "5-shot", "5 shots", "zero-shot", but not "two shot counts"
_SHOT_TOKEN = re.compile(
    r"\b(?:\d{1,3}[\s\-]?|(?:zero|one|two|three|four|five|eight|ten|twenty-five)-?)shots?\b"
    r"(?![\s\-]+(?:counts?|numbers?|settings?\s+(?:of|and)|configurations?))",
    re.I,
)


def shots_per_benchmark(plain: str) -> dict[str | None, int]:
    """Benchmark key (None: no benchmark named) -> shot count, from one sentence of plain text."""
    if _NOT_PROMPTING.search(plain):
        plain = _NOT_PROMPTING.sub(" ", plain)
    plain = _SHOT_RANGE.sub(" mixed ", plain)  # "3-5 shot" is not one count
    shots = [
        (m.start(), m.end(), n) for m in _SHOT_TOKEN.finditer(plain) if (n := parse_shots(m.group(0))[0]) is not None
    ]
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


_NAMED_COUNT = re.compile(
    r"(?P<name>\b[A-Z][A-Za-z0-9\-]*(?:[ \-][A-Z0-9][A-Za-z0-9\-]*){0,3})\s*"
    r"\(\s*\d{1,3}[\s\-]?shots?\b"
)
_SHOT_RANGE = re.compile(r"\b\d{1,3}\s*(?:[–—\-]|to)\s*\d{1,3}[\s\-]?shots?\b", re.I)
_ABBREVIATED = re.compile(r"[\w\s\-.]{0,25}\)?\s*(?:\([^()]{0,15}\))?\s*\(?\s*")
_DESCRIBES = re.compile(r"\s+(?:tasks|benchmarks|datasets|capabilit\w+|abilit\w+)\b(?!\s*:)")
_LIST_OPENER = re.compile(r"\s*\)?\s*(?:settings?|manner|evaluations?|tasks?|benchmarks?)?\s*\)?\s*:")
_MODIFIES = re.compile(
    r"\s*(?:(?:accuracy|performance|results?|evaluations?|scores?)\s+)?(?:(?:on|for|of|in)\s+)?"
    r"(?:the\s+)?"
)


def _owning_shot(plain: str, shots: list[tuple[int, int, int]], pos: int) -> int | None:
    """The shot count a benchmark at `pos` belongs to: one that opens a list ("0-shot: A, B, C") up to the
    next count, else the nearest count in the same comma-separated clause."""
    preceding = [s for s in shots if s[1] <= pos]
    if preceding:
        s = preceding[-1]
        between = plain[s[1] : pos]
        if _LIST_OPENER.match(between) or _MODIFIES.fullmatch(between):  # "0-shot: A, B" / "5-shot MMLU"
            return s[2]
    clause_start = max(plain.rfind(",", 0, pos), plain.rfind(";", 0, pos), plain.rfind(")", 0, pos))
    clause_end = min(
        (i for i in (plain.find(",", pos), plain.find(";", pos), plain.find(")", pos)) if i >= 0), default=len(plain)
    )
    inside = [s for s in shots if clause_start <= s[0] and s[1] <= clause_end]
    if not inside:  # "BigBench Hard (BBH) (3-shot)": the count follows a parenthesised abbreviation
        following = [s for s in shots if pos < s[0]][:1]
        inside = [s for s in following if _ABBREVIATED.fullmatch(plain, pos, s[0])]
    if len({s[2] for s in inside}) == 1:
        return inside[0][2]
    return None  # none, or "MMLU (0-shot and 5-shot)": the clause states no single count
