"""The document and model figures the dashboards show, each counted by the database (GROUP BY,
EXISTS), never by a Python loop over the documents. ``labeling.stats`` has the queue's.

Days are local calendar days (``TIME_ZONE``); a day without documents is listed with 0, so a
chart has one bar per day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from classification.models import Document, DocumentType, Label, ModelVersion

DAYS = 30


class DayCount(TypedDict):
    date: str
    count: int


class TypeCount(TypedDict):
    type: str | None
    label: str
    count: int


class AutoAccept(TypedDict):
    routed: int
    auto_accepted: int
    share: float | None


class ActiveModel(TypedDict):
    id: int
    promoted_at: str | None
    macro_f1: float | None
    ece: float | None
    accuracy: float | None
    thresholds: dict[str, Any]


def since(days: int = DAYS, today: date | None = None) -> tuple[date, datetime]:
    """The first of the last ``days`` local days, and the moment it began."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    return first, timezone.make_aware(datetime.combine(first, time.min))


def per_day(rows: QuerySet[Any], field: str, days: int = DAYS) -> list[DayCount]:
    """``rows`` counted per local day of ``field`` over the last ``days`` days, oldest first."""
    first, start = since(days)
    counted = (
        rows.filter(**{f"{field}__gte": start})
        .annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    found = {day: n for day, n in counted}
    return [
        {
            "date": (first + timedelta(days=i)).isoformat(),
            "count": found.get(first + timedelta(i), 0),
        }
        for i in range(days)
    ]


def documents_by_status() -> dict[str, int]:
    counted = dict(
        Document.objects.order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counted.get(status, 0) for status in Document.Status.values}


def documents_by_type() -> list[TypeCount]:
    """Documents per type in force, most first; ``type`` None: no type yet."""
    counted = (
        Document.objects.order_by()
        .values("document_type__name", "document_type__label")
        .annotate(n=Count("pk"))
        .order_by("-n", "document_type__name")
    )
    return [
        {
            "type": row["document_type__name"],
            "label": row["document_type__label"] or "No type",
            "count": row["n"],
        }
        for row in counted
    ]


def processed_per_day(days: int = DAYS) -> list[DayCount]:
    return per_day(Document.objects.filter(processed_at__isnull=False), "processed_at", days)


def auto_accept() -> AutoAccept:
    """Of the routed documents (waiting for review or classified), those the model accepted:
    classified, with the model's label and no person's."""
    routed = Document.objects.filter(
        status__in=(Document.Status.NEEDS_REVIEW, Document.Status.CLASSIFIED)
    )
    labels = Label.objects.filter(document=OuterRef("pk"))
    accepted = routed.filter(
        Exists(labels.filter(provenance=Label.Provenance.AUTO)),
        ~Exists(labels.human()),
        status=Document.Status.CLASSIFIED,
    )
    total, auto = routed.count(), accepted.count()
    return {"routed": total, "auto_accepted": auto, "share": auto / total if total else None}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def active_model() -> ActiveModel | None:
    version = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    if version is None:
        return None
    metrics = version.metrics if isinstance(version.metrics, dict) else {}
    thresholds = metrics.get("thresholds")
    return {
        "id": version.pk,
        "promoted_at": version.promoted_at.isoformat() if version.promoted_at else None,
        "macro_f1": _number(metrics.get("macro_f1")),
        "ece": _number(metrics.get("ece")),
        "accuracy": _number(metrics.get("accuracy")),
        "thresholds": thresholds if isinstance(thresholds, dict) else {},
    }


def active_types() -> int:
    return DocumentType.objects.filter(active=True).count()
