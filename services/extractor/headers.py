"""Which rows are headers, which columns are labels, and which axis holds the models.

A grid's header rows end at the first full rule after the top (booktabs `\\midrule`, `\\hline`), or
else with the last leading row without numbers; header levels (a group over "0-shot | 5-shot") are
joined with " / ". Leading non-numeric columns are row labels (a `\\multirow` group joins as an outer
level); "Shots"/"Metric" columns carry protocol; "Params"/"Size"/"Tokens" columns are neither labels
nor results. Orientation: whichever axis reads more like model names holds the models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.extractor.models import ModelResolver
from services.extractor.plaintext import ParsedNumber, is_missing, parse_number, plain_label
from services.extractor.protocol import LabelInfo, parse_label
from services.extractor.tables import Cell, Grid, Row


@dataclass
class AxisEntry:
    """One row or column label: its printed levels (outermost first) and where they come from."""

    index: int  # row index in Grid.rows, or column index
    levels: list[str]
    cells: list[Cell] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # group rows above it: protocol hints, not printed label
    extra: list[str] = field(default_factory=list)  # size/param columns: help resolve a model name

    @property
    def label(self) -> str:
        return " / ".join(self.levels)


@dataclass
class Layout:
    header_rows: list[int]
    rows: list[AxisEntry]  # body rows with their labels
    cols: list[AxisEntry]  # result columns with their labels
    models_in_rows: bool
    shot_col: int | None = None
    metric_col: int | None = None
    hyper_cols: list[int] = field(default_factory=list)

    @property
    def model_axis(self) -> list[AxisEntry]:
        return self.rows if self.models_in_rows else self.cols

    @property
    def bench_axis(self) -> list[AxisEntry]:
        return self.cols if self.models_in_rows else self.rows


# "50.9 / 47.3" under a "0-shot / 5-shot" header: two results in one cell (Yi's chat table)
_PAIR = re.compile(r"\s*[-+]?\d+(?:\.\d+)?\s*/\s*[-+]?\d+(?:\.\d+)?\s*")
_NUMBER_HALF = re.compile(r"\s*[-+]?\d+(?:\.\d+)?\s*")


def cell_kind(cell: Cell) -> str:
    """'number', 'pair' (two results in one cell, "50.9 / 47.3" or "- / 69.1": not a label, and one
    result only as a half of its header), 'missing', 'text' or 'empty'."""
    if cell.empty:
        return "empty"
    if parse_number(cell.text) is not None:
        return "number"
    if is_missing(cell.text):
        return "missing"
    if _is_pair(plain_label(cell.text)):
        return "pair"
    return "text"


def _is_pair(text: str) -> bool:
    if _PAIR.fullmatch(text):
        return True
    halves = text.split("/")  # a result beside a missing one: "- / 69.1", "71.2 / --"
    if len(halves) != 2 or not all(half.strip() for half in halves):
        return False
    numbers = [_NUMBER_HALF.fullmatch(half) is not None for half in halves]
    return sum(numbers) == 1 and all(n or is_missing(half) for n, half in zip(numbers, halves, strict=True))


def pair_readings(cell: Cell, bench: AxisEntry) -> list[tuple[ParsedNumber, AxisEntry] | None]:
    """A cell printing two results ("50.9 / 47.3") under a header level that names both ("0-shot /
    5-shot", "EM / F1"): each number with that level narrowed to its half ("0-shot", then "5-shot").
    A half printed as missing ("- / 69.1") is None. Nothing when the header does not say what each
    number is: such a cell stays unread."""
    if cell_kind(cell) != "pair":
        return []
    numbers = [parse_number(part) for part in plain_label(cell.text).split("/")]
    levels = bench.levels
    deepest = next((d for d in range(len(levels) - 1, -1, -1) if "/" in levels[d]), None)
    if deepest is None or len(numbers) != 2:
        return []
    halves = _halves(levels[deepest])
    infos = [parse_label(half) for half in halves]
    says = [(info.n_shot, info.metric, info.formulation) for info in infos]
    if len(halves) != 2 or (None, None, None) in says or says[0] == says[1]:
        return []
    readings: list[tuple[ParsedNumber, AxisEntry] | None] = []
    for number, half in zip(numbers, halves, strict=True):  # None: the half printed as missing ("-")
        narrowed = [*levels[:deepest], half, *levels[deepest + 1 :]]
        entry = AxisEntry(bench.index, narrowed, bench.cells, bench.context, bench.extra)
        readings.append(None if number is None else (number, entry))
    return readings


_BRACKETED_PAIR = re.compile(r"(.*?)\(\s*([^()/]+?)\s*/\s*([^()/]+?)\s*\)(.*)")


def _halves(level: str) -> list[str]:
    """ "0-shot / 5-shot" -> the two; "SQuAD (EM/F1)" -> "SQuAD EM", "SQuAD F1"."""
    bracketed = _BRACKETED_PAIR.fullmatch(level)
    if bracketed:
        before, first, second, after = bracketed.groups()
        return [" ".join(f"{before} {half} {after}".split()) for half in (first, second)]
    return [half.strip() for half in level.split("/")]


def _origins(row: Row, r: int) -> list[tuple[int, Cell]]:
    """(column, cell) for the cells that start in this row and column (not spilled spans)."""
    return [(c, cell) for c, cell in enumerate(row.cells) if cell.row == r and cell.col == c]


def analyse(grid: Grid, resolver: ModelResolver) -> Layout | None:
    rows = grid.rows
    kinds = {id(cell): cell_kind(cell) for row in rows for cell in row.cells}
    nonempty = [r for r, row in enumerate(rows) if any(kinds[id(c)] != "empty" for c in row.cells)]
    if len(nonempty) < 2 or grid.ncols < 2:
        return None
    header = _header_rows(rows, nonempty, kinds)
    if not header:
        return None
    body = [r for r in nonempty if r > header[-1]]
    groups = {r for r in body if _is_group_row(rows[r], r, kinds, grid.ncols)}
    data = [r for r in body if r not in groups]
    if not data:
        return None

    col_levels = [_levels([rows[h].cells[c] for h in header]) for c in range(grid.ncols)]
    col_info = [parse_label(" ".join(levels)) for levels in col_levels]
    shot_col = next((c for c in range(grid.ncols) if col_info[c].shot_column), None)
    metric_col = next((c for c in range(grid.ncols) if col_info[c].metric_column), None)
    protocol_cols = {c for c in (shot_col, metric_col) if c is not None}

    numeric, texty = [0] * grid.ncols, [0] * grid.ncols
    for r in data:
        for c, cell in _origins(rows[r], r):
            kind = kinds[id(cell)]
            numeric[c] += kind in ("number", "pair")  # a column of "50.9 / 47.3" holds results too
            texty[c] += kind == "text"
    result_like = [numeric[c] > 0 and numeric[c] >= texty[c] and c not in protocol_cols for c in range(grid.ncols)]
    if not any(result_like):
        return None
    first_result = result_like.index(True)
    hyper_cols = [c for c in range(grid.ncols) if c not in protocol_cols and col_info[c].hyper]
    label_cols = [c for c in range(first_result) if c not in protocol_cols and texty[c] > 0]
    name_cols = [c for c in label_cols if c not in hyper_cols] or label_cols
    result_cols = [c for c in range(grid.ncols) if result_like[c] and c not in hyper_cols]
    if not result_cols:
        return None

    row_entries = _row_entries(rows, body, groups, name_cols, label_cols, hyper_cols, protocol_cols)
    col_entries = [
        AxisEntry(c, col_levels[c] or [f"column {c + 1}"], [rows[h].cells[c] for h in header]) for c in result_cols
    ]
    models_in_rows = _models_in_rows(row_entries, col_entries, resolver)
    return Layout(header, row_entries, col_entries, models_in_rows, shot_col, metric_col, hyper_cols)


def _header_rows(rows: list[Row], nonempty: list[int], kinds: dict[int, str]) -> list[int]:
    def numbers_in(r: int) -> int:
        return sum(kinds[id(cell)] == "number" for _, cell in _origins(rows[r], r))  # "40/60" may be a header

    def texts_in(r: int) -> int:
        return sum(kinds[id(cell)] in ("text", "missing") for _, cell in _origins(rows[r], r))

    def words_in(r: int) -> int:
        return sum(kinds[id(cell)] == "text" for _, cell in _origins(rows[r], r))

    first = nonempty[0]
    ruled = next((k for k, r in enumerate(nonempty) if k > 0 and rows[r].rule_above), None)
    if ruled is not None and ruled <= 4 and all(numbers_in(r) <= texts_in(r) // 3 for r in nonempty[:ruled]):
        header = nonempty[:ruled]
    else:
        header = []
        for r in nonempty:
            if numbers_in(r) > 0:
                break
            header.append(r)
        if len(header) == len(nonempty) or not header:
            return [first] if numbers_in(first) == 0 else []
    # a second header level separated by its own rule (\hline after every row)
    rest = [r for r in nonempty if r > header[-1]]
    while (
        rest
        and len(header) < 4
        and numbers_in(rest[0]) == 0
        and words_in(rest[0]) >= 2
        and len(rest) > 1
        and numbers_in(rest[1]) > 0
        and not _first_cell_only(rows[rest[0]], rest[0], kinds)
    ):
        header.append(rest.pop(0))
    return header


def _first_cell_only(row: Row, r: int, kinds: dict[int, str]) -> bool:
    filled = [c for c, cell in _origins(row, r) if kinds[id(cell)] != "empty"]
    return filled == [0]


def _is_group_row(row: Row, r: int, kinds: dict[int, str], ncols: int) -> bool:
    origins = [(c, cell) for c, cell in _origins(row, r) if kinds[id(cell)] != "empty"]
    if len(origins) != 1 or kinds[id(origins[0][1])] != "text":
        return False
    cell = origins[0][1]
    spilled = [x for x in row.cells if x.row != r and not x.empty]  # multirow labels from rows above
    return not spilled and (cell.colspan >= max(2, ncols // 2) or ncols >= 3)


def _levels(cells: list[Cell]) -> list[str]:
    levels: list[str] = []
    seen: set[int] = set()
    for cell in cells:
        if id(cell) in seen:
            continue
        seen.add(id(cell))
        text = plain_label(cell.text)
        if text and not is_missing(text) and (not levels or levels[-1] != text):
            levels.append(text)
    return levels


def _row_entries(
    rows: list[Row],
    body: list[int],
    groups: set[int],
    name_cols: list[int],
    label_cols: list[int],
    hyper_cols: list[int],
    protocol_cols: set[int],
) -> list[AxisEntry]:
    entries: list[AxisEntry] = []
    context: list[str] = []
    every = sorted(set(label_cols) | protocol_cols)
    above: dict[int, Cell] = {}  # the last printed label of each label column
    printed: dict[int, dict[int, Cell]] = {}  # row -> label column -> cell (blank ones inherited)
    for r in body:
        if r in groups:
            context = _levels([cell for cell in rows[r].cells if not cell.empty])
            above.clear()
            continue
        if rows[r].rule_above:  # a full rule closes the groups above it
            above.clear()
        cells = {c: rows[r].cells[c] for c in every}
        for k, c in enumerate(every):
            # an outer label left blank under a printed one ("HellaSwag | zero-shot" then " | few-shot")
            # belongs to the label above it, as if it were a \multirow
            if cells[c].empty and c in above and any(not cells[x].empty for x in every[k + 1 :]):
                cells[c] = above[c]
            elif not cells[c].empty:
                above[c] = cells[c]
        printed[r] = cells
        levels = _levels([cells[c] for c in name_cols])
        extra = _levels([cells[c] for c in label_cols if c in hyper_cols])
        entries.append(AxisEntry(r, levels, [rows[r].cells[c] for c in label_cols], list(context), extra))
    for columns in (label_cols, every):  # names alone do not tell the rows apart: the size column does
        if len({e.label for e in entries}) == len(entries):
            break
        for e in entries:
            e.levels = _levels([printed[e.index][c] for c in columns])
    for e in entries:
        if not e.levels:
            e.levels = [f"row {e.index + 1}"]
    return entries


def _models_in_rows(row_entries: list[AxisEntry], col_entries: list[AxisEntry], resolver: ModelResolver) -> bool:
    def model_score(entries: list[AxisEntry]) -> float:
        if not entries:
            return 0.0
        hits = sum(
            resolver.looks_like_model(" ".join(e.levels)) or resolver.looks_like_model(e.levels[-1]) for e in entries
        )
        return hits / len(entries)

    def bench_score(entries: list[AxisEntry]) -> float:
        if not entries:
            return 0.0
        infos: list[LabelInfo] = [parse_label(" ".join(e.levels)) for e in entries]
        return sum(bool(i.benchmark or i.known_benchmark or i.aggregate) for i in infos) / len(entries)

    rows_bench, cols_bench = bench_score(row_entries), bench_score(col_entries)
    if cols_bench >= 0.5 and rows_bench == 0:  # benchmarks name the columns ("Olmo 3 Benchmarks / MMLU")
        return True
    if rows_bench >= 0.5 and cols_bench == 0:
        return False
    rows_model, cols_model = model_score(row_entries), model_score(col_entries)
    if cols_model != rows_model:
        return rows_model > cols_model
    return cols_bench >= rows_bench
