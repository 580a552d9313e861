"""Extractor throughput over the fixture corpus: papers/s and seconds per paper, on one core.

Run: python bench/extractor_bench.py [--repeat N]
Each paper is extracted from its served e-print with the HTML and PDF (as the pipeline does), N times;
the figure printed per paper is the median. The target is a typical paper in under 2 s on one core.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from services.extractor.extract import extract  # noqa: E402
from tests.unit.extractor.corpus import fixture_papers  # noqa: E402

TARGET_S = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    papers = [(p.arxiv_id, p.sources()) for p in fixture_papers()]
    extract(papers[0][1])  # warm-up: imports, regex compilation
    per_paper: list[tuple[str, float, int]] = []
    total_start = time.perf_counter()
    for arxiv_id, sources in papers:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = extract(sources)
            times.append(time.perf_counter() - start)
        per_paper.append((arxiv_id, statistics.median(times), len(result.claims)))
    total = time.perf_counter() - total_start
    runs = len(papers) * args.repeat
    for arxiv_id, seconds, claims in per_paper:
        print(f"{arxiv_id}  {seconds * 1000:8.1f} ms  {claims:4d} claims")
    typical = statistics.median(s for _, s, _ in per_paper)
    worst = max(s for _, s, _ in per_paper)
    print(f"\n{runs / total:.1f} papers/s on one core; median {typical:.3f} s/paper, slowest {worst:.3f} s "
          f"(target < {TARGET_S:.0f} s: {'met' if worst < TARGET_S else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
