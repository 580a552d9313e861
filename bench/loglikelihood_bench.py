"""Whole processes, side by side: `paperverdict eval loglikelihood` against lm-eval HFLM scoring the
same request file on the same model folder (`bench/lm_eval_loglikelihood.py`).

    .venv/bin/python bench/loglikelihood_bench.py [--questions 8] [--repeat 2]

The request file is lm-eval-style: bare (context, continuation) pairs, no documents, no prefix
groups (MMLU-shaped: 57 subjects whose questions share a ~600-token 5-shot prefix, 4 single-token
choices; HellaSwag-shaped: a context and 4 endings). Our engine has to find the shared prefixes
itself. The model is `evaluator_bench.py`'s random 4-layer Llama saved as a safetensors folder, fp32
on CPU; both processes get the same thread count. Wall time includes each process's imports and
model load. Prints seconds, the ratio, the largest per-request |Δll| and greedy agreement; exits 1
when a log-likelihood is off by more than 1e-4 or a greedy flag differs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from evaluator_bench import TOKENIZER, build_model, hellaswag_workload, mmlu_workload  # noqa: E402


def write_requests(path: Path, requests: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i, (context, continuation) in enumerate(requests):
            handle.write(json.dumps({"id": i, "context": context, "continuation": continuation}) + "\n")


def save_model(folder: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(next(TOKENIZER.iterdir()))
    model = build_model("cpu", len(tokenizer))
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def process_env(threads: int) -> dict[str, str]:
    """The environment of both processes: the same thread count, nothing fetched from the Hub."""
    return {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def timed(command: list[str], env: dict[str, str]) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    lines = [line.strip() for line in done.stdout.splitlines()]
    return seconds, [json.loads(line) for line in lines if line.startswith("{") and line.endswith("}")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=8, help="MMLU questions per subject (8: 1,824 requests)")
    parser.add_argument("--hellaswag", type=int, default=150, help="HellaSwag contexts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command, the fastest is kept")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of both processes")
    parser.add_argument("--batch-size", default="64", help="lm-eval's batch size")
    args = parser.parse_args()

    env = process_env(args.threads)
    rng = random.Random(1234)
    workloads = {
        "MMLU-shaped": mmlu_workload(rng, 57, args.questions, 9)[0],
        "HellaSwag-shaped": hellaswag_workload(rng, args.hellaswag, 20, 8)[0],
    }
    python = sys.executable
    ok = True
    print(
        "| workload | requests | command | seconds | speed-up | max |Δll| | greedy agree |\n|---|---|---|---|---|---|---|"
    )
    with tempfile.TemporaryDirectory(prefix="pv-llbench-") as tmp:
        folder = Path(tmp) / "model"
        save_model(folder)
        for name, requests in workloads.items():
            path = Path(tmp) / f"{name}.jsonl"
            write_requests(path, requests)
            commands = {
                f"lm-eval HFLM bs={args.batch_size}": [
                    python,
                    str(HERE / "lm_eval_loglikelihood.py"),
                    "--model",
                    str(folder),
                    "--requests",
                    str(path),
                    "--batch-size",
                    args.batch_size,
                ],
                "paperverdict eval loglikelihood": [
                    python,
                    "-m",
                    "services.cli.main",
                    "eval",
                    "loglikelihood",
                    "--model",
                    str(folder),
                    "--requests",
                    str(path),
                ],
            }
            best: dict[str, tuple[float, list[dict]]] = {}
            for _ in range(args.repeat):  # alternate; keep each command's fastest run
                for label, command in commands.items():
                    seconds, out = timed(command, env)
                    if label not in best or seconds < best[label][0]:
                        best[label] = (seconds, out)
            (base_s, base), (ours_s, ours) = best.values()
            diff = max(abs(a["ll"] - b["ll"]) for a, b in zip(ours, base))
            agree = sum(a["greedy"] == b["greedy"] for a, b in zip(ours, base)) / len(base)
            ok &= len(ours) == len(base) == len(requests) and diff <= 1e-4 and agree == 1.0
            for label, (seconds, _) in best.items():
                ratio = base_s / seconds
                print(
                    f"| {name} | {len(requests)} | {label} | {seconds:.2f} | {ratio:.2f}x | "
                    f"{diff if label.startswith('paperverdict') else 0:.2e} | {agree if label.startswith('paperverdict') else 1:.3f} |",
                    flush=True,
                )
    print(f"\nlog-likelihoods within 1e-4 and greedy flags identical: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
