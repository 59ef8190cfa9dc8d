"""Charts of the report as vector SVG strings, drawn on the server: sharp in the PDF, no
JavaScript in the page.

Only presentation attributes (``fill``, ``font-size``…), never a ``style`` attribute: the
page's Content-Security-Policy forbids inline styles, and WeasyPrint reads both. Every text
is XML-escaped (labels may come from data, e.g. a country name).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

FONT = "DejaVu Sans, Verdana, sans-serif"
BAR_COLOUR = "#2f5d8a"
MUTED_COLOUR = "#9aa5b1"
TEXT_COLOUR = "#222222"
LABEL_CHARS = 44


def _fr_int(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _percent(part: int, total: int) -> str:
    if not total:
        return ""
    share = round(100 * part / total)
    return f" ({share}\u00a0%)"


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bar_chart(
    items: list[tuple[str, int]],
    *,
    title: str,
    width: int = 640,
    label_width: int = 260,
    row_height: int = 20,
    muted: tuple[str, ...] = (),
    fluid: bool = False,
) -> str:
    """A horizontal bar chart: one bar per (label, count), with the count and its share.

    ``muted`` labels (e.g. « non renseigné ») are drawn grey. Without any count above 0 the
    chart says so instead of drawing empty bars. ``fluid``: as wide as its container (web
    page); else ``width`` pixels (PDF).
    """
    total = sum(count for _, count in items)
    value_width = 80
    bar_space = width - label_width - value_width - 10
    top = 6
    height = top + max(len(items), 1) * row_height + 6
    size = 'width="100%"' if fluid else f'width="{width}" height="{height}"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" {size} '
        f'viewBox="0 0 {width} {height}" aria-label={quoteattr(title)} '
        f'font-family="{FONT}" font-size="10" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    if not total:
        parts.append(
            f'<text x="0" y="{top + 12}" fill="{TEXT_COLOUR}">Aucune donnée sur la période.</text>'
        )
        parts.append("</svg>")
        return "".join(parts)
    largest = max(count for _, count in items) or 1
    for index, (label, count) in enumerate(items):
        y = top + index * row_height
        bar = round(bar_space * count / largest, 1) if count else 0
        colour = MUTED_COLOUR if label in muted else BAR_COLOUR
        text_y = y + row_height / 2 + 3.5
        parts.append(
            f'<text x="{label_width - 6}" y="{text_y}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}">{escape(_short(label))}</text>'
        )
        if bar:
            parts.append(
                f'<rect x="{label_width}" y="{y + 3}" width="{bar}" height="{row_height - 6}" '
                f'fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{label_width + bar + 4}" y="{text_y}" fill="{TEXT_COLOUR}">'
            f"{_fr_int(count)}{_percent(count, total)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def top_items(
    items: list[tuple[str, int]], *, keep: int, others_label: str, last: tuple[str, ...] = ()
) -> list[tuple[str, int]]:
    """The ``keep`` largest items (zeros dropped), the rest summed under ``others_label``;
    items whose label is in ``last`` (« non renseigné ») stay apart, at the end."""
    tail = [(label, count) for label, count in items if label in last and count]
    body = sorted(
        ((label, count) for label, count in items if label not in last and count),
        key=lambda item: (-item[1], item[0]),
    )
    if len(body) > keep:
        rest = sum(count for _, count in body[keep - 1 :])
        body = [*body[: keep - 1], (others_label, rest)]
    return body + tail
