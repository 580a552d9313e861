"""The web page's HTML (pure rendering; the browser test checks it in Chromium)."""

from __future__ import annotations

from services.api import paper_page, render
from services.publisher.documents import build_document
from services.validator.rules import post_verdict, pre_verdict
from shared.documents import ClaimEntry, VerdictPair
from tests.unit.verdicts import factories as f


def test_claim_row_shows_cited_cell_and_measured_value_side_by_side() -> None:
    claim = f.claim()
    post = post_verdict(claim, f.measurement(0.47), now=f.NOW)
    html = render.claim_row(
        ClaimEntry(
            claim_id=claim.claim_id,
            claim=claim,
            verdicts=VerdictPair(post=post, pre=pre_verdict(claim, f.run(), now=f.NOW)),
        )
    )
    assert 'data-status="wrong"' in html and "“50.8”" in html and "47.00 ± 0.40" in html
    assert "MMLU 5-shot" in html and "p. 8" in html and render.STATUS_COLOURS["wrong"] in html
    # the PRE verdict is still `pending`, but beside a finished POST it says what was planned
    assert "planned: mmlu, 5-shot, acc" in html and render.STATUS_COLOURS["pending"] not in html


def test_values_are_escaped() -> None:
    paper = f.paper(title="<script>alert(1)</script>")
    html = paper_page.paper_detail(build_document(paper, f.version(), [], now=f.NOW))
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_printed_scale() -> None:
    claim = f.claim(protocol=dict(scale="fraction"), citation=dict(reported_value=0.508, quoted_text="0.508"))
    verdict = post_verdict(claim, f.measurement(0.5, stderr=None, examples_used=1000), now=f.NOW)
    assert render.on_printed_scale(claim, verdict).startswith("0.5000 ± 0.0158")


def test_withdrawn_papers_are_marked_and_listed_with_their_headline() -> None:
    claim = f.claim()
    entry = ClaimEntry(
        claim_id=claim.claim_id,
        claim=claim,
        verdicts=VerdictPair(post=post_verdict(claim, f.measurement(0.508), now=f.NOW)),
    )
    doc = build_document(f.paper(withdrawn=True), f.version(), [entry], now=f.NOW)
    assert 'class="withdrawn"' in paper_page.paper_detail(doc)
    listing = render.paper_list([doc], render.ListPage(total=1))
    assert 'data-status="confirmed"' in listing and 'href="/ui/papers/2502.02737"' in listing
    assert "withdrawn" in listing
    assert "No papers published yet" in render.paper_list([], render.ListPage())
