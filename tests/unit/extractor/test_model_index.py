"""The resolver with the bundled index, on names real papers print (the ones the issue listed, and the
shapes of the corpus), checked against repos known by hand."""

from __future__ import annotations

import pytest

from services.extractor.models import ModelResolver

LATE_PAPER = "2507.00001"  # every checkpoint below was released by then


@pytest.mark.parametrize(
    ("printed", "repo"),
    [
        ("gemma-3-1b-it", "google/gemma-3-1b-it"),  # printed names that are Hub repo names
        ("Qwen2.5-14B-Instruct", "Qwen/Qwen2.5-14B-Instruct"),
        ("Llama-3.3-70B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"),
        ("Phi-3-mini-128k-instruct", "microsoft/Phi-3-mini-128k-instruct"),
        ("Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
        ("Qwen 2.5 / 32B", "Qwen/Qwen2.5-32B"),  # family and size split across header levels
        ("Gemma 2 / 9B", "google/gemma-2-9b"),
        ("GPT-J / 6B", "EleutherAI/gpt-j-6b"),
        ("GPT-NeoX / 20B", "EleutherAI/gpt-neox-20b"),
        ("DeepSeek-V3 / Base", "deepseek-ai/DeepSeek-V3-Base"),
        ("LLaMA 2 70B", "meta-llama/Llama-2-70b-hf"),
        ("Mixtral 8x7B", "mistralai/Mixtral-8x7B-v0.1"),
        ("Mamba-1.4B", "state-spaces/mamba-1.4b-hf"),
        ("RWKV4-1.5B", "RWKV/rwkv-4-1b5-pile"),
        ("Llemma / 7B", "EleutherAI/llemma_7b"),
        ("Qwen3-30B-A3B-Base", "Qwen/Qwen3-30B-A3B-Base"),
        ("Tulu 3 8B SFT", "allenai/Llama-3.1-Tulu-3-8B-SFT"),  # a post-training stage is its own release
        ("OLMo 2 7B", "allenai/OLMo-2-1124-7B"),
    ],
)
def test_names_papers_print_resolve_with_the_bundled_index(printed: str, repo: str) -> None:
    r = ModelResolver({}, LATE_PAPER).resolve([part.strip() for part in printed.split(" / ")])
    assert r.model_id == repo, r.reason


@pytest.mark.parametrize(
    ("printed", "reason"),
    [
        ("GPT-4", "is proprietary"),
        ("PaLM 540B", "is proprietary"),
        ("Minerva 62B", "is proprietary"),
        ("Claude 3 Opus", "is proprietary"),
        ("LLaMA 65B", "has no official Hugging Face repo"),
        ("MPT-7B", "has no official Hugging Face repo"),  # deleted from the Hub in December 2025
        ("Llama3-8B / Distill", "names a variant of llama"),
        ("Mistral 7B", "is ambiguous"),
        ("Llama 3.1", "is ambiguous: no size is printed"),
        ("Qwen3-30B-A3B", "it is the repo name of Qwen/Qwen3-30B-A3B"),  # post-trained repo, or the base?
    ],
)
def test_what_the_bundled_index_cannot_pin_says_why(printed: str, reason: str) -> None:
    r = ModelResolver({}, LATE_PAPER).resolve([part.strip() for part in printed.split(" / ")])
    assert r.model_id is None and reason in (r.reason or ""), r
