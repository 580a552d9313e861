"""SQuAD 2.0 as lm-eval's `squadv2` runs it, scored without downloading code. lm-eval's `SQuAD2` class
builds the prompts and requests and turns each document's answer into a prediction; only its
aggregation is replaced. lm-eval's calls `evaluate.load("squad_v2")`, which fetches the metric's script
from the Hugging Face Hub and executes it (not installable from a package, and code we do not run).

The scoring is the official SQuAD 2.0 evaluation as that script applies it:
- answers normalised: lower case, punctuation removed, the articles a/an/the removed, whitespace
  collapsed;
- per question, exact match and token F1 against the best of its non-empty gold answers; an
  unanswerable question's only gold answer is the empty string;
- the no-answer threshold 1.0: a prediction becomes "no answer" only when its no-answer probability
  exceeds it, which a probability never does (the script's default);
- `exact` and `f1` over all questions, `HasAns_*` / `NoAns_*` over the answerable and unanswerable
  ones, and `best_exact` / `best_f1`: the score at the best threshold on the no-answer probability
  (questions in order of that probability, an unanswerable one counting as right when nothing is
  predicted for it);
- percentages (0-100), as lm-eval reports them.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from lm_eval.tasks.squadv2.task import SQuAD2 as LmEvalSQuAD2

NO_ANSWER_THRESHOLD = 1.0
METRICS = ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1", "best_exact", "best_f1")
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _tokens(text: str) -> list[str]:
    return normalize_answer(text).split() if text else []


def exact_score(gold: str, prediction: str) -> int:
    return int(normalize_answer(gold) == normalize_answer(prediction))


def f1_score(gold: str, prediction: str) -> float:
    gold_tokens, predicted = _tokens(gold), _tokens(prediction)
    if not gold_tokens or not predicted:  # an empty answer is right only against an empty one
        return float(gold_tokens == predicted)
    same = sum((Counter(gold_tokens) & Counter(predicted)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _percent(scores: Mapping[str, float], ids: Sequence[str]) -> float:
    return 100.0 * sum(scores[i] for i in ids) / len(ids)


def _best(
    scores: Mapping[str, float], predicted: Mapping[str, str], no_answer: Mapping[str, float], has: Mapping[str, bool]
) -> float:
    """The score when every question whose no-answer probability is above a threshold is answered
    "no answer", at the best threshold (starting from all answered "no answer")."""
    current = best = float(sum(1 for answerable in has.values() if not answerable))
    for qid in sorted(no_answer, key=lambda q: no_answer[q]):  # stable: ties keep the documents' order
        if qid not in scores:
            continue
        if has[qid]:
            current += scores[qid]
        elif predicted[qid]:
            current -= 1
        best = max(best, current)
    return 100.0 * best / len(scores)


def squad_v2_scores(
    predictions: Sequence[Mapping[str, Any]], references: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """`predictions`: {id, prediction_text, no_answer_probability}; `references`: {id, answers: {text}}."""
    predicted = {p["id"]: p["prediction_text"] for p in predictions}
    no_answer = {p["id"]: p["no_answer_probability"] for p in predictions}
    has = {r["id"]: bool(r["answers"]["text"]) for r in references}
    exact: dict[str, float] = {}
    f1: dict[str, float] = {}
    for reference in references:
        qid = reference["id"]
        if qid not in predicted:
            continue
        golds = [text for text in reference["answers"]["text"] if normalize_answer(text)] or [""]
        exact[qid] = max(exact_score(gold, predicted[qid]) for gold in golds)
        f1[qid] = max(f1_score(gold, predicted[qid]) for gold in golds)

    def thresholded(scores: dict[str, float]) -> dict[str, float]:
        return {q: float(not has[q]) if no_answer[q] > NO_ANSWER_THRESHOLD else s for q, s in scores.items()}

    exact_t, f1_t = thresholded(exact), thresholded(f1)
    every = list(exact_t)
    out = {"exact": _percent(exact_t, every), "f1": _percent(f1_t, every)}
    for prefix, ids in (("HasAns", [q for q in every if has[q]]), ("NoAns", [q for q in every if not has[q]])):
        if ids:
            out[f"{prefix}_exact"], out[f"{prefix}_f1"] = _percent(exact_t, ids), _percent(f1_t, ids)
    out["best_exact"] = _best(exact, predicted, no_answer, has)
    out["best_f1"] = _best(f1, predicted, no_answer, has)
    return out


def _aggregate(key: str, items: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> float:
    predictions, references = zip(*items)
    return squad_v2_scores(predictions, references).get(key, 0)  # lm-eval's: 0 for an absent split


class SQuAD2(LmEvalSQuAD2):
    """lm-eval's SQuAD2 (prompts, requests, per-document predictions) with the scoring above."""

    def aggregation(self) -> dict[str, Any]:
        return {key: partial(_aggregate, key) for key in METRICS}
