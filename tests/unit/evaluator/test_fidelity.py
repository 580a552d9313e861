"""Fidelity against lm-evaluation-harness itself: lm-eval's own task configs (its yaml and utils, only
the dataset pointed at our synthetic fixture files) run through lm-eval's HFLM, and the same tasks run
through our registry and engine, on the same tiny fp32 model:

- every prompt (context, continuation) string identical,
- every per-request log-likelihood within MAX_DLL (README.md, "Measured": the largest is 3.2e-5), greedy
  flags identical,
- every per-document score and the task-level value (and stderr) identical.

The other benchmarks have no hand-written task: their claims run lm-eval's own (`test_runner.py`,
`test_real_model.py`).
"""

from __future__ import annotations

import pytest

from services.evaluator.evaluation import run_task
from services.evaluator.tasks import registry
from services.evaluator.tasks.base import build_examples

from .conftest import DATA
from .lm_eval_tasks import lm_eval_names as names_of  # imports lm-eval: without it these tests fail, never skip
from .lm_eval_tasks import run_lm_eval as run_lm_eval_on

MAX_DLL = 4e-5  # per request, every case; measured at most 3.2e-5 (fp32 rounding differs a little by CPU)


def subsets(spec):
    return tuple(s for s in spec.subsets if (DATA / spec.folder / s).is_dir())


def lm_eval_names(key: str):
    return names_of(key, subsets(registry.get(key)))


def run_lm_eval(hflm, key: str, n_shot: int, limit: int | None):
    spec = registry.get(key)
    return run_lm_eval_on(hflm, key, DATA / spec.folder, subsets(spec), n_shot, limit)


CASES = [
    ("arc_easy", 0, "acc_norm"),
    ("arc_challenge", 3, "acc"),
    ("mmlu", 5, "acc"),
    ("mmlu", 0, "acc"),
    ("mmlu_cloze", 5, "acc_norm"),
]


@pytest.mark.parametrize(("key", "n_shot", "metric"), CASES, ids=[f"{k}-{n}shot" for k, n, _ in CASES])
def test_multiple_choice_matches_lm_eval(hflm, engine, data, key, n_shot, metric):
    spec = registry.get(key)
    formulation = spec.formulations["lm-eval"]
    results, samples = run_lm_eval(hflm, key, n_shot, None)
    ours = run_task(engine, data, spec, "lm-eval", n_shot, metric)

    records = {(r["subset"], r["doc_id"]): r for r in ours.records}
    worst = 0.0
    for subset, name in lm_eval_names(key):
        docs = [formulation.prepare(d) for d in data.rows(spec, spec.eval_split, subset)]
        pool = [formulation.prepare(d) for d in data.rows(spec, spec.fewshot_split, subset)] if n_shot else []
        examples = build_examples(spec, formulation, docs, pool, n_shot, subset=subset)
        assert len(samples[name]) == len(examples)
        for sample, example in zip(sorted(samples[name], key=lambda s: s["doc_id"]), examples):
            assert [tuple(a) for a in sample["arguments"]] == example.requests, f"prompt differs, doc {example.doc_id}"
            record = records[(subset, example.doc_id)]
            theirs = [resp[0] for resp in sample["resps"]]
            for (their_ll, their_greedy), our_ll, our_greedy in zip(theirs, record["ll"], record["greedy"]):
                worst = max(worst, abs(their_ll - our_ll))
                assert their_greedy == our_greedy
            for name_ in formulation.metrics:
                assert record[name_] == sample[name_], f"{name_} differs on doc {example.doc_id}"
    print(f"max |ll ours - lm-eval| {key}-{n_shot}: {worst:.2e}")
    assert worst <= MAX_DLL, f"{key} {n_shot}-shot: a request's log-likelihood differs by {worst:.2e}"

    if len(lm_eval_names(key)) == 1:
        expected = results[key][f"{metric},none"]
        expected_stderr = results[key][f"{metric}_stderr,none"]
    else:  # lm-eval's group aggregation (weight_by_size) over its per-subject results
        from lm_eval.api.metrics import aggregate_subtask_metrics, pooled_sample_stderr

        per = [results[name] for _, name in lm_eval_names(key)]
        sizes = [r["sample_len"] for r in per]
        expected = aggregate_subtask_metrics([r[f"{metric},none"] for r in per], sizes)
        expected_stderr = pooled_sample_stderr([r[f"{metric}_stderr,none"] for r in per], sizes)
    assert ours.value == pytest.approx(expected, abs=1e-12)
    assert ours.stderr == pytest.approx(expected_stderr, abs=1e-12)
    assert ours.examples == sum(len(samples[name]) for _, name in lm_eval_names(key))
