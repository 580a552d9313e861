"""HellaSwag (lm-eval `hellaswag.yaml` + `utils.process_docs`)."""

from __future__ import annotations

import re

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec


def _clean(text: str) -> str:
    # WikiHow artifacts: " [title]" ends a heading, other [tags] go
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


def preprocess(text: str) -> str:
    """lm-eval's `hellaswag/utils.preprocess`: strip, then clean."""
    return _clean(text.strip())


class HellaSwagLmEval(MultipleChoice):
    def prepare(self, doc: Doc) -> Doc:
        ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
        return {
            **doc,
            "query": preprocess(doc["activity_label"] + ": " + ctx),
            "choices": [preprocess(ending) for ending in doc["endings"]],
            "gold": int(doc["label"]),
        }

    def query(self, doc: Doc) -> str:
        return doc["query"]

    def choices(self, doc: Doc) -> list[str]:
        return list(doc["choices"])

    def gold(self, doc: Doc) -> int:
        return int(doc["label"])


HELLASWAG = TaskSpec(
    key="hellaswag",
    hub_path="Rowan/hellaswag",
    hub_config=None,
    eval_split="validation",
    fewshot_split="train",
    sampler="random",
    sample_one_extra=True,
    default_shots={"lm-eval": 0},
    formulations={"lm-eval": HellaSwagLmEval()},
)
