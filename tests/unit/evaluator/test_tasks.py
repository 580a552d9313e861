"""Prompt pieces that lm-eval's own configs do not cover in test_fidelity: lighteval's formulations
as SmolLM2 ran them (our lm-eval task configs' prompt functions), the few-shot selection quirks,
slices, and lm-eval's statistics."""

from __future__ import annotations

import pytest

from services.evaluator import stats
from services.evaluator.evaluation import stratified
from services.evaluator.lmeval_tasks.lighteval import lighteval_prompts as prompts
from services.evaluator.tasks import registry
from services.evaluator.tasks.base import FewshotSource, build_examples, score_choices

HELLASWAG_DOC = {
    "activity_label": "Cleaning windows",
    "ctx_a": "A man [title] climbs a ladder.",
    "ctx_b": "he wipes",
    "endings": ["the glass [step] slowly.", "a  dog.", "x", "y"],
    "label": "0",
}


def test_hellaswag_lighteval_keeps_the_trailing_space_and_normalizes_without_the_leading_one():
    """lighteval (lmeval_tasks/lighteval/): the context keeps its trailing space (lm-eval moves it into
    the continuation: two spaces before the ending), the choice is the cleaned ending, so that
    lm-eval's acc_norm divides by its length without the delimiter's space."""
    assert prompts.hellaswag_text(HELLASWAG_DOC) == "Cleaning windows: A man. climbs a ladder. He wipes "
    assert prompts.hellaswag_choices(HELLASWAG_DOC) == ["the glass slowly.", "a dog.", "x", "y"]
    assert prompts.hellaswag_gold(HELLASWAG_DOC) == 0


def test_lighteval_mmlu_and_winogrande_prompts():
    doc = {
        "question": "What is 2+2?",
        "subject": "elementary_mathematics",
        "choices": ["3", "4", "5", "6"],
        "answer": 1,
    }
    assert prompts.mmlu_mc_text(doc) == (
        "The following are multiple choice questions (with answers) about elementary mathematics.\n\n"
        "What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:"
    )
    assert prompts.mmlu_mc_choices(doc) == ["A", "B", "C", "D"]  # after lm-eval's " ": " B"
    assert prompts.mmlu_cf_text(doc) == (
        "The following are questions about elementary mathematics.\nQuestion: What is 2+2?\nAnswer:"
    )
    assert prompts.mmlu_cf_choices(doc)[1] == "4"
    doc = {"sentence": "Anna helped Ben because _ was kind.", "option1": "Anna", "option2": "Ben", "answer": "2"}
    assert prompts.winogrande_text(doc) == "Anna helped Ben because "
    assert prompts.winogrande_choices(doc) == ["Anna was kind.", "Ben was kind."]  # target_delimiter ""
    assert prompts.winogrande_gold(doc) == 1


def test_fewshot_selection_replicates_lm_eval_rng_use():
    import random

    pool = [{"i": i} for i in range(20)]
    first_n = FewshotSource(registry.get("mmlu"), pool)
    assert first_n.draw(5) == pool[:5]
    plain = FewshotSource(registry.get("arc_easy"), pool)
    rnd = random.Random(1234)
    assert [plain.draw(3) for _ in range(3)] == [rnd.sample(pool, 3) for _ in range(3)]


def test_selected_documents_keep_their_full_run_prompts(data):
    spec = registry.get("arc_easy")
    f = spec.formulations["lm-eval"]
    docs, pool = data.rows(spec, "test"), data.rows(spec, "train")
    full = build_examples(spec, f, docs, pool, 3)
    some = build_examples(spec, f, docs, pool, 3, select=[4, 17, 30])
    assert [e.requests for e in some] == [full[i].requests for i in (4, 17, 30)]


def test_stratified_slice_is_proportional_and_seeded():
    strata = {"a": list(range(60)), "b": list(range(60, 90)), "c": list(range(90, 100))}
    picked = stratified(strata, 20, seed=3)
    assert {k: len(v) for k, v in picked.items()} == {"a": 12, "b": 6, "c": 2}
    assert picked == stratified(strata, 20, seed=3) and picked != stratified(strata, 20, seed=4)


def test_scores_and_stats_match_lm_eval():
    from lm_eval.api import metrics

    s = score_choices([-3.0, -2.0, -2.0], [1.0, 10.0, 4.0], 1)  # a tie: the first of the tied choices
    assert (s.pred, s.pred_norm, s.acc, s.acc_norm) == (1, 1, 1.0, 1.0)
    # the raw and the length-normalised argmax disagree: -2/10 < -4/40, so acc_norm picks choice 2
    s = score_choices([-3.0, -2.0, -4.0], [1.0, 10.0, 40.0], 2)
    assert (s.pred, s.pred_norm, s.acc, s.acc_norm) == (1, 2, 0.0, 1.0)
    values = [1.0, 0.0, 1.0, 1.0, 0.0]
    assert stats.mean_stderr(values) == pytest.approx(metrics.mean_stderr(values), abs=1e-15)
    assert stats.pooled_stderr([0.1, 0.2], [10, 30]) == pytest.approx(
        metrics.pooled_sample_stderr([0.1, 0.2], [10, 30])
    )
    assert stats.unweighted_mean_stderr([0.1, 0.2]) == pytest.approx(metrics.unweighted_mean_stderr([0.1, 0.2]))
