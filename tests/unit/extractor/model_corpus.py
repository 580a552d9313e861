"""Model resolution scored on the real-paper corpus against hand labels.

`fixtures/papers/real/<paper>/models.jsonl` names, for every distinct (table, model) of the paper's
labelled result cells, the true Hugging Face repo of the checkpoint behind the numbers, or none with its
kind: proprietary, no-official-repo, paper-variant, ambiguous, unknown. The labels were written from the
papers (captions, body text, bibliography) and knowledge of the Hub, never from the resolver's output.

Each labelled result cell the extractor found (the matching of `real_corpus.py`) is scored:

- right: the claim names the labelled repo;
- wrong: the claim names a repo, and it is not the labelled one (a labelled "none" included) -- the
  failure that makes a false verdict;
- open cells: cells whose model is a released open checkpoint (the recall's denominator);
- runnable: cells whose claim is measurable (a repo and a benchmark the evaluator runs).

`python -m tests.unit.extractor.model_corpus [-v]` prints the table (and every wrong or missed cell).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tests.unit.extractor.real_corpus import PaperScore, RealPaper, real_papers, run_real_corpus

KINDS = ("open", "proprietary", "no-official-repo", "paper-variant", "ambiguous", "unknown")


def model_labels(paper: RealPaper) -> dict[tuple[str, str], dict]:
    path = paper.folder / "models.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(row["table"], row["model"]): row for row in rows}


@dataclass
class ModelScore:
    paper: str
    cells: int = 0  # matched result cells
    open_cells: int = 0
    right: int = 0
    wrong: int = 0
    runnable: int = 0
    open_runnable_bench: int = 0  # open-checkpoint cells on a benchmark the evaluator runs
    open_runnable_right: int = 0  # ... of them measurable with the right repo
    problems: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.right / self.open_cells if self.open_cells else 1.0

    def merge(self, other: ModelScore) -> None:
        for name in ("cells", "open_cells", "right", "wrong", "runnable", "open_runnable_bench", "open_runnable_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems


def score_models(paper: RealPaper, score: PaperScore) -> ModelScore:
    from shared.benchmarks import BENCHMARKS

    truth = model_labels(paper)
    out = ModelScore(paper.arxiv_id)
    for claim, label in score.matches:
        row = truth[(label["table"], label["model"])]
        out.cells += 1
        got, want = claim.model_id, row["repo"]
        if got is not None and got in row.get("same_weights", []):  # the -hf twin of the same weights
            got = want
        where = f"Table {label['table']} {label['model']!r} ({claim.model_resolution.printed if claim.model_resolution else ''})"
        if got is not None and got != want:
            out.wrong += 1
            out.problems.append(f"WRONG {where}: {got} for {want or row['kind']}")
        if claim.measurable:
            out.runnable += 1
        if row["kind"] != "open":
            continue
        out.open_cells += 1
        if got == want:
            out.right += 1
        elif got is None:
            reason = claim.unmeasurable_reason or ""
            out.problems.append(f"missed {where}: {want}; {reason[:160]}")
        if label.get("benchmark") in BENCHMARKS and claim.protocol.benchmark in BENCHMARKS:
            out.open_runnable_bench += 1
            out.open_runnable_right += claim.measurable and got == want
    return out


def run_model_corpus() -> tuple[ModelScore, list[ModelScore], dict[str, int]]:
    """(total, per paper, labelled (table, model) pairs by kind)."""
    _, per_paper, _ = run_real_corpus()
    papers = {p.arxiv_id: p for p in real_papers()}
    total = ModelScore("total")
    scores = []
    kinds = dict.fromkeys(KINDS, 0)
    for paper_score in per_paper:
        paper = papers[paper_score.arxiv_id]
        for row in model_labels(paper).values():
            kinds[row["kind"]] += 1
        s = score_models(paper, paper_score)
        scores.append(s)
        total.merge(s)
    return total, scores, kinds


def report(total: ModelScore, scores: list[ModelScore]) -> str:
    lines = [f"{'paper':<28} {'cells':>5} {'open':>5} {'right':>5} {'wrong':>5} {'recall':>6} {'runnable':>8}"]
    for s in [*scores, total]:
        lines.append(
            f"{s.paper:<28} {s.cells:>5} {s.open_cells:>5} {s.right:>5} {s.wrong:>5} {s.recall:>6.3f} "
            f"{s.runnable / s.cells if s.cells else 0:>8.3f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    total, scores, kinds = run_model_corpus()
    print(report(total, scores))
    print("labelled (table, model) pairs by kind:", kinds)
    print(
        f"open cells on benchmarks we run: {total.open_runnable_bench}, measurable with the right repo: {total.open_runnable_right}"
    )
    if "-v" in sys.argv:
        for s in scores:
            for p in s.problems:
                print(s.paper, p)
