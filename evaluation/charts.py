"""Small server-side SVG charts for the dashboard (no JavaScript, no chart library).

The drawing is 360 units wide and scales to its box (CSS width 100%), so it fits a phone's
column without sideways scrolling and the latest day, at the right edge, is always in view; at
that width its 11-unit text stays readable from about 300 px up.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .numbers import count, milliseconds, percent

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 360, 180, 44, 24, 10, 8


def _format(value: float, unit: str) -> str:
    """Values in the pages' one format (evaluation.numbers)."""
    if unit == "%":
        return percent(value)
    if unit == " ms":
        return milliseconds(value)
    return count(round(value))


def _tick(value: float, unit: str) -> str:
    """Axis labels: the same units, fewer digits."""
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit == " ms":
        return f"{value:,.0f} ms" if value >= 10 or not value else f"{value:.1f} ms"
    return f"{value:,.0f}" if value >= 10 or not value else f"{value:.1f}"


def line_chart(points: list[tuple[str, float | None]], *, title: str, unit: str = "", chart_id: str) -> SafeString:
    """An accessible line chart: <title>/<desc> name it and list its values for screen readers."""
    values = [v for _, v in points if v is not None]
    desc = "; ".join(f"{label}: {'no data' if v is None else _format(v, unit)}" for label, v in points)
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc) or "no data yet"}</desc>'
    )
    if not values:
        return mark_safe(head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No data yet</text></svg>')
    top = max(values) or 1.0
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(1, len(points) - 1)
    x = lambda i: PAD_LEFT + i * step  # noqa: E731
    y = lambda v: PAD_TOP + plot_h * (1 - v / top)  # noqa: E731
    parts = [head]
    for fraction in (0, 0.5, 1):
        gy = y(top * fraction)
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}"/>')
        parts.append(f'<text class="axis" x="{PAD_LEFT - 4}" y="{gy + 4:.1f}" text-anchor="end">{escape(_tick(top * fraction, unit))}</text>')
    segment: list[str] = []
    for i, (_, value) in enumerate(points):
        if value is None:
            if len(segment) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(value):.1f}")
        parts.append(f'<circle class="dot" cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5"/>')
    if len(segment) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
    # First, middle and latest day; the ends are anchored inwards so no label leaves the drawing.
    labels = [0, len(points) // 2, len(points) - 1] if len(points) > 2 else range(len(points))
    last = len(points) - 1
    for i in sorted(set(labels)):
        anchor = "start" if i == 0 and last else "end" if i == last and last else "middle"
        parts.append(f'<text class="axis" x="{x(i):.1f}" y="{HEIGHT - 7}" text-anchor="{anchor}">{escape(points[i][0])}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
