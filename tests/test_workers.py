"""The worker heartbeat: django-q2's status saves, through our brokers, become rows."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db.utils import OperationalError
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.status import Stat

from classification import workers
from classification.models import WorkerHeartbeat
from tests.postgres import reachable

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


class _Clock:
    """Stands in for time.monotonic in the throttle."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Clock]:
    workers._last.clear()
    fake = _Clock()
    monkeypatch.setattr(workers.time, "monotonic", fake)
    yield fake
    workers._last.clear()


class _Queue:
    def qsize(self) -> int:
        return 0


def _sentinel(status: Any = None, pool: int = 3, cluster_id: uuid.UUID | None = None) -> Any:
    """What django-q2's Stat reads off its Sentinel."""
    return SimpleNamespace(
        parent_pid=31337,
        pid=31338,
        cluster_id=cluster_id or uuid.uuid4(),
        broker=object(),
        tob=timezone.now() - timedelta(minutes=5),
        reincarnations=0,
        status=lambda: status if status is not None else Conf.IDLE,
        result_queue=_Queue(),
        task_queue=_Queue(),
        monitor=None,
        pusher=None,
        pool=[SimpleNamespace(pid=100 + i) for i in range(pool)],
    )


def _save(broker: Any, sentinel: Any) -> None:
    """Exactly what Stat.save does, with our broker."""
    stat = Stat(sentinel)
    broker.set_stat(stat.key, SignedPackage.dumps(stat, True), 3)


def test_the_configured_broker_is_ours() -> None:
    assert isinstance(get_broker(), workers.OrmBroker)


def test_the_redis_setting_picks_the_redis_broker() -> None:
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; from django_q.brokers import get_broker; "
        "print(settings.Q_CLUSTER['broker_class'], type(get_broker()).__name__)"
    )
    env = {**os.environ, "DOCSITE_BROKER": "redis", "DJANGO_SETTINGS_MODULE": "docsite.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["classification.workers.RedisBroker", "RedisBroker"]


def test_a_status_save_writes_the_heartbeat_row() -> None:
    sentinel = _sentinel(pool=3)
    _save(workers.OrmBroker(), sentinel)
    row = WorkerHeartbeat.objects.get()
    assert row.cluster_id == str(sentinel.cluster_id)
    assert row.name == Conf.PREFIX
    assert row.pid == 31337 and row.workers == 3 and row.status == "Idle"
    assert row.started_at == sentinel.tob
    assert timezone.now() - row.last_seen < timedelta(seconds=5)
    assert row.host


def test_it_writes_at_most_every_ten_seconds(clock: _Clock) -> None:
    broker = workers.OrmBroker()
    sentinel = _sentinel()
    _save(broker, sentinel)
    first = WorkerHeartbeat.objects.get().last_seen
    clock.now += 9.5
    sentinel.pool = sentinel.pool[:1]
    _save(broker, sentinel)
    row = WorkerHeartbeat.objects.get()
    assert (row.last_seen, row.workers) == (first, 3)
    clock.now += 0.6
    _save(broker, sentinel)
    row = WorkerHeartbeat.objects.get()
    assert row.last_seen > first and row.workers == 1


def test_busy_and_idle_alternating_is_not_a_write_but_stopping_is(clock: _Clock) -> None:
    broker = workers.OrmBroker()
    cluster = uuid.uuid4()
    _save(broker, _sentinel(Conf.IDLE, cluster_id=cluster))
    clock.now += 1
    _save(broker, _sentinel(Conf.WORKING, cluster_id=cluster))
    assert WorkerHeartbeat.objects.get().status == "Idle"
    clock.now += 1
    _save(broker, _sentinel(Conf.STOPPING, cluster_id=cluster))
    assert WorkerHeartbeat.objects.get().status == "Stopping"
    clock.now += 1
    _save(broker, _sentinel(Conf.STOPPED, cluster_id=cluster, pool=0))
    row = WorkerHeartbeat.objects.get()
    assert (row.status, row.workers) == ("Stopped", 0)
    assert not workers.seen_within(60)


def test_each_cluster_has_its_own_row_and_throttle() -> None:
    broker = workers.OrmBroker()
    _save(broker, _sentinel())
    _save(broker, _sentinel())
    assert WorkerHeartbeat.objects.count() == 2


def test_a_database_error_is_logged_never_raised(
    monkeypatch: pytest.MonkeyPatch, clock: _Clock, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def broken(**kwargs: Any) -> Any:
        calls.append(kwargs["cluster_id"])
        raise OperationalError("database is locked")

    monkeypatch.setattr(WorkerHeartbeat.objects, "update_or_create", broken)
    broker = workers.OrmBroker()
    sentinel = _sentinel()
    _save(broker, sentinel)  # must not raise
    assert "worker heartbeat not recorded" in caplog.text
    clock.now += 1
    _save(broker, sentinel)
    assert len(calls) == 1, "a failing database is retried every 10 s, not every cycle"
    clock.now += 10
    _save(broker, sentinel)
    assert len(calls) == 2


def test_a_payload_that_is_not_a_signed_status_is_ignored() -> None:
    assert workers.record("django_q:docsite:cluster:x", "not-signed") is False
    assert not WorkerHeartbeat.objects.exists()


def test_the_status_itself_still_reaches_the_broker_cache() -> None:
    broker = workers.OrmBroker()
    sentinel = _sentinel()
    _save(broker, sentinel)
    stat = Stat.get(pid=0, cluster_id=sentinel.cluster_id, broker=broker)
    assert stat.cluster_id == sentinel.cluster_id


def test_clusters_long_gone_are_forgotten_when_one_starts() -> None:
    WorkerHeartbeat.objects.create(
        cluster_id="old", status="Idle", last_seen=timezone.now() - timedelta(days=2)
    )
    WorkerHeartbeat.objects.create(
        cluster_id="recent", status="Stopped", last_seen=timezone.now() - timedelta(hours=2)
    )
    _save(workers.OrmBroker(), _sentinel())
    assert not WorkerHeartbeat.objects.filter(cluster_id="old").exists()
    assert WorkerHeartbeat.objects.filter(cluster_id="recent").exists()


@pytest.mark.skipif(not reachable(6379), reason="Redis is not running on 127.0.0.1:6379")
def test_the_redis_broker_keeps_the_key_and_writes_the_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:6379/0")
    broker = workers.RedisBroker(list_key=f"docsite-test-{os.getpid()}")
    sentinel = _sentinel()
    stat = Stat(sentinel)
    try:
        broker.set_stat(stat.key, SignedPackage.dumps(stat, True), 3)
        assert broker.get_stat(stat.key) is not None
        assert WorkerHeartbeat.objects.get().cluster_id == str(sentinel.cluster_id)
    finally:
        broker.connection.delete(stat.key)


def test_seen_within_and_clusters() -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        cluster_id="a", status="Idle", last_seen=now - timedelta(seconds=90)
    )
    assert not workers.seen_within(60)
    WorkerHeartbeat.objects.create(
        cluster_id="b", status="Stopped", last_seen=now - timedelta(seconds=5)
    )
    assert not workers.seen_within(60)
    WorkerHeartbeat.objects.create(
        cluster_id="c", status="Working", last_seen=now - timedelta(seconds=30)
    )
    assert workers.seen_within(60)
    assert not workers.seen_within(20)
    assert [c.cluster_id for c in workers.clusters()] == ["b", "c", "a"]
    assert [c.cluster_id for c in workers.clusters(limit=1)] == ["b"]
    assert workers.last_seen() == now - timedelta(seconds=30)
