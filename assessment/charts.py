"""Inline SVG charts for the HTML report.

Each builder returns finished SVG markup. Every piece of text that comes from
the caller is escaped here, which is what lets the report mark the result safe.
The SVGs size themselves through ``viewBox`` so they shrink to an A4 page.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

STAGE_LABELS = ("Traditional", "Initial", "Advanced", "Optimal")
"""Stage names in score order: Traditional scores 1, Optimal scores 4."""

# Okabe-Ito hues, darkened where needed for 3:1 contrast against white, so the
# lines stay apart for readers with a colour-vision deficiency.
SERIES_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#b0458f", "#8a6a00", "#56768f")
PILLAR_COLOUR = "#2f5fa8"
CAPABILITY_COLOUR = "#2a7d74"
TARGET_COLOUR = "#1a1a1a"
WITHIN_COLOUR = "#2f5fa8"
OVER_COLOUR = "#c0392b"
LIMIT_COLOUR = "#9aa5b1"
GRID_COLOUR = "#d5dbe1"
MUTED_TEXT = "#4a5561"


@dataclass(frozen=True)
class Bar:
    """One labelled value in a bar chart."""

    label: str
    value: float


@dataclass(frozen=True)
class BarGroup:
    """Bars drawn under one heading."""

    heading: str
    bars: Sequence[Bar]
    colour: str


@dataclass(frozen=True)
class Series:
    """One line of the trend chart; ``None`` leaves a gap at that point."""

    name: str
    values: Sequence[float | None]
    emphasis: bool = False


def _svg_open(width: int, height: int, title: str, css_class: str) -> str:
    return (
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    )


def _text(
    x: float, y: float, content: str, *, anchor: str = "start", css: str = ""
) -> str:
    css_attr = f' class="{css}"' if css else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{css_attr}>'
        f"{escape(content)}</text>"
    )


def pillar_chart(
    groups: Sequence[BarGroup], target: float, target_label: str
) -> Markup:
    """Horizontal bars of each score on the 1 to 4 stage scale, with the target marked.

    Args:
        groups: The pillars, then the cross-cutting capabilities, each a heading
            with its bars.
        target: The score of the target stage, drawn as a marker on every bar.
        target_label: The target stage's name, for the legend.

    Returns:
        The chart as SVG markup, safe to embed.
    """
    width, label_width, value_width = 880, 230, 70
    row, bar_height, heading_height = 28, 16, 30
    plot_left, plot_right = label_width, width - value_width - 30
    top = 34

    def x_at(score: float) -> float:
        # The axis starts at 0 so a Traditional score of 1.0 still shows a bar.
        return plot_left + (plot_right - plot_left) * max(0.0, min(score, 4.0)) / 4

    rows = sum(len(group.bars) for group in groups)
    plot_bottom = top + len(groups) * heading_height + rows * row
    height = plot_bottom + 34
    title = f"Maturity score by pillar against the target stage, {target_label}"
    parts = [_svg_open(width, height, title, "chart chart-pillars")]

    # The legend sits above the plot so it never competes with a bar for space.
    parts.append(
        f'<line x1="{plot_left}" y1="10" x2="{plot_left}" y2="26" '
        f'stroke="{TARGET_COLOUR}" stroke-width="3"/>'
    )
    parts.append(_text(plot_left + 8, 22, f"Target: {target_label}", css="legend"))
    parts.append(_text(width - 10, 22, "Score", anchor="end", css="legend"))

    for index in range(1, 5):
        x = x_at(index)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{plot_bottom}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        parts.append(
            _text(
                x,
                plot_bottom + 20,
                STAGE_LABELS[index - 1],
                anchor="middle",
                css="axis",
            )
        )
    parts.append(
        f'<line x1="{plot_left}" y1="{top}" x2="{plot_left}" y2="{plot_bottom}" '
        f'stroke="{MUTED_TEXT}" stroke-width="1"/>'
    )

    y = top
    for group in groups:
        parts.append(_text(0, y + 20, group.heading, css="group-heading"))
        y += heading_height
        for bar in group.bars:
            bar_top = y + (row - bar_height) / 2
            middle = y + row / 2
            parts.append(_text(label_width - 12, middle + 4.5, bar.label, anchor="end"))
            parts.append(
                f'<rect x="{plot_left}" y="{bar_top:.1f}" '
                f'width="{x_at(bar.value) - plot_left:.1f}" height="{bar_height}" '
                f'fill="{group.colour}" rx="2"/>'
            )
            marker = x_at(target)
            parts.append(
                f'<line x1="{marker:.1f}" y1="{bar_top - 4:.1f}" x2="{marker:.1f}" '
                f'y2="{bar_top + bar_height + 4:.1f}" stroke="{TARGET_COLOUR}" '
                f'stroke-width="3"/>'
            )
            parts.append(
                _text(
                    width - 10,
                    middle + 4.5,
                    f"{bar.value:.2f}",
                    anchor="end",
                    css="value",
                )
            )
            y += row

    parts.append("</svg>")
    return Markup("".join(parts))


def comparison_chart(
    title: str,
    estimate_label: str,
    estimate: float,
    limit_label: str,
    limit: float,
    formatted: tuple[str, str],
) -> Markup:
    """Two bars on one scale: an estimate against the limit it should stay under.

    Args:
        title: What is being compared, read out by screen readers.
        estimate_label: The estimate's row label.
        estimate: The estimated amount; its bar turns red when above ``limit``.
        limit_label: The limit's row label.
        limit: The budget or target.
        formatted: The estimate and the limit as they should be printed.

    Returns:
        The chart as SVG markup, safe to embed.
    """
    width, label_width, value_width = 880, 170, 150
    row, bar_height = 30, 18
    plot_left, plot_right = label_width, width - value_width
    scale = max(estimate, limit) or 1.0
    over = estimate > limit
    rows = (
        (
            estimate_label,
            estimate,
            formatted[0],
            OVER_COLOUR if over else WITHIN_COLOUR,
        ),
        (limit_label, limit, formatted[1], LIMIT_COLOUR),
    )
    height = row * len(rows) + 8
    css_class = "chart chart-comparison" + (" over" if over else "")
    parts = [_svg_open(width, height, title, css_class)]

    for index, (label, value, shown, colour) in enumerate(rows):
        top = 4 + index * row
        middle = top + row / 2
        bar_width = (plot_right - plot_left) * max(value, 0.0) / scale
        parts.append(_text(label_width - 12, middle + 4.5, label, anchor="end"))
        parts.append(
            f'<rect x="{plot_left}" y="{middle - bar_height / 2:.1f}" '
            f'width="{bar_width:.1f}" height="{bar_height}" fill="{colour}" rx="2"/>'
        )
        parts.append(_text(plot_left + bar_width + 8, middle + 4.5, shown, css="value"))

    parts.append("</svg>")
    return Markup("".join(parts))


def risk_bar(risk: float) -> Markup:
    """A small bar showing ``risk`` out of 100, for a table cell.

    Returns:
        The bar as SVG markup, safe to embed.
    """
    width, height = 80, 10
    filled = width * max(0.0, min(risk, 100.0)) / 100
    return Markup(
        f'<svg class="risk-bar" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img"><title>Risk {risk:g} of 100</title>'
        f'<rect width="{width}" height="{height}" fill="#e6e9ed" rx="2"/>'
        f'<rect width="{filled:.1f}" height="{height}" fill="{OVER_COLOUR}" rx="2"/>'
        "</svg>"
    )


def _x_positions(dates: Sequence[str], left: float, right: float) -> list[float]:
    """Place points by calendar date, or evenly when the dates cannot be used."""
    if len(dates) == 1:
        return [(left + right) / 2]
    try:
        days = [datetime.date.fromisoformat(value).toordinal() for value in dates]
    except ValueError:
        days = []
    if not days or max(days) == min(days) or days != sorted(days):
        step = (right - left) / (len(dates) - 1)
        return [left + step * index for index in range(len(dates))]
    span = max(days) - min(days)
    return [left + (right - left) * (day - days[0]) / span for day in days]


def _visible_labels(xs: Sequence[float], min_gap: float) -> list[int]:
    """Indexes of the date labels to print so that none overlap; the last wins."""
    shown: list[int] = []
    for index in reversed(range(len(xs))):
        if not shown or xs[shown[-1]] - xs[index] >= min_gap:
            shown.append(index)
    return sorted(shown)


def trend_chart(dates: Sequence[str], series: Sequence[Series]) -> Markup:
    """Lines of each series' score over the assessment dates.

    Args:
        dates: ISO dates of the assessments, oldest first.
        series: One line per score; each has a value (or ``None``) per date.

    Returns:
        The chart as SVG markup, safe to embed.
    """
    width, height = 880, 340
    plot_left, plot_right, plot_top, plot_bottom = 96, 590, 16, 290
    legend_left = 618

    def y_at(score: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * (score - 1) / 3

    xs = _x_positions(dates, plot_left + 12, plot_right - 12)
    title = f"Maturity score trend over {len(dates)} assessments"
    parts = [_svg_open(width, height, title, "chart chart-trend")]

    for index, label in enumerate(STAGE_LABELS, start=1):
        y = y_at(index)
        parts.append(
            f'<line x1="{plot_left}" y1="{y:.1f}" x2="{plot_right}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        parts.append(_text(plot_left - 10, y + 4.5, label, anchor="end", css="axis"))
    for index in _visible_labels(xs, min_gap=84):
        parts.append(
            _text(
                xs[index], plot_bottom + 24, dates[index], anchor="middle", css="axis"
            )
        )

    # Pillars first, the emphasised overall line last, so it is drawn on top.
    styles = [_line_style(index, line) for index, line in enumerate(series)]
    for line, (colour, stroke, dash) in sorted(
        zip(series, styles, strict=True), key=lambda pair: pair[0].emphasis
    ):
        for segment in _segments(xs, line.values):
            points = " ".join(f"{x:.1f},{y_at(value):.1f}" for x, value in segment)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="{stroke}" stroke-linejoin="round"{dash}/>'
            )
        for x, value in _known_points(xs, line.values):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y_at(value):.1f}" r="{stroke + 1:g}" '
                f'fill="{colour}"><title>{escape(line.name)}: {value:.2f}</title>'
                "</circle>"
            )
            if line.emphasis:
                parts.append(
                    _text(
                        x,
                        y_at(value) - 10,
                        f"{value:.2f}",
                        anchor="middle",
                        css="value halo",
                    )
                )

    for position, (line, (colour, stroke, dash)) in enumerate(
        zip(series, styles, strict=True)
    ):
        y = plot_top + 8 + position * 24
        parts.append(
            f'<line x1="{legend_left}" y1="{y:.1f}" x2="{legend_left + 26}" '
            f'y2="{y:.1f}" stroke="{colour}" stroke-width="{stroke}"{dash}/>'
        )
        parts.append(
            _text(
                legend_left + 34,
                y + 4.5,
                line.name,
                css="legend strong" if line.emphasis else "legend",
            )
        )

    parts.append("</svg>")
    return Markup("".join(parts))


def _line_style(index: int, line: Series) -> tuple[str, float, str]:
    """Colour, width and dash of a line; every other line is dashed for print."""
    if line.emphasis:
        return TARGET_COLOUR, 3.5, ""
    dash = ' stroke-dasharray="7 4"' if index % 2 == 0 else ""
    return SERIES_COLOURS[(index - 1) % len(SERIES_COLOURS)], 2.0, dash


def _segments(
    xs: Sequence[float], values: Sequence[float | None]
) -> list[list[tuple[float, float]]]:
    """Runs of consecutive known values; a missing score breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, value in zip(xs, values, strict=True):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((x, value))
    return [run for run in runs if len(run) >= 2]


def _known_points(
    xs: Sequence[float], values: Sequence[float | None]
) -> list[tuple[float, float]]:
    return [
        (x, value) for x, value in zip(xs, values, strict=True) if value is not None
    ]
