"""GSM8K (lm-eval `gsm8k.yaml`): 5-shot from `train` (seeded random), greedy generation until
"Question:", then two answer extractions: strict (`#### N`) and flexible (the last number)."""

from __future__ import annotations

import re
from typing import Literal

from services.evaluator.tasks.base import Doc, Prompted, TaskSpec

UNTIL = ("Question:", "</s>", "<|im_end|>")
MAX_GEN_TOKS = 256  # lm-eval's HFLM default when the task sets none
STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")
FLEXIBLE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
IGNORE = (",", "\\$", "(?s).*#### ", "\\.$")  # `regexes_to_ignore` of the exact_match metric
FALLBACK = "[invalid]"


class Gsm8kLmEval(Prompted):
    harness: Literal["lm-eval"] = "lm-eval"
    kind: Literal["generate"] = "generate"
    name = "generate"
    metrics = ("exact_match", "exact_match_flexible")

    def query(self, doc: Doc) -> str:
        return f"Question: {doc['question']}\nAnswer:"

    def target(self, doc: Doc) -> str:
        return doc["answer"]

    def fewshot_example(self, doc: Doc) -> str:
        return self.query(doc) + self.target_delimiter + self.target(doc) + self.fewshot_delimiter


def extract(response: str, mode: Literal["strict", "flexible"]) -> str:
    """lm-eval's regex filter then `take_first`: strict takes the first `#### N`, flexible the last
    number-looking span (group_select -1)."""
    pattern, select = (STRICT, 0) if mode == "strict" else (FLEXIBLE, -1)
    found = pattern.findall(response)
    if not found:
        return FALLBACK
    match = found[select]
    if isinstance(match, tuple):
        parts = [m for m in match if m]
        match = parts[0] if parts else FALLBACK
    return match.strip()


def normalize(text: str) -> str:
    for pattern in IGNORE:
        text = re.sub(pattern, "", text)
    return text.lower()  # ignore_case: true; punctuation kept


def exact_match(prediction: str, target: str) -> float:
    return 1.0 if normalize(prediction) == normalize(target) else 0.0


GSM8K = TaskSpec(
    key="gsm8k",
    hub_path="openai/gsm8k",
    hub_config="main",
    eval_split="test",
    fewshot_split="train",
    sampler="random",
    sample_one_extra=False,
    default_shots={"lm-eval": 5},
    formulations={"lm-eval": Gsm8kLmEval()},
)
