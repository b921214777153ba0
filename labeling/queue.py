"""The labeling queue: tasks made from routing decisions, claimed with a lease, completed by a
label, skipped, released or undone. Views and the API call these; nothing else writes tasks.

Claims: ``claim_next`` reads the free tasks with the highest priority, orders them
(``priority.rerank``) and takes the first with one conditional UPDATE (``WHERE id = .. AND the
task is still free``). The database makes that statement atomic: on SQLite writes are
serialised; on PostgreSQL a second transaction updating the same row waits for the first and
then re-checks the WHERE clause against the committed row, finds it taken and updates nothing.
Whoever updated zero rows moves on to the next candidate, so two labelers pressing Next at
the same instant get different documents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from classification import fieldmemory, learning, services
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    FieldValue,
    Label,
    Prediction,
)
from labeling import priority
from labeling.models import Adjudication, Skip, Task

log = logging.getLogger(__name__)

User = AbstractBaseUser | AnonymousUser
CLAIM_ATTEMPTS = 3
# What a task's claim fields hold when nobody has it.
UNCLAIMED: dict[str, Any] = {"claimed_by": None, "claimed_at": None, "lease_until": None}
# A task nobody should do any more (its document was settled another way).
CANCEL: dict[str, Any] = {"state": Task.State.CANCELLED, "claimed_by": None, "lease_until": None}


class QueueError(Exception):
    """A queue action that cannot be done; the message is for the person who tried."""


def _uid(user: User) -> int:
    if not user.is_authenticated or user.pk is None:
        raise QueueError("Log in to label.")
    return int(user.pk)


# --- Making tasks ---------------------------------------------------------------------------


def _draw(document: Document, purpose: str) -> float:
    """The document's draw for a sample (QA, overlap): fixed by its content, so a task run
    twice draws the same and the sampled share is exact in expectation."""
    return priority.uniform(purpose, document.sha256)


def _latest_prediction(document_id: int) -> Prediction | None:
    return (
        Prediction.objects.filter(document_id=document_id)
        .select_related("document_type")
        .order_by("-created_at", "-pk")
        .first()
    )


def document_routed(document_id: int, outcome: str, **kwargs: Any) -> None:
    """Keep the queue in step with a routing decision (``classification.signals``).

    The document's status now decides, not ``outcome``: signals sent on commit by two workers
    can arrive in either order, and the later routing is the one in force."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return
    if document.status == Document.Status.NEEDS_REVIEW:
        enqueue_review(document)
    elif document.status == Document.Status.CLASSIFIED:
        _cancel_open(document, Task.Kind.REVIEW)
        accepted = outcome == "classified" and document.document_type_id is not None
        if accepted and not Label.objects.human().filter(document=document).exists():
            maybe_enqueue_check(document)


def enqueue_review(document: Document) -> Task | None:
    """An open review task for a document waiting for a person (created or re-scored)."""
    if document.status != Document.Status.NEEDS_REVIEW:
        return None
    prediction = _latest_prediction(document.pk)
    probabilities = list((prediction.probabilities or {}).values()) if prediction else None
    # The model was sure of the type but its fields failed validation: routing keeps the
    # values it extracted (a document in review for any other reason keeps only people's).
    fields_failed = (
        FieldValue.objects.filter(document=document).exclude(source=FieldValue.Source.HUMAN)
    ).exists()
    fields = {
        "priority": priority.score(probabilities, document.sha256, fields_failed=fields_failed),
        "suggested_type": prediction.document_type if prediction else None,
    }
    open_tasks = Task.objects.filter(document=document, kind=Task.Kind.REVIEW, state="open")
    if open_tasks.update(**fields):
        return open_tasks.first()
    try:
        with transaction.atomic():
            return Task.objects.create(document=document, kind=Task.Kind.REVIEW, **fields)
    except IntegrityError:  # made meanwhile by another worker: one open task per kind
        return open_tasks.first()


