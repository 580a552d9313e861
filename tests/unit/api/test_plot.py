"""The reported-vs-measured SVG: one linked, titled mark per point, intervals, the diagonal, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from services.api.plot import axis_range, scatter, ticks
from services.api.render import STATUS_COLOURS, status_colour
from services.publisher.cards import PlotPoint

SVG = "{http://www.w3.org/2000/svg}"


def _point(claim_id: str, reported: float, measured: float, half: float, status: str) -> PlotPoint:
    return PlotPoint(claim_id, f"Table 1 · <b>{claim_id}</b>", reported, measured, half, status)


POINTS = [
    _point("a", 50.8, 47.0, 0.8, "wrong"),
    _point("b", 26.0, 26.1, 0.5, "confirmed"),
    _point("c", 70, 70, 0, "partial"),
]


def test_axis_covers_reported_values_and_intervals_on_one_scale() -> None:
    low, high = axis_range(POINTS)
    assert low < 25.6 and high > 70 and (high - low) < 50  # data range padded, not 0..100
    frac_low, frac_high = axis_range([_point("f", 0.5, 0.52, 0.01, "confirmed"), _point("g", 0.6, 0.6, 0, "wrong")])
    assert 0.45 < frac_low < 0.5 and 0.6 < frac_high < 0.65  # a fraction paper keeps its own scale
    assert ticks(0.0, 100.0) == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert ticks(0.45, 0.65) == [0.45, 0.5, 0.55, 0.6, 0.65]
    assert ticks(25.1, 71.3) == [30.0, 40.0, 50.0, 60.0, 70.0]
    assert ticks(-3, 2) == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0]


def test_one_mark_per_point_linked_titled_and_coloured_by_verdict() -> None:
    svg = scatter(POINTS, lambda p: f"#claim-{p.claim_id}", status_colour)
    root = ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    marks = root.findall(f"{SVG}a")
    assert [m.get("data-claim-id") for m in marks] == ["a", "b", "c"]
    assert [m.get("href") for m in marks] == ["#claim-a", "#claim-b", "#claim-c"]
    titles = [m.findtext(f"{SVG}title") or "" for m in marks]
    assert titles[0].startswith("Table 1 · <b>a</b> · measured 47") and titles[0].endswith("wrong")
    assert [m.find(f"{SVG}circle").get("fill") for m in marks] == [  # type: ignore[union-attr]
        STATUS_COLOURS["wrong"],
        STATUS_COLOURS["confirmed"],
        STATUS_COLOURS["partial"],
    ]
    assert [len(m.findall(f"{SVG}line")) for m in marks] == [1, 1, 0]  # no interval without a stderr
    assert root.find(f"{SVG}line[@class='diagonal']") is not None


def test_marks_sit_where_their_values_are() -> None:
    svg = scatter(POINTS, lambda p: "#", status_colour)
    circles = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)]
    (ax, ay), (bx, by), (cx, cy) = circles
    assert bx < ax < cx  # reported 26 < 50.8 < 70
    assert cy < ay < by  # measured 70 > 47 > 26.1 (SVG y grows downwards)
    # (70, 70) lies on y = x: as far across the plot area (464 wide) as up it (304 high), margins 48
    assert abs((cx - 48) / 464 - (400 - 48 - cy) / 304) < 0.01


def test_hostile_labels_are_escaped_and_nothing_measured_gives_no_plot() -> None:
    svg = scatter([_point('"><script>x</script>', 1, 1, 0, "wrong")], lambda p: '"><script>', status_colour)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert scatter([], lambda p: "#", status_colour) == ""
