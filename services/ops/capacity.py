"""Capacity on paper (pure: no I/O): a stream of papers through the planner and the measurement cache.

The stream is built from the labelled real papers: how many measurable result cells a paper has, how
often a (model, benchmark, shots) triple recurs across papers, and which benchmarks papers report.
Each simulated paper reports `cells` claims; a claim is a recurring baseline with the corpus's
recurrence probability, drawn from a Zipf law over a baseline population whose exponent is fitted to
the corpus's rank-frequency curve, or else a new model of the paper's own. Every claim is planned with
the real planner and looked up under its real measurement id; a miss costs its task's GPU time. A claim
names its lm-eval task as the extractor would (`shared.benchmarks.choose_task`), and the planner sees
each task as a catalog describes it, pinned (its documents from `available`), without lm-eval's index.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.evaluator.lm_eval_catalog import LmEvalTaskInfo
from services.evaluator.planner import plan_run, protocol_key
from shared.benchmarks import BENCHMARKS, LM_EVAL, LmEvalTask, choose_task
from shared.ids import claim_id, measurement_id
from shared.models import Claim, ClaimCitation, ClaimProtocol, RunProtocol

Triple = tuple[str, str, int | None]  # (model id, benchmark, n_shot)


def _task(bench: str, n_shot: int | None) -> str | None:
    chosen = choose_task(bench, n_shot=n_shot)
    return chosen.task if isinstance(chosen, LmEvalTask) else None


@dataclass(frozen=True)
class CorpusStats:
    papers: int
    cells_per_paper: list[int]  # measurable cells of each paper
    repeat_share: float  # share of measurable cells whose triple is in another paper too
    zipf_s: float  # rank-frequency exponent of the recurring triples
    recurring: int  # distinct triples in two papers or more
    benchmarks: dict[str, int]  # benchmark -> cells
    shots: dict[str, list[int | None]]  # benchmark -> the shot counts papers give it
    templates: list[list[tuple[Triple, bool]]]  # each paper's cells, and whether its triple recurs


def corpus_stats(papers: Mapping[str, Sequence[Triple]]) -> CorpusStats:
    in_papers: Counter[Triple] = Counter()
    for cells in papers.values():
        in_papers.update(set(cells))
    total = sum(len(c) for c in papers.values())
    repeats = sum(1 for cells in papers.values() for t in cells if in_papers[t] >= 2)
    freqs = sorted((n for n in in_papers.values() if n >= 2), reverse=True)
    benchmarks: Counter[str] = Counter()
    shots: dict[str, list[int | None]] = {}
    for cells in papers.values():
        for _, bench, n_shot in cells:
            benchmarks[bench] += 1
            shots.setdefault(bench, []).append(n_shot)
    return CorpusStats(
        papers=len(papers),
        cells_per_paper=[len(c) for c in papers.values() if c],
        repeat_share=repeats / total if total else 0.0,
        zipf_s=zipf_exponent(freqs),
        recurring=len(freqs),
        benchmarks=dict(benchmarks),
        shots=shots,
        templates=[[(t, in_papers[t] >= 2) for t in cells] for cells in papers.values() if cells],
    )


def zipf_exponent(freqs: Sequence[int]) -> float:
    """Least-squares slope of log frequency on log rank (1.0 when there are too few points)."""
    if len(freqs) < 3:
        return 1.0
    xs = [math.log(r) for r in range(1, len(freqs) + 1)]
    ys = [math.log(f) for f in freqs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return max(0.3, -slope)


@dataclass
class Day:
    day: int
    papers: int
    claims: int
    planned: int  # claims the planner turns into a run
    hits: int
    runs: int
    gpu_hours: float

    @property
    def hit_rate(self) -> float:
        return self.hits / self.planned if self.planned else 0.0


@dataclass
class Simulation:
    stats: CorpusStats
    costs_gpu_s: Mapping[str, float]  # benchmark -> GPU-seconds of one run (7B-class model)
    available: Mapping[str, int]  # benchmark -> documents (what the catalog would count)
    papers_per_day: int = 300
    baselines: int = 2000  # the population recurring triples are drawn from
    max_examples: int | None = None
    seed: int = 1234
    cache: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.baseline_weights = [1 / (rank**self.stats.zipf_s) for rank in range(1, self.baselines + 1)]
        benches = sorted(self.stats.benchmarks)
        bench_weights = [self.stats.benchmarks[b] for b in benches]
        rng = random.Random(self.seed + 1)
        self.baseline_triples: list[Triple] = []
        for i in range(self.baselines):
            bench = rng.choices(benches, bench_weights)[0]
            self.baseline_triples.append(
                (f"baseline/model-{i % max(1, self.baselines // 8)}", bench, rng.choice(self.stats.shots[bench]))
            )
        self.serial = 0

    def _claim(self, paper: str, index: int, triple: Triple) -> Claim:
        model, bench, n_shot = triple
        citation = ClaimCitation(
            paper_arxiv_id=paper,
            section="Table 1",
            row=model,
            column=bench,
            reported_value=50.0,
            reported_metric="accuracy",
            quoted_text="50.0",
        )
        return Claim(
            claim_id=claim_id(paper, 1, "Table 1", index, 1),
            arxiv_id=paper,
            version=1,
            table_label="Table 1",
            row_index=index,
            col_index=1,
            citation=citation,
            model_label=model,
            model_id=model,
            protocol=ClaimProtocol(benchmark=bench, n_shot=n_shot, task=_task(bench, n_shot)),
        )

    def describe(self, task: str) -> LmEvalTaskInfo | str:
        """An lm-eval task as the catalog would describe it, pinned: its documents from `available`."""
        variant, bench = next(
            ((v, key) for key, f in LM_EVAL.items() for v in f.variants if v.task == task), (None, None)
        )
        if variant is None or bench is None:
            return f"lm-eval task {task!r} is not in this simulation"
        return LmEvalTaskInfo(
            task=task,
            version="pinned",
            config_hash="pinned",
            data_revision="pinned",
            local_data=False,
            metric_keys=(variant.result_key,),
            default_shots=variant.n_shot or 0,
            output_type=variant.kind,
            documents=self.available.get(bench),
            leaves=(task,),
            split=BENCHMARKS[bench].split if bench in BENCHMARKS else "test",
        )

    def paper(self) -> list[Triple]:
        """A real paper's cells as a template: its own models renamed to fresh ids (so repeats inside
        the paper stay as the paper has them), each recurring cell replaced by a baseline draw."""
        self.serial += 1
        template = self.rng.choice(self.stats.templates)
        cells = []
        for (model, bench, n_shot), recurring in template:
            if recurring:
                cells.append(self.rng.choices(self.baseline_triples, self.baseline_weights)[0])
            else:
                cells.append((f"new/paper-{self.serial}/{model}", bench, n_shot))
        return cells

    def day(self, number: int) -> Day:
        today = Day(number, self.papers_per_day, 0, 0, 0, 0, 0.0)
        for p in range(self.papers_per_day):
            paper_id = f"2612.{number:02d}{p:03d}"
            for i, triple in enumerate(self.paper(), start=1):
                today.claims += 1
                plan = plan_run(
                    self._claim(paper_id, i, triple),
                    max_examples=self.max_examples,
                    slice_seed=1234,
                    lm_eval_task=self.describe,
                )
                if not isinstance(plan, RunProtocol):
                    continue
                today.planned += 1
                key = measurement_id(triple[0], plan.benchmark, protocol_key(plan), "pinned")
                if key in self.cache:
                    today.hits += 1
                    continue
                self.cache.add(key)
                today.runs += 1
                today.gpu_hours += self.costs_gpu_s.get(plan.benchmark, self.costs_gpu_s.get("default", 600.0)) / 3600
        return today
