"""A data folder of subject folders (`mmlu/<subject>/`) as lm-eval's groups (`lm_eval_data_groups.py`):
the group keeps lm-eval's structure over the subjects present, never another dataset's group with the
same subject names, and one unusable subject file costs the group with the file named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from services.evaluator.lm_eval_catalog import LmEvalCatalog, LmEvalTaskInfo
from services.evaluator.lm_eval_data_dir import write_data_dir_configs
from services.evaluator.lm_eval_data_groups import group_tree

from .conftest import DATA

SUBJECTS = ["abstract_algebra", "college_physics", "high_school_biology", "world_religions"]


def mmlu_folder(tmp_path: Path, subjects: list[str] = SUBJECTS) -> Path:
    root = tmp_path / "data"
    for subject in subjects:
        shutil.copytree(DATA / "mmlu" / subject, root / "mmlu" / subject)
    return root


def test_the_group_keeps_lm_evals_structure_over_the_subjects_present():
    tree = group_tree("mmlu", set(SUBJECTS))
    assert tree is not None
    # three STEM subjects and one humanities one: the other two categories are left out
    assert tree.configs["mmlu"]["task"] == ["mmlu_stem", "mmlu_humanities"]
    assert tree.configs["mmlu_stem"]["task"] == [
        "mmlu_abstract_algebra",
        "mmlu_college_physics",
        "mmlu_high_school_biology",
    ]
    assert tree.configs["mmlu"]["aggregate_metric_list"] == [{"metric": "acc", "weight_by_size": True}]
    inline = group_tree("mmlu_continuation", {"world_religions"})
    assert inline is not None and list(inline.leaves) == ["mmlu_world_religions_continuation"]
    [humanities] = inline.configs["mmlu_continuation"]["task"]  # lm-eval's inline sub-groups, filtered
    assert humanities["group"] == "humanities" and humanities["task"] == ["mmlu_world_religions_continuation"]
    assert group_tree("mmlu", {"no_such_subject"}) is None
    assert group_tree("no_such_group", set(SUBJECTS)) is None


def test_a_subject_folder_feeds_lm_evals_mmlu_groups_and_nothing_of_another_dataset(tmp_path):
    written = write_data_dir_configs(mmlu_folder(tmp_path), tmp_path / "configs")
    assert written.folder is not None and not written.rejected
    names = {path.stem for path in written.folder.glob("*.yaml")}
    assert {"mmlu", "mmlu_stem", "mmlu_humanities", "mmlu_continuation", "mmlu_world_religions"} <= names
    cloze = yaml.safe_load((written.folder / "mmlu_cloze.yaml").read_text())  # ours, over lm-eval's tasks
    assert cloze["task"] == [f"mmlu_{s}_continuation" for s in SUBJECTS]  # its tags, the subjects present
    assert not any(name.startswith("mmlu_redux") for name in names)  # edinburgh-dlp/mmlu-redux: not this data
    leaf = yaml.safe_load((written.folder / "mmlu_world_religions.yaml").read_text())
    assert leaf["dataset_path"] == "json" and set(leaf["dataset_kwargs"]["data_files"]) == {"dev", "test"}
    catalog = LmEvalCatalog(None, offline=True, data_dir=tmp_path / "data")
    info = catalog.describe("mmlu")
    assert isinstance(info, LmEvalTaskInfo), info
    assert info.local_data and info.documents == 62 and info.output_type == "group"
    assert info.leaves == tuple(f"mmlu_{s}" for s in SUBJECTS)
    assert info.data_revision.startswith("local-sha256:")
    moved = LmEvalCatalog(None, offline=True, data_dir=mmlu_folder(tmp_path / "c")).describe("mmlu")
    assert (moved.config_hash, moved.data_revision) == (info.config_hash, info.data_revision)  # no paths in them
    fewer = LmEvalCatalog(None, offline=True, data_dir=mmlu_folder(tmp_path / "b", SUBJECTS[:2])).describe("mmlu")
    assert isinstance(fewer, LmEvalTaskInfo) and fewer.documents < 62 and fewer.config_hash != info.config_hash


def test_a_broken_subject_file_costs_the_group_with_the_file_named(tmp_path):
    root = mmlu_folder(tmp_path)
    (root / "mmlu" / "college_physics" / "test.jsonl").write_text('{"question": "ok"}\n' + "[" * 100_000 + "\n")
    catalog = LmEvalCatalog(None, offline=True, data_dir=root)
    reason = catalog.describe("mmlu")
    assert isinstance(reason, str)
    assert "mmlu (from mmlu/): task data mmlu_college_physics: test.jsonl cannot be read" in reason
    assert isinstance(catalog.describe("mmlu_world_religions"), LmEvalTaskInfo)  # the other subjects still run


def test_subjects_without_their_dev_split_run_the_group_zero_shot_only(tmp_path):
    root = mmlu_folder(tmp_path)
    (root / "mmlu" / "world_religions" / "dev.jsonl").unlink()
    info = LmEvalCatalog(None, offline=True, data_dir=root).describe("mmlu")
    assert isinstance(info, LmEvalTaskInfo)
    assert info.no_fewshot is not None and "'dev' split" in info.no_fewshot and "0-shot only" in info.no_fewshot


@pytest.mark.parametrize("task", ["arc", "lighteval_arc"])
def test_the_papers_arc_mean_reads_the_two_arc_folders(task):
    info = LmEvalCatalog(None, offline=True, data_dir=DATA).describe(task)
    assert isinstance(info, LmEvalTaskInfo), info
    assert info.documents == 100 and len(info.leaves) == 2 and info.metric_keys[0] == "acc_norm,none"
