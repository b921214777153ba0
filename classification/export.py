"""Documents with their type, how it was decided, and their fields, as CSV, JSON or JSON Lines.

``stream(documents, "csv" | "json" | "jsonl", viewer=user)`` takes an already filtered (and
permission-scoped) queryset and yields the export as text, piece by piece, so a web view (or
the REST API) can hand it to a streaming response without holding all rows. Documents are read
``CHUNK_SIZE`` at a time with ``.iterator()``; each chunk costs two more queries (its labels and
its field values) whatever its size, so 100,000 documents are 100 chunks, never 100,000 queries.

A row's ``type`` is the type in force (the one the document list shows and filters on), and
``type_provenance`` says how it was decided: ``human`` (a person's label), ``auto`` (the model
auto-accepted it), ``pseudo`` (no type yet, but the last training took the model's guess for it
as a pseudo-label), ``none`` (no type, or one no label explains), or ``hidden`` for a labeler
holding a blind check of the document, who sees none of its type, routing or fields.
Only the fields of the document's own type are exported: a person's value left over from an
earlier type is not. A document without a type has those of the one type whose values it has (a
confident prediction whose fields failed validation went to review with them).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict, cast

from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from classification import access, fieldstore
from classification.models import Document, FieldDefinition, FieldValue, Label

# Documents per chunk: one query for their labels and one for their field values each. At
# 1,000 a chunk's ids fit in one IN (...) on SQLite and PostgreSQL and its rows in a few MB.
CHUNK_SIZE = 1000


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    content_type: str


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8"),
    "json": ExportFormat("json", "application/json"),
    "jsonl": ExportFormat("jsonl", "application/x-ndjson"),
}

PROVENANCE_HUMAN = Label.Provenance.HUMAN.value
PROVENANCE_AUTO = Label.Provenance.AUTO.value
PROVENANCE_PSEUDO = Label.Provenance.PSEUDO.value
PROVENANCE_NONE = "none"
PROVENANCE_HIDDEN = "hidden"


class FieldEntry(TypedDict):
    value: str
    raw: str
    confidence: float | None
    source: str
    page: int | None
    bbox: list[float] | None


class ExportRow(TypedDict):
    id: int
    original_name: str
    sha256: str
    status: str
    type: str | None
    type_confidence: float | None
    type_provenance: str
    routing_reason: str
    uploaded_at: str
    processed_at: str | None
    page_count: int
    fields: dict[str, FieldEntry]


# The CSV's columns before the fields, in ExportRow's order.
BASE_COLUMNS = [name for name in ExportRow.__annotations__ if name != "fields"]


DOCUMENT_COLUMNS = (
    "original_name",
    "sha256",
    "status",
    "document_type__name",
    "type_confidence",
    "routing_reason",
    "created_at",
    "processed_at",
    "page_count",
)


def filename(fmt: str, day: date) -> str:
    return f"docsite-documents-{day.isoformat()}.{FORMATS[fmt].extension}"


def stream(
    documents: QuerySet[Document],
    fmt: str,
    *,
    viewer: access.User | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[str]:
    """The export of ``documents`` (in their order) in ``fmt``, one piece per chunk of rows.

    ``viewer``: whose blind checks to respect (``access.hides_labels``); None exports all.
    Raises ``KeyError`` for an unknown format, before anything is read.
    """
    writer = {"csv": _csv, "json": _json, "jsonl": _jsonl}[fmt]
    return writer(documents, viewer, chunk_size)


def rows(
    documents: QuerySet[Document],
    *,
    viewer: access.User | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[ExportRow]:
    """One ``ExportRow`` per document, in the queryset's order, read chunk by chunk."""
    for chunk in _row_chunks(documents, viewer, chunk_size):
        yield from chunk


