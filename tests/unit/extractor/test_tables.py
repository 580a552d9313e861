"""Table floats: numbers as the PDF prints them, and tabulars split into grids with source spans."""

from __future__ import annotations

from services.extractor.floats import find_tables
from services.extractor.latex import Document
from tests.unit.extractor.latex_docs import doc_of


def float_(caption: str = "C", body: str = "Model & MMLU \\\\ A & 1.0", env: str = "table") -> str:
    return f"\\begin{{{env}}}\\caption{{{caption}}}\\begin{{tabular}}{{lc}}{body}\\end{{tabular}}\\end{{{env}}}"


def labels(doc: Document) -> list[str]:
    return [t.label for t in find_tables(doc)]


def test_tables_are_numbered_in_document_order_including_table_star() -> None:
    doc = doc_of(float_() + float_(env="table*") + float_())
    assert labels(doc) == ["Table 1", "Table 2", "Table 3"]


def test_appendix_with_counterwithin_gives_lettered_numbers() -> None:
    body = (
        float_()
        + "\\appendix\\counterwithin{table}{section}\\section{Extra}"
        + float_()
        + float_()
        + "\\section{More}"
        + float_()
    )
    assert labels(doc_of(body)) == ["Table 1", "Table A.1", "Table A.2", "Table B.1"]


def test_renewed_thetable_and_setcounter_are_honoured() -> None:
    body = float_() + "\\appendix\\renewcommand{\\thetable}{S\\arabic{table}}\\setcounter{table}{0}" + float_()
    assert labels(doc_of(body)) == ["Table 1", "Table S1"]


def test_commented_out_and_uncaptioned_tables() -> None:
    uncaptioned = "\\begin{table}\\begin{tabular}{lc}a & 1\\end{tabular}\\end{table}"
    body = "%" + float_().replace("\n", " ") + "\n" + float_() + uncaptioned
    assert labels(doc_of(body)) == ["Table 1", "Unnumbered table 1"]


def test_subtables_get_letters_and_minipages_with_captions_get_numbers() -> None:
    tabular = "\\begin{tabular}{lc}M & X\\\\ A & 1\\end{tabular}"
    sub = "\\begin{subtable}{.4\\linewidth}\\caption{%s}" + tabular + "\\end{subtable}"
    mini = "\\begin{minipage}{.5\\linewidth}\\caption{%s}" + tabular + "\\end{minipage}"
    body = (
        "\\begin{table}"
        + sub % "first"
        + sub % "second"
        + "\\caption{Main}\\end{table}"
        + "\\begin{table}"
        + mini % "L"
        + mini % "R"
        + "\\end{table}"
    )
    tables = find_tables(doc_of(body))
    assert [t.label for t in tables] == ["Table 1a", "Table 1b", "Table 2", "Table 3"]
    assert tables[1].caption == "Main (b) second" and tables[1].html_key == ("Table 1", "(b)", 0)


def test_grid_expands_multicolumn_and_fills_multirow_and_records_rules() -> None:
    body = float_(
        body=(
            "\\toprule & \\multicolumn{2}{c}{MMLU} \\\\ \\cmidrule(lr){2-3} Model & 0-shot & 5-shot \\\\ \\midrule "
            "\\multirow{2}{*}{Llama} & 31.0 & 32.2 \\\\ & 45.4 & 46.0 \\\\ \\bottomrule"
        )
    )
    grid = find_tables(doc_of(body))[0].grid
    assert len(grid.rows) == 4 and grid.ncols == 3
    assert [c.text for c in grid.rows[0].cells] == ["", "MMLU", "MMLU"]
    assert grid.rows[0].cells[1] is grid.rows[0].cells[2]
    assert grid.rows[1].partial_rule_above and not grid.rows[1].rule_above
    assert grid.rows[2].rule_above
    assert grid.rows[3].cells[0] is grid.rows[2].cells[0]  # \multirow fills the row below


def test_negative_multirow_fills_upwards_and_makecell_breaks_are_not_rows() -> None:
    body = float_(body="\\makecell{Model\\\\name} & X \\\\ & 1.0 \\\\ \\multirow{-2}{*}{Qwen} & 2.0 \\\\")
    grid = find_tables(doc_of(body))[0].grid
    assert len(grid.rows) == 3
    assert grid.rows[0].cells[0].text == "Model name"
    assert grid.rows[1].cells[0] is grid.rows[2].cells[0]


def test_cell_spans_point_into_the_input_file_exactly() -> None:
    table = float_(body="Model & MMLU \\\\ \\rowcolor{gray} SmolLM2 & \\textbf{45.2} \\\\")
    doc = doc_of("Intro\\input{tables/t}", extra={"tables/t.tex": "% a table\n" + table})
    grid = find_tables(doc)[0].grid
    cell = grid.rows[1].cells[1]
    path, start, end = doc.locate(cell.start, cell.end)
    assert path == "tables/t.tex"
    assert doc.files[path][start:end] == "\\textbf{45.2}"
    assert grid.rows[1].cells[0].raw == "SmolLM2"  # \rowcolor is a row command, not cell text


def test_resizebox_tabularx_and_tabular_star_are_found() -> None:
    body = (
        "\\begin{table}\\caption{A}\\resizebox{\\linewidth}{!}{\\begin{tabularx}{\\linewidth}{Xc}M & X\\\\ A & 1"
        "\\end{tabularx}}\\end{table}\\begin{table}\\caption{B}"
        "\\begin{tabular*}{\\linewidth}{@{\\extracolsep{\\fill}}lc}"
        "M & X\\\\ B & 2\\end{tabular*}\\end{table}"
    )
    tables = find_tables(doc_of(body))
    assert [(t.label, t.grid.rows[1].cells[1].text) for t in tables] == [("Table 1", "1"), ("Table 2", "2")]


def test_escaped_ampersand_and_braced_row_breaks_do_not_split() -> None:
    body = float_(body="Model & Q\\&A \\\\ {a \\\\ b} & 3.0 \\\\")
    grid = find_tables(doc_of(body))[0].grid
    assert len(grid.rows) == 2 and grid.ncols == 2
    assert grid.rows[0].cells[1].text == "Q&A"
