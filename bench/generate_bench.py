"""Whole processes, side by side, on a generation task: `paperverdict eval lmeval` (our engine as
lm-eval's model) against `python -m lm_eval --model hf` (HFLM), the same lm-eval task on the same
documents and the same model folder.

    .venv/bin/python bench/generate_bench.py [--task gsm8k_cot] [--limit 24] [--threads 1] [--repeat 1]

The task is lm-eval's own `gsm8k_cot` (8-shot chain of thought, the same 8 exemplars in every prompt,
256 new tokens at most, stop at "Q:") or `gsm8k` (5 shots drawn per document), pointed at the GSM8K
documents in `fixtures/data/gsm8k` (real schema) through a local task config. The model is
`evaluator_bench.py`'s random 4-layer Llama, its vocabulary cut to the tokenizer's so that every id
decodes, saved as a safetensors folder (fp32, CPU): it never says "Q:", so every document generates
all 256 tokens, the worst case for both (`--model DIR`: a real model folder instead). Wall time includes each process's imports, task indexing
and model load. Prints seconds, the ratio, and how many filtered answers and raw generations are
identical; exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from evaluator_bench import TOKENIZER, build_model  # noqa: E402
from loglikelihood_bench import process_env, timed  # noqa: E402

TASKS = {
    "gsm8k_cot": "gsm8k/gsm8k-cot.yaml",
    "gsm8k": "gsm8k/gsm8k.yaml",
}


def save_model(folder: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(next(TOKENIZER.iterdir()))
    model = build_model("cpu", len(tokenizer))
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def write_task(folder: Path, task: str) -> str:
    """A local config of lm-eval's task reading the fixture documents; returns its name."""
    from lm_eval.tasks import __file__ as tasks_init

    data = ROOT / "fixtures" / "data" / "gsm8k"
    name = f"bench_{task}"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(
        f"include: {Path(tasks_init).parent / TASKS[task]}\n"
        f"task: {name}\n"
        "dataset_path: json\n"
        "dataset_name: null\n"
        "dataset_kwargs:\n"
        "  data_files:\n"
        f"    train: {data / 'train.jsonl'}\n"
        f"    test: {data / 'test.jsonl'}\n",
        encoding="utf-8",
    )
    return name


def samples(path: Path) -> dict[tuple[int, str], tuple[str, str]]:
    """(doc_id, filter) -> (raw generation, filtered answer), from lm-eval's sample records."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(row["doc_id"], row["filter"]): (row["resps"][0][0], row["filtered_resps"][0]) for row in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=sorted(TASKS), default="gsm8k_cot")
    parser.add_argument("--limit", type=int, default=24, help="documents (the fixture has 40)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of both processes")
    parser.add_argument("--batch-size", default="64", help="HFLM's batch size")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command, the fastest is kept")
    parser.add_argument(
        "--model",
        type=Path,
        help="a safetensors model folder instead of the random Llama, e.g. the real SmolLM2 snapshot under "
        ".cache/real/hub (its rows stop at different points: finished rows leave our batches)",
    )
    args = parser.parse_args()

    env = process_env(args.threads)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="pv-genbench-") as tmp:
        root = Path(tmp)
        model = args.model.resolve() if args.model else root / "model"
        if not args.model:
            save_model(model)
        task = write_task(root / "tasks", args.task)
        ours_out, theirs_out = root / "ours.jsonl", root / "hflm"
        commands = {
            f"lm_eval --model hf (batch {args.batch_size})": [
                python,
                "-m",
                "lm_eval",
                "--model",
                "hf",
                "--model_args",
                f"pretrained={model},dtype=float32",
                "--tasks",
                task,
                "--include_path",
                str(root / "tasks"),
                "--limit",
                str(args.limit),
                "--batch_size",
                args.batch_size,
                "--device",
                "cpu",
                "--log_samples",
                "--output_path",
                str(theirs_out),
            ],  # fmt: skip
            "paperverdict eval lmeval": [
                python,
                "-m",
                "services.cli.main",
                "eval",
                "lmeval",
                "--model",
                str(model),
                "--task",
                task,
                "--include-path",
                str(root / "tasks"),
                "--limit",
                str(args.limit),
                "--records",
                str(ours_out),
            ],  # fmt: skip
        }
        best: dict[str, float] = {}
        for _ in range(args.repeat):  # alternate; keep each command's fastest run
            for label, command in commands.items():
                best[label] = min(best.get(label, float("inf")), timed(command, env)[0])
        mine = samples(ours_out)
        theirs = samples(next(theirs_out.rglob(f"samples_{task}_*.jsonl")))
        same_text = sum(mine[key][0] == theirs[key][0] for key in theirs if key in mine)
        same_answer = sum(mine[key][1] == theirs[key][1] for key in theirs if key in mine)
    base_s = best[next(iter(commands))]
    print(f"| command | {args.task}, {args.limit} documents | speed-up |\n|---|---|---|")
    for label, seconds in best.items():
        print(f"| {label} | {seconds:.1f} s | {base_s / seconds:.2f}x |")
    ok = len(mine) == len(theirs) and same_text == same_answer == len(theirs)
    print(f"\nidentical generations {same_text}/{len(theirs)}, identical filtered answers {same_answer}/{len(theirs)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