def field_names(documents: QuerySet[Document]) -> list[str]:
    """Every field name of the types present in ``documents``, and of the values of those
    without a type (``_own_fields``), in one query, by type name then position; a name two
    types share (``total``) once."""
    untyped = FieldValue.objects.filter(
        document__in=documents.values("pk"), document__document_type__isnull=True
    ).values("field__document_type")
    definitions = FieldDefinition.objects.filter(
        Q(document_type__in=documents.values("document_type")) | Q(document_type__in=untyped)
    ).order_by("document_type__name", "position", "id")
    return list(dict.fromkeys(definitions.values_list("name", flat=True)))


def _row_chunks(
    documents: QuerySet[Document], viewer: access.User | None, size: int
) -> Iterator[list[ExportRow]]:
    chunk: list[Document] = []
    # Only the exported columns: a third of the time per row goes to building instances.
    documents = documents.select_related("document_type").only(*DOCUMENT_COLUMNS)
    for document in documents.iterator(chunk_size=size):
        chunk.append(document)
        if len(chunk) == size:
            yield _chunk_rows(chunk, viewer)
            chunk = []
    if chunk:
        yield _chunk_rows(chunk, viewer)


def _chunk_rows(chunk: Sequence[Document], viewer: access.User | None) -> list[ExportRow]:
    ids = [d.pk for d in chunk]
    provenances: defaultdict[int, set[str]] = defaultdict(set)
    labels = Label.objects.filter(document_id__in=ids, second_opinion=False)
    for document_id, provenance in labels.values_list("document_id", "provenance").distinct():
        provenances[document_id].add(provenance)
    types = {d.pk: d.document_type_id for d in chunk}
    by_type: defaultdict[int, dict[int, dict[str, FieldEntry]]] = defaultdict(dict)
    values = FieldValue.objects.filter(document_id__in=ids).order_by(
        "document_id", "field__position", "field_id"
    )
    # Tuples, not model instances: a chunk has thousands of values.
    for (
        document_id,
        type_id,
        name,
        value,
        raw,
        confidence,
        source,
        page,
        bbox,
    ) in values.values_list(
        "document_id",
        "field__document_type_id",
        "field__name",
        "value",
        "raw",
        "confidence",
        "source",
        "page_number",
        "bbox",
    ):
        by_type[document_id].setdefault(type_id, {})[name] = {
            "value": value,
            "raw": raw,
            "confidence": confidence,
            "source": source,
            "page": page,
            "bbox": bbox,
        }
    fields = {d: _own_fields(types[d], found) for d, found in by_type.items()}
    blind = _blind(chunk, viewer)
    return [
        _row(d, provenances[d.pk], fields.get(d.pk, {})) if d.pk not in blind else _hidden_row(d)
        for d in chunk
    ]


def _own_fields(
    type_id: int | None, by_type: dict[int, dict[str, FieldEntry]]
) -> dict[str, FieldEntry]:
    """A document's fields: those of its own type (``fieldstore.own_type``)."""
    own = fieldstore.own_type(type_id, by_type.keys())
    return by_type.get(own, {}) if own is not None else {}


def _blind(chunk: Sequence[Document], viewer: access.User | None) -> set[int]:
    """The documents of ``chunk`` whose type ``viewer`` may not see, in one query (the rule is
    the labeling app's, ``access.register_blind_scope``)."""
    if viewer is None:
        return set()
    return access.hidden_among(viewer, [d.pk for d in chunk])


def _provenance(document: Document, provenances: set[str]) -> str:
    if document.document_type_id is not None:
        # A person's label sets the type; the model's only while no person has labeled it.
        for provenance in (PROVENANCE_HUMAN, PROVENANCE_AUTO):
            if provenance in provenances:
                return provenance
        return PROVENANCE_NONE
    return PROVENANCE_PSEUDO if PROVENANCE_PSEUDO in provenances else PROVENANCE_NONE


