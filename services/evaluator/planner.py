"""Choosing what to run for a claim (pure): the claimed benchmark, n-shot, formulation and metric when
the paper states them, the task's conventional default otherwise; the whole evaluation split, or a
seeded stratified slice when a per-claim example budget is smaller. A claim on a benchmark without a
hand-written task that names its lm-eval task (`ClaimProtocol.task`), and every claim stating
lighteval (SmolLM2's formulations are lm-eval task configs of ours, `shared.benchmarks.LIGHTEVAL`),
is planned as a run of that task (`lm_eval_plan.py`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from services.evaluator.lm_eval_plan import Unsupported, map_variant, plan_lm_eval
from services.evaluator.tasks import registry
from shared.benchmarks import BENCHMARKS, COMPOSITES, LIGHTEVAL
from shared.models import Claim, ClaimProtocol, RunProtocol

if TYPE_CHECKING:
    from services.evaluator.lm_eval_catalog import LmEvalTaskInfo

__all__ = ["Unsupported", "plan_run", "protocol_key", "runs_on_lm_eval"]


def runs_on_lm_eval(claim: Claim) -> bool:
    """The claim states lighteval, or names an lm-eval task and its benchmark has no hand-written task,
    or its prompts went through the chat template or a system prompt (the hand-written tasks build
    plain lm-eval prompts only)."""
    p = claim.protocol
    if p.harness == "lighteval":
        return True
    handwritten = p.benchmark is not None and (p.benchmark in registry.TASKS or p.benchmark in COMPOSITES)
    return p.task is not None and (not handwritten or bool(p.chat_template) or bool(p.system_prompt))


def plan_run(
    claim: Claim,
    *,
    max_examples: int | None,
    slice_seed: int,
    available: Mapping[str, int],
    lm_eval_task: Callable[[str], LmEvalTaskInfo | str] | None = None,
) -> RunProtocol | Unsupported:
    """`lm_eval_task(name)` describes an lm-eval task or says why it cannot run here
    (`LmEvalCatalog.describe`); without it, claims that need lm-eval are unsupported."""
    claimed = claim.protocol
    if not claim.measurable:
        return Unsupported(claim.unmeasurable_reason or "the claim is marked unmeasurable")
    if not claim.model_id:
        return Unsupported(f"model {claim.model_label!r} is not resolved to a Hugging Face repo")
    benchmark = benchmark_key(claimed)
    if runs_on_lm_eval(claim):
        task, harness = claimed.task, "lm-eval"
        if claimed.harness == "lighteval":
            variant = LIGHTEVAL.get(benchmark or "")
            if variant is None:
                return Unsupported(f"the lighteval formulation of {benchmark!r} is not implemented")
            task, harness = variant.task, "lighteval"
        elif map_variant(task or "") in LIGHTEVAL.values():  # one of our lighteval configs, named directly (CLI)
            harness = "lighteval"
        if lm_eval_task is None:
            return Unsupported(f"lm-eval task {task!r}: this evaluator has no lm-eval task catalog")
        described = lm_eval_task(task or "")
        if isinstance(described, str):
            return Unsupported(described)
        return plan_lm_eval(claim, described, max_examples=max_examples, slice_seed=slice_seed, harness=harness)
    if benchmark is None:
        return Unsupported("the claim names no benchmark")
    try:
        parts = [registry.get(key) for key in registry.components(benchmark)]
    except KeyError:
        known = ", ".join(sorted(set(registry.TASKS) | set(COMPOSITES)))
        return Unsupported(f"benchmark {benchmark!r} is not implemented (supported: {known})")

    harness = "lm-eval"
    n_shot = claimed.n_shot if claimed.n_shot is not None else parts[0].default_shots[harness]
    if n_shot < 0:
        return Unsupported(f"n_shot {n_shot} is not a number of examples")

    formulation = parts[0].formulations[harness]
    metric = claimed.metric or BENCHMARKS[benchmark].metric
    if metric not in formulation.metrics:
        return Unsupported(
            f"metric {metric!r} is not computed for {benchmark!r} (available: {', '.join(formulation.metrics)})"
        )

    total = available.get(benchmark, 0)
    if total <= 0:
        return Unsupported(f"no evaluation data for {benchmark!r} in this data source")
    sliced = max_examples is not None and 0 < max_examples < total
    return RunProtocol(
        benchmark=benchmark,
        subset=None,
        split=parts[0].eval_split,
        n_shot=n_shot,
        metric=metric,
        formulation=formulation.name,
        full_set=not sliced,
        examples=max_examples if sliced else total,  # type: ignore[arg-type]
        slice_seed=slice_seed if sliced else None,
        harness=harness,
    )


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
    # lm-eval runs and instruction-following settings; appended only when set, so that the ids of
    # hand-written runs measured before them stay the same
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