def maybe_enqueue_check(document: Document) -> Task | None:
    """Draw an auto-accepted document into the QA sample (``DOCSITE_QA_SHARE``), once."""
    if _draw(document, "qa") >= float(settings.DOCSITE_QA_SHARE):
        return None
    if Task.objects.filter(document=document, kind=Task.Kind.QA).exists():
        return None
    try:
        with transaction.atomic():
            return Task.objects.create(
                document=document,
                kind=Task.Kind.QA,
                priority=priority.CHECK,
                reference_type_id=document.document_type_id,
            )
    except IntegrityError:
        return None


def _cancel_open(document: Document, *kinds: str) -> int:
    return Task.objects.filter(document=document, kind__in=kinds, state=Task.State.OPEN).update(
        **CANCEL
    )


def sync() -> dict[str, int]:
    """Make the queue agree with the documents: a review task for every document waiting for
    review, none open for the others. Safe to run any time (``manage.py sync_queue``)."""
    # Oldest first (documents list newest first): tasks of equal priority are served in the
    # order of their ids, so the longest waiting goes first.
    missing = (
        Document.objects.filter(status=Document.Status.NEEDS_REVIEW)
        .filter(~Exists(Task.objects.filter(document=OuterRef("pk"), kind="review", state="open")))
        .order_by("pk")
    )
    created = 0
    for document in missing.iterator():
        created += enqueue_review(document) is not None
    cancelled = (
        Task.objects.filter(kind=Task.Kind.REVIEW, state=Task.State.OPEN)
        .exclude(document__status=Document.Status.NEEDS_REVIEW)
        .update(**CANCEL)
    )
    return {"created": created, "cancelled": cancelled}


# --- Claims ---------------------------------------------------------------------------------


def lease() -> timedelta:
    return timedelta(minutes=int(settings.DOCSITE_LEASE_MINUTES))


def _free(user: User, now: datetime) -> Q:
    return (
        Q(state=Task.State.OPEN)
        & (Q(claimed_by__isnull=True) | Q(lease_until__lt=now))
        & ~Q(exclude_user_id=user.pk)
        & ~Q(Exists(Skip.objects.filter(task=OuterRef("pk"), user_id=_uid(user))))
    )


def open_tasks() -> QuerySet[Task]:
    return Task.objects.filter(state=Task.State.OPEN)


def held_by(user: User, now: datetime | None = None) -> Task | None:
    """The task ``user`` holds now (claimed, lease running), if any."""
    now = now or timezone.now()
    return (
        Task.objects.filter(state=Task.State.OPEN, claimed_by_id=user.pk, lease_until__gte=now)
        .select_related("document")
        .order_by("-claimed_at")
        .first()
    )


# What Next reads of a free task to order it (priority.Candidate's fields).
CANDIDATE_FIELDS = ("pk", "priority", "document_id", "document__sha256", "suggested_type_id")


def claim_next(user: User, now: datetime | None = None) -> Task | None:
    """The task ``user`` should do now: the one they hold, else the best free one, claimed."""
    now = now or timezone.now()
    _uid(user)
    held = held_by(user, now)
    if held is not None:
        return held
    cold: bool | None = None
    for _ in range(CLAIM_ATTEMPTS):
        free = Task.objects.filter(_free(user, now)).order_by("-priority", "id")
        rows = list(free.values_list(*CANDIDATE_FIELDS)[: priority.CANDIDATES])
        if not rows:
            return None
        if cold is None:
            cold = not (learning.has_active_model() and learning.cold_start_status().ready)
        full = None if cold else priority.types_at_quota()
        if full is not None:
            # Types under their quota: their best free tasks are candidates too, however far
            # down the queue's priority order they wait.
            seen = {row[0] for row in rows}
            under = free.filter(suggested_type__isnull=False).exclude(suggested_type_id__in=full)
            rows += [
                row
                for row in under.values_list(*CANDIDATE_FIELDS)[: priority.CANDIDATES]
                if row[0] not in seen
            ]
        candidates = [priority.Candidate(*row) for row in rows]
        for task_id in priority.rerank(candidates, _recently_served(now), cold):
            task = _take(task_id, user, now)
            if task is not None:
                log.info("task=%s claimed by=%s", task_id, user.pk)
                return task
    return None


