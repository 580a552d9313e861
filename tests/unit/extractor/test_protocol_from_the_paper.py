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


def test_olmo2_setup_table_gives_chat_template_and_multiturn_per_benchmark() -> None:
    """OLMo 2's instruct regime table: "Chat" and "Multiturn ICL" check marks per benchmark; base-model
    claims are not in its scope, and a cross or N/A never turns multi-turn on."""
    paper = next(p for p in real_papers() if p.arxiv_id == "2501.00656")
    claims = extract(paper.sources()).claims
    by_task = {
        (c.protocol.task, c.protocol.chat_template, c.protocol.fewshot_as_multiturn)
        for c in claims
        if c.citation.section == "Table 7"
    }
    assert ("gsm8k_cot", True, True) in by_task and ("bbh_cot_fewshot", True, True) in by_task  # ✓ ✓
    assert ("mmlu", True, False) in by_task and ("truthfulqa_mc2", True, False) in by_task  # ✓ ✗
    assert ("drop", False, None) in by_task  # Chat ✗, Multiturn N/A
    stated = [c for c in claims if c.protocol.chat_template is not None]
    assert stated and all(
        s.field != "chat_template" or s.plain.startswith("Table ") for c in stated for s in c.evidence.statements
    )
    base = [c for c in claims if c.citation.section == "Table 2"]  # base models: the instruct table is not theirs
    assert base and all(c.protocol.chat_template is None for c in base)


def test_olmo2_setup_table_gives_the_metric_its_cells_do_not_print() -> None:
    """OLMo 2's instruct regime table: "IFEval | ... | Pass@1 (prompt; loose)", "DROP | ... | F1"; the row
    is the evidence; base-model cells (another table's scope) keep what their own labels say."""
    paper = next(p for p in real_papers() if p.arxiv_id == "2501.00656")
    claims = extract(paper.sources()).claims
    table7 = [c for c in claims if c.citation.section == "Table 7"]
    metrics = Counter((c.protocol.task, c.protocol.metric) for c in table7 if c.protocol.task)
    assert metrics[("ifeval", "prompt_level_loose_acc")] == 26 and metrics[("drop", "f1")] == 26
    assert not [c for c in table7 if c.protocol.task == "ifeval" and c.protocol.metric != "prompt_level_loose_acc"]
    ifeval = next(c for c in table7 if c.protocol.task == "ifeval")
    row = next(s for s in ifeval.evidence.statements if s.field == "metric")
    assert row.plain.endswith("IFEval | Metric: Pass@1 (prompt; loose)") and "IFEval" in row.text
    base = [c for c in claims if c.citation.section == "Table 2"]
    assert base and not any(c.protocol.metric == "prompt_level_loose_acc" for c in base)


def test_a_sentence_on_the_models_own_chat_template_applies_to_instruct_models_only() -> None:
    paper = next(p for p in real_papers() if p.arxiv_id == "2402.00838")  # OLMo: "we use the provided chat template"
    claims = extract(paper.sources()).claims
    chat = [c for c in claims if c.protocol.chat_template]
    assert chat and all(c.citation.section in ("Table 4", "Table 8") for c in chat)
    assert all(c.protocol.chat_template is None for c in claims if c.citation.section == "Table 2")  # base models
    olmo3 = next(p for p in real_papers() if p.arxiv_id == "2512.13961")  # "we disable chat templates within HELMET"
    assert all(c.protocol.chat_template is None for c in extract(olmo3.sources()).claims)
