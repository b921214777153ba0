"""The Overview dashboard: processed and failed per day and hour, status counts, the tiles,
failures with their reasons, and the worker heartbeat, each on small hand-counted fixtures."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from classification.models import Document, DocumentType, WorkerHeartbeat
from docsite.dashboards import overview
from docsite.dashboards.filters import Filters, hours
from docsite.dashboards.pages import Page, Table
from labeling.models import Task

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
_serial = itertools.count(1)
MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 3))


def _doc(
    *,
    status: str = Document.Status.CLASSIFIED,
    pages: int = 1,
    processed: datetime | None = None,
    created: datetime | None = None,
    document_type: DocumentType | None = None,
    error: str = "",
) -> Document:
    n = next(_serial)
    document = Document.objects.create(
        sha256=f"{n:064x}",
        original_name=f"scan-{n}.pdf",
        original_path=f"originals/{n}.pdf",
        mime_type="application/pdf",
        size_bytes=100,
        page_count=pages,
        status=status,
        document_type=document_type,
        error_message=error,
    )
    # created_at is auto_now_add: only an update sets it to a chosen moment.
    Document.objects.filter(pk=document.pk).update(
        processed_at=processed, created_at=created or processed or timezone.now()
    )
    return document


def _at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _chart(page: Page, ident: str) -> dict[str, list[Any]]:
    chart = next(c for c in page.charts if c.id == ident)
    return {"labels": chart.labels, **{s.label: s.values for s in chart.series}}


def _table(page: Page, ident: str) -> Table:
    return next(t for t in page.tables if t.id == ident)


def _tiles(page: Page) -> dict[str, tuple[str, str]]:
    return {label: (value, hint) for label, value, hint in page.tiles}


@pytest.fixture
def invoice() -> DocumentType:
    return DocumentType.objects.get_or_create(name="invoice", defaults={"label": "Invoice"})[0]


@pytest.fixture
def receipt() -> DocumentType:
    return DocumentType.objects.get_or_create(name="receipt", defaults={"label": "Receipt"})[0]


def test_processed_per_day_lands_on_its_day_with_pages_summed() -> None:
    _doc(pages=3, processed=_at(1, 8))
    _doc(pages=2, processed=_at(1, 23, 59))
    _doc(pages=4, processed=_at(3, 0, 1))
    _doc(status=Document.Status.FAILED, pages=0, processed=_at(3, 9), error="broken PDF")
    _doc(pages=7, processed=_at(4, 0, 0))  # the day after the range
    _doc(pages=9, processed=datetime(2026, 2, 28, 23, 59, tzinfo=UTC))  # the day before
    _doc(status=Document.Status.QUEUED, pages=0, created=_at(2))  # never processed

    page = overview.build(MARCH)

    per_day = _chart(page, "processed-per-day")
    assert per_day["labels"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert per_day["Documents"] == [2, 0, 1]
    assert per_day["Pages"] == [5, 0, 4]
    assert _chart(page, "failures-per-day")["Failures"] == [0, 0, 1]
    tiles = _tiles(page)
    assert tiles["Processed in range"] == ("3", "documents, 9 pages")
    assert tiles["Failures in range"][0] == "1"


def test_days_are_local_days(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in March
    _doc(pages=2, processed=_at(1, 23, 30))  # 00:30 on 2 March in Berlin
    _doc(pages=1, processed=datetime(2026, 2, 28, 23, 10, tzinfo=UTC))  # 00:10 on 1 March

    per_day = _chart(overview.build(MARCH), "processed-per-day")

    assert per_day["Documents"] == [1, 1, 0]
    assert per_day["Pages"] == [1, 2, 0]


def test_per_hour_over_the_last_48_hours() -> None:
    now = datetime(2026, 3, 5, 10, 20, tzinfo=UTC)
    buckets = hours(now, 48)
    documents = Document.objects.all()
    _doc(pages=2, processed=now - timedelta(minutes=5))  # 10:15, the current hour
    _doc(pages=3, processed=now - timedelta(minutes=15))  # 10:05
    _doc(pages=1, processed=now - timedelta(minutes=30))  # 09:50, the hour before
    _doc(status=Document.Status.FAILED, pages=0, processed=now - timedelta(minutes=1))
    _doc(pages=5, processed=datetime(2026, 3, 3, 11, 0, tzinfo=UTC))  # the first bucket
    _doc(pages=8, processed=datetime(2026, 3, 3, 10, 59, tzinfo=UTC))  # before it

    figures = overview.figures_per_hour(documents, "processed_at", buckets, overview.BUCKET_FIGURES)

    assert len(figures["documents"]) == 48
    assert figures["documents"][-1] == 2 and figures["pages"][-1] == 5
    assert figures["documents"][-2] == 1 and figures["pages"][-2] == 1
    assert figures["documents"][0] == 1 and figures["pages"][0] == 5
    assert figures["failures"][-1] == 1
    assert sum(figures["documents"]) == 4 and sum(figures["pages"]) == 11


def test_hourly_chart_has_48_hours_ending_now() -> None:
    _doc(pages=4, processed=timezone.now())  # in the current hour
    chart = _chart(overview.build(MARCH), "processed-per-hour")
    assert len(chart["labels"]) == 48
    assert chart["labels"][-1] == timezone.localtime().strftime("%Y-%m-%d %H:00")
    assert chart["Documents"][-1] == 1 and chart["Pages"][-1] == 4


def test_status_counts_over_documents_uploaded_in_range() -> None:
    _doc(status=Document.Status.CLASSIFIED, created=_at(1))
    _doc(status=Document.Status.CLASSIFIED, created=_at(2))
    _doc(status=Document.Status.NEEDS_REVIEW, created=_at(3))
    _doc(status=Document.Status.QUEUED, created=_at(3))
    _doc(status=Document.Status.FAILED, created=_at(2), error="x")
    _doc(status=Document.Status.CLASSIFIED, created=_at(5))  # after the range

    chart = _chart(overview.build(MARCH), "documents-by-status")

    assert chart["labels"] == ["Queued", "Processing", "Needs review", "Classified", "Failed"]
    assert chart["Documents"] == [1, 0, 1, 2, 1]


def test_type_filter_narrows_every_document_figure(
    invoice: DocumentType, receipt: DocumentType
) -> None:
    _doc(pages=2, processed=_at(1), document_type=invoice)
    _doc(pages=5, processed=_at(1), document_type=receipt)
    _doc(pages=1, processed=_at(2), document_type=receipt)
    _doc(status=Document.Status.FAILED, processed=_at(2), document_type=receipt, error="late")
    _doc(status=Document.Status.FAILED, processed=_at(3), document_type=invoice, error="odd")

    everything = overview.build(MARCH)
    invoices = overview.build(Filters(MARCH.start, MARCH.end, "invoice", "Invoice", invoice.pk))

    assert _chart(everything, "processed-per-day")["Pages"] == [7, 1, 0]
    assert _chart(invoices, "processed-per-day")["Documents"] == [1, 0, 0]
    assert _chart(invoices, "processed-per-day")["Pages"] == [2, 0, 0]
    assert _chart(invoices, "failures-per-day")["Failures"] == [0, 0, 1]
    assert _chart(invoices, "documents-by-status")["Documents"] == [0, 0, 0, 1, 1]
    assert [row[1] for row in _table(invoices, "failures").rows] == ["odd"]
    assert len(_table(everything, "failures").rows) == 2


def test_failures_table_links_each_document_with_its_reason() -> None:
    older = _doc(status=Document.Status.FAILED, processed=_at(1, 9), error="Encrypted PDF")
    newer = _doc(status=Document.Status.FAILED, processed=_at(2, 9), error="Encrypted PDF")
    silent = _doc(status=Document.Status.FAILED, processed=_at(3, 9), error="")
    ocr = _doc(status=Document.Status.FAILED, processed=_at(2, 10), error="OCR timed out")
    _doc(status=Document.Status.FAILED, processed=_at(6), error="after the range")

    page = overview.build(MARCH)

    failures = _table(page, "failures")
    assert [row[0] for row in failures.rows] == [
        f"#{d.pk} {d.original_name}" for d in (silent, ocr, newer, older)
    ]
    assert failures.links == [reverse("document", args=[d.pk]) for d in (silent, ocr, newer, older)]
    assert [row[1] for row in failures.rows] == [
        "(no reason given)",
        "OCR timed out",
        "Encrypted PDF",
        "Encrypted PDF",
    ]
    assert failures.rows[0][2] == "2026-03-03 09:00"
    reasons = _table(page, "failure-reasons")
    assert reasons.rows[0] == ["Encrypted PDF", 2, "2026-03-02 09:00"]
    assert sorted(row[0] for row in reasons.rows[1:]) == ["(no reason given)", "OCR timed out"]


def test_tiles_rate_waiting_documents_and_review_queue() -> None:
    now = timezone.now()
    _doc(pages=10, processed=now - timedelta(minutes=2))
    _doc(pages=3, processed=now - timedelta(minutes=4))
    _doc(pages=50, processed=now - timedelta(minutes=6))  # before the 5-minute window
    _doc(status=Document.Status.FAILED, pages=9, processed=now - timedelta(minutes=1), error="x")
    _doc(status=Document.Status.QUEUED, pages=0, created=now - timedelta(hours=2, minutes=5))
    _doc(status=Document.Status.PROCESSING, pages=0, created=now - timedelta(minutes=3))
    review = _doc(status=Document.Status.NEEDS_REVIEW, pages=1, processed=now)
    task = Task.objects.create(document=review)
    Task.objects.filter(pk=task.pk).update(created_at=now - timedelta(minutes=40))

    tiles = _tiles(overview.build(Filters(timezone.localdate(), timezone.localdate())))

    assert tiles["Pages per minute now"][0] == "2.8"  # (10 + 3 + 1) / 5
    assert "last 5 minutes" in tiles["Pages per minute now"][1]
    assert tiles["Waiting to be processed"] == ("2", "all types; oldest uploaded 2 h 5 min ago")
    assert tiles["Review queue"] == ("1", "all types; oldest open 40 min ago")


def test_worker_heartbeat_fresh_and_stale(settings: Any) -> None:
    settings.DOCSITE_WORKER_STALE_SECONDS = 60
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        cluster_id="a" * 32,
        name="docsite",
        host="web-1",
        pid=41,
        status="Idle",
        workers=4,
        last_seen=now - timedelta(seconds=10),
    )
    WorkerHeartbeat.objects.create(
        cluster_id="b" * 32,
        name="docsite",
        host="web-2",
        pid=42,
        status="Idle",
        workers=2,
        last_seen=now - timedelta(minutes=15),
    )
    WorkerHeartbeat.objects.create(
        cluster_id="c" * 32,
        name="docsite",
        host="web-3",
        pid=43,
        status="Stopped",  # shut down cleanly a moment ago: not a live worker
        workers=0,
        last_seen=now - timedelta(seconds=30),
    )

    page = overview.build(MARCH)

    seen = page.extra["workers"]
    assert [(w.host, w.stale) for w in seen] == [("web-1", False), ("web-3", True), ("web-2", True)]
    assert seen[2].ago == "15 min ago"
    assert [row[-1] for row in _table(page, "workers").rows] == ["alive", "stopped", "stale"]
    assert not page.alerts  # one cluster is alive


def test_alert_when_no_worker_was_ever_seen_or_all_are_stale(settings: Any) -> None:
    settings.DOCSITE_WORKER_STALE_SECONDS = 60
    page = overview.build(MARCH)
    assert page.extra["workers"] == []
    assert [a.message for a in page.alerts] == [
        "No worker has been seen: documents will wait in the queue."
    ]
    WorkerHeartbeat.objects.create(
        cluster_id="c" * 32, host="web-3", last_seen=timezone.now() - timedelta(hours=3)
    )
    alerts = overview.build(MARCH).alerts
    assert len(alerts) == 1 and alerts[0].level == "error"
    assert alerts[0].message.startswith("No running worker has been seen for 3 h:")


def test_page_renders_for_an_admin_with_every_chart_and_the_workers(
    client_for: Callable[[User], Client], admin_user: User
) -> None:
    failed = _doc(status=Document.Status.FAILED, processed=_at(2), error="Unreadable <scan>")
    WorkerHeartbeat.objects.create(
        cluster_id="d" * 32, name="docsite", host="worker-host", last_seen=timezone.now()
    )

    response = client_for(admin_user).get("/dashboards/overview/?start=2026-03-01&end=2026-03-03")

    assert response.status_code == 200
    body = response.content.decode()
    for ident in (
        "processed-per-day",
        "failures-per-day",
        "processed-per-hour",
        "documents-by-status",
    ):
        assert f'id="chart-{ident}"' in body
    for ident in ("failures", "failure-reasons", "workers"):
        assert f'id="table-{ident}"' in body
    assert 'id="workers-panel"' in body and "worker-host" in body and ">alive<" in body
    assert f'href="{reverse("document", args=[failed.pk])}"' in body
    assert "Unreadable &lt;scan&gt;" in body


def test_page_without_workers_says_so(
    client_for: Callable[[User], Client], admin_user: User
) -> None:
    body = client_for(admin_user).get("/dashboards/").content.decode()
    assert "No worker has been seen: documents will wait in the queue." in body
    assert "No worker has been seen yet" in body


def test_csv_of_a_chart_and_of_the_workers(
    client_for: Callable[[User], Client], admin_user: User
) -> None:
    _doc(pages=3, processed=_at(2, 15))
    _doc(status=Document.Status.FAILED, processed=_at(2, 16), error="=HYPERLINK()")
    client = client_for(admin_user)
    query = "/dashboards/overview/?start=2026-03-01&end=2026-03-03&csv="

    rows = list(csv.reader(io.StringIO(client.get(query + "processed-per-day").content.decode())))
    assert rows == [
        ["day", "Documents", "Pages"],
        ["2026-03-01", "0", "0"],
        ["2026-03-02", "1", "3"],
        ["2026-03-03", "0", "0"],
    ]
    reasons = client.get(query + "failure-reasons").content.decode().splitlines()
    assert reasons[1].startswith("'=HYPERLINK(),1,")
    workers = client.get(query + "workers").content.decode().splitlines()
    assert workers[0].startswith("cluster,host,pid") and len(workers) == 1


def test_duration_words() -> None:
    assert [overview.duration(s) for s in (0, 59, 60, 3599, 3600, 7500, 86400, 90000)] == [
        "0 s",
        "59 s",
        "1 min",
        "59 min",
        "1 h",
        "2 h 5 min",
        "1 d",
        "1 d 1 h",
    ]
