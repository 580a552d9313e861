"""A local data folder (PV_EVAL_DATA_DIR) as lm-eval task configs: a sub-folder named after an lm-eval
task (`gsm8k/`, `sciq/`), holding its splits as `<split>.jsonl` rows in the dataset's own schema,
becomes a config of that task name that `include`s lm-eval's own definition and reads those files.
The task then runs offline with lm-eval's prompts, few-shot rules, filters and metrics, and a claim
naming it (`protocol.task`) finds it under its usual name. Our own task configs that name a folder
(`metadata.data_folder`: the lighteval formulations, `lmeval_tasks/lighteval/`) are fed the same way;
a folder of subject folders (`mmlu/<subject>/test.jsonl`) gives each split as all subjects' files.

Each file is parsed first in a limited child process (`vetting.vet_jsonl_files`): a file that is not
JSON lines, or too large, costs its task only, with the reason. lm-eval's groups over subject folders
(its `mmlu`) are built by `lm_eval_data_groups.py`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from services.evaluator import vetting
from services.evaluator.lm_eval_data_groups import GroupTree, group_tree, yaml_texts
from services.evaluator.lm_eval_runs import LM_EVAL_TASKS, OUR_TASKS
from shared.benchmarks import LM_EVAL

TASK_LINE = re.compile(r"^['\"]?task['\"]?:[ \t]*['\"]?([\w\-.]+)['\"]?[ \t]*$", re.M)
SPLIT_KEYS = ("fewshot_split", "training_split", "validation_split", "test_split")  # lm-eval's few-shot order


@dataclass
class DataDirConfigs:
    folder: Path | None  # the written configs (None: no folder of the data dir feeds a task)
    rejected: dict[str, str] = field(default_factory=dict)  # task -> why its folder was not used
    no_fewshot: dict[str, str] = field(default_factory=dict)  # task -> why it runs 0-shot only here


@functools.lru_cache(maxsize=1)
def lm_eval_task_files() -> dict[str, Path]:
    """lm-eval's task name -> the YAML file whose `task:` names it (the first, in path order)."""
    found: dict[str, Path] = {}
    for path, text in yaml_texts():  # read once, with the group scan's
        if "task" in text and path.is_relative_to(LM_EVAL_TASKS):
            for match in TASK_LINE.finditer(text):
                found.setdefault(match.group(1), path)
    return found


def task_definition(name: str) -> tuple[Path, dict[str, Any]] | None:
    """lm-eval's YAML for task `name` and its config with includes resolved; None for a group, a
    Python-class task or an unknown name."""
    from lm_eval.tasks._yaml_loader import load_yaml

    source = lm_eval_task_files().get(name)
    if source is None:
        return None
    try:
        cfg = load_yaml(source, resolve_func=False)
    except Exception:  # noqa: BLE001 - a config lm-eval itself could not load is no task of ours
        return None
    if cfg.get("task") != name or "group" in cfg or "class" in cfg:
        return None
    return source, cfg


@functools.lru_cache(maxsize=1)
def folder_fed_tasks() -> dict[str, tuple[tuple[str, Path, dict[str, Any]], ...]]:
    """Our task configs by the data folder their `metadata.data_folder` names: folder -> (name, file, config)."""
    from lm_eval.tasks._yaml_loader import load_yaml

    fed: dict[str, list[tuple[str, Path, dict[str, Any]]]] = {}
    for path in sorted(OUR_TASKS.rglob("*.yaml")):
        cfg = load_yaml(path, resolve_func=False)
        folder = (cfg.get("metadata") or {}).get("data_folder")
        if folder and isinstance(cfg.get("task"), str):
            fed.setdefault(str(folder), []).append((cfg["task"], path, cfg))
    return {folder: tuple(tasks) for folder, tasks in fed.items()}


