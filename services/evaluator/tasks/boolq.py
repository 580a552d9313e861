"""BoolQ from SuperGLUE (lm-eval `super_glue/boolq/default.yaml`): yes/no after the passage."""

from __future__ import annotations

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec


class BoolQLmEval(MultipleChoice):
    metrics = ("acc",)

    def query(self, doc: Doc) -> str:
        return f"{doc['passage']}\nQuestion: {doc['question']}?\nAnswer:"

    def choices(self, doc: Doc) -> list[str]:
        return ["no", "yes"]

    def gold(self, doc: Doc) -> int:
        return int(doc["label"])


BOOLQ = TaskSpec(
    key="boolq",
    hub_path="aps/super_glue",
    hub_config="boolq",
    eval_split="validation",
    fewshot_split="train",
    sampler="random",
    sample_one_extra=True,
    default_shots={"lm-eval": 0},
    formulations={"lm-eval": BoolQLmEval()},
)
