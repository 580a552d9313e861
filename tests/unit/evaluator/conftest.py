"""Shared fixtures of the evaluator tests: the committed tiny Llama (fp32, CPU) loaded once, our
engine and lm-eval's HFLM on the very same model object; DATA is the committed synthetic data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "fixtures" / "data"
TINY = "paperverdict-fixtures/tiny-llama"
TINY_SHA = "d242b8eb997a695ba529ad93450cdde92057d9c0"


@pytest.fixture(scope="session")
def tiny():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(TINY, dtype=torch.float32, attn_implementation="sdpa").eval()
    tokenizer = AutoTokenizer.from_pretrained(TINY)
    return model, tokenizer


@pytest.fixture(scope="session")
def engine(tiny):
    from services.evaluator.engine import Engine

    model, tokenizer = tiny
    return Engine(model, tokenizer, token_budget=4096, row_tokens=512)


@pytest.fixture(scope="session")
def hflm(tiny):
    from lm_eval.models.huggingface import HFLM

    model, tokenizer = tiny
    return HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu")
