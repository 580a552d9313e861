"""The real-paper corpus (fixtures/papers/real/<arxiv id>/): load each e-print, run the extractor on
it as arXiv would serve it (a tar.gz of `src/`), and score its claims against the hand labels.

A label names the cell by where its number is written (file, line) and what it holds (value, table
number as printed, benchmark, shot count, derived or not). A claim matches a label when its number
token sits on that line of that file with that value (several equal values on one line pair up in
order). Scores, per paper and in total:

- recall: labelled result cells (not derived) that some claim matches;
- invented: claims inside a labelled table (by table number or by source lines) matching no label;
- table number: matched claims whose `table_label` is the printed number;
- derived as measurable: claims of derived cells (averages, sizes, FLOPs, ...) that are measurable;
- benchmark: matched result claims whose benchmark key is the label's (None where the label names a
  benchmark the evaluator does not know);
- n-shot: matched result claims whose shot count is the label's, where the paper states one.

Shared by tests/unit/extractor/test_real_corpus.py and bench/extractor_bench.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from services.extractor.extract import ExtractionResult, PaperSources, extract
from services.extractor.plaintext import find_number_token
from shared.benchmarks import BENCHMARKS
from shared.models import Claim

REAL = Path(__file__).resolve().parents[3] / "fixtures" / "papers" / "real"


@dataclass(frozen=True)
class RealPaper:
    folder: Path

    @property
    def arxiv_id(self) -> str:
        return self.folder.name

    @cached_property
    def meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text())

    @cached_property
    def labels(self) -> list[dict]:
        text = (self.folder / "labels.jsonl").read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def eprint(self) -> bytes:
        """`src/` packed as arXiv serves a multi-file e-print: a gzipped tar, members in sorted order."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
            for path in sorted(p for p in (self.folder / "src").rglob("*") if p.is_file()):
                data = path.read_bytes()
                info = tarfile.TarInfo(str(path.relative_to(self.folder / "src")))
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    def sources(self) -> PaperSources:
        data = self.eprint()
        return PaperSources(
            arxiv_id=self.arxiv_id, version=1, source=data, source_sha256=hashlib.sha256(data).hexdigest()
        )


def real_papers() -> list[RealPaper]:
    return [RealPaper(p) for p in sorted(REAL.iterdir()) if (p / "labels.jsonl").is_file()] if REAL.is_dir() else []


def claim_line(claim: Claim, files: dict[str, str]) -> tuple[str, int] | None:
    """(file, 1-based line) where the claim's number is written."""
    ev = claim.evidence
    if ev.source_file is None or ev.char_start is None or ev.source_file not in files:
        return None
    offset = find_number_token(ev.raw_cell, claim.citation.quoted_text.lstrip("+-−"))
    start = ev.char_start + max(offset, 0)
    return ev.source_file, files[ev.source_file].count("\n", 0, start) + 1


def expected_benchmark(label: dict) -> str | None:
    """The key a claim must carry: the label's when the evaluator knows it, else None."""
    key = label.get("benchmark")
    return key if key in BENCHMARKS else None


def _tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in {"the", "of", "model", "models", "and"}}


# A parameter count as papers print it: "7B", "1.1B", "125M", "8x22B" (not "1T tokens": T is data).
SIZE = re.compile(r"(?<![\d.])(?:(\d+)[x×])?(\d+(?:\.\d+)?)([bm])(?![a-z])")


def model_sizes(text: str) -> list[tuple[int, float, str]]:
    """Every parameter count in `text`, normalised ("1.0B" == "1B"), in order."""
    return [(int(n or 1), float(num), unit) for n, num, unit in SIZE.findall(text.lower())]


