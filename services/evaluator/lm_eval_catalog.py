"""What an lm-eval task is before it runs, read from lm-eval's task index alone (no dataset, no
model): its version, a hash of its definition, where its documents come from and their revision,
the metrics it reports and its default number of shots. The planner decides from this, and the
measurement-cache key is computed from it before anything is loaded.

Data: with the Hub on, a task reads its dataset through `datasets` (the revision its config pins,
else the commit `main` points to, asked once). With the Hub off (HF_HUB_OFFLINE or
HF_DATASETS_OFFLINE, as `make` and the tests set them, or PV_EVAL_OFFLINE) only the local task configs
of PV_EVAL_LMEVAL_INCLUDE_PATH are indexed, and a task runs only when every one of its documents is
a local file (`dataset_path: json|csv|parquet|text|arrow` with `data_files`, or a local folder):
anything else is refused with the reason before a model is loaded or the network is touched.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lm_eval

from services.evaluator.lm_eval_runs import LM_EVAL_TASKS, OUR_TASKS, task_paths
from shared.errors import UpstreamUnavailable

LOCAL_BUILDERS = frozenset({"json", "csv", "parquet", "text", "arrow"})
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
IFEVAL_TASKS = (LM_EVAL_TASKS / "ifeval").resolve()  # its scoring needs nltk's punkt_tab (nltk_data.py)


def hub_offline() -> bool:
    """The Hub is off for this process (as huggingface_hub and datasets read the same variables)."""
    return any(os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"} for name in OFFLINE_VARIABLES)


def go_offline() -> None:
    """Make `datasets` and huggingface_hub refuse the network for the rest of the process."""
    for name in OFFLINE_VARIABLES:
        os.environ[name] = "1"
    try:
        import datasets.config
        from huggingface_hub import constants

        datasets.config.HF_HUB_OFFLINE = True  # read at import time: already-imported modules need this
        constants.HF_HUB_OFFLINE = True
    except ImportError:  # pragma: no cover - both are dependencies of lm-eval
        pass


@dataclass(frozen=True)
class LmEvalTaskInfo:
    task: str
    version: str  # lm-eval's version of the task (a group: its own; members are in the config hash)
    config_hash: str  # sha256 of the definition (the task's and its members' configs, their utils)
    data_revision: str  # "local-sha256:<digest of the files>" or "<hub path>@<commit>[+...]"
    local_data: bool
    metric_keys: tuple[str, ...]  # lm-eval's result keys, "acc,none", "exact_match,strict-match"
    default_shots: int  # the config's num_fewshot, else 0 (lm-eval's default)
    output_type: str  # "multiple_choice", "generate_until", ...; "group" for a group
    documents: int | None  # evaluation documents, when the data is local JSON lines; else unknown
    leaves: tuple[str, ...]  # the tasks that run (the task itself, or a group's members)
    split: str  # the evaluation split (a group: its first member's)
    lm_eval_version: str = lm_eval.__version__
    no_fewshot: str | None = None  # why it runs 0-shot only here (a data folder without its few-shot split)


class LmEvalCatalog:
    """lm-eval's task index, built once on first use (all of lm-eval's tasks take ~7 s to index, the
    local configs alone a moment). `hub_revision(path)` gives a Hub dataset's current commit."""

    def __init__(
        self,
        include_path: Path | None,
        *,
        offline: bool,
        hub_revision: Callable[[str], str] | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.include_path = include_path
        self.data_dir = data_dir  # its task folders become configs (lm_eval_data_dir.py)
        self.data_dir_rejected: dict[str, str] = {}
        self.data_dir_no_fewshot: dict[str, str] = {}
        self.offline = offline
        self.hub_revision = hub_revision or _hub_commit
        self._index: dict[str, Any] | None = None
        self._manager: Any = None
        self._expanded: Path | None = None
        self._tmp: Any = None
        self._revisions: dict[str, str] = {}
        self._described: dict[str, LmEvalTaskInfo | str] = {}

    @property
    def index(self) -> dict[str, Any]:
        if self._index is None:
            import tempfile

            from lm_eval.tasks import TaskManager

            self._tmp = tempfile.TemporaryDirectory(prefix="pv-lmeval-catalog-")
            paths = task_paths(self.include_path, Path(self._tmp.name))
            if self.include_path is not None and len(paths) > 1:
                self._expanded = Path(paths[-1])
            if self.data_dir is not None:  # before the include path's configs, which win over them
                from services.evaluator.lm_eval_data_dir import write_data_dir_configs

                written = write_data_dir_configs(self.data_dir, Path(self._tmp.name) / "data-dir")
                self.data_dir_rejected, self.data_dir_no_fewshot = written.rejected, written.no_fewshot
                if written.folder is not None:
                    paths.insert(1, str(written.folder))
            self._manager = TaskManager(include_path=paths, include_defaults=not self.offline)
            self._index = dict(self._manager.task_index)
        return self._index

    @property
    def manager(self) -> Any:
        """lm-eval's TaskManager over the same configs (runs reuse it: no second indexing)."""
        self.index  # noqa: B018  (built on first use)
        return self._manager

    def describe(self, task: str) -> LmEvalTaskInfo | str:
        """The task's description, or why it cannot run here (one sentence)."""
        if task not in self._described:
            self._described[task] = self._describe(task)
        return self._described[task]

    def _describe(self, task: str) -> LmEvalTaskInfo | str:
        from lm_eval.tasks._index import Kind

        entry = self.index.get(task)
        if entry is None:
            if task in self.data_dir_rejected:
                return f"lm-eval task {task!r}: {self.data_dir_rejected[task]}"
            if self.offline:
                where = str(self.include_path) if self.include_path else "no folder is set"
                data = f"a {task}/ folder in {self.data_dir}" if self.data_dir else "PV_EVAL_DATA_DIR is not set"
                return (
                    f"lm-eval task {task!r} has no local data: the Hub is off and neither the local task configs "
                    f"(PV_EVAL_LMEVAL_INCLUDE_PATH: {where}) nor the data folder ({data}) define it"
                )
            return f"lm-eval {lm_eval.__version__} has no task {task!r}"
        if entry.kind == Kind.TAG:
            return f"{task!r} is an lm-eval tag (a list of tasks with no aggregate score), not one task"
        configs = dict(self._members(task))
        missing = [name for name, cfg in configs.items() if cfg is None]
        if missing:  # a member whose data folder was refused says why
            why = self.data_dir_rejected.get(missing[0])
            return f"lm-eval task {task!r}: member {missing[0]!r} " + (
                f"refused: {why}" if why else "is not in the task index"
            )
        leaves = tuple(name for name, cfg in configs.items() if "group" not in cfg)
        if not leaves:
            return f"lm-eval group {task!r} has no tasks"
        unsafe = [leaf for leaf in leaves if configs[leaf].get("unsafe_code")]
        if unsafe:
            sandboxed = ", ".join(sorted(p.stem for p in OUR_TASKS.glob("*.yaml")))
            return (
                f"lm-eval task {task!r} runs generated code inside the evaluating process ({unsafe[0]!r} sets "
                f"unsafe_code); code runs here only in our sandbox, whose tasks are {sandboxed}"
            )
        needs_punkt = [leaf for leaf in leaves if _uses_ifeval_scoring(configs[leaf])]
        if needs_punkt:
            from services.evaluator.nltk_data import missing_reason

            reason = missing_reason()
            if reason is not None:
                return f"lm-eval task {task!r}: {reason}"
        local = [_local_files(configs[leaf]) for leaf in leaves]
        if self.offline and any(files is None for files in local):
            remote = next(leaf for leaf, files in zip(leaves, local) if files is None)
            return (
                f"lm-eval task {task!r} reads {configs[remote].get('dataset_path')!r} from the Hugging Face Hub "
                "and the Hub is off; give it a local task config (PV_EVAL_LMEVAL_INCLUDE_PATH, see docs/evaluator.md)"
            )
        root = _with_class(entry.cfg or {})
        metric_keys = _metric_keys(root)
        if not metric_keys:
            return f"lm-eval group {task!r} reports no aggregate metric"
        first = configs[leaves[0]]
        try:
            data_revision = self._data_revision(leaves, configs, local)
        except LookupError as error:
            return f"lm-eval task {task!r}: {error}"
        return LmEvalTaskInfo(
            task=task,
            version=str((root.get("metadata") or {}).get("version", "")),
            config_hash=self._config_hash(configs),
            data_revision=data_revision,
            local_data=all(files is not None for files in local),
            metric_keys=metric_keys,
            default_shots=int(root.get("num_fewshot") or 0),
            output_type=str(root.get("output_type") or "group"),
            documents=_count_documents([configs[leaf] for leaf in leaves]),
            leaves=leaves,
            split=str(first.get("test_split") or first.get("validation_split") or ""),
            no_fewshot=self.data_dir_no_fewshot.get(task),
        )

    def _members(
        self, name: str, overrides: dict[str, Any] | None = None, inline: dict[str, Any] | None = None
    ) -> Iterator[tuple[str, Any]]:
        """(name, config) of the task and, for a group, of every member down to the tasks. `inline` is
        a group defined inside its parent's task list (mmlu_continuation's "stem"), not in the index."""
        from lm_eval.tasks._index import Kind

        entry = self.index.get(name)
        if inline is None and entry is not None and entry.kind == Kind.TAG:  # a member may name a tag
            for tagged in sorted(entry.tags):
                yield from self._members(tagged, overrides)
            return
        if inline is None and (entry is None or entry.cfg is None):
            yield name, None
            return
        cfg = {**(inline if inline is not None else _with_class(entry.cfg)), **(overrides or {})}
        if "group" not in cfg:
            yield name, cfg
            return
        yield name, cfg
        shared = {k: v for k, v in cfg.items() if k not in _GROUP_KEYS}
        for item in cfg.get("task") or []:
            if isinstance(item, str):
                yield from self._members(item, shared)
            elif isinstance(item, dict) and isinstance(item.get("task"), str):
                yield from self._members(item["task"], {**shared, **item})
            elif isinstance(item, dict) and isinstance(item.get("group"), str) and isinstance(item.get("task"), list):
                yield from self._members(item["group"], shared, inline=item)
            elif isinstance(item, dict) and isinstance(item.get("group"), str):
                yield from self._members(item["group"], {**shared, **item})

    def _config_hash(self, configs: dict[str, Any]) -> str:
        digest = hashlib.sha256()
        digest.update(json.dumps(self._portable(configs), sort_keys=True, default=str).encode())
        for source in sorted(_function_sources(configs)):
            digest.update(source.name.encode() + b"\0" + (source.read_bytes() if source.exists() else b""))
        return digest.hexdigest()

    def _portable(self, value: Any) -> Any:
        """Without this machine's paths (lm-eval's folder, the expanded local configs, data files)."""
        if isinstance(value, dict):
            return {k: self._portable(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._portable(v) for v in value]
        if isinstance(value, str):
            value = value.replace(str(LM_EVAL_TASKS), "${LM_EVAL_TASKS}").replace(str(OUR_TASKS), "${PV_TASKS}")
            if self._expanded is not None:
                value = value.replace(str(self._expanded), "${INCLUDE}")
            if self.include_path is not None:
                value = value.replace(str(self.include_path.resolve()), "${INCLUDE}")
            if self.data_dir is not None:
                value = value.replace(str(self.data_dir.resolve()), "${DATA_DIR}")
        return value

    def _data_revision(self, leaves: tuple[str, ...], configs: dict[str, Any], local: list[list[Path] | None]) -> str:
        """The local files' content digest and each Hub dataset's commit, joined by "+"."""
        parts = []
        files = sorted({p for found in local for p in found or []})
        if files:
            digest = hashlib.sha256()
            for path in files:
                digest.update(path.name.encode() + b"\0" + _file_digest(path).encode())
            parts.append(f"local-sha256:{digest.hexdigest()}")
        for leaf, found in zip(leaves, local):
            if found is not None:
                continue
            cfg = configs[leaf]
            dataset = str(cfg.get("dataset_path"))
            pinned = (cfg.get("dataset_kwargs") or {}).get("revision")
            if dataset not in self._revisions:
                self._revisions[dataset] = str(pinned) if pinned else self.hub_revision(dataset)
            parts.append(f"{dataset}@{self._revisions[dataset]}")
        return "+".join(sorted(set(parts)))


_GROUP_KEYS = frozenset({"group", "group_alias", "task", "aggregate_metric_list", "metadata", "tag"})


def _metric_keys(cfg: dict[str, Any]) -> tuple[str, ...]:
    """lm-eval's result keys for the task ("metric,filter"), or a group's aggregate metrics."""
    if "group" in cfg:
        aggregates = cfg.get("aggregate_metric_list") or []
        if isinstance(aggregates, dict):
            aggregates = [aggregates]
        keys = []
        for item in aggregates:
            filters = item.get("filter_list") or ["none"]
            for name in [filters] if isinstance(filters, str) else filters:
                keys.append(f"{item['metric']},{name}")
        return tuple(keys)
    metrics = [
        name for m in cfg.get("metric_list") or [] if isinstance(m.get("metric"), str) for name in _metric_names(m)
    ]
    if not metrics:  # lm-eval's defaults per output type
        metrics = {
            "multiple_choice": ["acc", "acc_norm"],
            "loglikelihood": ["perplexity", "acc"],
            "loglikelihood_rolling": ["word_perplexity", "byte_perplexity", "bits_per_byte"],
            "generate_until": ["exact_match"],
        }.get(str(cfg.get("output_type")), [])
    filters = [f["name"] for f in cfg.get("filter_list") or [] if isinstance(f, dict)] or ["none"]
    return tuple(f"{m},{f}" for f in filters for m in metrics)


def _with_class(cfg: dict[str, Any]) -> dict[str, Any]:
    """A Python task class's config (`class: !function task.SWDE`, unresolved in the index) with what
    the class itself declares: its dataset, generation output and its metrics (`higher_is_better`)."""
    source = cfg.get("class")
    if not isinstance(source, str) or "." not in source:
        return cfg
    return {**_class_declared(source), **cfg}


@functools.cache
def _class_declared(source: str) -> dict[str, Any]:
    module_path, class_name = source.rsplit(".", 1)
    spec = importlib.util.spec_from_file_location(f"pv_lmeval_class_{class_name}", f"{module_path}.py")
    if spec is None or spec.loader is None:
        return {}
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    task_class = getattr(module, class_name)
    return {
        "dataset_path": getattr(task_class, "DATASET_PATH", None),
        "dataset_name": getattr(task_class, "DATASET_NAME", None),
        "output_type": getattr(task_class, "OUTPUT_TYPE", None) or "generate_until",
        "metric_list": [{"metric": name} for name in task_class.higher_is_better(None)],
        "metadata": {"version": getattr(task_class, "VERSION", "")},
    }


def _metric_names(metric: dict[str, Any]) -> list[str]:
    """A metric's result names. A `!function` (unresolved in the index: '<folder>/module.name') is named
    after its function, except the code tasks' `pass_at_k`, which reports one "pass@k" per k."""
    name = str(metric["metric"])
    if not name.startswith("/"):
        return [name]
    function = name.rsplit(".", 1)[-1]
    ks = metric.get("k")
    if function == "pass_at_k" and ks:
        return [f"pass@{k}" for k in (ks if isinstance(ks, list) else [ks])]
    return [function]


def _local_files(cfg: dict[str, Any]) -> list[Path] | None:
    """The local files a task reads its documents from, or None when they come from the Hub."""
    path = cfg.get("dataset_path")
    if not isinstance(path, str):
        return None
    if path in LOCAL_BUILDERS:
        data_files = (cfg.get("dataset_kwargs") or {}).get("data_files")
        files = [Path(p) for p in _flatten(data_files)]
        return files if files and all(p.is_file() for p in files) else None
    folder = Path(path)
    if folder.is_absolute() and folder.is_dir():
        return sorted(p for p in folder.rglob("*") if p.is_file())
    return None


def _flatten(data_files: Any) -> list[str]:
    if isinstance(data_files, str):
        return [data_files]
    if isinstance(data_files, list):
        return [p for item in data_files for p in _flatten(item)]
    if isinstance(data_files, dict):
        return [p for item in data_files.values() for p in _flatten(item)]
    return []


def _count_documents(configs: list[dict[str, Any]]) -> int | None:
    """Documents in the evaluation split of local JSON-lines data (the whole group); None if unknown."""
    total = 0
    for cfg in configs:
        split = cfg.get("test_split") or cfg.get("validation_split")
        data_files = (cfg.get("dataset_kwargs") or {}).get("data_files")
        if cfg.get("dataset_path") != "json" or not isinstance(data_files, dict) or split not in data_files:
            return None
        if cfg.get("process_docs"):  # documents may be filtered or expanded: the file does not say
            return None
        for name in _flatten(data_files[split]):
            path = Path(name)
            if not path.is_file() or not path.name.endswith(".jsonl"):
                return None
            with path.open(encoding="utf-8") as handle:
                total += sum(1 for line in handle if line.strip())
    return total


def _function_sources(value: Any) -> set[Path]:
    """The Python files a config's `!function module.name` entries come from (unresolved in the index
    as '<folder>/module.name')."""
    found: set[Path] = set()
    if isinstance(value, dict):
        for item in value.values():
            found |= _function_sources(item)
    elif isinstance(value, list):
        for item in value:
            found |= _function_sources(item)
    elif isinstance(value, str) and value.startswith("/") and len(value) < 1024 and not any(c.isspace() for c in value):
        folder, _, name = value.rpartition("/")
        module = Path(folder) / (name.rsplit(".", 1)[0] + ".py")
        if "." in name and module.is_file():
            found.add(module)
    return found


def _uses_ifeval_scoring(cfg: dict[str, Any]) -> bool:
    """Whether the config scores with lm-eval's IFEval instruction checks (nltk's punkt_tab)."""
    return any(path.resolve().is_relative_to(IFEVAL_TASKS) for path in _function_sources(cfg))


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hub_commit(path: str) -> str:
    """The commit `main` of a Hub dataset points to; LookupError when there is no such dataset, and
    UpstreamUnavailable when the Hub cannot be reached (the consumer waits for it)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        return HfApi().dataset_info(path, revision="main").sha or "main"
    except RepositoryNotFoundError as error:
        raise LookupError(f"the Hugging Face Hub has no dataset {path!r}") from error
    except (HfHubHTTPError, OSError) as error:
        raise UpstreamUnavailable("huggingface-hub", f"dataset {path!r}: {error}") from error
