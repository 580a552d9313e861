"""Header rows, label columns, protocol columns and orientation of a grid."""

from __future__ import annotations

from services.extractor.floats import find_tables
from services.extractor.headers import Layout, analyse, pair_readings
from services.extractor.models import ModelResolver
from tests.unit.extractor.latex_docs import doc_of


def layout_of(tabular_body: str, caption: str = "Results.") -> Layout:
    doc = doc_of(
        f"\\begin{{table}}\\caption{{{caption}}}\\begin{{tabular}}{{lcccc}}{tabular_body}\\end{{tabular}}\\end{{table}}"
    )
    layout = analyse(find_tables(doc)[0].grid, ModelResolver())
    assert layout is not None
    return layout


def labels(entries) -> list[str]:
    return [e.label for e in entries]


def test_models_in_rows_with_booktabs_header() -> None:
    layout = layout_of(
        "\\toprule Model & HellaSwag & PIQA \\\\ \\midrule SmolLM2-1.7B & 68.7 & 77.6 \\\\ "
        "Llama-3.2-1B & 61.2 & 74.8 \\\\ \\bottomrule"
    )
    assert layout.models_in_rows and layout.header_rows == [0]
    assert labels(layout.model_axis) == ["SmolLM2-1.7B", "Llama-3.2-1B"]
    assert labels(layout.bench_axis) == ["HellaSwag", "PIQA"]


def test_benchmarks_in_rows_models_in_columns() -> None:
    layout = layout_of(
        "\\toprule Benchmark & SmolLM2-360M & Qwen2.5-0.5B \\\\ \\midrule HellaSwag & 54.5 & 51.2 \\\\ "
        "PIQA & 71.7 & 69.9 \\\\ \\bottomrule"
    )
    assert not layout.models_in_rows
    assert labels(layout.model_axis) == ["SmolLM2-360M", "Qwen2.5-0.5B"]
    assert labels(layout.bench_axis) == ["HellaSwag", "PIQA"]


def test_two_level_headers_join_with_a_slash_and_multirow_groups_join_row_labels() -> None:
    layout = layout_of(
        "\\toprule & & \\multicolumn{2}{c}{MMLU} \\\\ \\cmidrule(lr){3-4} "
        "Type & Model & 0-shot & 5-shot \\\\ \\midrule "
        "\\multirow{2}{*}{Base} & Llama-3.2-1B & 31.0 & 32.2 \\\\ & Llama-3.2-3B & 54.1 & 58.0 \\\\ \\bottomrule"
    )
    assert layout.header_rows == [0, 1]
    assert labels(layout.cols) == ["MMLU / 0-shot", "MMLU / 5-shot"]
    assert labels(layout.rows) == ["Base / Llama-3.2-1B", "Base / Llama-3.2-3B"]


def test_header_without_rules_is_the_leading_rows_without_numbers() -> None:
    layout = layout_of(
        "& \\multicolumn{2}{c}{ARC} \\\\ Model & Easy & Challenge \\\\ OLMo-1B & 57.3 & 31.1 \\\\ Phi-2 & 80.0 & 52.0"
    )
    assert layout.header_rows == [0, 1]
    assert labels(layout.cols) == ["ARC / Easy", "ARC / Challenge"]
    assert labels(layout.rows) == ["OLMo-1B", "Phi-2"]


def test_group_rows_are_context_not_labels() -> None:
    layout = layout_of(
        "\\toprule Model & HellaSwag & PIQA \\\\ \\midrule "
        "\\multicolumn{3}{l}{\\textit{Instruct models}} \\\\ "
        "SmolLM2-1.7B & 66.1 & 74.0 \\\\ \\bottomrule"
    )
    assert labels(layout.rows) == ["SmolLM2-1.7B"]
    assert layout.rows[0].context == ["Instruct models"]


def test_size_columns_join_the_label_only_when_names_repeat() -> None:
    repeated = layout_of(
        "\\toprule Family & Size & PIQA \\\\ \\midrule \\multirow{2}{*}{Qwen2.5} & 0.5B & 69.9 \\\\ "
        "& 1.5B & 75.8 \\\\ \\bottomrule"
    )
    assert labels(repeated.rows) == ["Qwen2.5 / 0.5B", "Qwen2.5 / 1.5B"]
    unique = layout_of(
        "\\toprule Model & Params & PIQA \\\\ \\midrule SmolLM2-1.7B & 1.7B & 77.6 \\\\ "
        "OLMo-1B & 1.2B & 75.1 \\\\ \\bottomrule"
    )
    assert labels(unique.rows) == ["SmolLM2-1.7B", "OLMo-1B"] and unique.rows[0].extra == ["1.7B"]


