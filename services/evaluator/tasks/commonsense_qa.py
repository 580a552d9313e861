"""CommonsenseQA: lm-eval lists the five options and scores the letter (`mcf`). (lighteval, as SmolLM2
ran it, scores the option texts: `lmeval_tasks/lighteval/lighteval_commonsense_qa.yaml`.)"""

from __future__ import annotations

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec

LETTERS = ["A", "B", "C", "D", "E"]


class CommonsenseQALmEval(MultipleChoice):
    name = "mcf"
    metrics = ("acc",)

    def query(self, doc: Doc) -> str:
        texts = doc["choices"]["text"]
        options = "".join(f"\n{letter}. {text}" for letter, text in zip(LETTERS, texts))
        return f"Question: {doc['question'].strip()}{options}\nAnswer:"

    def choices(self, doc: Doc) -> list[str]:
        return list(LETTERS)

    def gold(self, doc: Doc) -> int:
        return LETTERS.index(doc["answerKey"])

    def fewshot_answer(self, doc: Doc) -> str:
        return doc["answerKey"]  # lm-eval's target is the answerKey string itself


COMMONSENSE_QA = TaskSpec(
    key="commonsense_qa",
    hub_path="tau/commonsense_qa",
    hub_config=None,
    eval_split="validation",
    fewshot_split="train",
    sampler="random",
    sample_one_extra=True,
    default_shots={"lm-eval": 0},
    formulations={"lm-eval": CommonsenseQALmEval()},
)
