"""SmolLM2's lighteval prompts (0-shot, as its published evaluation ran them) as lm-eval `doc_to_*`
functions, for the task configs beside this file. lighteval gives each choice its own leading space
and divides by the choice's length without it (`acc_norm`, "nospace"); lm-eval puts
`target_delimiter` (" ") before each choice and divides by the choice's length, so a choice here is
the text without the space and the requests and both accuracies come out the same
(`tests/unit/evaluator/test_lighteval_tasks.py` holds them to what the hand-written formulations
they replaced measured, `golden/lighteval_formulations.json`).
WinoGrande's choices carry no leading space in lighteval: `target_delimiter: ""` there."""

from __future__ import annotations

import re
from typing import Any

Doc = dict[str, Any]
LETTERS = ["A", "B", "C", "D", "E"]


def _clean(text: str) -> str:
    """HellaSwag's WikiHow artifacts: " [title]" ends a heading, other [tags] go (no strip)."""
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


def _topic(subject: str) -> str:
    return " ".join(subject.split("_"))


def hellaswag_text(doc: Doc) -> str:
    """The context keeps its trailing space, which lm-eval moves into the continuation at tokenization:
    the ending is scored after two spaces, as lighteval scored it."""
    return _clean(doc["activity_label"] + ": " + f"{doc['ctx_a']} {doc['ctx_b'].capitalize()} ")


def hellaswag_choices(doc: Doc) -> list[str]:
    return [_clean(ending) for ending in doc["endings"]]


def hellaswag_gold(doc: Doc) -> int:
    return int(doc["label"])


def winogrande_text(doc: Doc) -> str:
    return str(doc["sentence"].split("_")[0])


def winogrande_choices(doc: Doc) -> list[str]:
    end = doc["sentence"].split("_")[1].strip()
    return [f"{doc['option1']} {end}", f"{doc['option2']} {end}"]


def winogrande_gold(doc: Doc) -> int:
    return int(doc["answer"]) - 1


def labelled_choices(doc: Doc) -> list[str]:
    """ARC, OpenBookQA, CommonsenseQA: the option texts."""
    return list(doc["choices"]["text"])


def labelled_gold(doc: Doc) -> int:
    return int(doc["choices"]["label"].index(doc["answerKey"].strip()))


def openbookqa_gold(doc: Doc) -> int:
    return LETTERS.index(doc["answerKey"].strip())


def mmlu_mc_text(doc: Doc) -> str:
    options = "".join(f"{letter}. {choice}\n" for letter, choice in zip(LETTERS, doc["choices"]))
    return (
        f"The following are multiple choice questions (with answers) about {_topic(doc['subject'])}.\n\n"
        f"{doc['question']}\n{options}Answer:"
    )


def mmlu_mc_choices(doc: Doc) -> list[str]:
    return LETTERS[: len(doc["choices"])]


def mmlu_cf_text(doc: Doc) -> str:
    return f"The following are questions about {_topic(doc['subject'])}.\nQuestion: {doc['question']}\nAnswer:"


def mmlu_cf_choices(doc: Doc) -> list[str]:
    return list(doc["choices"])
