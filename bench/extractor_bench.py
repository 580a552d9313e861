"""Extractor throughput over the fixture corpus and the real-paper corpus: seconds per paper, on one core.

Run: python bench/extractor_bench.py [--repeat N]
Each paper is extracted from its served e-print (with the HTML and PDF where the fixture has them, as the
pipeline does), N times; the figure printed per paper is the median, with its page-independent size:
source characters and table floats. The target: a 40-page e-print with 40 tables under 2 s on one core.
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
from services.extractor.floats import find_tables  # noqa: E402
from services.extractor.latex import collect_macros, find_main, flatten  # noqa: E402
from shared.unpack import unpack_eprint  # noqa: E402
from tests.unit.extractor.corpus import fixture_papers  # noqa: E402
from tests.unit.extractor.real_corpus import real_papers  # noqa: E402

TARGET_S = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    papers = [(p.arxiv_id, p.sources()) for p in fixture_papers()] + [(p.arxiv_id, p.sources()) for p in real_papers()]
    extract(papers[0][1])  # warm-up: imports, regex compilation
    per_paper: list[tuple[str, float, int]] = []
    sizes: dict[str, tuple[int, int]] = {}
    for arxiv_id, sources in papers:
        if sources.source and sources.source[:2] == b"\x1f\x8b":
            files = unpack_eprint(sources.source)
            main = find_main(files)
            if main:
                doc = flatten(files, main)
                doc.macros = collect_macros(doc.text)
                sizes[arxiv_id] = (len(doc.text), len({t.printed for t in find_tables(doc)}))
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
        chars, tables = sizes.get(arxiv_id, (0, 0))
        print(
            f"{arxiv_id:<22} {seconds * 1000:8.1f} ms  {claims:5d} claims  {tables:3d} tables  {chars // 1000:5d} k chars"
        )
    typical = statistics.median(s for _, s, _ in per_paper)
    worst = max(s for _, s, _ in per_paper)
    biggest = max(sizes, key=lambda k: sizes[k][1])
    big_time = next(s for a, s, _ in per_paper if a == biggest)
    print(
        f"\n{runs / total:.1f} papers/s on one core; median {typical:.3f} s/paper, slowest {worst:.3f} s; "
        f"most tables: {biggest} ({sizes[biggest][1]} tables, {sizes[biggest][0] // 1000} k chars) in {big_time:.3f} s "
        f"(target < {TARGET_S:.0f} s: {'met' if worst < TARGET_S else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
