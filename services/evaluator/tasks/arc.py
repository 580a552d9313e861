"""ARC-Easy / ARC-Challenge (lm-eval `arc_easy.yaml`). "arc" as one number
(the mean of both, as papers report it) is assembled by the runner from the two."""

from __future__ import annotations

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec


class ArcLmEval(MultipleChoice):
    def query(self, doc: Doc) -> str:
        return f"Question: {doc['question']}\nAnswer:"

    def choices(self, doc: Doc) -> list[str]:
        return list(doc["choices"]["text"])

    def gold(self, doc: Doc) -> int:
        return doc["choices"]["label"].index(doc["answerKey"])


def spec(key: str, config: str) -> TaskSpec:
    return TaskSpec(
        key=key,
        hub_path="allenai/ai2_arc",
        hub_config=config,
        eval_split="test",
        fewshot_split="train",
        sampler="random",
        default_shots={"lm-eval": 0},
        formulations={"lm-eval": ArcLmEval()},
    )


ARC_EASY = spec("arc_easy", "ARC-Easy")
ARC_CHALLENGE = spec("arc_challenge", "ARC-Challenge")
