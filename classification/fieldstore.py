"""Fields of documents whose type is known: extracted by the rules of ``extraction.fields``
from the stored OCR words and kept as ``FieldValue`` rows with ``source="rule"``.

A value a person gave (``source="human"``) is never overwritten; running it again recomputes
the rule values only, so it is safe to run twice. Pages are read in order: a field found on an
earlier page wins, a later page only fills what is still missing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from classification.extraction.fields import Extracted, extract_fields
from classification.models import Document, FieldDefinition, FieldValue, Page

log = logging.getLogger(__name__)

# Pages read per document: the fields of the seeded types sit on the first pages.
MAX_PAGES = 3


def first_pages(document: Document) -> list[Page]:
    return list(document.pages.order_by("number")[:MAX_PAGES])


def extract(
    pages: Sequence[Page], definitions: Sequence[FieldDefinition]
) -> dict[str, tuple[int, Extracted]]:
    """What the rules find for ``definitions`` (of one type) on ``pages``, in page order, stored
    or not: ``{field name: (page number, value)}``."""
    wanted = [(d.name, d.kind) for d in definitions]
    found: dict[str, tuple[int, Extracted]] = {}
    for page in pages:
        missing = [(name, kind) for name, kind in wanted if name not in found]
        if not missing:
            break
        for name, value in extract_fields(page.ocr_words, page.width, page.height, missing).items():
            found[name] = (page.number, value)
    return found


def extract_document(document_id: int) -> int:
    """Extract and store the rule values of the document's type; returns how many were stored."""
    document = Document.objects.filter(pk=document_id).select_related("document_type").first()
    if document is None or document.document_type is None:
        return 0
    definitions = list(FieldDefinition.objects.filter(document_type=document.document_type))
    if not definitions:
        return 0
    found = extract(first_pages(document), definitions)
    stored = 0
    with transaction.atomic():
        human = set(
            FieldValue.objects.filter(
                document=document, source=FieldValue.Source.HUMAN
            ).values_list("field_id", flat=True)
        )
        # Rule values of another type, or ones the rules no longer find, go.
        FieldValue.objects.filter(document=document, source=FieldValue.Source.RULE).exclude(
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
                    "source": FieldValue.Source.RULE,
                    "updated_by": None,
                },
            )
            stored += 1
    log.info("document=%s fields extracted=%d type=%s", document.pk, stored, document.document_type)
    return stored
