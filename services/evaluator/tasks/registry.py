"""Benchmark key (`shared.benchmarks`) -> hand-written task: MMLU (letters and cloze) and ARC, whose
lm-eval forms (a group over subjects, the papers' "ARC" mean) still need them; every other benchmark
runs lm-eval's own task. A composite ("arc") is not a task of its own: the runner measures its parts
(arc_easy, arc_challenge) and reports their mean."""

from __future__ import annotations

from services.evaluator.tasks.arc import ARC_CHALLENGE, ARC_EASY
from services.evaluator.tasks.base import TaskSpec
from services.evaluator.tasks.mmlu import MMLU, MMLU_CLOZE
from shared.benchmarks import COMPOSITES

TASKS: dict[str, TaskSpec] = {spec.key: spec for spec in (MMLU, MMLU_CLOZE, ARC_EASY, ARC_CHALLENGE)}


def components(key: str) -> tuple[str, ...]:
    """The tasks that make up `key` (itself for a plain task); KeyError when unknown."""
    if key in COMPOSITES:
        return COMPOSITES[key]
    if key in TASKS:
        return (key,)
    raise KeyError(key)


def get(key: str) -> TaskSpec:
    return TASKS[key]
