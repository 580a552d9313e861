"""Page numbers from the PDF text layer."""

from __future__ import annotations

from services.extractor.pdf import PdfPages
from tests.unit.extractor.corpus import PAPERS


def test_caption_tags_give_the_page_including_appendix_letters() -> None:
    pages = PdfPages((PAPERS / "2611.00106" / "render" / "paper.pdf").read_bytes())
    assert pages.page_of("Table 1", []) == 2
    assert pages.page_of("Table A.1", []) == 3
    assert pages.page_of("Table B.1", []) == 4


def test_a_sentence_citing_a_table_is_not_its_caption() -> None:
    pages = PdfPages((PAPERS / "2611.00109" / "render" / "paper.pdf").read_bytes())
    assert "in Table 2." in pages.text(0)
    assert pages.page_of("Table 2", []) == 2
    assert pages.page_of("Table 2a (part 2)", []) == 2


def test_unknown_tag_falls_back_to_the_page_with_the_numbers() -> None:
    pages = PdfPages((PAPERS / "2611.00109" / "render" / "paper.pdf").read_bytes())
    assert pages.page_of("Unnumbered table 1", ["58.0", "27.4", "65.6", "70.1"]) == 2
    assert pages.page_of("Unnumbered table 1", ["12345.6", "98765.4"]) is None


def test_unreadable_pdfs_give_no_page() -> None:
    assert PdfPages(b"%PDF-1.4 garbage").page_of("Table 1", ["1.0"]) is None
    assert PdfPages(None).page_of("Table 1", []) is None
