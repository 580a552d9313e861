"""The prefix planner: which documents share a computed-once prefix, found from token ids alone."""

from __future__ import annotations

import random

from services.evaluator.prefixes import GROUP_COST, PrefixGroup, plan, usable

A = list(range(1000, 1600))  # a 600-token few-shot prefix
B = list(range(2000, 2600))
SHORT = list(range(3000, 3030))  # 30 tokens: worth sharing only among many documents


def test_documents_sharing_a_long_prefix_are_grouped_and_others_are_not() -> None:
    stems = [A + [1, 2], B + [1], A + [3], [7, 7, 7], B + [4, 4], A + [5]]
    assert plan(stems) == [PrefixGroup(600, [0, 2, 5]), PrefixGroup(600, [1, 4])]


def test_nested_prefixes_pick_the_split_that_saves_most() -> None:
    # 4 documents share A; two of them share A + 200 more tokens
    extra = list(range(5000, 5200))
    stems = [A + extra + [1], A + extra + [2], A + [3], A + [4]]
    # one group on A saves 3 * 600 - cost; A+extra for two saves only 800 - cost and loses the other two
    assert plan(stems) == [PrefixGroup(600, [0, 1, 2, 3])]
    # groups never overlap: with ten documents under the deeper node the planner weighs "A for all twelve"
    # against "A + extra for ten" and keeps whichever saves more
    deep = [A + extra + [k] for k in range(10)]
    got = plan(deep + [A + [1], A + [2]])
    saved = sum((len(g.documents) - 1) * g.length - GROUP_COST for g in got)
    assert saved == max(11 * 600, 9 * 800) - GROUP_COST


def test_lengths_are_aligned_and_within_the_budget() -> None:
    stems = [A[:203] + [k] for k in range(5)]
    assert plan(stems) == [PrefixGroup(200, [0, 1, 2, 3, 4])]
    assert plan(stems, max_tokens=100) == [PrefixGroup(96, [0, 1, 2, 3, 4])]
    assert usable(15, 1000) == 0 and usable(17, 1000) == 16 and usable(600, 50) == 48


def test_short_prefixes_are_shared_only_when_enough_documents_pay_for_the_extra_pass() -> None:
    few = [SHORT + [k] for k in range(3)]  # 2 * 24 saved < cost
    many = [SHORT + [k] for k in range(10)]  # 9 * 24 saved > cost
    assert plan(few) == []
    assert plan(many) == [PrefixGroup(24, list(range(10)))]


def test_hints_keep_groups_apart() -> None:
    stems = [A + [1], A + [2], A + [3], A + [4]]
    assert plan(stems, hints=["x", "x", "y", "y"]) == [PrefixGroup(600, [0, 1]), PrefixGroup(600, [2, 3])]


def test_degenerate_inputs() -> None:
    assert plan([]) == [] and plan([A]) == [] and plan([[], [], []]) == []
    assert plan([A, A, A]) == [PrefixGroup(600, [0, 1, 2])]  # identical stems


def test_every_group_is_a_true_prefix_of_its_members_and_groups_never_overlap() -> None:
    rng = random.Random(3)
    heads = [[rng.randrange(50) for _ in range(rng.randrange(0, 300))] for _ in range(6)]
    stems = [rng.choice(heads) + [rng.randrange(50) for _ in range(rng.randrange(0, 40))] for _ in range(300)]
    groups = plan(stems)
    seen: set[int] = set()
    for group in groups:
        assert group.length % 8 == 0 and group.length >= 16
        first = stems[group.documents[0]][: group.length]
        assert all(stems[d][: group.length] == first for d in group.documents)
        assert not seen & set(group.documents)
        seen |= set(group.documents)
    assert plan(stems) == groups  # deterministic
