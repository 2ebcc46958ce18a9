"""Small inline SVG charts drawn on the server (no CDN is reachable from the village)."""

from __future__ import annotations

from markupsafe import Markup, escape

from caoyuan.money import format_fen


def bar_chart(bars: list[tuple[str, int]], *, width: int = 340, height: int = 180, title: str = "") -> Markup:
    """Vertical bars of fen amounts, labelled with the amount in 元 and the category below."""
    if not bars:
        return Markup("")
    top = max(max(v for _, v in bars), 1)
    pad, base = 8, height - 28
    slot = (width - 2 * pad) / len(bars)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#b9c4b6"/>',
    ]
    for i, (label, value) in enumerate(bars):
        h = (base - 24) * max(value, 0) / top
        bar = min(slot * 0.6, 64)
        x = pad + i * slot + (slot - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'rx="3" fill="#2f7d32"><title>{escape(label)}：{format_fen(value)}</title></rect>'
        )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base - h - 6:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#1d2a1f">{escape(format_fen(value).removesuffix(".00"))}</text>'
        )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base + 18}" font-size="12" text-anchor="middle" '
            f'fill="#5f6b61">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