def same_model(printed: str, labelled: str, headers: str = "") -> bool:
    """The claim's model label names the labelled model: a header fragment ("88 Avg", a benchmark) does not.
    Where the table prints the model's size in the cell's headers ("LLaMA / 7B", "DeepSeek 67B"), the
    claim's label must carry that size: "LLaMA" or "LLaMA 13B" is not LLaMA 7B. A size the labeller took
    from the caption or the text ("1B LM trained on 25B tokens with the RegMix mixture") is not required."""
    shown = model_sizes(headers)
    required = [size for size in model_sizes(labelled) if size in shown][:1]
    if required and required[0] not in model_sizes(printed):
        return False
    squash = re.sub(r"[^a-z0-9]+", "", printed.lower())
    target = re.sub(r"[^a-z0-9]+", "", labelled.lower())
    if squash and (squash in target or target in squash):
        return True
    mine, theirs = _tokens(printed), _tokens(labelled)
    return bool(mine) and len(mine & theirs) >= max(1, len(mine) // 2)


@dataclass
class PaperScore:
    arxiv_id: str
    labelled: int = 0  # result cells (not derived)
    derived: int = 0
    found: int = 0  # result cells matched
    emitted: int = 0  # claims inside labelled tables
    invented: int = 0
    table_ok: int = 0
    table_checked: int = 0
    derived_measurable: int = 0
    bench_ok: int = 0
    bench_checked: int = 0
    shot_ok: int = 0
    shot_checked: int = 0
    model_ok: int = 0
    shot_wrong: int = 0  # a count other than the paper's (worse than none: the verdict would trust it)
    problems: list[str] = field(default_factory=list)
    matches: list[tuple[Claim, dict]] = field(default_factory=list)  # (claim, label) of each matched result cell

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        return (self.emitted - self.invented) / self.emitted if self.emitted else 1.0

    def merge(self, other: PaperScore) -> None:
        for name in (
            "labelled",
            "derived",
            "found",
            "emitted",
            "invented",
            "table_ok",
            "table_checked",
            "derived_measurable",
            "bench_ok",
            "bench_checked",
            "shot_ok",
            "shot_checked",
            "model_ok",
            "shot_wrong",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems
        self.matches += other.matches


def score_paper(paper: RealPaper, result: ExtractionResult, files: dict[str, str]) -> PaperScore:
    score = PaperScore(paper.arxiv_id)
    labels = paper.labels
    tables = {f"Table {lab['table']}" for lab in labels}
    spans: dict[tuple[str, str], tuple[int, int]] = {}  # (table, file) -> line range of its labelled cells
    for lab in labels:
        key = (lab["table"], lab["file"])
        lo, hi = spans.get(key, (lab["line"], lab["line"]))
        spans[key] = (min(lo, lab["line"]), max(hi, lab["line"]))
    by_place: dict[tuple[str, int, str], list[dict]] = defaultdict(list)
    for lab in labels:
        by_place[(lab["file"], lab["line"], lab["value"].lstrip("+-−"))].append(lab)
        if lab.get("derived"):
            score.derived += 1
        else:
            score.labelled += 1
    matched: set[int] = set()
    claims = sorted(result.claims, key=lambda c: (c.evidence.source_file or "", c.evidence.char_start or 0))
    for claim in claims:
        where = claim_line(claim, files)
        in_lines = where is not None and any(
            f == where[0] and lo <= where[1] <= hi for (_, f), (lo, hi) in spans.items()
        )
        if claim.table_label not in tables and not in_lines:
            continue
        score.emitted += 1
        quoted = claim.citation.quoted_text.lstrip("+-−")
        queue = [lab for lab in by_place.get((*where, quoted), []) if id(lab) not in matched] if where else []
        if not queue:
            score.invented += 1
            score.problems.append(
                f"invented: {claim.table_label} {where} {quoted!r} "
                f"row={claim.citation.row!r} col={claim.citation.column!r}"
            )
            continue
        lab = queue[0]
        matched.add(id(lab))
        score.table_checked += 1
        if claim.table_label == f"Table {lab['table']}":
            score.table_ok += 1
        else:
            score.problems.append(f"table number: {claim.table_label} for Table {lab['table']} at {where}")
        if lab.get("derived"):
            if claim.measurable:
                score.derived_measurable += 1
                score.problems.append(f"derived ({lab['derived']}) measurable: {where} {quoted}")
            continue
        score.found += 1
        score.matches.append((claim, lab))
        if same_model(claim.model_label, lab["model"], f"{lab['row']} / {lab['column']}"):
            score.model_ok += 1
        else:
            score.problems.append(f"model: {claim.model_label!r} for {lab['model']!r} at {where}")
        score.bench_checked += 1
        want = expected_benchmark(lab)
        if claim.protocol.benchmark == want:
            score.bench_ok += 1
        else:
            score.problems.append(
                f"benchmark: {claim.protocol.benchmark} for {lab['benchmark']} "
                f"({claim.citation.column!r}/{claim.citation.row!r}) at {where}"
            )
        if lab.get("n_shot") is not None:
            score.shot_checked += 1
            if claim.protocol.n_shot == lab["n_shot"]:
                score.shot_ok += 1
            else:
                score.shot_wrong += claim.protocol.n_shot is not None
                score.problems.append(
                    f"n_shot: {claim.protocol.n_shot} for {lab['n_shot']} ({lab['benchmark']}) at {where}"
                )
    for lab in labels:
        if id(lab) not in matched and not lab.get("derived"):
            score.problems.append(
                f"missed: Table {lab['table']} {lab['file']}:{lab['line']} {lab['value']} "
                f"({lab['row']!r} / {lab['column']!r})"
            )
    return score


def run_real_corpus() -> tuple[PaperScore, list[PaperScore], dict[str, ExtractionResult]]:
    from shared.unpack import unpack_eprint

    total = PaperScore("total")
    per_paper, results = [], {}
    for paper in real_papers():
        sources = paper.sources()
        result = extract(sources)
        files = unpack_eprint(sources.source or b"")
        score = score_paper(paper, result, files)
        per_paper.append(score)
        results[paper.arxiv_id] = result
        total.merge(score)
    return total, per_paper, results


def report(total: PaperScore, per_paper: list[PaperScore]) -> str:
    def ratio(a: int, b: int) -> str:
        return f"{a / b:.3f}" if b else "  -  "

    lines = [
        f"{'paper':<16} {'cells':>5} {'recall':>6} {'prec':>6} {'invent':>6} {'table#':>6} "
        f"{'bench':>6} {'shots':>6} {'model':>6} {'der.meas':>8}"
    ]
    for s in [*per_paper, total]:
        lines.append(
            f"{s.arxiv_id:<16} {s.labelled:>5} {s.recall:>6.3f} {s.precision:>6.3f} {s.invented:>6} "
            f"{ratio(s.table_ok, s.table_checked):>6} {ratio(s.bench_ok, s.bench_checked):>6} "
            f"{ratio(s.shot_ok, s.shot_checked):>6} {ratio(s.model_ok, s.found):>6} {s.derived_measurable:>8}"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tests.unit.extractor.real_corpus [-v]
    import sys

    total, per_paper, _ = run_real_corpus()
    print(report(total, per_paper))
    if "-v" in sys.argv:
        for s in per_paper:
            for p in s.problems:
                print(s.arxiv_id, p)
