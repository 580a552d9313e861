"""EvaluationRunner on the fixture model and data folder: a measurement with everything the issue lists,
stable ids for the cache, per-example records (lm-eval's samples), slices, and failures as
measurements with a reason. Every claim runs an lm-eval task (ours: `arc`, the lighteval configs)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from services.evaluator.cache import InMemoryMeasurementCache, MongoMeasurementCache
from services.evaluator.models import ModelLoader
from services.evaluator.planner import Unsupported, plan_run, protocol_key
from services.evaluator.runner import EvaluationRunner
from shared.ids import measurement_id
from shared.models import Claim, ClaimCitation, ClaimProtocol, Measurement
from shared.settings import EvaluatorSettings

from .conftest import DATA, TINY, TINY_SHA


@pytest.fixture(scope="module")
def runner():
    settings = EvaluatorSettings(device="cpu", data_dir=DATA)
    return EvaluationRunner(settings, ModelLoader(settings))


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
    return plan_run(c, max_examples=max_examples, slice_seed=11, lm_eval_task=runner.lm_eval_task)


def records_of(blob: bytes) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(blob).splitlines()]


def test_measurement_carries_protocol_and_provenance(runner):
    c = claim(benchmark="arc_easy")  # no task named: the map's (lm-eval's arc_easy)
    protocol = plan(runner, c)
    measurement, records = runner.measure(c, protocol)
    assert measurement.failure is None
    assert measurement.model_revision == TINY_SHA and measurement.protocol.model_revision == TINY_SHA
    assert measurement.protocol.data_revision == runner.lm_eval_task("arc_easy").data_revision
    assert measurement.protocol.data_revision.startswith("local-sha256:")
    assert (measurement.task, measurement.metric, measurement.examples_used, measurement.is_slice) == (
        "arc_easy",
        "acc_norm",
        50,
        False,
    )
    assert measurement.protocol.task_config_hash and measurement.protocol.lm_eval_version == "0.4.13"
    assert 0.0 <= measurement.value <= 1.0 and measurement.stderr > 0
    assert measurement.device == "cpu" and measurement.protocol.dtype == "float32"
    assert measurement.tokens > 0 and measurement.seconds > 0 and measurement.peak_memory_bytes > 0
    expected_id = measurement_id(
        TINY_SHA, "arc_easy", protocol_key(measurement.protocol), measurement.protocol.data_revision
    )
    assert measurement.measurement_id == expected_id == runner.measurement_key(c, protocol)
    lines = records_of(records)
    assert len(lines) == 50 and {"doc_id", "arguments", "resps", "target", "acc_norm"} <= lines[0].keys()
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
    both, records = runner.measure(claim(benchmark="arc"), plan(runner, claim(benchmark="arc")))
    assert both.task == "arc" and both.protocol.task == "arc"
    assert both.value == pytest.approx((easy.value + hard.value) / 2)
    assert both.stderr == pytest.approx((easy.stderr**2 + hard.stderr**2) ** 0.5 / 2)
    assert both.examples_used == 100
    assert {r["task"] for r in records_of(records)} == {"arc_easy", "arc_challenge"}


def test_mmlu_runs_lm_evals_group_over_the_subject_folders(runner):
    """`mmlu/<subject>/` folders give lm-eval's `mmlu` group over those subjects (5-shot from each
    subject's dev split); a budget is a seeded slice with every subject kept."""
    c = claim(benchmark="mmlu")
    whole = plan(runner, c)
    assert (whole.task, whole.n_shot, whole.examples, whole.full_set) == ("mmlu", 5, 62, True)
    protocol = plan(runner, c, max_examples=20)
    measurement, records = runner.measure(c, protocol)
    assert measurement.is_slice and measurement.examples_used == 20
    assert measurement.protocol.slice_seed == 11 and measurement.protocol.full_set is False
    subjects = sorted({r["task"] for r in records_of(records)})
    assert subjects == [
        "mmlu_abstract_algebra",
        "mmlu_college_physics",
        "mmlu_high_school_biology",
        "mmlu_world_religions",
    ]
    first = next(r for r in records_of(records) if r["task"] == "mmlu_world_religions")
    assert first["arguments"][0][0].startswith(
        "The following are multiple choice questions (with answers) about world religions.\n\n"
    )


