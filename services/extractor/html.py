"""LaTeXML HTML (arXiv's rendering): tables by their printed tag, each tabular as a span-expanded grid.

`figure.ltx_table` carries `span.ltx_tag_table` ("Table 3: ", or "(a)" for a subtable); its
`table.ltx_tabular` rows and cells (with rowspan/colspan) give the grid the LaTeX grid is compared
with. Footnote bodies are dropped from cell text; marks stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

MAX_HTML_BYTES = 50_000_000
MAX_CELLS = 200_000


@dataclass(eq=False)  # a spanned cell is one object at several grid positions: hashed by identity
class HtmlCell:
    text: str
    row: int
    col: int


@dataclass
class HtmlGrid:
    element_id: str  # id of the figure that holds the tabular (LaTeXML gives cells no ids)
    rows: list[list[HtmlCell | None]]

    def cell(self, row: int, col: int) -> HtmlCell | None:
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def nonempty_rows(self) -> list[int]:
        return [r for r, line in enumerate(self.rows) if any(c is not None and c.text for c in line)]


HtmlKey = tuple[str, str | None]  # (float label "Table 3", subtable tag "(a)" or None)


def parse_html_tables(data: bytes | str | None) -> dict[HtmlKey, list[HtmlGrid]]:
    """Every LaTeXML table figure's tabulars, keyed by (printed label, subtable tag)."""
    if not data or len(data) > MAX_HTML_BYTES:
        return {}
    if isinstance(data, bytes):  # LaTeXML writes UTF-8; without a charset lxml would guess Latin-1
        data = data.decode("utf-8", errors="replace")
    data = re.sub(r"^\s*<\?xml[^>]*>", "", data)  # lxml refuses str input that declares an encoding
    try:
        root = lxml_html.fromstring(data)
    except (etree.ParserError, ValueError, TypeError):
        return {}
    if root is None:
        return {}
    budget = [MAX_CELLS]
    out: dict[HtmlKey, list[HtmlGrid]] = {}
    for figure in root.iter("figure"):
        if "ltx_table" not in (figure.get("class") or "").split():
            continue
        outer = _outer_table_figure(figure)
        if outer is None:
            label = _tag(figure)
            if label is None or not label.startswith("Table"):
                continue
            key: HtmlKey = (label, None)
        else:
            parent_label, sub = _tag(outer), _tag(figure)
            if parent_label is None or sub is None:
                continue
            key = (parent_label, sub)
        grids = [_grid(t, figure.get("id") or "", budget) for t in _own_tabulars(figure)]
        if grids:
            out.setdefault(key, []).extend(grids)
    return out


def _outer_table_figure(figure: etree._Element) -> etree._Element | None:
    for anc in figure.iterancestors("figure"):
        if "ltx_table" in (anc.get("class") or "").split():
            return anc
    return None


def _is_own(el: etree._Element, figure: etree._Element) -> bool:
    """`el` belongs to `figure` and not to a table figure nested inside it."""
    for anc in el.iterancestors():
        if anc is figure:
            return True
        if anc.tag == "figure" and "ltx_table" in (anc.get("class") or "").split():
            return False
    return False


def _tag(figure: etree._Element) -> str | None:
    for span in figure.iter("span"):
        if "ltx_tag_table" in (span.get("class") or "").split() and _is_own(span, figure):
            text = re.sub(r"\s+", " ", span.text_content()).strip().rstrip(":").strip()
            return text or None
    return None


def _own_tabulars(figure: etree._Element) -> list[etree._Element]:
    found = []
    for table in figure.iter("table"):
        if "ltx_tabular" not in (table.get("class") or "").split() or not _is_own(table, figure):
            continue
        if any(a.tag == "table" for a in table.iterancestors() if _is_own(a, figure) or a is figure):
            continue  # a tabular nested in a cell belongs to that cell
        found.append(table)
    return found


def _grid(table: etree._Element, element_id: str, budget: list[int]) -> HtmlGrid:
    rows: list[list[HtmlCell | None]] = []
    occupied: dict[tuple[int, int], HtmlCell] = {}
    trs = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
    for r, tr in enumerate(trs):
        c = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while (r, c) in occupied:
                c += 1
            colspan = _span(td.get("colspan"))
            rowspan = _span(td.get("rowspan"))
            cell = HtmlCell(cell_text(td), r, c)
            for dr in range(rowspan):
                for dc in range(colspan):
                    budget[0] -= 1
                    if budget[0] < 0:
                        break
                    occupied[(r + dr, c + dc)] = cell
            c += colspan
    nrows = min(len(trs), max((k[0] for k in occupied), default=-1) + 1) if occupied else len(trs)
    ncols = max((k[1] for k in occupied), default=-1) + 1
    for r in range(nrows):
        rows.append([occupied.get((r, c)) for c in range(ncols)])
    return HtmlGrid(element_id, rows)


def _nearest_table(el: etree._Element) -> etree._Element | None:
    for anc in el.iterancestors("table"):
        return anc
    return None


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def cell_text(el: etree._Element) -> str:
    """Printed text of a cell, without footnote bodies."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        classes = (node.get("class") or "").split() if isinstance(node.tag, str) else []
        if "ltx_note_outer" in classes or "ltx_note_content" in classes:
            return
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return re.sub(r"\s+", " ", "".join(parts)).strip()
