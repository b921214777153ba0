"""State changes of documents. Views and tasks call these; nothing else writes the rows."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, Literal, cast

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from classification import (
    featurestore,
    fieldmemory,
    fieldstore,
    intake,
    learning,
    queue,
    signals,
    storage,
)
from classification.extraction import memory, validation
from classification.ids import parse_id
from classification.models import (
    Document,
    DocumentType,
    FieldCorrection,
    FieldDefinition,
    FieldValue,
    Label,
    Page,
)

log = logging.getLogger(__name__)

PROCESS_TASK = "classification.tasks.process_document"

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class IngestResult:
    outcome: Literal["accepted", "duplicate"]
    document: Document


def max_upload_bytes() -> int:
    return int(settings.DOCSITE_MAX_UPLOAD_MB) * 1024 * 1024


def read_upload(handle: IO[bytes], size: int | None) -> bytes:
    """Read an uploaded file, refusing it before reading when it is over the size limit."""
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise intake.RejectedUpload(
            "file_too_large",
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{settings.DOCSITE_MAX_UPLOAD_MB} MB (DOCSITE_MAX_UPLOAD_MB).",
        )
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise intake.RejectedUpload(
            "file_too_large",
            f"The file is over the limit of {settings.DOCSITE_MAX_UPLOAD_MB} MB.",
        )
    return data


def _share_duplicate(document: Document, user: User | None) -> None:
    """Someone else uploading bytes already stored sees that document from now on (its
    ``also_uploaded_by``), as they would had theirs been stored: the answer names it."""
    if user is None or not user.is_authenticated or user.pk == document.uploaded_by_id:
        return
    document.also_uploaded_by.add(cast(AuthUser, user))


def ingest_upload(
    data: bytes,
    filename: str,
    user: User | None,
    *,
    inspection: intake.Inspection | None = None,
    external_id: str = "",
    type_hint: DocumentType | None = None,
) -> IngestResult:
    """Store an upload and queue it, or return the document that already has these bytes
    (whose ``external_id`` and ``type_hint`` stay as they were).

    Raises ``intake.RejectedUpload`` before anything is written when the file is refused.
    ``inspection``: the result of ``check_upload`` for these bytes, when the caller checked a
    batch of files before storing any (the API), so they are not inspected twice.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Document.objects.filter(sha256=sha256).first()
    if existing is not None:
        _share_duplicate(existing, user)
        return IngestResult("duplicate", existing)
    if inspection is None:
        inspection = check_upload(data)
    relative = storage.original_path(sha256, inspection.extension)
    # The file goes first: content-addressed, so a concurrent upload of the same bytes writes
    # the same file, and a row never points at a missing file.
    storage.write_atomic(relative, data)
    uploader = cast(AuthUser, user) if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            document = Document.objects.create(
                sha256=sha256,
                original_name=intake.sanitise_filename(filename),
                original_path=relative,
                mime_type=inspection.mime_type,
                size_bytes=len(data),
                page_count=inspection.page_count,
                uploaded_by=uploader,
                external_id=external_id,
                type_hint=type_hint,
            )
            transaction.on_commit(lambda: enqueue_processing(document.pk))
    except IntegrityError:
        # Lost a race with the same bytes uploaded at the same moment.
        existing = Document.objects.get(sha256=sha256)
        _share_duplicate(existing, user)
        return IngestResult("duplicate", existing)
    log.info(
        "document=%s accepted name=%r pages=%s",
        document.pk,
        document.original_name,
        document.page_count,
    )
    return IngestResult("accepted", document)


def check_upload(data: bytes) -> intake.Inspection:
    """What the bytes are, or ``intake.RejectedUpload`` under the upload limits."""
    return intake.inspect(data, settings.DOCSITE_MAX_PAGES, settings.DOCSITE_MAX_IMAGE_PIXELS)


