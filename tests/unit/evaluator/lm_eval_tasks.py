"""lm-eval's own tasks (its yaml and `!function` utils) with the dataset pointed at local JSON-lines
files: the reference the real-model tests and the speed benchmark compare our backend against."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lm_eval

LM_EVAL_TASKS = Path(lm_eval.__file__).parent / "tasks"
YAML = {
    "arc_easy": "arc/arc_easy.yaml",
    "arc_challenge": "arc/arc_challenge.yaml",
    "hellaswag": "hellaswag/hellaswag.yaml",
    "winogrande": "winogrande/default.yaml",
    "piqa": "piqa/piqa.yaml",
    "openbookqa": "openbookqa/openbookqa.yaml",
    "commonsense_qa": "commonsense_qa/default.yaml",
    "boolq": "super_glue/boolq/default.yaml",
    "gsm8k": "gsm8k/gsm8k.yaml",
}
SPLIT_KEYS = ("training_split", "validation_split", "test_split", "fewshot_split")


def lm_eval_task(name: str, folder: Path, n_shot: int) -> Any:
    """lm-eval's own task from its own yaml, the dataset swapped for the files in `folder`. A split the
    folder lacks is unset (lm-eval then evaluates on the validation split where the test split is
    absent, as our fidelity tests do on purpose). Built directly rather than through TaskManager,
    which indexes every task yaml (~20 s)."""
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.tasks._yaml_loader import load_yaml

    if name.startswith("mmlu_"):
        kind = "continuation" if name.endswith("_continuation") else "default"
        subject = name.removeprefix("mmlu_").removesuffix("_continuation")
        path = LM_EVAL_TASKS / "mmlu" / kind / f"mmlu_{subject}.yaml"
    else:
        path = LM_EVAL_TASKS / YAML[name]
    config = load_yaml(path, resolve_func=True)
    for structural in ("tag", "group", "include"):
        config.pop(structural, None)
    files = {p.stem: str(p) for p in folder.glob("*.jsonl")}
    config.update(dataset_path="json", dataset_name=None, dataset_kwargs={"data_files": files})
    for key in SPLIT_KEYS:
        if config.get(key) is not None and config[key] not in files:
            config[key] = None
    task = ConfigurableTask(config=config)
    task.set_config(key="num_fewshot", value=n_shot)
    task.set_fewshot_seed(seed=1234)  # simple_evaluate's default fewshot_random_seed
    return task


def lm_eval_names(key: str, subsets: Sequence[str]) -> list[tuple[str | None, str]]:
    """(our subset, lm-eval task name) pairs: one per MMLU subject, else the task itself."""
    if key == "mmlu":
        return [(s, f"mmlu_{s}") for s in subsets]
    if key == "mmlu_cloze":
        return [(s, f"mmlu_{s}_continuation") for s in subsets]
    return [(None, key)]


def run_lm_eval(
    hflm: Any, key: str, folder: Path, subsets: Sequence[str], n_shot: int, limit: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """lm-eval's `evaluate` over the task (every subject of `subsets` for MMLU): results, samples."""
    from lm_eval.evaluator import evaluate

    tasks = {
        name: lm_eval_task(name, folder / subset if subset else folder, n_shot)
        for subset, name in lm_eval_names(key, subsets)
    }
    out = evaluate(lm=hflm, task_dict=tasks, limit=limit, log_samples=True)
    return out["results"], out["samples"]
