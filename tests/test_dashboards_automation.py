"""The Automation dashboard: routing per day, QA precision, thresholds and coverage."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Callable
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.http import QueryDict
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from classification.models import Document, DocumentType, Label, ModelVersion
from docsite.dashboards import automation, filters
from labeling.agreement import wilson
from labeling.models import Task

pytestmark = pytest.mark.django_db

_serial = itertools.count()
RANGE = "start=2026-03-01&end=2026-03-10"


def _at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour))


def _types() -> tuple[DocumentType, DocumentType]:
    invoice = DocumentType.objects.get_or_create(name="invoice", defaults={"label": "Invoice"})[0]
    receipt = DocumentType.objects.get_or_create(name="receipt", defaults={"label": "Receipt"})[0]
    return invoice, receipt


def _document(
    processed: datetime | None, status: str, document_type: DocumentType | None = None
) -> Document:
    name = f"automation-{next(_serial)}"
    return Document.objects.create(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        original_name=f"{name}.png",
        original_path=f"originals/{name}.png",
        mime_type="image/png",
        size_bytes=100,
        status=status,
        document_type=document_type,
        processed_at=processed,
    )


def _auto(processed: datetime, document_type: DocumentType) -> Document:
    document = _document(processed, Document.Status.CLASSIFIED, document_type)
    Label.objects.create(
        document=document,
        document_type=document_type,
        provenance=Label.Provenance.AUTO,
        confidence=0.99,
    )
    return document


def _filters(query: str = RANGE) -> filters.Filters:
    chosen = filters.parse(QueryDict(query))
    assert not chosen.errors
    return chosen


@pytest.fixture
def routed(admin_user: User) -> tuple[DocumentType, DocumentType]:
    """Day 1: 3 invoices auto-accepted (one checked by a person since), one document waiting
    with an invoice suggestion, one labeled receipt after review. Day 2: one invoice sent to
    review before and accepted on re-scoring, one waiting without a task yet, one labeled by
    hand with no review at all (counted nowhere). The day before the range: one auto-accepted."""
    invoice, receipt = _types()
    for _ in range(3):
        _auto(_at(1), invoice)
    checked = Document.objects.filter(labels__provenance="auto").first()
    assert checked is not None
    Label.objects.create(
        document=checked,
        document_type=invoice,
        provenance=Label.Provenance.HUMAN,
        labeled_by=admin_user,
    )
    waiting = _document(_at(1, 23), Document.Status.NEEDS_REVIEW)
    Task.objects.create(document=waiting, kind=Task.Kind.REVIEW, suggested_type=invoice)
    labeled = _document(_at(1, 0), Document.Status.CLASSIFIED, receipt)
    Label.objects.create(
        document=labeled,
        document_type=receipt,
        provenance=Label.Provenance.HUMAN,
        labeled_by=admin_user,
    )
    Task.objects.create(
        document=labeled, kind=Task.Kind.REVIEW, state=Task.State.DONE, suggested_type=invoice
    )
    rescored = _auto(_at(2), invoice)
    Task.objects.create(document=rescored, kind=Task.Kind.REVIEW, state=Task.State.CANCELLED)
    _document(_at(2), Document.Status.NEEDS_REVIEW)
    by_hand = _document(_at(2), Document.Status.CLASSIFIED, receipt)
    Label.objects.create(
        document=by_hand,
        document_type=receipt,
        provenance=Label.Provenance.HUMAN,
        labeled_by=admin_user,
    )
    _auto(_at(28, 23, month=2), invoice)
    return invoice, receipt


def test_routing_per_day_counts_auto_accepted_and_reviewed(
    routed: tuple[DocumentType, DocumentType],
) -> None:
    auto, review = automation.routing_per_day(_filters())
    assert auto == [3, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert review == [2, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    auto, review = automation.routing_per_day(_filters(RANGE + "&type=invoice"))
    # Invoices now, and the waiting document whose review task suggests an invoice.
    assert (auto[:3], review[:3]) == ([3, 1, 0], [1, 0, 0])
    auto, review = automation.routing_per_day(_filters(RANGE + "&type=receipt"))
    assert (sum(auto), review[:2]) == (0, [1, 0])


def test_page_charts_and_tiles_from_the_routing(
    routed: tuple[DocumentType, DocumentType],
) -> None:
    page = automation.build(_filters())
    charts = {chart.id: chart for chart in page.charts}
    stacked = charts["auto-vs-review"]
    assert stacked.kind == "stacked-bar" and stacked.labels[0] == "2026-03-01"
    assert [s.values[:2] for s in stacked.series] == [[3, 1], [2, 1]]
    share = charts["auto-share"]
    assert share.percent and share.series[0].values[:3] == [0.6, 0.5, None]
    tiles = {label: (value, hint) for label, value, hint in page.tiles}
    assert tiles["Auto-accepted"] == ("57.1%", "4 of 7 routed documents in the range")
    assert any("No model is active" in alert.message for alert in page.alerts)


def _qa(
    document: Document,
    completed: datetime,
    reference: DocumentType,
    agreed: bool,
    state: str = Task.State.DONE,
) -> Task:
    return Task.objects.create(
        document=document,
        kind=Task.Kind.QA,
        state=state,
        reference_type=reference,
        agreed=agreed if state == Task.State.DONE else None,
        completed_at=completed if state == Task.State.DONE else None,
    )


@pytest.fixture
def checks() -> tuple[DocumentType, DocumentType]:
    """Invoices: 9 of 10 confirmed on Sunday 1 March, 9 of 10 on Wednesday 4 March; receipts:
    2 overruled on Monday 9 March. Outside the counts: one open check, one from February."""
    invoice, receipt = _types()
    document = _document(None, Document.Status.CLASSIFIED, invoice)
    for i in range(10):
        _qa(document, _at(1, 12), invoice, agreed=i != 0)
        _qa(document, _at(4, 12), invoice, agreed=i != 0)
    for _ in range(2):
        _qa(document, _at(9, 12), receipt, agreed=False)
    _qa(document, _at(20, month=2), invoice, agreed=False)
    _qa(_document(None, Document.Status.CLASSIFIED), _at(5), invoice, True, Task.State.OPEN)
    return invoice, receipt


def test_qa_precision_in_range_and_of_a_type_with_its_wilson_interval(
    checks: tuple[DocumentType, DocumentType],
) -> None:
    invoices = automation.qa_precision(_filters(RANGE + "&type=invoice"))
    assert (invoices.checked, invoices.correct, invoices.precision) == (20, 18, 0.9)
    # Wilson at 18/20: centre 0.9960/1.1921 = 0.8356, half-width 0.1628/1.1921 = 0.1366.
    assert (invoices.low, invoices.high) == (0.699, 0.9721)
    assert (invoices.low, invoices.high) == tuple(round(v, 4) for v in wilson(18, 20))
    every = automation.qa_precision(_filters())
    assert (every.checked, every.correct) == (22, 18)
    assert every.low == round(wilson(18, 22)[0], 4)
    none = automation.qa_precision(_filters("start=2026-04-01&end=2026-04-05"))
    assert (none.checked, none.precision, none.low) == (0, None, None)


def test_qa_precision_chart_per_week_with_dashed_bounds(
    checks: tuple[DocumentType, DocumentType],
) -> None:
    page = automation.build(_filters())
    chart = next(c for c in page.charts if c.id == "qa-precision")
    assert chart.labels == ["2026-02-23", "2026-03-02", "2026-03-09"]
    series = {s.label: s for s in chart.series}
    assert series["QA precision"].values == [0.9, 0.9, 0.0]
    table = next(t for t in page.tables if t.id == "qa-weeks")
    assert [row[:3] for row in table.rows] == [
        ["2026-02-23", 10, 9],
        ["2026-03-02", 10, 9],
        ["2026-03-09", 2, 0],
    ]
    assert series["95% interval, low"].dashed and series["95% interval, high"].dashed
    assert series["95% interval, low"].values[0] == round(wilson(9, 10)[0], 4)
    assert series["95% interval, high"].values[2] == round(wilson(0, 2)[1], 4)
    assert "Target precision" not in series  # no active model: no target
    _active({"thresholds": THRESHOLDS})
    chart = next(c for c in automation.build(_filters()).charts if c.id == "qa-precision")
    target = next(s for s in chart.series if s.label == "Target precision")
    assert target.values == [0.98, 0.98, 0.98] and target.dashed
    tiles = {label: (value, hint) for label, value, hint in page.tiles}
    assert tiles["QA precision"][0] == "81.8%" and "18 of 22" in tiles["QA precision"][1]


def _active(metrics: dict[str, object]) -> ModelVersion:
    return ModelVersion.objects.create(
        state=ModelVersion.State.ACTIVE, metrics=metrics, promoted_at=timezone.now()
    )


THRESHOLDS = {
    "target_precision": 0.98,
    "global": 0.95,
    "per_class": {"invoice": 0.9123, "receipt": 1.000001, "gone": 0.97},
}


def test_thresholds_per_type_with_never_drawn_as_one() -> None:
    _types()
    version = _active({"thresholds": THRESHOLDS})
    page = automation.build(_filters())
    chart = next(c for c in page.charts if c.id == "thresholds")
    assert chart.kind == "hbar"
    assert chart.labels == ["gone", "Invoice", "Receipt"]
    assert chart.series[0].values == [0.97, 0.9123, 1.0]
    assert "98.0%" in chart.description and "never auto-accepted" in chart.description
    assert "Receipt" in chart.description.split("never auto-accepted")[1]
    table = next(t for t in page.tables if t.id == "threshold-table")
    assert table.rows[2] == ["Receipt", 1.0, "never: too few held-out labels at the target"]
    assert table.rows[1][2] == "at confidence ≥ 0.9123"
    assert f"v{version.pk}" in table.description
    assert not page.alerts
    only = automation.build(_filters(RANGE + "&type=invoice"))
    assert next(c for c in only.charts if c.id == "thresholds").labels == ["Invoice"]


def test_coverage_chart_marks_the_target_in_force_and_asks_for_a_retrain_without_it() -> None:
    coverage = [
        {"target": 0.9, "share": 0.8, "precision": 0.95},
        {"target": 0.98, "share": 0.5, "precision": 0.99},
        {"target": 0.995, "share": 0.0, "precision": None},
    ]
    version = _active({"thresholds": THRESHOLDS, "coverage": coverage})
    chart = next(c for c in automation.build(_filters()).charts if c.id == "coverage")
    assert chart.labels == ["90%", "98% (in force)", "99.5%"]
    assert [s.values for s in chart.series] == [[0.8, 0.5, 0.0], [0.95, 0.99, None]]
    assert chart.percent and not chart.empty
    version.metrics = {"thresholds": THRESHOLDS}
    version.save()
    old = next(c for c in automation.build(_filters()).charts if c.id == "coverage")
    assert old.empty and old.empty_text == automation.NO_COVERAGE


def test_page_renders_for_admin_and_serves_a_chart_as_csv(
    client_for: Callable[[User], Client],
    admin_user: User,
    labeler: User,
    routed: tuple[DocumentType, DocumentType],
) -> None:
    _active({"thresholds": THRESHOLDS})
    client = client_for(admin_user)
    response = client.get(f"/dashboards/automation/?{RANGE}")
    assert response.status_code == 200
    body = response.content.decode()
    for ident in ("auto-vs-review", "auto-share", "qa-precision", "thresholds", "coverage"):
        assert f'id="chart-{ident}"' in body
    assert "Retrain to see this" in body
    assert "target precision of 98.0%" in body and 'id="automation-model-title"' in body
    embedded = body.split('id="dashboard-charts" type="application/json">')[1]
    data = json.loads(embedded.split("</script>")[0])
    assert data[0]["labels"][0] == "2026-03-01"
    download = client.get(f"/dashboards/automation/?{RANGE}&csv=auto-vs-review")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[:3] == [
        ["Day processed", "Auto-accepted", "Sent to review"],
        ["2026-03-01", "3", "2"],
        ["2026-03-02", "1", "1"],
    ]
    assert len(rows) == 11
    assert client_for(labeler).get("/dashboards/automation/").status_code == 403


def test_without_a_model_the_page_renders_and_says_everything_goes_to_review(
    client_for: Callable[[User], Client], admin_user: User
) -> None:
    response = client_for(admin_user).get("/dashboards/automation/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "every processed document goes to review" in body
    assert automation.NO_MODEL in body


def test_the_page_is_built_in_a_bounded_number_of_queries(
    routed: tuple[DocumentType, DocumentType],
    checks: tuple[DocumentType, DocumentType],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _active({"thresholds": THRESHOLDS})
    with django_assert_max_num_queries(6):
        automation.build(_filters())
