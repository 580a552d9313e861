"""Printed text of cells and labels, and printed numbers."""

from __future__ import annotations

import pytest

from services.extractor.latex import collect_macros
from services.extractor.plaintext import (
    find_number_token,
    is_missing,
    label_text,
    parse_number,
    to_plain,
)


@pytest.mark.parametrize(
    ("latex", "printed"),
    [
        ("\\textbf{68.7}", "68.7"),
        ("\\cellcolor{blue!10}42.1", "42.1"),
        ("\\cellcolor[HTML]{EEEEEE}\\underline{42.1}", "42.1"),
        ("\\textcolor{red}{\\textit{42.1}}", "42.1"),
        ("{\\bf 42.1}", "42.1"),
        ("\\multicolumn{2}{c}{MMLU}", "MMLU"),
        ("\\multirow{3}{*}{Commonsense}", "Commonsense"),
        ("\\multirow[c]{2}{*}[1mm]{Base}", "Base"),
        ("\\makecell{Model\\\\family}", "Model family"),
        ("SmolLM2~\\citep{allal2025}", "SmolLM2"),
        ("GSM8K\\footnote{Five shots.}", "GSM8K"),
        ("\\phantom{0}5.3", "5.3"),
        ("acc\\_norm", "acc_norm"),
        ("Garc\\'{\\i}a", "García"),
        ("--", "–"),
        ("\\resizebox{\\linewidth}{!}{x}", "x"),
    ],
)
def test_to_plain_prints_what_the_pdf_shows(latex: str, printed: str) -> None:
    assert label_text(latex) == printed


def test_user_macros_are_expanded_for_labels_and_values() -> None:
    macros = collect_macros("\\newcommand{\\ours}{SmolLM2}\\newcommand{\\res}[2]{#1\\,{\\scriptsize$\\pm$#2}}")
    assert label_text("\\ours-1.7B", macros) == "SmolLM2-1.7B"
    number = parse_number(to_plain("\\res{58.4}{0.6}", macros))
    assert number is not None and (number.value, number.spread) == (58.4, 0.6)


def test_label_text_drops_marks_arrows_and_superscripts() -> None:
    assert label_text("MMLU$\\uparrow$") == "MMLU"
    assert label_text("Llama-3.2-1B$^\\dagger$") == "Llama-3.2-1B"
    assert label_text("GSM8K\\textsuperscript{*}") == "GSM8K"


@pytest.mark.parametrize(
    ("latex", "quoted", "value", "spread"),
    [
        ("45.2", "45.2", 45.2, None),
        ("\\textbf{45.2}$\\pm$0.3", "45.2", 45.2, 0.3),
        ("45.2 ± 0.3", "45.2", 45.2, 0.3),
        ("45.2$_{\\pm 0.3}$", "45.2", 45.2, 0.3),
        ("45.2 (±0.3)", "45.2", 45.2, 0.3),
        ("45.2\\%", "45.2", 45.2, None),
        ("47.1$^\\dagger$", "47.1", 47.1, None),
        ("47.1\\textsuperscript{a}", "47.1", 47.1, None),
        ("47.1*", "47.1", 47.1, None),
        ("$-$1.2", "-1.2", -1.2, None),
        ("+0.8 (\\textcolor{red}{$\\downarrow$0.3})", "+0.8", 0.8, None),
        (".452", ".452", 0.452, None),
        ("0.452", "0.452", 0.452, None),
        ("1,024", "1,024", 1024.0, None),
        ("$68.7$", "68.7", 68.7, None),
    ],
)
def test_parse_number_accepts_one_printed_number(latex: str, quoted: str, value: float, spread: float | None) -> None:
    number = parse_number(to_plain(latex))
    assert number is not None
    assert (number.quoted, number.value, number.spread) == (quoted, value, spread)


@pytest.mark.parametrize("latex", ["1.7B", "11T", "135M", "45.2 / 47.1", "SmolLM2", "5-shot", "n/a", "--", "", "3e-4"])
def test_parse_number_refuses_sizes_pairs_and_text(latex: str) -> None:
    assert parse_number(to_plain(latex)) is None


@pytest.mark.parametrize("latex", ["--", "-", "---", "N/A", "n/a", "", "$-$"])
def test_missing_value_placeholders(latex: str) -> None:
    assert is_missing(to_plain(latex))


def test_marks_and_deltas_are_kept_beside_the_value() -> None:
    number = parse_number(to_plain("71.4$^\\dagger$"))
    assert number is not None and number.marks == ("†",)
    number = parse_number(to_plain("45.2 (+1.3)"))
    assert number is not None and number.extra == "(+1.3)"


def test_find_number_token_requires_a_whole_number() -> None:
    assert find_number_token("\\textbf{145.2}", "45.2") == -1
    assert find_number_token("\\textbf{45.23}", "45.2") == -1
    assert find_number_token("\\textbf{45.2}", "45.2") == 8
    assert find_number_token("45.2$\\pm$0.3", "0.3") == 9
