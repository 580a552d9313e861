"""Harness and split come only from what the paper says it ran (OLMo 2, a real e-print of the corpus)."""

from __future__ import annotations

from collections import Counter

from services.extractor.extract import extract
from services.extractor.protocol import _HARNESS, HARNESS_USE, SPLITS
from tests.unit.extractor.real_corpus import real_papers


def test_olmo2_ran_olmes_and_its_setup_table_puts_mmlu_on_test() -> None:
    paper = next(p for p in real_papers() if p.arxiv_id == "2501.00656")
    claims = extract(paper.sources()).claims
    assert {c.protocol.harness for c in claims} == {"olmes"}  # it cites lm-eval, it ran OLMES
    mmlu = Counter(c.protocol.split for c in claims if c.protocol.benchmark == "mmlu")
    assert mmlu == Counter({"test": 112})  # "MMLU | Test" in the evaluation-setup table; "Dev Benchmarks" is no split


def test_a_harness_is_named_by_its_name_in_a_sentence_that_says_it_was_used() -> None:
    def harness(sentence: str) -> str | None:
        found = next((k for k, p in _HARNESS if p.search(sentence.lower())), None)
        return found if found and HARNESS_USE.search(sentence) else None

    assert harness("We evaluate all models with the lm-evaluation-harness.") == "lm-eval"
    assert harness("Results are computed with OLMES (Gu et al.).") == "olmes"
    assert harness("OLMES is a standard for reproducible LM evaluations.") is None  # describes, does not use
    assert harness("Prior work built reproducible LM evaluations on many tasks.") is None  # "LM evaluations"


def test_dev_benchmarks_is_not_a_split() -> None:
    split = {k: p for k, p in SPLITS}
    assert split["validation"].search("mmlu dev") and not split["validation"].search("dev benchmarks / mmlu")
    assert not split["test"].search("test suite")
