"""The engine's log-likelihoods equal a plain causal forward pass per request, whatever the sharing:
token trees, single-token choices, group prefixes (including prefixes whose string boundary is not a
token boundary), left truncation, empty contexts. Packing is deterministic."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from services.evaluator import packing
from services.evaluator.engine import Engine, common_prefix_length
from services.evaluator.tokenization import EncodedRequest, RequestEncoder


def reference(model, encoded: EncodedRequest) -> tuple[float, bool]:
    """What lm-eval computes for one request: a causal pass over context+continuation[:-1]."""
    ids = torch.tensor([list(encoded.context + encoded.continuation)[:-1]])
    with torch.inference_mode():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    n = len(encoded.continuation)
    scored = logprobs[-n:]
    target = torch.tensor(encoded.continuation)
    return float(scored[torch.arange(n), target].sum()), bool((scored.argmax(-1) == target).all())


def test_build_unit_shares_contexts_and_continuation_prefixes():
    unit = packing.build_unit(
        [
            (0, [1, 2, 3], [7]),
            (1, [1, 2, 3], [8]),
            (2, [1, 2, 3], [9, 10, 11]),
            (3, [1, 2, 3], [9, 10, 12]),
            (4, [1, 2, 5], [7]),
        ]
    )
    # context 1 2 3 once, its sibling context 1 2 5 shares "1 2"; continuation "9 10" shared
    assert unit.tokens == [1, 2, 3, 9, 10, 5]
    assert unit.parents == [-1, 0, 1, 2, 3, 1]
    assert unit.depths == [0, 1, 2, 3, 4, 2]
    scored = {(r, n, t) for r, n, t in unit.scored}
    assert {
        (0, 2, 7),
        (1, 2, 8),
        (2, 2, 9),
        (2, 3, 10),
        (2, 4, 11),
        (3, 2, 9),
        (3, 3, 10),
        (3, 4, 12),
        (4, 5, 7),
    } == scored


def test_build_unit_feeds_each_new_continuation_suffix_as_one_chain():
    unit = packing.build_unit([(0, [1, 2], [5, 6, 7, 8]), (1, [1, 2], [5, 6, 9, 10, 11]), (2, [1, 2], [5])])
    assert unit.tokens == [1, 2, 5, 6, 7, 9, 10]
    # context, request 0's fed tokens, request 1's new tokens after the shared "5 6": three chains
    assert unit.chains == [(0, 2, -1), (2, 5, 1), (5, 7, 3)]
    assert sorted(unit.scored) == [
        (0, 1, 5),
        (0, 2, 6),
        (0, 3, 7),
        (0, 4, 8),
        (1, 1, 5),
        (1, 2, 6),
        (1, 3, 9),
        (1, 5, 10),
        (1, 6, 11),
        (2, 1, 5),
    ]


def test_layout_mask_is_ancestor_mask():
    unit = packing.build_unit([(0, [1, 2, 3], [9, 10, 11]), (1, [1, 2, 5], [7, 8])])
    lay = packing.layout([unit], [[0]], prefix_len=4)
    n = len(unit)
    mask = lay.mask[0, :n, :n]
    for i in range(n):
        ancestors = {i}
        j = unit.parents[i]
        while j >= 0:
            ancestors.add(j)
            j = unit.parents[j]
        assert set(np.flatnonzero(mask[i])) == ancestors
    assert list(lay.position_ids[0, :n]) == [4 + d for d in unit.depths]


def test_pack_rows_first_fit_decreasing_and_batches_under_budget():
    rows = packing.pack_rows([500, 300, 300, 200, 900, 1500], row_tokens=1000)
    assert rows == [[5], [4], [0, 1, 3], [2]]
    # rows too full for the smallest unit are no longer searched; the result is still first-fit's
    assert packing.pack_rows([6, 5, 4, 2, 2], row_tokens=7) == [[0], [1, 3], [2, 4]]
    assert packing.pack_rows([3, 3, 1, 1, 1], row_tokens=4) == [[0, 2], [1, 3], [4]]
    sizes = [sum([500, 300, 300, 200, 900, 1500][u] for u in row) for row in rows]
    for batch in packing.batch_rows(sizes, token_budget=2048):
        assert len(batch) * packing.padded(max(sizes[r] for r in batch)) <= 2048 or len(batch) == 1


def test_batches_keep_rows_of_similar_length_together():
    # the PIQA shape: a few long rows and many short ones are not padded to one width
    sizes = [243, 139, 128, 117, 91, 82, 81, 79, 77, 77, 75, 71, 69, 69, 68, 67, 65, 61, 58, 57, 54, 50, 14]
    batches = packing.batch_rows(sizes, token_budget=16_384)
    for batch in batches:
        width = packing.padded(sizes[batch[0]])
        assert all(packing.padded(sizes[r]) >= 0.75 * width for r in batch)
    padded_total = sum(len(b) * packing.padded(sizes[b[0]]) for b in batches)
    assert padded_total < 1.4 * sum(sizes) < len(sizes) * packing.padded(max(sizes))
    assert sorted(r for b in batches for r in b) == list(range(len(sizes)))


def test_common_prefix_length():
    assert common_prefix_length([[1, 2, 3, 4], [1, 2, 3, 9], [1, 2, 7]]) == 2
    assert common_prefix_length([[1, 2], [1, 2, 3]]) == 2
    assert common_prefix_length([[5], [6]]) == 0


@pytest.fixture(scope="module")
def requests():
    shared = (
        "The following are questions (with answers) about synthetic things.\n\nQuestion: the old fox?\nAnswer: yes\n\n"
    )
    out = []
    for i, question in enumerate(["Which Anna", "Why does Ben", "Where does Carla keep", "How"]):
        context = shared + f"Question: {question} see the small lamp number {i}?\nAnswer:"
        for choice in [" A", " B", " the bright garden", " a quiet harbor near the old tower"]:
            out.append((context, choice, i))
    out.append(("", "Hello world", 99))  # empty context: the prefix token
    out.append(("Trailing space ", "moves", 98))  # trailing whitespace moves to the continuation
    return out


def test_engine_equals_per_request_forward(tiny, requests):
    model, tokenizer = tiny
    engine = Engine(model, tokenizer, token_budget=512, row_tokens=128)
    pairs = [(c, k) for c, k, _ in requests]
    docs = [d for _, _, d in requests]
    groups = ["shared" if d < 90 else None for d in docs]
    ours = engine.loglikelihood(pairs, documents=docs, prefix_groups=groups)
    encoded = RequestEncoder(tokenizer).encode(pairs)
    for (ll, greedy), enc in zip(ours, encoded):
        ref_ll, ref_greedy = reference(model, enc)
        assert ll == pytest.approx(ref_ll, abs=1e-4)
        assert greedy == ref_greedy
    # the group prefix was computed once: far fewer tokens than the requests hold
    assert engine.stats.forward_tokens < sum(len(e.context) + len(e.continuation) for e in encoded) / 3
    assert engine.loglikelihood(pairs, documents=docs, prefix_groups=groups) == ours  # deterministic


def test_greedy_continuations_are_flagged_greedy(tiny):
    """Continuations decoded greedily from the model itself: every token is the argmax, so the
    engine's greedy test (argmax only where the target is within rounding of the max) says True."""
    model, tokenizer = tiny
    engine = Engine(model, tokenizer, token_budget=512, row_tokens=128)
    encoded, documents = [], []
    for doc, context in enumerate(["Question: which lamp is bright?\nAnswer:", "The garden was"]):
        ids = RequestEncoder(tokenizer).encode([(context, " x")])[0].context
        greedy_ids = list(ids)
        with torch.inference_mode():
            for _ in range(6):
                greedy_ids.append(int(model(torch.tensor([greedy_ids])).logits[0, -1].argmax()))
        encoded += [
            EncodedRequest(ids, tuple(greedy_ids[len(ids) :])),
            EncodedRequest(ids, tuple(greedy_ids[len(ids) : -1]) + ((greedy_ids[-1] + 1) % 512,)),
        ]
        documents += [doc, doc]
    ours = engine.loglikelihood_tokens(encoded, documents=documents)
    for (ll, greedy), enc in zip(ours, encoded):
        ref_ll, ref_greedy = reference(model, enc)
        assert ll == pytest.approx(ref_ll, abs=1e-4)
        assert greedy == ref_greedy
    assert [g for _, g in ours] == [True, False, True, False]


