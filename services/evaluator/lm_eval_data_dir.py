"""A local data folder (PV_EVAL_DATA_DIR) as lm-eval task configs: a sub-folder named after an lm-eval
task (`gsm8k/`, `sciq/`), holding its splits as `<split>.jsonl` rows in the dataset's own schema,
becomes a config of that task name that `include`s lm-eval's own definition and reads those files.
The task then runs offline with lm-eval's prompts, few-shot rules, filters and metrics, and a claim
naming it (`protocol.task`) finds it under its usual name. Our own task configs that name a folder
(`metadata.data_folder`: the lighteval formulations, `lmeval_tasks/lighteval/`) are fed the same way;
a folder of subject folders (`mmlu/<subject>/test.jsonl`) gives each split as all subjects' files.

Each file is parsed first in a limited child process (`vetting.vet_jsonl_files`, as the hand-written
tasks read theirs): a file that is not JSON lines, or too large, costs its task only, with the reason.
lm-eval's groups (MMLU) are not built from folders; give them a config of their own
(PV_EVAL_LMEVAL_INCLUDE_PATH).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from services.evaluator import vetting
from services.evaluator.lm_eval_runs import LM_EVAL_TASKS, OUR_TASKS

TASK_LINE = re.compile(r"^task:[ \t]*['\"]?([\w\-.]+)['\"]?[ \t]*$", re.M)
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
    for path in sorted(LM_EVAL_TASKS.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "task:" in text:
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
    """Configs for every task a folder of `data_dir` feeds, written under `dest` (a folder lm-eval indexes)."""
    written = False
    rejected: dict[str, str] = {}
    no_fewshot: dict[str, str] = {}
    candidates: list[tuple[str, Path, dict[str, list[Path]]]] = []
    absent: dict[str, dict[str, None]] = {}  # splits the config names and the folder lacks: unset
    folders = sorted(p for p in data_dir.iterdir() if p.is_dir()) if data_dir.is_dir() else []
    for folder in folders:
        own = task_definition(folder.name)
        fed = ([(folder.name, *own)] if own else []) + list(folder_fed_tasks().get(folder.name, ()))
        splits = split_files(folder) if fed else {}
        for name, source, cfg in fed:
            evaluated = cfg.get("test_split") or cfg.get("validation_split")
            if evaluated not in splits:
                rejected[name] = (
                    f"{name} is evaluated on its {evaluated!r} split, which {folder} does not have "
                    f"(it has: {', '.join(splits) or 'none'})"
                )
                continue
            candidates.append((name, source, splits))
            missing = fewshot_source(cfg)
            if missing is not None and missing not in splits:
                no_fewshot[name] = (
                    f"{name} draws few-shot examples from its {missing!r} split, which {folder} "
                    "does not have: it runs 0-shot only here"
                )
            absent[name] = {key: None for key in SPLIT_KEYS if cfg.get(key) and cfg[key] not in splits}
    every = sorted({path for _, _, splits in candidates for paths in splits.values() for path in paths})
    reasons = vetting.vet_jsonl_files(every)
    for name, source, splits in candidates:
        bad = [reasons[path] for paths in splits.values() for path in paths if path in reasons]
        if bad:
            rejected[name] = f"task data {name}: {bad[0]}"
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
            **absent[name],
        }
        dest.mkdir(parents=True, exist_ok=True)
        (dest / f"{name}.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        written = True
    return DataDirConfigs(dest if written else None, rejected, no_fewshot)


def fewshot_source(cfg: dict[str, Any]) -> str | None:
    """The split lm-eval draws few-shot examples from (None: the config lists its own examples)."""
    if ((cfg.get("fewshot_config") or {}).get("samples")) is not None:
        return None
    return next((str(cfg[key]) for key in SPLIT_KEYS if cfg.get(key)), None)
