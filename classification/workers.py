"""Which worker clusters are alive: a heartbeat row per django-q2 cluster.

django-q2's sentinel saves its cluster status through the broker (``Stat.save`` →
``broker.set_stat``) every guard cycle, about twice a second, but only into a cache (the ORM
broker: the sentinel's own process-local cache, invisible to the web server) or a Redis key.
The brokers here pass that call on unchanged and also write the status into
:class:`~classification.models.WorkerHeartbeat`, in the site's database, where ``/healthz``,
``/metrics`` and the dashboards can read it whatever the broker.

A row is written at most once every ``HEARTBEAT_SECONDS`` per cluster and process (plus once
when the cluster starts stopping and when it has stopped, so a clean shutdown is not mistaken
for a live worker), and a failing write is logged, never raised: a database hiccup must not
stop the cluster that is supposed to survive it. ``Q_CLUSTER["broker_class"]`` names
``OrmBroker`` or ``RedisBroker`` (``docsite.settings``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.signing import SignedPackage

from classification.models import WorkerHeartbeat

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
# Rows of clusters not seen for this long are deleted when a cluster starts (every restart is
# a new cluster id), so the table stays a handful of rows.
FORGET_AFTER = timedelta(days=1)
# django-q2's statuses (translated where they are made), stored under these names.
STATUSES = ("Starting", "Working", "Idle", "Stopping", "Stopped")
STOPPED = "Stopped"
# Busy and idle alternate every few seconds; only a change to or from these is worth a write.
_RUNNING = {"Working", "Idle"}

_lock = threading.Lock()
# stat key -> (monotonic time of the last attempt, status written then)
_last: dict[str, tuple[float, str]] = {}


def _status_name(status: object) -> str:
    """django-q2's status under its English name, whatever language the worker runs in."""
    text = str(status)
    for name in STATUSES:
        if text == str(getattr(Conf, name.upper())):
            return name
    return text[:32]


def _due(key: str, status: str, now: float) -> tuple[bool, bool]:
    """Whether this status should be written now, and whether it is the cluster's first."""
    with _lock:
        previous = _last.get(key)
        if previous is not None:
            last_time, last_status = previous
            changed = status != last_status and not {status, last_status} <= _RUNNING
            if not changed and now - last_time < HEARTBEAT_SECONDS:
                return False, False
        # Taken even if the write then fails: a database that is down is retried every
        # HEARTBEAT_SECONDS, not every guard cycle.
        _last[key] = (now, status)
        return True, previous is None


def record(key: str, value: str) -> bool:
    """Write the heartbeat of the cluster whose signed status ``value`` was just saved under
    ``key``, when one is due; True when a row was written. Never raises."""
    try:
        stat = SignedPackage.loads(value)
        status = _status_name(stat.status)
        due, first = _due(key, status, time.monotonic())
        if not due:
            return False
        _write(stat, status, first)
        return True
    except Exception:
        log.exception("worker heartbeat not recorded")
        return False


def _write(stat: Any, status: str, first: bool) -> None:
    # The sentinel is a long-lived process: drop a connection the database closed meanwhile
    # (only outside a transaction, as Django does between requests).
    fresh = transaction.get_autocommit()
    if fresh:
        close_old_connections()
    now = timezone.now()
    started_at: datetime | None = stat.tob
    WorkerHeartbeat.objects.update_or_create(
        cluster_id=str(stat.cluster_id),
        defaults={
            "name": str(Conf.PREFIX)[:100],
            "host": str(stat.host)[:255],
            "pid": stat.pid,
            "status": status,
            "workers": len(stat.workers),
            "started_at": started_at,
            "last_seen": now,
        },
    )
    if first:
        WorkerHeartbeat.objects.filter(last_seen__lt=now - FORGET_AFTER).delete()
    if fresh:
        close_old_connections()


class OrmBroker(ORM):
    """django-q2's ORM broker, recording a heartbeat with each status save."""

    def set_stat(self, key: str, value: str, timeout: int) -> None:
        super().set_stat(key, value, timeout)
        record(key, value)


class RedisBroker(Redis):
    """django-q2's Redis broker, recording a heartbeat with each status save."""

    def set_stat(self, key: str, value: str, timeout: int) -> None:
        super().set_stat(key, value, timeout)
        record(key, value)


def _live() -> QuerySet[WorkerHeartbeat]:
    return WorkerHeartbeat.objects.exclude(status=STOPPED)


def last_seen() -> datetime | None:
    """When a running (not stopped) cluster was last heard from; None when never."""
    latest: datetime | None = (
        _live().order_by("-last_seen").values_list("last_seen", flat=True).first()
    )
    return latest


def seen_within(seconds: float) -> bool:
    """Whether a running cluster wrote its heartbeat in the last ``seconds``."""
    return bool(_live().filter(last_seen__gte=timezone.now() - timedelta(seconds=seconds)).exists())


def clusters(limit: int = 50) -> list[WorkerHeartbeat]:
    """The clusters heard from lately (stopped ones included), most recent first."""
    return list(WorkerHeartbeat.objects.order_by("-last_seen")[:limit])
