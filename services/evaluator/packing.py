"""Turning log-likelihood requests into as few model tokens as possible (pure; numpy only).

A *unit* is the token tree of one document's requests: contexts that share a token prefix share
nodes, continuations hang off their context's last node and share their own common tokens. A node
sees exactly its ancestors, so each request's log-likelihood is what a separate causal pass over
`context + continuation` would give, but every shared token is computed once:

- single-token choices (MMLU's " A".." D") add no node at all: they are all read from the context's
  last position, one pass per context;
- multi-token choices (HellaSwag endings, ARC answers) share one copy of the context (its keys and
  values serve all of them);
- a prefix shared by a whole group of documents (MMLU's per-subject 5-shot prefix) is cut off before
  the trees are built and computed once per group, its keys and values reused by every batch.

Sharing is decided on token ids, never on strings, so a shared prefix is always a true token prefix
(BPE merges across a string boundary simply end the sharing earlier).

Units are packed first-fit-decreasing into rows; rows of similar length form batches under a token
budget. `layout` returns the tensors of one batch: ids, positions (depth in the tree, offset by the
shared prefix) and the boolean ancestor mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

PAD_TO = 8  # row lengths are rounded up to a multiple of this (tensor-core friendly shapes)


@dataclass
class Unit:
    tokens: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)  # -1: attached to the shared prefix
    depths: list[int] = field(default_factory=list)  # position within the unit (0 = first after the prefix)
    chains: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, parent) node blocks
    scored: list[tuple[int, int, int]] = field(default_factory=list)  # (request, node, target token)

    def __len__(self) -> int:
        return len(self.tokens)

    def _chain(self, parent: int, tokens: Sequence[int]) -> list[int]:
        start = len(self.tokens)
        base = self.depths[parent] + 1 if parent >= 0 else 0
        self.tokens.extend(tokens)
        self.parents.extend([parent] + list(range(start, start + len(tokens) - 1)))
        self.depths.extend(range(base, base + len(tokens)))
        self.chains.append((start, start + len(tokens), parent))
        return list(range(start, start + len(tokens)))


def _common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    diff = np.flatnonzero(a[:n] != b[:n])
    return int(diff[0]) if len(diff) else n


def build_unit(requests: Sequence[tuple[int, Sequence[int], Sequence[int]]]) -> Unit:
    """The token tree of some requests `(request index, context suffix, continuation)`: every context
    suffix must be non-empty (its last token's output predicts the first continuation token)."""
    unit = Unit()
    paths: list[tuple[np.ndarray, list[int]]] = []  # context tokens -> their node path
    by_context: dict[tuple[int, ...], list[int]] = {}
    children: dict[tuple[int, int], int] = {}
    for request, context, continuation in requests:
        key = tuple(context)
        path = by_context.get(key)
        if path is None:
            arr = np.asarray(key, dtype=np.int64)
            best, best_path = 0, []
            for other, other_path in paths:
                shared = _common_prefix(arr, other)
                if shared > best:
                    best, best_path = shared, other_path
            if best == len(arr):  # this context is a prefix of an earlier one
                path = best_path[:best]
            else:
                parent = best_path[best - 1] if best else -1
                path = best_path[:best] + unit._chain(parent, key[best:])
            by_context[key] = path
            paths.append((arr, path))
        tokens = [int(t) for t in continuation]
        fed = tokens[:-1]  # the last token is scored, never fed
        nodes = [path[-1]]  # nodes[k]: the node whose output predicts tokens[k]
        while len(nodes) <= len(fed) and (nodes[-1], fed[len(nodes) - 1]) in children:
            nodes.append(children[(nodes[-1], fed[len(nodes) - 1])])  # shared with an earlier continuation
        if len(nodes) <= len(fed):  # the rest is new: one chain
            rest = fed[len(nodes) - 1 :]
            for token, node in zip(rest, unit._chain(nodes[-1], rest)):
                children[(nodes[-1], token)] = node
                nodes.append(node)
        unit.scored.extend(zip([request] * len(tokens), nodes, tokens))
    return unit


def pack_rows(sizes: Sequence[int], row_tokens: int) -> list[list[int]]:
    """First-fit decreasing: unit indices per row, each row at most `row_tokens` long (a larger unit
    gets a row of its own)."""
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    smallest = sizes[order[-1]] if order else 0
    rows: list[list[int]] = []
    room: list[int] = []
    open_rows: list[int] = []  # rows (in order) that can still take the smallest unit: the only candidates
    for i in order:
        size = sizes[i]
        for k, r in enumerate(open_rows):
            if size <= room[r]:
                rows[r].append(i)
                room[r] -= size
                if room[r] < smallest:
                    del open_rows[k]
                break
        else:
            rows.append([i])
            room.append(max(row_tokens, size) - size)
            if room[-1] >= smallest:
                open_rows.append(len(rows) - 1)
    return rows


# A batch's rows are at least this fraction of its longest row: every row of a batch is padded to the
# longest, and a pad token costs a real token's compute (PIQA's 50 first documents, 14 to 243 tokens,
# padded to one width: 3.4x the real tokens; with this rule: 1.3x).
BATCH_SPREAD = 0.75


def batch_rows(row_sizes: Sequence[int], token_budget: int, spread: float = BATCH_SPREAD) -> list[list[int]]:
    """Rows (longest first) into batches whose padded size `rows x longest` stays under the budget and
    whose rows are all at least `spread` of the batch's longest."""
    order = sorted(range(len(row_sizes)), key=lambda i: (-row_sizes[i], i))
    batches: list[list[int]] = []
    for i in order:
        if batches:
            width = padded(row_sizes[batches[-1][0]])
            if (len(batches[-1]) + 1) * width <= token_budget and padded(row_sizes[i]) >= spread * width:
                batches[-1].append(i)
                continue
        batches.append([i])
    return batches


def padded(n: int) -> int:
    return max(PAD_TO, -(-n // PAD_TO) * PAD_TO)


@dataclass
class BatchLayout:
    input_ids: np.ndarray  # [B, R] int64
    position_ids: np.ndarray  # [B, R] int64
    mask: np.ndarray  # [B, R, R] bool: query attends key
    scored: list[tuple[int, int, int, int]]  # (request, row, column, target token)
    real_tokens: int


def layout(units: Sequence[Unit], rows: Sequence[Sequence[int]], prefix_len: int, pad_id: int = 0) -> BatchLayout:
    width = padded(max(sum(len(units[u]) for u in row) for row in rows))
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    pos = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width, width), dtype=bool)
    idx = np.arange(width)
    mask[:, idx, idx] = True  # padding sees itself, so no attention row is empty
    scored: list[tuple[int, int, int, int]] = []
    real = 0
    for b, row in enumerate(rows):
        offset = 0
        for u in row:
            unit = units[u]
            n = len(unit)
            ids[b, offset : offset + n] = unit.tokens
            pos[b, offset : offset + n] = np.asarray(unit.depths) + prefix_len
            block = mask[b, offset : offset + n, offset : offset + n]
            for start, end, parent in unit.chains:  # chains come parent-first
                if parent >= 0:
                    block[start:end] = block[parent]
                block[start:end, start:end] |= np.tri(end - start, dtype=bool)
            scored.extend((request, b, offset + node, target) for request, node, target in unit.scored)
            offset += n
            real += n
    return BatchLayout(ids, pos, mask, scored, real)
