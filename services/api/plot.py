"""Reported vs measured as inline SVG: one mark per measured claim, its interval, and the y = x line."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

from services.publisher.cards import PlotPoint

WIDTH, HEIGHT, MARGIN = 560, 400, 48


def axis_range(points: list[PlotPoint]) -> tuple[float, float]:
    """One range for both axes (so y = x is the diagonal): the data with its intervals, padded 5 %."""
    values = [p.reported for p in points]
    values += [p.measured - p.half_width for p in points] + [p.measured + p.half_width for p in points]
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or max(abs(high) * 0.05, 1.0)
    return low - pad, high + pad


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values in [low, high]."""
    raw = (high - low) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10, 20, 50) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(count + 2) if first + i * step <= high + step * 1e-9]


def scatter(points: list[PlotPoint], href: Callable[[PlotPoint], str], colour_of: Callable[[str], str]) -> str:
    """The SVG (empty string when nothing was measured). `href` gives each mark's link to its claim."""
    if not points:
        return ""
    low, high = axis_range(points)
    span = high - low
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def x(v: float) -> float:
        return MARGIN + (v - low) / span * inner_w

    def y(v: float) -> float:
        return HEIGHT - MARGIN - (v - low) / span * inner_h

    grid = []
    for t in ticks(low, high):
        grid.append(
            f'<line class="grid" x1="{x(t):.1f}" y1="{MARGIN}" x2="{x(t):.1f}" y2="{HEIGHT - MARGIN}"/>'
            f'<text x="{x(t):.1f}" y="{HEIGHT - MARGIN + 16}" text-anchor="middle">{t:g}</text>'
            f'<line class="grid" x1="{MARGIN}" y1="{y(t):.1f}" x2="{WIDTH - MARGIN}" y2="{y(t):.1f}"/>'
            f'<text x="{MARGIN - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>'
        )
    marks = []
    for p in points:
        cx, cy = x(p.reported), y(p.measured)
        colour = colour_of(p.status)
        interval = (
            f'<line x1="{cx:.1f}" y1="{y(p.measured - p.half_width):.1f}" x2="{cx:.1f}" '
            f'y2="{y(p.measured + p.half_width):.1f}" stroke="{colour}"/>'
            if p.half_width
            else ""
        )
        marks.append(
            f'<a class="mark" href="{escape(href(p))}" data-claim-id="{escape(p.claim_id)}" '
            f'data-status="{escape(p.status)}"><title>{escape(p.label)} · measured {p.measured:.4g}'
            f"{f' ± {p.half_width:.2g}' if p.half_width else ''} · {escape(p.status)}</title>{interval}"
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"/></a>'
        )
    return (
        f'<svg id="plot" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        'aria-label="reported vs measured, one mark per measured claim">'
        f"{''.join(grid)}"
        f'<line class="diagonal" x1="{x(low):.1f}" y1="{y(low):.1f}" x2="{x(high):.1f}" y2="{y(high):.1f}"/>'
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">reported (as printed)</text>'
        f'<text x="14" y="{HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 14 {HEIGHT / 2})">'
        "measured (printed scale; bar: ±1.96 stderr)</text>"
        f"{''.join(marks)}</svg>"
    )