def _take(task_id: int, user: User, now: datetime) -> Task | None:
    """Claim the task for ``user`` with the one conditional UPDATE (still free?); None when
    another labeler got it first, or when its document no longer waits for a person."""
    taken = (
        Task.objects.filter(pk=task_id)
        .filter(_free(user, now))
        .update(claimed_by_id=user.pk, claimed_at=now, lease_until=now + lease())
    )
    if not taken:
        return None
    task = Task.objects.select_related("document").get(pk=task_id)
    return None if _settled(task) else task


def claim_document(document_id: int, user: User, now: datetime | None = None) -> Task | None:
    """The open review task of one document, claimed for ``user`` (who asked for this document
    by name, e.g. from its page); any other task they held goes back to the queue. None when
    the document has no free review task."""
    now = now or timezone.now()
    held = held_by(user, now)
    if held is not None and held.document_id == document_id:
        return held
    candidate = (
        Task.objects.filter(_free(user, now), document_id=document_id, kind=Task.Kind.REVIEW)
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return None
    with transaction.atomic():
        task = _take(candidate, user, now)
        if task is None:
            return None
        if held is not None:
            Task.objects.filter(pk=held.pk, claimed_by_id=user.pk).update(**UNCLAIMED)
    log.info("task=%s claimed by=%s (asked for document=%s)", task.pk, user.pk, document_id)
    return task


def _settled(task: Task) -> bool:
    """A review task whose document no longer waits for a person (labeled some other way, or
    accepted before the routing signal arrived): cancel it rather than serve it."""
    if task.kind != Task.Kind.REVIEW or task.document.status == Document.Status.NEEDS_REVIEW:
        return False
    Task.objects.filter(pk=task.pk, state=Task.State.OPEN).update(**CANCEL)
    log.info("task=%s cancelled: document=%s is settled", task.pk, task.document_id)
    return True


def _recently_served(now: datetime) -> list[Document]:
    rows = (
        Task.objects.filter(claimed_at__gte=now - timedelta(hours=1))
        .order_by("-claimed_at")
        .values_list("document_id", "document__sha256")[: priority.RECENT_LIMIT]
    )
    return [Document(pk=pk, sha256=sha256) for pk, sha256 in rows]


def _mine(task_id: int, user: User, now: datetime) -> Task:
    """The open task ``task_id`` as held by ``user`` (row-locked; call inside a transaction)."""
    # ``of=("self",)``: the joined rows are read, not locked; PostgreSQL refuses FOR UPDATE on
    # the nullable side of an outer join (suggested_type, reference_label).
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("document", "suggested_type", "reference_label")
        .filter(pk=task_id)
        .first()
    )
    if task is None or task.state != Task.State.OPEN:
        raise QueueError("This document is no longer in the queue.")
    if task.claimed_by_id != user.pk:
        raise QueueError("This document is not yours to label: press Next for another one.")
    if task.lease_until is not None and task.lease_until < now:
        # Expired but nobody took it over meanwhile: the labeler may still finish it.
        Task.objects.filter(pk=task.pk).update(lease_until=now + lease())
    return task


def release(task_id: int, user: User) -> None:
    """Give the task back to the queue untouched."""
    updated = Task.objects.filter(pk=task_id, state=Task.State.OPEN, claimed_by_id=user.pk).update(
        **UNCLAIMED
    )
    if not updated:
        raise QueueError("This document is not yours to release.")


def skip(
    task_id: int, user: User, reason: str, note: str = "", now: datetime | None = None
) -> Skip:
    """Pass on a task with a reason; it goes back to the queue for the others."""
    now = now or timezone.now()
    if reason not in Skip.Reason.values:
        raise QueueError(f"Unknown skip reason {reason!r}.")
    with transaction.atomic():
        task = _mine(task_id, user, now)
        made = Skip.objects.create(
            task=task,
            user_id=_uid(user),
            reason=reason,
            note=note[:200],
            seconds_spent=_seconds(task, now),
        )
        Task.objects.filter(pk=task.pk).update(**UNCLAIMED)
    log.info("task=%s skipped by=%s reason=%s", task_id, user.pk, reason)
    return made


def _seconds(task: Task, now: datetime) -> float | None:
    return None if task.claimed_at is None else (now - task.claimed_at).total_seconds()


