"""The document and model figures the dashboards show, each counted by the database (GROUP BY,
EXISTS), never by a Python loop over the documents. ``labeling.stats`` has the queue's.

Days are local calendar days (``TIME_ZONE``); a day without documents is listed with 0, so a
chart has one bar per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, TypedDict

from django.db import connections
from django.db.models import CharField, Count, Exists, OuterRef, QuerySet
from django.db.models.functions import Substr, TruncDate, TruncHour
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


def _whole_hour_offsets(tz: tzinfo, start: datetime, end: datetime) -> bool:
    """Whether local time is a whole number of hours from UTC at both ends of the range (true
    of UTC and of nearly every zone; not of India's +05:30, say)."""
    return all(
        (moment.astimezone(tz).utcoffset() or timedelta()).total_seconds() % 3600 == 0
        for moment in (start, end)
    )


def per_local_bucket(
    queryset: QuerySet[Any],
    field: str,
    start: datetime,
    end_before: datetime,
    figures: dict[str, Any],
    hourly: bool = False,
    by: Sequence[str] = (),
) -> dict[tuple[Any, ...], dict[str, int | float]]:
    """Additive ``figures`` (name -> Count or Sum) of the rows whose ``field`` falls in
    [``start``, ``end_before``), per local day (a ``date``) or hour (a naive local
    ``datetime``), and per value of the ``by`` fields: ``{(bucket, *by values): figures}``,
    one GROUP BY, buckets without rows left out.

    SQLite has no time zones: Django converts each row with a Python function there, which
    costs about a second per 100,000 rows. On SQLite the rows are grouped by their UTC hour
    instead (the stored text's first 13 characters, counted natively) and the hours added up
    into local days here: exact wherever local time is a whole number of hours from UTC;
    elsewhere the database's own conversion is used.
    """
    tz = timezone.get_current_timezone()
    rows = queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end_before}).order_by()
    found: dict[tuple[Any, ...], dict[str, int | float]] = {}
    if connections[rows.db].vendor == "sqlite" and _whole_hour_offsets(tz, start, end_before):
        grouped = (
            rows.annotate(bucket=Substr(field, 1, 13, output_field=CharField()))
            .values("bucket", *by)
            .annotate(**figures)
        )
        for row in grouped:
            moment = datetime.strptime(row["bucket"], "%Y-%m-%d %H").replace(tzinfo=UTC)
            local = moment.astimezone(tz)
            key = (local.replace(tzinfo=None) if hourly else local.date(), *(row[b] for b in by))
            into = found.setdefault(key, dict.fromkeys(figures, 0))
            for name in figures:
                into[name] += row[name] or 0
        return found
    trunc = TruncHour if hourly else TruncDate
    grouped = (
        rows.annotate(bucket=trunc(field, tzinfo=tz)).values("bucket", *by).annotate(**figures)
    )
    for row in grouped:
        bucket = row["bucket"]
        local_bucket = timezone.localtime(bucket, tz).replace(tzinfo=None) if hourly else bucket
        found[(local_bucket, *(row[b] for b in by))] = {n: row[n] or 0 for n in figures}
    return found


def per_day(rows: QuerySet[Any], field: str, days: int = DAYS) -> list[DayCount]:
    """``rows`` counted per local day of ``field`` over the last ``days`` days, oldest first."""
    first, start = since(days)
    end_before = timezone.make_aware(datetime.combine(first + timedelta(days=days), time.min))
    found = per_local_bucket(rows, field, start, end_before, {"n": Count("pk")})
    return [
        {"date": day.isoformat(), "count": int(found[(day,)]["n"]) if (day,) in found else 0}
        for day in (first + timedelta(days=i) for i in range(days))
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
    classified, with the model's label. A person's later quality check keeps it counted, as on
    the Automation dashboard: the model did that document alone."""
    routed = Document.objects.filter(
        status__in=(Document.Status.NEEDS_REVIEW, Document.Status.CLASSIFIED)
    )
    accepted = routed.filter(
        Exists(Label.objects.filter(document=OuterRef("pk"), provenance=Label.Provenance.AUTO)),
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
