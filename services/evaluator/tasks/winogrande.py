"""WinoGrande with lm-eval's partial scoring: two contexts (the sentence up to the blank, filled with
each option), the shared rest of the sentence is the scored continuation. (lighteval instead scores
"option + rest" after the shared beginning: `lmeval_tasks/lighteval/lighteval_winogrande.yaml`.)"""

from __future__ import annotations

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec


class WinoGrandeLmEval(MultipleChoice):
    metrics = ("acc",)

    def contexts(self, doc: Doc) -> list[str]:
        idx = doc["sentence"].index("_")
        return [doc["sentence"][:idx] + option for option in (doc["option1"], doc["option2"])]

    def suffix(self, doc: Doc) -> str:
        idx = doc["sentence"].index("_") + 1
        return doc["sentence"][idx:].strip()

    def choices(self, doc: Doc) -> list[str]:
        return self.contexts(doc)

    def gold(self, doc: Doc) -> int:
        return {"1": 0, "2": 1}[doc["answer"]]

    def fewshot_example(self, doc: Doc) -> str:
        return self.contexts(doc)[self.gold(doc)] + self.target_delimiter + self.suffix(doc) + self.fewshot_delimiter

    def requests(self, prompt_prefix: str, doc: Doc) -> list[tuple[str, str]]:
        continuation = self.target_delimiter + self.suffix(doc)
        return [(prompt_prefix + context, continuation) for context in self.contexts(doc)]


WINOGRANDE = TaskSpec(
    key="winogrande",
    hub_path="allenai/winogrande",
    hub_config="winogrande_xl",
    eval_split="validation",
    fewshot_split="train",
    sampler="random",
    sample_one_extra=True,
    default_shots={"lm-eval": 0},
    formulations={"lm-eval": WinoGrandeLmEval()},
)
