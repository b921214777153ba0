"""The dashboard frame every page shares: filters, chart cards, CSV downloads, permissions."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from django.http import QueryDict
from django.test import Client

from classification.models import Document, DocumentType
from docsite.dashboards import charts, filters, views
from docsite.dashboards.pages import Page, Table

pytestmark = pytest.mark.django_db


def _fake_page(seen: list[filters.Filters]) -> Callable[[filters.Filters], Page]:
    def build(chosen: filters.Filters) -> Page:
        seen.append(chosen)
        return Page(
            charts=[
                charts.Chart(
                    id="per-day",
                    title="Per day",
                    kind="bar",
                    labels=chosen.day_labels,
                    series=[charts.Series("Documents", [1] * len(chosen.days))],
                )
            ],
            tables=[
                Table(id="failures", title="Failures", columns=["id", "why"], rows=[[7, "=cmd"]])
            ],
        )

    return build


@pytest.fixture
def fake_overview(monkeypatch: pytest.MonkeyPatch) -> list[filters.Filters]:
    seen: list[filters.Filters] = []
    module = SimpleNamespace(build=_fake_page(seen))
    monkeypatch.setattr(views, "import_module", lambda name: module)
    return seen


def test_parse_defaults_to_the_last_30_days() -> None:
    chosen = filters.parse(QueryDict(""), today=date(2026, 3, 10))
    assert (chosen.start, chosen.end) == (date(2026, 2, 9), date(2026, 3, 10))
    assert len(chosen.days) == 30 and not chosen.errors


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01", "Start must be a date"),
        ("start=2026-03-05&end=2026-03-01", "on or before end"),
        ("start=2020-01-01&end=2026-03-01", "at most 366 days"),
        ("type=no_such_type", "no document type"),
    ],
)
def test_bad_filters_are_named_and_replaced_by_the_default(query: str, message: str) -> None:
    chosen = filters.parse(QueryDict(query), today=date(2026, 3, 10))
    assert any(message in e for e in chosen.errors)
    assert chosen.end == date(2026, 3, 10) or chosen.type_name == ""


def test_type_filter_narrows_querysets() -> None:
    invoice = DocumentType.objects.get_or_create(name="invoice", defaults={"label": "Invoice"})[0]
    chosen = filters.parse(QueryDict("type=invoice"))
    assert chosen.type_id == invoice.pk and chosen.type_label == invoice.label
    assert chosen.of_type(Document.objects.all(), "document_type").count() == 0


def test_page_renders_a_canvas_per_chart_with_its_data(
    client_for: Callable[[User], Client], admin_user: User, fake_overview: list[filters.Filters]
) -> None:
    response = client_for(admin_user).get("/dashboards/?start=2026-03-01&end=2026-03-03")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="chart-per-day"' in body and "vendor/chart.umd.min.js" in body
    embedded = body.split('id="dashboard-charts" type="application/json">')[1]
    data = json.loads(embedded.split("</script>")[0])
    assert data[0]["labels"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert fake_overview[0].start == date(2026, 3, 1)


def test_bad_filter_answers_400_and_still_draws(
    client_for: Callable[[User], Client], admin_user: User, fake_overview: list[filters.Filters]
) -> None:
    response = client_for(admin_user).get("/dashboards/overview/?start=yesterday")
    assert response.status_code == 400
    assert "Start must be a date" in response.content.decode()
    assert 'id="chart-per-day"' in response.content.decode()


def test_csv_of_a_chart_and_a_table(
    client_for: Callable[[User], Client], admin_user: User, fake_overview: list[filters.Filters]
) -> None:
    client = client_for(admin_user)
    response = client.get("/dashboards/overview/?start=2026-03-01&end=2026-03-02&csv=per-day")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["label", "Documents"], ["2026-03-01", "1"], ["2026-03-02", "1"]]
    table = client.get("/dashboards/overview/?csv=failures").content.decode()
    assert table.splitlines() == ["id,why", "7,'=cmd"]
    assert client.get("/dashboards/overview/?csv=nope").status_code == 404
    assert client.get("/dashboards/nope/").status_code == 404


def test_only_admins_see_dashboards(
    client_for: Callable[[User], Client],
    labeler: User,
    uploader: User,
    fake_overview: list[filters.Filters],
) -> None:
    assert client_for(labeler).get("/dashboards/").status_code == 403
    assert client_for(uploader).get("/dashboards/overview/?csv=per-day").status_code == 403
    response = Client().get("/dashboards/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_csv_cells_that_look_like_formulas_are_quoted() -> None:
    text = charts.to_csv(["a", "b"], [["=1+1", -2.5], ["@x", None]])
    assert text.splitlines() == ["a,b", "'=1+1,-2.5", "'@x,"]


@pytest.mark.parametrize(
    ("zone", "days"),
    [("UTC", [1, 2, 0]), ("Europe/Berlin", [0, 3, 0]), ("Asia/Kolkata", [0, 2, 1])],
)
def test_counts_per_day_fall_on_local_days(settings: object, zone: str, days: list[int]) -> None:
    """SQLite groups by UTC hour and adds hours into local days; a zone with a half-hour
    offset falls back to the database's own conversion. Both must land on local days."""
    from datetime import UTC, datetime

    from django.utils import timezone as tz

    settings.TIME_ZONE = zone  # type: ignore[attr-defined]
    moments = [
        datetime(2026, 3, 1, 23, 30, tzinfo=UTC),  # Berlin: 00:30 on the 2nd
        datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 18, 45, tzinfo=UTC),  # Kolkata: 00:15 on the 3rd
    ]
    for i, moment in enumerate(moments):
        document = Document.objects.create(
            sha256=f"{i:064d}", original_name="a", original_path="a", mime_type="x", size_bytes=1
        )
        Document.objects.filter(pk=document.pk).update(processed_at=moment)
    with tz.override(zone):
        chosen = filters.parse(QueryDict("start=2026-03-01&end=2026-03-03"))
        counted = filters.figures_per_day(
            Document.objects.all(), "processed_at", chosen, {"n": Count("pk")}
        )
        assert counted["n"] == days
