"""The capacity simulation's pure core (services/ops/capacity.py)."""

from __future__ import annotations

import pytest

from services.ops.capacity import Simulation, corpus_stats, zipf_exponent

CORPUS = {
    "a": [("meta-llama/Llama-2-7b-hf", "mmlu", 5), ("org/a-own", "hellaswag", 0), ("org/a-own", "hellaswag", 0)],
    "b": [("meta-llama/Llama-2-7b-hf", "mmlu", 5), ("org/b-own", "arc_easy", 0)],
    "c": [("org/c-own", "piqa", 0)],
}
AVAILABLE = {"mmlu": 14042, "hellaswag": 10042, "arc_easy": 2376, "piqa": 1838}


def test_corpus_statistics_count_recurrence_across_papers_not_within() -> None:
    stats = corpus_stats(CORPUS)
    assert stats.papers == 3 and sorted(stats.cells_per_paper) == [1, 2, 3]
    assert stats.recurring == 1
    assert stats.repeat_share == pytest.approx(2 / 6)
    assert stats.benchmarks == {"mmlu": 2, "hellaswag": 2, "arc_easy": 1, "piqa": 1}


def test_zipf_exponent_recovers_a_power_law() -> None:
    assert zipf_exponent([round(10_000 / r**1.2) for r in range(1, 200)]) == pytest.approx(1.2, abs=0.02)
    assert zipf_exponent([5, 3]) == 1.0


def test_a_repeated_run_is_a_cache_hit_and_costs_nothing() -> None:
    stats = corpus_stats(CORPUS)
    sim = Simulation(stats, {"default": 3600.0}, AVAILABLE, papers_per_day=50, baselines=1, seed=7)
    first, second = sim.day(1), sim.day(2)
    assert first.planned == first.hits + first.runs and second.planned == second.hits + second.runs
    assert first.gpu_hours == pytest.approx(first.runs)  # one GPU-hour a run
    assert second.hit_rate > 0  # the one baseline triple is cached from day 1
    again = Simulation(stats, {"default": 3600.0}, AVAILABLE, papers_per_day=50, baselines=1, seed=7).day(1)
    assert (again.claims, again.hits, again.runs) == (first.claims, first.hits, first.runs)
