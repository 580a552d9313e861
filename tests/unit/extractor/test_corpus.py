"""The scored test over the hand-labelled fixture corpus (fixtures/papers/2611.001xx).

Precision and recall count a claim as correct when it is at a labelled (table, row, column) and its
quoted text, value, model id, benchmark, shot count, metric and measurability all match the label.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from services.extractor.extract import ExtractionResult
from services.extractor.plaintext import parse_number
from shared.gates import check_g1
from shared.unpack import unpack_eprint
from tests.unit.extractor.corpus import Score, fixture_papers, run_corpus

# README.md, "Measured": 12 papers, 424 labelled cells; precision, recall, pdf_page and LaTeX/HTML agreement 1.000
PAPERS = 12
LABELLED_CELLS = 424


@lru_cache(maxsize=1)
def corpus() -> tuple[Score, dict[str, ExtractionResult]]:
    return run_corpus()


def test_corpus_precision_recall_pages_and_html_agreement(capsys: pytest.CaptureFixture[str]) -> None:
    score, _ = corpus()
    report = (
        f"\nextractor corpus: {len(fixture_papers())} papers, {score.expected} labelled cells, "
        f"{score.extracted} claims\n  precision {score.precision:.3f}  recall {score.recall:.3f}  "
        f"pdf_page accuracy {score.page_accuracy:.3f}  LaTeX/HTML agreement {score.html_agreement:.3f} "
        f"({score.html_checked} claims checked)"
    )
    with capsys.disabled():
        print(report)
    problems = "\n".join(score.mismatches[:40])
    assert len(fixture_papers()) == PAPERS
    assert score.expected == LABELLED_CELLS
    assert score.correct == score.extracted == score.expected, problems  # precision and recall 1.000
    assert score.page_correct == score.page_checked > 0, problems
    assert score.html_agree == score.html_checked == score.extracted, problems  # every claim has its HTML cell


def test_every_corpus_claim_is_grounded_in_the_served_eprint() -> None:
    _, results = corpus()
    for paper in fixture_papers():
        files = unpack_eprint(paper.eprint.read_bytes())
        for claim in results[paper.arxiv_id].claims:
            assert check_g1(claim, files).passed, claim.claim_id
            html = parse_number(claim.evidence.html_text or "")
            assert html is not None and html.unsigned == claim.citation.quoted_text.lstrip("+-"), claim.claim_id


def test_pdf_only_paper_ends_with_a_visible_no_tables_outcome() -> None:
    _, results = corpus()
    result = results["2611.00107"]
    assert result.outcome == "no_tables" and not result.claims and "no tables extracted" in result.detail
    assert all(r.outcome == "claims" for k, r in results.items() if k != "2611.00107")


def test_corpus_covers_the_layouts_of_the_issue() -> None:
    _, results = corpus()
    claims = [c for r in results.values() for c in r.claims]
    kinds = {p.eprint.name for p in fixture_papers()}
    assert len(fixture_papers()) >= 10 and kinds == {"eprint.tar.gz", "eprint.tex.gz", "eprint.pdf"}
    assert any(c.citation.column.endswith(c.model_label) for c in claims)  # benchmarks in rows
    assert any(c.citation.row.endswith(c.model_label) for c in claims)  # models in rows
    assert any(" / " in c.citation.column for c in claims) and any(" / " in c.citation.row for c in claims)
    assert any(c.spread is not None for c in claims)
    assert any(c.protocol.is_aggregate and c.components for c in claims)
    assert {"Table A.1", "Table S2", "Table 2a", "Table 2b"} <= {c.table_label for c in claims}
    reasons = " ".join(c.unmeasurable_reason or "" for c in claims)
    for why in (
        "ablation variant",
        "is unreleased",
        "is proprietary",
        "is LLM-judged",
        "is human-judged",
        "is not supported by the evaluator",
    ):
        assert why in reasons, why
    assert any(c.protocol.scale == "fraction" for c in claims)
    assert any(c.protocol.held_out for c in claims)
    assert any(c.model_id == "paperverdict-fixtures/tiny-llama" for c in claims)
    assert any(c.model_id == "HuggingFaceTB/SmolLM2-1.7B-Instruct" and c.citation.row == "SmolLM2-1.7B" for c in claims)
