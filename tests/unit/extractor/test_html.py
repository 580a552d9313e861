"""LaTeXML HTML tables: printed tags, span expansion, footnote bodies."""

from __future__ import annotations

from services.extractor.html import parse_html_tables
from tests.unit.extractor.corpus import PAPERS

HTML = b"""<html><body>
<figure id="S1.T1" class="ltx_table">
<figcaption><span class="ltx_tag ltx_tag_table"><span class="ltx_text">Table 1</span>: </span>Cap</figcaption>
<table class="ltx_tabular">
<thead><tr><th rowspan="2">Model</th><th colspan="2">MMLU</th></tr>
<tr><th>0-shot</th><th>5-shot</th></tr></thead>
<tbody><tr><th>Llama<span class="ltx_note ltx_role_footnote"><sup class="ltx_note_mark">1</sup>
<span class="ltx_note_outer"><span class="ltx_note_content">The base model, 99.9.</span></span></span></th>
<td>31.0<math><mo>\xc2\xb1</mo></math>0.2</td><td>32.2</td></tr></tbody>
</table></figure>
<figure id="S1.T2" class="ltx_table"><div>
<figure id="S1.T2.st1" class="ltx_table"><table class="ltx_tabular"><tr><td>A</td><td>1.0</td></tr></table>
<figcaption><span class="ltx_tag ltx_tag_table">(a)</span> sub</figcaption></figure>
<figure id="S1.T2.st2" class="ltx_table"><table class="ltx_tabular"><tr><td>B</td><td>2.0</td></tr></table>
<figcaption><span class="ltx_tag ltx_tag_table">(b)</span> sub</figcaption></figure></div>
<figcaption><span class="ltx_tag ltx_tag_table">Table 2: </span>Two</figcaption></figure>
<figure id="S1.F1" class="ltx_figure"><figcaption><span class="ltx_tag ltx_tag_figure">Figure 1: </span>
</figcaption></figure>
</body></html>"""


def test_tables_are_keyed_by_printed_tag_and_spans_are_expanded() -> None:
    tables = parse_html_tables(HTML)
    assert set(tables) == {("Table 1", None), ("Table 2", "(a)"), ("Table 2", "(b)")}
    grid = tables[("Table 1", None)][0]
    assert grid.element_id == "S1.T1"
    assert [[c.text if c else None for c in row] for row in grid.rows] == [
        ["Model", "MMLU", "MMLU"],
        ["Model", "0-shot", "5-shot"],
        ["Llama1", "31.0±0.2", "32.2"],
    ]
    assert tables[("Table 2", "(b)")][0].cell(0, 1).text == "2.0"


def test_garbage_and_empty_inputs_give_no_tables() -> None:
    assert parse_html_tables(b"") == {}
    assert parse_html_tables(b"\x00\xff<<<>>>") == {}
    assert parse_html_tables(b"<figure class='ltx_table'><table class='ltx_tabular'><tr><td rowspan='x'>a") == {}


def test_a_real_latexml_rendering() -> None:
    tables = parse_html_tables((PAPERS / "2611.00106" / "render" / "paper.html").read_bytes())
    assert set(tables) == {("Table 1", None), ("Table A.1", None), ("Table B.1", None)}
    grid = tables[("Table A.1", None)][0]
    assert grid.cell(1, 0).text == "SmolLM2-360M" and grid.cell(1, 1).text == "0.717"
