"""Choosing what to run for a claim (pure): the lm-eval task the claim names (`ClaimProtocol.task`, set
by the extractor from `shared.benchmarks`), or the one the printed-benchmark map gives for its
benchmark and stated shots, formulation and metric; every claim stating lighteval runs our config of
SmolLM2's formulation (`shared.benchmarks.LIGHTEVAL`). The task's description (version, config hash,
data revision, metrics, documents) comes from the catalog; `lm_eval_plan.py` turns both into the run:
n-shot, metric, the whole evaluation split or a seeded stratified slice when a per-claim example
budget is smaller."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from services.evaluator.lm_eval_plan import Unsupported, map_variant, plan_lm_eval
from shared.benchmarks import LIGHTEVAL, LmEvalTask, choose_task
from shared.models import Claim, ClaimProtocol, RunProtocol

if TYPE_CHECKING:
    from services.evaluator.lm_eval_catalog import LmEvalTaskInfo

__all__ = ["Unsupported", "plan_run", "protocol_key", "task_for"]


def plan_run(
    claim: Claim,
    *,
    max_examples: int | None,
    slice_seed: int,
    lm_eval_task: Callable[[str], LmEvalTaskInfo | str] | None = None,
) -> RunProtocol | Unsupported:
    """`lm_eval_task(name)` describes an lm-eval task or says why it cannot run here
    (`LmEvalCatalog.describe`); without it, no claim can be planned."""
    if not claim.measurable:
        return Unsupported(claim.unmeasurable_reason or "the claim is marked unmeasurable")
    if not claim.model_id:
        return Unsupported(f"model {claim.model_label!r} is not resolved to a Hugging Face repo")
    chosen = task_for(claim.protocol)
    if isinstance(chosen, Unsupported):
        return chosen
    task, harness = chosen
    if lm_eval_task is None:
        return Unsupported(f"lm-eval task {task!r}: this evaluator has no lm-eval task catalog")
    described = lm_eval_task(task)
    if isinstance(described, str):
        return Unsupported(described)
    return plan_lm_eval(claim, described, max_examples=max_examples, slice_seed=slice_seed, harness=harness)


def task_for(claimed: ClaimProtocol) -> tuple[str, str] | Unsupported:
    """(lm-eval task, harness) for a claim: lighteval's formulation when the paper states lighteval,
    else the task the claim names, else the map's variant for its benchmark."""
    benchmark = benchmark_key(claimed)
    if claimed.harness == "lighteval":
        variant = LIGHTEVAL.get(benchmark or "")
        if variant is None:
            return Unsupported(f"the lighteval formulation of {benchmark!r} is not implemented")
        return variant.task, "lighteval"
    task = claimed.task
    if task is None:
        if benchmark is None:
            return Unsupported("the claim names no benchmark")
        found = choose_task(benchmark, n_shot=claimed.n_shot, formulation=claimed.formulation, metric=claimed.metric)
        if not isinstance(found, LmEvalTask):
            return Unsupported(
                f"benchmark {benchmark!r} {found}" if found.startswith(("is ", "has ", "names ")) else found
            )
        task = found.task
    if map_variant(task) in LIGHTEVAL.values():  # one of our lighteval configs, named directly (CLI)
        return task, "lighteval"
    return task, "lm-eval"


def benchmark_key(claimed: ClaimProtocol) -> str | None:
    """The claimed benchmark, MMLU's formulation deciding between "mmlu" (letters) and "mmlu_cloze"."""
    if claimed.benchmark == "mmlu" and claimed.formulation == "cloze":
        return "mmlu_cloze"
    if claimed.benchmark == "mmlu_cloze" and claimed.formulation == "mcf":
        return "mmlu"
    return claimed.benchmark


def protocol_key(protocol: RunProtocol) -> str:
    """What makes two runs the same run (with the model sha and data revision, the measurement id)."""
    fields = (
        "benchmark",
        "subset",
        "split",
        "n_shot",
        "metric",
        "formulation",
        "harness",
        "full_set",
        "examples",
        "slice_seed",
        "dtype",
        "chat_template",
    )
    key = "|".join(f"{name}={getattr(protocol, name)}" for name in fields)
    # lm-eval's task and instruction-following settings; appended only when set, so that ids of runs
    # measured before these fields existed stay the same
    extra = (
        "task",
        "task_version",
        "task_config_hash",
        "lm_eval_version",
        "fewshot_as_multiturn",
        "system_prompt",
    )
    for name in extra:
        value = getattr(protocol, name)
        if value not in (None, False):
            key += f"|{name}={value}"
    return key
