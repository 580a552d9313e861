"""The plain path: lm-eval HFLM's own way of running a model, for architectures the packed path is not
verified for.

The engine's fast path packs a document's requests into a token tree and passes the model a tree mask
and tree positions. That is exact only for attention-only models whose positions come from
`position_ids` (rotary or learned). A model whose positions are an attention bias over token indices
(ALiBi: BLOOM, MPT, Falcon-RW) or whose layers carry a recurrent state (Mamba, RWKV, RecurrentGemma,
Jamba, Falcon-H1, Qwen3-Next, LFM2, ...) would see the wrong distances, or one branch's state in the
next: measured on tiny random models, MPT was off by 0.11 nats and RecurrentGemma by 0.10, and Mamba,
Jamba, RWKV, BLOOM crashed.

Here each distinct model input (context + continuation without its last token; requests with the same
input share its row, as HFLM's logits cache shares them) is one row, right-padded, with a plain 2D mask
and no position ids (the model's own positions), as HFLM scores it; generation is the model's own
`generate` (greedy, left-padded, stop strings), as HFLM generates. No token trees or shared prefixes:
exact by construction, about HFLM's speed. Which model types take the fast path: `PACKED_MODEL_TYPES`,
each one checked against HFLM with branching multiple-choice requests
(tests/unit/evaluator/test_model_families.py, and test_sliding_window.py for the sliding-window ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from services.evaluator.engine import Engine
    from services.evaluator.tokenization import EncodedRequest

# attention-only decoders with rotary or learned positions, each verified against HFLM on branching
# multiple-choice requests packed several to a row (|Δll| <= 1e-4, identical greedy flags and generations)
PACKED_MODEL_TYPES = frozenset(
    {
        "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "gemma", "gemma2", "gemma3_text",
        "phi", "phi3", "gpt2", "gpt_neox", "opt", "stablelm", "olmo", "olmo2", "olmoe", "cohere",
        "starcoder2", "gptj", "granite", "gpt_bigcode", "codegen", "persimmon", "falcon", "deepseek_v2",
        "deepseek_v3", "qwen3_moe", "olmo3", "smollm3", "nemotron", "glm", "glm4", "exaone4", "cohere2",
        "ministral", "granitemoe", "granitemoeshared", "helium", "arcee", "apertus", "seed_oss", "ernie4_5",
        "hunyuan_v1_dense", "minicpm3", "vaultgemma", "flex_olmo", "phimoe", "jetmoe", "bitnet", "diffllama",
        "xglm", "biogpt", "gpt_oss",
    }
)  # fmt: skip


def packed_model(config: Any) -> bool:
    """Whether the engine's packed path is verified for this model; False for Falcon with ALiBi."""
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    model_type = getattr(text, "model_type", None)
    return model_type in PACKED_MODEL_TYPES and not getattr(text, "alibi", False)


def loglikelihoods(engine: Engine, encoded: Sequence[EncodedRequest]) -> list[tuple[float, bool]]:
    """Per request the summed log-prob of its continuation and whether it is the greedy one. Requests
    whose model input is the same (context + continuation but its last token: a multiple-choice question's
    single-token answers " A".." D") share one row, as HFLM's logits cache shares them."""
    inputs: dict[tuple[int, ...], list[int]] = {}  # model input -> the requests scored from it
    for i, r in enumerate(encoded):
        inputs.setdefault(tuple(r.context + r.continuation)[:-1], []).append(i)
    rows = sorted(inputs, key=len, reverse=True)
    pad = engine.tokenizer.pad_token_id if engine.tokenizer.pad_token_id is not None else 0
    results: list[tuple[float, bool]] = [(0.0, True)] * len(encoded)
    start = 0
    while start < len(rows):
        width = len(rows[start])
        chunk = rows[start : start + max(1, engine.token_budget // max(1, width))]
        ids = torch.tensor([list(row) + [pad] * (width - len(row)) for row in chunk], device=engine.device)
        mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in chunk])
        hidden = engine.decoder(input_ids=ids, attention_mask=mask.to(engine.device)).last_hidden_state
        engine.stats.forward_tokens += int(mask.sum())
        engine.stats.forward_passes += 1
        for position, row in enumerate(chunk):
            for i in inputs[row]:
                continuation = list(encoded[i].continuation)
                logits = engine._logits(hidden[position, len(row) - len(continuation) : len(row)]).float()
                log_probs = F.log_softmax(logits, dim=-1)
                targets = torch.tensor(continuation, device=log_probs.device)
                ll = float(log_probs.gather(-1, targets[:, None]).double().sum())
                results[i] = (ll, bool(torch.equal(log_probs.argmax(dim=-1), targets)))
        start += len(chunk)
    return results


def generate(
    engine: Engine, prompts: Sequence[Sequence[int]], stops: list[str], eos_ids: set[int], max_gen_toks: int
) -> list[str]:
    """Greedy generation with the model's own `generate`, rows of at most `token_budget` tokens."""
    tokenizer = engine.tokenizer
    pad = pad_token_id(tokenizer, eos_ids)
    texts: list[str] = []
    start = 0
    while start < len(prompts):
        width = len(prompts[start])  # longest first
        chunk = prompts[start : start + max(1, engine.token_budget // (width + max_gen_toks))]
        ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in chunk], device=engine.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in chunk], device=engine.device)
        out = engine.model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_gen_toks,
            do_sample=False,
            pad_token_id=pad,
            eos_token_id=sorted(eos_ids),
            stop_strings=[s for s in stops if s] or None,
            tokenizer=tokenizer,
        )
        engine.stats.forward_passes += 1
        for row in out[:, width:].tolist():
            ended = next((k for k, token in enumerate(row) if token in eos_ids), len(row))
            texts.append(cut_at_stops(tokenizer.decode(row[:ended], skip_special_tokens=True), stops))
        start += len(chunk)
    return texts


def pad_token_id(tokenizer: Any, eos_ids: set[int]) -> int:
    """What generation pads rows with: the tokenizer's pad token, else the smallest end-of-sequence id."""
    return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else min(eos_ids)


def cut_at_stops(text: str, stops: Sequence[str]) -> str:
    """The text before the first of each stop sequence, as lm-eval's generate_until returns it."""
    for stop in stops:
        if stop:
            text = text.split(stop)[0]
    return text
