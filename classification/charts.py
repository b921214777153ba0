"""Charts for the model pages, drawn on the server: SVG markup and table shading, no JavaScript.

Pure functions of a model version's metrics. Every piece of text put into the markup is
escaped here, so the returned SVG can be inserted into a page as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

# Drawing area of the reliability diagram, in SVG user units (the SVG scales to its box).
WIDTH, HEIGHT = 480, 380
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 44, 56
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _num(value: float) -> str:
    """A coordinate with two decimals and no trailing zeros: small, stable markup."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _x(value: float) -> float:
    return LEFT + max(0.0, min(1.0, value)) * PLOT_W


def _y(value: float) -> float:
    return TOP + PLOT_H - max(0.0, min(1.0, value)) * PLOT_H


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


def filled_bins(reliability: Sequence[Mapping[str, Any]] | None) -> list[Bin]:
    """The bins that hold at least one item, skipping malformed rows instead of failing."""
    bins = []
    for row in reliability or []:
        if not isinstance(row, Mapping):
            continue
        low, high = _float(row.get("low")), _float(row.get("high"))
        confidence, accuracy = _float(row.get("confidence")), _float(row.get("accuracy"))
        count = row.get("count")
        if not isinstance(count, int) or count <= 0:
            continue
        if low is None or high is None or confidence is None or accuracy is None:
            continue
        bins.append(Bin(low, high, count, confidence, accuracy))
    return bins


def _title(ece: float | None, ece_before: float | None) -> str:
    if ece is None:
        return "Reliability diagram"
    text = f"Reliability · ECE {ece:.3f}"
    if ece_before is not None:
        text += f" ({ece_before:.3f} before calibration)"
    return text


def _description(bins: list[Bin]) -> str:
    if not bins:
        return "No validation items: nothing to plot."
    parts = [
        f"confidence {b.low:.2f} to {b.high:.2f}: {b.count} items, "
        f"accuracy {b.accuracy:.2f}, mean confidence {b.confidence:.2f}"
        for b in bins
    ]
    return (
        "Accuracy of the validation items in each confidence bin, against the diagonal of "
        "perfect calibration. " + "; ".join(parts) + "."
    )


def _axes() -> list[str]:
    parts = [
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}"/>',
    ]
    for tick in TICKS:
        x, y = _num(_x(tick)), _num(_y(tick))
        label = f"{tick:g}"
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{LEFT + PLOT_W}" y2="{y}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle">{label}</text>'
            f'<text class="tick" x="{x}" y="{TOP + PLOT_H + 16}" '
            f'text-anchor="middle">{label}</text>'
        )
    parts.append(
        f'<text class="axis-label" x="{_num(LEFT + PLOT_W / 2)}" y="{HEIGHT - 10}" '
        'text-anchor="middle">Confidence (calibrated)</text>'
        f'<text class="axis-label" x="14" y="{_num(TOP + PLOT_H / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_num(TOP + PLOT_H / 2)})">Accuracy</text>'
    )
    return parts


def _bar(b: Bin) -> str:
    x0, x1 = _x(b.low), _x(b.high)
    top, base = _y(b.accuracy), _y(0.0)
    tip = (
        f"{b.low:.2f} to {b.high:.2f}: {b.count} items, accuracy {b.accuracy:.2f}, "
        f"mean confidence {b.confidence:.2f}"
    )
    width = max(x1 - x0 - 2, 1)
    return (
        f'<g class="bin"><rect class="bar" x="{_num(x0 + 1)}" y="{_num(top)}" '
        f'width="{_num(width)}" height="{_num(base - top)}"><title>{escape(tip)}</title></rect>'
        f'<line class="mean" x1="{_num(x0 + 1)}" y1="{_num(_y(b.confidence))}" '
        f'x2="{_num(x0 + 1 + width)}" y2="{_num(_y(b.confidence))}"/>'
        f'<text class="count" x="{_num((x0 + x1) / 2)}" y="{_num(top - 4)}" '
        f'text-anchor="middle">{b.count}</text></g>'
    )


def reliability_svg(
    reliability: Sequence[Mapping[str, Any]] | None,
    ece: float | None = None,
    ece_before: float | None = None,
    element_id: str = "reliability",
) -> str:
    """A reliability diagram: one bar per non-empty confidence bin, its height the accuracy.

    The diagonal is perfect calibration; a thin line across each bar marks the bin's mean
    confidence, and the number above it is how many validation items the bin holds.
    """
    bins = filled_bins(reliability)
    title = _title(_float(ece), _float(ece_before))
    ident = escape(element_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart reliability" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'aria-describedby="{ident}-desc">',
        f"<title>{escape(title)}</title>",
        f'<desc id="{ident}-desc">{escape(_description(bins))}</desc>',
        f'<text class="chart-title" x="{LEFT}" y="22">{escape(title)}</text>',
        *_axes(),
        f'<line class="diagonal" x1="{_num(_x(0))}" y1="{_num(_y(0))}" '
        f'x2="{_num(_x(1))}" y2="{_num(_y(1))}"/>',
    ]
    parts.extend(_bar(b) for b in bins)
    if not bins:
        parts.append(
            f'<text class="no-data" x="{_num(LEFT + PLOT_W / 2)}" y="{_num(TOP + PLOT_H / 2)}" '
            'text-anchor="middle">No validation data</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Cell:
    count: int
    share: float  # of the row (the true type's items)
    diagonal: bool

    @property
    def style(self) -> str:
        """Background shading: green on the diagonal, red off it, stronger for a bigger share."""
        if self.count == 0:
            return ""
        alpha = 0.12 + 0.7 * self.share
        colour = "6, 118, 71" if self.diagonal else "180, 35, 24"
        ink = "color: #fff; " if alpha > 0.5 else ""
        return f"{ink}background-color: rgba({colour}, {alpha:.2f})"


def confusion_cells(matrix: Sequence[Sequence[Any]] | None) -> list[list[Cell]]:
    """The confusion matrix (true rows, predicted columns) with each cell's share of its row."""
    rows = []
    for i, row in enumerate(matrix or []):
        counts = [int(c) if isinstance(c, int | float) else 0 for c in row]
        total = sum(counts)
        rows.append(
            [
                Cell(count, count / total if total else 0.0, diagonal=i == j)
                for j, count in enumerate(counts)
            ]
        )
    return rows
