"""Charts drawn by the server as inline SVG: no script, no network, readable without the page's CSS.

Pure functions from numbers to SVG markup; every label goes through `escape`, so a title can't inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 360, 160, 32, 24, 12


def histogram_bins(values: Sequence[float], bins: int = 10, low: float = 0.0, high: float = 100.0) -> list[int]:
    """Counts of `values` in `bins` equal bins over [low, high]; the top edge counts in the last bin.

    >>> histogram_bins([0, 55, 100, 100], bins=2)
    [1, 3]
    """
    counts = [0] * bins
    width = (high - low) / bins
    for v in values:
        if v is None or not math.isfinite(v) or not low <= v <= high:
            continue
        counts[min(int((v - low) / width), bins - 1)] += 1
    return counts


def _frame(title: str, body: list[str], y_max: float, y_label: str) -> Markup:
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{PAD_TOP + plot_h}" class="axis"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 4}" y2="{PAD_TOP + plot_h}" class="axis"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 4}" class="tick" text-anchor="end">{escape(_fmt(y_max))}</text>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + plot_h}" class="tick" text-anchor="end">0</text>',
        f'<text x="4" y="{PAD_TOP + plot_h / 2}" class="tick" transform="rotate(-90 10 {PAD_TOP + plot_h / 2})">'
        f"{escape(y_label)}</text>",
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def histogram_svg(values: Sequence[float], *, bins: int = 10, title: str = "Review scores") -> Markup:
    """A bar chart of how many reviews fall in each 0-100 score bin (``class="bar"`` per non-empty bar)."""
    counts = histogram_bins(values, bins)
    top = max(counts) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / bins
    body = []
    for i, count in enumerate(counts):
        x = PAD_LEFT + i * step
        lo, hi = int(i * 100 / bins), int((i + 1) * 100 / bins)
        if count:
            h = plot_h * count / top
            body.append(
                f'<rect class="bar" x="{x + 1:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{step - 2:.1f}" '
                f'height="{h:.1f}" data-count="{count}"><title>{lo}-{hi}: {count} review(s)</title></rect>'
            )
        if i % 2 == 0:
            body.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" class="tick">{lo}</text>')
    body.append(f'<text x="{WIDTH - 8}" y="{HEIGHT - 8}" class="tick" text-anchor="end">100</text>')
    return _frame(title, body, top, "reviews")


def series_svg(points: Sequence[tuple[int, float]], *, title: str = "Score per episode") -> Markup:
    """A line of the mean score per episode, (episode, 0-100 score) pairs, one ``circle.point`` per episode."""
    points = sorted((int(e), float(s)) for e, s in points if s is not None and math.isfinite(s))
    plot_w, plot_h = WIDTH - PAD_LEFT - 12, HEIGHT - PAD_BOTTOM - PAD_TOP
    if not points:
        return _frame(title, [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" class="tick">no episode scores</text>'], 100, "score")
    first, last = points[0][0], points[-1][0]
    span = max(last - first, 1)

    def xy(episode: int, score: float) -> tuple[float, float]:
        x = PAD_LEFT + 6 + (episode - first) / span * (plot_w - 6) if last != first else PAD_LEFT + plot_w / 2
        return x, PAD_TOP + plot_h - plot_h * max(0.0, min(score, 100.0)) / 100

    coords = [xy(e, s) for e, s in points]
    body = [f'<polyline class="line" fill="none" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}"/>']
    for (episode, score), (x, y) in zip(points, coords, strict=True):
        body.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" data-episode="{episode}">'
            f"<title>episode {episode}: {_fmt(score)}</title></circle>"
        )
        if len(points) <= 16 or episode in (first, last):
            body.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" class="tick" text-anchor="middle">{episode}</text>')
    return _frame(title, body, 100, "score")
