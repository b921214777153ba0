"""What a page module returns: its charts, tables, alerts and anything its own partial
template (``templates/dashboards/_<slug>.html``) shows above the charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docsite.dashboards.charts import Chart


@dataclass
class Table:
    """A table the page shows in full, downloadable as CSV like a chart (``?csv=<id>``).
    ``links`` (optional) holds one URL per row for the row's first cell."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    links: list[str] = field(default_factory=list)
    description: str = ""
    empty_text: str = "Nothing in this range."

    @property
    def linked_rows(self) -> list[tuple[str, list[Any]]]:
        return [
            (self.links[i] if i < len(self.links) else "", row) for i, row in enumerate(self.rows)
        ]


@dataclass
class Alert:
    level: str  # "warning" or "error"
    message: str


@dataclass
class Page:
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    # Headline figures shown as tiles at the top: (label, value as text, hint).
    tiles: list[tuple[str, str, str]] = field(default_factory=list)
    # Anything else the page's own partial template needs.
    extra: dict[str, Any] = field(default_factory=dict)

    def downloadable(self, ident: str) -> tuple[list[str], list[list[Any]]] | None:
        for chart in self.charts:
            if chart.id == ident:
                return chart.columns(), chart.rows()
        for table in self.tables:
            if table.id == ident:
                return table.columns, table.rows
        return None
