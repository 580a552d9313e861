"""LmEvalCatalog: what an lm-eval task is before it runs (no dataset, no model), offline as the
tests run: only local task configs, and a reason for everything else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.evaluator.lm_eval_catalog import LmEvalCatalog, LmEvalTaskInfo
from services.evaluator.lm_eval_runs import OUR_TASKS

from .conftest import ROOT

FIXTURES = ROOT / "fixtures" / "lmeval_tasks"


def copy_of_fixtures(where: Path) -> Path:
    target = where / "lmeval_tasks"
    shutil.copytree(FIXTURES, target)
    return target


def test_local_configs_are_described_without_loading_data():
    info = LmEvalCatalog(FIXTURES, offline=True).describe("pv_gsm8k")
    assert isinstance(info, LmEvalTaskInfo) and info.local_data
    assert (info.version, info.default_shots, info.output_type, info.split, info.documents) == (
        "3.0",
        5,
        "generate_until",
        "test",
        sum(1 for line in (ROOT / "fixtures/data/gsm8k/test.jsonl").read_text().splitlines() if line.strip()),
    )
    assert info.metric_keys == ("exact_match,strict-match", "exact_match,flexible-extract")
    assert info.data_revision.startswith("local-sha256:") and len(info.config_hash) == 64


def test_a_run_indexes_only_the_local_configs_when_they_define_the_task_whole(tmp_path):
    """`eval lmeval` skips indexing lm-eval's ~14,000 configs when the local ones suffice."""
    from services.evaluator.lm_eval_runs import local_catalog

    local = local_catalog(FIXTURES, "pv_gsm8k")
    assert local is not None and "pv_gsm8k" in local.manager.all_tasks and "sciq" not in local.manager.all_tasks
    assert local_catalog(FIXTURES, "truthfulqa_mc2") is None  # lm-eval's own: the whole index
    assert local_catalog(None, "pv_gsm8k") is None
    (tmp_path / "pair.yaml").write_text("group: pair\ntask: [pv_gsm8k, sciq]\nmetadata:\n  version: 1.0\n")
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    assert local_catalog(tmp_path, "pair") is None  # a member only lm-eval's index has


def test_offline_every_other_task_is_refused_with_the_reason():
    catalog = LmEvalCatalog(FIXTURES, offline=True)
    reason = catalog.describe("truthfulqa_mc2")
    assert isinstance(reason, str) and "no local data" in reason and "PV_EVAL_LMEVAL_INCLUDE_PATH" in reason
    assert "tag" in catalog.describe("pv_fixture_tasks")
    nothing = LmEvalCatalog(None, offline=True)
    ours = {"humaneval", "humaneval_plus", "mbpp", "mbpp_plus", "lighteval", "lighteval_arc"}  # and a tag
    ours |= {"arc", "mmlu_cloze", "wmt15-fr-en", "wmt14-en-de", "squadv2"}  # ours over lm-eval's tasks
    ours |= {f"lighteval_{name}" for name in ("arc_easy", "arc_challenge", "hellaswag", "winogrande", "piqa")}
    ours |= {f"lighteval_{name}" for name in ("openbookqa", "commonsense_qa", "mmlu_mc", "mmlu_cf")}
    assert "no folder is set" in nothing.describe("sciq") and set(nothing.index) == ours
    assert "from the Hugging Face Hub and the Hub is off" in nothing.describe("humaneval")  # ours, Hub data
    assert "'Rowan/hellaswag' from the Hugging Face Hub" in nothing.describe("lighteval_hellaswag")


@pytest.fixture(scope="module")
def online():
    """All of lm-eval's tasks as an online evaluator sees them (Hub commits stubbed: nothing is fetched)."""
    return LmEvalCatalog(None, offline=False, hub_revision=lambda dataset: "rev")


def test_our_code_tasks_override_lm_evals_own(online):
    """Online, `humaneval` and `mbpp` are our sandboxed configs, never lm-eval's in-process code_eval."""
    for task in ("humaneval", "humaneval_plus", "mbpp", "mbpp_plus"):
        assert online.index[task].yaml_path.parent == OUR_TASKS, task
        assert online.manager.task_index[task].yaml_path.parent == OUR_TASKS
        assert isinstance(online.describe(task), LmEvalTaskInfo), task
    # lm-eval's other code tasks execute in-process: refused before any model loads
    reason = online.describe("cruxeval_input")
    assert isinstance(reason, str) and "runs generated code inside the evaluating process" in reason
    assert "humaneval, humaneval_plus, mbpp, mbpp_plus" in reason


@pytest.mark.parametrize(
    ("task", "keys", "leaves", "data"),
    [  # groups nesting inline groups (mmlu_continuation's "stem"), and Python task classes (swde, fda)
        ("mmlu_continuation", ("acc,none",), 57, "cais/mmlu@rev"),
        ("mmlu_redux_generative", ("exact_match,default",), 57, "fxmarty/mmlu-redux-2.0-ok@rev"),
        ("swde", ("contains,none",), 1, "hazyresearch/based-swde-v2@rev"),
        ("fda", ("contains,none",), 1, "hazyresearch/based-fda@rev"),
    ],
)
def test_nested_groups_and_task_classes_are_described(online, task, keys, leaves, data):
    info = online.describe(task)
    assert isinstance(info, LmEvalTaskInfo), info
    assert (info.metric_keys, len(info.leaves), info.data_revision) == (keys, leaves, data)
    assert len(info.config_hash) == 64 and info.version


