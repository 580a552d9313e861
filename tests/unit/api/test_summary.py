"""Counts, groups, filters and plot points of the paper page (pure functions over the read model)."""

from __future__ import annotations

from services.api.summary import (
    Filters,
    group_claims,
    headline_reason,
    plot_points,
    status_counts,
    unmeasurable_counts,
    visible_cards,
)
from services.publisher.cards import Card, card_of, cards_of
from shared.models import GateOutcome
from tests.unit.api.synthetic import REASONS, synthetic_document, synthetic_entry

# synthetic_entry(i) by i % 10: 0 confirmed, 1 2 4 wrong, 3 inconclusive, 5 partial, 6 7 pending, 8 9 unmeasurable


def test_counts_by_status_worst_first_and_unmeasurable_by_reason() -> None:
    doc = synthetic_document(20)
    assert status_counts(cards_of(doc.claims)) == [
        ("wrong", 6),
        ("partial", 2),
        ("confirmed", 2),
        ("inconclusive", 2),
        ("pending", 8),
    ]
    # i = 8, 9, 18, 19: reasons REASONS[i % 3] = 2, 0, 0, 1; most frequent first, then by name
    assert unmeasurable_counts(cards_of(doc.claims)) == [(REASONS[0], 2), (REASONS[2], 1), (REASONS[1], 1)]


def test_groups_put_wrong_and_partial_first_and_unmeasurable_last() -> None:
    groups = group_claims(cards_of(synthetic_document(20).claims))
    assert [(g.key, g.measurable, len(g.entries)) for g in groups] == [
        ("wrong", True, 6),
        ("partial", True, 2),
        ("confirmed", True, 2),
        ("inconclusive", True, 2),
        ("pending", True, 4),
        (REASONS[0], False, 2),
        (REASONS[2], False, 1),
        (REASONS[1], False, 1),
    ]
    assert groups[0].filter_changes() == {"status": "wrong"} and groups[-1].filter_changes() == {"reason": REASONS[1]}


def test_visible_cards_are_bounded_per_group_and_per_page() -> None:
    groups = group_claims(cards_of(synthetic_document(100).claims))
    shown = visible_cards(groups, per_group=5, total=22)
    assert [len(s.entries) for s in shown] == [5, 5, 5, 5, 2, 0, 0, 0]
    assert all(len(s.entries) + s.more == len(s.group.entries) for s in shown)


def test_filters_match_table_model_status_and_reason_and_build_the_url() -> None:
    doc = synthetic_document(70)
    only = Filters(table="Table 2", status="wrong")
    cards = cards_of(doc.claims)
    picked = [c.claim_id for c in cards if only.matches(c)]
    # Table 2: i % 7 == 1; wrong: i % 10 in (1, 2, 4)
    assert picked == [f"c{i:05d}" for i in range(70) if i % 7 == 1 and i % 10 in (1, 2, 4)]
    assert all(
        Filters(model="org/model-3").matches(card_of(e)) == (e.claim.model_id == "org/model-3") for e in doc.claims
    )
    assert sum(Filters(reason=REASONS[1]).matches(c) for c in cards) == 4  # i = 19, 28, 49, 58
    assert only.active() == [("table", "Table 2"), ("status", "wrong")]
    assert only.query(offset=200) == "?table=Table+2&status=wrong&offset=200"
    assert only.query(table=None, status=None) == "?"
    assert Filters(model="a&b=<c>").query() == "?model=a%26b%3D%3Cc%3E"


def test_plot_points_are_on_the_printed_scale_with_the_verdicts_interval() -> None:
    fraction, percent, planned = synthetic_entry(0), synthetic_entry(1), synthetic_entry(6)
    points = plot_points(cards_of([fraction, percent, planned]))
    assert [p.claim_id for p in points] == ["c00000", "c00001"]  # the planned claim was not measured
    assert (points[0].reported, points[0].measured) == (0.508, 0.508)  # fraction scale: as stored
    assert round(points[0].half_width, 5) == round(1.96 * 0.004, 5)
    assert (points[1].reported, round(points[1].measured, 6)) == (50.8, 47.0)  # percent: x100
    assert round(points[1].half_width, 5) == round(1.96 * 0.4, 5)
    assert points[1].status == "wrong" and "reported 50.8" in points[1].label


def test_headline_reason_is_the_rules_note_in_one_line_with_the_gate_that_changed_it() -> None:
    wrong = synthetic_entry(1).verdicts.post
    assert headline_reason(wrong).startswith("Comparison: measured 47 vs printed 50.8")
    partial = synthetic_entry(5).verdicts.post
    assert partial is not None and partial.status == "partial"
    assert headline_reason(partial).startswith(
        "protocol unknown (critical unknown: n_shot (paper: not stated; run: 5)). Comparison: measured 50.8"
    )
    assert headline_reason(None) == ""
    assert len(headline_reason(synthetic_entry(3).verdicts.post)) <= 240


def test_headline_reason_names_a_gate_that_changed_the_status() -> None:
    wrong = synthetic_entry(1).verdicts.post
    assert wrong is not None
    gate = GateOutcome(gate="C1", passed=False, detail="", changed_status_from="confirmed")
    assert headline_reason(wrong.model_copy(update={"gates": [gate]})).startswith(
        "gate C1 changed confirmed to wrong. Comparison:"
    )


def test_a_card_round_trips_through_its_json() -> None:
    """The store keeps each claim's card as JSON: the page built from stored cards is the page."""
    for entry in synthetic_document(20).claims:
        card = card_of(entry)
        assert Card.from_json(card.to_json()) == card
