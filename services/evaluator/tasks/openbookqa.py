"""OpenBookQA, `main` config (lm-eval `openbookqa.yaml`)."""

from __future__ import annotations

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec


class OpenBookQALmEval(MultipleChoice):
    def query(self, doc: Doc) -> str:
        return doc["question_stem"]

    def choices(self, doc: Doc) -> list[str]:
        return list(doc["choices"]["text"])

    def gold(self, doc: Doc) -> int:
        return doc["choices"]["label"].index(doc["answerKey"].lstrip())


OPENBOOKQA = TaskSpec(
    key="openbookqa",
    hub_path="allenai/openbookqa",
    hub_config="main",
    eval_split="test",
    fewshot_split="train",
    sampler="random",
    sample_one_extra=False,
    default_shots={"lm-eval": 0},
    formulations={"lm-eval": OpenBookQALmEval()},
)
