"""The filter every dashboard page takes: a date range (local calendar days, both ends
included) and optionally one document type, read from the query string and checked.

``figures_per_day`` / ``figures_per_hour`` aggregate rows per bucket in the database (one GROUP
BY, ``classification.stats.per_local_bucket``) and return one number per bucket of the range,
0 where nothing happened, so a chart has one point per day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from classification import stats
from classification.models import DocumentType

DEFAULT_DAYS = 30
MAX_DAYS = 366


class FilterError(ValueError):
    """A filter value people can fix; the message says how."""


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # included
    type_name: str = ""  # "" = every type
    type_label: str = ""
    type_id: int | None = None
    errors: tuple[str, ...] = field(default=())

    @property
    def start_at(self) -> datetime:
        """The moment the range begins (aware, local midnight of ``start``)."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_before(self) -> datetime:
        """The moment after the range (local midnight after ``end``): filter with ``__lt``."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def day_labels(self) -> list[str]:
        return [day.isoformat() for day in self.days]

    def in_range(self, queryset: QuerySet[Any], field_name: str) -> QuerySet[Any]:
        return queryset.filter(
            **{f"{field_name}__gte": self.start_at, f"{field_name}__lt": self.end_before}
        )

    def of_type(self, queryset: QuerySet[Any], field_name: str) -> QuerySet[Any]:
        """``queryset`` narrowed to the chosen type (``field_name`` is a DocumentType FK)."""
        if self.type_id is None:
            return queryset
        return queryset.filter(**{f"{field_name}_id": self.type_id})

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}:{self.end.isoformat()}:{self.type_name}"

    def query(self, **extra: str) -> str:
        """The query string of these filters (plus ``extra``), for links and CSV downloads."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.type_name:
            params["type"] = self.type_name
        params.update(extra)
        return urlencode(params)


def _date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"{name} must be a date as YYYY-MM-DD, not {raw[:40]!r}.") from None


def parse(params: QueryDict, today: date | None = None) -> Filters:
    """The filters in ``params``; a value that is wrong is replaced by the default and named
    in ``errors`` (the page shows it and answers 400), so the page still draws."""
    today = today or timezone.localdate()
    errors: list[str] = []
    end, start = today, today - timedelta(days=DEFAULT_DAYS - 1)
    raw_start, raw_end = params.get("start", "").strip(), params.get("end", "").strip()
    try:
        if raw_end:
            end = _date(raw_end, "End")
        if raw_start:
            start = _date(raw_start, "Start")
        elif raw_end:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise FilterError("Start must be on or before end.")
        if (end - start).days + 1 > MAX_DAYS:
            raise FilterError(f"A range may span at most {MAX_DAYS} days.")
    except FilterError as exc:
        errors.append(str(exc))
        end, start = today, today - timedelta(days=DEFAULT_DAYS - 1)
    type_name = params.get("type", "").strip()
    type_label, type_id = "", None
    if type_name:
        found = DocumentType.objects.filter(name=type_name).values_list("pk", "label").first()
        if found is None:
            errors.append(f"There is no document type {type_name[:60]!r}.")
            type_name = ""
        else:
            type_id, type_label = found
    return Filters(start, end, type_name, type_label, type_id, tuple(errors))


def figures_per_day(
    queryset: QuerySet[Any], field_name: str, filters: Filters, figures: dict[str, Any]
) -> dict[str, list[int | float]]:
    """Additive ``figures`` (name -> Count/Sum) per local day of ``field_name`` across the
    range in one GROUP BY: one list per figure, oldest day first, 0 where nothing happened."""
    found = stats.per_local_bucket(
        queryset, field_name, filters.start_at, filters.end_before, figures
    )
    return {
        name: [found[(day,)][name] if (day,) in found else 0 for day in filters.days]
        for name in figures
    }


def hours(now: datetime | None = None, count: int = 48) -> list[datetime]:
    """The last ``count`` whole local hours, oldest first, the current one last."""
    now = timezone.localtime(now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    return [now - timedelta(hours=count - 1 - i) for i in range(count)]


def figures_per_hour(
    queryset: QuerySet[Any], field_name: str, buckets: list[datetime], figures: dict[str, Any]
) -> dict[str, list[int | float]]:
    """Additive ``figures`` per local hour of ``field_name`` for each hour in ``buckets``."""
    if not buckets:
        return {name: [] for name in figures}
    found = stats.per_local_bucket(
        queryset, field_name, buckets[0], buckets[-1] + timedelta(hours=1), figures, hourly=True
    )
    keys = [(timezone.localtime(hour).replace(tzinfo=None),) for hour in buckets]
    return {name: [found[k][name] if k in found else 0 for k in keys] for name in figures}
