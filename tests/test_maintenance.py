"""Small operational pieces: planner statistics, the admin role's staff flag, PostgreSQL
connection options."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django_q.models import Schedule

from classification import signals, tasks
from docsite import roles

pytestmark = pytest.mark.django_db


def test_refresh_statistics_analyzes_sqlite() -> None:
    assert connection.vendor == "sqlite"
    assert tasks.refresh_statistics() == "analyzed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1


def test_statistics_are_refreshed_hourly_by_schedule() -> None:
    signals.ensure_schedules()
    signals.ensure_schedules()  # safe to run twice
    schedule = Schedule.objects.get(func=signals.STATISTICS_TASK)
    assert schedule.schedule_type == Schedule.HOURLY
    assert Schedule.objects.filter(func=signals.STATISTICS_TASK).count() == 1


@pytest.mark.parametrize("side", ["user", "group"])
def test_the_admin_role_grants_staff_from_either_side(side: str) -> None:
    user = User.objects.create_user("ann", password="pw-123456789")
    group = Group.objects.get_or_create(name=roles.ADMIN)[0]
    if side == "user":
        user.groups.add(group)
    else:
        group.user_set.add(user)
    user.refresh_from_db()
    assert user.is_staff


def test_another_role_grants_no_staff_from_the_group_side() -> None:
    user = User.objects.create_user("bo", password="pw-123456789")
    Group.objects.get_or_create(name=roles.LABELER)[0].user_set.add(user)
    user.refresh_from_db()
    assert not user.is_staff


def test_postgresql_connections_turn_jit_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from docsite import settings as site_settings

    monkeypatch.setenv("DATABASE_URL", "postgres://docsite@127.0.0.1:5432/docsite")
    assert site_settings._databases()["default"]["OPTIONS"] == {"options": "-c jit=off"}
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    assert site_settings._databases()["default"].get("OPTIONS") in (None, {})
