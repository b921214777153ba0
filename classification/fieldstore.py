"""Fields of documents whose type is known: extracted by the rules of ``extraction.fields``
from the stored OCR words and kept as ``FieldValue`` rows with ``source="rule"``, or found by
what people's corrections taught about the page's layout (``fieldmemory``, tried first) and
kept with ``source="learned"``.

An address the rules read slightly differently from how other documents' rule values of the
same place read it takes their reading (``extraction.consensus``; its ``raw`` stays the
page's).

A value a person gave (``source="human"``) is never overwritten; running it again recomputes
the rule values only, so it is safe to run twice. Pages are read in order: a field found on an
earlier page wins, a later page only fills what is still missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from PIL import Image

from classification import fieldmemory, ppocr, storage
from classification.extraction import consensus, contracts, memory, validation
from classification.extraction.fields import PAGES_READ, Extracted, extract_fields, read_on
from classification.models import Document, DocumentType, FieldDefinition, FieldValue, Page

log = logging.getLogger(__name__)

# Pages read per document: the fields of the seeded types sit on the first pages.
MAX_PAGES = PAGES_READ


def first_pages(document: Document) -> list[Page]:
    return list(document.pages.order_by("number")[:MAX_PAGES])


def pages_for(document: Document, definitions: Sequence[FieldDefinition]) -> list[Page]:
    """The pages the rules read for ``definitions`` (of one type or several): the first
    pages, and for a contract's schema (``contracts.is_contract_schema``) also its last pages,
    where the governing law and the signature block are."""
    if not contracts.is_contract_schema((d.name, d.kind) for d in definitions):
        return first_pages(document)
    count = document.page_count or document.pages.count()
    numbers = set(contracts.pages_to_read(count)) | set(range(1, MAX_PAGES + 1))
    return list(document.pages.filter(number__in=numbers).order_by("number"))


# --- Number words: PP-OCR's second reading of a scanned page, for dates and amounts -------------


def wants_numbers(wanted: Iterable[tuple[str, str]]) -> bool:
    """Whether a field of ``wanted`` is of a kind PP-OCR's reading serves (``memory`` decides
    with the same kinds which learned values go ahead of the rules)."""
    return any(kind in memory.NUMBER_KINDS for _, kind in wanted)


def _numbers_path(page: Page, version: int = ppocr.VERSION) -> str:
    return storage.beside(page.image_path, f"ppocr-v{version}.json")


def number_words(page: Page, compute: bool = False) -> list[ppocr.OcrWord] | None:
    """PP-OCR's words on a page Tesseract read (``ppocr.worth_reading``), kept in a JSON file
    next to the page image; None for a page read from its text layer, or when there is no
    reading yet and ``compute`` is False (a page view never waits seconds for it), or when the
    engine is unavailable. A reading of an older image (the page was processed again since)
    is read again."""
    # DOCSITE_PPOCR (default on) turns new readings off: tests of other things, or a
    # deployment that would rather not spend the seconds.
    compute = compute and settings.DOCSITE_PPOCR
    if not page.image_path or not ppocr.worth_reading(page.ocr_words):
        return None
    path = _numbers_path(page)
    if compute:
        # An older version's reading is never read again: it goes when readings may be written.
        for version in range(1, ppocr.VERSION):
            storage.delete(_numbers_path(page, version))
    stored = storage.exists(path)
    if not stored and not compute:
        return None
    stamp = _file_stamp(page.image_path)
    reading: dict[str, Any] | None = None
    if stored:
        try:
            reading = dict(json.loads(storage.read(path)))
            if stamp is not None and reading.get("image_stamp") == stamp:
                # The very file the reading was made from: no need to read and hash it.
                return list(reading["words"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("page=%s unreadable %s, read again", page.pk, path)
            reading = None
    try:
        image_bytes = storage.read(page.image_path)
    except (OSError, ValueError):
        return None
    digest = hashlib.sha256(image_bytes).hexdigest()
    if reading is not None and reading.get("image_sha256") == digest:
        try:
            words = list(reading["words"])
        except (KeyError, TypeError):
            words = None
        if words is not None:
            if compute:  # the same image in a new file (restored, copied): note its stamp
                _store_reading(path, digest, stamp, words)
            return words
    if not compute:
        return None
    with Image.open(io.BytesIO(image_bytes)) as image:
        words = ppocr.recognise(image)
    if words is None:
        return None
    _store_reading(path, digest, stamp, words)
    return words


def _file_stamp(relative: str) -> list[int] | None:
    """Size, modification time and inode of a stored file: a new file written over it (a page
    processed again is written to a new file and renamed) has another."""
    try:
        info = storage.absolute(relative).stat()
    except (OSError, ValueError):
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _store_reading(
    path: str, digest: str, stamp: list[int] | None, words: list[ppocr.OcrWord]
) -> None:
    payload = {
        "version": ppocr.VERSION,
        "image_sha256": digest,
        "image_stamp": stamp,
        "words": words,
    }
    storage.write_atomic(path, json.dumps(payload).encode())


def prepare(document_id: int, document_type: DocumentType) -> None:
    """``read_numbers``, for callers about to open a transaction: a failure is logged, never
    raised (extraction then reads Tesseract's words)."""
    try:
        read_numbers(document_id, document_type)
    except Exception:
        log.exception("document=%s PP-OCR reading failed", document_id)


def read_numbers(document_id: int, document_type: DocumentType) -> int:
    """Make and store the PP-OCR readings ``extract_document`` will use for ``document_type``
    now (seconds a page), so a caller can do it before opening the transaction that extracts;
    returns the pages read (stored readings included)."""
    document = Document.objects.filter(pk=document_id).first()
    definitions = list(FieldDefinition.objects.filter(document_type=document_type))
    if document is None or not wants_numbers((d.name, d.kind) for d in definitions):
        return 0
    pages = [p for p in pages_for(document, definitions) if p.number <= MAX_PAGES]
    return sum(number_words(page, compute=True) is not None for page in pages)


def extract(
    pages: Sequence[Page], definitions: Sequence[FieldDefinition], compute_numbers: bool = False
) -> dict[str, tuple[int, Extracted]]:
    """What the rules find for ``definitions`` (of one type) on ``pages`` (``pages_for``), in
    page order, stored or not: ``{field name: (page number, value)}``. A contract's fields are
    read by the contract rules from the whole text of its pages; any other field by the page
    rules from the first ``MAX_PAGES`` pages, a field found on an earlier page winning, but
    for a total the rules were unsure of (``fields.read_on``), which a surer one on a later
    page replaces.

    Dates and amounts of a scanned page are read from PP-OCR's words (``number_words``) when
    they are stored, or read now when ``compute_numbers`` (seconds a page). What people's
    corrections taught about a page's layout (``fieldmemory.recall``) comes before the rules."""
    wanted = [(d.name, d.kind) for d in definitions]
    found: dict[str, tuple[int, Extracted]] = {}
    if contracts.is_contract_schema(wanted):
        count = max((p.number for p in pages), default=0)
        chosen = set(contracts.pages_to_read(count))
        texts = [
            contracts.PageWords(p.number, p.ocr_words, p.width, p.height)
            for p in pages
            if p.number in chosen
        ]
        found.update(contracts.extract_contract_fields(texts, wanted))
        wanted = [(name, kind) for name, kind in wanted if not contracts.reads(name, kind)]
    # Each page's PP-OCR words read once (reading them reads and hashes the page image).
    readings: dict[int, list[ppocr.OcrWord] | None] = {}

    def reading(page: Page) -> list[ppocr.OcrWord] | None:
        if page.number not in readings:
            readings[page.number] = number_words(page, compute_numbers)
        return readings[page.number]

    def rules_reading(page: Page) -> list[ppocr.OcrWord] | None:
        """The second reading the rules would have of ``page``: none past ``MAX_PAGES``."""
        return reading(page) if page.number <= MAX_PAGES else None

    # What people taught about these pages' layouts comes first (``fieldmemory``); a learned
    # value the page barely supports only fills what the rules leave. Learned text fields read
    # the page as the name rules do, with PP-OCR's characters, where the rules would have it.
    learned = fieldmemory.recall(
        pages, definitions, rules_reading if wants_numbers(wanted) else None
    )

    numbers_read = wants_numbers(wanted) and any(rules_reading(p) is not None for p in pages)
    found.update(
        memory.ahead_of_rules(learned, {d.name: d.kind for d in definitions}, numbers_read)
    )
    # The rules' totals, which a later page may replace: a first page's total read off a
    # "Subtotal" line is a guess (``fields.WEAK_TOTAL``) where page 2 prints the grand total.
    ruled: set[str] = set()
    for page in (p for p in pages if p.number <= MAX_PAGES):
        so_far = {name: value for name, (_, value) in found.items()}
        missing = read_on(wanted, so_far, settled=set(found) - ruled)
        if not missing:
            break
        numbers = reading(page) if wants_numbers(missing) else None
        for name, value in extract_fields(
            page.ocr_words, page.width, page.height, missing, number_words=numbers
        ).items():
            if name in found and value.confidence <= found[name][1].confidence:
                continue  # an earlier page's, as sure or surer
            found[name] = (page.number, value)
            ruled.add(name)
    return {**learned, **found}


def extract_document(document_id: int, document_type: DocumentType | None = None) -> int:
    """Extract and store the rule values of the document's type (or of ``document_type``, the
    type routing is about to accept); returns how many were stored."""
    document = Document.objects.filter(pk=document_id).select_related("document_type").first()
    if document is None:
        return 0
    document_type = document_type or document.document_type
    if document_type is None:
        return 0
    definitions = list(FieldDefinition.objects.filter(document_type=document_type))
    if not definitions:
        # A type without fields: the rules' and learned values of the type before go.
        machine = [FieldValue.Source.RULE, FieldValue.Source.LEARNED]
        FieldValue.objects.filter(document=document, source__in=machine).delete()
        return 0
    # PP-OCR reads a scanned page's numbers here, once (stored beside the page image).
    found = extract(pages_for(document, definitions), definitions, compute_numbers=True)
    found, keys = agree(document, found, definitions)
    stored = 0
    with transaction.atomic():
        human = set(
            FieldValue.objects.filter(
                document=document, source=FieldValue.Source.HUMAN
            ).values_list("field_id", flat=True)
        )
        # Rule values of another type, or ones the rules no longer find, go.
        machine = [FieldValue.Source.RULE, FieldValue.Source.LEARNED]
        FieldValue.objects.filter(document=document, source__in=machine).exclude(
            field__in=[d for d in definitions if d.name in found]
        ).delete()
        for definition in definitions:
            if definition.pk in human or definition.name not in found:
                continue
            number, value = found[definition.name]
            FieldValue.objects.update_or_create(
                document=document,
                field=definition,
                defaults={
                    "value": value.value,
                    "raw": value.raw,
                    "page_number": number,
                    "bbox": list(value.bbox) if value.bbox else None,
                    "confidence": value.confidence,
                    "source": (
                        FieldValue.Source.LEARNED
                        if value.source == FieldValue.Source.LEARNED
                        else FieldValue.Source.RULE
                    ),
                    "group_key": keys.get(definition.name, ""),
                    "updated_by": None,
                },
            )
            stored += 1
        fieldmemory.note_uses(
            found[d.name][1] for d in definitions if d.pk not in human and d.name in found
        )
    log.info("document=%s fields extracted=%d type=%s", document.pk, stored, document_type)
    return stored


def agree(
    document: Document,
    found: dict[str, tuple[int, Extracted]],
    definitions: Sequence[FieldDefinition],
) -> tuple[dict[str, tuple[int, Extracted]], dict[str, str]]:
    """``found`` (``extract``'s, for ``definitions`` of one type) with the addresses the other
    documents of their place agree on (``consensus.apply``): their rule values' readings,
    counted in the database. What ``extract_document`` stores and the workbench suggests; with
    each address's key (``consensus.keys``), which ``extract_document`` stores beside it."""
    by_name = {d.name: d for d in definitions}
    values = {name: value for name, (_, value) in found.items()}
    keys = consensus.keys(values, [(d.name, d.kind) for d in definitions])

    def readings(name: str, key: str) -> list[str]:
        counted = (
            FieldValue.objects.filter(
                field=by_name[name], group_key=key, source=FieldValue.Source.RULE
            )
            .exclude(document=document)
            .values("raw")
            .annotate(n=Count("id"))
            .order_by("-n", "raw")[: consensus.READINGS]
        )
        return [row["raw"] for row in counted for _ in range(row["n"])]

    values = consensus.apply(values, keys, readings)
    return {name: (number, values[name]) for name, (number, _) in found.items()}, keys


# --- Validation -------------------------------------------------------------------------------


def field_spec(definition: FieldDefinition) -> validation.FieldSpec:
    return validation.FieldSpec(
        name=definition.name,
        kind=definition.kind,
        required=definition.required,
        pattern=definition.pattern,
        min=definition.min_value,
        max=definition.max_value,
        not_in_future=definition.not_in_future,
        label=definition.label,
    )


def own_type(type_id: int | None, value_types: Collection[int]) -> int | None:
    """The type whose stored values are a document's fields: the type in force (``type_id``);
    without one, the one type its values are of (``value_types``: a confident prediction whose
    fields failed validation went to review with them), else none. A person's value kept from a
    type the document had before is not one of its fields."""
    if type_id is not None:
        return type_id
    return next(iter(value_types)) if len(set(value_types)) == 1 else None


def current_values(document: Document) -> list[FieldValue]:
    """The stored values of the document's own type (``own_type``), in schema order: what the
    document page and the API show, as the export has them."""
    values = list(
        FieldValue.objects.filter(document=document)
        .select_related("field__document_type", "updated_by")
        .order_by("field__position", "field_id")
    )
    own = own_type(document.document_type_id, {v.field.document_type_id for v in values})
    return [v for v in values if v.field.document_type_id == own]


def problems(
    document: Document, document_type: DocumentType | None = None, today: date | None = None
) -> list[validation.Problem]:
    """What fails validation in the document's stored field values (rules' and people's) for
    ``document_type``: by default the type in force, else the one type whose values are stored
    (a confident prediction that validation sent to review keeps them). Empty when no type."""
    stored = list(
        FieldValue.objects.filter(document=document).select_related("field__document_type")
    )
    if document_type is None:
        document_type = document.document_type
    if document_type is None:
        types = {v.field.document_type for v in stored}
        if len(types) != 1:
            return []
        document_type = types.pop()
    definitions = FieldDefinition.objects.filter(document_type=document_type)
    values = {
        v.field.name: (v.value, v.raw)
        for v in stored
        if v.field.document_type_id == document_type.pk
    }
    return validation.validate(
        values, [field_spec(d) for d in definitions], today or timezone.localdate()
    )