# --- Completing tasks -----------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    task: Task
    label: Label
    follow_up: Task | None  # the second-opinion task this label was drawn into, if any
    adjudication: Adjudication | None


def submit(
    task_id: int,
    user: User,
    document_type: DocumentType,
    fields: dict[FieldDefinition, services.FieldInput] | None = None,
    now: datetime | None = None,
) -> Submitted:
    """The labeler's answer for a task they hold: a type and optionally field values."""
    now = now or timezone.now()
    if not document_type.active:
        raise QueueError(f"{document_type.label} is not an active type.")
    with transaction.atomic():
        task = _mine(task_id, user, now)
        document = task.document
        if document.status not in learning.PROCESSED:
            # Queued or processing again (reprocessed, retried): a label now would be lost to
            # the new reading, or the reading to the label.
            raise QueueError("The document is being processed again; label it once that is done.")
        second = task.kind == Task.Kind.OVERLAP
        snapshot = _snapshot(document)
        label = services.assign_type(
            document,
            document_type,
            user,
            seconds_spent=_seconds(task, now),
            suggested_type=task.suggested_type,
            second_opinion=second,
        )
        if fields and not second:
            services.correct_fields(document, label, user, fields)
        agreed = None
        if task.kind == Task.Kind.QA:
            agreed = task.reference_type_id == document_type.pk
        elif second and task.reference_label is not None:
            agreed = task.reference_label.document_type_id == document_type.pk
        done: dict[str, Any] = {
            "state": Task.State.DONE,
            "label": label,
            "completed_by_id": user.pk,
            "completed_at": now,
            "agreed": agreed,
            "lease_until": None,
            "undo": snapshot,
        }
        Task.objects.filter(pk=task.pk).update(**done)
        for name, value in done.items():  # the task as stored, without reading it back
            setattr(task, name, value)
        if not second:
            # The person's label settles any other open task on the document but a check.
            Task.objects.filter(document=document, state=Task.State.OPEN).exclude(
                pk=task.pk
            ).exclude(kind=Task.Kind.OVERLAP).update(state=Task.State.CANCELLED)
        follow_up = None
        if task.kind == Task.Kind.REVIEW and (
            _draw(document, "overlap") < float(settings.DOCSITE_OVERLAP_SHARE)
        ):
            follow_up = _enqueue_overlap(task, label, user)
        adjudication = None
        if second and agreed is False and task.reference_label is not None:
            adjudication = Adjudication.objects.create(
                document=document, first=task.reference_label, second=label
            )
    log.info(
        "task=%s done by=%s type=%s kind=%s agreed=%s",
        task.pk,
        user.pk,
        document_type.name,
        task.kind,
        agreed,
    )
    return Submitted(task, label, follow_up, adjudication)


def _enqueue_overlap(task: Task, label: Label, user: User) -> Task | None:
    """A blind second opinion on the document just labeled, for anyone but its labeler."""
    try:
        with transaction.atomic():  # a savepoint: a clash must not undo the label
            return Task.objects.create(
                document_id=task.document_id,
                kind=Task.Kind.OVERLAP,
                priority=priority.CHECK,
                exclude_user_id=user.pk,
                reference_label=label,
                suggested_type=task.suggested_type,
            )
    except IntegrityError:  # one is open on the document already (one open task per kind)
        return None


def _snapshot(document: Document) -> dict[str, Any]:
    """What a submit changes on the document, so ``undo`` can put it back."""
    return {
        "status": document.status,
        "document_type": document.document_type_id,
        "type_confidence": document.type_confidence,
        "routing_reason": document.routing_reason,
        "fields": [
            {
                "field": v.field_id,
                "value": v.value,
                "raw": v.raw,
                "page_number": v.page_number,
                "bbox": v.bbox,
                "confidence": v.confidence,
                "source": v.source,
                "updated_by": v.updated_by_id,
                "group_key": v.group_key,  # counted among its place's readings (consensus)
            }
            for v in FieldValue.objects.filter(document=document)
        ],
    }