def _row(document: Document, provenances: set[str], fields: dict[str, FieldEntry]) -> ExportRow:
    return {
        "id": document.pk,
        "original_name": document.original_name,
        "sha256": document.sha256,
        "status": document.status,
        "type": document.document_type.name if document.document_type else None,
        "type_confidence": document.type_confidence,
        "type_provenance": _provenance(document, provenances),
        "routing_reason": document.routing_reason,
        "uploaded_at": document.created_at.isoformat(),
        "processed_at": _iso(document.processed_at),
        "page_count": document.page_count,
        "fields": fields,
    }


def _hidden_row(document: Document) -> ExportRow:
    row = _row(document, set(), {})
    row["type"] = row["type_confidence"] = None
    row["type_provenance"] = PROVENANCE_HIDDEN
    row["routing_reason"] = ""
    return row


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- Formats ------------------------------------------------------------------------------


def _dumps(row: ExportRow) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _jsonl(
    documents: QuerySet[Document], viewer: access.User | None, chunk_size: int
) -> Iterator[str]:
    for chunk in _row_chunks(documents, viewer, chunk_size):
        yield "".join(_dumps(row) + "\n" for row in chunk)


def _json(
    documents: QuerySet[Document], viewer: access.User | None, chunk_size: int
) -> Iterator[str]:
    """One array, written as it goes: ``[`` first, then rows with commas between, then ``]``."""
    yield "["
    separator = "\n"
    for chunk in _row_chunks(documents, viewer, chunk_size):
        pieces = []
        for row in chunk:
            pieces.append(separator + _dumps(row))
            separator = ",\n"
        yield "".join(pieces)
    yield "\n]\n"


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"); a plain number such as
# a negative amount cannot be one and is left as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: object) -> object:
    """``value``, or a text starting like a formula with a ``'`` put before it."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_columns(names: Sequence[str]) -> list[str]:
    """The header: the base columns, then ``<field>``, ``<field>__source`` and
    ``<field>__confidence`` for each field name (``<field>__value`` where a field is named
    like a base column)."""
    columns = list(BASE_COLUMNS)
    for name in names:
        value_column = f"{name}__value" if name in BASE_COLUMNS else name
        columns += [value_column, f"{name}__source", f"{name}__confidence"]
    return columns


# Columns whose text people or admins wrote; the others are numbers, hashes, dates and fixed
# words of this code base. Escaping only these keeps a wide CSV fast (1.6 million cells for
# 20,000 documents of the seeded types).
_TEXT_COLUMNS = frozenset({"original_name", "type", "routing_reason"})
_NO_FIELD = ("", "", "")


def _csv_cells(row: ExportRow, names: Sequence[str]) -> list[Any]:
    """One CSV row; the csv module writes None as an empty cell."""
    base = cast(dict[str, Any], row)
    cells = [safe_cell(base[c]) if c in _TEXT_COLUMNS else base[c] for c in BASE_COLUMNS]
    fields = row["fields"]
    for name in names:
        entry = fields.get(name)
        if entry is None:
            cells += _NO_FIELD
        else:
            cells += (safe_cell(entry["value"]), entry["source"], entry["confidence"])
    return cells


def _csv(
    documents: QuerySet[Document], viewer: access.User | None, chunk_size: int
) -> Iterator[str]:
    names = field_names(documents)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_columns(names))
    yield _drain(buffer)
    for chunk in _row_chunks(documents, viewer, chunk_size):
        writer.writerows(_csv_cells(row, names) for row in chunk)
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def response(documents: QuerySet[Document], fmt: str, viewer: Any) -> StreamingHttpResponse:
    """The export of ``documents`` as a streamed download (the list's and the API's)."""
    out = StreamingHttpResponse(
        stream(documents, fmt, viewer=viewer), content_type=FORMATS[fmt].content_type
    )
    out["Content-Disposition"] = f"attachment; filename={filename(fmt, timezone.localdate())}"
    out["Cache-Control"] = "private, no-store"
    return out
