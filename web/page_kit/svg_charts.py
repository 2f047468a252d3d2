"""Charts drawn on the server as inline SVG: no script, no download, printable.

Pure functions from numbers to SVG text. Every text that reaches the SVG (title, labels,
series names) is escaped here, so a caller may pass what a user typed. The chart carries a
``<title>`` and a ``<desc>`` for screen readers; a page shows the table of the same numbers
beside it (a chart alone is not accessible).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
from markupsafe import Markup, escape

# Colours that stay apart for the common colour-vision deficiencies and in greyscale print.
PALETTE = ("#1b7f3b", "#b3261e", "#0b5cab", "#a86400", "#6b4fa0", "#5b6b7b")


class Series(msgspec.Struct, frozen=True):
    label: str
    values: Sequence[float]
    colour: str = ""  # one of PALETTE by position when empty


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (1 for zero or less), so
    the axis ends on a round number and the tallest bar nearly fills it."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude * (1 + 1e-12):
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop ends at 10


def ticks(top: float, whole: bool = True) -> list[float]:
    """Evenly spaced axis values from 0 to ``top``: 4 or 5 steps, fewer when ``whole`` (counts)
    and a step would be a fraction (an axis up to 2 reads 0, 1, 2, never 0, 0,5, 1...)."""
    for count in (4, 5, 2, 1):
        step = top / count
        if not whole or float(step).is_integer():
            return [step * i for i in range(count + 1)]
    return [0.0, top]


def _number(value: float) -> str:
    """A tick or value as staff write it: 1.500 for thousands, 2,5 for a half (Vietnamese)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _attr(text: str) -> str:
    return str(escape(text))


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    description: str = "",
    stacked: bool = True,
    width: int = 720,
    height: int = 260,
    chart_id: str = "chart",
) -> Markup:
    """Bars per category (e.g. per month), one colour per series, stacked or side by side.

    Raises ValueError when a series has not one value per category, or a value is negative
    or not finite: a chart that silently drops a number would mislead.
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(
                f"series {s.label!r} has {len(s.values)} values for {len(categories)} categories"
            )
        if any(not math.isfinite(v) or v < 0 for v in s.values):
            raise ValueError(f"series {s.label!r} has a negative or non-finite value")
    left, right, top_pad, bottom = 48, 12, 12, 48
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    if stacked:
        peak = max((sum(s.values[i] for s in series) for i in range(len(categories))), default=0)
    else:
        peak = max((v for s in series for v in s.values), default=0)
    top = nice_ceiling(peak)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{_attr(title_id)} {_attr(desc_id)}">',
        f'<title id="{_attr(title_id)}">{escape(title)}</title>',
        f'<desc id="{_attr(desc_id)}">{escape(description)}</desc>',
    ]
    whole = all(float(v).is_integer() for s in series for v in s.values)
    for value in ticks(top, whole):
        y = top_pad + plot_h - plot_h * value / top
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#cfd8e3" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5b6b7b">{_number(value)}</text>'
        )
    slot = plot_w / max(len(categories), 1)
    bar_w = slot * 0.7 / (1 if stacked else max(len(series), 1))
    for i, category in enumerate(categories):
        x0 = left + slot * i + slot * 0.15
        base = 0.0
        for k, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top
            x = x0 if stacked else x0 + bar_w * k
            y = (
                top_pad + plot_h - plot_h * (base + value) / top
                if stacked
                else top_pad + plot_h - h
            )
            colour = s.colour or PALETTE[k % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{_attr(colour)}"><title>{escape(category)}: {escape(s.label)} '
                f"{_number(value)}</title></rect>"
            )
            if stacked:
                base += value
        parts.append(
            f'<text x="{left + slot * i + slot / 2:.1f}" y="{top_pad + plot_h + 16}" '
            f'text-anchor="middle" font-size="11" fill="#1d2733">{escape(category)}</text>'
        )
    legend_x = left
    for k, s in enumerate(series):
        colour = s.colour or PALETTE[k % len(PALETTE)]
        parts.append(
            f'<rect x="{legend_x}" y="{height - 18}" width="12" height="12" '
            f'fill="{_attr(colour)}"/>'
            f'<text x="{legend_x + 16}" y="{height - 8}" font-size="12" fill="#1d2733">'
            f"{escape(s.label)}</text>"
        )
        legend_x += 28 + 7 * len(s.label)
    parts.append("</svg>")
    return Markup("".join(parts))
