"""PublisherStore against real FerretDB: idempotence, supersession, versions, gates, concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.publisher.documents import select_headline
from services.publisher.store import InconsistentVerdict, PublisherStore
from services.validator.rules import post_verdict, pre_verdict
from shared.gates import G1, GateViolation
from shared.messages import ExtractionCompleted
from shared.models import GateOutcome
from tests.unit.verdicts import factories as f


@pytest.fixture
async def store(mongo_db) -> PublisherStore:  # type: ignore[no-untyped-def]
    store = PublisherStore(mongo_db)
    await store.ensure_indexes()
    return store


async def counts(store: PublisherStore) -> tuple[int, int, int]:
    return (
        await store.papers.count_documents({}),
        await store.claims.count_documents({}),
        await store.verdicts.count_documents({}),
    )


async def test_a_verdict_is_marked_announced_once_its_event_went_out(store: PublisherStore) -> None:
    claim, measurement = f.claim(), f.measurement(0.47)
    msg = f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement)
    assert await store.record_verdict(msg) is True
    assert await store.announced(msg.verdict.id) is False
    await store.mark_announced(msg.verdict.id)
    assert await store.announced(msg.verdict.id) is True
    assert await store.announced("no-such-verdict") is False
    history, total = await store.get_history("2502.02737")
    assert total == 1 and history[0].id == msg.verdict.id  # the mark does not disturb the history


async def test_record_verdict_is_idempotent(store: PublisherStore) -> None:
    claim, measurement = f.claim(), f.measurement(0.47)
    msg = f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement)
    assert await store.record_verdict(msg) is True
    before = (await counts(store), await store.get_document("2502.02737"))
    assert await store.record_verdict(msg) is False
    assert (await counts(store), await store.get_document("2502.02737")) == before
    assert before[0] == (1, 1, 1)
    doc = before[1]
    assert doc.verdict.id == msg.verdict.id and doc.verdict.computed_at == f.NOW
    assert (await store.get_claim(claim.claim_id)).measurement == measurement


async def test_newer_verdict_supersedes_and_older_one_arriving_late_does_not(store: PublisherStore) -> None:
    claim = f.claim()
    first = post_verdict(claim, f.measurement(0.47, measurement_id="m1"), now=f.NOW)
    second = post_verdict(claim, f.measurement(0.508, measurement_id="m2"), now=f.NOW + timedelta(hours=1))
    late = post_verdict(claim, f.measurement(0.40, measurement_id="m0"), now=f.NOW - timedelta(hours=1))
    for verdict in (first, second, late):
        assert await store.record_verdict(f.validated(claim, verdict, f.measurement()))
    current = {v.id: v.is_current for v in (await store.get_history("2502.02737"))[0]}
    assert current == {first.id: False, second.id: True, late.id: False}
    doc = await store.get_document("2502.02737")
    assert doc.verdict.id == second.id and doc.verdict.status == "confirmed"
    assert doc.claims[0].verdicts.post.id == second.id


async def test_pre_then_post_headline(store: PublisherStore) -> None:
    a, b = f.claim(claim_id="a", row_index=1), f.claim(claim_id="b", row_index=2)
    for claim in (a, b):
        await store.record_verdict(f.validated(claim, pre_verdict(claim, f.run(), now=f.NOW, model_id=f.MODEL)))
    doc = await store.get_document("2502.02737")
    assert doc.verdict.kind == "PRE" and doc.claim_id == "a" and doc.verdicts.post is None
    await store.record_verdict(f.validated(b, post_verdict(b, f.measurement(0.508), now=f.NOW)))
    await store.record_verdict(f.validated(a, post_verdict(a, f.measurement(0.60), now=f.NOW)))
    doc = await store.get_document("2502.02737")
    assert (doc.claim_id, doc.verdict.status) == ("a", "wrong")
    assert doc.verdicts.pre.kind == "PRE" and doc.verdicts.post.kind == "POST"
    assert {e.claim_id: e.verdicts.post.status for e in doc.claims} == {"a": "wrong", "b": "confirmed"}


@pytest.mark.parametrize(("status", "match"), [("wrong", "unknown"), ("wrong", "mismatch")])
async def test_forged_c1_violation_is_refused_before_anything_is_written(store: PublisherStore, status, match) -> None:  # type: ignore[no-untyped-def]
    claim = f.claim()
    honest = post_verdict(
        claim, f.measurement(0.40, protocol=f.seed_run(), stderr=0.001, examples_used=5000), now=f.NOW
    )
    forged = honest.model_copy(update={"status": status, "protocol_match": match, "gates": []})
    with pytest.raises(GateViolation, match="gate C1 failed"):
        await store.record_verdict(f.validated(claim, forged))
    assert await counts(store) == (0, 0, 0)
    assert await store.get_document("2502.02737") is None


async def test_failed_gates_are_refused(store: PublisherStore) -> None:
    claim = f.claim()
    verdict = post_verdict(claim, f.measurement(), now=f.NOW)
    failed_g1 = GateOutcome(gate=G1, passed=False, detail="'50.8' is not in main.tex[10:30]")
    with pytest.raises(GateViolation, match="gate G1"):
        await store.record_verdict(f.validated(claim, verdict), extra_gates=[failed_g1])
    recorded = verdict.model_copy(update={"gates": [*verdict.gates, failed_g1]})
    with pytest.raises(GateViolation, match="gate G1"):
        await store.record_verdict(f.validated(claim, recorded))
    with pytest.raises(InconsistentVerdict):
        await store.record_verdict(f.validated(f.claim(claim_id="other"), verdict))
    assert await counts(store) == (0, 0, 0)
    passed_g1 = GateOutcome(gate=G1, passed=True, detail="found")
    assert await store.record_verdict(f.validated(claim, verdict), extra_gates=[passed_g1])
    assert [g.gate for g in (await store.get_history("2502.02737"))[0][0].gates] == ["C1", G1]


async def test_paper_and_verdicts_handled_concurrently(store: PublisherStore) -> None:
    claims = [f.claim(claim_id=f"c{i}", row_index=i) for i in range(8)]
    messages = [f.validated(c, post_verdict(c, f.measurement(0.508), now=f.NOW)) for c in claims]
    paper = f.ingested(title="Title from arXiv")
    results = await asyncio.gather(store.record_paper(paper), *(store.record_verdict(m) for m in messages))
    assert results[1:] == [True] * 8
    doc = await store.get_document("2502.02737")
    assert doc.paper.title == "Title from arXiv" and len(doc.claims) == 8
    assert doc.verdict.status == "confirmed"


async def test_new_version_yields_new_claims_and_keeps_history(store: PublisherStore) -> None:
    v1 = f.claim(claim_id="v1-claim")
    await store.record_paper(f.ingested())
    await store.record_extraction(
        ExtractionCompleted(
            paper=f.paper(), version=f.version(), claim_count=1, claim_ids=["v1-claim"], outcome="claims"
        )
    )
    await store.record_verdict(f.validated(v1, post_verdict(v1, f.measurement(0.47), now=f.NOW)))
    doc = await store.get_document("2502.02737")
    assert (doc.expected_claims, doc.extraction_outcome, doc.verdict.status) == (1, "claims", "wrong")

    await store.record_paper(f.ingested(number=2, withdrawn=True))
    doc = await store.get_document("2502.02737")
    assert doc.latest_version.version == 2 and doc.paper.withdrawn and doc.paper.latest_version == 2
    assert doc.claims == [] and doc.verdict is None and doc.expected_claims is None
    # A late message about version 1 changes neither the version nor the claims shown.
    await store.record_paper(f.ingested(number=1))
    await store.record_extraction(
        ExtractionCompleted(paper=f.paper(), version=f.version(), claim_count=9, claim_ids=[], outcome="claims")
    )
    v2 = f.claim(claim_id="v2-claim", version=2)
    await store.record_verdict(f.validated(v2, post_verdict(v2, f.measurement(0.508), now=f.NOW)))
    doc = await store.get_document("2502.02737")
    assert doc.latest_version.version == 2 and doc.expected_claims is None
    assert [e.claim_id for e in doc.claims] == ["v2-claim"] and doc.verdict.paper_version == 2
    history, total = await store.get_history("2502.02737")
    assert total == len(history)
    assert {v.claim_id for v in history} == {"v1-claim", "v2-claim"} and all(v.is_current for v in history)


async def test_replay_repairs_a_projection_a_crash_left_behind(store: PublisherStore) -> None:
    claim = f.claim()
    msg = f.validated(claim, post_verdict(claim, f.measurement(), now=f.NOW))
    await store.verdicts.insert_one(
        {**msg.verdict.model_dump(), "_id": msg.verdict.id, "arxiv_id": "2502.02737", "claim_id": claim.claim_id}
    )  # history written, then the process died
    assert await store.record_verdict(msg) is False
    doc = await store.get_document("2502.02737")
    assert doc is not None and doc.verdict.id == msg.verdict.id


async def test_headline_claim_losing_rank_recomputes_from_the_other_claims(store: PublisherStore) -> None:
    a, b, c = (f.claim(claim_id=cid, row_index=i) for i, cid in enumerate(("a", "b", "c")))
    await store.record_verdict(f.validated(a, post_verdict(a, f.measurement(0.60), now=f.NOW)))  # wrong
    await store.record_verdict(
        f.validated(b, post_verdict(b, f.measurement(0.47), now=f.NOW))
    )  # wrong too (a ranks first)
    await store.record_verdict(f.validated(c, pre_verdict(c, f.run(), now=f.NOW, model_id=f.MODEL)))
    doc = await store.get_document("2502.02737")
    assert (doc.claim_id, doc.verdict.status) == ("a", "wrong")
    fixed = post_verdict(a, f.measurement(0.508, measurement_id="m-fixed"), now=f.NOW + timedelta(hours=1))
    await store.record_verdict(f.validated(a, fixed))
    doc = await store.get_document("2502.02737")
    assert (doc.claim_id, doc.verdict.status) == ("b", "wrong")
    assert [e.claim_id for e in doc.claims] == ["a", "b", "c"] and doc.claims[0].verdicts.post.id == fixed.id


async def test_a_verdict_reads_no_other_claim_and_the_stored_document_has_no_claims_array(
    store: PublisherStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims = [f.claim(claim_id=f"c{i:03d}", row_index=i) for i in range(20)]
    for claim in claims:
        await store.record_verdict(f.validated(claim, pre_verdict(claim, f.run(), now=f.NOW, model_id=f.MODEL)))

    def no_scan(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError(f"a verdict read the paper's claims: find{args}")

    monkeypatch.setattr(store.claims, "find", no_scan)
    for k, claim in enumerate(claims[::4]):  # each more severe than the headline before, or not: never a demotion
        measurement = f.measurement(0.40 + 0.02 * k, measurement_id=f"m{k}")
        assert await store.record_verdict(f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement))
    monkeypatch.undo()

    raw = await store.papers.find_one({"_id": "2502.02737"})
    assert "claims" not in raw and raw["claim_id"] == "c000"
    doc = await store.get_document("2502.02737")
    assert [e.claim_id for e in doc.claims] == [c.claim_id for c in claims]
    assert doc.verdict.kind == "POST" and doc.claim_id == "c000"
    assert [d.claim_id for d in await store.list_documents()] == ["c000"]
    assert len((await store.list_documents())[0].claims) == 20
    monkeypatch.setattr(store.claims, "find", no_scan)  # the web page's list never reads the claims
    (listed,) = await store.list_papers()
    assert listed.claim_id == "c000" and listed.claims == [] and listed.verdict == doc.verdict
    monkeypatch.undo()


async def test_the_page_from_stored_cards_is_the_page_of_the_whole_document(store: PublisherStore) -> None:
    """The paper page reads every claim's card and only the claims whose rows it shows: that page is
    the one built from the whole document, after each verdict (cards follow their claim's verdicts)."""
    from services.api import paper_page
    from services.api.summary import Filters

    claims = [
        f.claim(claim_id=f"c{i:02d}", row_index=i, citation={"row": f"model {i}", "quoted_text": "50.8"})
        for i in range(24)
    ]
    filters = [Filters(), Filters(status="wrong"), Filters(claim="c07"), Filters(table="Table 4", offset=3)]
    for step, claim in enumerate(claims):
        score = 0.47 if step % 3 else 0.508
        verdict = pre_verdict(claim, f.run(), now=f.NOW) if step % 4 == 3 else None
        measurement = f.measurement(score, measurement_id=f"m{step}")
        await store.record_verdict(
            f.validated(claim, verdict or post_verdict(claim, measurement, now=f.NOW), measurement)
        )
    later = post_verdict(claims[3], f.measurement(0.508, measurement_id="m-late"), now=f.NOW + timedelta(hours=1))
    await store.record_verdict(f.validated(claims[3], later, f.measurement(0.508, measurement_id="m-late")))
    whole = await store.get_document("2502.02737")
    head = await store.get_paper("2502.02737")
    assert whole is not None and head is not None and head.claims == []
    cards = await store.get_cards(head)
    assert [c.claim_id for c in cards] == [e.claim_id for e in whole.claims]
    assert await store.cards.count_documents({}) <= 16  # buckets, not one document per claim
    for wanted in filters:
        shown = paper_page.rows_on_page(cards, wanted)
        assert 0 < len(shown) <= paper_page.MAX_CARDS
        rows = await store.get_entries(shown)
        assert paper_page.render(head, cards, rows, wanted) == paper_page.paper_detail(whole, wanted)


async def test_cards_are_built_once_for_a_paper_published_before_them(store: PublisherStore) -> None:
    claim, measurement = f.claim(), f.measurement(0.47)
    await store.record_verdict(f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement))
    await store.cards.delete_many({})  # as a store of an earlier release left it
    head = await store.get_paper("2502.02737")
    assert head is not None
    cards = await store.get_cards(head)
    assert [c.claim_id for c in cards] == [claim.claim_id] and cards[0].status == "wrong"
    assert await store.cards.count_documents({}) == 1
    assert await store.get_cards(head) == cards


