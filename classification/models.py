"""Documents, their pages, the types they can have, and what the model and people said."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class DocumentType(models.Model):
    """A class a document can belong to; admins add, rename and retire them."""

    name = models.SlugField(max_length=64, unique=True, help_text="Machine name, e.g. invoice")
    label = models.CharField(max_length=100, help_text="Shown to people, e.g. Invoice")
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="Inactive types are not offered")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Document(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        NEEDS_REVIEW = "needs_review", "Needs review"
        CLASSIFIED = "classified", "Classified"
        FAILED = "failed", "Failed"

    FINAL_STATUSES = (Status.NEEDS_REVIEW, Status.CLASSIFIED, Status.FAILED)

    sha256 = models.CharField(max_length=64, unique=True)
    original_name = models.CharField(max_length=255, help_text="Sanitised upload filename")
    original_path = models.CharField(max_length=255, help_text="Relative to the media root")
    mime_type = models.CharField(max_length=64, help_text="Detected from the content")
    size_bytes = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploaded_documents",
    )
    # Others who uploaded the same bytes later (a duplicate): they see the document too, as its
    # uploader does; retrying or deleting it stays the first uploader's (and admins').
    also_uploaded_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="duplicate_uploads"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    error_message = models.TextField(blank=True)
    # The type in force: from a human label, or from a prediction confident enough to accept.
    document_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    type_confidence = models.FloatField(null=True, blank=True)
    # Why the document is in review or was accepted, in words a labeler understands.
    routing_reason = models.TextField(blank=True)
    # Given by an API client at upload: its own id for the document (searchable), and the type
    # it expects. The hint is kept for the client and people; it never sets the type.
    external_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="The uploading system's own id"
    )
    type_hint = models.ForeignKey(
        DocumentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The type the uploading system expects",
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Processing runs started")
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # The dashboards count processed documents and their pages per day and hour.
            models.Index(
                fields=["processed_at", "status", "page_count"], name="document_processed"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


class Page(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField(help_text="1-based")
    image_path = models.CharField(max_length=255)
    thumbnail_path = models.CharField(max_length=255)
    width = models.PositiveIntegerField(help_text="Of the stored image, in pixels")
    height = models.PositiveIntegerField()
    # [{"text", "left", "top", "width", "height", "conf", "line"}] in stored-image pixels.
    ocr_words = models.JSONField(default=list)
    text = models.TextField(blank=True)
    mean_confidence = models.FloatField(null=True, blank=True)
    render_seconds = models.FloatField(default=0.0)
    ocr_seconds = models.FloatField(default=0.0)
    save_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="page_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} p{self.number}"


class ModelVersion(models.Model):
    """One training run of the classifier and the artifact it wrote."""

    class State(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        RETIRED = "retired", "Retired"

    state = models.CharField(max_length=16, choices=State.choices, default=State.CANDIDATE)
    artifact_path = models.CharField(max_length=255, blank=True)
    artifact_sha256 = models.CharField(max_length=64, blank=True)
    label_fingerprint = models.CharField(max_length=64, blank=True)
    training_args = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was rejected, promoted or retired")
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"model v{self.pk} ({self.state})"


class Prediction(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="predictions"
    )
    document_type = models.ForeignKey(DocumentType, on_delete=models.CASCADE, related_name="+")
    confidence = models.FloatField()
    probabilities = models.JSONField(default=dict, help_text="{type name: probability}")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.document_type_id} at {self.confidence:.2f}"


class LabelQuerySet(models.QuerySet["Label"]):
    def human(self) -> LabelQuerySet:
        """People's labels that say what a document is: trained on, shown as its type. Blind
        second opinions (``second_opinion``) only measure agreement and are left out."""
        return self.filter(provenance=Label.Provenance.HUMAN, second_opinion=False)


class Label(models.Model):
    class Provenance(models.TextChoices):
        HUMAN = "human", "Human"
        PSEUDO = "pseudo", "Pseudo-label"
        AUTO = "auto", "Auto-accepted"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="labels")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="+")
    provenance = models.CharField(max_length=8, choices=Provenance.choices)
    labeled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="labels",
    )
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels"
    )
    # The model's calibrated probability, for pseudo and auto labels; None for a person's.
    confidence = models.FloatField(null=True, blank=True)
    # A person's label, as recorded by the workbench: seconds from the document being served
    # to the label being submitted, the model's top suggestion shown then, and whether the
    # person kept it.
    seconds_spent = models.FloatField(null=True, blank=True)
    suggested_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestion_accepted = models.BooleanField(null=True, blank=True)
    # A blind second label given to measure agreement: never the document's type.
    second_opinion = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LabelQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["provenance", "created_at"]),
            models.Index(fields=["labeled_by", "created_at"]),
            # Whether a document was auto-accepted (the automation dashboard, per document).
            models.Index(fields=["document", "provenance"], name="label_document_provenance"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.document_type_id} ({self.provenance})"


class ModelEvent(models.Model):
    """Something that happened to a model version: every promotion, rejection and rollback."""

    class Action(models.TextChoices):
        TRAINED = "trained", "Trained"
        PROMOTED = "promoted", "Promoted"
        REJECTED = "rejected", "Rejected"
        ROLLED_BACK = "rolled_back", "Rolled back to"
        RETIRED = "retired", "Retired"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="model_events",
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"model v{self.model_version_id} {self.action}"


class TrainingState(models.Model):
    """One row (pk=1): the training lock and when training last started.

    The lock is taken with a conditional UPDATE (``running_since`` empty or stale), which works
    the same across processes and machines on SQLite and PostgreSQL; a crashed training leaves
    a stale lock that the next one takes over.
    """

    running_since = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=64, blank=True, help_text="Of the running training")
    # Human labels created after this moment count toward the next automatic retraining.
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.TextField(blank=True)
    # When a training task was last queued, so a burst of labels queues one task, not many.
    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "training state"


class FieldDefinition(models.Model):
    """One field of a document type's schema: what extraction fills and labelers correct."""

    class Kind(models.TextChoices):
        DATE = "date", "Date"
        MONEY = "money", "Money"
        CURRENCY = "currency", "Currency"
        TEXT = "text", "Text"
        IDENTIFIER = "identifier", "Identifier"
        ACCOUNT = "account", "IBAN / account number"
        PERCENTAGE = "percentage", "Percentage"
        NAMES = "names", "List of names"

    document_type = models.ForeignKey(DocumentType, on_delete=models.CASCADE, related_name="fields")
    name = models.SlugField(max_length=64, help_text="Machine name, e.g. invoice_number")
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(default=False)
    pattern = models.CharField(
        max_length=200, blank=True, help_text="Optional regular expression the value must match"
    )
    min_value = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Optional lowest allowed amount or percentage",
    )
    max_value = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Optional highest allowed amount or percentage",
    )
    not_in_future = models.BooleanField(
        default=False, help_text="A date field's value may not lie after today"
    )
    position = models.PositiveIntegerField(default=0, help_text="Order in the fields panel")

    class Meta:
        ordering = ["document_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document_type", "name"], name="unique_field_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.document_type.name}.{self.name}"

    def clean(self) -> None:
        """Refuse a schema validation could not apply: a pattern that is no regular expression,
        a range upside down or on a field that holds no number, a date rule on no date."""
        errors: dict[str, str] = {}
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                errors["pattern"] = f"Not a valid regular expression: {exc}."
        ranged = self.min_value is not None or self.max_value is not None
        if ranged and self.kind not in (self.Kind.MONEY, self.Kind.PERCENTAGE):
            errors["min_value"] = "Only an amount or a percentage can have a range."
        elif (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            errors["max_value"] = "The maximum is below the minimum."
        if self.not_in_future and self.kind != self.Kind.DATE:
            errors["not_in_future"] = "Only a date can be kept out of the future."
        if errors:
            raise ValidationError(errors)


class FieldValue(models.Model):
    """A field's current value on a document, tied to its place on the page."""

    class Source(models.TextChoices):
        RULE = "rule", "Rule"
        LEARNED = "learned", "Learned"
        HUMAN = "human", "Human"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="field_values")
    field = models.ForeignKey(FieldDefinition, on_delete=models.CASCADE, related_name="values")
    value = models.TextField(blank=True, help_text="Normalised")
    raw = models.TextField(blank=True, help_text="As written on the page")
    page_number = models.PositiveIntegerField(null=True, blank=True)
    # [left, top, right, bottom] in the stored page image's pixels.
    bbox = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    # What a rule value's ``raw`` is counted with (``extraction.consensus.keys``): an address
    # among the readings of its postcode's, or its vendor's, documents (``fieldstore``).
    group_key = models.CharField(max_length=64, blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["field__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "field"], name="unique_value_per_field")
        ]
        indexes = [models.Index(fields=["field", "group_key"], name="value_by_vendor")]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.field_id}={self.value!r}"


