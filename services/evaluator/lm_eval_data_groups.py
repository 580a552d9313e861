"""lm-eval's groups over a folder of subject folders: `mmlu/<subject>/test.jsonl` feeds lm-eval's group
of the folder's name (`mmlu`) and the groups the printed-benchmark map names under it
(`mmlu_continuation`, `mmlu_stem`, our `mmlu_cloze`). Each of a group's tasks whose `dataset_name` is
a subject folder there becomes a local config, as any folder-fed task (`lm_eval_data_dir.py`); the
group is written again with those tasks only, its structure kept as its file defines it (sub-groups,
inline groups, aggregation, version). A tag in a group's task list becomes the list of its members
that are present. So the group's value and stderr are lm-eval's own aggregation over the subjects
the folder has."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.evaluator.lm_eval_runs import LM_EVAL_TASKS, OUR_TASKS

GROUP_LINE = re.compile(r"^['\"]?group['\"]?:[ \t]*['\"]?([\w\-.]+)['\"]?[ \t]*$", re.M)


@dataclass
class GroupTree:
    """A group as the folder feeds it: the group configs to write and the tasks they reach."""

    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # group name -> config
    leaves: dict[str, tuple[Path, dict[str, Any]]] = field(default_factory=dict)  # task -> lm-eval's file, config


@functools.lru_cache(maxsize=1)
def yaml_texts() -> tuple[tuple[Path, str], ...]:
    """lm-eval's task files, then ours, with their text (read once)."""
    paths = sorted(LM_EVAL_TASKS.rglob("*.yaml")) + sorted(OUR_TASKS.rglob("*.yaml"))
    return tuple((path, path.read_text(encoding="utf-8", errors="replace")) for path in paths)


@functools.lru_cache(maxsize=1)
def group_files() -> dict[str, Path]:
    """Group name -> the YAML file whose top-level `group:` names it (lm-eval's first, in path order)."""
    found: dict[str, Path] = {}
    for path, text in yaml_texts():
        if "group" in text:
            for match in GROUP_LINE.finditer(text):
                found.setdefault(match.group(1), path)
    return found


@functools.lru_cache(maxsize=256)
def tagged(tag: str) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The tasks whose `tag` names `tag`: name -> (file, config with includes resolved)."""
    from lm_eval.tasks._yaml_loader import load_yaml

    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path, text in yaml_texts():
        if tag not in text:
            continue
        try:
            cfg = load_yaml(path, resolve_func=False)
        except Exception:  # noqa: BLE001 - a config lm-eval itself could not load is no task of ours
            continue
        if isinstance(cfg.get("task"), str) and "group" not in cfg and tag in _tags(cfg):
            found.setdefault(cfg["task"], (path, cfg))
    return found


@functools.lru_cache(maxsize=64)
def tasks_beside(directory: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The task configs of one folder (includes resolved): name -> (file, config)."""
    from lm_eval.tasks._yaml_loader import load_yaml

    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            cfg = load_yaml(path, resolve_func=False)
        except Exception:  # noqa: BLE001 - a config lm-eval itself could not load is no task of ours
            continue
        if isinstance(cfg.get("task"), str) and "group" not in cfg and "class" not in cfg:
            found[cfg["task"]] = (path, cfg)
    return found


def group_tree(name: str, subjects: set[str]) -> GroupTree | None:
    """lm-eval's group `name` reduced to its tasks on `subjects` (their `dataset_name`); None when
    `name` is no lm-eval group or none of its tasks has a subject folder."""
    source = group_files().get(name)
    if source is None:
        return None
    tree = GroupTree()
    kept = _group(name, source, subjects, tree)
    return tree if kept and tree.leaves else None


def _group(name: str, source: Path, subjects: set[str], tree: GroupTree) -> bool:
    from lm_eval.tasks._yaml_loader import load_yaml

    cfg = load_yaml(source, resolve_func=False)
    if cfg.get("group") != name:
        return False
    members = _members(cfg.get("task") or [], source.parent, subjects, tree)
    if not members:
        return False
    tree.configs[name] = {**cfg, "task": members}
    return True


def _members(items: list[Any], directory: Path, subjects: set[str], tree: GroupTree) -> list[Any]:
    def here(found: dict[str, tuple[Path, dict[str, Any]]]) -> dict[str, tuple[Path, dict[str, Any]]]:
        return {task: entry for task, entry in sorted(found.items()) if str(entry[1].get("dataset_name")) in subjects}

    present = here(tasks_beside(directory))
    kept: list[Any] = []
    for item in items:
        if isinstance(item, str) and item in present:
            kept.append(item)
            tree.leaves[item] = present[item]
        elif isinstance(item, str) and item in group_files():
            if _group(item, group_files()[item], subjects, tree):
                kept.append(item)
        elif isinstance(item, str):  # a tag: its members present, in name order
            members = here(tagged(item))
            kept += members
            tree.leaves.update(members)
        elif isinstance(item, dict) and isinstance(item.get("task"), list):  # an inline group
            inner = _members(item["task"], directory, subjects, tree)
            if inner:
                kept.append({**item, "task": inner})
    return kept


def _tags(cfg: dict[str, Any]) -> list[str]:
    tag = cfg.get("tag") or []
    return [tag] if isinstance(tag, str) else list(tag)
