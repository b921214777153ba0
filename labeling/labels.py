"""A person labels a named document (not the next one the queue serves): the REST API's
``POST /api/v1/documents/{id}/labels``.

It goes the workbench's way whenever the queue has the document: a task the person holds is
submitted; a free review task is claimed first (as the document page's "Label this document"
does) and then submitted, so the queue, the undo record and the agreement sampling stay
right. A processed document with no open task (already classified) is relabeled with the same
``services.assign_type`` / ``services.correct_fields`` the queue's submit uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from classification import learning, services
from classification.models import Document, DocumentType, FieldDefinition, Label
from labeling import queue
from labeling.models import Task


class LabelRefused(Exception):
    """The document cannot be labeled now; the message says why."""


@dataclass(frozen=True)
class Labeled:
    label: Label
    task: Task | None  # the queue task the label completed, if any


def label_document(
    document: Document,
    user: queue.User,
    document_type: DocumentType,
    fields: dict[FieldDefinition, services.FieldInput],
) -> Labeled:
    """Store ``user``'s label (and field values) for ``document``; ``LabelRefused`` when the
    document is not processed yet, or another labeler holds its task."""
    if document.status not in learning.PROCESSED:
        raise LabelRefused("The document is not processed yet; label it once it is.")
    if not document_type.active:
        raise LabelRefused(f"{document_type.label} is not an active type.")
    now = timezone.now()
    task = _task_for(document, user, now)
    if task is not None:
        try:
            done = queue.submit(task.pk, user, document_type, fields, now=now)
        except queue.QueueError as exc:
            raise LabelRefused(str(exc)) from exc
        return Labeled(done.label, done.task)
    with transaction.atomic():
        label = services.assign_type(document, document_type, user)
        if fields:
            services.correct_fields(document, label, user, fields)
    return Labeled(label, None)


def _task_for(document: Document, user: queue.User, now: datetime) -> Task | None:
    claimed = queue.claim_document(document.pk, user, now)  # or the task they already hold
    if claimed is not None:
        return claimed
    waiting = Task.objects.filter(document=document, kind=Task.Kind.REVIEW, state=Task.State.OPEN)
    if waiting.filter(claimed_by__isnull=False, lease_until__gte=now).exists():
        raise LabelRefused("Another labeler is labeling this document now.")
    if document.status == Document.Status.NEEDS_REVIEW and waiting.exists():
        # Open and free, but not for this person (they skipped it, or gave the first label
        # of a second opinion): the queue decides who labels it.
        raise LabelRefused("This document is waiting in the queue for another labeler.")
    return None
