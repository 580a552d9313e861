"""The extractor on real arXiv e-prints (fixtures/papers/real/): hand labels, scored per paper and in total.

The papers were written by other groups; their tables were labelled by reading the LaTeX, and their
printed table numbers confirmed by compiling each e-print with pdflatex (see each meta.json). Every
figure README.md states under "Measured" is asserted here exactly, from the constants below: a deleted
paper, a lost cell or one more wrong label fails a test, and so does one fewer (update the constant and
README together when a figure improves).
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

# README.md, "Measured" (the real-corpus rows)
PAPERS = 31
GROUPS = 22  # organisations: the ones below with several papers count once, every other group as itself
SAME_ORGANISATION = ("Allen Institute", "NVIDIA", "Qwen", "Meta", "Google")
RESULT_CELLS = 4360  # hand-labelled result cells (recall's denominator)
DERIVED_CELLS = 808  # averages, sizes, deltas, ...: labelled, never measurable
CLAIMS_IN_LABELLED_TABLES = 4954  # precision's denominator: claims inside the 1-3 labelled tables of a paper
SHARE_OF_ALL_CLAIMS = 0.24  # ... of every claim emitted on these papers
SHOT_STATED = 2419  # result cells whose paper states a shot count
SHOT_RIGHT = 2311  # 0.955; the other 108 stay unknown, none is wrong
# Claims whose model label names the labelled model, with the size where the cell's headers print one
# (0.825). Changes when the extractor's model resolution does: update it and README together.
MODEL_LABEL_RIGHT = 3597
HELDOUT_PAPERS, HELDOUT_CELLS, HELDOUT_SHOT_STATED, HELDOUT_SHOT_RIGHT = 6, 1206, 916, 894  # shot count 0.976


@lru_cache(maxsize=1)
def scored() -> tuple[PaperScore, list[PaperScore], dict[str, ExtractionResult]]:
    return run_real_corpus()


def test_the_corpus_is_thirty_one_real_papers_by_twenty_two_groups_with_provenance() -> None:
    papers = real_papers()
    assert len(papers) == PAPERS
    groups = set()
    for paper in papers:
        meta = paper.meta
        for key in ("arxiv_id", "title", "repo", "commit", "main", "licence", "labelled_tables"):
            assert meta.get(key) not in (None, ""), (paper.arxiv_id, key)
        assert isinstance(meta.get("path"), str), paper.arxiv_id  # "" when the paper sits at the repository root
        assert re.fullmatch(r"[0-9a-f]{40}", meta["commit"]), paper.arxiv_id
        assert (paper.folder / "src" / meta["main"]).is_file(), paper.arxiv_id
        group = meta["authors_group"]
        groups.add(next((org for org in SAME_ORGANISATION if org in group), group))
    assert len(groups) == GROUPS, sorted(groups)


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
    total, per_paper, results = scored()
    with capsys.disabled():
        print(f"\nreal-paper corpus: {len(per_paper)} papers\n{report(total, per_paper)}")
    problems = "\n".join(p for s in per_paper for p in s.problems if not p.startswith(("n_shot", "model")))[:6000]
    assert (total.labelled, total.derived) == (RESULT_CELLS, DERIVED_CELLS)
    assert total.found == total.labelled, problems  # recall 1.000
    assert total.emitted == CLAIMS_IN_LABELLED_TABLES and total.invented == 0, problems  # precision 1.000
    all_claims = sum(len(r.claims) for r in results.values())
    assert round(total.emitted / all_claims, 2) == SHARE_OF_ALL_CLAIMS, (total.emitted, all_claims)
    assert total.table_ok == total.table_checked == total.emitted, problems
    assert total.derived_measurable == 0, problems
    assert total.bench_ok == total.bench_checked == total.found, problems


def test_model_labels_name_the_labelled_model_with_its_printed_size() -> None:
    total, per_paper, _ = scored()
    misses = "\n".join(p for s in per_paper for p in s.problems if p.startswith("model"))[:4000]
    assert total.model_ok == MODEL_LABEL_RIGHT, (
        f"{total.model_ok} of {total.found} (README: {MODEL_LABEL_RIGHT})\n{misses}"
    )


def test_the_held_out_papers_keep_their_figures() -> None:
    _, per_paper, _ = scored()
    held = {p.arxiv_id for p in real_papers() if p.meta.get("heldout")}
    scores = [s for s in per_paper if s.arxiv_id in held]
    assert len(scores) == HELDOUT_PAPERS
    assert sum(s.labelled for s in scores) == sum(s.found for s in scores) == HELDOUT_CELLS
    assert sum(s.bench_ok for s in scores) == HELDOUT_CELLS and not any(s.derived_measurable for s in scores)
    assert sum(s.shot_checked for s in scores) == HELDOUT_SHOT_STATED
    assert sum(s.shot_ok for s in scores) == HELDOUT_SHOT_RIGHT and not any(s.shot_wrong for s in scores)


def test_shot_counts_stated_anywhere_in_the_paper() -> None:
    total, per_paper, _ = scored()
    misses = "\n".join(p for s in per_paper for p in s.problems if p.startswith("n_shot"))[:4000]
    assert total.shot_checked == SHOT_STATED
    assert total.shot_wrong == 0, misses  # a count we are not sure of stays unknown: C1 then cannot say `wrong`
    assert total.shot_ok == SHOT_RIGHT, misses


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