@pytest.mark.parametrize("carded", [True, False])
async def test_a_headline_recompute_ranks_the_cards_without_reading_the_claims(
    store: PublisherStore, monkeypatch: pytest.MonkeyPatch, carded: bool
) -> None:
    """The headline claim losing rank: a paper with every card ranks them (16 bucket reads and the new
    headline's row); one stored before cards (`cards_complete` unset) reads its claims. Same headline."""
    claims = [f.claim(claim_id=f"c{i:02d}", row_index=i) for i in range(12)]
    for k, claim in enumerate(claims):
        score = (0.60, 0.47, 0.508)[k % 3]  # wrong, wrong, confirmed
        measurement = f.measurement(score, measurement_id=f"m{k}")
        await store.record_verdict(f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement))
    headline = (await store.get_paper("2502.02737")).claim_id  # type: ignore[union-attr]
    if not carded:
        await store.papers.update_one({"_id": "2502.02737"}, {"$unset": {"cards_complete": ""}})

    def no_scan(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError(f"the recompute read the paper's claims: find{args}")

    if carded:
        monkeypatch.setattr(store.claims, "find", no_scan)
    loser = next(c for c in claims if c.claim_id == headline)
    fixed = post_verdict(loser, f.measurement(0.508, measurement_id="m-fixed"), now=f.NOW + timedelta(hours=1))
    await store.record_verdict(f.validated(loser, fixed))
    monkeypatch.undo()
    doc = await store.get_document("2502.02737")
    assert doc is not None and doc.claim_id != headline
    assert (
        doc.claim_id == select_headline(doc.claims).claim_id
        and doc.verdict == doc.claims[[e.claim_id for e in doc.claims].index(doc.claim_id)].verdicts.post
    )
