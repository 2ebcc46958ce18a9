"""Small server-side SVG charts (no CDN reaches the village): horizontal bars and goal bars."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

GREEN, GREY, RED = "#2f7d32", "#d9e2d6", "#b3261e"


def bars(rows: Sequence[tuple[str, int, str]], *, title: str, width: int = 340) -> Markup:
    """One bar per (label, value, text shown); bars scale to the largest value."""
    top = max((v for _, v, _ in rows), default=0) or 1
    line, label_w, bar_w = 30, 96, width - 96 - 70
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {line * len(rows) + 8}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for n, (label, value, text) in enumerate(rows):
        y = n * line + 4
        w = max(0, round(bar_w * value / top))
        parts.append(
            f'<text x="0" y="{y + 18}" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" rx="4" fill="{GREY}"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="18" rx="4" fill="{GREEN}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 18}" font-size="13">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def goal(value: int, target: int, *, title: str, text: str, width: int = 340) -> Markup:
    """Progress towards a goal; the bar turns red while below it, the mark shows the goal."""
    scale = max(value, target, 1) * 1.1
    w, mark = round((width - 4) * value / scale), round((width - 4) * target / scale)
    colour = GREEN if value >= target else RED
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} 46" role="img" aria-label="{escape(title)}：{escape(text)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<rect x="2" y="4" width="{width - 4}" height="20" rx="5" fill="{GREY}"/>'
        f'<rect x="2" y="4" width="{w}" height="20" rx="5" fill="{colour}"/>'
        f'<line x1="{mark + 2}" y1="0" x2="{mark + 2}" y2="28" stroke="#1d2a1f" stroke-width="2"/>'
        f'<text x="2" y="42" font-size="13">{escape(text)}</text></svg>'
    )
