"""Generation's batch layout (`services/evaluator/generation.py`) on the tiny fixture model, side by side
with lm-eval's HFLM: rows per batch sized from free memory, the prompt pass split to stay within the
token budget, finished rows dropped from the batch, an out-of-memory batch halved and retried. Each
layout must generate exactly what HFLM generates."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import torch

from services.evaluator import generation, memory
from services.evaluator.engine import Engine, Window
from services.evaluator.lm_backend import PaperverdictLM
from shared.settings import EvaluatorSettings

from .conftest import ROOT

GIB = 1 << 30


@pytest.fixture(scope="module")
def contexts() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "fixtures/data/gsm8k/train.jsonl").read_text().splitlines()]
    return [f"Question: {r['question']}\nAnswer:" for r in rows[:10]]


@pytest.fixture(scope="module")
def stops(tiny, contexts) -> list[str]:
    """Words the free generations print at different points, so that rows finish at different steps."""
    model, tokenizer = tiny
    free = Engine(model, tokenizer).generate_until(contexts, until=["\x00never"], max_gen_toks=32)
    words = [re.findall(r"[A-Za-z]{3,}", text[4 * i :]) for i, text in enumerate(free[:4])]
    return [w[0] for w in words if w][:3]


def instances(contexts: list[str], stops: list[str], max_gen_toks: int = 32) -> list[Any]:
    from lm_eval.api.instance import Instance

    kwargs = {"until": stops, "do_sample": False, "max_gen_toks": max_gen_toks}
    return [Instance("generate_until", {}, (c, kwargs), i) for i, c in enumerate(contexts)]


def record_passes(monkeypatch, engine: Engine) -> list[tuple[int, int]]:
    """(rows, tokens per row) of every forward pass generation makes."""
    passes: list[tuple[int, int]] = []
    real = engine.generator._step

    def step(cache, ids, attention, positions):
        passes.append(tuple(ids.shape))
        return real(cache, ids, attention, positions)

    monkeypatch.setattr(engine.generator, "_step", step)
    return passes


def test_one_memory_sized_batch_with_a_split_prompt_pass_matches_hflm(tiny, hflm, contexts, stops, monkeypatch):
    """Ten rows in one batch (memory allows it), prompts run a row or two at a time (a 96-token budget),
    rows leaving the batch as they finish: HFLM's generations, text for text."""
    model, tokenizer = tiny
    settings = EvaluatorSettings(token_budget=96, kv_cache_fraction=0.5)
    ours = PaperverdictLM(model=model, tokenizer=tokenizer, settings=settings)
    monkeypatch.setattr(memory, "available_bytes", lambda device: 4 * GIB)
    passes = record_passes(monkeypatch, ours.engine)
    requests = instances(contexts, stops)
    got = ours.generate_until(requests)
    assert got == hflm.generate_until(requests, disable_tqdm=True)
    prompt_passes = [p for p in passes if p[1] > 1]
    decode_rows = [rows for rows, tokens in passes if tokens == 1]
    assert sum(rows for rows, _ in prompt_passes) == len(contexts) and len(prompt_passes) > 1  # one batch, split
    assert all(rows * tokens <= 96 for rows, tokens in prompt_passes if rows > 1)
    assert decode_rows[0] == len(contexts) and min(decode_rows) < len(contexts)  # finished rows left
    assert decode_rows == sorted(decode_rows, reverse=True)
    assert len({len(t) for t in got}) > 1  # the rows did finish at different points


def test_the_token_budget_alone_gives_the_same_generations(tiny, contexts, stops):
    """Without a memory fraction, batches are a cache of `token_budget` tokens, as before: several
    batches here, the same texts as one memory-sized batch."""
    model, tokenizer = tiny
    small = Engine(model, tokenizer, token_budget=160)
    large = Engine(model, tokenizer, kv_cache_fraction=0.5)
    assert small.generator.rows(60, 32) == 160 // 92
    assert small.generate_until(contexts, stops, 32) == large.generate_until(contexts, stops, 32)


