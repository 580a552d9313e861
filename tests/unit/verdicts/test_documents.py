"""The published document: headline selection, supersession, the seed shape."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from services.publisher.documents import (
    RecomputeHeadline,
    apply_verdict,
    build_document,
    headline_fields,
    headline_rank,
    next_headline,
    select_headline,
    status_counts,
)
from shared.documents import ClaimEntry, PublishedDocument, VerdictPair
from shared.models import Verdict
from tests.paths import SEED
from tests.unit.verdicts import factories as f


def v(status: str, confidence: float = 0.5, kind: str = "POST", minutes: int = 0, vid: str | None = None) -> Verdict:
    return Verdict(
        id=vid or f"{status}-{confidence}-{kind}-{minutes}",
        kind=kind,
        status=status,
        confidence=confidence,
        agent_version="t",
        computed_at=f.NOW + timedelta(minutes=minutes),
        claim_citation=f.claim().citation,
        protocol_match="match",
    )


def entry(claim_id: str, post: Verdict | None = None, pre: Verdict | None = None, row: int = 1) -> ClaimEntry:
    return ClaimEntry(
        claim_id=claim_id, claim=f.claim(claim_id=claim_id, row_index=row), verdicts=VerdictPair(post=post, pre=pre)
    )


@pytest.mark.parametrize(
    ("posts", "headline"),
    [
        ([("a", "confirmed", 0.9), ("b", "wrong", 0.2), ("c", "partial", 0.9)], "b"),
        ([("a", "confirmed", 0.9), ("b", "inconclusive", 0.1), ("c", "partial", 0.3)], "c"),
        ([("a", "confirmed", 0.9), ("b", "inconclusive", 0.1)], "b"),
        ([("a", "partial", 0.4), ("b", "partial", 0.8)], "b"),  # ties: higher confidence
        ([("a", "confirmed", 0.5), ("b", "confirmed", 0.5)], "a"),  # then table position
    ],
)
def test_headline_is_the_most_severe_post(posts, headline) -> None:  # type: ignore[no-untyped-def]
    entries = [entry(cid, v(status, conf), row=i) for i, (cid, status, conf) in enumerate(posts)]
    assert select_headline(entries).claim_id == headline  # type: ignore[union-attr]


def test_pre_until_the_first_post() -> None:
    pre_only = [entry("a", pre=v("pending", kind="PRE"), row=2), entry("b", pre=v("pending", 0.9, kind="PRE"), row=1)]
    fields = headline_fields(pre_only)
    assert fields["claim_id"] == "b" and fields["verdict"].kind == "PRE" and fields["verdicts"].post is None
    with_post = [*pre_only, entry("c", post=v("confirmed"), pre=v("pending", kind="PRE"))]
    fields = headline_fields(with_post)
    assert fields["claim_id"] == "c" and fields["verdict"].kind == "POST" and fields["verdicts"].pre is not None
    assert headline_fields([])["verdict"] is None


def test_next_headline_moves_like_a_full_selection() -> None:
    """Verdicts arriving one at a time: the incremental headline equals select_headline over all claims,
    and a recompute is asked for exactly when the headline claim itself drops in rank."""
    rng = random.Random(7)
    statuses = ["wrong", "partial", "inconclusive", "confirmed"]
    entries = {f"c{i}": entry(f"c{i}", row=i) for i in range(12)}
    headline = None
    recomputes = 0
    for minute in range(300):
        cid = rng.choice(sorted(entries))
        kind = rng.choice(["PRE", "POST"])
        status = "pending" if kind == "PRE" else rng.choice(statuses)
        verdict = v(status, round(rng.random(), 2), kind=kind, minutes=minute, vid=f"v{minute}")
        entries[cid] = apply_verdict(entries[cid], entries[cid].claim, verdict)
        expected = select_headline(entries.values())
        try:
            takes_over = next_headline(headline_rank(headline) if headline else None, headline_rank(entries[cid]))
            headline = entries[cid] if takes_over else headline
        except RecomputeHeadline:
            assert headline is not None and headline.claim_id == cid
            assert headline_rank(entries[cid]) > headline_rank(headline)  # type: ignore[operator]
            recomputes += 1
            headline = expected
        assert headline is not None and expected is not None
        assert headline.claim_id == expected.claim_id and headline.verdicts == expected.verdicts
    assert 0 < recomputes < 60  # the fallback is exercised, and rare


def test_next_headline_edges() -> None:
    a, b = entry("a", post=v("partial"), row=1), entry("b", post=v("wrong"), row=2)
    assert next_headline(None, headline_rank(a)) is True
    assert next_headline(headline_rank(a), headline_rank(b)) is True  # more severe
    assert next_headline(headline_rank(b), headline_rank(a)) is False
    assert next_headline(headline_rank(a), headline_rank(entry("c"))) is False  # no verdict yet
    worse_a = entry("a", post=v("confirmed"), row=1)
    with pytest.raises(RecomputeHeadline):
        next_headline(headline_rank(a), headline_rank(worse_a))


def test_apply_verdict_keeps_the_newest_of_each_kind() -> None:
    claim = f.claim()
    first = apply_verdict(None, claim, v("partial", minutes=0))
    newer = apply_verdict(first, claim, v("wrong", minutes=5))
    late_older = apply_verdict(newer, claim, v("confirmed", minutes=1))
    with_pre = apply_verdict(late_older, claim, v("pending", kind="PRE"))
    assert newer.verdicts.post.status == "wrong" and late_older.verdicts.post.status == "wrong"
    assert with_pre.verdicts.pre.status == "pending" and with_pre.verdicts.post.status == "wrong"


def test_build_document_takes_the_version_s_claims_only() -> None:
    v1 = entry("old", post=v("wrong"))
    v2 = ClaimEntry(claim_id="new", claim=f.claim(claim_id="new", version=2), verdicts=VerdictPair(post=v("confirmed")))
    doc = build_document(f.paper(latest=2), f.version(number=2), [v1, v2], now=f.NOW, expected_claims=1)
    assert [e.claim_id for e in doc.claims] == ["new"] and doc.verdict.status == "confirmed"
    assert doc.arxiv_id == "2502.02737" and doc.expected_claims == 1 and doc.schema_version == 1
    assert status_counts([v1, v2, entry("x")]) == {"wrong": 1, "confirmed": 1, "unverified": 1}


@pytest.mark.skipif(not SEED.exists(), reason="seed document not present")
def test_seed_document_validates_and_our_document_is_a_superset() -> None:
    seed = json.loads(SEED.read_text())
    PublishedDocument.model_validate(seed)
    ours = build_document(f.paper(), f.version(), [entry("a", post=v("partial"))], now=f.NOW).model_dump(mode="json")
    assert set(seed) <= set(ours) and set(seed["verdict"]) <= set(ours["verdict"])
    assert set(seed["paper"]) <= set(ours["paper"]) and set(seed["latest_version"]) <= set(ours["latest_version"])
