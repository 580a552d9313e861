"""Our scoring of lm-eval's squadv2 (`lmeval_tasks/squadv2/squad_v2.py`): the official SQuAD 2.0
evaluation as Hugging Face evaluate's squad_v2 script applies it, on cases worked by hand and against
the official evaluation's code itself (as transformers 4 shipped it) on random cases; everything else
is lm-eval's SQuAD2 class (the fidelity beside HFLM: `test_lm_eval_families.py`, pv_squadv2)."""

from __future__ import annotations

import os
import random
from types import SimpleNamespace

import pytest
from lm_eval.tasks.squadv2.task import SQuAD2 as LmEvalSQuAD2

from services.evaluator.lmeval_tasks.squadv2.squad_v2 import (
    METRICS,
    SQuAD2,
    exact_score,
    f1_score,
    normalize_answer,
    squad_v2_scores,
)

from .conftest import ROOT


def test_answers_are_normalised_as_the_official_evaluation_does():
    assert normalize_answer("The Eiffel-Tower!") == "eiffeltower"  # punctuation goes before the articles
    assert normalize_answer("  An  apple,  a day ") == "apple day"
    assert exact_score("Paris", " paris.") == 1 and exact_score("Paris", "in Paris") == 0
    assert f1_score("the Atlantic Ocean", "Atlantic") == pytest.approx(2 / 3)
    assert f1_score("", "") == 1.0 and f1_score("", "x") == 0.0 and f1_score("a b", "c") == 0.0


def prediction(qid: str, text: str, no_answer: float) -> dict:
    return {"id": qid, "prediction_text": text, "no_answer_probability": no_answer}


def reference(qid: str, *answers: str) -> dict:
    return {"id": qid, "answers": {"text": list(answers), "answer_start": [0] * len(answers)}}


PREDICTIONS = [
    prediction("q1", "Paris", 0.1),
    prediction("q2", "in 1889 for", 0.3),
    prediction("q3", "Gustave", 0.9),  # unanswerable, answered
    prediction("q4", "", 0.2),  # unanswerable, left empty
]
REFERENCES = [reference("q1", "Paris"), reference("q2", "1889"), reference("q3"), reference("q4")]


def test_the_scores_of_a_worked_example():
    scores = squad_v2_scores(PREDICTIONS, REFERENCES)
    assert scores == pytest.approx(
        {
            "exact": 50.0,  # q1 and q4 right
            "f1": 62.5,  # (1 + 0.5 + 0 + 1) / 4
            "HasAns_exact": 50.0,
            "HasAns_f1": 75.0,
            "NoAns_exact": 50.0,
            "NoAns_f1": 50.0,
            # by no-answer probability q1, q4, q2, q3: from 2 (every question "no answer"), +1, +0, +0
            # (exact) or +0.5 (f1), then -1 for q3: the best is before q3
            "best_exact": 75.0,
            "best_f1": 87.5,
        }
    )
    assert set(scores) == set(METRICS)


def test_a_no_answer_probability_above_the_threshold_answers_no_answer():
    above = [*PREDICTIONS[:2], prediction("q3", "Gustave", 1.5), PREDICTIONS[3]]
    assert squad_v2_scores(above, REFERENCES)["exact"] == 75.0  # q3 counts as rightly unanswered


def test_a_split_without_unanswerable_questions_reports_no_noans_scores():
    scores = squad_v2_scores(PREDICTIONS[:2], REFERENCES[:2])
    assert "NoAns_exact" not in scores and scores["HasAns_exact"] == scores["exact"] == 50.0
    assert scores["best_exact"] == 50.0


def test_only_the_aggregation_is_ours():
    for method in ("doc_to_text", "doc_to_target", "construct_requests", "process_results", "higher_is_better"):
        assert getattr(SQuAD2, method) is getattr(LmEvalSQuAD2, method), method
    assert set(SQuAD2.aggregation(None)) == set(LmEvalSQuAD2.aggregation(None)) == set(METRICS)
    items = [(p, r) for p, r in zip(PREDICTIONS, REFERENCES)]
    assert SQuAD2.aggregation(None)["best_f1"](items) == pytest.approx(87.5)


REFERENCE = ROOT / ".cache" / "real" / "reference" / "squad_metrics.py"


def reference_evaluation():
    """The official SQuAD 2.0 evaluation as transformers 4.57.1 ships it (`scripts/real_fixtures.py`
    extracts it), its two package-relative imports, used only by functions we do not call, stubbed."""
    if not REFERENCE.exists():
        message = f"no {REFERENCE}: run `.venv/bin/python scripts/real_fixtures.py`"
        if os.environ.get("PV_REQUIRE_REAL_FIXTURES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    source = REFERENCE.read_text(encoding="utf-8")
    relative = ("from ...models.bert import BasicTokenizer", "from ...utils import logging")
    assert all(line in source.splitlines() for line in relative)
    for line in relative:
        source = source.replace(line, "")
    namespace = {"BasicTokenizer": None, "logging": SimpleNamespace(get_logger=lambda name: None)}
    exec(compile(source, str(REFERENCE), "exec"), namespace)  # a pinned file of a PyPI wheel
    return namespace["squad_evaluate"]


def test_the_scores_equal_the_official_evaluations_on_random_cases():
    """Seeded random questions (answerable with one to three gold answers, or not), predictions that
    are a gold answer, part of one, something else or empty, and no-answer probabilities with ties and
    values above the threshold: every metric equals the reference's."""
    squad_evaluate = reference_evaluation()
    rng = random.Random(7)
    words = ["the", "a", "Paris", "tower", "1889", "iron", "an", "river", "Amazon", "ocean", "blue", "x"]

    def phrase() -> str:
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        return text + rng.choice(["", ".", "!", ","])

    for case in range(200):
        predictions, references, examples = [], [], []
        for i in range(rng.randint(1, 12)):
            qid = f"c{case}q{i}"
            golds = [phrase() for _ in range(rng.randint(1, 3))] if rng.random() < 0.6 else []
            choice = rng.random()
            if golds and choice < 0.35:
                text = rng.choice(golds)
            elif golds and choice < 0.55:
                text = " ".join(rng.choice(golds).split()[:1] + [rng.choice(words)])
            elif choice < 0.75:
                text = ""
            else:
                text = phrase()
            no_answer = rng.choice([0.0, 0.25, 0.5, 0.5, 0.9, 1.0, 1.5, rng.random()])
            predictions.append(prediction(qid, text, no_answer))
            references.append(reference(qid, *golds))
            examples.append(SimpleNamespace(qas_id=qid, answers=[{"text": g} for g in golds]))
        expected = squad_evaluate(
            examples,
            {p["id"]: p["prediction_text"] for p in predictions},
            {p["id"]: p["no_answer_probability"] for p in predictions},
        )
        ours = squad_v2_scores(predictions, references)
        assert set(ours) == {key for key in expected if key in METRICS}, case
        for key, value in ours.items():
            assert value == pytest.approx(expected[key], abs=1e-9), (case, key)