def split_files(folder: Path) -> dict[str, list[Path]]:
    """`<split>.jsonl` of the folder, else of its sub-folders (one per subject, in name order)."""
    files = {path.stem: [path.resolve()] for path in sorted(folder.glob("*.jsonl"))}
    if files:
        return files
    nested: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*/*.jsonl")):
        nested.setdefault(path.stem, []).append(path.resolve())
    return nested


def write_data_dir_configs(data_dir: Path, dest: Path) -> DataDirConfigs:
    """Configs for every task a folder of `data_dir` feeds, written under `dest` (a folder lm-eval
    indexes): tasks named after a folder, our configs naming it, and lm-eval's groups over a folder
    of subject folders (`lm_eval_data_groups.py`)."""
    found = DataDirConfigs(None)
    candidates: dict[str, tuple[Path, dict[str, list[Path]], dict[str, None]]] = {}
    groups: dict[str, tuple[GroupTree, Path]] = {}
    folders = sorted(p for p in data_dir.iterdir() if p.is_dir()) if data_dir.is_dir() else []
    for folder in folders:
        own = task_definition(folder.name)
        fed = ([(folder.name, *own)] if own else []) + list(folder_fed_tasks().get(folder.name, ()))
        splits = split_files(folder) if fed else {}
        for name, source, cfg in fed:
            _candidate(name, source, cfg, folder, splits, found, candidates)
        subjects = {p.name: p for p in folder.iterdir() if p.is_dir() and any(p.glob("*.jsonl"))}
        dataset = None  # the folder's dataset: that of the group named after it (cais/mmlu)
        for name in _group_names(folder.name) if subjects else ():
            tree = group_tree(name, set(subjects))
            sources = tree.leaves if tree is not None else {}
            datasets = {str(cfg.get("dataset_path")) for _, cfg in sources.values()}
            dataset = dataset or (datasets.pop() if len(datasets) == 1 and name == folder.name else None)
            if tree is None or dataset is None or datasets - {dataset}:
                continue  # a group over another dataset with the same subject names (mmlu_redux)
            groups[name] = (tree, folder)
            for leaf, (source, cfg) in sources.items():
                subject = subjects[str(cfg.get("dataset_name"))]
                _candidate(leaf, source, cfg, subject, split_files(subject), found, candidates)
    every = sorted({path for _, splits, _ in candidates.values() for paths in splits.values() for path in paths})
    reasons = vetting.vet_jsonl_files(every)
    for name, (source, splits, absent) in candidates.items():
        bad = [reasons[path] for paths in splits.values() for path in paths if path in reasons]
        if bad:
            found.rejected[name] = f"task data {name}: {bad[0]}"
            continue
        data_files = {
            split: [str(p) for p in paths] if len(paths) > 1 else str(paths[0]) for split, paths in splits.items()
        }
        config = {
            "include": str(source),
            "task": name,
            "dataset_path": "json",
            "dataset_name": None,
            "dataset_kwargs": {"data_files": data_files},
            **absent,
        }
        _write(dest, name, config, found)
    for name, (tree, folder) in groups.items():
        leaves = list(tree.leaves)
        refused = next((found.rejected[leaf] for leaf in leaves if leaf in found.rejected), None)
        if refused is not None:  # a subject's data is unusable: not the group without it
            found.rejected[name] = f"{name} (from {folder.name}/): {refused}"
            continue
        zero_shot = next((found.no_fewshot[leaf] for leaf in leaves if leaf in found.no_fewshot), None)
        if zero_shot is not None:
            found.no_fewshot[name] = zero_shot
        for group, config in tree.configs.items():
            _write(dest, group, config, found)
    return found


def _candidate(
    name: str,
    source: Path,
    cfg: dict[str, Any],
    folder: Path,
    splits: dict[str, list[Path]],
    found: DataDirConfigs,
    candidates: dict[str, tuple[Path, dict[str, list[Path]], dict[str, None]]],
) -> None:
    """Task `name` read from `folder`'s split files, or the reason it cannot be (in `found`)."""
    evaluated = cfg.get("test_split") or cfg.get("validation_split")
    if evaluated not in splits:
        found.rejected[name] = (
            f"{name} is evaluated on its {evaluated!r} split, which {folder} does not have "
            f"(it has: {', '.join(splits) or 'none'})"
        )
        return
    missing = fewshot_source(cfg)
    if missing is not None and missing not in splits:
        found.no_fewshot[name] = (
            f"{name} draws few-shot examples from its {missing!r} split, which {folder} "
            "does not have: it runs 0-shot only here"
        )
    absent: dict[str, None] = {key: None for key in SPLIT_KEYS if cfg.get(key) and cfg[key] not in splits}
    candidates[name] = (source, splits, absent)


def _group_names(folder: str) -> list[str]:
    """The groups a folder of subject folders may feed: lm-eval's group of its name and those the
    printed-benchmark map names under it."""
    mapped = {v.task for family in LM_EVAL.values() for v in family.variants if v.task.startswith(folder + "_")}
    return [folder, *sorted(mapped)]


def _write(dest: Path, name: str, config: dict[str, Any], found: DataDirConfigs) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{name}.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    found.folder = dest


def fewshot_source(cfg: dict[str, Any]) -> str | None:
    """The split lm-eval draws few-shot examples from (None: the config lists its own examples)."""
    if ((cfg.get("fewshot_config") or {}).get("samples")) is not None:
        return None
    return next((str(cfg[key]) for key in SPLIT_KEYS if cfg.get(key)), None)
