"""What a dashboard chart is: a title, x labels and series of numbers, drawn by Chart.js in
the browser (``static/js/dashboards.js``) and downloadable as CSV (its table, one row per label).

Pure data, no Django: a page module fills these from its aggregates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["line", "bar", "stacked-bar", "hbar", "doughnut", "scatter"]
Number = int | float | None


@dataclass
class Series:
    """One line or set of bars. ``values`` align with the chart's ``labels`` (``None``: no
    value there); a scatter series gives ``points`` (x, y) instead."""

    label: str
    values: list[Number] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    # Draw this series differently from the chart's kind: "line" over bars, say.
    kind: Literal["line", "bar"] | None = None
    # "y2": a second y axis on the right (e.g. counts beside shares).
    axis: Literal["y", "y2"] = "y"
    # Dashed line (targets, reference values).
    dashed: bool = False
    colour: str | None = None


@dataclass
class Chart:
    id: str  # unique on its page, [a-z0-9-]; the CSV link is ?csv=<id>
    title: str
    kind: Kind
    labels: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    description: str = ""  # one sentence: what the chart shows (aria label, hint under it)
    x_label: str = ""
    y_label: str = ""
    y2_label: str = ""
    # Shares: the axis runs 0-1 and is shown as per cent.
    percent: bool = False
    y_min: float | None = None
    y_max: float | None = None
    empty_text: str = "No data in this range."

    @property
    def empty(self) -> bool:
        if self.kind == "scatter":
            return not any(s.points for s in self.series)
        return not self.labels or not any(
            v is not None and v != 0 for s in self.series for v in s.values
        )

    def columns(self) -> list[str]:
        if self.kind == "scatter":
            return ["series", self.x_label or "x", self.y_label or "y"]
        return [self.x_label or "label", *(s.label for s in self.series)]

    def rows(self) -> list[list[Any]]:
        if self.kind == "scatter":
            return [[s.label, x, y] for s in self.series for x, y in s.points]
        return [
            [label, *(s.values[i] if i < len(s.values) else None for s in self.series)]
            for i, label in enumerate(self.labels)
        ]

    def to_json(self) -> dict[str, Any]:
        """What ``dashboards.js`` draws (see there for how each field is used)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "labels": self.labels,
            "series": [
                {
                    "label": s.label,
                    "values": s.values,
                    "points": [{"x": x, "y": y} for x, y in s.points],
                    "kind": s.kind,
                    "axis": s.axis,
                    "dashed": s.dashed,
                    "colour": s.colour,
                }
                for s in self.series
            ],
            "x_label": self.x_label,
            "y_label": self.y_label,
            "y2_label": self.y2_label,
            "percent": self.percent,
            "y_min": self.y_min,
            "y_max": self.y_max,
        }


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else _cell(value) for value in row])
    return out.getvalue()


def _cell(value: Any) -> str:
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    # A spreadsheet runs a cell that starts with = + - @ as a formula; a text cell is quoted.
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
