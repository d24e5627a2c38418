"""Charts drawn on the server as inline SVG: no chart library, no script, prints as it shows.

Each tag computes the geometry in Python and hands plain numbers to a small SVG template. Every
bar carries a ``<title>`` (the exact figure on hover) and the chart an ``aria-label``; the figures
are also in the tables beside the charts, for those who would rather read than look.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import template

from .ui import percent, yuan

register = template.Library()

LABEL_WIDTH = 96
VALUE_WIDTH = 70
BAR = 16
GAP = 7


def _n(value: float | Decimal) -> str:
    """An SVG coordinate as text, never localised (a decimal comma would break the drawing)."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _fmt(value: Any, kind: str) -> str:
    if kind == "yuan":
        return yuan(value)
    if kind == "percent":
        return percent(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.inclusion_tag("charts/stacked_bars.html")
def stacked_bars(
    rows: Sequence[Mapping[str, Any]],
    series: Sequence[tuple[str, Any]],
    width: int = 640,
    kind: str = "int",
    normalise: bool = False,
    title: str = "",
    marker: Any = None,
) -> dict[str, Any]:
    """Horizontal stacked bars, one per row.

    ``rows``: ``{"label", "values": {series key: number}, "url" (optional)}``. ``series``: (key,
    label) pairs in stacking order; CSS class ``seg-<key>`` colours a segment. ``normalise``: every
    bar is 100% wide (shares); otherwise bars share one scale, the largest total (or ``marker``, a
    budget line, when larger). ``kind`` formats the figures: int, yuan or percent.
    """
    plot = width - LABEL_WIDTH - VALUE_WIDTH
    totals = [
        sum(Decimal(str(row["values"].get(key, 0) or 0)) for key, _label in series) for row in rows
    ]
    scale_max = max(
        [*totals, Decimal(str(marker)) if marker is not None else Decimal(0), Decimal(0)]
    )
    bars = []
    for index, (row, total) in enumerate(zip(rows, totals, strict=True)):
        y = index * (BAR + GAP)
        denominator = total if normalise else scale_max
        x = Decimal(LABEL_WIDTH)
        segments = []
        for key, label in series:
            value = Decimal(str(row["values"].get(key, 0) or 0))
            if not value or not denominator:
                continue
            w = Decimal(plot) * value / denominator
            share = value / total if total else Decimal(0)
            segments.append(
                {
                    "key": key,
                    "x": _n(x),
                    "w": _n(w),
                    "title": f"{row['label']} · {label}: {_fmt(row['values'].get(key, 0), kind)} ({percent(share)})",
                }
            )
            x += w
        bars.append(
            {
                "label": row["label"],
                "url": row.get("url", ""),
                "y": y,
                "text_y": y + BAR - 4,
                "segments": segments,
                "total": _fmt(total if kind != "int" else int(total), kind),
                "end": _n(x + 5),
            }
        )
    height = max(len(rows) * (BAR + GAP) - GAP, BAR) + 4
    marker_x = None
    if marker is not None and scale_max and not normalise:
        marker_x = _n(LABEL_WIDTH + plot * float(Decimal(str(marker)) / scale_max))
    return {
        "bars": bars,
        "series": series,
        "width": width,
        "height": height,
        "bar_h": BAR,
        "label_x": LABEL_WIDTH - 6,
        "plot_x": LABEL_WIDTH,
        "title": title,
        "marker_x": marker_x,
        "marker_label": _fmt(marker, kind) if marker is not None else "",
    }


@register.inclusion_tag("charts/share_bars.html")
def share_bars(
    rows: Sequence[Mapping[str, Any]],
    width: int = 640,
    title: str = "",
    good: float = 0.8,
    fair: float = 0.5,
) -> dict[str, Any]:
    """One bar per row for a share between 0 and 1: green from ``good``, amber from ``fair``, red
    below; a grey track shows the whole. ``rows``: ``{"label", "share" (None when unknown),
    "detail" (the counts, for the hover title)}``."""
    plot = width - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for index, row in enumerate(rows):
        share = row.get("share")
        y = index * (BAR + GAP)
        tone = "track"
        w = 0.0
        if share is not None:
            value = float(share)
            w = plot * max(0.0, min(1.0, value))
            tone = "ok" if value >= good else "warn" if value >= fair else "bad"
        bars.append(
            {
                "label": row["label"],
                "y": y,
                "text_y": y + BAR - 4,
                "w": _n(w) if w else "",
                "tone": tone,
                "text": percent(share) if share is not None else "—",
                "title": f"{row['label']}: {percent(share, 1) if share is not None else '—'} {row.get('detail', '')}".strip(),
            }
        )
    height = max(len(rows) * (BAR + GAP) - GAP, BAR) + 4
    ticks = [
        {"x": _n(LABEL_WIDTH + plot * t), "label": f"{int(t * 100)}%"}
        for t in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "plot": plot,
        "bar_h": BAR,
        "label_x": LABEL_WIDTH - 6,
        "plot_x": LABEL_WIDTH,
        "value_x": LABEL_WIDTH + plot + 6,
        "ticks": ticks,
        "title": title,
    }
