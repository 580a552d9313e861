"""Running any lm-eval task with lm-eval's own evaluator (`simple_evaluate`): its TaskManager builds
the task (prompts, few-shot sampling, filters, metrics) and our backend (`lm_backend.PaperverdictLM`)
or any other lm-eval model answers the requests.

Local task configs (`include_path`) may name lm-eval's installed task folder and their own folder
as `${LM_EVAL_TASKS}` and `${HERE}`: a config then `include`s lm-eval's real task and points its
dataset at local files (`fixtures/lmeval_tasks/`), portable across machines and virtualenvs.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lm_eval
from lm_eval.api.model import LM

LM_EVAL_TASKS = Path(lm_eval.__file__).parent / "tasks"
# our task configs, always indexed after lm-eval's so that they override it: humaneval and mbpp scored
# in the sandbox (lm-eval's own run generated code in-process and are never used)
OUR_TASKS = Path(__file__).parent / "lmeval_tasks"


class LmEvalTaskError(Exception):
    """The task cannot be run here; the message says why (unknown task, data not available offline)."""


@dataclass
class LmEvalRun:
    task: str
    n_shot: dict[str, int]
    metrics: dict[str, float]  # "metric,filter" -> value, lm-eval's keys
    stderrs: dict[str, float | None]  # "metric,filter" -> stderr; None where lm-eval reports N/A
    versions: dict[str, Any]
    config_hash: str  # sha256 of the resolved task configs, for the measurement cache key
    lm_eval_version: str
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # lm-eval's per-sample records
    model_id: str | None = None  # as a measurement records it (no local paths), when our loader loaded it
    model_revision: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "model_id": self.model_id,
            "model_revision": self.model_revision,
            "n_shot": self.n_shot,
            "metrics": self.metrics,
            "stderrs": self.stderrs,
            "versions": self.versions,
            "config_hash": self.config_hash,
            "lm_eval_version": self.lm_eval_version,
            "samples": {name: len(rows) for name, rows in self.samples.items()},
        }


def expand_include_path(source: Path, dest: Path) -> Path:
    """A copy of `source` whose YAML files have `${LM_EVAL_TASKS}` and `${HERE}` (the YAML's own
    folder in `source`, absolute) replaced; lm-eval then indexes the copy."""
    target = dest / "tasks"
    shutil.copytree(source, target)
    for path in target.rglob("*.yaml"):
        here = (source / path.relative_to(target)).parent.resolve()
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("${LM_EVAL_TASKS}", str(LM_EVAL_TASKS)).replace("${HERE}", str(here)), encoding="utf-8"
        )
    return target


def forget_task_modules() -> None:
    """Drops the task modules lm-eval loaded for `!function`s (it marks them with `__mtime__`), so the
    next run executes them afresh, as a new process would. Some keep state across runs otherwise:
    gpqa_main_n_shot shuffles choices with a module-level `random.Random(42)`, so a second run in the
    same process would ask other questions than the first, and than `lm_eval` on the command line."""
    for name, module in list(sys.modules.items()):
        if hasattr(module, "__mtime__") and (name.startswith("lm_eval.tasks.") or name.startswith("/")):
            del sys.modules[name]


@contextmanager
def uncached_transforms() -> Iterator[None]:
    """`datasets` without its cache of `map`/`filter` results while lm-eval builds a task, so every
    `process_docs` runs as in a fresh process on a fresh machine. A cached result would skip the
    function, and with it the draws a module-level RNG (gpqa_main_n_shot's) makes: the next split
    would then be shuffled from another state, and the questions would depend on what this
    machine's cache happened to hold."""
    import datasets

    was_enabled = datasets.is_caching_enabled()
    datasets.disable_caching()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_caching()


def seed_langdetect() -> None:
    """langdetect (IFEval's language checks) draws random numbers on every call unless its factory is
    seeded, so a borderline text could be detected differently on a re-run: seed it (0, langdetect's
    documented way to deterministic results) so a verdict is reproducible from what we store."""
    try:
        from langdetect import DetectorFactory
    except ImportError:  # without lm-eval[ifeval] no task detects languages
        return
    DetectorFactory.seed = 0


def local_catalog(include_path: Path | None, task_name: str) -> Any:
    """A catalog of the local configs alone (ours and `include_path`), when they define `task_name`
    with every member and its data local (`LmEvalCatalog.describe` offline); else None."""
    if include_path is None:
        return None
    from services.evaluator.lm_eval_catalog import LmEvalCatalog

    catalog = LmEvalCatalog(include_path, offline=True)
    return None if isinstance(catalog.describe(task_name), str) else catalog


def task_paths(include_path: Path | None, tmp: Path) -> list[str]:
    """The folders lm-eval indexes after its own: ours, then the expanded local configs (later wins)."""
    paths = [str(OUR_TASKS)]
    if include_path is not None and include_path.is_dir():
        paths.append(str(expand_include_path(include_path, tmp)))
    return paths


def run_lm_eval_task(
    model: str | LM,
    task_name: str,
    num_fewshot: int | None = None,
    limit: int | float | None = None,
    *,
    include_path: Path | None = None,
    include_defaults: bool = True,
    bootstrap_iters: int = 100_000,
    model_args: dict[str, Any] | None = None,
    apply_chat_template: bool = False,
    fewshot_as_multiturn: bool = False,
    system_instruction: str | None = None,
    select: Callable[[dict[str, int]], dict[str, list[int]]] | None = None,
    task_manager: Any = None,
) -> LmEvalRun:
    """One lm-eval task (or group) through `lm_eval.evaluator.simple_evaluate`, lm-eval's defaults
    otherwise (few-shot seed 1234, no chat template). `model` is a Hub id or model folder (loaded by
    our backend) or any lm-eval `LM` (HFLM, for side-by-side checks). `select(sizes)` picks the
    documents to run from each task's evaluation-document count (lm-eval's `samples`). A
    `task_manager` already built (`LmEvalCatalog.manager`) replaces include_path/include_defaults."""
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    with tempfile.TemporaryDirectory(prefix="pv-lmeval-") as tmp:
        manager = task_manager
        local = local_catalog(include_path, task_name) if manager is None and include_defaults else None
        if local is not None:  # the local configs define the task whole: lm-eval's ~14,000 need no indexing
            manager = local.manager
        elif manager is None:
            manager = TaskManager(include_path=task_paths(include_path, Path(tmp)), include_defaults=include_defaults)
        if task_name not in manager.all_tasks:
            near = difflib.get_close_matches(task_name, manager.all_tasks, n=5)
            hint = f"; close names: {', '.join(near)}" if near else ""
            raise LmEvalTaskError(f"lm-eval {lm_eval.__version__} has no task {task_name!r}{hint}")
        if not isinstance(model, LM):
            from services.evaluator.lm_backend import PaperverdictLM

            model = PaperverdictLM(pretrained=model, **(model_args or {}))
        try:
            seed_langdetect()
            with uncached_transforms():
                forget_task_modules()
                samples = None
                if select is not None:
                    samples = select(document_counts(manager, task_name))
                    forget_task_modules()  # counting the documents ran process_docs once already
                out = simple_evaluate(
                    model=model,
                    tasks=[task_name],
                    num_fewshot=num_fewshot,
                    limit=limit,
                    samples=samples,
                    task_manager=manager,
                    bootstrap_iters=bootstrap_iters,
                    log_samples=True,
                    apply_chat_template=apply_chat_template,
                    fewshot_as_multiturn=fewshot_as_multiturn,
                    system_instruction=system_instruction,
                )
        except (OSError, ConnectionError) as error:  # datasets' not-found / offline errors are OSErrors
            raise LmEvalTaskError(
                f"lm-eval task {task_name!r}: its dataset is not available on this machine "
                f"({type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}); "
                "point the task at local files with --include-path (see docs/evaluator.md)"
            ) from error
    if out is None:  # only on non-zero ranks
        raise LmEvalTaskError("lm-eval returned no results")
    run = _collect(task_name, out)
    loaded = getattr(model, "loaded", None)
    if loaded is not None:
        from services.evaluator.models import public_model_id

        run.model_id, run.model_revision = public_model_id(loaded.model_id), loaded.revision
    return run


def document_counts(manager: Any, task_name: str) -> dict[str, int]:
    """Evaluation documents of every task `task_name` runs (itself, or a group's tasks), by name."""
    return {name: len(task.eval_docs) for name, task in manager.load(task_name)["tasks"].items()}


def _collect(task_name: str, out: dict[str, Any]) -> LmEvalRun:
    metrics: dict[str, float] = {}
    stderrs: dict[str, float | None] = {}
    for key, value in out["results"][task_name].items():
        name, _, filter_name = key.partition(",")
        if not filter_name:  # "alias", "name", "sample_len", ...
            continue
        if name.endswith("_stderr"):
            stderrs[f"{name.removesuffix('_stderr')},{filter_name}"] = (
                float(value) if isinstance(value, (int, float)) else None
            )
        elif isinstance(value, (int, float)):
            metrics[key] = float(value)
    for key in metrics:
        stderrs.setdefault(key, None)
    config_hash = hashlib.sha256(
        json.dumps(_hashable_configs(out.get("configs", {})), sort_keys=True, default=str).encode()
    ).hexdigest()
    return LmEvalRun(
        task=task_name,
        n_shot={name: int(n) for name, n in out.get("n-shot", {}).items()},
        metrics=metrics,
        stderrs=stderrs,
        versions=dict(out.get("versions", {})),
        config_hash=config_hash,
        lm_eval_version=lm_eval.__version__,
        samples=dict(out.get("samples", {})),
    )


def _hashable_configs(configs: dict[str, Any]) -> dict[str, Any]:
    """The resolved configs without where their YAML was read from (a temporary copy): the same task
    gives the same hash in every process. Functions are already their source text in lm-eval's dump."""
    cleaned = {}
    for name in sorted(configs):
        config = dict(configs[name])
        if isinstance(config.get("metadata"), dict):
            config["metadata"] = {k: v for k, v in config["metadata"].items() if k != "config_source"}
        cleaned[name] = config
    return cleaned


def sample_records(run: LmEvalRun) -> list[dict[str, Any]]:
    """lm-eval's per-sample records (its task name added), as plain JSON values."""
    return [
        json.loads(json.dumps({"task": name, **sample}, default=str))
        for name in sorted(run.samples)
        for sample in run.samples[name]
    ]


def examples_used(run: LmEvalRun) -> int:
    """Documents evaluated (lm-eval logs one sample per document and filter: gsm8k has two)."""
    return len({(name, sample.get("doc_id")) for name, rows in run.samples.items() for sample in rows})


def write_samples(run: LmEvalRun, path: Path) -> None:
    """lm-eval's per-sample records as JSON lines (one per sample, its task name added)."""
    with path.open("w", encoding="utf-8") as handle:
        for record in sample_records(run):
            handle.write(json.dumps(record, sort_keys=True) + "\n")