def test_prefix_group_whose_string_boundary_splits_a_token(tiny):
    """Shared prefix strings ending mid-word: BPE merges across the boundary, so the shared token
    prefix is shorter than the string; sharing stops at the last common token."""
    model, tokenizer = tiny
    engine = Engine(model, tokenizer)
    prefix = "In the garden, Anna saw a small rab"
    pairs = [(prefix + tail, " and left.") for tail in ("bit", "bits", "ble near the tower")]
    ours = engine.loglikelihood(pairs, documents=[0, 1, 2], prefix_groups=["p", "p", "p"])
    for (ll, greedy), enc in zip(ours, RequestEncoder(tokenizer).encode(pairs)):
        expected_ll, expected_greedy = reference(model, enc)
        assert ll == pytest.approx(expected_ll, abs=1e-4) and greedy == expected_greedy


def test_left_truncation_like_lm_eval(tiny):
    model, tokenizer = tiny
    engine = Engine(model, tokenizer, max_length=32)
    encoded = RequestEncoder(tokenizer).encode([("word " * 40 + "end", " of the story")])[0]
    ((ll, _),) = engine.loglikelihood_tokens([encoded])
    whole = list(encoded.context + encoded.continuation)[-(32 + 1) :]
    clipped = EncodedRequest(tuple(whole[: len(whole) - len(encoded.continuation)]), encoded.continuation)
    assert ll == pytest.approx(reference(model, clipped)[0], abs=1e-4)


def test_encoder_matches_lm_eval(tiny, hflm):
    _, tokenizer = tiny
    pairs = [("Question: what?\nAnswer:", " yes"), ("Tail ", "word"), ("", "alone"), ("a", "\n\nb")]
    ours = RequestEncoder(tokenizer).encode(pairs)
    for (context, continuation), enc in zip(pairs, ours):
        if context:
            theirs = hflm._encode_pair(context, continuation)
        else:
            cont = hflm.tok_encode(continuation, add_special_tokens=False)
            theirs = ([hflm.prefix_token_id], cont)
        assert (list(enc.context), list(enc.continuation)) == (list(theirs[0]), list(theirs[1]))


def test_generation_stops_at_stop_sequences(tiny):
    model, tokenizer = tiny
    engine = Engine(model, tokenizer)
    contexts = ["Question: Anna has 3 lamps.\nAnswer:", "Question: hi\nAnswer:"]
    free = engine.generate_until(contexts, until=["\x00never"], max_gen_toks=24)
    assert all(len(t) > 8 for t in free)  # the model does generate something to cut
    # a stop sequence taken from the middle of the first free generation (an ASCII word, so that a
    # partial multi-byte decode cannot hide it)
    stop = re.findall(r"[A-Za-z]{2,}", free[0][4:])[0]
    cut = engine.generate_until(contexts, until=[stop], max_gen_toks=24)
    assert cut[0] == free[0].split(stop)[0] and len(cut[0]) < len(free[0])
    assert all(stop not in t for t in cut)
    assert cut == engine.generate_until(contexts, until=[stop], max_gen_toks=24)  # deterministic