def test_failures_are_measurements_with_a_reason(runner):
    c = claim(benchmark="arc_easy", model_id="paperverdict-fixtures/absent")
    measurement, records = runner.measure(c, plan(runner, claim(benchmark="arc_easy")))
    assert records is None and measurement.value is None and "not available" in measurement.failure
    protocol = plan(runner, claim(benchmark="arc_easy")).model_copy(update={"task": None})
    measurement, _ = runner.measure(claim(benchmark="arc_easy"), protocol)
    assert "no lm-eval task is planned" in measurement.failure
    protocol = plan(runner, claim(benchmark="arc_easy")).model_copy(update={"task": "no_such_task"})
    measurement, _ = runner.measure(claim(benchmark="arc_easy"), protocol)
    assert "no_such_task" in measurement.failure


def test_out_of_memory_becomes_a_failure(runner, monkeypatch):
    import torch

    from services.evaluator import runner as runner_module

    def boom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(runner_module, "run_lm_eval_task", boom)
    measurement, records = runner.measure(claim(benchmark="arc_easy"), plan(runner, claim(benchmark="arc_easy")))
    assert records is None and measurement.failure.startswith("out of memory")


async def test_memory_cache_answers_a_repeated_claim(runner):
    cache = InMemoryMeasurementCache()
    c = claim(benchmark="arc_challenge")
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


# ---------------------------------------------------------------- lm-eval tasks (issue 18)

SCIQ_DATA = DATA.parent / "lmeval_tasks" / "data" / "sciq"


def local_task(name: str, data: Path = SCIQ_DATA) -> str:
    """A local config of lm-eval's sciq under `name`, its documents the fixture files."""
    return (
        "include: ${LM_EVAL_TASKS}/sciq/sciq.yaml\n"
        f"task: {name}\ndataset_path: json\ndataset_name: null\nvalidation_split: null\n"
        f"dataset_kwargs:\n  data_files:\n    train: {data}/train.jsonl\n    test: {data}/test.jsonl\n"
    )


@pytest.fixture(scope="module")
def lm_runner(runner, tmp_path_factory):
    """Offline (as tests are): only these local configs: lm-eval's `sciq` on local documents, a
    second copy and a group of the two."""
    folder = tmp_path_factory.mktemp("lmeval_tasks")
    (folder / "sciq.yaml").write_text(local_task("sciq"))
    (folder / "sciq_copy.yaml").write_text(local_task("sciq_copy"))
    (folder / "sci_pair.yaml").write_text(
        "group: sci_pair\ntask: [sciq, sciq_copy]\n"
        "aggregate_metric_list:\n  - metric: acc\n    weight_by_size: true\nmetadata:\n  version: 1.0\n"
    )
    settings = runner.settings.model_copy(update={"lmeval_include_path": folder})
    return EvaluationRunner(settings, runner.models)


def lm_claim(task: str = "sciq", **protocol) -> Claim:
    return claim(benchmark=task, task=task, **protocol)


def lm_plan(runner, c: Claim, max_examples=None):
    return plan_run(c, max_examples=max_examples, slice_seed=11, lm_eval_task=runner.lm_eval_task)


