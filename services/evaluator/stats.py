"""Aggregates and standard errors exactly as lm-evaluation-harness computes them."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def mean_stderr(values: Sequence[float]) -> float | None:
    """lm-eval `mean_stderr`: sample standard deviation (n-1) over sqrt(n); None below two items
    (lm-eval reports "N/A")."""
    n = len(values)
    if n < 2:
        return None
    mu = mean(values)
    return math.sqrt(sum((x - mu) ** 2 for x in values) / (n - 1)) / math.sqrt(n)


def weighted_mean(values: Sequence[float], sizes: Sequence[int]) -> float:
    """lm-eval `aggregate_subtask_metrics(weight_by_size=True)`: MMLU's headline number."""
    return sum(v * s for v, s in zip(values, sizes)) / sum(sizes)


def pooled_stderr(stderrs: Sequence[float | None], sizes: Sequence[int]) -> float | None:
    """lm-eval `pooled_sample_stderr`, the stderr of a size-weighted group (MMLU)."""
    if any(s is None for s in stderrs) or sum(sizes) <= len(sizes):
        return None
    pooled_var = sum((n - 1) * se**2 * n for n, se in zip(sizes, stderrs)) / (sum(sizes) - len(sizes))  # type: ignore[operator]
    return math.sqrt(pooled_var / sum(sizes))


def unweighted_mean_stderr(stderrs: Sequence[float | None]) -> float | None:
    """lm-eval `unweighted_mean_stderr`: the stderr of a plain mean of k means ("arc" = (e + c) / 2)."""
    if any(s is None for s in stderrs):
        return None
    return math.sqrt(sum(se**2 for se in stderrs)) / len(stderrs)  # type: ignore[operator]
