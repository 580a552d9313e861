"""Shared by the corpus test and bench/extractor_bench.py: load the fixture papers, run the
extractor on them, and score its claims against the hand labels."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from services.extractor.extract import ExtractionResult, PaperSources, extract
from shared.benchmarks import BENCHMARKS
from shared.models import Claim

PAPERS = Path(__file__).resolve().parents[3] / "fixtures" / "papers"
FIELDS = ("quoted_text", "reported_value", "model_id", "benchmark", "n_shot", "metric", "measurable")


@dataclass(frozen=True)
class FixturePaper:
    arxiv_id: str
    folder: Path

    @property
    def eprint(self) -> Path:
        return next(self.folder.glob("eprint.*"))

    def sources(self) -> PaperSources:
        data = self.eprint.read_bytes()
        render = self.folder / "render"
        return PaperSources(
            arxiv_id=self.arxiv_id,
            version=1,
            source=data,
            source_sha256=hashlib.sha256(data).hexdigest(),
            html=(render / "paper.html").read_bytes() if self.eprint.suffix != ".pdf" else None,
            pdf=(render / "paper.pdf").read_bytes(),
        )

    def expected(self) -> list[dict]:
        text = (self.folder / "expected.jsonl").read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def fixture_papers() -> list[FixturePaper]:
    """The extractor's own corpus, 2611.00101 onwards (2611.00001 belongs to the pipeline demo)."""
    return [FixturePaper(p.name, p) for p in sorted(PAPERS.glob("2611.001*")) if (p / "expected.jsonl").exists()]


def effective_metric(claim: Claim) -> str | None:
    """The metric the claim is measured with: the stated one, else the benchmark's default (the
    labels name the metric each cell is checked with; whether it was stated is tested separately)."""
    if claim.protocol.metric is not None:
        return claim.protocol.metric
    default = BENCHMARKS.get(claim.protocol.benchmark or "")
    return default.metric if default else None


def observed(claim: Claim) -> dict:
    c = claim.citation
    return {
        "quoted_text": c.quoted_text,
        "reported_value": c.reported_value,
        "model_id": claim.model_id,
        "benchmark": claim.protocol.benchmark,
        "n_shot": claim.protocol.n_shot,
        "metric": effective_metric(claim),
        "measurable": claim.measurable,
        "pdf_page": c.pdf_page,
    }


@dataclass
class Score:
    expected: int = 0
    extracted: int = 0
    correct: int = 0
    page_checked: int = 0
    page_correct: int = 0
    html_checked: int = 0
    html_agree: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    @property
    def page_accuracy(self) -> float:
        return self.page_correct / self.page_checked if self.page_checked else 1.0

    @property
    def html_agreement(self) -> float:
        return self.html_agree / self.html_checked if self.html_checked else 1.0

    def add(self, paper: FixturePaper, result: ExtractionResult) -> None:
        want = {(e["table_label"], e["row"], e["column"]): e for e in paper.expected()}
        self.expected += len(want)
        self.extracted += len(result.claims)
        disagreeing = {d.get("claim_id") for d in result.disagreements}
        for claim in result.claims:
            key = (claim.table_label, claim.citation.row, claim.citation.column)
            got = observed(claim)
            if paper.sources().html is not None:
                self.html_checked += 1
                self.html_agree += claim.claim_id not in disagreeing and claim.evidence.html_text is not None
            if key not in want:
                self.mismatches.append(f"{paper.arxiv_id} {key}: not labelled (got {got['quoted_text']})")
                continue
            exp = want[key]
            self.page_checked += 1
            self.page_correct += got["pdf_page"] == exp["pdf_page"]
            wrong = [f"{f}={got[f]!r} (want {exp[f]!r})" for f in FIELDS if got[f] != exp[f]]
            if wrong:
                self.mismatches.append(f"{paper.arxiv_id} {key}: {', '.join(wrong)}")
            else:
                self.correct += 1
        got_keys = {(c.table_label, c.citation.row, c.citation.column) for c in result.claims}
        for key in want.keys() - got_keys:
            self.mismatches.append(f"{paper.arxiv_id} {key}: missing")


def run_corpus() -> tuple[Score, dict[str, ExtractionResult]]:
    score = Score()
    results = {}
    for paper in fixture_papers():
        result = extract(paper.sources())
        results[paper.arxiv_id] = result
        score.add(paper, result)
    return score, results
