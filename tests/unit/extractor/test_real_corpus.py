"""The extractor on real arXiv e-prints (fixtures/papers/real/): hand labels, scored per paper and in total.

The papers were written by other groups; their tables were labelled by reading the LaTeX, and their
printed table numbers confirmed by compiling each e-print with pdflatex (see each meta.json). The
thresholds are the issue's targets where we meet them, and today's measured floor where we do not
(shot counts: see README.md, "Measured").
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import pytest

from services.extractor.extract import ExtractionResult
from shared.gates import check_g1
from shared.unpack import unpack_eprint
from tests.unit.extractor.real_corpus import (
    PaperScore,
    real_papers,
    report,
    run_real_corpus,
)

DERIVED = {None, "average", "rank", "delta", "size", "flops", "tokens", "time", "other"}


@lru_cache(maxsize=1)
def scored() -> tuple[PaperScore, list[PaperScore], dict[str, ExtractionResult]]:
    return run_real_corpus()


def test_the_corpus_is_at_least_twenty_real_papers_with_provenance() -> None:
    papers = real_papers()
    assert len(papers) >= 20
    groups = set()
    for paper in papers:
        meta = paper.meta
        for key in ("arxiv_id", "title", "repo", "commit", "main", "licence", "labelled_tables"):
            assert meta.get(key) not in (None, ""), (paper.arxiv_id, key)
        assert isinstance(meta.get("path"), str), paper.arxiv_id  # "" when the paper sits at the repository root
        assert re.fullmatch(r"[0-9a-f]{40}", meta["commit"]), paper.arxiv_id
        assert (paper.folder / "src" / meta["main"]).is_file(), paper.arxiv_id
        groups.add(meta.get("authors_group", meta["title"]))
    assert len(groups) >= 15


def test_every_label_points_at_its_number_in_the_source() -> None:
    """The labels themselves: each value is written on the line it names (checked independently of the parser)."""
    for paper in real_papers():
        src = paper.folder / "src"
        lines = {p: (src / p).read_text(errors="replace").splitlines() for p in {lab["file"] for lab in paper.labels}}
        tables = set(paper.meta["labelled_tables"])
        for lab in paper.labels:
            assert re.fullmatch(r"[-+−]?\d[\d,]*(?:\.\d+)?(?:e\d+)?|[-+−]?\.\d+", lab["value"]), (paper.arxiv_id, lab)
            written = lab["value"].lstrip("+-−").split("e")[0]  # "3.7e19" is printed "$3.7\\text{e}19$"
            assert written in lines[lab["file"]][lab["line"] - 1], (paper.arxiv_id, lab)
            assert lab["table"] in tables, (paper.arxiv_id, lab["table"])
            assert lab.get("derived") in DERIVED, (paper.arxiv_id, lab)
            assert lab["n_shot"] is None or isinstance(lab["n_shot"], int), (paper.arxiv_id, lab)


def test_recall_precision_table_numbers_and_benchmarks_on_real_papers(capsys: pytest.CaptureFixture[str]) -> None:
    total, per_paper, _ = scored()
    with capsys.disabled():
        print(f"\nreal-paper corpus: {len(per_paper)} papers\n{report(total, per_paper)}")
    problems = "\n".join(p for s in per_paper for p in s.problems if not p.startswith("n_shot"))[:6000]
    assert total.labelled >= 2000
    assert total.recall >= 0.95, problems
    assert all(s.recall >= 0.9 for s in per_paper), [(s.arxiv_id, s.recall) for s in per_paper]
    assert total.invented == 0, problems
    assert total.table_ok == total.table_checked, problems
    assert total.derived_measurable == 0, problems
    assert total.bench_ok >= 0.95 * total.bench_checked, problems
    assert total.model_ok >= 0.95 * total.found, problems


def test_shot_counts_stated_anywhere_in_the_paper() -> None:
    total, per_paper, _ = scored()
    misses = "\n".join(p for s in per_paper for p in s.problems if p.startswith("n_shot"))[:4000]
    assert total.shot_checked >= 1000
    assert total.shot_wrong == 0, misses  # a count we are not sure of stays unknown: C1 then cannot say `wrong`
    assert total.shot_ok >= 0.95 * total.shot_checked, misses  # the target; measured 0.955


def test_real_claims_are_grounded_and_carry_their_body_text_statements() -> None:
    _, _, results = scored()
    with_statements = 0
    for paper in real_papers():
        files = unpack_eprint(paper.eprint())
        for claim in results[paper.arxiv_id].claims:
            assert check_g1(claim, files).passed, claim.claim_id
            for st in claim.evidence.statements:
                assert files[st.source_file][st.char_start : st.char_end].strip() == st.text.strip()
                with_statements += 1
    assert with_statements > 100


def test_derived_cells_are_never_measurable_and_say_so() -> None:
    _, _, results = scored()
    derived = [c for r in results.values() for c in r.claims if c.protocol.derived]
    assert derived and all(not c.measurable and c.unmeasurable_reason for c in derived)
    assert {c.protocol.derived for c in derived} >= {"average"}


def test_labels_file_is_json_lines_with_the_documented_fields() -> None:
    fields = {"table", "file", "line", "row", "column", "value", "model", "benchmark", "n_shot", "derived"}
    for paper in real_papers():
        for line in (paper.folder / "labels.jsonl").read_text().splitlines():
            if line.strip():
                assert fields <= set(json.loads(line)), paper.arxiv_id
