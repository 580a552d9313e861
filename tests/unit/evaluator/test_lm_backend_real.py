"""The lm-eval backend side by side with HFLM on the real model (SmolLM2-135M-Instruct, fp32, CPU;
`scripts/real_fixtures.py`): the fixture task configs of `test_lm_backend.py` (lm-eval's own yaml, local
documents), per request |Δll| <= 1e-3 (the issue's bound on a real model), identical generations,
filtered answers and metrics."""

from __future__ import annotations

import os

import pytest

from .conftest import ROOT
from .test_lm_backend import TASKS, assert_loglikelihoods_match, side_by_side

pytestmark = pytest.mark.slow

REAL = ROOT / ".cache" / "real"
REPO_ID = "paperverdict-fixtures/smollm2-135m-instruct-q4"
MAX_DLL_REAL = 2e-4  # the issue allows 1e-3 on a real model; measured at most 7.4e-5 (wikitext documents)
SHORT = 128  # wikitext windows


@pytest.fixture(scope="module")
def real_backends():
    if not (REAL / "COMPLETE").exists():
        message = f"no real model in {REAL}: run `.venv/bin/python scripts/real_fixtures.py`"
        if os.environ.get("PV_REQUIRE_REAL_FIXTURES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from lm_eval.models.huggingface import HFLM

    from services.evaluator.lm_backend import PaperverdictLM

    snapshot = next((REAL / "hub" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots").iterdir())
    ours = PaperverdictLM(pretrained=str(snapshot), device="cpu", token_budget=4096)
    assert ours.loaded is not None and ours.loaded.dtype == "float32"
    model, tokenizer = ours.loaded.model, ours.loaded.tokenizer
    return {
        "ours": ours,
        "hflm": HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu"),
        "ours_short": PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096, max_length=SHORT),
        "hflm_short": HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu", max_length=SHORT),
        "ours_plain": plain_path(PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096)),
        "hflm_plain": HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu"),
    }


def plain_path(lm):
    """The same model on the plain path (taken by models outside `plain.PACKED_MODEL_TYPES`)."""
    lm.engine.packed = False
    return lm


def run_both(backends, task, shots=None, short=False, suffix=None):
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    suffix = suffix if suffix is not None else "_short" if short else ""
    return [
        run_lm_eval_task(
            backends[f"{which}{suffix}"],
            task,
            shots,
            None,
            include_path=TASKS,
            include_defaults=False,
            bootstrap_iters=100,
        )
        for which in ("ours", "hflm")
    ]


@pytest.mark.parametrize(
    # pv_wikitext: whole documents of 200-2,000 tokens (was 1.4e-3 off while log-probs were a hand-rolled
    # logsumexp; 7.4e-5 with lm-eval's log_softmax, engine._log_probs)
    ("task", "shots", "short"),
    [("pv_lambada_openai", None, False), ("pv_sciq", 2, False), ("pv_wikitext", None, False)],
)
def test_loglikelihood_tasks_match_hflm_on_the_real_model(real_backends, monkeypatch, task, shots, short):
    from . import test_lm_backend

    monkeypatch.setattr(test_lm_backend, "MAX_DLL", MAX_DLL_REAL)
    ours, theirs = run_both(real_backends, task, shots, short)
    worst = assert_loglikelihoods_match(side_by_side(ours, theirs, task))
    for key, value in theirs.metrics.items():
        if key.startswith("acc"):
            assert ours.metrics[key] == value
        else:  # perplexities: exp of the mean |Δll|-close log-likelihoods
            assert ours.metrics[key] == pytest.approx(value, rel=MAX_DLL_REAL)
    print(f"real model {task}: max |Δll| {worst:.2e}")


def test_generations_match_hflm_on_the_real_model(real_backends):
    ours, theirs = run_both(real_backends, "pv_triviaqa", 1)
    pairs = side_by_side(ours, theirs, "pv_triviaqa")
    for a, b in pairs:
        assert a["resps"] == b["resps"] and a["filtered_resps"] == b["filtered_resps"]
        assert a["exact_match"] == b["exact_match"]
    assert all(a["resps"][0][0].strip() for a, _ in pairs)  # a real model answers something
    assert ours.metrics == theirs.metrics
    print("real model triviaqa generations:", [a["filtered_resps"][0] for a, _ in pairs])


def test_the_plain_path_matches_hflm_on_the_real_model(real_backends, monkeypatch):
    """The path of models the packed path is not checked for, on real weights: multiple choice (shared
    inputs run once) and generation."""
    from . import test_lm_backend

    monkeypatch.setattr(test_lm_backend, "MAX_DLL", MAX_DLL_REAL)
    ours, theirs = run_both(real_backends, "pv_sciq", 2, suffix="_plain")
    assert_loglikelihoods_match(side_by_side(ours, theirs, "pv_sciq"))
    assert ours.metrics == theirs.metrics
    ours, theirs = run_both(real_backends, "pv_triviaqa", 1, suffix="_plain")
    for a, b in side_by_side(ours, theirs, "pv_triviaqa"):
        assert a["resps"] == b["resps"] and a["exact_match"] == b["exact_match"]
