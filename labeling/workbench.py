"""What the workbench page shows, read-only: the header numbers, the type buttons in the order
they are offered, each type's fields panel, and the labeled documents most like this one.
``labeling.queue`` changes state; this module only reads."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from classification import fieldstore
from classification.extraction import validation
from classification.ids import parse_id
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    FieldValue,
    Label,
    Prediction,
)
from labeling import priority, queue
from labeling.models import Task

User = AbstractBaseUser | AnonymousUser

# Seconds per document assumed for the time-left estimate until the labeler has a history.
DEFAULT_SECONDS = 20.0
# The labeler's most recent labels whose median time per document estimates the rest.
TIMING_SAMPLE = 50
# Recent human-labeled documents compared with for "why" (as ``priority.REFERENCE_LIMIT``).
SIMILAR_POOL = 2000
SIMILAR_SHOWN = 3
SUGGESTIONS = 3
NUMBERED = 9
THUMBNAIL_SALT = "labeling.similar-thumbnail"


# --- Header ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    labeled_today: int
    queue_length: int
    seconds_per_document: float
    undo: Task | None

    @property
    def seconds_left(self) -> float:
        return self.queue_length * self.seconds_per_document

    @property
    def time_left(self) -> str:
        return duration(self.seconds_left)


def duration(seconds: float) -> str:
    """A rough duration in words: "about 2 h 10 min", "about 5 min", "under a minute"."""
    if seconds <= 0:
        return "nothing left"
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


def _local_midnight() -> datetime:
    today = timezone.localdate()
    return timezone.make_aware(datetime.combine(today, time.min))


def header(user: User) -> Header:
    mine = Label.objects.filter(provenance=Label.Provenance.HUMAN, labeled_by=user.pk)
    timed = (
        mine.filter(seconds_spent__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("seconds_spent", flat=True)[:TIMING_SAMPLE]
    )
    recent = [float(s) for s in timed if s is not None]
    return Header(
        labeled_today=mine.filter(created_at__gte=_local_midnight()).count(),
        queue_length=queue.open_tasks().count(),
        seconds_per_document=statistics.median(recent) if recent else DEFAULT_SECONDS,
        undo=queue.undoable(user),
    )


# --- Types and fields -----------------------------------------------------------------------


@dataclass
class FieldRow:
    definition: FieldDefinition
    value: str = ""
    page: int | None = None
    bbox: str = ""  # JSON [left, top, right, bottom] in page-image pixels, or ""
    confidence: float | None = None
    source: str = ""  # how the stored value came about, "" when there is none
    problem: str = ""  # what fails validation in the value shown (``extraction.validation``)
    # A value the rules suggest (none stored yet), as JSON {"value", "page", "bbox"}: sent back
    # with the form, so that a suggestion left as it was is not stored as the labeler's.
    suggested: str = ""

    @property
    def input_id(self) -> str:
        return f"field-{self.definition.document_type_id}-{self.definition.name}"


@dataclass
class TypeChoice:
    document_type: DocumentType
    key: int | None = None  # the number key that picks it (the first nine)
    probability: float | None = None  # the model's, for its top suggestions
    fields: list[FieldRow] = field(default_factory=list)


def suggestions(document: Document) -> dict[str, float]:
    """The latest prediction's most likely types, {type name: probability}, best first."""
    prediction = Prediction.objects.filter(document=document).order_by("-created_at", "-pk").first()
    if prediction is None or not prediction.probabilities:
        return {}
    ranked = sorted(prediction.probabilities.items(), key=lambda item: -float(item[1]))
    return {str(name): float(p) for name, p in ranked[:SUGGESTIONS]}


def _source(value: FieldValue) -> str:
    if value.source == FieldValue.Source.HUMAN:
        return "set by a person"
    return "extracted"


