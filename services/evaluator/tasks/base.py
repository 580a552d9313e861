"""What every task family shares: the prompt pieces a family defines, and the assembly of few-shot
prompts exactly as lm-evaluation-harness assembles them (description, `first_n` or seeded random
few-shot selection, target and few-shot delimiters).

A family module (arc.py, mmlu.py, ...) only says how one document becomes a question, its choices
and its gold answer; `build_examples` turns documents into the log-likelihood requests the engine
runs, and `score_choices` applies lm-eval's multiple-choice
metrics to the log-likelihoods that come back.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

Doc = dict[str, Any]
Harness = Literal["lm-eval"]
LM_EVAL_FEWSHOT_SEED = 1234  # lm-eval's default `fewshot_random_seed`


class Formulation(Protocol):
    """How one harness turns a document into a prompt (the `doc_to_*` of an lm-eval task yaml)."""

    harness: Harness
    name: str  # "mcf" | "cloze": the protocol's formulation
    metrics: tuple[str, ...]  # what this formulation can report
    target_delimiter: str
    fewshot_delimiter: str

    def prepare(self, doc: Doc) -> Doc: ...  # lm-eval `process_docs`

    def description(self, subset: str | None) -> str: ...

    def query(self, doc: Doc) -> str: ...  # the question (lm-eval `doc_to_text`)

    def choices(self, doc: Doc) -> list[str]: ...

    def gold(self, doc: Doc) -> int: ...

    def fewshot_answer(self, doc: Doc) -> str: ...  # what follows the query in a few-shot example

    def requests(self, prompt_prefix: str, doc: Doc) -> list[tuple[str, str]]: ...  # (context, continuation)


class Prompted:
    """lm-eval's task defaults: documents as they come, no description, " " before a target and a blank
    line between few-shot examples."""

    target_delimiter = " "
    fewshot_delimiter = "\n\n"

    def prepare(self, doc: Doc) -> Doc:
        return doc

    def description(self, subset: str | None) -> str:
        return ""


class MultipleChoice(Prompted):
    """lm-eval's `output_type: multiple_choice`: context = prefix + query, continuation =
    target delimiter + choice, one request per choice. Families override the `doc_to_*` pieces."""

    harness: Harness = "lm-eval"
    name = "cloze"
    metrics: tuple[str, ...] = ("acc", "acc_norm")

    def query(self, doc: Doc) -> str:
        raise NotImplementedError

    def choices(self, doc: Doc) -> list[str]:
        raise NotImplementedError

    def gold(self, doc: Doc) -> int:
        raise NotImplementedError

    def fewshot_answer(self, doc: Doc) -> str:
        return self.choices(doc)[self.gold(doc)]

    def fewshot_example(self, doc: Doc) -> str:
        return self.query(doc) + self.target_delimiter + self.fewshot_answer(doc) + self.fewshot_delimiter

    def requests(self, prompt_prefix: str, doc: Doc) -> list[tuple[str, str]]:
        context = prompt_prefix + self.query(doc)
        return [(context, self.target_delimiter + choice) for choice in self.choices(doc)]

    def choice_lengths(self, doc: Doc) -> list[float]:
        """The denominators of `acc_norm`: lm-eval divides by each choice's character length."""
        return [float(len(choice)) for choice in self.choices(doc)]


@dataclass(frozen=True)
class TaskSpec:
    """One benchmark: where its data lives and how lm-eval picks few-shot examples for it."""

    key: str
    hub_path: str
    hub_config: str | None
    eval_split: str
    fewshot_split: str | None  # the split few-shot examples come from
    sampler: Literal["first_n", "random"]
    default_shots: dict[str, int]  # harness -> conventional n_shot
    formulations: dict[str, Formulation]  # harness -> formulation
    subsets: tuple[str, ...] = ()  # MMLU subjects
    data_folder: str | None = None  # folder under a local data dir, default the key

    @property
    def folder(self) -> str:
        return self.data_folder or self.key


@dataclass
class Example:
    """One evaluated document, ready for the engine."""

    doc_id: int
    subset: str | None
    gold: int
    requests: list[tuple[str, str]] = field(default_factory=list)  # multiple choice
    choice_lengths: list[float] = field(default_factory=list)
    shared_prefix: str | None = None  # the few-shot prefix every document of the subset shares


class FewshotSource:
    """lm-eval's few-shot selection for one task (and subset): `first_n` takes the first k documents
    of the few-shot split; `random` draws with `random.Random(1234)` consumed document by document in
    evaluation order, so document i gets the examples lm-eval gives it."""

    def __init__(self, spec: TaskSpec, pool: Sequence[Doc], seed: int = LM_EVAL_FEWSHOT_SEED) -> None:
        self.spec = spec
        self.pool = list(pool)
        self.rnd = random.Random(seed)

    def draw(self, n_shot: int) -> list[Doc]:
        if n_shot == 0:
            return []
        if self.spec.sampler == "first_n":
            return self.pool[:n_shot]
        return self.rnd.sample(self.pool, n_shot)


def build_examples(
    spec: TaskSpec,
    formulation: Any,
    docs: Sequence[Doc],
    fewshot_pool: Sequence[Doc],
    n_shot: int,
    *,
    subset: str | None = None,
    select: Sequence[int] | None = None,
) -> list[Example]:
    """Examples for `docs` (already `prepare`d) in order; `select` keeps only those indices while
    still drawing few-shot examples for every earlier document, so each kept document gets exactly
    the prompt it gets in a full run."""
    keep = set(range(len(docs))) if select is None else set(select)
    fewshot = FewshotSource(spec, fewshot_pool)
    description = formulation.description(subset)
    examples: list[Example] = []
    last = max(keep, default=-1)
    for doc_id, doc in enumerate(docs):
        if doc_id > last:
            break
        shots = fewshot.draw(n_shot)
        if doc_id not in keep:
            continue
        prefix = description + "".join(formulation.fewshot_example(shot) for shot in shots)
        shared = prefix if (spec.sampler == "first_n" and prefix) else None
        examples.append(
            Example(
                doc_id=doc_id,
                subset=subset,
                gold=formulation.gold(doc),
                requests=formulation.requests(prefix, doc),
                choice_lengths=formulation.choice_lengths(doc),
                shared_prefix=shared,
            )
        )
    return examples


@dataclass(frozen=True)
class ChoiceScore:
    pred: int
    pred_norm: int
    acc: float
    acc_norm: float


def score_choices(lls: Sequence[float], lengths: Sequence[float], gold: int) -> ChoiceScore:
    """lm-eval `process_results` for multiple choice: argmax of the log-likelihoods, and of the
    log-likelihoods divided by the choice lengths (`acc_norm`). numpy's argmax: ties go to the first."""
    pred = int(np.argmax(lls))
    pred_norm = int(np.argmax(np.asarray(lls) / np.asarray(lengths)))
    return ChoiceScore(
        pred=pred, pred_norm=pred_norm, acc=1.0 if pred == gold else 0.0, acc_norm=1.0 if pred_norm == gold else 0.0
    )
