"""Capacity on paper: replay a realistic stream of papers through the planner and the measurement
cache, and print the cache hit rate and GPU-hours per day.

    .venv/bin/python bench/capacity_sim.py [--papers-per-day 300] [--days 30] [--cost mmlu=900,...]

The stream's shape comes from the hand-labelled real papers in fixtures/papers/real (measurable cells
per paper, how often a model-benchmark-shots triple recurs across papers, the benchmark mix); see
services/ops/capacity.py. Per-task GPU costs are assumptions for a 7B model in bf16 on one H100 with
this evaluator (full test sets); pass --cost to use your own.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.extractor.models import ModelResolver  # noqa: E402
from services.ops.capacity import Simulation, corpus_stats  # noqa: E402
from shared.benchmarks import REGISTRY  # noqa: E402

# Documents in each benchmark's evaluation split, as published (`shared.benchmarks`); the planner
# needs them for slices.
AVAILABLE = {b.key: b.published_size for b in REGISTRY}
# GPU-seconds per full run, 7B model, bf16, one H100 (assumed: ~10k request tokens/s forward, shared
# prefixes counted once; GSM8K dominated by 8-shot greedy generation). Not measured: no GPU was lent.
COSTS = {
    "mmlu": 900,
    "hellaswag": 600,
    "arc_challenge": 60,
    "arc_easy": 120,
    "piqa": 90,
    "winogrande": 60,
    "boolq": 180,
    "openbookqa": 30,
    "commonsense_qa": 60,
    "gsm8k": 1200,
    "default": 300,
}


def load_corpus() -> dict[str, list[tuple[str, str, int | None]]]:
    resolver = ModelResolver()
    papers: dict[str, list[tuple[str, str, int | None]]] = {}
    for labels in sorted((ROOT / "fixtures" / "papers" / "real").glob("*/labels.jsonl")):
        cells = papers.setdefault(labels.parent.name, [])
        for line in labels.read_text().splitlines():
            cell = json.loads(line)
            if cell.get("derived") or not cell.get("benchmark") or not cell.get("model"):
                continue
            model = resolver.resolve([cell["model"]]).model_id
            if model:
                cells.append((model, cell["benchmark"], cell.get("n_shot")))
    return papers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers-per-day", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--baselines", type=int, default=2000, help="recurring (model, benchmark, shots) population")
    parser.add_argument("--cost", default="", help="task=GPU-seconds,... overriding the defaults")
    parser.add_argument("--max-examples", type=int, default=None, help="PV_EVAL_MAX_EXAMPLES (slices)")
    args = parser.parse_args()
    costs = dict(COSTS)
    for item in filter(None, args.cost.split(",")):
        task, _, seconds = item.partition("=")
        costs[task.strip()] = float(seconds)

    papers = load_corpus()
    stats = corpus_stats(papers)
    cells = sorted(stats.cells_per_paper)
    print(
        f"corpus: {stats.papers} real papers, {sum(cells)} measurable cells with a Hugging Face id "
        f"(median {cells[len(cells) // 2]} a paper); {stats.repeat_share:.1%} of them recur in another paper; "
        f"{stats.recurring} recurring triples, Zipf exponent {stats.zipf_s:.2f}"
    )
    sim = Simulation(
        stats,
        costs,
        AVAILABLE,
        papers_per_day=args.papers_per_day,
        baselines=args.baselines,
        max_examples=args.max_examples,
    )
    print(
        f"{'day':>4} {'papers':>6} {'claims':>7} {'planned':>7} {'hits':>6} {'runs':>6} {'hit rate':>8} {'GPU-h':>7} {'GPUs':>5}"
    )
    days = [sim.day(d) for d in range(1, args.days + 1)]
    for d in days:
        if d.day <= 3 or d.day % 5 == 0 or d.day == args.days:
            print(
                f"{d.day:>4} {d.papers:>6} {d.claims:>7} {d.planned:>7} {d.hits:>6} {d.runs:>6} "
                f"{d.hit_rate:>8.1%} {d.gpu_hours:>7.1f} {d.gpu_hours / 24:>5.1f}"
            )
    tail = days[-7:]
    planned, hits = sum(d.planned for d in tail), sum(d.hits for d in tail)
    gpu_h = sum(d.gpu_hours for d in tail) / len(tail)
    print(
        f"last 7 days: hit rate {hits / planned:.1%}, {gpu_h:.0f} GPU-hours a day = {gpu_h / 24:.1f} GPUs busy "
        f"around the clock (day 1: {days[0].gpu_hours:.0f} GPU-hours, cold cache)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
