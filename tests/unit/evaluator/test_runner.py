"""EvaluationRunner on the fixture model and data: a measurement with everything the issue lists,
stable ids for the cache, per-example records, slices, and failures as measurements with a reason."""

from __future__ import annotations

import gzip
import json

import pytest

from services.evaluator.cache import InMemoryMeasurementCache, MongoMeasurementCache
from services.evaluator.data import LocalDataSource
from services.evaluator.models import ModelLoader
from services.evaluator.planner import plan_run, protocol_key
from services.evaluator.runner import EvaluationRunner
from shared.ids import measurement_id
from shared.models import Claim, ClaimCitation, ClaimProtocol, Measurement
from shared.settings import EvaluatorSettings

from .conftest import DATA, TINY, TINY_SHA


@pytest.fixture(scope="module")
def runner():
    settings = EvaluatorSettings(device="cpu", data_dir=DATA)
    return EvaluationRunner(settings, ModelLoader(settings), LocalDataSource(DATA))


def claim(model_id: str | None = TINY, **protocol) -> Claim:
    return Claim(
        claim_id="c1",
        arxiv_id="2502.02737",
        version=1,
        table_label="Table 2",
        row_index=1,
        col_index=2,
        citation=ClaimCitation(
            paper_arxiv_id="2502.02737",
            section="Table 2",
            row="tiny",
            column="ARC",
            reported_value=25.0,
            reported_metric="acc",
            quoted_text="25.0",
        ),
        model_label="tiny",
        model_id=model_id,
        protocol=ClaimProtocol(**protocol),
    )


def plan(runner, c: Claim, max_examples=None):
    return plan_run(c, max_examples=max_examples, slice_seed=11, available=runner.available())


def test_measurement_carries_protocol_and_provenance(runner):
    c = claim(benchmark="arc_easy")
    protocol = plan(runner, c)
    measurement, records = runner.measure(c, protocol)
    assert measurement.failure is None
    assert measurement.model_revision == TINY_SHA and measurement.protocol.model_revision == TINY_SHA
    assert measurement.protocol.data_revision == (DATA / "arc_easy" / "REVISION").read_text().strip()
    assert (measurement.task, measurement.metric, measurement.examples_used, measurement.is_slice) == (
        "arc_easy",
        "acc_norm",
        50,
        False,
    )
    assert 0.0 <= measurement.value <= 1.0 and measurement.stderr > 0
    assert measurement.device == "cpu" and measurement.protocol.dtype == "float32"
    assert measurement.tokens > 0 and measurement.seconds > 0 and measurement.peak_memory_bytes > 0
    expected_id = measurement_id(
        TINY_SHA, "arc_easy", protocol_key(measurement.protocol), measurement.protocol.data_revision
    )
    assert measurement.measurement_id == expected_id == runner.measurement_key(c, protocol)
    lines = [json.loads(line) for line in gzip.decompress(records).splitlines()]
    assert len(lines) == 50 and {"prompt_sha256", "ll", "greedy", "pred", "gold"} <= lines[0].keys()
    assert sum(r["acc_norm"] for r in lines) / 50 == pytest.approx(measurement.value)
    again, again_records = runner.measure(c, protocol)
    assert (again.value, again.measurement_id, again_records) == (
        measurement.value,
        measurement.measurement_id,
        records,
    )


def test_arc_is_the_mean_of_easy_and_challenge(runner):
    easy, _ = runner.measure(claim(benchmark="arc_easy"), plan(runner, claim(benchmark="arc_easy")))
    hard, _ = runner.measure(claim(benchmark="arc_challenge"), plan(runner, claim(benchmark="arc_challenge")))
    both, _ = runner.measure(claim(benchmark="arc"), plan(runner, claim(benchmark="arc")))
    assert both.value == pytest.approx((easy.value + hard.value) / 2)
    assert both.stderr == pytest.approx((easy.stderr**2 + hard.stderr**2) ** 0.5 / 2)
    assert both.examples_used == 100


def test_budget_slice_is_recorded(runner):
    c = claim(benchmark="mmlu")
    protocol = plan(runner, c, max_examples=20)
    measurement, records = runner.measure(c, protocol)
    assert measurement.is_slice and measurement.examples_used == 20
    assert measurement.protocol.slice_seed == 11 and measurement.protocol.full_set is False
    subjects = [json.loads(line)["subset"] for line in gzip.decompress(records).splitlines()]
    assert sorted(set(subjects)) == ["abstract_algebra", "college_physics", "high_school_biology", "world_religions"]


def test_failures_are_measurements_with_a_reason(runner):
    c = claim(benchmark="arc_easy", model_id="paperverdict-fixtures/absent")
    measurement, records = runner.measure(c, plan(runner, claim(benchmark="arc_easy")))
    assert records is None and measurement.value is None and "not available" in measurement.failure
    protocol = plan(runner, claim(benchmark="arc_easy")).model_copy(update={"benchmark": "humaneval"})
    measurement, _ = runner.measure(claim(benchmark="arc_easy"), protocol)
    assert "not supported" in measurement.failure


def test_out_of_memory_becomes_a_failure(runner, monkeypatch):
    import torch

    from services.evaluator import runner as runner_module

    def boom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(runner_module, "run_task", boom)
    measurement, records = runner.measure(claim(benchmark="piqa"), plan(runner, claim(benchmark="piqa")))
    assert records is None and measurement.failure.startswith("out of memory")


async def test_memory_cache_answers_a_repeated_claim(runner):
    cache = InMemoryMeasurementCache()
    c = claim(benchmark="boolq")
    protocol = plan(runner, c)
    assert await cache.get(runner.measurement_key(c, protocol)) is None
    measurement, _ = runner.measure(c, protocol)
    await cache.put(measurement)
    cached = await cache.get(runner.measurement_key(c, protocol))
    assert cached.cached and cached.value == measurement.value


class FakeCollection:
    def __init__(self):
        self.docs: dict[str, dict] = {}
        self.indexes: list[tuple] = []

    async def create_index(self, key, unique=False):
        self.indexes.append((key, unique))

    async def find_one(self, query, projection=None):
        doc = self.docs.get(query["measurement_id"])
        return dict(doc) if doc else None

    async def replace_one(self, query, doc, upsert=False):
        self.docs[query["measurement_id"]] = doc


async def test_mongo_cache_round_trip_without_io_at_construction():
    collection = FakeCollection()
    cache = MongoMeasurementCache({"measurements": collection})
    assert collection.indexes == []  # nothing happens until used
    m = Measurement(measurement_id="m1", model_id="x", task="arc_easy", value=0.5)
    await cache.put(m)
    await cache.put(Measurement(measurement_id="m2", model_id="x", task="arc_easy", failure="oom"))
    assert collection.indexes == [("measurement_id", True)] and set(collection.docs) == {"m1"}
    got = await cache.get("m1")
    assert got.cached and got.value == 0.5 and await cache.get("m2") is None
