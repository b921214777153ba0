"""Document types and their field schemas: saving a type with its list of fields in one step,
and deleting a type nothing refers to. The Django admin edits the same rows one by one; the API
calls these. Each field is checked with ``FieldDefinition.clean()``, as the admin's inline does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from classification.models import (
    Document,
    DocumentType,
    FieldCorrection,
    FieldDefinition,
    FieldValue,
    Label,
    Prediction,
)

TYPE_ATTRIBUTES = ("name", "label", "description", "active")
FIELD_ATTRIBUTES = (
    "name",
    "label",
    "kind",
    "required",
    "pattern",
    "min_value",
    "max_value",
    "not_in_future",
)


class InvalidSchema(ValueError):
    """Fields ``FieldDefinition.clean()`` refuses: ``problems`` is {index: {attribute: [..]}}."""

    def __init__(self, problems: dict[str, dict[str, list[str]]]) -> None:
        super().__init__("The field schema is not valid.")
        self.problems = problems


class TypeInUse(Exception):
    """The change would lose stored data; ``details`` says what refers to it."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = details


def _check_field(document_type: DocumentType, values: Mapping[str, Any]) -> FieldDefinition:
    field = FieldDefinition(document_type=document_type)
    for name in FIELD_ATTRIBUTES:
        if name in values:
            setattr(field, name, values[name])
    field.clean()
    return field


def check_fields(document_type: DocumentType, fields: Sequence[Mapping[str, Any]]) -> None:
    """Raise ``InvalidSchema`` for fields that ``FieldDefinition.clean()`` refuses or names
    given twice."""
    errors: dict[str, dict[str, list[str]]] = {}
    seen: set[str] = set()
    for index, values in enumerate(fields):
        try:
            _check_field(document_type, values)
        except ValidationError as exc:
            errors[str(index)] = exc.message_dict
        name = str(values.get("name", ""))
        if name in seen:
            errors.setdefault(str(index), {})["name"] = [f"The field {name} is listed twice."]
        seen.add(name)
    if errors:
        raise InvalidSchema(errors)


def fields_with_data(fields: QuerySet[FieldDefinition]) -> list[str]:
    """The names of ``fields`` that hold values on documents or corrections: removing them
    would delete those too (the API and the admin refuse it)."""
    used = fields.filter(
        Exists(FieldValue.objects.filter(field=OuterRef("pk")))
        | Exists(FieldCorrection.objects.filter(field=OuterRef("pk")))
    )
    return sorted(used.values_list("name", flat=True))


def save_type(
    document_type: DocumentType | None,
    attributes: Mapping[str, Any],
    fields: Sequence[Mapping[str, Any]] | None,
) -> DocumentType:
    """Create (``document_type`` None) or change a type; ``fields``, when given, is its whole
    schema in order: fields are matched by name (changed in place, so their stored values
    stay), new names added, missing names removed. Removing a field that holds values or
    corrections, or changing its kind, is refused (``TypeInUse``): retire the type or keep the
    field instead.
    All or nothing."""
    with transaction.atomic():
        document_type = document_type or DocumentType()
        for name in TYPE_ATTRIBUTES:
            if name in attributes:
                setattr(document_type, name, attributes[name])
        document_type.save()
        if fields is None:
            return document_type
        check_fields(document_type, fields)
        existing = {f.name: f for f in FieldDefinition.objects.filter(document_type=document_type)}
        wanted = {str(values["name"]) for values in fields}
        dropped = set(existing) - wanted
        in_use = fields_with_data(
            FieldDefinition.objects.filter(document_type=document_type, name__in=dropped)
        )
        if in_use:
            raise TypeInUse(
                f"These fields hold values on documents and cannot be removed: "
                f"{', '.join(in_use)}.",
                {"fields": in_use},
            )
        rekinded = {
            name
            for values in fields
            if (name := str(values["name"])) in existing
            and "kind" in values
            and values["kind"] != existing[name].kind
        }
        in_use = fields_with_data(
            FieldDefinition.objects.filter(document_type=document_type, name__in=rekinded)
        )
        if in_use:
            raise TypeInUse(
                f"These fields hold values on documents and cannot change kind: "
                f"{', '.join(in_use)} (their values would no longer read as it). Add a field "
                f"of the new kind instead.",
                {"fields": in_use},
            )
        FieldDefinition.objects.filter(document_type=document_type, name__in=dropped).delete()
        for position, values in enumerate(fields):
            field = existing.get(str(values["name"])) or FieldDefinition(
                document_type=document_type
            )
            for name in FIELD_ATTRIBUTES:
                if name in values:
                    setattr(field, name, values[name])
            field.position = position
            try:
                field.full_clean(exclude=["document_type"], validate_unique=False)
            except ValidationError as exc:
                raise InvalidSchema({str(position): exc.message_dict}) from exc
            field.save()
    return document_type


def usage(document_type: DocumentType) -> dict[str, int]:
    """How many rows refer to the type: what deleting it would touch."""
    return {
        "documents": Document.objects.filter(document_type=document_type).count(),
        "labels": Label.objects.filter(document_type=document_type).count(),
        "predictions": Prediction.objects.filter(document_type=document_type).count(),
    }


def delete_type(document_type: DocumentType) -> None:
    """Delete a type no document, label or prediction refers to; else ``TypeInUse`` (set it
    inactive instead: it is no longer offered, and what was stored stays)."""
    with transaction.atomic():
        counts = usage(document_type)
        if any(counts.values()):
            raise TypeInUse(
                f"{document_type.label} is used by documents, labels or predictions; "
                "set it inactive instead (PATCH active=false).",
                counts,
            )
        document_type.delete()
