"""The step before the hand-written mirrors can go (#18): lm-eval's own tasks run through our engine as
an lm-eval model (`PaperverdictLM`) reproduce what the mirrors (`services/evaluator/tasks/`) measure,
on the same documents and the same tiny fp32 model: the same per-document scores, the same task value
and stderr. Both paths use our engine, so the comparison is exact. The mirrors of GSM8K,
BoolQ, HellaSwag, WinoGrande, PIQA, OpenBookQA and CommonsenseQA went once this held for them (their
claims run lm-eval's own tasks); MMLU's and ARC's remain until a data folder gives lm-eval's MMLU
group and the papers' ARC mean."""

from __future__ import annotations

import pytest

from services.evaluator.evaluation import run_task
from services.evaluator.lm_backend import PaperverdictLM
from services.evaluator.tasks import registry

from .test_fidelity import lm_eval_names, run_lm_eval

CASES = [
    ("arc_easy", 0, "acc_norm"),
    ("arc_challenge", 3, "acc"),
    ("mmlu", 5, "acc"),
    ("mmlu_cloze", 5, "acc_norm"),
]


@pytest.fixture(scope="module")
def backend(tiny):
    model, tokenizer = tiny
    return PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096)


@pytest.mark.parametrize(("key", "n_shot", "metric"), CASES, ids=[f"{k}-{n}shot" for k, n, _ in CASES])
def test_lm_eval_path_reproduces_the_mirror(backend, engine, data, key, n_shot, metric):
    spec = registry.get(key)
    results, samples = run_lm_eval(backend, key, n_shot, None)
    mirror = run_task(engine, data, spec, "lm-eval", n_shot, metric)

    ours = {(r["subset"], r["doc_id"]): r[metric] for r in mirror.records}
    theirs = {(subset, s["doc_id"]): s[metric] for subset, name in lm_eval_names(key) for s in samples[name]}
    assert theirs == ours
    if len(lm_eval_names(key)) == 1:
        assert mirror.value == pytest.approx(results[key][f"{metric},none"], abs=1e-12)
        assert mirror.stderr == pytest.approx(results[key][f"{metric}_stderr,none"], abs=1e-12)
    assert mirror.examples == len(theirs)