def delete_document(document: Document) -> bool:
    """Delete a document, its pages, predictions, labels and fields, and then its stored files;
    False (nothing deleted) while a worker is processing it, whose page files would outlive it.
    """
    with transaction.atomic():
        row = Document.objects.select_for_update().filter(pk=document.pk).first()
        if row is None:
            return True
        if row.status == Document.Status.PROCESSING:
            return False
        row.delete()
        # Files go after the commit: a rolled-back delete keeps a document with its files.
        original, pages, sha256 = row.original_path, storage.page_dir(row.sha256), row.sha256
        transaction.on_commit(lambda: _delete_files(original, pages, sha256))
    log.info("document=%s deleted name=%r", document.pk, document.original_name)
    return True


def _delete_files(original: str, pages: str, sha256: str) -> None:
    storage.delete(original)
    storage.delete_tree(pages)
    featurestore.cache().forget(sha256)  # the page features computed from it


def enqueue_processing(document_id: int) -> None:
    queue.enqueue(PROCESS_TASK, document_id, name=f"process document {document_id}")


def claim_for_processing(document_id: int) -> datetime | None:
    """Atomically move a queued (or abandoned) document to processing.

    Returns the claim's timestamp, which later writes must still match, or None when another
    worker holds the document or it is already done.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DOCSITE_TASK_TIMEOUT)
    claimable = Q(status=Document.Status.QUEUED) | Q(
        status=Document.Status.PROCESSING, processing_started_at__lt=stale
    )
    claimed = Document.objects.filter(claimable, pk=document_id).update(
        status=Document.Status.PROCESSING,
        processing_started_at=now,
        attempts=F("attempts") + 1,
        error_message="",
        updated_at=now,
    )
    return now if claimed else None


@dataclass
class PageResult:
    number: int
    image_path: str
    thumbnail_path: str
    width: int
    height: int
    words: list[dict[str, object]]
    text: str
    mean_confidence: float | None
    render_seconds: float
    ocr_seconds: float
    save_seconds: float


def finish_processing(
    document_id: int, claim: datetime, pages: list[PageResult], seconds: float
) -> bool:
    """Store the pages and route the document; False when the claim was lost meanwhile."""
    with transaction.atomic():
        mine = Document.objects.filter(
            pk=document_id, status=Document.Status.PROCESSING, processing_started_at=claim
        )
        if not mine.exists():
            return False
        Page.objects.filter(document_id=document_id).delete()
        Page.objects.bulk_create(
            Page(
                document_id=document_id,
                number=p.number,
                image_path=p.image_path,
                thumbnail_path=p.thumbnail_path,
                width=p.width,
                height=p.height,
                ocr_words=p.words,
                text=p.text,
                mean_confidence=p.mean_confidence,
                render_seconds=p.render_seconds,
                ocr_seconds=p.ocr_seconds,
                save_seconds=p.save_seconds,
            )
            for p in pages
        )
        # A person's label stands when a labeled document is processed again (reprocess);
        # otherwise review until classification (the next step of the same task) routes it.
        labeled = Label.objects.human().filter(document_id=document_id).order_by("-created_at")
        label = labeled.first()
        if label is not None:
            mine.update(
                status=Document.Status.CLASSIFIED,
                document_type=label.document_type,
                routing_reason="labeled by a person",
                page_count=len(pages),
                processed_at=timezone.now(),
                processing_seconds=round(seconds, 3),
                updated_at=timezone.now(),
            )
            # Rule values for the new pages; a person's values are kept.
            transaction.on_commit(lambda: fieldstore.extract_document(document_id), robust=True)
            return True
        mine.update(
            status=Document.Status.NEEDS_REVIEW,
            routing_reason="not classified yet",
            page_count=len(pages),
            processed_at=timezone.now(),
            processing_seconds=round(seconds, 3),
            updated_at=timezone.now(),
        )
    return True


def mark_failed(document_id: int, claim: datetime, message: str) -> bool:
    updated = Document.objects.filter(
        pk=document_id, status=Document.Status.PROCESSING, processing_started_at=claim
    ).update(
        status=Document.Status.FAILED,
        error_message=message[:2000],
        processed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if updated:
        signals.send_document_changed(document_id, "failed")
    return bool(updated)


def reprocess_document(document: Document) -> bool:
    """Render, OCR and route a document again (a failed one, or one processed before, e.g.
    after OCR settings changed); False while it is queued or processing. A person's label is
    kept: the document comes back with their type, and their field values stay."""
    if document.status == Document.Status.FAILED:
        return retry_document(document)
    with transaction.atomic():
        updated = Document.objects.filter(
            pk=document.pk,
            status__in=(Document.Status.CLASSIFIED, Document.Status.NEEDS_REVIEW),
        ).update(status=Document.Status.QUEUED, error_message="", updated_at=timezone.now())
        if updated:
            transaction.on_commit(lambda: enqueue_processing(document.pk))
    return bool(updated)


def retry_document(document: Document) -> bool:
    """Queue a failed document again; False when it is not failed."""
    with transaction.atomic():
        updated = Document.objects.filter(pk=document.pk, status=Document.Status.FAILED).update(
            status=Document.Status.QUEUED, error_message="", updated_at=timezone.now()
        )
        if updated:
            transaction.on_commit(lambda: enqueue_processing(document.pk))
    return bool(updated)


def refresh_statistics() -> str:
    """Give SQLite's query planner statistics (ANALYZE), hourly by schedule.

    SQLite keeps none unless asked; without them it picked the status index for the
    dashboards' date-range queries and scanned every document (bench.dashboards: 250 ms against
    5 ms). PostgreSQL's autovacuum keeps its own statistics.
    """
    if connection.vendor != "sqlite":
        return f"skipped: {connection.vendor} keeps its own statistics"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return "analyzed"


def recover_stale_documents() -> dict[str, int]:
    """Requeue documents a dead worker left in processing; fail those interrupted too often.

    django-q2 redelivers a task whose worker died, but gives up after ``max_attempts``; this
    sweep (scheduled every few minutes) makes sure nothing stays in processing for ever.
    """
    stale = timezone.now() - timedelta(seconds=settings.DOCSITE_TASK_TIMEOUT)
    max_attempts = int(settings.Q_CLUSTER.get("max_attempts", 3))  # type: ignore[call-overload]
    abandoned = Document.objects.filter(
        status=Document.Status.PROCESSING, processing_started_at__lt=stale
    )
    message = (
        f"Processing was interrupted {max_attempts} times (worker stopped or timed out); "
        "retry when the cause is fixed."
    )
    failed = 0
    # One by one through ``mark_failed``, as a failing worker does: the time it ended and the
    # ``document.failed`` webhook with it.
    worn = abandoned.filter(attempts__gte=max_attempts).values_list("pk", "processing_started_at")
    for document_id, claim in worn:
        if claim is not None:  # stale means it has one
            failed += mark_failed(document_id, claim, message)
    requeued = 0
    for document_id in abandoned.values_list("pk", flat=True):
        enqueue_processing(document_id)
        requeued += 1
    return {"failed": failed, "requeued": requeued}


def assign_type(
    document: Document,
    document_type: DocumentType,
    user: User,
    *,
    seconds_spent: float | None = None,
    suggested_type: DocumentType | None = None,
    second_opinion: bool = False,
) -> Label:
    """A person says what the document is: store the label, take it out of review.

    ``seconds_spent`` and ``suggested_type`` (the model's top suggestion the person saw) are
    recorded with the label. A ``second_opinion`` is a blind label for measuring agreement: it
    is stored, but the document's type and status stay as they are. Once committed, enough new
    labels queue a retraining (``learning.note_human_label``).
    """
    if not second_opinion:
        # The slow part of extraction (a second OCR reading of scanned pages, seconds a page)
        # runs before the transaction, so no write lock is held meanwhile.
        fieldstore.prepare(document.pk, document_type)
    with transaction.atomic():
        label = Label.objects.create(
            document=document,
            document_type=document_type,
            provenance=Label.Provenance.HUMAN,
            labeled_by=cast(AuthUser, user) if user.is_authenticated else None,
            seconds_spent=None if seconds_spent is None else round(max(0.0, seconds_spent), 3),
            suggested_type=suggested_type,
            suggestion_accepted=(
                None if suggested_type is None else suggested_type.pk == document_type.pk
            ),
            second_opinion=second_opinion,
        )
        if not second_opinion:
            Document.objects.filter(pk=document.pk).update(
                document_type=document_type,
                type_confidence=None,
                status=Document.Status.CLASSIFIED,
                routing_reason="labeled by a person",
                updated_at=timezone.now(),
            )
            transaction.on_commit(lambda: learning.note_human_label(document_type))
            signals.send_document_changed(document.pk, "labeled")
            _extract_fields(document)
    log.info(
        "document=%s labeled type=%s by=%s%s",
        document.pk,
        document_type.name,
        user.pk,
        " (second opinion)" if second_opinion else "",
    )
    return label


def _extract_fields(document: Document) -> None:
    """The rule values of the document's (new) type, so a person's field changes are recorded
    against what extraction said. A failing rule is logged; the label stands."""
    try:
        with transaction.atomic():
            fieldstore.extract_document(document.pk)
    except Exception:
        log.exception("document=%s field extraction failed", document.pk)


@dataclass(frozen=True)
class FieldInput:
    """A field's new value as a person gave it (picked words or typed)."""

    value: str
    raw: str = ""
    page_number: int | None = None
    bbox: list[float] | None = None


def correct_fields(
    document: Document, label: Label, user: User, values: dict[FieldDefinition, FieldInput]
) -> list[FieldCorrection]:
    """Store the fields a person set with ``label``; each changed one is recorded with its
    value before and after. An unchanged value stays as it was (source included), unless the
    person picked it on the page somewhere else than stored: then it is theirs (source human,
    their box), with no correction recorded since the value did not change."""
    corrections = []
    words_of: dict[int, list[dict[str, Any]]] = {}  # OCR words by page number, read once
    with transaction.atomic():
        current = {v.field_id: v for v in FieldValue.objects.filter(document=document)}
        for field, given in values.items():
            if field.document_type_id != label.document_type_id:
                raise ValueError(f"field {field.name} is not one of {label.document_type.name}'s")
            existing = current.get(field.pk)
            before = existing.value if existing else ""
            after = given.value.strip()
            if after == before and (
                existing is None
                or given.bbox is None
                or (given.bbox == existing.bbox and given.page_number == existing.page_number)
            ):
                continue
            given = _typed_over(document, field, given, words_of)
            if after == before and given.bbox is None:
                continue  # the same value, with a box that is not where it is
            FieldValue.objects.update_or_create(
                document=document,
                field=field,
                defaults={
                    "value": after,
                    "raw": given.raw or after,
                    "page_number": given.page_number,
                    "bbox": given.bbox,
                    "confidence": None,
                    "source": FieldValue.Source.HUMAN,
                    "updated_by": cast(AuthUser, user) if user.is_authenticated else None,
                },
            )
            fieldmemory.remember(document, field, after, given.page_number, given.bbox, label)
            if after == before:
                continue
            corrections.append(
                FieldCorrection.objects.create(
                    label=label,
                    field=field,
                    before=before,
                    after=after,
                    page_number=given.page_number,
                    bbox=given.bbox,
                )
            )
    return corrections


def _typed_over(
    document: Document,
    field: FieldDefinition,
    given: FieldInput,
    words_of: dict[int, list[dict[str, Any]]],
) -> FieldInput:
    """``given`` without its page and box when its value was typed over the words there
    (``memory.reads_as``): the workbench sends a suggested value's box along with whatever the
    person typed in its place, and that box is not where their value is, nor a place to learn
    the field from. ``words_of`` keeps each page's OCR words read for the next field."""
    if given.bbox is None or given.page_number is None:
        return given
    if given.page_number not in words_of:
        words_of[given.page_number] = (
            Page.objects.filter(document=document, number=given.page_number)
            .values_list("ocr_words", flat=True)
            .first()
        ) or []
    words = words_of[given.page_number]
    if not words or memory.reads_as(words, field.kind, given.value, given.bbox):
        return given
    return FieldInput(given.value, given.raw)


# Longest field value a person may give (the workbench form and the API).
MAX_FIELD_LENGTH = 1000


class FieldInputError(ValueError):
    """Field values that cannot be stored; ``problems`` maps a field name to what is wrong."""

    def __init__(self, message: str, problems: dict[str, str]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class SentField:
    """A field as a person sent it: the value, and optionally the page and the box
    ([left, top, right, bottom] in page-image pixels, or its JSON text) it was picked from."""

    value: str
    page: int | str | None = None
    bbox: object = None


def _field_box(raw: object, size: tuple[int, int], label: str) -> list[float]:
    problem = f"{label}: the box must be [left, top, right, bottom] within the page, in pixels."
    box = raw
    if isinstance(raw, str):
        try:
            box = json.loads(raw)
        except ValueError as exc:
            raise FieldInputError(problem, {}) from exc
    if not (isinstance(box, list) and len(box) == 4):
        raise FieldInputError(problem, {})
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box):
        raise FieldInputError(problem, {})
    left, top, right, bottom = (float(v) for v in box)
    width, height = size
    if not all(math.isfinite(v) for v in (left, top, right, bottom)):
        raise FieldInputError(problem, {})
    if not (0 <= left <= right <= width and 0 <= top <= bottom <= height):
        raise FieldInputError(problem, {})
    return [left, top, right, bottom]


def check_field_inputs(
    document: Document,
    document_type: DocumentType,
    sent: Mapping[str, SentField],
    *,
    strict: bool = True,
) -> dict[FieldDefinition, FieldInput]:
    """The fields of ``document_type`` that were sent, checked, as ``correct_fields`` takes
    them. Fields not sent are left as they are; names that are no field of the type are
    refused (unless not ``strict``: then a form's other inputs pass). Each value must read as
    its kind and pass the field's checks (``extraction.validation``: pattern, range, IBAN
    check digits, not in the future); a required field may stay empty, since a document can
    lack it. A value that reads is given as the rules give theirs (``validation.normalised``),
    with what was written as its ``raw``. The workbench form and the API both check through
    here."""
    definitions = {d.name: d for d in FieldDefinition.objects.filter(document_type=document_type)}
    unknown = sorted(set(sent) - set(definitions))
    if unknown and strict:
        problems = {name: f"Not a field of {document_type.label}." for name in unknown}
        raise FieldInputError(
            f"{', '.join(unknown)}: not a field of {document_type.label}.", problems
        )
    sizes = {n: (w, h) for n, w, h in document.pages.values_list("number", "width", "height")}
    inputs = {}
    problems = {}
    today = timezone.localdate()
    for name, definition in definitions.items():
        given = sent.get(name)
        if given is None:
            continue
        value = given.value.strip()
        if len(value) > MAX_FIELD_LENGTH:
            message = f"{definition.label}: at most {MAX_FIELD_LENGTH} characters."
            raise FieldInputError(message, {name: message})
        if "\x00" in value:  # no database keeps it (PostgreSQL refuses it)
            message = f"{definition.label}: must not contain a NUL character."
            raise FieldInputError(message, {name: message})
        normal = value
        if value:
            # Checked as it will be stored, as ``validate`` checks stored values: a pattern for
            # dates is one for 2018-03-05, whether "05/03/2018" was typed or read.
            parsed = validation.parse_value(definition.kind, value, today)
            normal = validation.normalised(definition.kind, parsed, value)
            spec = fieldstore.field_spec(definition)
            problem, _ = validation.check_value(spec, normal, today, raw=value)
            if problem is not None:
                problems[name] = problem.message
        raw_page = str(given.page).strip() if given.page is not None else ""
        page: int | None = None
        if raw_page:
            number = parse_id(raw_page)
            if number is None or number not in sizes:
                message = f"{definition.label}: page {raw_page} is not a page of this document."
                raise FieldInputError(message, {name: message})
            page = number
        box = None
        if given.bbox not in (None, ""):
            if page is None:
                message = f"{definition.label}: a box needs the page it is on."
                raise FieldInputError(message, {name: message})
            try:
                box = _field_box(given.bbox, sizes[page], definition.label)
            except FieldInputError as exc:
                raise FieldInputError(str(exc), {name: str(exc)}) from None
        if not value:
            page, box = None, None  # an empty value is on no page
        # Stored as the rules store theirs ("25/12/2018" as 2018-12-25); ``raw`` as written.
        inputs[definition] = FieldInput(normal, value, page, box)
    if problems:
        raise FieldInputError("; ".join(problems.values()) + ".", problems)
    return inputs
