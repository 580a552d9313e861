"""Models with sliding-window attention, side by side with lm-eval's HFLM: tiny random Mistral, Phi-3 and
Starcoder2 (every layer sliding), Qwen2, Gemma 3 (text-only and image-text), OLMo 3, EXAONE 4, Cohere 2,
Ministral (sliding and full layers mixed), and Gemma 2, VaultGemma and gpt-oss (mixed, and no SDPA: they
load with eager attention), with a 24-token window and prompts several windows long.

Our packed tree mask replaces the model's own mask, so it must carry the window itself: without it a
sliding layer saw every ancestor and Mistral's log-likelihoods were off by up to 0.40 nats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from services.evaluator.engine import Window
from services.evaluator.lm_backend import PaperverdictLM
from services.evaluator.models import ModelLoader
from shared.settings import EvaluatorSettings

from .conftest import ROOT, TINY

WINDOW = 24
FAMILIES = {  # case -> the (text) model type
    "mistral": "mistral",
    "qwen2": "qwen2",
    "gemma3": "gemma3_text",
    "gemma3_multimodal": "gemma3_text",
    "gemma2": "gemma2",
    "olmo3": "olmo3",
    "exaone4": "exaone4",
    "cohere2": "cohere2",
    "ministral": "ministral",
    "vaultgemma": "vaultgemma",
    "gpt_oss": "gpt_oss",  # with attention sinks
    "phi3": "phi3",  # Phi-3-mini: a 2,047-token window in every layer
    "starcoder2": "starcoder2",
}
MIXED = ["sliding_attention", "sliding_attention", "full_attention"]
MAX_DLL = 1e-4


def build(name: str, tokenizer: Any) -> Any:
    import transformers as tf

    common = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "max_position_embeddings": 2048,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": 0,
        "sliding_window": WINDOW,
    }
    configs = {
        "mistral": lambda: tf.MistralConfig(num_hidden_layers=2, **common),
        "qwen2": lambda: tf.Qwen2Config(num_hidden_layers=3, use_sliding_window=True, max_window_layers=1, **common),
        "gemma3": lambda: tf.Gemma3TextConfig(
            num_hidden_layers=3, layer_types=["sliding_attention", "sliding_attention", "full_attention"], **common
        ),
        "gemma2": lambda: tf.Gemma2Config(num_hidden_layers=2, **common),
        **{
            name: (lambda name=name: tf.AutoConfig.for_model(name, num_hidden_layers=3, layer_types=MIXED, **common))
            for name in ("olmo3", "exaone4", "cohere2", "ministral", "vaultgemma")
        },
        "phi3": lambda: tf.Phi3Config(num_hidden_layers=2, **common),
        "starcoder2": lambda: tf.Starcoder2Config(num_hidden_layers=2, **common),
        "gpt_oss": lambda: tf.AutoConfig.for_model(
            "gpt_oss", num_hidden_layers=3, layer_types=MIXED, num_local_experts=4, num_experts_per_tok=2, **common
        ),
        # Gemma 3 4B-27B are image-text checkpoints (Gemma3ForConditionalGeneration): text through it
        "gemma3_multimodal": lambda: tf.Gemma3Config(
            text_config={
                "num_hidden_layers": 3,
                "layer_types": ["sliding_attention"] * 2 + ["full_attention"],
                **common,
            },
            vision_config={
                "hidden_size": 32,
                "intermediate_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "image_size": 28,
                "patch_size": 14,
            },
            mm_tokens_per_image=4,
            boi_token_index=1,
            eoi_token_index=2,
            image_token_index=3,
        ),
    }
    torch.manual_seed(0)
    return tf.AutoModelForCausalLM.from_config(configs[name]()).eval()


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(TINY)


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "fixtures/data/gsm8k/train.jsonl").read_text().splitlines()]
    return rows[:6]


def loaded(name: str, tokenizer: Any, folder: Path) -> Any:
    """The model as the evaluator loads it: saved as safetensors, read back by our loader."""
    build(name, tokenizer).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return ModelLoader(EvaluatorSettings(allow_local_models=True, device="cpu")).load(str(folder)).model


@pytest.mark.parametrize(
    ("name", "mixed", "attention"),
    [
        ("mistral", False, "sdpa"),
        ("qwen2", True, "sdpa"),
        ("gemma3", True, "sdpa"),
        ("gemma3_multimodal", True, "sdpa"),
        ("gemma2", True, "eager"),
        ("olmo3", True, "sdpa"),
        ("exaone4", True, "sdpa"),
        ("cohere2", True, "sdpa"),
        ("ministral", True, "sdpa"),
        ("vaultgemma", True, "eager"),
        ("gpt_oss", True, "eager"),
        ("phi3", False, "sdpa"),
        ("starcoder2", False, "sdpa"),
    ],
)
def test_sliding_window_models_match_hflm(name, mixed, attention, tokenizer, documents, tmp_path: Path):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    model = loaded(name, tokenizer, tmp_path / name)
    assert model.config._attn_implementation == attention  # Gemma 2 has no SDPA: loading with it raised
    ours = PaperverdictLM(model=model, tokenizer=tokenizer)
    theirs = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu")
    assert ours.engine.window == Window(WINDOW, mixed)

    contexts = [f"Question: {d['question']}\nAnswer:" for d in documents]
    requests = [
        Instance("loglikelihood", {}, (c, " " + d["answer"][:60]), i)
        for i, (c, d) in enumerate(zip(contexts, documents))
    ]
    assert min(len(tokenizer(c + d["answer"][:60]).input_ids) for c, d in zip(contexts, documents)) > 2 * WINDOW
    mine, reference = ours.loglikelihood(requests), theirs.loglikelihood(requests, disable_tqdm=True)
    assert max(abs(a[0] - b[0]) for a, b in zip(mine, reference)) <= MAX_DLL
    assert [a[1] for a in mine] == [b[1] for b in reference]

    kwargs = {"until": ["\x00never"], "do_sample": False, "max_gen_toks": 40}
    generate = [Instance("generate_until", {}, (c, kwargs), i) for i, c in enumerate(contexts)]
    assert ours.generate_until(generate) == theirs.generate_until(generate, disable_tqdm=True)


def test_no_window_for_full_attention_or_a_switched_off_window():
    from transformers import LlamaConfig, MistralConfig, Qwen2Config

    from services.evaluator.engine import sliding_window

    assert sliding_window(LlamaConfig()) is None
    assert sliding_window(MistralConfig(sliding_window=None)) is None
    assert sliding_window(Qwen2Config(use_sliding_window=False, sliding_window=4096)) is None
    assert sliding_window(MistralConfig(sliding_window=4096)) == Window(4096, mixed=False)


@pytest.mark.parametrize("name", ["mistral", "gemma3", "olmo3"])
def test_documents_within_the_window_share_a_prefix(name, tokenizer, documents, monkeypatch):
    """Few-shot documents short enough for the window share their cached prefix (the window cuts nothing
    for them); one document longer than the window is scored alone, windowed. Both as HFLM scores them."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    monkeypatch.setattr(sys.modules[__name__], "WINDOW", 96)
    model = build(name, tokenizer)
    ours = PaperverdictLM(model=model, tokenizer=tokenizer)
    theirs = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu")
    shots = "".join(f"Q: {d['question'][:40]}\nA: {d['answer'][:8]}\n\n" for d in documents[:2])
    questions = [f"{shots}Q: what is {k} + {k}?\nA:" for k in range(4)]
    long = shots * 4 + "Q: and this one?\nA:"  # over the window
    requests = [
        Instance("loglikelihood", {}, (q, f" {answer}"), j, metadata=("few_shot", i, 1))  # a document's 4 choices
        for i, q in enumerate([*questions, long])
        for j, answer in enumerate(["2", "4", "six", "eight"])
    ]
    encoded = ours.engine.encoder.encode([r.args for r in requests])
    assert max(len(e.context) + len(e.continuation) for e in encoded[:16]) <= 96 < len(encoded[-1].context)
    assert min(len(e.context) for e in encoded[:16]) >= 32  # a prefix worth sharing
    before = ours.engine.stats.forward_tokens
    mine, reference = ours.loglikelihood(requests), theirs.loglikelihood(requests, disable_tqdm=True)
    assert max(abs(a[0] - b[0]) for a, b in zip(mine, reference)) <= MAX_DLL
    assert [a[1] for a in mine] == [b[1] for b in reference]
    from services.evaluator.generation import common_prefix_length

    shared = common_prefix_length([e.context for e in encoded[:16:4]])
    unshared = sum(
        len(encoded[4 * i].context) + sum(len(e.continuation) for e in encoded[4 * i : 4 * i + 4]) for i in range(5)
    )
    assert shared >= 32 and ours.engine.stats.forward_tokens - before <= unshared - 3 * (shared - 8)  # shots once