def type_choices(
    document: Document,
    *,
    suggested: dict[str, float],
    with_fields: bool,
    posted: QueryDict | None = None,
) -> list[TypeChoice]:
    """Active types, the model's suggestions first (most likely first), then by label; the
    first nine numbered. ``posted``: a refused form, whose field values are shown again."""
    types = list(DocumentType.objects.filter(active=True).order_by("label", "pk"))
    rank = {name: i for i, name in enumerate(suggested)}
    types.sort(key=lambda t: (rank.get(t.name, len(rank)), t.label.lower()))
    choices = [
        TypeChoice(t, key=i + 1 if i < NUMBERED else None, probability=suggested.get(t.name))
        for i, t in enumerate(types)
    ]
    if not with_fields:
        return choices
    by_type: dict[int, list[FieldRow]] = {}
    definitions = list(
        FieldDefinition.objects.filter(document_type__active=True).order_by(
            "document_type", "position", "pk"
        )
    )
    current = {v.field_id: v for v in FieldValue.objects.filter(document=document)}
    # What the rules would extract were the document of each type (a few ms a page and type).
    pages = fieldstore.pages_for(document, definitions)
    unset: dict[int, list[FieldDefinition]] = {}
    for definition in definitions:
        if definition.pk not in current:
            unset.setdefault(definition.document_type_id, []).append(definition)
    suggested_fields = {}
    for type_id, group in unset.items():
        found, _ = fieldstore.agree(document, fieldstore.extract(pages, group), group)
        suggested_fields.update({(type_id, name): value for name, value in found.items()})
    posted_type = posted.get("document_type", "") if posted is not None else ""
    for definition in definitions:
        row = FieldRow(definition)
        stored = current.get(definition.pk)
        if stored is not None:
            row.value, row.page, row.confidence = (
                stored.value,
                stored.page_number,
                stored.confidence,
            )
            row.bbox = json.dumps(stored.bbox) if stored.bbox else ""
            row.source = _source(stored)
        elif (definition.document_type_id, definition.name) in suggested_fields:
            number, value = suggested_fields[(definition.document_type_id, definition.name)]
            row.value, row.page, row.confidence = value.value, number, value.confidence
            row.bbox = json.dumps(list(value.bbox)) if value.bbox else ""
            row.source = "extracted"
            row.suggested = json.dumps(
                {"value": row.value, "page": number, "bbox": list(value.bbox or []) or None}
            )
        if posted is not None and posted_type == str(definition.document_type_id):
            name = f"field-{definition.name}"
            if name in posted:
                shown = row.value
                row.value = posted.get(name, "")
                page = posted.get(f"{name}-page", "")
                row.page = parse_id(page)
                row.bbox = posted.get(f"{name}-bbox", "")
                row.suggested = posted.get(f"suggested-{definition.name}", "")
                if row.value != shown:  # what the labeler did, as the page said before submit
                    row.source, row.confidence = _changed_note(row), None
        by_type.setdefault(definition.document_type_id, []).append(row)
    today = timezone.localdate()
    for rows in by_type.values():
        _mark_problems(rows, today)
    for choice in choices:
        choice.fields = by_type.get(choice.document_type.pk, [])
    return choices


def _changed_note(row: FieldRow) -> str:
    """The note under a value the labeler changed, as the workbench's script writes it."""
    if not row.value.strip():
        return "emptied by you"
    if row.page is not None and row.bbox:
        return f"picked by you on page {row.page}"
    return "typed by you"


def _mark_problems(rows: list[FieldRow], today: date) -> None:
    """Each row's first validation problem, for the values shown in one type's panel."""
    found = validation.validate(
        {row.definition.name: (row.value, row.value) for row in rows},
        [fieldstore.field_spec(row.definition) for row in rows],
        today,
    )
    messages: dict[str, str] = {}
    for problem in found:
        messages.setdefault(problem.field, problem.message)
    for row in rows:
        row.problem = messages.get(row.definition.name, "")


# --- Why: similar labeled documents ---------------------------------------------------------


@dataclass(frozen=True)
class Similar:
    document: Document
    type_label: str
    thumbnail_url: str | None


def similar(document: Document, task: Task) -> list[Similar]:
    """The human-labeled documents that read most like this one, with their types.

    Compares with the most recent ``SIMILAR_POOL`` labeled documents by cached text features
    (``priority.similar_documents``), so a request never decodes a page.
    """
    recent = (
        Label.objects.human()
        .exclude(document=document)
        .order_by("-created_at", "-pk")
        .values_list("document_id", flat=True)[:SIMILAR_POOL]
    )
    ids = list(dict.fromkeys(recent))
    if not ids:
        return []
    pool = list(Document.objects.filter(pk__in=ids).only("pk", "sha256"))
    nearest = priority.similar_documents(document, pool, k=SIMILAR_SHOWN)
    if not nearest:
        return []
    found = Document.objects.select_related("document_type").in_bulk(nearest)
    shown = [found[pk] for pk in nearest if pk in found]
    return [
        Similar(
            d,
            d.document_type.label if d.document_type is not None else "no type",
            thumbnail_url(task, d) if d.page_count else None,
        )
        for d in shown
    ]


def thumbnail_url(task: Task, document: Document) -> str:
    """A link to ``document``'s first-page thumbnail that only works with ``task``: a labeler
    may see a similar document's thumbnail without the document being visible to them."""
    token = signing.dumps([task.pk, document.pk], salt=THUMBNAIL_SALT, compress=True)
    return reverse("similar_thumbnail", args=[task.pk, token])


def thumbnail_document(task_id: int, token: str) -> int | None:
    """The document id a thumbnail link was made for, if it was made for ``task_id``."""
    try:
        signed_task, document_id = signing.loads(token, salt=THUMBNAIL_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(document_id) if signed_task == task_id else None