def test_an_lm_eval_claim_is_measured_with_lm_eval_and_our_engine(lm_runner, tiny):
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    c = lm_claim(metric="acc_norm")
    protocol = lm_plan(lm_runner, c)
    assert (protocol.task, protocol.harness, protocol.examples, protocol.full_set) == ("sciq", "lm-eval", 4, True)
    measurement, records = lm_runner.measure(c, protocol)
    assert measurement.failure is None and measurement.task == "sciq"
    run = measurement.protocol
    assert (run.task_version, run.lm_eval_version, run.model_revision) == ("1.0", "0.4.13", TINY_SHA)
    assert run.task_config_hash == protocol.task_config_hash and run.data_revision.startswith("local-sha256:")
    assert (measurement.examples_used, measurement.is_slice, measurement.metric) == (4, False, "acc_norm")
    assert measurement.measurement_id == lm_runner.measurement_key(c, protocol)
    # the value is lm-eval's own, as HFLM on the same model computes it
    model, tokenizer = tiny
    from lm_eval.models.huggingface import HFLM

    reference = run_lm_eval_task(
        HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu"),
        "sciq",
        0,
        include_path=lm_runner.catalog.include_path,
        include_defaults=False,
    )
    assert measurement.value == pytest.approx(reference.metrics["acc_norm,none"])
    assert measurement.stderr == pytest.approx(reference.stderrs["acc_norm,none"])
    lines = [json.loads(line) for line in gzip.decompress(records).splitlines()]
    assert sorted(r["doc_id"] for r in lines) == [0, 1, 2, 3] and {r["task"] for r in lines} == {"sciq"}
    assert sum(r["acc_norm"] for r in lines) / 4 == pytest.approx(measurement.value)


def test_an_lm_eval_budget_is_a_seeded_slice_over_a_groups_tasks(lm_runner):
    c = lm_claim("sci_pair", metric="acc")
    protocol = lm_plan(lm_runner, c, max_examples=4)
    assert (protocol.full_set, protocol.examples, protocol.slice_seed) == (False, 4, 11)
    measurement, records = lm_runner.measure(c, protocol)
    assert measurement.failure is None and measurement.is_slice and measurement.examples_used == 4
    picked = sorted((r["task"], r["doc_id"]) for r in map(json.loads, gzip.decompress(records).splitlines()))
    assert [t for t, _ in picked] == ["sciq", "sciq", "sciq_copy", "sciq_copy"]  # proportional over members
    again, again_records = lm_runner.measure(c, protocol)
    assert again_records == records and again.value == measurement.value  # seeded: the same documents
    whole = lm_plan(lm_runner, c, max_examples=100)
    assert whole.full_set and whole.examples == 8


def test_gsm8k_runs_lm_evals_own_task_on_the_data_folder(runner, hflm):
    """GSM8K has no hand-written task (#18): its claim runs lm-eval's gsm8k (5-shot from train, greedy
    until "Question:", strict and flexible extraction) on the data folder's gsm8k/ files, which
    `lm_eval_data_dir` makes a local config of that name. lm-eval's HFLM, given the same documents,
    generates the same texts and extracts the same answers; the value is lm-eval's."""
    from services.evaluator.lm_eval_plan import slice_documents
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    c = claim(benchmark="gsm8k", task="gsm8k", metric="exact_match_flexible")
    protocol = lm_plan(runner, c, max_examples=6)
    assert (protocol.task, protocol.n_shot, protocol.split, protocol.examples) == ("gsm8k", 5, "test", 6)
    assert protocol.data_revision.startswith("local-sha256:") and not protocol.full_set
    measurement, records = runner.measure(c, protocol)
    assert measurement.failure is None, measurement.failure
    assert (measurement.task, measurement.examples_used, measurement.is_slice) == ("gsm8k", 6, True)
    assert measurement.measurement_id == runner.measurement_key(c, protocol)
    reference = run_lm_eval_task(
        hflm, "gsm8k", 5, task_manager=runner.catalog.manager, select=lambda sizes: slice_documents(sizes, 6, 11)
    )
    assert measurement.value == pytest.approx(reference.metrics["exact_match,flexible-extract"], abs=1e-12)
    assert measurement.stderr == pytest.approx(reference.stderrs["exact_match,flexible-extract"], abs=1e-12)
    ours = [json.loads(line) for line in gzip.decompress(records).splitlines()]
    theirs = reference.samples["gsm8k"]
    assert len(ours) == len(theirs) == 12  # one sample per document and filter
    key = lambda s: (s["doc_id"], s["filter"])  # noqa: E731
    for a, b in zip(sorted(ours, key=key), sorted(theirs, key=key)):
        assert (a["doc_id"], a["arguments"][0][0]) == (b["doc_id"], b["arguments"][0][0])  # the same 5-shot prompt
        assert a["resps"] == b["resps"] and a["filtered_resps"] == b["filtered_resps"]
        assert a["exact_match"] == b["exact_match"]


