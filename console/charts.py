"""Small bar charts drawn by the server as inline SVG (no script, no style attribute: the CSP
allows neither). The template (console/_bar_chart.html) draws what `daily_bar_chart` measures and
repeats the same figures in a visually hidden table for screen readers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from apps_registry.selectors.installs import DailyCount

WIDTH = 640
HEIGHT = 200
LEFT_MARGIN = 40  # room for the y axis's labels
BOTTOM_MARGIN = 32  # room for the x axis's labels
TOP_MARGIN = 12
RIGHT_MARGIN = 24  # room for the last day's label, centred under the last bar
BAR_GAP = 2
# A day without any still shows as a sliver on the axis, so zero reads as zero, not as missing.
ZERO_BAR_HEIGHT = 1


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Tick:
    label: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class BarChart:
    chart_id: str
    title: str
    description: str
    unit: str
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT_MARGIN
    bottom: float = HEIGHT - BOTTOM_MARGIN
    right: int = WIDTH - RIGHT_MARGIN


def _nice_maximum(largest: int) -> int:
    """The top of the y axis: at least 1, rounded up to 1, 2 or 5 times a power of ten."""
    top, multipliers = 1, itertools.cycle((2, 5 / 2, 2))  # 1, 2, 5, 10, 20, 50, …
    while top < largest:
        top = round(top * next(multipliers))
    return top


def daily_bar_chart(
    series: list[DailyCount], *, chart_id: str, title: str, description: str, unit: str
) -> BarChart:
    """One bar per day of `series` (oldest on the left), with a y axis from 0 to a round maximum
    and the first, middle and last days labelled on the x axis."""
    plot_width = WIDTH - LEFT_MARGIN - RIGHT_MARGIN
    plot_height = HEIGHT - BOTTOM_MARGIN - TOP_MARGIN
    bottom = HEIGHT - BOTTOM_MARGIN
    top = _nice_maximum(max((point.count for point in series), default=0))
    slot = plot_width / len(series)
    bars = []
    for index, point in enumerate(series):
        height = max(point.count / top * plot_height, ZERO_BAR_HEIGHT)
        bars.append(
            Bar(
                day=point.day,
                count=point.count,
                x=round(LEFT_MARGIN + index * slot + BAR_GAP / 2, 2),
                y=round(bottom - height, 2),
                width=round(slot - BAR_GAP, 2),
                height=round(height, 2),
            )
        )
    y_ticks = [
        Tick(label=str(value), x=LEFT_MARGIN - 6, y=round(bottom - value / top * plot_height, 2))
        for value in ((0, top // 2, top) if top % 2 == 0 else (0, top))
    ]
    labelled = sorted({0, len(series) // 2, len(series) - 1})
    x_ticks = [
        Tick(
            label=series[index].day.strftime("%-d %b"),
            x=round(LEFT_MARGIN + (index + 0.5) * slot, 2),
            y=bottom + 18,
        )
        for index in labelled
    ]
    return BarChart(
        chart_id=chart_id,
        title=title,
        description=description,
        unit=unit,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        total=sum(point.count for point in series),
    )