class FieldCorrection(models.Model):
    """A person changed a field: the value before and after, recorded with their label."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="field_corrections")
    field = models.ForeignKey(FieldDefinition, on_delete=models.CASCADE, related_name="+")
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    # Where the new value was picked: page number and the picked words' union box.
    page_number = models.PositiveIntegerField(null=True, blank=True)
    bbox = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.field_id}: {self.before!r} -> {self.after!r}"


class FieldMemory(models.Model):
    """What a person's correction taught about one field in one layout or vendor: the next
    documents with the same fingerprint look for the field there first."""

    field = models.ForeignKey(FieldDefinition, on_delete=models.CASCADE, related_name="memories")
    # Identifies the vendor or layout, e.g. a hash of the header words.
    fingerprint = models.CharField(max_length=64, db_index=True)
    # What finds the field again: anchor words, their offsets, the relative position on the page.
    anchor = models.JSONField(default=dict)
    example = models.TextField(blank=True, help_text="The value the person gave")
    source_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uses = models.PositiveIntegerField(default=0, help_text="Documents it was applied to")
    # The label whose correction taught it last, and what it held before (None: that label
    # created it), so undoing that label takes the lesson back too.
    taught_by = models.ForeignKey(
        "Label", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["field", "fingerprint"]
        constraints = [
            models.UniqueConstraint(
                fields=["field", "fingerprint"], name="unique_memory_per_layout"
            )
        ]

    def __str__(self) -> str:
        return f"{self.field}@{self.fingerprint[:12]}"


class WorkerHeartbeat(models.Model):
    """The last time a django-q2 cluster (one ``qcluster`` or the worker of ``serve``) said it
    was alive; written by its broker every few seconds (``classification.workers``)."""

    cluster_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True, help_text="Q_CLUSTER name")
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True, help_text="As django-q2 reports it")
    workers = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.name or 'cluster'} on {self.host} ({self.cluster_id[:8]})"
