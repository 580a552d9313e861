"""Benchmark key (`shared.benchmarks`) -> hand-written task (GSM8K and BoolQ run as lm-eval's own tasks). A composite ("arc") is not a task of its own: the runner
measures its parts (arc_easy, arc_challenge) and reports their mean."""

from __future__ import annotations

from services.evaluator.tasks.arc import ARC_CHALLENGE, ARC_EASY
from services.evaluator.tasks.base import TaskSpec
from services.evaluator.tasks.commonsense_qa import COMMONSENSE_QA
from services.evaluator.tasks.hellaswag import HELLASWAG
from services.evaluator.tasks.mmlu import MMLU, MMLU_CLOZE
from services.evaluator.tasks.openbookqa import OPENBOOKQA
from services.evaluator.tasks.piqa import PIQA
from services.evaluator.tasks.winogrande import WINOGRANDE
from shared.benchmarks import COMPOSITES

TASKS: dict[str, TaskSpec] = {
    spec.key: spec
    for spec in (
        MMLU,
        MMLU_CLOZE,
        HELLASWAG,
        WINOGRANDE,
        ARC_EASY,
        ARC_CHALLENGE,
        PIQA,
        OPENBOOKQA,
        COMMONSENSE_QA,
    )
}


def components(key: str) -> tuple[str, ...]:
    """The tasks that make up `key` (itself for a plain task); KeyError when unknown."""
    if key in COMPOSITES:
        return COMPOSITES[key]
    if key in TASKS:
        return (key,)
    raise KeyError(key)


def get(key: str) -> TaskSpec:
    return TASKS[key]
