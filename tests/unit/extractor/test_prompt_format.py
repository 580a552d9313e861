"""Chat template and multi-turn few-shot statements (`services/extractor/prompt_format.py`)."""

from __future__ import annotations

import pytest

from services.extractor.prompt_format import CHAT_HEAD, TURNS_HEAD, chat_for, chat_sentence, mark, pick
from shared.models import ProtocolStatement


def st(value: str) -> ProtocolStatement:
    return ProtocolStatement(
        field="chat_template", value=value, source_file="main.tex", char_start=0, char_end=1, text="x"
    )


@pytest.mark.parametrize(
    ("texts", "value"),
    [
        ((r"\cmark", "", ""), "true"),
        ((r"\xmark", "", ""), "false"),
        ((r"\ok", r"\ding{51}", ""), "true"),  # a macro of the paper's own, expanded
        (("", "", "✓"), "true"),
        (("Yes", "Yes", "Yes"), "true"),
        (("no", "no", "no"), "false"),
        (("N/A", "N/A", "N/A"), None),
        (("", "", ""), None),
    ],
)
def test_check_marks_and_crosses(texts: tuple[str, str, str], value: str | None) -> None:
    assert mark(*texts) == value


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("For all models, we use the provided chat template for prompt formatting when available.", "true"),
        ("Instruct models are prompted with their own chat template.", "true"),
        ("We apply each model's chat format.", "true"),
        ("we disable chat templates within HELMET to ensure consistent scoring", None),  # off: the default
        ("We do not apply the model's chat template.", None),
        ("We used a standard, simple chat template (Question: {text} Answer:) across all base models.", None),
        ("when training on data containing chat templates, models output special tokens", None),
        ("We report 5-shot accuracy.", None),
    ],
)
def test_sentences_that_say_the_models_own_chat_template_was_used(sentence: str, value: str | None) -> None:
    assert chat_sentence(sentence) == value


def test_headers_scope_and_precedence() -> None:
    assert (
        CHAT_HEAD.fullmatch("Chat")
        and CHAT_HEAD.fullmatch("chat template")
        and not CHAT_HEAD.fullmatch("Chatbot Arena")
    )
    assert (
        TURNS_HEAD.fullmatch("Multiturn ICL")
        and TURNS_HEAD.fullmatch("multi-turn")
        and not TURNS_HEAD.fullmatch("Turns")
    )
    table, sentence = [(st("false"), "instruct")], [(st("true"), None)]
    assert chat_for(table, sentence, instruct=True).value == "false"  # the benchmark's row beats a sentence
    assert chat_for([], sentence, instruct=True).value == "true"
    assert chat_for([], sentence, instruct=False) is None  # a base model has no chat template of its own
    assert chat_for(table, [], instruct=False) is None  # the instruct regime's table is not about base models
    assert pick([(st("true"), None), (st("false"), None)], instruct=True) is None  # the paper disagrees with itself
