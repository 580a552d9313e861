"""The paper page's HTML: summary first, plot, grouped and filtered claims, bounded for large papers."""

from __future__ import annotations

import re

from services.api.paper_page import MAX_CARDS, PER_GROUP, paper_detail
from services.api.summary import Filters
from tests.unit.api.synthetic import HOSTILE, REASONS, synthetic_document


def _cards(html: str) -> list[str]:
    return re.findall(r'<tr class="claim" id="claim-[^"]+" data-claim-id="([^"]+)"', html)


def _marks(html: str) -> list[str]:
    return re.findall(r'<a class="mark" href="[^"]*" data-claim-id="([^"]+)"', html)


def test_summary_comes_first_then_plot_then_claims_worst_first() -> None:
    html = paper_detail(synthetic_document(20))
    mix = "6 wrong, 2 partial, 2 confirmed, 2 inconclusive, 8 pending"
    assert f'<p class="summary" id="mix" data-mix="{mix}">{mix}</p>' in html
    assert "4 not measurable: 2 model not released; 1 &lt;b&gt;derived&lt;/b&gt; cell" in html
    assert html.index('id="mix"') < html.index('id="plot"') < html.index('class="claims"')
    groups = re.findall(r'class="group" data-group="([^"]+)"', html)
    assert groups[:5] == ["wrong", "partial", "confirmed", "inconclusive", "pending"]
    assert html.count('<details class="group"') == 3  # the unmeasurable reasons are folded


def test_one_plot_mark_per_measured_claim_linking_to_its_card() -> None:
    doc = synthetic_document(20)
    html = paper_detail(doc)
    measured = [e.claim_id for e in doc.claims if e.verdicts.post and e.verdicts.post.score is not None]
    assert sorted(_marks(html)) == sorted(measured) and len(measured) == 12
    assert 'href="#claim-c00001" data-claim-id="c00001"' in html and 'id="claim-c00001"' in html


def test_filters_are_shown_with_a_clear_link_and_select_the_cards() -> None:
    doc = synthetic_document(70)
    html = paper_detail(doc, Filters(table="Table 2", status="wrong"))
    assert _cards(html) == [f"c{i:05d}" for i in range(70) if i % 7 == 1 and i % 10 in (1, 2, 4)]
    assert "Filtered by table = <b>Table 2</b>, status = <b>wrong</b>" in html and 'id="clear" href="?"' in html
    assert 'href="?table=Table+3&amp;status=wrong"' in html  # switching table keeps the status
    assert "No filter" in paper_detail(doc) and "No claim matches." in paper_detail(doc, Filters(model="none"))
    unmeasurable = paper_detail(doc, Filters(reason=REASONS[1]))
    assert sorted(_cards(unmeasurable)) == ["c00019", "c00028", "c00049", "c00058"]


def test_pre_column_says_what_was_planned_beside_a_finished_post() -> None:
    html = paper_detail(synthetic_document(20), Filters(claim="c00001"))
    assert _cards(html) == ["c00001"]
    start = html.index('<tr class="claim"')
    card = html[start : html.index("</tbody>", start)]
    assert "planned: mmlu, 5-shot, acc" in card and 'data-status="pending"' not in card


def test_paper_text_is_escaped() -> None:
    html = paper_detail(synthetic_document(30))
    assert "<script>" not in html and HOSTILE.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in html


def test_a_4000_claim_page_is_bounded_in_cards_and_size_and_keeps_every_mark() -> None:
    doc = synthetic_document(4000)
    html = paper_detail(doc)
    assert len(html.encode()) < 2 * 2**20
    assert len(_cards(html)) == 8 * PER_GROUP <= MAX_CARDS  # 5 statuses and 3 reasons, PER_GROUP each
    assert len(_marks(html)) == 2400  # every measured claim is plotted
    # a mark whose card is folded away links to the page of that one claim
    assert 'href="/ui/papers/2502.02737?claim=c03991#claim-c03991"' in html
    assert 'href="?status=wrong">show all 1200 (1180 not shown here)' in html

    wrong = paper_detail(doc, Filters(status="wrong", offset=MAX_CARDS))
    assert len(wrong.encode()) < 2 * 2**20 and len(_cards(wrong)) == MAX_CARDS
    assert f"claims {MAX_CARDS + 1}–{2 * MAX_CARDS} of 1200" in wrong
    assert 'href="?status=wrong&amp;offset=400">next 200' in wrong and 'href="?status=wrong">previous 200' in wrong
