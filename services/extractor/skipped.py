"""No silent drops: every numeric column or row of a results table that produced no claim, with the
rule that skipped it (pure: from the grid, its layout and the candidates; unit-tested).

A protocol column (shots, metric) is read, not skipped, and a cell that failed gate G1 is reported
with the dropped cells, so neither is listed here. A model row (or column) is never skipped by a rule
of its own: its numbers sit in the benchmark columns (rows) listed, so only those are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.extractor.headers import AxisEntry, Layout, cell_kind
from services.extractor.protocol import CaptionInfo, parse_label
from services.extractor.tables import Grid

MAX_IN_DETAIL = 5


def skipped_lines(
    table_label: str,
    grid: Grid,
    layout: Layout,
    caption: CaptionInfo,
    claimed: Iterable[tuple[int, int]],
) -> list[dict[str, Any]]:
    """One entry per body row and per column with a numeric cell, none of them claimed, that a rule
    skipped (every unclaimed numeric cell of the table lies in one of them)."""
    taken = set(claimed)
    header = set(layout.header_rows)
    numeric: dict[tuple[int, int], bool] = {}
    for r, row in enumerate(grid.rows):
        if r in header or (layout.header_rows and r < layout.header_rows[0]):
            continue
        for c, cell in enumerate(row.cells):
            if cell.row == r and cell.col == c and cell_kind(cell) == "number":
                numeric[(r, c)] = True
    protocol_cols = {c for c in (layout.shot_col, layout.metric_col) if c is not None}
    rows = {e.index: e for e in layout.rows}
    cols = {e.index: e for e in layout.cols}
    out: list[dict[str, Any]] = []
    for c in sorted({c for _, c in numeric} - protocol_cols):
        if any((r, c) in taken for r, cc in numeric if cc == c):
            continue
        header_text = " / ".join(t for t in (grid.rows[h].cells[c].text.strip() for h in layout.header_rows) if t)
        rule = _column_rule(c, header_text, layout, cols.get(c), caption)
        if rule is None:
            continue
        out.append(
            {
                "table": table_label,
                "axis": "column",
                "index": c,
                "label": header_text,
                "numbers": sum(1 for _, cc in numeric if cc == c),
                "rule": rule,
            }
        )
    for r in sorted({r for r, _ in numeric}):
        cells = [c for rr, c in numeric if rr == r and c not in protocol_cols]
        if not cells or any((r, c) in taken for c in cells):
            continue
        entry = rows.get(r)
        rule = _row_rule(entry, layout, caption)
        if rule is None:
            continue
        out.append(
            {
                "table": table_label,
                "axis": "row",
                "index": r,
                "label": entry.label if entry else " ".join(c.text.strip() for c in grid.rows[r].cells[:2]),
                "numbers": len(cells),
                "rule": rule,
            }
        )
    return out


def _column_rule(c: int, header: str, layout: Layout, entry: AxisEntry | None, caption: CaptionInfo) -> str | None:
    if c in layout.hyper_cols:
        return f"hyper-parameter column: the header {header!r} reads like a size, count or setting"
    if entry is None:
        return "not a result column: more text than numbers in it, or left of the first result column"
    return _bench_rule(entry, caption) if layout.models_in_rows else None  # a model column: see the rows


def _row_rule(entry: AxisEntry | None, layout: Layout, caption: CaptionInfo) -> str | None:
    if entry is None:
        return "a group row (a label spanning the table, or a row without a label column)"
    return _bench_rule(entry, caption) if not layout.models_in_rows else None  # a model row: see the columns


def _bench_rule(entry: AxisEntry, caption: CaptionInfo) -> str:
    info = parse_label(" ".join(entry.levels))
    if parse_label(entry.levels[-1]).hyper or (info.hyper and not info.is_result):
        return f"hyper-parameter label {entry.label!r}: a size, count or setting, not a result"
    if not (info.is_result or caption.results or caption.ablation):
        return (
            f"the label {entry.label!r} names no benchmark, metric or shot count, and the caption does not "
            "say the table holds results"
        )
    return "no numeric cell at its own position (spanned cells are claimed where they start)"


def summary(skipped: list[dict[str, Any]]) -> str:
    """For the outcome's detail: the count and the first few, each with its rule."""
    if not skipped:
        return ""
    shown = "; ".join(f"{s['table']} {s['axis']} {s['label']!r}: {s['rule']}" for s in skipped[:MAX_IN_DETAIL])
    more = (
        f"; and {len(skipped) - MAX_IN_DETAIL} more (paperverdict extract -v)" if len(skipped) > MAX_IN_DETAIL else ""
    )
    return f"{len(skipped)} numeric rows/columns of result tables skipped ({shown}{more})"
