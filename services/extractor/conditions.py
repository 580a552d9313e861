"""Columns (or rows) that measure a model under a setting of the paper's own: "HellaSwag / Base |
Full | Progressive", "LitQA2 / No tools | ASC". The same benchmark appears several times under one
parent, each time with a word that is no metric, shot count, split or formulation and does not name
another benchmark. The plain setting ("Base", "No tools") is the checkpoint; the others are the
paper's method applied to it, so their cells never name the checkpoint: re-running it would test a
number the paper never claimed for it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from services.extractor.headers import AxisEntry
from services.extractor.names import match_benchmark
from services.extractor.protocol import parse_label

_PLAIN_SETTING = re.compile(
    r"^(?:base|baseline|none|no[\s\-]+\w+|w/o[\s\-]+\w+|without[\s\-]+\w+|original|default|standard|vanilla|"
    r"plain|reference|uncompressed)$",
    re.I,
)


def _protocol_only(level: str) -> bool:
    info = parse_label(level)
    return bool(
        info.metric
        or info.n_shot is not None
        or info.few_shot
        or info.formulation
        or info.split
        or info.aggregate
        or info.derived
        or info.metric_column
        or info.shot_column
        or not re.search(r"[A-Za-z]{2,}", level)
    )


def setting_conditions(entries: Sequence[AxisEntry]) -> dict[int, str]:
    """entry index -> the setting its label names, for the entries that measure a paper's setting."""
    groups: dict[tuple[str, ...], list[tuple[int, str]]] = defaultdict(list)
    for entry in entries:
        levels = list(entry.levels)
        while levels and _protocol_only(levels[-1]):
            levels.pop()  # "HellaSwag / Full / Acc" -> "HellaSwag / Full"
        if len(levels) < 2:
            continue
        parent, last = tuple(levels[:-1]), levels[-1]
        if match_benchmark(" ".join([*parent, last])) != match_benchmark(" ".join(parent)):
            continue  # "ARC / Easy", "MMLU / STEM": a benchmark of its own, not a setting
        groups[parent].append((entry.index, last))
    out: dict[int, str] = {}
    for parent, members in groups.items():
        settings = {last.lower() for _, last in members}
        if len(settings) < 2:
            continue
        plain = any(_PLAIN_SETTING.match(last.strip()) for _, last in members)
        # beside a plain setting ("Base", "No tools"), or under a benchmark we run, with words that name no
        # benchmark ("HellaSwag / Full"): not "Dev Benchmarks / HSwag | NQ" or "MME / Scene | Color"
        runnable = match_benchmark(" ".join(parent)) is not None
        for index, last in members:
            if _PLAIN_SETTING.match(last.strip()) or not (plain or runnable) or _names_a_benchmark(last):
                continue
            out[index] = last
    return out


def _names_a_benchmark(text: str) -> bool:
    info = parse_label(text)
    return bool(info.benchmark or info.known_benchmark or info.unmeasurable)
