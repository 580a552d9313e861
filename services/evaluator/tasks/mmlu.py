"""MMLU: 57 subjects, 5-shot from each subject's `dev` split taken in order (`first_n`), a
per-subject description, the aggregate weighted by subject size (lm-eval `mmlu/default` and
`mmlu/continuation`). (lighteval's `mmlu_mc` / `mmlu_cf`: `lmeval_tasks/lighteval/`.)"""

from __future__ import annotations

from services.evaluator.tasks.base import Doc, MultipleChoice, TaskSpec

# subject -> lm-eval category group (mmlu_stem, mmlu_other, mmlu_social_sciences, mmlu_humanities)
SUBJECTS: dict[str, str] = {
    "abstract_algebra": "stem",
    "anatomy": "stem",
    "astronomy": "stem",
    "business_ethics": "other",
    "clinical_knowledge": "other",
    "college_biology": "stem",
    "college_chemistry": "stem",
    "college_computer_science": "stem",
    "college_mathematics": "stem",
    "college_medicine": "other",
    "college_physics": "stem",
    "computer_security": "stem",
    "conceptual_physics": "stem",
    "econometrics": "social_sciences",
    "electrical_engineering": "stem",
    "elementary_mathematics": "stem",
    "formal_logic": "humanities",
    "global_facts": "other",
    "high_school_biology": "stem",
    "high_school_chemistry": "stem",
    "high_school_computer_science": "stem",
    "high_school_european_history": "humanities",
    "high_school_geography": "social_sciences",
    "high_school_government_and_politics": "social_sciences",
    "high_school_macroeconomics": "social_sciences",
    "high_school_mathematics": "stem",
    "high_school_microeconomics": "social_sciences",
    "high_school_physics": "stem",
    "high_school_psychology": "social_sciences",
    "high_school_statistics": "stem",
    "high_school_us_history": "humanities",
    "high_school_world_history": "humanities",
    "human_aging": "other",
    "human_sexuality": "social_sciences",
    "international_law": "humanities",
    "jurisprudence": "humanities",
    "logical_fallacies": "humanities",
    "machine_learning": "stem",
    "management": "other",
    "marketing": "other",
    "medical_genetics": "other",
    "miscellaneous": "other",
    "moral_disputes": "humanities",
    "moral_scenarios": "humanities",
    "nutrition": "other",
    "philosophy": "humanities",
    "prehistory": "humanities",
    "professional_accounting": "other",
    "professional_law": "humanities",
    "professional_medicine": "other",
    "professional_psychology": "social_sciences",
    "public_relations": "social_sciences",
    "security_studies": "social_sciences",
    "sociology": "social_sciences",
    "us_foreign_policy": "social_sciences",
    "virology": "other",
    "world_religions": "humanities",
}
LETTERS = ["A", "B", "C", "D"]


def topic(subject: str | None) -> str:
    return " ".join((subject or "").split("_"))


class MmluLmEval(MultipleChoice):
    name = "mcf"
    metrics = ("acc",)  # lm-eval's mmlu yaml reports acc only

    def description(self, subset: str | None) -> str:
        return f"The following are multiple choice questions (with answers) about {topic(subset)}.\n\n"

    def query(self, doc: Doc) -> str:
        options = "".join(f"\n{letter}. {choice}" for letter, choice in zip(LETTERS, doc["choices"]))
        return f"{doc['question'].strip()}{options}\nAnswer:"

    def choices(self, doc: Doc) -> list[str]:
        return list(LETTERS)

    def gold(self, doc: Doc) -> int:
        return int(doc["answer"])


class MmluClozeLmEval(MultipleChoice):
    name = "cloze"

    def description(self, subset: str | None) -> str:
        return f"The following are questions (with answers) about {topic(subset)}.\n\n"

    def query(self, doc: Doc) -> str:
        return f"Question: {doc['question'].strip()}\nAnswer:"

    def choices(self, doc: Doc) -> list[str]:
        return list(doc["choices"])

    def gold(self, doc: Doc) -> int:
        return int(doc["answer"])


MMLU = TaskSpec(
    key="mmlu",
    hub_path="cais/mmlu",
    hub_config=None,
    eval_split="test",
    fewshot_split="dev",
    sampler="first_n",
    default_shots={"lm-eval": 5},
    formulations={"lm-eval": MmluLmEval()},
    subsets=tuple(SUBJECTS),
)
MMLU_CLOZE = TaskSpec(
    key="mmlu_cloze",
    hub_path="cais/mmlu",
    hub_config=None,
    eval_split="test",
    fewshot_split="dev",
    sampler="first_n",
    default_shots={"lm-eval": 5},
    formulations={"lm-eval": MmluClozeLmEval()},
    subsets=tuple(SUBJECTS),
    data_folder="mmlu",
)
