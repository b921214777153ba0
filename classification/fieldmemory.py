"""Field memories (``FieldMemory``): what a person's correction taught about a field in one
vendor's or layout's documents, stored when they pick the field's words on a page, and tried
first when the fields of a page of that layout are extracted.

The learning itself is ``classification.extraction.memory`` (no Django); this module keeps its
results. A layout is known by its first page's ``memory.fingerprint``, compared by similarity:
a correction on a page alike enough to a layout people already taught (any field of the same
type) updates that layout's memories, so one layout's memories share one fingerprint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from classification.extraction import memory
from classification.extraction.fields import Extracted, name_words
from classification.models import Document, FieldDefinition, FieldMemory, Label, Page

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Learned(Extracted):
    """A value a memory found, with the memory it came from (to count its uses)."""

    memory_id: int = 0


def remember(
    document: Document,
    field: FieldDefinition,
    value: str,
    page_number: int | None,
    bbox: Sequence[float] | None,
    label: Label | None = None,
) -> FieldMemory | None:
    """Learn where ``field`` is in this document's layout from the words a person picked
    (``bbox`` on page ``page_number``) for ``value``, as part of ``label`` (``forget`` takes
    it back). Nothing happens for a typed value (no box), an empty one, or a page without OCR
    words. A failure is logged, never raised: the person's value is stored whatever learning
    makes of it."""
    if page_number is None or bbox is None or not value.strip():
        return None
    try:
        with transaction.atomic():
            return _remember(document, field, value.strip(), page_number, bbox, label)
    except Exception:
        log.exception(
            "document=%s field=%s learning from the correction failed", document.pk, field.name
        )
        return None


def _remember(
    document: Document,
    field: FieldDefinition,
    value: str,
    number: int,
    bbox: Sequence[float],
    label: Label | None,
) -> FieldMemory | None:
    page = Page.objects.filter(document=document, number=number).first()
    if page is None or not page.ocr_words:
        return None
    fingerprint = memory.fingerprint(page.ocr_words, page.width, page.height)
    anchor = memory.learn(page.ocr_words, page.width, page.height, field.kind, value, bbox=bbox)
    if not fingerprint or anchor is None:
        return None
    known = FieldMemory.objects.filter(field__document_type_id=field.document_type_id)
    layout = memory.best_match(fingerprint, set(known.values_list("fingerprint", flat=True)))
    key = layout or fingerprint
    existing = FieldMemory.objects.select_for_update().filter(field=field, fingerprint=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                created = FieldMemory.objects.create(
                    field=field, fingerprint=key, anchor=anchor, example=value,
                    source_document=document, taught_by=label, previous=None,
                )  # fmt: skip
            log.info("field=%s layout=%r learned from document=%s", field.name, key, document.pk)
            return created
        except IntegrityError:  # the same layout taught at the same moment: update that one
            existing = FieldMemory.objects.select_for_update().get(field=field, fingerprint=key)
    if label is None or existing.taught_by_id != label.pk:
        # What to put back if this label is undone, with the label that taught it and what
        # to put back in turn (undone one after the other, latest first); a label that teaches
        # the same memory twice (a field picked again) keeps the state from before its first
        # lesson.
        existing.previous = {
            "anchor": existing.anchor,
            "example": existing.example,
            "source_document": existing.source_document_id,
            "taught_by": existing.taught_by_id,
            "previous": _shortened(existing.previous, UNDO_DEPTH - 1),
        }
    existing.taught_by = label
    existing.anchor = memory.merge(existing.anchor, anchor)
    existing.example = value
    existing.source_document = document
    existing.save(
        update_fields=[
            "anchor", "example", "source_document", "taught_by", "previous", "updated_at"
        ]
    )  # fmt: skip
    log.info("field=%s layout=%r relearned from document=%s", field.name, key, document.pk)
    return existing


# Lessons of one memory that can be taken back one after the other (undo is for the last few
# minutes' labels): older states are dropped, and their labels' undo leaves the memory as is.
UNDO_DEPTH = 5


def _shortened(previous: Any, depth: int) -> Any:
    """``previous`` (a memory's earlier states, nested) keeping ``depth`` of them at most."""
    if not isinstance(previous, dict) or depth <= 0:
        return None
    return {**previous, "previous": _shortened(previous.get("previous"), depth - 1)}


def forget(label: Label) -> int:
    """Take back what ``label``'s corrections taught (its undo): a memory it created goes, one
    it updated gets its earlier state back, with the label that taught that one (so undoing
    that label next takes it back in turn). A memory a later label taught since keeps that
    later lesson. Returns the memories changed."""
    changed = 0
    for row in FieldMemory.objects.select_for_update().filter(taught_by=label):
        if row.previous is None:
            row.delete()
        else:
            before = row.previous
            row.anchor = before.get("anchor", row.anchor)
            row.example = before.get("example", row.example)
            source = before.get("source_document")
            row.source_document_id = (
                source if source and Document.objects.filter(pk=source).exists() else None
            )
            teacher = before.get("taught_by")
            row.taught_by_id = (
                teacher if teacher and Label.objects.filter(pk=teacher).exists() else None
            )
            row.previous = before.get("previous") if row.taught_by_id else None
            row.save()
        changed += 1
    if changed:
        log.info("label=%s undone: %d field memories taken back", label.pk, changed)
    return changed


def _text_words(
    page: Page, reading: Callable[[Page], Sequence[Mapping[str, Any]] | None]
) -> list[Mapping[str, Any]]:
    return name_words(page.ocr_words, reading(page))


def recall(
    pages: Sequence[Page],
    definitions: Sequence[FieldDefinition],
    reading: Callable[[Page], Sequence[Mapping[str, Any]] | None] | None = None,
) -> dict[str, tuple[int, Learned]]:
    """What the memories of these pages' layouts find for ``definitions``, in page order, an
    earlier page winning: ``{field name: (page number, value)}``. One query when nothing was
    ever learned for these fields. ``reading``: a page's second reading (PP-OCR's words, as
    ``fieldstore.number_words`` gives them), asked for only when a text field has a memory for
    that page; text fields are then read from Tesseract's words with the second reading's
    characters, as the vendor and address rules read them (``fields.name_words``)."""
    by_id = {d.pk: d for d in definitions}
    known: dict[int, set[str]] = {}
    for field_id, fingerprint in FieldMemory.objects.filter(field_id__in=list(by_id)).values_list(
        "field_id", "fingerprint"
    ):
        known.setdefault(field_id, set()).add(fingerprint)
    if not known:
        return {}
    found: dict[str, tuple[int, Learned]] = {}
    for page in pages:
        wanted = {i: fps for i, fps in known.items() if by_id[i].name not in found}
        if not wanted or not page.ocr_words:
            continue
        fingerprint = memory.fingerprint(page.ocr_words, page.width, page.height)
        if not fingerprint:
            continue
        alike = {fp: memory.similarity(fingerprint, fp) for fp in set().union(*wanted.values())}
        # Each field's own best layout: fields taught on different documents of one layout
        # may sit under different (alike) fingerprints.
        chosen = {
            i: max(sorted(fps), key=lambda fp: alike[fp])
            for i, fps in wanted.items()
            if max(alike[fp] for fp in fps) >= memory.SAME_LAYOUT
        }
        if not chosen:
            continue
        rows = [
            row
            for row in FieldMemory.objects.filter(
                field_id__in=chosen, fingerprint__in=set(chosen.values())
            )
            if chosen.get(row.field_id) == row.fingerprint
        ]
        # Each reading grouped into lines once for the page, not per memory row.
        readings = memory.PageReadings(
            page.ocr_words, None if reading is None else partial(_text_words, page, reading)
        )
        for row in rows:
            definition = by_id[row.field_id]
            words, lines = readings.read(definition.kind)
            value = memory.apply(words, page.width, page.height, row.anchor, definition.kind, lines)
            if value is not None:
                found[definition.name] = (page.number, _learned(value, row.pk))
    return found


def _learned(value: Extracted, memory_id: int) -> Learned:
    return Learned(value.value, value.raw, value.bbox, value.confidence, value.source, memory_id)


def note_uses(values: Iterable[Any]) -> None:
    """Count one use for the memory behind each learned value stored."""
    ids = [v.memory_id for v in values if isinstance(v, Learned)]
    if ids:
        FieldMemory.objects.filter(pk__in=ids).update(uses=F("uses") + 1)
