"""Which shared prefixes to compute once, found from the token ids alone (pure; numpy only).

Every document has a *stem*: the token prefix its requests' contexts share, short of each context's
last token (that token's output predicts the continuation, so it must stay in the document's tree).
Stems sorted lexicographically put every set of documents that shares a prefix next to each other, and
the longest common prefixes (LCP) of neighbours define a radix tree over them: an *LCP interval* is a
run of neighbours whose LCP is at least `depth`, i.e. an internal node of that depth over those
documents. Computing a node's prefix once instead of once per document saves `(k - 1) * depth`
tokens for `k` documents, less a fixed cost (one more forward pass, smaller batches). A bottom-up pass
keeps, at each node, the better of "share this node's prefix" and "the best choice below it", so the
chosen prefixes never overlap and save the most tokens the tree allows.

A shared prefix is cut down to a multiple of `PAD_TO` (aligned key lengths for the fused attention
kernels) and to `max_tokens` (the memory budget of its cached keys and values); a cut prefix is still a
true token prefix of every member. Callers may pass *hints* (e.g. an MMLU subject): sharing then never
crosses two hints, which also keeps the trees small.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

PAD_TO = 8
MIN_SHARED_PREFIX = 16  # below this, a cached prefix is not worth a forward pass
GROUP_COST = 64  # tokens: what one more group costs (a prefix pass, a smaller last batch)


@dataclass
class PrefixGroup:
    length: int  # tokens shared by every member's stem
    documents: list[int]  # indices into the stems


@dataclass
class _Node:
    depth: int
    start: int  # first position in the sorted order
    end: int = -1  # last position (inclusive)
    children: list[_Node] = field(default_factory=list)
    best: int = 0
    take: bool = False


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    diff = np.flatnonzero(a[:n] != b[:n])
    return int(diff[0]) if len(diff) else n


def usable(depth: int, max_tokens: int) -> int:
    """The prefix length a node of this depth gets: aligned, within budget, or 0 when not worth it."""
    length = min(depth, max_tokens)
    length -= length % PAD_TO
    return length if length >= MIN_SHARED_PREFIX else 0


def plan(
    stems: Sequence[Sequence[int]], hints: Sequence[Hashable] | None = None, *, max_tokens: int = 1 << 30
) -> list[PrefixGroup]:
    """Groups of documents (indices of `stems`) that share a computed-once prefix; a document in no
    group is computed whole. Deterministic: the same stems give the same groups in the same order."""
    by_hint: dict[Hashable, list[int]] = {}
    for i in range(len(stems)):
        by_hint.setdefault(hints[i] if hints is not None else None, []).append(i)
    groups: list[PrefixGroup] = []
    for members in by_hint.values():
        groups.extend(_plan_one([stems[i] for i in members], members, max_tokens))
    return groups


def _plan_one(stems: Sequence[Sequence[int]], ids: list[int], max_tokens: int) -> list[PrefixGroup]:
    if len(stems) < 2:
        return []
    arrays = [np.asarray(s, dtype=np.int64) for s in stems]
    order = sorted(range(len(stems)), key=lambda i: (tuple(stems[i]), i))
    lcp = [common_prefix(arrays[order[i - 1]], arrays[order[i]]) for i in range(1, len(order))]
    root = _interval_tree(lcp)
    chosen: list[_Node] = []
    _collect(root, chosen, max_tokens)
    return [
        PrefixGroup(usable(node.depth, max_tokens), sorted(ids[order[p]] for p in range(node.start, node.end + 1)))
        for node in chosen
    ]


def _interval_tree(lcp: list[int]) -> _Node:
    """The LCP intervals of the sorted stems (Abouelhoda et al.'s bottom-up traversal): node depth = the
    interval's LCP, children = the intervals nested in it, each finished as soon as it closes."""
    stack = [_Node(depth=0, start=0)]
    n = len(lcp) + 1
    for i in range(1, n + 1):
        depth = lcp[i - 1] if i < n else 0  # the sentinel closes every interval but the root
        start = i - 1
        last: _Node | None = None
        while depth < stack[-1].depth:
            node = stack.pop()
            node.end = i - 1
            start = node.start
            if depth <= stack[-1].depth:
                stack[-1].children.append(node)
            else:
                last = node
        if depth > stack[-1].depth:
            node = _Node(depth=depth, start=start)
            if last is not None:
                node.children.append(last)
            stack.append(node)
    root = stack[0]
    root.end = n - 1
    return root


def _collect(root: _Node, chosen: list[_Node], max_tokens: int) -> None:
    """Bottom-up best choice (iterative: a tree can be as deep as there are stems), then the chosen
    nodes, outermost first."""
    order: list[_Node] = []
    pending = [root]
    while pending:
        node = pending.pop()
        order.append(node)
        pending.extend(node.children)
    for node in reversed(order):  # children before parents
        below = sum(child.best for child in node.children)
        length = usable(node.depth, max_tokens)
        gain = (node.end - node.start) * length - GROUP_COST if length else 0
        node.take = gain > below and gain > 0
        node.best = gain if node.take else below
    pending = [root]
    while pending:
        node = pending.pop()
        if node.take:
            chosen.append(node)
        else:
            pending.extend(reversed(node.children))
    chosen.sort(key=lambda node: node.start)


__all__ = ["MIN_SHARED_PREFIX", "PrefixGroup", "plan", "usable"]