def test_a_lighteval_claim_runs_our_lighteval_config_on_the_data_folder(runner):
    """SmolLM2-style claims ("we use lighteval") run SmolLM2's formulation, our lm-eval config of it,
    on the data folder's documents: "ARC" as the plain mean of the two ARC tasks."""
    golden = json.loads((Path(__file__).parent / "golden" / "lighteval_formulations.json").read_text())
    c = claim(benchmark="arc", task=None, harness="lighteval")
    protocol = lm_plan(runner, c)
    assert (protocol.task, protocol.harness, protocol.n_shot, protocol.metric) == (
        "lighteval_arc",
        "lighteval",
        0,
        "acc_norm",
    )
    measurement, records = runner.measure(c, protocol)
    assert measurement.failure is None, measurement.failure
    assert measurement.protocol.harness == "lighteval" and measurement.examples_used == 100
    expected = (golden["arc_easy"]["acc_norm"] + golden["arc_challenge"]["acc_norm"]) / 2
    assert measurement.value == pytest.approx(expected, abs=1e-12)
    assert measurement.measurement_id == runner.measurement_key(c, protocol)
    lines = [json.loads(line) for line in gzip.decompress(records).splitlines()]
    assert {r["task"] for r in lines} == {"lighteval_arc_easy", "lighteval_arc_challenge"} and len(lines) == 100


def test_a_data_folder_task_with_unreadable_data_is_refused_with_the_reason(runner, tmp_path):
    """A data folder's task files are parsed in a limited child before lm-eval reads them: a broken file
    costs its own task, with the file named, and the other tasks still run."""
    import shutil

    shutil.copytree(DATA / "gsm8k", tmp_path / "gsm8k")
    shutil.copytree(DATA / "boolq", tmp_path / "boolq")
    (tmp_path / "boolq" / "train.jsonl").write_text('{"question": "ok"}\n[1, 2]\n')
    shutil.copytree(DATA / "piqa", tmp_path / "piqa")
    (tmp_path / "piqa" / "validation.jsonl").unlink()
    broken = EvaluationRunner(runner.settings.model_copy(update={"data_dir": tmp_path}), runner.models)
    assert broken.lm_eval_task("gsm8k").local_data
    assert "task data boolq: train.jsonl cannot be read" in broken.lm_eval_task("boolq")
    assert "line 2 is not a JSON object" in broken.lm_eval_task("boolq")
    assert "evaluated on its 'validation' split" in broken.lm_eval_task("piqa")
    assert "nor the data folder (a sciq/ folder in" in broken.lm_eval_task("sciq")


def test_lm_eval_prompt_format_reaches_lm_eval(lm_runner):
    loaded = lm_runner.models.load(TINY)
    c = lm_claim(chat_template=True, system_prompt="Answer briefly.")
    protocol = lm_plan(lm_runner, c)
    assert (protocol.chat_template, protocol.fewshot_as_multiturn, protocol.system_prompt) == (
        True,
        True,
        "Answer briefly.",
    )
    refused, _ = lm_runner.measure(c, protocol)
    assert "no chat template" in refused.failure  # the fixture tokenizer has none
    loaded.tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    try:
        measurement, records = lm_runner.measure(c, protocol)
    finally:
        loaded.tokenizer.chat_template = None
    assert measurement.failure is None and measurement.protocol.system_prompt == "Answer briefly."
    context = json.loads(gzip.decompress(records).splitlines()[0])["arguments"][0][0]
    assert context.startswith("<|system|>Answer briefly.\n<|user|>") and context.endswith("<|assistant|>")
    plain = lm_runner.measurement_key(lm_claim(), lm_plan(lm_runner, lm_claim()))
    assert measurement.measurement_id != plain


