"""The Overview dashboard: how much the pipeline processed (per day in the range, per hour over
the last two days), what is waiting (documents to process, the review queue), what failed and
why, and whether a django-q2 worker is alive to do the work.

A handful of GROUP BY queries whatever the number of documents: one per chart, one for the
tiles of each kind, the latest 50 failures and the top 10 failure reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from classification import workers as heartbeat
from classification.models import Document
from classification.workers import STOPPED
from docsite.dashboards.charts import Chart, Series
from docsite.dashboards.filters import Filters, figures_per_day, figures_per_hour, hours
from docsite.dashboards.pages import Alert, Page, Table
from labeling.stats import queue_figures

# "Pages per minute now" averages over this many minutes (short enough to be "now", long
# enough that one large document does not make it jump).
RATE_MINUTES = 5
HOURS = 48
FAILURES_SHOWN = 50
REASONS_SHOWN = 10
# Clusters listed at most (old rows of long-gone clusters stay in the table).
WORKERS_SHOWN = 50

FAILED = Document.Status.FAILED
WAITING = (Document.Status.QUEUED, Document.Status.PROCESSING)
# Per bucket: documents processed without failing, their pages, and failures.
BUCKET_FIGURES: dict[str, Any] = {
    "documents": Count("pk", filter=~Q(status=FAILED)),
    "pages": Coalesce(Sum("page_count", filter=~Q(status=FAILED)), 0),
    "failures": Count("pk", filter=Q(status=FAILED)),
}


@dataclass(frozen=True)
class Worker:
    """One django-q2 cluster as its last heartbeat left it."""

    name: str
    cluster_id: str
    host: str
    pid: int | None
    status: str
    workers: int
    started_at: str
    last_seen: str  # local time
    seconds_ago: int
    ago: str  # "12 s ago"
    stale: bool  # not heard from for DOCSITE_WORKER_STALE_SECONDS, or stopped

    @property
    def state(self) -> str:
        if self.status == STOPPED:
            return "stopped"
        return "stale" if self.stale else "alive"


def duration(seconds: float) -> str:
    """A short age in words ("40 s", "5 min", "3 h 10 min", "2 d 4 h") for tiles and worker
    rows, where an exact timestamp would need arithmetic to read."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours_, minutes = divmod(minutes, 60)
    if hours_ < 24:
        return f"{hours_} h {minutes} min" if minutes else f"{hours_} h"
    days, hours_ = divmod(hours_, 24)
    return f"{days} d {hours_} h" if hours_ else f"{days} d"


def local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def workers(now: datetime) -> list[Worker]:
    """Every cluster seen, the most recent first, each marked stale when its last heartbeat
    is older than ``DOCSITE_WORKER_STALE_SECONDS``."""
    stale_after = settings.DOCSITE_WORKER_STALE_SECONDS
    found = []
    for beat in heartbeat.clusters(WORKERS_SHOWN):
        seconds = max(0, int((now - beat.last_seen).total_seconds()))
        found.append(
            Worker(
                name=beat.name or "cluster",
                cluster_id=beat.cluster_id,
                host=beat.host,
                pid=beat.pid,
                status=beat.status,
                workers=beat.workers,
                started_at=local(beat.started_at),
                last_seen=local(beat.last_seen),
                seconds_ago=seconds,
                ago=f"{duration(seconds)} ago",
                stale=seconds > stale_after or beat.status == STOPPED,
            )
        )
    return found


