"""Labeling work: tasks in the queue, who holds them, skips, and disagreements to settle."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from classification.models import Document, DocumentType, Label


class Task(models.Model):
    """One piece of labeling work on a document.

    - ``review``: the model was unsure (or there is no model): a person gives the type.
    - ``qa``: an auto-accepted document drawn at random, labeled again to measure the real
      precision of auto-acceptance.
    - ``overlap``: a labeled document served blind to a second labeler to measure agreement.

    A task is free when it is open and unclaimed or its lease has run out; ``Next`` claims the
    free task with the highest ``priority`` with a conditional UPDATE (``labeling.queue``).
    """

    class Kind(models.TextChoices):
        REVIEW = "review", "Review"
        QA = "qa", "Quality check"
        OVERLAP = "overlap", "Second opinion"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REVIEW)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # Higher first: how much a label here is expected to teach the model (``labeling.priority``).
    priority = models.FloatField(default=0.0)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The model's top suggestion when the task was served (recorded with the label).
    suggested_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Overlap tasks: the first labeler, who must not get the document again.
    exclude_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # QA: the type that was auto-accepted; overlap: the first labeler's label.
    reference_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference_label = models.ForeignKey(
        Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    label = models.ForeignKey(
        Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # QA and overlap: whether the person's type matched the reference.
    agreed = models.BooleanField(null=True, blank=True)
    # The document as it was before the label (status, type, fields), for undo.
    undo = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [
            # Next walks open tasks by priority; the dashboards count them by kind.
            models.Index(fields=["state", "-priority", "id"], name="task_next"),
            models.Index(fields=["kind", "state"], name="task_kind_state"),
            models.Index(fields=["completed_by", "completed_at"], name="task_done_by"),
            # Next keeps candidates apart from the documents served in the last hour.
            models.Index(fields=["claimed_at"], name="task_claimed_at"),
        ]
        constraints = [
            # One open task of a kind per document: re-queueing never doubles work.
            models.UniqueConstraint(
                fields=["document", "kind"],
                condition=Q(state="open"),
                name="one_open_task_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} task {self.pk} on document {self.document_id} ({self.state})"


class Skip(models.Model):
    """A labeler passed on a task, with a reason; they are not served it again."""

    class Reason(models.TextChoices):
        UNREADABLE = "unreadable", "Unreadable"
        UNSURE = "unsure", "Not sure of the type"
        NO_TYPE = "no_type", "No matching type"
        OTHER = "other", "Other"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.OTHER)
    note = models.CharField(max_length=200, blank=True)
    seconds_spent = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task", "user"], name="skip_task_user")]

    def __str__(self) -> str:
        return f"skip of task {self.task_id} by {self.user_id}: {self.reason}"


class Adjudication(models.Model):
    """Two labelers disagreed on a document; an admin decides."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="adjudications")
    first = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")
    resolved_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resolved_at", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"adjudication of document {self.document_id}"
