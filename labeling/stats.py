"""The queue's figures for the dashboards, counted by the database: open tasks per kind, how
long the oldest has waited, and people's labels per day (``classification.stats.per_day``)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.db.models import Count, Min
from django.utils import timezone

from classification import stats
from classification.models import Label
from labeling import queue
from labeling.models import Task


class QueueFigures(TypedDict):
    depth: int
    by_kind: dict[str, int]
    claimed: int
    oldest_waiting_since: str | None
    oldest_waiting_seconds: float | None


def queue_figures(now: datetime | None = None) -> QueueFigures:
    now = now or timezone.now()
    open_tasks = queue.open_tasks().order_by()
    by_kind = dict(open_tasks.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    oldest = open_tasks.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "depth": sum(by_kind.values()),
        "by_kind": {kind: by_kind.get(kind, 0) for kind in Task.Kind.values},
        "claimed": open_tasks.filter(claimed_by__isnull=False, lease_until__gte=now).count(),
        "oldest_waiting_since": oldest.isoformat() if oldest else None,
        "oldest_waiting_seconds": (now - oldest).total_seconds() if oldest else None,
    }


def labels_per_day(days: int = stats.DAYS) -> list[stats.DayCount]:
    """People's labels per local day (second opinions included: they are work done too)."""
    return stats.per_day(
        Label.objects.filter(provenance=Label.Provenance.HUMAN), "created_at", days
    )
