"""Bar and line charts drawn on the server as SVG: no script, no style attribute, readable when
printed.

Colours are SVG presentation attributes, which a strict Content-Security-Policy allows. Labels
are escaped by Markup.format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 960, 320
HALF = 520  # a chart drawn beside another
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
PALETTE = ("#1f6feb", "#d97706", "#0f766e", "#b91c1c", "#7c3aed", "#4b5563")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    colour: str


def nice_max(value: float) -> float:
    """The smallest round number at or above ``value`` that splits into five even ticks."""
    if value <= 1:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    stacked: bool = False,
    width: int = WIDTH,
) -> Markup:
    """Grouped (or stacked) vertical bars with a y axis of five ticks and a legend. A chart
    meant for half the page takes ``width=480`` so its text stays as large as a full one's."""
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(labels))
    if stacked:
        totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    else:
        totals = [v or 0 for s in series for v in s.values]
    top = nice_max(max(totals, default=0))
    slot = plot_w / n
    groups = 1 if stacked else max(1, len(series))
    bar_w = max(1.0, slot * 0.8 / groups)
    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" '
            'xmlns="http://www.w3.org/2000/svg">'
        ).format(w=width, h=HEIGHT, t=title),
        Markup("<title>{}</title>").format(title),
    ]
    for k in range(6):
        value = top * k / 5
        y = TOP + plot_h - plot_h * k / 5
        parts.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" '
                'stroke-width="1"/><text x="{tx}" y="{ty:.1f}" text-anchor="end" font-size="13" '
                'fill="#334155">{v}</text>'
            ).format(x1=LEFT, x2=width - RIGHT, y=y, tx=LEFT - 6, ty=y + 4, v=_number(value))
        )
    # Labels under the axis no closer than their own width.
    label_px = 8 * max((len(label) for label in labels), default=1) + 12
    every = max(1, -(-label_px // max(1, int(slot))))
    for i, label in enumerate(labels):
        x0 = LEFT + slot * i + slot * 0.1
        base = TOP + plot_h
        for j, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / top
            x = x0 if stacked else x0 + bar_w * j
            y = base - h
            parts.append(
                Markup(
                    '<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}">'
                    "<title>{label} · {name}: {v}{u}</title></rect>"
                ).format(
                    x=x,
                    y=y,
                    w=bar_w,
                    h=h,
                    c=s.colour,
                    label=label,
                    name=s.label,
                    v=_number(value),
                    u=unit,
                )
            )
            if stacked:
                base = y
        if i % every == 0:
            parts.append(
                Markup(
                    '<text x="{x:.1f}" y="{y}" text-anchor="middle" font-size="13" '
                    'fill="#334155">{label}</text>'
                ).format(x=LEFT + slot * (i + 0.5), y=TOP + plot_h + 18, label=label)
            )
    parts.extend(_legend(series))
    if unit:
        parts.append(
            Markup(
                '<text x="{x}" y="{y}" font-size="13" text-anchor="end" fill="#334155">{u}</text>'
            ).format(x=width - RIGHT, y=HEIGHT - 6, u=unit.strip())
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _legend(series: Sequence[Series]) -> list[Markup]:
    """The key under a chart: a swatch and the label of each series, left to right."""
    out, x = [], LEFT
    for s in series:
        out.append(
            Markup(
                '<rect x="{x}" y="{y}" width="14" height="14" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" font-size="14" fill="#0f172a">{label}</text>'
            ).format(x=x, y=HEIGHT - 18, c=s.colour, tx=x + 20, ty=HEIGHT - 6, label=s.label)
        )
        x += 28 + 9 * len(s.label)
    return out


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def colour_of(index: int, preferred: str | None = None) -> str:
    if preferred and preferred.startswith("#") and len(preferred) in (4, 7):
        return str(escape(preferred))
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True)
class Band:
    """A range of the y axis shaded behind a line chart, named at the right edge."""

    low: float
    high: float
    colour: str
    label: str


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    low: float,
    high: float,
    bands: Sequence[Band] = (),
    fmt: Callable[[float], str] = _number,
    width: int = WIDTH,
) -> Markup:
    """Points joined by lines over a fixed y range (an index on its own scale), each point
    labelled with its value when there is room; a missing value breaks the line. ``bands``
    shade ranges of y (a grade's range) and name them at the right edge."""
    band_w = 28 if bands else 0
    plot_w, plot_h = width - LEFT - RIGHT - band_w, HEIGHT - TOP - BOTTOM
    n = max(1, len(labels))
    slot = plot_w / n

    def y_of(value: float) -> float:
        clipped = min(high, max(low, value))
        return TOP + plot_h - plot_h * (clipped - low) / (high - low)

    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" '
            'xmlns="http://www.w3.org/2000/svg">'
        ).format(w=width, h=HEIGHT, t=title),
        Markup("<title>{}</title>").format(title),
    ]
    right = LEFT + plot_w
    for band in bands:
        top, bottom = y_of(band.high), y_of(band.low)
        parts.append(
            Markup(
                '<rect x="{x}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}"/>'
                '<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="14" '
                'font-weight="700" fill="#334155">{label}</text>'
            ).format(
                x=LEFT,
                y=top,
                w=plot_w + band_w,
                h=bottom - top,
                c=band.colour,
                tx=right + band_w / 2,
                ty=(top + bottom) / 2 + 5,
                label=band.label,
            )
        )
    for k in range(6):
        value = low + (high - low) * k / 5
        y = y_of(value)
        parts.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" '
                'stroke-width="1"/><text x="{tx}" y="{ty:.1f}" text-anchor="end" font-size="13" '
                'fill="#334155">{v}</text>'
            ).format(x1=LEFT, x2=right, y=y, tx=LEFT - 6, ty=y + 4, v=_number(value))
        )
    label_px = 8 * max((len(label) for label in labels), default=1) + 12
    every = max(1, -(-label_px // max(1, int(slot))))
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                Markup(
                    '<text x="{x:.1f}" y="{y}" text-anchor="middle" font-size="13" '
                    'fill="#334155">{label}</text>'
                ).format(x=LEFT + slot * (i + 0.5), y=TOP + plot_h + 18, label=label)
            )
    for s in series:
        path: list[str] = []
        pen_down = False
        for i, value in enumerate(s.values):
            if value is None:
                pen_down = False
                continue
            x, y = LEFT + slot * (i + 0.5), y_of(value)
            path.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
            pen_down = True
        if path:
            parts.append(
                Markup(
                    '<path d="{d}" fill="none" stroke="{c}" stroke-width="3" '
                    'stroke-linejoin="round"/>'
                ).format(d=" ".join(path), c=s.colour)
            )
        for i, value in enumerate(s.values):
            if value is None:
                continue
            x, y = LEFT + slot * (i + 0.5), y_of(value)
            text = fmt(value)
            parts.append(
                Markup(
                    '<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{c}">'
                    "<title>{label} · {name}: {v}</title></circle>"
                ).format(x=x, y=y, c=s.colour, label=labels[i], name=s.label, v=text)
            )
            if slot >= 8 * len(text) + 6:
                parts.append(
                    Markup(
                        '<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="13" '
                        'font-weight="700" fill="#0f172a">{v}</text>'
                    ).format(x=x, y=max(TOP + 12, y - 10), v=text)
                )
    if len(series) > 1:
        parts.extend(_legend(series))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