def build(filters: Filters) -> Page:
    now = timezone.now()
    documents = filters.of_type(Document.objects.all(), "document_type")
    page = Page()

    # Processed and failed per day: one GROUP BY on the moment processing ended.
    per_day = figures_per_day(
        documents.filter(processed_at__isnull=False), "processed_at", filters, BUCKET_FIGURES
    )
    page.charts.append(
        Chart(
            id="processed-per-day",
            title="Documents and pages processed per day",
            kind="bar",
            labels=filters.day_labels,
            series=[
                Series("Documents", list(per_day["documents"])),
                Series("Pages", list(per_day["pages"]), kind="line", axis="y2"),
            ],
            description="Documents whose processing ended that day without failing (bars) "
            "and their pages (line, right axis).",
            x_label="day",
            y_label="documents",
            y2_label="pages",
        )
    )
    page.charts.append(
        Chart(
            id="failures-per-day",
            title="Failures per day",
            kind="bar",
            labels=filters.day_labels,
            series=[Series("Failures", list(per_day["failures"]), colour="#d92d20")],
            description="Documents whose processing failed that day (the reasons are below).",
            x_label="day",
            y_label="documents",
            empty_text="No document failed in this range.",
        )
    )

    buckets = hours(now, HOURS)
    per_hour = figures_per_hour(
        documents.filter(processed_at__isnull=False), "processed_at", buckets, BUCKET_FIGURES
    )
    page.charts.append(
        Chart(
            id="processed-per-hour",
            title=f"Processed per hour, last {HOURS} hours",
            kind="line",
            labels=[hour.strftime("%Y-%m-%d %H:00") for hour in buckets],
            series=[
                Series("Documents", list(per_hour["documents"])),
                Series("Pages", list(per_hour["pages"]), axis="y2"),
            ],
            description=f"Documents processed without failing and their pages, per hour over "
            f"the last {HOURS} hours whatever the date range.",
            x_label="hour",
            y_label="documents",
            y2_label="pages",
            empty_text=f"Nothing was processed in the last {HOURS} hours.",
        )
    )

    by_status = dict(
        filters.in_range(documents, "created_at")
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    page.charts.append(
        Chart(
            id="documents-by-status",
            title="Documents by status",
            kind="doughnut",
            labels=[label for _, label in Document.Status.choices],
            series=[
                Series("Documents", [by_status.get(value, 0) for value in Document.Status.values])
            ],
            description="Where the documents uploaded in the range stand now.",
            x_label="status",
            empty_text="No document was uploaded in this range.",
        )
    )

    # Tiles. What is waiting has no type yet, and the review queue is shared: both count
    # every type; the rate and the range's totals follow the type filter.
    recent_pages = (
        documents.filter(
            processed_at__gte=now - timedelta(minutes=RATE_MINUTES), processed_at__lte=now
        )
        .exclude(status=FAILED)
        .aggregate(pages=Coalesce(Sum("page_count"), 0))["pages"]
    )
    waiting = Document.objects.filter(status__in=WAITING).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )
    queue = queue_figures(now)
    failures = sum(per_day["failures"])
    page.tiles = [
        (
            "Pages per minute now",
            f"{recent_pages / RATE_MINUTES:.1f}",
            f"pages processed in the last {RATE_MINUTES} minutes, divided by {RATE_MINUTES}",
        ),
        (
            "Processed in range",
            f"{sum(per_day['documents'])}",
            f"documents, {sum(per_day['pages'])} pages",
        ),
        (
            "Waiting to be processed",
            str(waiting["n"]),
            f"all types; oldest uploaded {duration((now - waiting['oldest']).total_seconds())} ago"
            if waiting["oldest"]
            else "all types; nothing waiting",
        ),
        (
            "Review queue",
            str(queue["depth"]),
            f"all types; oldest open {duration(queue['oldest_waiting_seconds'])} ago"
            if queue["oldest_waiting_seconds"] is not None
            else "all types; nothing open",
        ),
        ("Failures in range", str(failures), "documents whose processing failed"),
    ]

    failed = filters.in_range(documents.filter(status=FAILED), "processed_at")
    latest = list(
        failed.order_by("-processed_at", "-pk").values_list(
            "pk", "original_name", "error_message", "processed_at", "attempts"
        )[:FAILURES_SHOWN]
    )
    page.tables.append(
        Table(
            id="failures",
            title="Latest failures",
            columns=["document", "reason", "failed at", "attempts"],
            rows=[
                [f"#{pk} {name}", reason or "(no reason given)", local(at), attempts]
                for pk, name, reason, at, attempts in latest
            ],
            links=[reverse("document", args=[row[0]]) for row in latest],
            description=f"The latest {FAILURES_SHOWN} documents whose processing failed in "
            "the range, newest first.",
            empty_text="No document failed in this range.",
        )
    )
    reasons = (
        failed.order_by()
        .values("error_message")
        .annotate(n=Count("pk"), last=Max("processed_at"))
        .order_by("-n", "-last")
        .values_list("error_message", "n", "last")[:REASONS_SHOWN]
    )
    page.tables.append(
        Table(
            id="failure-reasons",
            title="Failure reasons",
            columns=["reason", "documents", "last failed at"],
            rows=[[reason or "(no reason given)", n, local(last)] for reason, n, last in reasons],
            description=f"The {REASONS_SHOWN} most frequent reasons in the range.",
            empty_text="No document failed in this range.",
        )
    )

    seen = workers(now)
    page.extra["workers"] = seen
    page.extra["worker_stale_seconds"] = settings.DOCSITE_WORKER_STALE_SECONDS
    page.tables.append(
        Table(
            id="workers",
            title="Worker heartbeat",
            columns=[
                "cluster",
                "host",
                "pid",
                "status",
                "workers",
                "started at",
                "last seen",
                "seconds ago",
                "state",
            ],
            rows=[
                [
                    w.name,
                    w.host,
                    w.pid,
                    w.status,
                    w.workers,
                    w.started_at,
                    w.last_seen,
                    w.seconds_ago,
                    w.state,
                ]
                for w in seen
            ],
            description="Each django-q2 cluster's last heartbeat; stale after "
            f"{settings.DOCSITE_WORKER_STALE_SECONDS} s without one.",
            empty_text="No worker has been seen.",
        )
    )
    if not seen:
        page.alerts.append(
            Alert("error", "No worker has been seen: documents will wait in the queue.")
        )
    elif all(w.stale for w in seen):
        page.alerts.append(
            Alert(
                "error",
                f"No running worker has been seen for {duration(seen[0].seconds_ago)}: "
                "documents will wait in the queue until one runs again.",
            )
        )
    return page
