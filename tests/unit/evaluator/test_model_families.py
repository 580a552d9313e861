"""Model families side by side with lm-eval's HFLM: a tiny random model of each (2 layers, 64 wide, the
fixture tokenizer), multiple-choice requests that branch (four continuations of one context) and pack
several documents to a row, and greedy generations.

Every model type of `plain.PACKED_MODEL_TYPES` takes the engine's packed path and must match HFLM
there; the others (ALiBi: BLOOM, MPT, Falcon-RW; recurrent: Mamba, RWKV, RecurrentGemma, Jamba) take
the plain path, HFLM's own way. Before the plain path, MPT was off by 0.11 nats and RecurrentGemma by
0.10 on these requests, and Mamba, Jamba, RWKV and BLOOM crashed. Also: the transforms a forward
applies after the LM head (Granite divides by `logits_scaling`, Cohere multiplies by `logit_scale`,
RecurrentGemma soft-caps), and the loader's refusal of a model whose logits the engine would not
reproduce."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from services.evaluator import plain
from services.evaluator.engine import head_mismatch
from services.evaluator.lm_backend import PaperverdictLM
from services.evaluator.models import attention_implementation

from .conftest import ROOT, TINY

MAX_DLL = 1e-4
WIDE = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}
STANDARD = {**WIDE, "num_key_value_heads": 2, "max_position_embeddings": 1024}
GPT2_LIKE = {"n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 1024}
MLA = {  # multi-head latent attention
    **STANDARD,
    "num_key_value_heads": 4,
    "kv_lora_rank": 16,
    "q_lora_rank": 16,
    "qk_rope_head_dim": 8,
    "qk_nope_head_dim": 8,
    "v_head_dim": 16,
}
SSM_HYBRID = {**STANDARD, "head_dim": 16, "mamba_d_head": 16, "mamba_d_state": 8}
DEEPSEEK = {  # multi-head latent attention, routed experts
    **MLA,
    "n_routed_experts": 4,
    "num_experts_per_tok": 2,
    "moe_intermediate_size": 32,
    "first_k_dense_replace": 1,
    "n_group": 1,
    "topk_group": 1,
}
FAMILIES: dict[str, tuple[str, dict[str, Any], bool]] = {  # case -> (model type, config, packed)
    "llama": ("llama", STANDARD, True),
    "gpt2": ("gpt2", GPT2_LIKE, True),
    "gpt_neox": ("gpt_neox", {**STANDARD, "rotary_pct": 0.25}, True),
    "opt": ("opt", {**WIDE, "ffn_dim": 128, "word_embed_proj_dim": 64, "max_position_embeddings": 1024}, True),
    "falcon": ("falcon", {**WIDE, "alibi": False}, True),
    "phi": ("phi", {**STANDARD, "partial_rotary_factor": 0.5}, True),
    "phi3": ("phi3", {**STANDARD, "sliding_window": None}, True),
    "stablelm": ("stablelm", STANDARD, True),
    "olmo2": ("olmo2", STANDARD, True),
    "gemma": ("gemma", {**STANDARD, "head_dim": 16}, True),
    "cohere": ("cohere", {**STANDARD, "logit_scale": 0.25}, True),
    "granite": ("granite", {**STANDARD, "logits_scaling": 8.0}, True),
    "qwen3": ("qwen3", {**STANDARD, "head_dim": 16}, True),
    "starcoder2": ("starcoder2", {**STANDARD, "sliding_window": None}, True),
    "gptj": ("gptj", {**GPT2_LIKE, "rotary_dim": 8}, True),
    "mixtral": (
        "mixtral",
        {**STANDARD, "num_local_experts": 4, "num_experts_per_tok": 2, "sliding_window": None},
        True,
    ),
    "gpt_bigcode": ("gpt_bigcode", GPT2_LIKE, True),
    "olmo": ("olmo", STANDARD, True),
    "olmoe": ("olmoe", {**STANDARD, "num_experts": 4, "num_experts_per_tok": 2}, True),
    "qwen2_moe": (
        "qwen2_moe",
        {**STANDARD, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32},
        True,
    ),
    "qwen3_moe": (
        "qwen3_moe",
        {**STANDARD, "head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32},
        True,
    ),
    "codegen": ("codegen", {**GPT2_LIKE, "rotary_dim": 8, "n_ctx": 1024}, True),
    "persimmon": ("persimmon", {**STANDARD, "num_key_value_heads": 4}, True),
    "deepseek_v2": ("deepseek_v2", DEEPSEEK, True),
    "deepseek_v3": ("deepseek_v3", DEEPSEEK, True),
    # added after transformers grew them: checked here before joining the packed set
    "smollm3": ("smollm3", {**STANDARD, "num_hidden_layers": 4, "no_rope_layer_interval": 2}, True),  # NoPE layers
    "nemotron": ("nemotron", {**STANDARD, "partial_rotary_factor": 0.5}, True),
    "glm": ("glm", {**STANDARD, "head_dim": 16}, True),
    "glm4": ("glm4", {**STANDARD, "head_dim": 16}, True),
    "granitemoe": (
        "granitemoe",
        {**STANDARD, "num_local_experts": 4, "num_experts_per_tok": 2, "logits_scaling": 8.0},
        True,
    ),
    "granitemoeshared": (
        "granitemoeshared",
        {**STANDARD, "num_local_experts": 4, "num_experts_per_tok": 2, "shared_intermediate_size": 64},
        True,
    ),
    "helium": ("helium", {**STANDARD, "head_dim": 16}, True),
    "arcee": ("arcee", STANDARD, True),
    "apertus": ("apertus", STANDARD, True),
    "seed_oss": ("seed_oss", {**STANDARD, "head_dim": 16}, True),
    "ernie4_5": ("ernie4_5", {**STANDARD, "head_dim": 16}, True),
    "hunyuan_v1_dense": ("hunyuan_v1_dense", {**STANDARD, "head_dim": 16}, True),
    "minicpm3": (  # multi-head latent attention, hidden states scaled before the head
        "minicpm3",
        {**MLA, "scale_emb": 1, "dim_model_base": 32},
        True,
    ),
    "flex_olmo": ("flex_olmo", {**STANDARD, "num_experts": 4, "num_experts_per_tok": 2}, True),
    "phimoe": ("phimoe", {**STANDARD, "num_local_experts": 4, "num_experts_per_tok": 2, "sliding_window": None}, True),
    "jetmoe": (
        "jetmoe",
        {**STANDARD, "kv_channels": 16, "num_local_experts": 4, "num_experts_per_tok": 2},
        True,
    ),
    "bitnet": ("bitnet", STANDARD, True),
    "diffllama": ("diffllama", STANDARD, True),
    "xglm": ("xglm", {"d_model": 64, "num_layers": 2, "attention_heads": 4, "ffn_dim": 128}, True),
    "biogpt": ("biogpt", WIDE, True),
    # the plain path: positions as an attention bias, recurrent or convolutional layers, local attention
    # that is not a `sliding_window` (GPT-Neo's `window_size`: packed, it was off by 0.1 nats)
    "bloom": ("bloom", {"hidden_size": 64, "n_layer": 2, "n_head": 4}, False),
    "mpt": ("mpt", {"d_model": 64, "n_heads": 4, "n_layers": 2, "max_seq_len": 1024}, False),
    "falcon_alibi": ("falcon", {**WIDE, "alibi": True}, False),
    "mamba": ("mamba", {"hidden_size": 64, "num_hidden_layers": 2, "state_size": 8, "expand": 2}, False),
    "rwkv": ("rwkv", {"hidden_size": 64, "num_hidden_layers": 2, "attention_hidden_size": 64}, False),
    "mamba2": (
        "mamba2",
        {"hidden_size": 64, "num_hidden_layers": 2, "state_size": 8, "num_heads": 8, "head_dim": 16, "n_groups": 1},
        False,
    ),
    "gpt_neo": (
        "gpt_neo",
        {
            "hidden_size": 64,
            "num_layers": 2,
            "num_heads": 4,
            "attention_types": [[["global", "local"], 1]],
            "window_size": 24,
        },
        False,
    ),
    "jamba": (
        "jamba",
        {
            **STANDARD,
            "attn_layer_period": 2,
            "attn_layer_offset": 1,
            "expert_layer_period": 2,
            "expert_layer_offset": 1,
            "num_experts": 2,
            "mamba_d_state": 8,
            "mamba_dt_rank": 8,
            "use_mamba_kernels": False,
        },
        False,
    ),
    "falcon_h1": (  # Mamba-2 and attention in parallel; logits times lm_head_multiplier
        "falcon_h1",
        {**SSM_HYBRID, "mamba_d_ssm": 64, "mamba_n_heads": 4, "lm_head_multiplier": 0.5},
        False,
    ),
    "bamba": ("bamba", {**SSM_HYBRID, "attn_layer_indices": [1], "mamba_n_heads": 8}, False),
    "granitemoehybrid": (
        "granitemoehybrid",
        {
            **SSM_HYBRID,
            "layer_types": ["mamba", "attention"],
            "num_local_experts": 4,
            "num_experts_per_tok": 2,
            "mamba_n_heads": 8,
            "logits_scaling": 8.0,
        },
        False,
    ),
    "zamba2": (
        "zamba2",
        {
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "mamba_d_state": 8,
            "mamba_headdim": 16,
            "n_mamba_heads": 8,
            "hybrid_layer_ids": [1],
            "layers_block_type": ["mamba", "hybrid"],
        },
        False,
    ),
    "lfm2": ("lfm2", {**STANDARD, "layer_types": ["conv", "full_attention"]}, False),
    "qwen3_next": (  # gated delta-net (linear attention) layers
        "qwen3_next",
        {
            **STANDARD,
            "head_dim": 16,
            "num_experts": 4,
            "num_experts_per_tok": 2,
            "moe_intermediate_size": 32,
            "layer_types": ["linear_attention", "full_attention"],
            "linear_num_value_heads": 4,
            "linear_num_key_heads": 2,
            "linear_key_head_dim": 16,
            "linear_value_head_dim": 16,
        },
        False,
    ),
    "olmo_hybrid": ("olmo_hybrid", STANDARD, False),
    "llama4": (  # chunked attention (16-token chunks here: the prompts cross them), MoE; its causal LM
        # names its decoder "language_model" but holds `model`: it could not load before
        "llama4_text",
        {
            **STANDARD,
            "num_hidden_layers": 4,
            "head_dim": 16,
            "intermediate_size_mlp": 128,
            "attention_chunk_size": 16,
            "num_local_experts": 4,
            "num_experts_per_tok": 1,
        },
        False,
    ),
    "recurrent_gemma": (
        "recurrent_gemma",
        {**WIDE, "num_hidden_layers": 3, "num_key_value_heads": 1, "lru_width": 64, "attention_window_size": 32},
        False,
    ),
}


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(TINY)


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    return [json.loads(line) for line in (ROOT / "fixtures/data/gsm8k/train.jsonl").read_text().splitlines()][:8]


def build(model_type: str, options: dict[str, Any], tokenizer: Any) -> Any:
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(
        model_type,
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=0,
        **options,
    )
    config._attn_implementation = attention_implementation(config)
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config).eval()


@pytest.mark.parametrize("case", sorted(FAMILIES))
def test_family_matches_hflm(case: str, tokenizer, documents):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    model_type, options, packed = FAMILIES[case]
    model = build(model_type, options, tokenizer)
    assert head_mismatch(model) is None
    ours = PaperverdictLM(model=model, tokenizer=tokenizer)
    theirs = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu")
    assert ours.engine.packed is packed

    contexts = [f"Q: {d['question'][:30]}\nA:" for d in documents]  # short: several documents a row
    requests = [
        Instance("loglikelihood", {}, (c, " " + d["answer"][7 * j : 7 * j + 12 + j]), 4 * i + j)
        for i, (c, d) in enumerate(zip(contexts, documents))
        for j in range(4)
    ]
    mine, reference = ours.loglikelihood(requests), theirs.loglikelihood(requests, disable_tqdm=True)
    assert max(abs(a[0] - b[0]) for a, b in zip(mine, reference)) <= MAX_DLL
    assert [a[1] for a in mine] == [b[1] for b in reference]

    kwargs = {"until": ["\x00never"], "do_sample": False, "max_gen_toks": 20}
    prompts = [f"Question: {d['question']}\nAnswer:" for d in documents[:4]]
    generate = [Instance("generate_until", {}, (p, kwargs), i) for i, p in enumerate(prompts)]
    texts = ours.generate_until(generate)
    assert texts == theirs.generate_until(generate, disable_tqdm=True) and any(texts)


def test_every_packed_type_is_checked_here_or_with_its_window():
    from .test_sliding_window import FAMILIES as SLIDING

    checked = {model_type for model_type, _, packed in FAMILIES.values() if packed} | set(SLIDING.values())
    assert checked == plain.PACKED_MODEL_TYPES
    # README.md, "Measured": 55 model types on the packed path, 17 on the plain path
    assert len(plain.PACKED_MODEL_TYPES) == 55
    assert len({model_type for model_type, _, packed in FAMILIES.values() if not packed}) == 17


def test_packed_types_and_alibi():
    from transformers import FalconConfig, LlamaConfig, MambaConfig

    assert plain.packed_model(LlamaConfig())
    assert plain.packed_model(FalconConfig(alibi=False)) and not plain.packed_model(FalconConfig(alibi=True))
    assert not plain.packed_model(MambaConfig())


def test_a_head_transform_the_engine_does_not_know_is_refused(tokenizer, tmp_path, monkeypatch):
    """A forward that rescales its logits in a way `head_logits` does not know: the check says so, and
    the loader refuses the model (a failed measurement with the reason) rather than measure it wrong."""
    from services.evaluator.models import ModelLoader, ModelRejected
    from shared.settings import EvaluatorSettings

    model = build("llama", STANDARD, tokenizer)
    assert head_mismatch(model) is None
    real = type(model).forward

    def rescaled(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        out.logits = out.logits * 1.5
        return out

    monkeypatch.setattr(type(model), "forward", rescaled)
    assert "does not reproduce" in (head_mismatch(model) or "")
    model.save_pretrained(tmp_path / "m", safe_serialization=True)
    tokenizer.save_pretrained(tmp_path / "m")
    with pytest.raises(ModelRejected, match="does not reproduce"):
        ModelLoader(EvaluatorSettings(allow_local_models=True, device="cpu")).load(str(tmp_path / "m"))


@pytest.mark.parametrize("case", ["llama", "gemma", "qwen3", "gpt2", "deepseek_v2", "deepseek_v3", "minicpm3", "olmo3"])
def test_kv_bytes_per_token_is_what_the_cache_holds(case: str, tokenizer):
    """Generation sizes its batches by this figure: it must be the cache's real size per token. Models with
    multi-head latent attention cache a compressed latent, not per-head keys and values (counted per head,
    the tiny DeepSeek here came out 2.7x larger than its cache, a real DeepSeek-V2 28x)."""
    from transformers import DynamicCache

    from services.evaluator.engine import _kv_bytes_per_token

    model_type, options, _ = FAMILIES.get(case) or ("olmo3", STANDARD, True)
    model = build(model_type, options, tokenizer)
    cache = DynamicCache(config=model.config)
    tokens = 16
    model(input_ids=torch.arange(3, 3 + tokens)[None], past_key_values=cache, use_cache=True)
    held = sum(t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values))
    assert _kv_bytes_per_token(model) == held // tokens


def test_the_plain_path_runs_a_shared_input_once(tokenizer, documents):
    """Multiple-choice requests with single-token answers (" A".." D") have the same model input (the
    context; the answer token is only scored): one row for all four, as HFLM's logits cache does. Each
    had its own row before, 4x the work (BLOOM, MMLU-shaped: 0.42x HFLM; 1.72x since)."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    model_type, options, packed = FAMILIES["bloom"]
    model = build(model_type, options, tokenizer)
    ours = PaperverdictLM(model=model, tokenizer=tokenizer)
    theirs = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu")
    assert not packed and not ours.engine.packed
    contexts = [f"Q: {d['question'][:80]}\nA:" for d in documents]
    requests = [
        Instance("loglikelihood", {}, (c, letter), 4 * i + j)  # one token each with the fixture tokenizer
        for i, c in enumerate(contexts)
        for j, letter in enumerate("ABCD")
    ]
    encoded = ours.engine.encoder.encode([r.args for r in requests])
    assert all(len(e.continuation) == 1 for e in encoded)
    before = ours.engine.stats.forward_tokens
    mine, reference = ours.loglikelihood(requests), theirs.loglikelihood(requests, disable_tqdm=True)
    assert max(abs(a[0] - b[0]) for a, b in zip(mine, reference)) <= MAX_DLL
    assert [a[1] for a in mine] == [b[1] for b in reference]
    assert ours.engine.stats.forward_tokens - before == sum(len(e.context) for e in encoded[::4])


