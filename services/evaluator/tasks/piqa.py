"""PIQA (lm-eval `piqa.yaml` on `baber/piqa`)."""

from __future__ import annotations

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec


class PiqaLmEval(MultipleChoice):
    def query(self, doc: Doc) -> str:
        return f"Question: {doc['goal']}\nAnswer:"

    def choices(self, doc: Doc) -> list[str]:
        return [doc["sol1"], doc["sol2"]]

    def gold(self, doc: Doc) -> int:
        return int(doc["label"])


PIQA = TaskSpec(
    key="piqa",
    hub_path="baber/piqa",
    hub_config=None,
    eval_split="validation",
    fewshot_split="train",
    sampler="random",
    sample_one_extra=True,
    default_shots={"lm-eval": 0},
    formulations={"lm-eval": PiqaLmEval()},
)
