"""The paper list: the find filter of ?q= and ?status=, and the page's search form and counts."""

from __future__ import annotations

from services.api import render
from services.api.listing import papers_query, search_key
from tests.unit.api.synthetic import synthetic_document


def test_search_text_becomes_an_anchored_escaped_id_prefix() -> None:
    assert search_key(" arXiv:2502.02737v2 ") == "2502.02737"
    assert search_key("hep-th/9901001v1") == "hep-th/9901001"
    assert search_key(None) == "" and search_key("   ") == ""
    assert papers_query("2502.", None) == {"_id": {"$regex": r"^2502\."}}
    assert papers_query("a.*(", None) == {"_id": {"$regex": r"^a\.\*\("}}  # typed text is not a pattern


def test_status_filter_and_no_headline() -> None:
    assert papers_query(None, "wrong") == {"verdict.status": "wrong"}
    assert papers_query("", "none") == {"verdict": None}
    assert papers_query("2502", "confirmed") == {"_id": {"$regex": "^2502"}, "verdict.status": "confirmed"}
    assert papers_query(None, None) == {}


def test_list_page_shows_search_counts_active_filters_and_paging() -> None:
    doc = synthetic_document(10)
    listing = render.ListPage(q='25"02', status="wrong", counts=[("wrong", 1), ("confirmed", 0)], total=3, limit=1)
    html = render.paper_list([doc], listing)
    assert 'value="25&quot;02"' in html and '<input type=hidden name=status value="wrong">' in html
    assert 'data-count-status="wrong"' in html and 'data-count-status="confirmed"' not in html  # zero counts left out
    assert "arXiv ID starts with <b>25&quot;02</b>" in html and 'id=clear href="/"' in html
    assert 'href="/?q=25%2202&amp;status=wrong&amp;offset=1">older' in html and ">newer<" not in html
    assert 'data-arxiv-id="2502.02737"' in html and "2026-05-15 16:33" in html
    assert "No paper matches." in render.paper_list([], listing)
