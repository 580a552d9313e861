"""A tabular split into a grid of cells that keep their source spans.

Rows end at `\\` (or `\tabularnewline`) outside braces and nested environments, cells at `&`;
booktabs and `\\hline` rules are recorded on the row they precede; `\\multicolumn` cells span logical
columns and `\\multirow` cells (negative counts too) fill the empty cells they cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.extractor.latex import Document, read_group, skip_optionals, skip_space
from services.extractor.plaintext import to_plain

MAX_ROWS = 2_000
MAX_COLS = 200
# environment -> mandatory arguments before the body (width and column spec)
TABULAR_SPEC_ARGS = {
    "tabular": 1,
    "tabular*": 2,
    "tabularx": 2,
    "tabulary": 2,
    "NiceTabular": 1,
    "NiceTabular*": 2,
    "NiceTabularX": 2,
    "longtable": 1,
    "longtable*": 1,
    "xltabular": 2,
    "supertabular": 1,
    "tabu": 1,
    "longtabu": 1,
    "tblr": 1,
    "longtblr": 1,
}
TABULAR_ENVS = tuple(TABULAR_SPEC_ARGS)
LONG_TABLES = ("longtable", "longtable*", "xltabular", "supertabular", "longtabu", "longtblr")


@dataclass(eq=False)
class Cell:
    raw: str  # the cell's LaTeX source, surrounding spaces stripped
    start: int  # flat offsets of `raw`
    end: int
    text: str = ""  # printed text (superscripts marked), filled by `build_grid`
    colspan: int = 1
    rowspan: int = 1
    fill_cols: int = 1  # a nicematrix \Block{2-3} covers the empty cells of 3 columns (its `&`s are written)
    row: int = 0
    col: int = 0

    @property
    def empty(self) -> bool:
        return not self.text.strip()


@dataclass
class Row:
    index: int  # position among the tabular's rows (claim ids use it)
    cells: list[Cell]
    rule_above: bool = False  # a full-width rule (\midrule, \hline) before this row
    partial_rule_above: bool = False  # \cmidrule / \cline


@dataclass
class Grid:
    rows: list[Row]
    ncols: int


# ---------------------------------------------------------------- tabular -> grid


_RULE = re.compile(
    r"\\(?P<name>toprule|midrule|bottomrule|hline|hhline|Xhline|specialrule|hdashline|cline|cmidrule|"
    r"cdashline|addlinespace|rowcolor|rowcolors|noalign|arrayrulecolor|morecmidrules|cmidrulewidth|"
    r"pagebreak|nopagebreak|endhead|endfirsthead|endfoot|endlastfoot|Hline|RowStyle|CodeAfter|"
    r"SetRow|firsthline|lasthline)(?![A-Za-z@])\*?"
)
_RULE_ARGS = {
    "hhline": 1,
    "Xhline": 1,
    "specialrule": 3,
    "cline": 1,
    "cmidrule": 1,
    "cdashline": 1,
    "rowcolor": 1,
    "rowcolors": 3,
    "noalign": 1,
    "arrayrulecolor": 1,
    "cmidrulewidth": 1,
    "RowStyle": 1,
    "SetRow": 1,
}
_FULL_RULES = {
    "toprule",
    "midrule",
    "bottomrule",
    "hline",
    "hhline",
    "Xhline",
    "specialrule",
    "hdashline",
    "Hline",
    "firsthline",
    "lasthline",
}
_PARTIAL_RULES = {"cline", "cmidrule", "cdashline"}
_MULTICOLUMN = re.compile(r"^\\multicolumn\s*\{\s*(\d+)\s*\}")
_MULTIROW = re.compile(r"\\multirow\s*(?:\[[^\]]{0,20}\])?\s*\{\s*(-?\d+)\s*\}")
_BLOCK = re.compile(r"\\Block\s*(?:\[[^\]]{0,80}\])?\s*\{\s*(\d+|\*)\s*-\s*(\d+|\*)\s*\}")
_CODE_BEFORE = re.compile(r"\\CodeBefore\b.*?\\Body\b", re.S)
_BEGIN_OR_END = re.compile(r"\\(begin|end)\s*\{[^{}]{0,40}\}")
_ROW_SPACE = re.compile(r"\s*\[[^\[\]{}]{0,20}\]")
_ROW_END = re.compile(r"\\\\|\\tabularnewline(?![A-Za-z@])")


def parse_tabular(doc: Document, begin: int, env_end: int) -> Grid | None:
    """Split one tabular (from `\\begin{tabular}` to after `\\end{...}`) into rows and cells."""
    text = doc.text
    m = _BEGIN_TABULAR.match(text, begin)
    if not m:
        return None
    pos = skip_optionals(text, m.end())
    for _ in range(TABULAR_SPEC_ARGS[m.group(1)]):
        pos = skip_optionals(text, pos)
        group = read_group(text, pos)
        if group is None:
            return None
        pos = group[2]
    pos = skip_optionals(text, pos)
    body_end = text.rfind("\\end", pos, env_end)
    if body_end < 0:
        return None
    code_before = _CODE_BEFORE.match(text, skip_space(text, pos), body_end)
    if code_before:  # nicematrix: colours and rules drawn before the body
        pos = code_before.end()
    raw_rows = _split_rows(text, pos, body_end)
    rows: list[Row] = []
    pending_full = pending_partial = False
    skipping = False  # longtable: the repeated header between \endfirsthead and \endhead
    section_start = 0  # longtable: first row after the last \endhead-like marker
    for row_cells in raw_rows:
        first_start, first_end = row_cells[0]
        new_start, full, partial, markers = _strip_rules(text, first_start, first_end)
        for marker in markers:
            if marker == "endfirsthead":
                skipping = True
            elif marker == "endhead":
                skipping, section_start = False, len(rows)
            elif marker in ("endfoot", "endlastfoot"):
                del rows[section_start:]  # the rows just read were a page footer ("continued ...")
                section_start = len(rows)
        pending_full |= full
        pending_partial |= partial
        row_cells[0] = (new_start, first_end)
        if skipping or (len(row_cells) == 1 and not text[new_start:first_end].strip()):
            continue  # a line of rules only (or the trailing \bottomrule)
        if len(row_cells) == 1 and _CAPTION_ROW.match(text, new_start, first_end):
            continue  # a longtable's \caption{...}\\ is not a row
        cells = [_make_cell(text, s, e) for s, e in row_cells[:MAX_COLS]]
        rows.append(Row(len(rows), cells, pending_full, pending_partial))
        pending_full = pending_partial = False
        if len(rows) >= MAX_ROWS:
            break
    for k, row in enumerate(rows):
        row.index = k
    if not rows:
        return None
    return build_grid(rows, doc)


_BEGIN_TABULAR = re.compile(r"\\begin\s*\{(" + "|".join(re.escape(n) for n in TABULAR_SPEC_ARGS) + r")\}")
_CAPTION_ROW = re.compile(r"\\caption(?![A-Za-z@])")


def _split_rows(text: str, start: int, end: int) -> list[list[tuple[int, int]]]:
    rows: list[list[tuple[int, int]]] = []
    cells: list[tuple[int, int]] = []
    depth = env_depth = 0
    cell_start = i = start
    while i < end:
        c = text[i]
        if c == "\\":
            if depth == 0 and env_depth == 0:
                rm = _ROW_END.match(text, i)
                if rm:
                    cells.append((cell_start, i))
                    rows.append(cells)
                    cells = []
                    i = rm.end()
                    if i < end and text[i] == "*":
                        i += 1
                    opt = _ROW_SPACE.match(text, i, end)  # `\\[2pt]`
                    if opt:
                        i = opt.end()
                    cell_start = i
                    continue
            bm = _BEGIN_OR_END.match(text, i)
            if bm:
                env_depth += 1 if bm.group(1) == "begin" else -1
                env_depth = max(env_depth, 0)
                i = bm.end()
                continue
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(depth - 1, 0)
        elif c == "&" and depth == 0 and env_depth == 0:
            cells.append((cell_start, i))
            cell_start = i + 1
        i += 1
    cells.append((cell_start, end))
    rows.append(cells)
    return rows


def _strip_rules(text: str, start: int, end: int) -> tuple[int, bool, bool, list[str]]:
    full = partial = False
    markers: list[str] = []
    pos = start
    while True:
        p = pos
        while p < end and text[p] in " \t\r\n":
            p += 1
        m = _RULE.match(text, p, end)
        if not m:
            return pos, full, partial, markers
        name = m.group("name")
        if name.startswith("end"):
            markers.append(name)
        full |= name in _FULL_RULES
        partial |= name in _PARTIAL_RULES
        q = skip_optionals(text, m.end(), parens=True)
        for _ in range(_RULE_ARGS.get(name, 0)):
            group = read_group(text, q)
            if group is None or group[2] > end:
                break
            q = skip_optionals(text, group[2], parens=True)
        pos = q


def _make_cell(text: str, start: int, end: int) -> Cell:
    while start < end and text[start] in " \t\r\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    raw = text[start:end]
    cell = Cell(raw, start, end)
    mc = _MULTICOLUMN.match(raw)
    if mc:
        cell.colspan = max(1, min(int(mc.group(1)), MAX_COLS))
    mr = _MULTIROW.search(raw)
    if mr:
        n = int(mr.group(1))
        cell.rowspan = max(-MAX_ROWS, min(n, MAX_ROWS)) or 1
    block = _BLOCK.match(raw)
    if block:
        rows_, cols_ = (MAX_ROWS if g == "*" else int(g) for g in block.groups())
        cell.rowspan, cell.fill_cols = max(1, min(rows_, MAX_ROWS)), max(1, min(cols_, MAX_COLS))
    return cell


def build_grid(rows: list[Row], doc: Document) -> Grid:
    """Place cells on logical columns (multicolumn spans), then fill \\multirow spans into empty cells."""
    ncols = 0
    placed: list[list[Cell]] = []
    for r, row in enumerate(rows):
        line: list[Cell] = []
        for cell in row.cells:
            cell.text = to_plain(cell.raw, doc.macros) if cell.raw else ""
            cell.row, cell.col = r, len(line)
            line.extend([cell] * cell.colspan)
            if len(line) >= MAX_COLS:
                break
        placed.append(line)
        ncols = max(ncols, len(line))
    for r, line in enumerate(placed):
        while len(line) < ncols:
            filler = Cell("", rows[r].cells[-1].end, rows[r].cells[-1].end, "", row=r, col=len(line))
            line.append(filler)
        rows[r].cells = line
    for r, line in enumerate(placed):
        for c, cell in enumerate(line):
            if (cell.rowspan == 1 and cell.fill_cols == 1) or cell.row != r or cell.col != c:
                continue
            if cell.rowspan > 0:
                span = range(r, min(r + cell.rowspan, len(rows)))
            else:  # \multirow{-n}: the text sits in the last row and covers the rows above
                span = range(max(0, r + cell.rowspan + 1), r)
            width = max(cell.colspan, cell.fill_cols)
            for r2 in span:
                for c2 in range(c, min(c + width, ncols)):
                    if (r2, c2) != (r, c) and rows[r2].cells[c2].empty:
                        rows[r2].cells[c2] = cell
    return Grid(rows, ncols)