@pytest.mark.parametrize("name", ["mistral", "gemma3", "gemma2", "olmo3", "gpt_oss"])
def test_generation_within_the_window_runs_as_full_attention(name, tokenizer, documents, monkeypatch):
    """Rows that fit in the window (prompt and new tokens) take the full-attention layout: a static cache,
    the shared few-shot prefix run once; rows that do not take HF's own sliding cache. HFLM's texts both."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    from services.evaluator.generation import Generator

    monkeypatch.setattr(sys.modules[__name__], "WINDOW", 256)
    model = build(name, tokenizer)
    if name == "gemma2":
        model.set_attn_implementation("eager")
    ours = PaperverdictLM(model=model, tokenizer=tokenizer)
    theirs = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu")
    caches: list[str] = []
    real = Generator._prefill

    def prefill(self, cache, prefix, *args):
        caches.append(f"{type(cache).__name__}, prefix {len(prefix) > 0}")
        return real(self, cache, prefix, *args)

    monkeypatch.setattr(Generator, "_prefill", prefill)
    shots = "".join(f"Question: {d['question']}\nAnswer: {d['answer'][:20]}\n\n" for d in documents[:2])
    prompts = [f"{shots}Question: what is {k} + {k}?\nAnswer:" for k in range(4)]
    assert max(len(tokenizer(p).input_ids) for p in prompts) + 24 <= 256
    for max_gen_toks, expected in ((24, "StaticCache, prefix True"), (400, "DynamicCache, prefix False")):
        kwargs = {"until": ["\x00never"], "do_sample": False, "max_gen_toks": max_gen_toks}
        requests = [Instance("generate_until", {}, (p, kwargs), i) for i, p in enumerate(prompts)]
        assert ours.generate_until(requests) == theirs.generate_until(requests, disable_tqdm=True)
        assert caches[-1] == expected
