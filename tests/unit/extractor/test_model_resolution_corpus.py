"""Model resolution on the 31 real papers, against hand labels of every model's true repo (or none).

The figures README.md states are asserted exactly from the constants below: one wrong repo id, one cell
less resolved or one label fewer fails a test (update the constant and README together when a figure
improves). Scoring: tests/unit/extractor/model_corpus.py."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache

import pytest

from tests.unit.extractor.model_corpus import KINDS, ModelScore, model_labels, run_model_corpus
from tests.unit.extractor.real_corpus import real_papers

# README.md, "Measured" (model resolution)
LABELLED_PAIRS = {
    "open": 265,
    "proprietary": 62,
    "no-official-repo": 25,
    "paper-variant": 171,
    "ambiguous": 7,
    "unknown": 2,
}
MATCHED_CELLS = 4360  # labelled result cells the extractor finds (every one)
OPEN_CELLS = 2281  # ... whose model is a released open checkpoint
RIGHT = 1787  # ... that name the labelled repo (0.783)
OPEN_ON_OUR_BENCHMARKS = 859  # open-checkpoint cells on a benchmark the evaluator runs
MEASURABLE_RIGHT = 701  # ... measurable, with the right repo (0.816)
RUNNABLE = 1479  # labelled result cells that become measurable claims (0.339; 701 before the lm-eval map)
# per paper: (open cells, right); papers not listed have no cell on an open checkpoint
PER_PAPER = {
    "2307.09288": (23, 23),
    "2310.06825": (60, 42),
    "2401.02385": (77, 77),
    "2402.00159": (32, 24),
    "2402.00838": (102, 94),
    "2402.16819": (50, 50),
    "2403.04652": (99, 94),
    "2403.08295": (132, 122),
    "2404.06395": (154, 121),
    "2405.04434": (139, 139),
    "2405.21060": (142, 99),
    "2406.11794": (48, 18),
    "2407.01492": (56, 0),
    "2412.02595": (10, 0),
    "2412.15115": (242, 220),
    "2501.00656": (478, 438),
    "2502.02737": (69, 69),
    "2505.08054": (25, 25),
    "2506.06105": (19, 10),
    "2510.18428": (12, 0),
    "2510.24256": (41, 0),
    "2512.13961": (167, 116),
    "unknown-compression_horizon": (20, 6),
    "unknown-public_arxiv": (84, 0),
}


@lru_cache(maxsize=1)
def scored() -> tuple[ModelScore, list[ModelScore], dict[str, int]]:
    return run_model_corpus()


def test_every_labelled_model_has_a_hand_label_with_a_kind_and_a_well_formed_repo() -> None:
    kinds: Counter[str] = Counter()
    for paper in real_papers():
        pairs = {(lab["table"], lab["model"]) for lab in paper.labels if not lab.get("derived")}
        rows = model_labels(paper)
        assert set(rows) == pairs, paper.arxiv_id
        for (table, model), row in rows.items():
            assert row["kind"] in KINDS, (paper.arxiv_id, table, model)
            assert row["why"].strip(), (paper.arxiv_id, table, model)
            if row["kind"] == "open":
                assert re.fullmatch(r"[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*", row["repo"]), row
            else:
                assert row["repo"] is None, row
            kinds[row["kind"]] += 1
    assert dict(kinds) == LABELLED_PAIRS


def test_no_claim_names_a_wrong_checkpoint() -> None:
    total, scores, _ = scored()
    assert total.wrong == 0, "\n".join(p for s in scores for p in s.problems if p.startswith("WRONG"))


def test_open_checkpoints_resolve_to_their_repo() -> None:
    total, _, kinds = scored()
    assert kinds == LABELLED_PAIRS
    assert (total.cells, total.open_cells, total.right) == (MATCHED_CELLS, OPEN_CELLS, RIGHT)
    assert (total.open_runnable_bench, total.open_runnable_right, total.runnable) == (
        OPEN_ON_OUR_BENCHMARKS,
        MEASURABLE_RIGHT,
        RUNNABLE,
    )


@pytest.mark.parametrize("paper", sorted(PER_PAPER))
def test_per_paper_figures(paper: str) -> None:
    _, scores, _ = scored()
    by_paper = {s.paper: s for s in scores}
    s = by_paper[paper]
    assert (s.open_cells, s.right, s.wrong) == (*PER_PAPER[paper], 0), "\n".join(s.problems[:20])


def test_papers_without_open_checkpoints_are_all_unresolved() -> None:
    _, scores, _ = scored()
    for s in scores:
        if s.paper not in PER_PAPER:
            assert (s.open_cells, s.right, s.wrong) == (0, 0, 0), s.paper


def test_labels_json_is_one_object_a_line() -> None:
    for paper in real_papers():
        for line in (paper.folder / "models.jsonl").read_text().splitlines():
            assert isinstance(json.loads(line), dict)
