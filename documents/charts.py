"""Charts for reports (reportlab.graphics): a bar chart and a line chart, drawn the same way.

Each returns a `Drawing`, which is a flowable: put it in a Document's story like a paragraph.

    bar_chart(["2024/25", "2025/26"], {"Registered": [120, 134], "Withdrawn": [6, 4]},
              title="Registrations by year", value_label="learners")
    line_chart(["Sep", "Oct", "Nov"], {"On time": [80.0, None, 91.5]}, title=..., percent=True)

Series keep the order given and take colours from one palette chosen to stay apart for
colour-blind readers (Okabe and Ito); the legend names each series. The value axis starts
at zero and ends at a round number above the largest value. A series with the wrong
number of values is refused, naming it; a chart with no values says so in the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm

from .pdf import BOLD, FONT, MUTED, text_width

PALETTE = [
    colors.HexColor(c)
    for c in ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
]
MARKERS = ("FilledCircle", "FilledSquare", "FilledDiamond", "FilledTriangle", "Circle", "Square")

__all__ = ["PALETTE", "bar_chart", "line_chart", "nice_axis", "svg_data_uri"]


def nice_axis(largest: float, steps: int = 5) -> tuple[float, float]:
    """(top, step) of a value axis from 0: a round step (1, 2, 2.5 or 5 x 10^n) so the top
    is at or above `largest` in about `steps` steps."""
    if largest <= 0:
        return 1.0, 0.2
    raw = largest / steps
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step * steps >= largest:
            break
    return step * math.ceil(largest / step - 1e-9), step


def _checked(labels: Sequence[str], series: Mapping[str, Sequence]) -> list[list]:
    if not series:
        raise ValueError("A chart needs at least one series.")
    data = []
    for name, values in series.items():
        values = list(values)
        if len(values) != len(labels):
            raise ValueError(
                f"Series \u201c{name}\u201d has {len(values)} values for {len(labels)} labels."
            )
        for v in values:
            if v is not None and (not isinstance(v, int | float) or not math.isfinite(v)):
                raise ValueError(
                    f"Series \u201c{name}\u201d has a value that is not a number: {v!r}."
                )
        data.append(values)
    return data


def _frame(width: float, height: float, title: str, names: Sequence[str]):
    """The drawing, its title, its legend and the plot area left for the chart."""
    drawing = Drawing(width, height)
    top = height
    if title:
        drawing.add(
            String(0, height - 11, title, fontName=BOLD, fontSize=10, fillColor=colors.black)
        )
        top -= 18
    if names:
        legend = Legend()
        legend.fontName, legend.fontSize = FONT, 7.5
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.dxTextSpace = 4
        legend.deltax = max(60, 8 + max(len(n) for n in names) * 4.2)
        legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], n) for i, n in enumerate(names)]
        legend.x, legend.y = 0, top - 4
        legend.boxAnchor = "nw"
        drawing.add(legend)
        top -= 14
    plot = (34, 30, width - 44, top - 30 - 12)  # x, y, width, height
    return drawing, plot


def _axes(chart, labels, data, *, percent: bool) -> None:
    values = [v for row in data for v in row if v is not None]
    top, step = (100.0, 20.0) if percent and max(values) <= 100 else nice_axis(max(values))
    axis = chart.valueAxis
    axis.valueMin, axis.valueMax, axis.valueStep = 0, top, step
    axis.labels.fontName, axis.labels.fontSize = FONT, 7
    fmt = "{:g}%" if percent else "{:,.10g}"
    axis.labelTextFormat = lambda v: fmt.format(round(v, 6))
    axis.visibleGrid, axis.gridStrokeColor, axis.gridStrokeWidth = True, colors.lightgrey, 0.3
    cat = chart.categoryAxis
    cat.categoryNames = [str(label) for label in labels]
    cat.labels.fontName, cat.labels.fontSize = FONT, 7
    widths = [text_width(str(label), FONT, 7) for label in labels]
    if sum(widths) + 6 * len(widths) > chart.width:  # crowded: slant them, and make room
        cat.labels.angle, cat.labels.boxAnchor, cat.labels.dy = 30, "ne", -2
        room = min(max(widths) * 0.5 + 10, chart.height / 2)
        if room > chart.y - 6:
            chart.height -= room - (chart.y - 6)
            chart.y = room + 6
    else:
        cat.labels.boxAnchor, cat.labels.dy = "n", -2


def _value_label(drawing: Drawing, chart, text: str) -> None:
    if text:
        drawing.add(
            String(
                2,
                chart.y + chart.height + 7,
                text,
                fontName=FONT,
                fontSize=7,
                fillColor=MUTED,
            )
        )


def _empty(width: float, height: float, title: str) -> Drawing:
    drawing = Drawing(width, height)
    if title:
        drawing.add(String(0, height - 11, title, fontName=BOLD, fontSize=10))
    drawing.add(
        String(
            width / 2,
            height / 2,
            "No figures to show yet.",
            fontName=FONT,
            fontSize=9,
            textAnchor="middle",
            fillColor=MUTED,
        )
    )
    return drawing


def bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    value_label: str = "",
    width: float = 170 * mm,
    height: float = 75 * mm,
    stacked: bool = False,
    percent: bool = False,
) -> Drawing:
    """Vertical bars: one group per label, one bar per series (or stacked)."""
    data = _checked(labels, series)
    if not labels or all(v in (None, 0) for row in data for v in row):
        return _empty(width, height, title)
    data = [[0 if v is None else v for v in row] for row in data]
    drawing, plot = _frame(width, height, title, list(series))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = plot
    chart.data = data
    if stacked:
        chart.categoryAxis.style = "stacked"
        totals = [sum(col) for col in zip(*data, strict=True)]
        _axes(chart, labels, [totals], percent=percent)
    else:
        _axes(chart, labels, data, percent=percent)
    chart.groupSpacing, chart.barSpacing = 8, 1
    chart.bars.strokeWidth, chart.bars.strokeColor = 0, None
    for i in range(len(data)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
    drawing.add(chart)
    _value_label(drawing, chart, value_label)
    return drawing


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str = "",
    value_label: str = "",
    width: float = 170 * mm,
    height: float = 75 * mm,
    percent: bool = False,
) -> Drawing:
    """One line per series across the labels (months, years). None is no point for that
    label: the line joins the points either side."""
    data = _checked(labels, series)
    if not labels or all(v is None for row in data for v in row):
        return _empty(width, height, title)
    drawing, plot = _frame(width, height, title, list(series))
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = plot
    chart.data = [tuple(row) for row in data]
    _axes(chart, labels, data, percent=percent)
    chart.joinedLines = 1
    for i in range(len(data)):
        chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        chart.lines[i].strokeWidth = 1.5
        marker = makeMarker(MARKERS[i % len(MARKERS)])
        marker.fillColor = marker.strokeColor = PALETTE[i % len(PALETTE)]
        marker.size = 4
        chart.lines[i].symbol = marker
    drawing.add(chart)
    _value_label(drawing, chart, value_label)
    return drawing


def svg_data_uri(drawing: Drawing) -> str:
    """The drawing as an SVG `data:` URI for an <img> on a page (the CSP allows data:
    images; an SVG shown as an image runs no script). The page gives the text alternative
    and a table of the same numbers."""
    import base64

    from reportlab.graphics import renderSVG

    svg = renderSVG.drawToString(drawing)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
