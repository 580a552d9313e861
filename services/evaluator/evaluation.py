"""Running one task on one loaded model: documents -> prompts -> engine -> lm-eval's metrics, with a
per-example record of everything a reviewer needs to audit the number (prompt hash, choice
log-likelihoods, prediction, gold)."""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.evaluator import stats
from services.evaluator.data import TaskDataSource
from services.evaluator.engine import Engine
from services.evaluator.tasks.base import Example, TaskSpec, build_examples, score_choices


@dataclass
class Selection:
    """Which documents run: all, lm-eval's `--limit` (the first N of each subset), or a seeded
    stratified slice of N (strata: MMLU subjects, else the gold answer)."""

    limit_per_subset: int | None = None
    slice_size: int | None = None
    seed: int | None = None

    @property
    def is_slice(self) -> bool:
        return self.limit_per_subset is not None or self.slice_size is not None


@dataclass
class TaskResult:
    task: str
    metric: str
    value: float
    stderr: float | None
    examples: int
    records: list[dict[str, Any]] = field(default_factory=list)
    by_subset: dict[str, tuple[float, int]] = field(default_factory=dict)


def prompt_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def stratified(strata: dict[Any, list[int]], size: int, seed: int) -> dict[Any, list[int]]:
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


def run_task(
    engine: Engine,
    data: TaskDataSource,
    spec: TaskSpec,
    harness: str,
    n_shot: int,
    metric: str,
    selection: Selection | None = None,
) -> TaskResult:
    formulation = spec.formulations[harness]
    selection = selection or Selection()
    subsets: Sequence[str | None] = data.subsets(spec) if spec.subsets else (None,)
    docs = {s: [formulation.prepare(d) for d in data.rows(spec, spec.eval_split, s)] for s in subsets}
    pools = {
        s: ([formulation.prepare(d) for d in data.rows(spec, spec.fewshot_split, s)] if n_shot else []) for s in subsets
    }
    chosen: dict[str | None, list[int] | None] = {s: None for s in subsets}
    if selection.limit_per_subset is not None:
        chosen = {s: list(range(min(selection.limit_per_subset, len(docs[s])))) for s in subsets}
    elif selection.slice_size is not None:
        strata: dict[Any, list[int]] = defaultdict(list)
        flat = [(s, i) for s in subsets for i in range(len(docs[s]))]
        for k, (s, i) in enumerate(flat):
            key = s if spec.subsets else formulation.gold(docs[s][i])
            strata[key].append(k)
        picked = sorted(k for ks in stratified(strata, selection.slice_size, selection.seed or 0).values() for k in ks)
        chosen = {s: [] for s in subsets}
        for k in picked:
            s, i = flat[k]
            chosen[s].append(i)  # type: ignore[union-attr]
    examples: list[Example] = []
    for s in subsets:
        examples += build_examples(spec, formulation, docs[s], pools[s], n_shot, subset=s, select=chosen[s])
    scores, records = _run_choices(engine, examples, metric, spec.key)
    return _aggregate(spec, metric, examples, scores, records)


def _run_choices(engine: Engine, examples: list[Example], metric: str, task: str) -> tuple[list[float], list[dict]]:
    requests, documents, groups = [], [], []
    for n, ex in enumerate(examples):
        for request in ex.requests:
            requests.append(request)
            documents.append(n)
            groups.append(ex.shared_prefix and (ex.subset, ex.shared_prefix))
    results = engine.loglikelihood(requests, documents=documents, prefix_groups=groups)
    scores, records, k = [], [], 0
    for ex in examples:
        out = results[k : k + len(ex.requests)]
        k += len(ex.requests)
        lls = [ll for ll, _ in out]
        score = score_choices(lls, ex.choice_lengths, ex.gold)
        scores.append(score.acc_norm if metric == "acc_norm" else score.acc)
        records.append(
            {
                "task": task,
                "subset": ex.subset,
                "doc_id": ex.doc_id,
                "prompt_sha256": prompt_hash(ex.requests),
                "ll": lls,
                "greedy": [g for _, g in out],
                "pred": score.pred,
                "pred_norm": score.pred_norm,
                "gold": ex.gold,
                "acc": score.acc,
                "acc_norm": score.acc_norm,
            }
        )
    return scores, records


def _aggregate(
    spec: TaskSpec, metric: str, examples: list[Example], scores: list[float], records: list[dict]
) -> TaskResult:
    by_subset: dict[str | None, list[float]] = defaultdict(list)
    for ex, score in zip(examples, scores):
        by_subset[ex.subset].append(score)
    if not scores:
        raise ValueError(f"no examples to evaluate for {spec.key}")
    if spec.subsets:  # lm-eval group: size-weighted mean, pooled stderr
        keys = [k for k in by_subset if by_subset[k]]
        sizes = [len(by_subset[k]) for k in keys]
        value = stats.weighted_mean([stats.mean(by_subset[k]) for k in keys], sizes)
        stderr = stats.pooled_stderr([stats.mean_stderr(by_subset[k]) for k in keys], sizes)
    else:
        value, stderr = stats.mean(scores), stats.mean_stderr(scores)
    return TaskResult(
        task=spec.key,
        metric=metric,
        value=value,
        stderr=stderr,
        examples=len(scores),
        records=records,
        by_subset={str(k): (stats.mean(v), len(v)) for k, v in by_subset.items() if k is not None},
    )
