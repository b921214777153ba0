"""Set-up that follows migrations, and keeping the admin role and Django's staff flag in step."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.dispatch import Signal

from docsite import roles

RECOVER_TASK = "classification.tasks.recover_stale_documents"
STATISTICS_TASK = "classification.tasks.refresh_statistics"

# Sent once a routing decision is committed, with ``document_id`` and ``outcome``: "review" (a
# person should label it) or "classified" (auto-accepted by ``model_version_id``). The labeling
# app keeps its queue in step from it; classification never imports labeling.
document_routed = Signal()


def send_routed(document_id: int, outcome: str, model_version_id: int | None = None) -> None:
    document_routed.send(
        sender=None, document_id=document_id, outcome=outcome, model_version_id=model_version_id
    )


# Sent once committed, with ``document_id`` and ``event``: "processed" (pages stored and routed),
# "failed" (processing gave up) or "labeled" (a person set its type). The API's webhooks listen
# (docsite/api/apps.py); classification never imports the API.
document_changed = Signal()
# Sent once committed, with ``model_version_id`` and ``action`` ("promoted" or "rolled_back"),
# when a model version becomes the active one.
model_activated = Signal()


def send_document_changed(document_id: int, event: str) -> None:
    """Announce ``event`` once the current transaction commits (at once outside one); a failing
    listener is logged and never undoes or breaks the product's work."""
    transaction.on_commit(
        lambda: document_changed.send(sender=None, document_id=document_id, event=event),
        robust=True,
    )


def send_model_activated(model_version_id: int, action: str) -> None:
    transaction.on_commit(
        lambda: model_activated.send(sender=None, model_version_id=model_version_id, action=action),
        robust=True,
    )


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
    Schedule.objects.get_or_create(
        func=STATISTICS_TASK,
        defaults={
            "name": "Refresh the database's query-planner statistics",
            "schedule_type": Schedule.HOURLY,
            "repeats": -1,
        },
    )


def ensure_admin_group_permissions(**kwargs: Any) -> None:
    """The admin role may change everything in the Django admin (permissions exist only
    after post_migrate has created them, hence here and not in a data migration)."""
    group, _ = Group.objects.get_or_create(name=roles.ADMIN)
    group.permissions.set(Permission.objects.all())


def admin_role_grants_staff(
    sender: Any, instance: Any, action: str, pk_set: Any, reverse: bool = False, **kwargs: Any
) -> None:
    """Whoever is given the admin role can open the Django admin, whether the role was added
    from the user's side (``user.groups.add``) or the group's (``group.user_set.add``)."""
    if action != "post_add" or not pk_set:
        return
    users = get_user_model().objects.filter(is_staff=False)
    if reverse:  # instance is the group, pk_set the users added to it
        if instance.name == roles.ADMIN:
            users.filter(pk__in=pk_set).update(is_staff=True)
        return
    if Group.objects.filter(pk__in=pk_set, name=roles.ADMIN).exists() and not instance.is_staff:
        users.filter(pk=instance.pk).update(is_staff=True)
        instance.is_staff = True