def test_numeric_hyper_parameter_and_protocol_columns_are_not_results() -> None:
    layout = layout_of(
        "\\toprule Benchmark & \\# Shots & Metric & Mistral-7B & Params \\\\ \\midrule "
        "MMLU & 5 & acc & 60.1 & 7.2 \\\\ GSM8K & 8 & EM & 52.2 & 7.2 \\\\ \\bottomrule"
    )
    assert layout.shot_col == 1 and layout.metric_col == 2
    assert labels(layout.cols) == ["Mistral-7B"] and 4 in layout.hyper_cols
    assert not layout.models_in_rows


def test_tables_without_numbers_have_no_layout() -> None:
    doc = doc_of("\\begin{table}\\caption{x}\\begin{tabular}{ll}Model & License \\\\ A & MIT\\end{tabular}\\end{table}")
    assert analyse(find_tables(doc)[0].grid, ModelResolver()) is None


def test_cells_with_two_results_are_result_columns_not_row_labels() -> None:
    """Yi's chat table prints "50.9 / 47.3" under "0-shot / 5-shot": such a cell was read as text, so
    its column joined the row labels ("LLaMA2-Chat / 50.9 / 47.3 / ...") and every claim of the row
    named no model. Now the row label is the model and the pair columns are result columns (each cell
    gives two claims, test_extract.py)."""
    layout = layout_of(
        "\\toprule Model & MMLU & TruthfulQA & GSM8K \\\\ & 0-shot / 5-shot & 0-shot & 0-shot / 4-shot \\\\ \\midrule "
        "LLaMA2-Chat 13B & 50.9 / 47.3 & 36.8 & 36.9 / 2.7 \\\\ Yi-Chat 6B & 58.2 / 61.0 & 50.6 & 38.4 / 44.9 \\\\ "
        "\\bottomrule"
    )
    assert labels(layout.model_axis) == ["LLaMA2-Chat 13B", "Yi-Chat 6B"]
    assert labels(layout.bench_axis) == ["MMLU / 0-shot / 5-shot", "TruthfulQA / 0-shot", "GSM8K / 0-shot / 4-shot"]


def test_a_ratio_in_a_header_is_still_a_header() -> None:
    """SmolLM2's mixture ablation heads its columns "40/60" and "60/40": a header, not two results."""
    layout = layout_of(
        "Benchmark & FW-Edu & 40/60 & 60/40 \\\\ MMLU & 37.5 & 38.1 & 37.9 \\\\ ARC & 57.8 & 58.2 & 56.4 \\\\"
    )
    assert layout.header_rows == [0] and labels(layout.bench_axis) == ["MMLU", "ARC"]
    assert labels(layout.model_axis) == ["FW-Edu", "40/60", "60/40"]


def test_a_bracketed_pair_in_a_header_names_both_results() -> None:
    """Llama 2's context-length ablation heads "SQuAD (EM/F1)" over "57.23/62.89"; a bare "MMLU" over a
    pair says nothing about which number is which."""
    doc = doc_of(
        "\\begin{table}\\caption{Results.}\\begin{tabular}{lccc}Context & NarrativeQA & SQuAD (EM/F1) & MMLU \\\\ "
        "2k & 0.21 & 57.23/62.89 & 40.1 / 45.2 \\\\ 4k & 0.17 & 57.99/64.46 & 41.0 / 46.3 \\\\\\end{tabular}\\end{table}"
    )
    grid = find_tables(doc)[0].grid
    layout = analyse(grid, ModelResolver())
    assert layout is not None
    squad, mmlu = layout.bench_axis[-2:]
    row = grid.rows[layout.model_axis[0].index]
    readings = pair_readings(row.cells[squad.index], squad)
    assert [(n.quoted, entry.label) for n, entry in readings] == [("57.23", "SQuAD EM"), ("62.89", "SQuAD F1")]
    assert pair_readings(row.cells[mmlu.index], mmlu) == []