def test_a_local_config_reading_the_hub_is_refused_offline(tmp_path):
    (tmp_path / "hub_sciq.yaml").write_text("include: ${LM_EVAL_TASKS}/sciq/sciq.yaml\ntask: hub_sciq\n")
    reason = LmEvalCatalog(tmp_path, offline=True).describe("hub_sciq")
    assert isinstance(reason, str) and "'allenai/sciq' from the Hugging Face Hub and the Hub is off" in reason


def test_hashes_are_portable_and_follow_the_definition_and_the_data(tmp_path):
    here = LmEvalCatalog(FIXTURES, offline=True).describe("pv_sciq")
    copied = copy_of_fixtures(tmp_path / "a")
    there = LmEvalCatalog(copied, offline=True).describe("pv_sciq")
    assert isinstance(here, LmEvalTaskInfo) and isinstance(there, LmEvalTaskInfo)
    assert (here.config_hash, here.data_revision) == (there.config_hash, there.data_revision)
    yaml = copied / "pv_sciq.yaml"
    yaml.write_text(yaml.read_text() + "num_fewshot: 2\n")
    (copied / "data/sciq/test.jsonl").write_text((copied / "data/sciq/test.jsonl").read_text().splitlines()[0] + "\n")
    changed = LmEvalCatalog(copied, offline=True).describe("pv_sciq")
    assert isinstance(changed, LmEvalTaskInfo)
    assert changed.config_hash != here.config_hash and changed.default_shots == 2
    assert changed.data_revision != here.data_revision and changed.documents == 1


def test_a_data_folder_makes_lm_evals_own_task_local_and_portable(tmp_path):
    """`PV_EVAL_DATA_DIR/gsm8k/` becomes lm-eval's gsm8k on those files (the same name, lm-eval's own
    definition), hashed without this machine's paths; a folder that is not an lm-eval task adds
    nothing (a folder of subject folders gives lm-eval's groups: `test_lm_eval_data_groups.py`)."""
    for where in ("a", "b"):
        shutil.copytree(ROOT / "fixtures" / "data" / "gsm8k", tmp_path / where / "gsm8k")
        (tmp_path / where / "not_a_task").mkdir()
        (tmp_path / where / "not_a_task" / "test.jsonl").write_text('{"x": 1}\n')
    shutil.copytree(ROOT / "fixtures" / "data" / "mmlu", tmp_path / "a" / "mmlu")
    catalog = LmEvalCatalog(None, offline=True, data_dir=tmp_path / "a")
    here, there = (
        catalog.describe("gsm8k"),
        LmEvalCatalog(None, offline=True, data_dir=tmp_path / "b").describe("gsm8k"),
    )
    assert isinstance(here, LmEvalTaskInfo) and isinstance(there, LmEvalTaskInfo)
    assert (here.local_data, here.documents, here.default_shots, here.split, here.no_fewshot) == (
        True,
        40,
        5,
        "test",
        None,
    )
    assert here.metric_keys == ("exact_match,strict-match", "exact_match,flexible-extract")
    assert (here.config_hash, here.data_revision) == (there.config_hash, there.data_revision)
    assert str(tmp_path) not in json.dumps(catalog._portable(dict(catalog._members("gsm8k"))), default=str)
    assert "nor the data folder (a not_a_task/ folder in" in catalog.describe("not_a_task")
    (tmp_path / "b" / "gsm8k" / "train.jsonl").unlink()
    lacking = LmEvalCatalog(None, offline=True, data_dir=tmp_path / "b").describe("gsm8k")
    assert isinstance(lacking, LmEvalTaskInfo) and "from its 'train' split" in (lacking.no_fewshot or "")
    assert lacking.data_revision != here.data_revision


def test_online_hub_data_records_the_datasets_commit(tmp_path):
    asked: list[str] = []

    def commit(path: str) -> str:
        asked.append(path)
        return "0123abcd"

    (tmp_path / "hub_sciq.yaml").write_text("include: ${LM_EVAL_TASKS}/sciq/sciq.yaml\ntask: hub_sciq\n")
    catalog = LmEvalCatalog(tmp_path, offline=False, hub_revision=commit)
    local = LmEvalCatalog(tmp_path, offline=True)
    catalog._index = local.index  # lm-eval's own ~15k tasks are not needed here (7 s to index)
    info = catalog.describe("hub_sciq")
    assert isinstance(info, LmEvalTaskInfo)
    assert (info.data_revision, info.local_data, info.documents) == ("allenai/sciq@0123abcd", False, None)
    catalog.describe("hub_sciq")
    assert asked == ["allenai/sciq"]  # asked once


@pytest.mark.parametrize("name", ["pv_lambada_openai", "pv_wikitext", "pv_triviaqa"])
def test_every_fixture_config_is_local(name):
    info = LmEvalCatalog(FIXTURES, offline=True).describe(name)
    assert isinstance(info, LmEvalTaskInfo) and info.local_data and info.documents
