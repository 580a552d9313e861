"""Prompt pieces lm-eval's own configs do not have: lighteval's formulations as SmolLM2 ran them (our
lm-eval task configs' prompt functions), and the seeded slices of a per-claim example budget."""

from __future__ import annotations

from services.evaluator.lm_eval_plan import slice_documents, stratified
from services.evaluator.lmeval_tasks.lighteval import lighteval_prompts as prompts

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


def test_stratified_slice_is_proportional_and_seeded():
    strata = {"a": list(range(60)), "b": list(range(60, 90)), "c": list(range(90, 100))}
    picked = stratified(strata, 20, seed=3)
    assert {k: len(v) for k, v in picked.items()} == {"a": 12, "b": 6, "c": 2}
    assert picked == stratified(strata, 20, seed=3) and picked != stratified(strata, 20, seed=4)


def test_a_slice_keeps_every_task_of_a_group():
    """A group's members are the strata; a member too small for its share still gets one document
    (lm-eval scores each member of a group)."""
    picked = slice_documents({"mmlu_a": 100, "mmlu_b": 99, "mmlu_c": 1}, 10, seed=0)
    assert {k: len(v) for k, v in picked.items()} == {"mmlu_a": 5, "mmlu_b": 5, "mmlu_c": 1}
    assert picked == slice_documents({"mmlu_a": 100, "mmlu_b": 99, "mmlu_c": 1}, 10, seed=0)
