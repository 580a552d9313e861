"""Planning a claim as a run of an lm-eval task (pure): the task the claim names, described by
`LmEvalCatalog` (version, config hash, data revision, metrics, default shots), the claim's n-shot,
metric and instruction-following settings, and the per-claim example budget as a seeded slice."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import shared.benchmarks as benchmarks
from shared.models import Claim, RunProtocol

if TYPE_CHECKING:
    from services.evaluator.lm_eval_catalog import LmEvalTaskInfo

FORMULATIONS = {  # lm-eval's request type -> our formulation names, where the map gives none
    "generate_until": "generate",
    "loglikelihood_rolling": "rolling",
    "loglikelihood": "cloze",
    "multiple_choice": "multiple_choice",
    "group": "group",
}
PREFERRED_FILTERS = {  # our metric name -> (lm-eval metric, filters in order of preference)
    "exact_match": ("exact_match", ("strict-match", "none", "remove_whitespace", "get-answer")),
    "exact_match_flexible": ("exact_match", ("flexible-extract",)),
}


@dataclass(frozen=True)
class Unsupported:
    reason: str


HARNESS_NAMES = {"lm-eval": (None, "lm-eval", "lm_eval", "lm-evaluation-harness"), "lighteval": (None, "lighteval")}


def map_variant(task: str) -> benchmarks.LmEvalTask | None:
    """The printed-benchmark map's record of `task` (`shared.benchmarks.LM_EVAL`, or our lighteval
    configs, `LIGHTEVAL`), if it has one."""
    lighteval = next((v for v in benchmarks.LIGHTEVAL.values() if v.task == task), None)
    return lighteval or next((v for f in benchmarks.LM_EVAL.values() for v in f.variants if v.task == task), None)


def result_key(metric: str, keys: tuple[str, ...], variant: benchmarks.LmEvalTask | None = None) -> str | None:
    """lm-eval's result key ("exact_match,strict-match") for our metric name, among the task's keys."""
    if variant is not None and variant.metric == metric and variant.result_key in keys:
        return variant.result_key
    if metric in keys:  # given as lm-eval spells it
        return metric
    name, filters = PREFERRED_FILTERS.get(metric, (metric, ("none",)))
    for filter_name in filters:
        if f"{name},{filter_name}" in keys:
            return f"{name},{filter_name}"
    return next((key for key in keys if key.partition(",")[0] == name), None)


def plan_lm_eval(
    claim: Claim, info: LmEvalTaskInfo, *, max_examples: int | None, slice_seed: int, harness: str = "lm-eval"
) -> RunProtocol | Unsupported:
    """`harness`: "lighteval" for our configs of SmolLM2's lighteval formulations (0-shot only)."""
    claimed = claim.protocol
    variant = map_variant(info.task)
    if claimed.harness not in HARNESS_NAMES[harness]:
        return Unsupported(f"the claim states harness {claimed.harness!r}; {info.task!r} runs with lm-eval")
    default_shots = variant.n_shot if variant is not None and variant.n_shot is not None else info.default_shots
    if harness == "lighteval" and claimed.n_shot not in (None, 0):
        return Unsupported(
            f"the lighteval formulations are implemented 0-shot (as SmolLM2 ran them), the claim states "
            f"{claimed.n_shot}-shot"
        )
    if variant is not None and variant.fixed_shots and claimed.n_shot not in (None, default_shots):
        return Unsupported(
            f"lm-eval task {info.task!r} has its {default_shots} examples in the prompt; "
            f"the claim states {claimed.n_shot}-shot"
        )
    n_shot = claimed.n_shot if claimed.n_shot is not None else default_shots
    if n_shot > 0 and info.no_fewshot:
        return Unsupported(f"{n_shot}-shot: {info.no_fewshot}")
    metric = claimed.metric or (variant.metric if variant else info.metric_keys[0].partition(",")[0])
    key = result_key(metric, info.metric_keys, variant)
    if key is None:
        names = ", ".join(info.metric_keys)
        return Unsupported(f"metric {metric!r} is not reported by lm-eval task {info.task!r} (it reports: {names})")
    if variant is not None and key == variant.result_key:
        metric = variant.metric  # the map's name for that result, which fixes its scale (SQuAD's f1: percent)
    chat = bool(claimed.chat_template)
    if claimed.fewshot_as_multiturn and not chat:
        return Unsupported("few-shot examples as chat turns need the chat template, which the claim does not state")
    # lm-eval's default: multi-turn few-shot whenever the chat template is applied
    multiturn = chat if claimed.fewshot_as_multiturn is None else claimed.fewshot_as_multiturn
    known = info.documents
    sliced = max_examples is not None and max_examples > 0 and (known is None or max_examples < known)
    return RunProtocol(
        benchmark=claimed.benchmark or info.task,
        subset=None,
        split=info.split,
        n_shot=n_shot,
        metric=metric,
        formulation=variant.formulation if variant else FORMULATIONS.get(info.output_type, info.output_type),
        full_set=not sliced,
        # the size of a Hub dataset is known only once loaded: 0 until the run records what it used
        examples=max_examples if sliced else (known or 0),  # type: ignore[arg-type]
        slice_seed=slice_seed if sliced else None,
        harness=harness,
        chat_template=chat,
        fewshot_as_multiturn=multiturn,
        system_prompt=claimed.system_prompt,
        data_revision=info.data_revision,
        task=info.task,
        task_version=info.version,
        task_config_hash=info.config_hash,
        lm_eval_version=info.lm_eval_version,
    )


def slice_documents(sizes: dict[str, int], size: int, seed: int) -> dict[str, list[int]]:
    """A seeded slice of about `size` documents over the tasks a run evaluates (a group's members as
    strata, proportional allocation), every task keeping at least one
    document (lm-eval scores each member)."""
    picked = stratified({name: list(range(n)) for name, n in sizes.items()}, size, seed)
    rng = random.Random(seed)
    for name, n in sizes.items():
        if n and not picked.get(name):
            picked[name] = [rng.randrange(n)]
    return {name: sorted(indices) for name, indices in picked.items()}


def stratified(strata: dict[str, list[int]], size: int, seed: int) -> dict[str, list[int]]:
    """Proportional allocation (largest remainder), then a seeded sample inside each stratum."""
    total = sum(len(v) for v in strata.values())
    if size >= total:
        return {k: list(v) for k, v in strata.items()}
    keys = sorted(strata, key=str)
    exact = {k: size * len(strata[k]) / total for k in keys}
    take = {k: int(exact[k]) for k in keys}
    for k in sorted(keys, key=lambda k: (-(exact[k] - take[k]), str(k)))[: size - sum(take.values())]:
        take[k] += 1
    rng = random.Random(seed)
    return {k: sorted(rng.sample(strata[k], take[k])) for k in keys}