def test_an_image_text_llama4_checkpoint_loads_as_its_text_model(tokenizer, documents, tmp_path):
    """Llama 4 checkpoints are image-text (Llama4ForConditionalGeneration). Saved as one and loaded by our
    loader, it is its text model with the checkpoint's own weights (the same logits as the image-text
    model given text), measured on the plain path as HFLM measures it. Before, the engine looked for
    the decoder under "language_model" and the load failed."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    from transformers import Llama4Config, Llama4ForConditionalGeneration

    from services.evaluator.models import ModelLoader
    from shared.settings import EvaluatorSettings

    _, options, _ = FAMILIES["llama4"]
    text = {**options, "vocab_size": len(tokenizer), "bos_token_id": tokenizer.bos_token_id, "pad_token_id": 0}
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2}
    vision |= {"image_size": 28, "patch_size": 14, "vision_output_dim": 32, "projector_input_dim": 32}
    torch.manual_seed(0)
    full = Llama4ForConditionalGeneration(Llama4Config(text_config=text, vision_config=vision)).eval()
    full.save_pretrained(tmp_path / "llama4", safe_serialization=True)
    tokenizer.save_pretrained(tmp_path / "llama4")
    model = ModelLoader(EvaluatorSettings(allow_local_models=True, device="cpu")).load(str(tmp_path / "llama4")).model
    assert type(model).__name__ == "Llama4ForCausalLM"
    ids = torch.arange(3, 40)[None]
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).logits, full(input_ids=ids).logits, atol=1e-5)
    ours = PaperverdictLM(model=model, tokenizer=tokenizer)
    theirs = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu")
    assert not ours.engine.packed
    requests = [
        Instance("loglikelihood", {}, (f"Question: {d['question']}\nAnswer:", " " + d["answer"][:40]), i)
        for i, d in enumerate(documents[:4])
    ]
    mine, reference = ours.loglikelihood(requests), theirs.loglikelihood(requests, disable_tqdm=True)
    assert max(abs(a[0] - b[0]) for a, b in zip(mine, reference)) <= MAX_DLL
