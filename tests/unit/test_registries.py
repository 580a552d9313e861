"""Each fixed set has one definition; every map keyed by it must have exactly its keys.

Adding a verdict status to `shared.models.VerdictStatus` or a benchmark to `shared.benchmarks.REGISTRY`
fails here until each consumer knows it, instead of as a KeyError in a running service."""

from __future__ import annotations

import pytest

from services.api.render import STATUS_COLOURS
from services.extractor.names import match_benchmark
from services.publisher.documents import SEVERITY
from services.validator.rules import _STATUS_TABLE
from shared.benchmarks import BENCHMARKS, COMPOSITES, LM_EVAL, REGISTRY
from shared.gates import C1_DOWNGRADE
from shared.models import VERDICT_STATUSES, Verdict


def test_verdict_statuses_are_listed_once() -> None:
    assert VERDICT_STATUSES == ("confirmed", "partial", "wrong", "inconclusive", "pending")
    assert Verdict.model_json_schema()["properties"]["status"]["enum"] == list(VERDICT_STATUSES)


@pytest.mark.parametrize(
    "name, mapping", [("publisher SEVERITY", SEVERITY), ("web page STATUS_COLOURS", STATUS_COLOURS)]
)
def test_every_status_map_has_every_status(name: str, mapping: dict[str, object]) -> None:
    assert set(mapping) == set(VERDICT_STATUSES), name


def test_severity_orders_statuses_strictly() -> None:
    assert sorted(SEVERITY.values()) == list(range(len(VERDICT_STATUSES)))
    assert SEVERITY["wrong"] < SEVERITY["partial"] < SEVERITY["inconclusive"] < SEVERITY["confirmed"]


def test_rule_tables_only_produce_known_statuses() -> None:
    assert set(_STATUS_TABLE.values()) <= set(VERDICT_STATUSES)
    assert set(C1_DOWNGRADE.values()) <= set(VERDICT_STATUSES)


def test_every_benchmark_has_its_lm_eval_task_and_a_composite_is_made_of_benchmarks() -> None:
    """Every claim on a benchmark of ours runs the lm-eval task of `shared.benchmarks.LM_EVAL` (the
    hand-written mirrors went once lm-eval's own tasks reproduced them, #18)."""
    plain = {b.key for b in REGISTRY if not b.parts}
    assert set(BENCHMARKS) <= set(LM_EVAL)
    for key, parts in COMPOSITES.items():
        assert parts and set(parts) <= plain, key
        assert BENCHMARKS[key].published_size == sum(BENCHMARKS[p].published_size for p in parts)
    assert len(BENCHMARKS) == len(REGISTRY)  # no key twice


@pytest.mark.parametrize("benchmark", REGISTRY, ids=lambda b: b.key)
def test_task_agrees_with_its_benchmark_record(benchmark) -> None:
    """The map's default task reports the record's metric and formulation."""
    default = LM_EVAL[benchmark.key].variants[0]
    assert (default.metric, default.formulation) == (benchmark.metric, benchmark.formulation)


@pytest.mark.parametrize("benchmark", REGISTRY, ids=lambda b: b.key)
def test_extractor_reads_each_benchmark_by_title_and_abbreviation(benchmark) -> None:
    assert match_benchmark(benchmark.title) == benchmark.key
    for abbreviation in benchmark.abbreviations:
        assert match_benchmark(abbreviation.upper()) == benchmark.key, abbreviation