def undoable(user: User, now: datetime | None = None) -> Task | None:
    """The user's last completed task, while it can still be undone."""
    now = now or timezone.now()
    window = timedelta(minutes=int(settings.DOCSITE_UNDO_MINUTES))
    return (
        Task.objects.filter(
            completed_by_id=user.pk,
            state=Task.State.DONE,
            completed_at__gte=now - window,
            label__isnull=False,
        )
        .select_related("document", "label")
        .order_by("-completed_at", "-pk")
        .first()
    )


def undo(user: User, now: datetime | None = None) -> Task:
    """Take back the user's last label: the label and its field changes are removed, the
    document is as it was, and the task is theirs again (claimed, a fresh lease)."""
    now = now or timezone.now()
    with transaction.atomic():
        task = undoable(user, now)
        if task is None:
            raise QueueError("There is no label of yours to undo any more.")
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("document", "label")
            .get(pk=task.pk)
        )
        label = task.label
        if task.state != Task.State.DONE or label is None:  # undone meanwhile (a double click)
            raise QueueError("There is no label of yours to undo any more.")
        # Later by id, not by time: two labels can share a timestamp.
        later = Label.objects.filter(
            document=task.document, pk__gt=label.pk, provenance=Label.Provenance.HUMAN
        ).values_list("labeled_by_id", flat=True)
        if later:
            if set(later) == {user.pk}:
                raise QueueError("You labeled this document again since; it cannot be undone.")
            raise QueueError("Someone labeled this document after you; it cannot be undone.")
        if not task.undo and not label.second_opinion:
            # Nothing recorded to put back (not done through submit): refuse rather than
            # leave the document without a type or its fields.
            raise QueueError("This label cannot be undone.")
        # The second opinion drawn from this label and any disagreement it found go too.
        Task.objects.filter(reference_label=label).exclude(state=Task.State.DONE).delete()
        Adjudication.objects.filter(Q(first=label) | Q(second=label)).delete()
        if not label.second_opinion:
            _restore(task.document, task.undo or {})
        # What the label's field corrections taught the next documents of the layout.
        fieldmemory.forget(label)
        label.delete()
        reopened = Task.objects.filter(pk=task.pk).update(
            state=Task.State.OPEN,
            label=None,
            completed_by=None,
            completed_at=None,
            agreed=None,
            undo=None,
            claimed_by_id=user.pk,
            claimed_at=now,
            lease_until=now + lease(),
        )
        assert reopened
    task.refresh_from_db()
    log.info("task=%s undone by=%s", task.pk, user.pk)
    return task


def _restore(document: Document, snapshot: dict[str, Any]) -> None:
    Document.objects.filter(pk=document.pk).update(
        status=snapshot.get("status", document.status),
        document_type_id=snapshot.get("document_type"),
        type_confidence=snapshot.get("type_confidence"),
        routing_reason=snapshot.get("routing_reason", ""),
        updated_at=timezone.now(),
    )
    FieldValue.objects.filter(document=document).delete()
    FieldValue.objects.bulk_create(
        FieldValue(
            document=document,
            field_id=row["field"],
            value=row["value"],
            raw=row["raw"],
            page_number=row["page_number"],
            bbox=row["bbox"],
            confidence=row["confidence"],
            source=row["source"],
            updated_by_id=row["updated_by"],
            group_key=row.get("group_key", ""),  # a snapshot from before it was kept: none
        )
        for row in snapshot.get("fields", [])
    )


# --- Adjudication ---------------------------------------------------------------------------


def adjudicate(adjudication_id: int, user: User, document_type: DocumentType) -> Adjudication:
    """An admin settles a disagreement: their type becomes the document's label."""
    if not document_type.active:
        raise QueueError(f"{document_type.label} is not an active type.")
    with transaction.atomic():
        item = (
            Adjudication.objects.select_for_update(of=("self",))
            .select_related("document")
            .get(pk=adjudication_id)
        )
        if item.resolved_at is not None:
            raise QueueError("This disagreement was settled already.")
        services.assign_type(item.document, document_type, user)
        Adjudication.objects.filter(pk=item.pk).update(
            resolved_type=document_type,
            resolved_by=cast(AuthUser, user),
            resolved_at=timezone.now(),
        )
    item.refresh_from_db()
    return item
