"""Our WMT15 fr-en and WMT14 en-de configs (`services/evaluator/lmeval_tasks/wmt/`): lm-eval's own WMT
translation task on another WMT year's data. Every field is lm-eval's but the name and the dataset; on
a data folder of sentence pairs in the datasets' schema (`fixtures/lmeval_tasks/data/wmt/`: its
`wmt15-fr-en/` and `wmt14-en-de/` folders feed the configs of those names) our backend and HFLM
generate the same translations and sacrebleu scores them the same."""

from __future__ import annotations

from typing import Any

import pytest

from services.evaluator.lm_backend import PaperverdictLM
from services.evaluator.lm_eval_catalog import LmEvalCatalog, LmEvalTaskInfo
from services.evaluator.lm_eval_runs import LM_EVAL_TASKS, OUR_TASKS, run_lm_eval_task

from .conftest import ROOT

DATA = ROOT / "fixtures" / "lmeval_tasks" / "data" / "wmt"

OURS = {"wmt15-fr-en": "wmt14_fr-en.yaml", "wmt14-en-de": "wmt16_en-de.yaml"}  # ours -> lm-eval's model


@pytest.mark.parametrize(("task", "model"), OURS.items())
def test_every_field_but_the_name_and_the_data_is_lm_evals(task: str, model: str) -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    theirs = load_yaml(LM_EVAL_TASKS / "translation" / model, resolve_func=False)
    ours = load_yaml(OUR_TASKS / "wmt" / f"{task}.yaml", resolve_func=False)
    differ = {"task", "tag", "dataset_path", "dataset_name", "include", "metadata"}
    assert {k: v for k, v in ours.items() if k not in differ} == {k: v for k, v in theirs.items() if k not in differ}
    assert ours["metadata"]["version"] == theirs["metadata"]["version"]
    year = task.split("-")[0]
    assert ours["dataset_path"] == f"wmt/{year}" and ours["dataset_name"] == theirs["dataset_name"]


@pytest.fixture(scope="module")
def catalog() -> LmEvalCatalog:
    return LmEvalCatalog(None, offline=True, data_dir=DATA)


@pytest.mark.parametrize("task", OURS)
def test_our_backend_translates_as_hflm_does(tiny: tuple[Any, Any], hflm: Any, catalog: LmEvalCatalog, task: str):
    info = catalog.describe(task)
    assert isinstance(info, LmEvalTaskInfo), info
    assert info.local_data and info.documents == 5 and "bleu,none" in info.metric_keys
    model, tokenizer = tiny
    ours = PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096)
    runs = [run_lm_eval_task(lm, task, 1, None, task_manager=catalog.manager) for lm in (ours, hflm)]
    pairs = list(zip(*(sorted(run.samples[task], key=lambda s: s["doc_id"]) for run in runs)))
    assert len(pairs) == 5
    for a, b in pairs:
        assert a["arguments"] == b["arguments"] and a["resps"] == b["resps"]
        assert a["filtered_resps"] == b["filtered_resps"]
    assert "phrase:" in pairs[0][0]["arguments"][0][0]  # lm-eval's GPT-3 prompt, one validation example
    assert runs[0].metrics == runs[1].metrics and set(runs[0].metrics) == {"bleu,none", "ter,none", "chrf,none"}
