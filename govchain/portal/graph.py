"""Who reads from whom, drawn: departments on a circle, an arrow from reader to holder per pair.

pygal draws charts, not graphs, so this small module writes the SVG itself (no script, no
external resource; labels are XML-escaped). Nodes are departments placed evenly on a circle in
name order; an edge ``A -> B`` means A's officials recorded reads of data B holds; its width
grows with the number of reads (logarithmically) and the count is written at its middle.
A department reading its own data gets a small loop.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape as _escape


def escape(text: str) -> str:
    """XML-escaped for element text and double-quoted attributes alike (a department code may
    hold a quote: review s31 F6)."""
    return _escape(text, {'"': "&quot;"})


WIDTH, HEIGHT = 800, 520
RADIUS = 190
NODE_R = 34
FONT = "Noto Sans CJK SC, sans-serif"


def _width(count: int, most: int) -> float:
    return 1.5 + 6.5 * math.log1p(count) / math.log1p(max(most, 1))


def reads_svg(departments: list[str], reads: dict[tuple[str, str], int], title: str) -> str:
    """The graph of ``reads`` ((reader, holder) -> count) as a standalone SVG document."""
    names = sorted(set(departments) | {d for pair in reads for d in pair})
    cx, cy = WIDTH / 2, HEIGHT / 2 + 14
    at: dict[str, tuple[float, float]] = {}
    for i, name in enumerate(names):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(names), 1)
        at[name] = (cx + RADIUS * math.cos(angle), cy + RADIUS * math.sin(angle))
    most = max(reads.values(), default=1)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" '
        'markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#2b6cb0"/></marker></defs>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{cx}" y="26" text-anchor="middle" font-size="18">{escape(title)}</text>',
    ]
    for (reader, holder), count in sorted(reads.items()):
        width = _width(count, most)
        x1, y1 = at[reader]
        x2, y2 = at[holder]
        label = f"<title>{escape(reader)} → {escape(holder)}: {count}</title>"
        if reader == holder:
            dx, dy = (x1 - cx) / RADIUS, (y1 - cy) / RADIUS
            lx, ly = x1 + dx * (NODE_R + 16), y1 + dy * (NODE_R + 16)
            out.append(
                f'<g class="edge" data-from="{escape(reader)}" data-to="{escape(holder)}">'
                f"{label}"
                f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="16" fill="none" stroke="#2b6cb0" '
                f'stroke-width="{width:.1f}" stroke-opacity="0.7"/>'
                f'<text x="{lx + dx * 26:.1f}" y="{ly + dy * 26 + 5:.1f}" text-anchor="middle" '
                f'font-size="13">{count}</text></g>'
            )
            continue
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        sx, sy = x1 + ux * NODE_R, y1 + uy * NODE_R
        ex, ey = x2 - ux * (NODE_R + 4), y2 - uy * (NODE_R + 4)
        # bend to the right of the direction of travel, so A->B and B->A do not overlap
        mx, my = (sx + ex) / 2 - uy * 28, (sy + ey) / 2 + ux * 28
        out.append(
            f'<g class="edge" data-from="{escape(reader)}" data-to="{escape(holder)}">{label}'
            f'<path d="M{sx:.1f},{sy:.1f} Q{mx:.1f},{my:.1f} {ex:.1f},{ey:.1f}" fill="none" '
            f'stroke="#2b6cb0" stroke-width="{width:.1f}" stroke-opacity="0.7" '
            f'marker-end="url(#arrow)"/>'
            f'<text x="{mx:.1f}" y="{my:.1f}" text-anchor="middle" font-size="13" '
            f'fill="#1a365d">{count}</text></g>'
        )
    for name in names:
        x, y = at[name]
        out.append(
            f'<g class="node" data-department="{escape(name)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{NODE_R}" fill="#ebf4ff" stroke="#2c5282" '
            f'stroke-width="2"/><text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" '
            f'font-size="14">{escape(name)}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)