def test_rows_follow_the_free_memory(tiny, monkeypatch):
    model, tokenizer = tiny
    engine = Engine(model, tokenizer, token_budget=1024, kv_cache_fraction=0.5, max_rows=64)
    per_row = (100 + 28) * engine.kv_bytes_per_token  # a 100-token prompt, 28 new tokens
    monkeypatch.setattr(memory, "available_bytes", lambda device: 2 * 10 * per_row + 1)
    assert engine.generator.rows(100, 28) == 10
    monkeypatch.setattr(memory, "available_bytes", lambda device: 0)
    assert engine.generator.rows(100, 28) == 1  # never none
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1 << 50)
    assert engine.generator.rows(100, 28) == 64  # capped
    # rows reaching past a sliding window use HF's sliding cache, prefilled in one pass: the token budget
    # bounds them; rows within the window are laid out as full attention's
    engine.window = Window(size=64, mixed=False)
    assert engine.generator.rows(100, 28) == 1024 // 128
    engine.window = Window(size=128, mixed=True)
    assert engine.generator.rows(100, 28) == 64


def test_an_out_of_memory_batch_is_halved_and_retried(tiny, contexts, stops, monkeypatch):
    model, tokenizer = tiny
    engine = Engine(model, tokenizer, kv_cache_fraction=0.5)
    monkeypatch.setattr(memory, "available_bytes", lambda device: 4 * GIB)
    expected = engine.generate_until(contexts, stops, 16)
    real = engine.generator._batch
    sizes: list[int] = []

    def batch(prompts, *args):
        sizes.append(len(prompts))
        if len(prompts) > 3:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(prompts, *args)

    monkeypatch.setattr(engine.generator, "_batch", batch)
    assert engine.generate_until(contexts, stops, 16) == expected
    assert sizes[:3] == [10, 5, 2] and set(sizes[3:]) == {2}  # the smaller size is kept
    assert engine.stats.generation_retries == 2
    monkeypatch.setattr(engine.generator, "row_cap", 1)
    monkeypatch.setattr(engine.generator, "_batch", lambda prompts, *args: (_ for _ in ()).throw(MemoryError()))
    with pytest.raises(MemoryError):  # one row that does not fit: the caller's failed measurement
        engine.generate_until(contexts[:1], stops, 16)


def test_keep_rows_selects_rows_of_static_and_dynamic_caches(tiny):
    from transformers import DynamicCache, StaticCache

    model, _ = tiny
    keys = torch.arange(4 * 2 * 3 * 8, dtype=torch.float32).reshape(4, 2, 3, 8)
    for cache in (DynamicCache(config=model.config), StaticCache(config=model.config, max_cache_len=5)):
        for layer in range(len(cache.layers)):
            cache.update(keys, -keys, layer)
        generation.keep_rows(cache, torch.tensor([0, 3]))
        for layer in cache.layers:
            assert torch.equal(layer.keys[:, :, :3], keys[[0, 3]]) and torch.equal(
                layer.values[:, :, :3], -keys[[0, 3]]
            )


def test_a_row_ended_by_eos_stays_ended_while_the_batch_runs_on(tiny, contexts, monkeypatch):
    """One row of ten meets EOS early (too few finished for the batch to drop it): it must gain no
    more text than when it runs alone. Made EOS: a token the first context's generation prints early."""
    model, tokenizer = tiny
    ids = tokenizer(contexts[0], return_tensors="pt").input_ids
    token = int(model.generate(ids, max_new_tokens=6, do_sample=False, pad_token_id=0)[0, -1])
    monkeypatch.setattr(model.generation_config, "eos_token_id", [tokenizer.eos_token_id, token])
    one = Engine(model, tokenizer, kv_cache_fraction=0.5, max_rows=1).generate_until(contexts, ["\x00never"], 24)
    ten = Engine(model, tokenizer, kv_cache_fraction=0.5, max_rows=10)
    assert ten.generator.rows(max(len(ids[0]), 200), 24) == 10
    assert ten.generate_until(contexts, ["\x00never"], 24) == one
    ended = [len(t) < len(max(one, key=len)) / 2 for t in one]
    assert ended[0] and sum(ended) <= 2  # the row ended early, the batch ran on
