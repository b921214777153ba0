"""Which documents the queue lets a labeler see (registered in ``classification.access``).

A labeler sees documents with an open review task (the queue anyone may be served), the
documents of tasks they hold or completed, and (added by ``classification.access``) the
documents they labeled. Open quality checks and second opinions are left out until served:
their documents show the accepted type or the first label, which would bias the labeler who
gets them.
"""

from __future__ import annotations

from django.db.models import Q

from classification.access import User
from labeling.models import Task


def labeler_scope(user: User) -> Q:
    tasks = Task.objects.filter(
        Q(state=Task.State.OPEN, kind=Task.Kind.REVIEW)
        | Q(state=Task.State.OPEN, claimed_by=user.pk)
        | Q(completed_by=user.pk)
    )
    return Q(pk__in=tasks.values("document_id"))


def blind_scope(user: User) -> Q:
    """A labeler holding a quality check or second opinion of a document must not see what it
    was accepted or labeled as (registered in ``classification.access``)."""
    held = Task.objects.filter(
        state=Task.State.OPEN,
        claimed_by=user.pk,
        kind__in=(Task.Kind.QA, Task.Kind.OVERLAP),
    )
    return Q(pk__in=held.values("document_id"))
