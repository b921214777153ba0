"""Set-up that follows migrations: the periodic tasks the worker cluster runs."""

from __future__ import annotations

from typing import Any

RECOVER_TASK = "classification.tasks.recover_stale_documents"


def ensure_schedules(**kwargs: Any) -> None:
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        func=RECOVER_TASK,
        defaults={
            "name": "Recover documents left in processing",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
        },
    )
