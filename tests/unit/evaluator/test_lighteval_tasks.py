"""SmolLM2's lighteval formulations as lm-eval task configs (`services/evaluator/lmeval_tasks/lighteval/`),
run by lm-eval's evaluator with our engine as its model on the fixture documents (fed from the data
folder, `lm_eval_data_dir`), against what the hand-written lighteval formulations measured on the
same documents and tiny fp32 model before they went (`golden/lighteval_formulations.json`, written by
them at commit e6aab4b, when this test also ran against them directly): every document's requests
(context, continuation) identical (sha256 of the JSON list), the same acc and acc_norm per document,
the same value and stderr. And side by side with lm-eval's HFLM on two of them: the same requests,
log-likelihoods within MAX_DLL, decisions and values."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from services.evaluator.lm_backend import PaperverdictLM
from services.evaluator.lm_eval_catalog import LmEvalCatalog, LmEvalTaskInfo
from services.evaluator.lm_eval_runs import run_lm_eval_task
from shared.benchmarks import LIGHTEVAL

from .conftest import DATA
from .test_lm_backend import MAX_DLL, loglikelihoods

GOLDEN = json.loads((Path(__file__).parent / "golden" / "lighteval_formulations.json").read_text())


@pytest.fixture(scope="module")
def backend(tiny):
    model, tokenizer = tiny
    return PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096)


@pytest.fixture(scope="module")
def catalog():
    return LmEvalCatalog(None, offline=True, data_dir=DATA)


def requests_sha256(sample: dict) -> str:
    return hashlib.sha256(json.dumps([list(a) for a in sample["arguments"]], ensure_ascii=False).encode()).hexdigest()


@pytest.mark.parametrize("key", [k for k in GOLDEN if not k.startswith("_")])
def test_the_lighteval_config_reproduces_the_hand_written_formulation(backend, catalog, key):
    task = LIGHTEVAL[key].task
    info = catalog.describe(task)
    assert isinstance(info, LmEvalTaskInfo) and info.local_data and info.default_shots == 0, info
    run = run_lm_eval_task(backend, task, 0, task_manager=catalog.manager)
    golden = GOLDEN[key]
    samples = sorted(run.samples[task], key=lambda s: s["doc_id"])
    assert [[requests_sha256(s), s["acc"], s["acc_norm"]] for s in samples] == golden["documents"]
    assert run.metrics["acc_norm,none"] == pytest.approx(golden["acc_norm"], abs=1e-12)
    assert run.stderrs["acc_norm,none"] == pytest.approx(golden["acc_norm_stderr"], abs=1e-12)


def test_the_arc_composite_is_the_plain_mean_of_its_two_tasks(backend, catalog):
    """ "ARC" as SmolLM2 printed it: the unweighted mean of ARC-Easy and ARC-Challenge (lighteval_arc,
    a group with `weight_by_size: false`), its stderr sqrt(se_e² + se_c²) / 2."""
    run = run_lm_eval_task(backend, LIGHTEVAL["arc"].task, 0, task_manager=catalog.manager)
    easy, challenge = GOLDEN["arc_easy"], GOLDEN["arc_challenge"]
    assert run.metrics["acc_norm,none"] == pytest.approx((easy["acc_norm"] + challenge["acc_norm"]) / 2, abs=1e-12)
    stderr = (easy["acc_norm_stderr"] ** 2 + challenge["acc_norm_stderr"] ** 2) ** 0.5 / 2
    assert run.stderrs["acc_norm,none"] == pytest.approx(stderr, abs=1e-12)


@pytest.mark.parametrize("key", ["hellaswag", "winogrande"])
def test_the_lighteval_configs_match_hflm(backend, hflm, catalog, key):
    task = LIGHTEVAL[key].task
    ours, theirs = (run_lm_eval_task(lm, task, 0, 20, task_manager=catalog.manager) for lm in (backend, hflm))
    pairs = list(zip(*(sorted(r.samples[task], key=lambda s: s["doc_id"]) for r in (ours, theirs)), strict=True))
    for a, b in pairs:
        assert a["arguments"] == b["arguments"] and (a["acc"], a["acc_norm"]) == (b["acc"], b["acc_norm"])
        for (ll_a, greedy_a), (ll_b, greedy_b) in zip(loglikelihoods(a), loglikelihoods(b), strict=True):
            assert abs(ll_a - ll_b) <= MAX_DLL and greedy_a == greedy_b
    assert ours.metrics == theirs.metrics