def test_an_lm_eval_task_without_local_data_is_refused_before_loading_a_model(lm_runner):
    loads = lm_runner.model_loads
    result = lm_plan(lm_runner, lm_claim("truthfulqa_mc2", model_id="paperverdict-fixtures/absent"))
    assert isinstance(result, Unsupported) and "has no local data" in result.reason and "Hub is off" in result.reason
    assert lm_runner.model_loads == loads


def test_a_code_task_without_a_sandbox_is_refused_before_loading_a_model(runner, monkeypatch):
    """HumanEval-style tasks run generated code: without a working sandbox the claim is unmeasurable
    with the sandbox's reason, and neither the model loads nor any code runs."""
    from services.evaluator import sandbox

    tasks = Path(__file__).resolve().parents[3] / "fixtures" / "lmeval_tasks"
    coded = EvaluationRunner(runner.settings.model_copy(update={"lmeval_include_path": tasks}), runner.models)
    c = lm_claim("pv_humaneval", metric="pass@1")
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: None)
    planned = lm_plan(coded, c)  # with a sandbox the claim plans
    assert not isinstance(planned, Unsupported) and planned.task == "pv_humaneval"
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "the code sandbox needs root")
    monkeypatch.setattr(sandbox, "run_python", lambda *a, **k: pytest.fail("code ran without a sandbox"))
    loads = coded.model_loads
    refused = lm_plan(coded, c)
    assert isinstance(refused, Unsupported) and refused.reason.endswith(
        "only in the sandbox: the code sandbox needs root"
    )
    measurement, records = coded.measure(c, planned)  # a plan made elsewhere fails here, before loading
    assert measurement.failure is not None and measurement.failure.endswith("needs root") and records is None
    assert coded.model_loads == loads


async def test_a_change_of_anything_in_the_lm_eval_key_misses_the_cache(lm_runner, monkeypatch):
    cache = InMemoryMeasurementCache()
    c = lm_claim()
    protocol = lm_plan(lm_runner, c)
    measurement, _ = lm_runner.measure(c, protocol)
    await cache.put(measurement)
    assert (await cache.get(lm_runner.measurement_key(c, protocol))).value == measurement.value
    changes = {
        "task": "sciq_copy",
        "task_version": "2.0",
        "task_config_hash": "0" * 64,
        "lm_eval_version": "0.4.14",
        "n_shot": 3,
        "chat_template": True,
        "fewshot_as_multiturn": True,
        "system_prompt": "Be brief.",
        "data_revision": "local-sha256:" + "1" * 64,
    }
    for name, value in changes.items():
        key = lm_runner.measurement_key(c, protocol.model_copy(update={name: value}))
        assert key is not None and await cache.get(key) is None, name
    monkeypatch.setattr(lm_runner.models, "pinned", lambda *a: ("f" * 40, "float32"))
    assert await cache.get(lm_runner.measurement_key(c, protocol)) is None  # another model sha


async def test_the_service_measures_an_lm_eval_claim_and_refuses_one_without_local_data(lm_runner):
    from services.evaluator.handlers import Evaluator
    from shared.messages import ClaimExtracted, EvaluationCompleted
    from tests.unit.pipeline.test_message_pins import PAPER, VERSION
    from tests.unit.pipeline.test_service_handlers import FakeWriter

    announced = []

    async def announce(topic, message, *, key):
        announced.append(message.protocol)

    evaluator = Evaluator(announce, lm_runner.settings, lm_runner, InMemoryMeasurementCache(), FakeWriter())
    done = await evaluator.handle(ClaimExtracted(paper=PAPER, version=VERSION, claim=lm_claim()))
    measured = done[0].message
    assert isinstance(measured, EvaluationCompleted) and measured.measurement.failure is None
    assert [p.task for p in announced] == ["sciq"] and measured.measurement.records_sha256
    loads = lm_runner.model_loads
    refused = await evaluator.handle(ClaimExtracted(paper=PAPER, version=VERSION, claim=lm_claim("truthfulqa_mc2")))
    assert "has no local data" in refused[0].message.measurement.failure
    assert len(announced) == 1 and lm_runner.model_loads == loads
