"""Greedy generation for the engine, as lm-eval's `generate_until` does it.

The context is left-truncated to leave room for `max_gen_toks`, EOS ends a row, the text is cut at the
first stop sequence. How the work is laid out:

- **Rows per batch come from memory, not from a token count.** Decoding runs one token per row per
  step, so what a batch holds is its key/value cache: rows × (prompt + new tokens) × the model's bytes
  per token. With a `kv_cache_fraction`, a batch may fill that fraction of the memory the device has
  free when the batch starts (`memory.py`; HFLM's fixed batch size is the reference); without one, the
  cache of `token_budget` tokens (the engine's default, as before). At most `max_rows` rows.
- **The prompt pass stays within `token_budget`.** Rows are prefilled in chunks of at most that many
  new tokens (the activations of one forward pass), then joined in one static cache that decoding
  writes in place. A prompt prefix every row shares (fixed few-shot exemplars) is run once.
- **Finished rows leave the batch.** Once a quarter of the rows have met EOS or a stop sequence, the
  cache, mask and positions keep only the others: a batch no longer runs at the pace of its longest row.
- **Out of memory, the batch is halved and retried**, down to one row; the smaller size is kept for the
  rest of the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from services.evaluator import memory, plain

if TYPE_CHECKING:
    from services.evaluator.engine import Engine

MIN_SHARED_PROMPT = 64  # a prompt prefix all rows share is run once from this length on
COMPACT_AT = 0.75  # finished rows are dropped once the rows still running are at most this share


class Generator:
    def __init__(self, engine: Engine, kv_cache_fraction: float | None, max_rows: int) -> None:
        self.engine = engine
        self.kv_cache_fraction = kv_cache_fraction
        self.max_rows = max(1, max_rows)
        self.row_cap: int | None = None  # lowered after an out-of-memory batch

    @torch.inference_mode()
    def generate_until(self, contexts: Sequence[str], until: Sequence[str], max_gen_toks: int = 256) -> list[str]:
        engine, tokenizer = self.engine, self.engine.tokenizer
        eos_ids = eos_token_ids(engine.model, tokenizer)
        stops = list(until)
        eos_text = tokenizer.decode(tokenizer.eos_token_id, skip_special_tokens=False)
        if eos_text not in stops:
            stops.append(eos_text)
        flag = None
        if contexts and engine.encoder.prefix_text and contexts[0].startswith(engine.encoder.prefix_text):
            flag = False  # lm-eval's batch encoding decides BOS on the batch's first string
        limit = engine.max_length - max_gen_toks
        encoded = [ids[-limit:] for ids in engine.encoder.encode_many(list(contexts), add_special_tokens=flag)]
        order = sorted(range(len(contexts)), key=lambda i: (-len(encoded[i]), contexts[i]))
        results: list[str] = [""] * len(contexts)
        if not engine.packed:  # an architecture the fast path is not verified for: the model's own generate
            for i, text in zip(
                order, plain.generate(engine, [encoded[i] for i in order], stops, eos_ids, max_gen_toks)
            ):
                results[i] = text
            return results
        start = 0
        while start < len(order):
            size = min(len(order) - start, self.rows(len(encoded[order[start]]), max_gen_toks))
            chunk = order[start : start + size]
            try:
                texts = self._batch([encoded[i] for i in chunk], stops, eos_ids, max_gen_toks)
            except (torch.OutOfMemoryError, MemoryError):
                if size == 1:
                    raise
                texts = None
            if texts is None:  # released here, once the error's frames (and their tensors) are gone
                _release(engine.device)
                self.row_cap = size // 2
                engine.stats.generation_retries += 1
                continue
            for i, text in zip(chunk, texts):
                results[i] = text
            start += size
        return results

    def rows(self, prompt_tokens: int, max_gen_toks: int) -> int:
        """Rows of one batch whose longest prompt has `prompt_tokens` tokens."""
        engine = self.engine
        width = prompt_tokens + max_gen_toks
        if self.kv_cache_fraction is None:
            budget = engine.token_budget * engine.kv_bytes_per_token
        else:
            budget = int(self.kv_cache_fraction * memory.available_bytes(engine.device))
        rows = budget // (width * engine.kv_bytes_per_token)
        if self._windowed(width):  # sliding-window caches are not joined from chunks: one pass, within the budget
            rows = min(rows, engine.token_budget // width)
        return max(1, min(rows, self.max_rows, self.row_cap or self.max_rows))

    def _windowed(self, tokens: int) -> bool:
        """Whether rows of this many tokens reach past the model's sliding window."""
        return self.engine.window is not None and tokens > self.engine.window.size

    def _batch(self, prompts: list[list[int]], stops: list[str], eos_ids: set[int], max_gen_toks: int) -> list[str]:
        from transformers import DynamicCache, StaticCache

        engine = self.engine
        pad = plain.pad_token_id(engine.tokenizer, eos_ids)
        # a prompt prefix every row shares (a few-shot prefix) is run once; rows are laid out as
        # [shared prefix][left padding][own suffix], positions counting real tokens only as HF generate does
        # a sliding-window model whose rows fit in its window is run as a full-attention one: the window
        # cuts nothing; else its own cache and masks (HF's), no shared prefix, one prompt pass
        windowed = self._windowed(max(len(p) for p in prompts) + max_gen_toks)
        shared = 0 if windowed or len(prompts) < 2 else common_prefix_length(prompts)
        shared = min(shared, min(len(p) for p in prompts) - 1)
        shared = shared if shared >= MIN_SHARED_PROMPT else 0
        suffixes = [list(p[shared:]) for p in prompts]
        width = max(len(s) for s in suffixes)
        ids = torch.tensor([[pad] * (width - len(s)) + s for s in suffixes], device=engine.device)
        attention = torch.tensor(
            [[1] * shared + [0] * (width - len(s)) + [1] * len(s) for s in suffixes], device=engine.device
        )
        positions = (attention.cumsum(-1) - 1).masked_fill(attention == 0, 0)[:, shared:]  # as HF generate does
        # a static cache is written in place; a growing one copies every row's keys at every step
        cache: Any = (
            DynamicCache(config=engine.model.config)
            if windowed
            else StaticCache(config=engine.model.config, max_cache_len=shared + width + max_gen_toks)
        )
        prefix = engine._prefix_cache(prompts[0][:shared]) if shared else []
        next_tokens = self._prefill(cache, prefix, ids, attention, positions, windowed)
        generated: list[list[int]] = [[] for _ in prompts]
        finished = [False] * len(prompts)
        rows = list(range(len(prompts)))  # the prompt of each row of the cache
        for step in range(max_gen_toks):
            for slot, token in enumerate(next_tokens.tolist()):
                row = rows[slot]
                if finished[row]:  # a finished row stays in the batch until enough others finish
                    continue
                if token in eos_ids:
                    finished[row] = True
                    continue
                generated[row].append(token)
                text = engine.tokenizer.decode(generated[row], skip_special_tokens=True)
                finished[row] = any(stop and stop in text for stop in stops)
            if all(finished) or step == max_gen_toks - 1:
                break
            step_ids = next_tokens[:, None]
            positions = positions[:, -1:] + 1
            attention = torch.cat([attention, torch.ones_like(attention[:, :1])], dim=1)
            keep = [slot for slot, row in enumerate(rows) if not finished[row]]
            if len(keep) <= COMPACT_AT * len(rows):
                index = torch.tensor(keep, device=engine.device)
                keep_rows(cache, index)
                step_ids, positions, attention = step_ids[index], positions[index], attention[index]
                rows = [rows[slot] for slot in keep]
            next_tokens = self._step(cache, step_ids, attention, positions)
        decode = engine.tokenizer.decode
        return [plain.cut_at_stops(decode(tokens, skip_special_tokens=True), stops) for tokens in generated]

    def _prefill(
        self,
        cache: Any,
        prefix: list[tuple[torch.Tensor, torch.Tensor]],
        ids: torch.Tensor,
        attention: torch.Tensor,
        positions: torch.Tensor,
        windowed: bool,
    ) -> torch.Tensor:
        """Runs the prompts into `cache` in chunks of at most `token_budget` new tokens; returns each
        row's first generated token."""
        from transformers import DynamicCache

        engine = self.engine
        count, width = ids.shape
        per_pass = max(1, engine.token_budget // width)
        if windowed or per_pass >= count:
            _fill(cache, prefix, count)
            return self._step(cache, ids, attention, positions)
        parts, firsts = [], []
        for start in range(0, count, per_pass):
            end = min(count, start + per_pass)
            part = DynamicCache(config=engine.model.config)
            _fill(part, prefix, end - start)
            firsts.append(self._step(part, ids[start:end], attention[start:end], positions[start:end]))
            parts.append(part)
        for layer in range(len(parts[0].layers)):  # joined layer by layer: at most one layer held twice
            keys = torch.cat([part.layers[layer].keys for part in parts])
            values = torch.cat([part.layers[layer].values for part in parts])
            for part in parts:
                part.layers[layer].keys = part.layers[layer].values = None
            cache.update(keys, values, layer)
            del keys, values
        return torch.cat(firsts)

    def _step(self, cache: Any, ids: torch.Tensor, attention: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        engine = self.engine
        out = engine.model(
            input_ids=ids,
            attention_mask=attention,
            position_ids=positions,
            use_cache=True,
            logits_to_keep=1,
            **{engine.cache_kw: cache},
        )
        engine.stats.forward_tokens += int(ids.numel())
        engine.stats.forward_passes += 1
        return out.logits[:, -1, :].float().argmax(dim=-1)


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    if not sequences:
        return 0
    first = np.asarray(sequences[0], dtype=np.int64)
    n = len(first)
    for seq in sequences[1:]:
        m = min(n, len(seq))
        if m == 0:
            return 0
        diff = np.flatnonzero(first[:m] != np.asarray(seq[:m], dtype=np.int64))
        n = int(diff[0]) if len(diff) else m
    return n


def keep_rows(cache: Any, index: torch.Tensor) -> None:
    """Keeps only the rows `index` of every layer of a static or dynamic cache."""
    for layer in cache.layers:
        if getattr(layer, "keys", None) is None or layer.keys.numel() == 0:
            continue
        layer.keys = layer.keys.index_select(0, index)
        layer.values = layer.values.index_select(0, index)
        if hasattr(layer, "batch_size"):
            layer.batch_size = len(index)


def eos_token_ids(model: Any, tokenizer: Any) -> set[int]:
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        eos = getattr(model.config, "eos_token_id", None)
    if eos is None:
        eos = tokenizer.eos_token_id
    return set(eos) if isinstance(eos, (list, tuple)) else {int(eos)}


def _fill(cache: Any, prefix: list[tuple[torch.Tensor, torch.Tensor]], rows: int) -> None:
    for layer, (keys, values) in enumerate(prefix):
        cache.update(keys.expand(rows, -1, -1, -1), values.expand(rows, -1, -1, -1), layer)


def _release(device: torch.device) -> None:
    import gc

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
