"""``/api/v1/document-types``: the types a document can have, each with its field schema.

Anyone signed in reads them (the workbench and the upload pages show them to every role);
only admins write, as in the Django admin. A write with ``fields`` replaces the type's whole
schema in one transaction (``classification.types.save_type``): fields are matched by name, so
a renamed label or a new pattern keeps the values already stored. DELETE removes a type that
nothing refers to; a type with documents, labels or predictions is refused with 409
``type_in_use``: set ``active`` to false instead.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classification import types
from classification.models import DocumentType, FieldDefinition
from docsite import roles
from docsite.api.errors import ApiError
from docsite.api.schema import BAD_REQUEST, ERRORS, NOT_FOUND, error

CONFLICT = {409: error("The change would lose stored data; details says what refers to it")}


class FieldSchemaSerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=64, help_text="Machine name, e.g. invoice_number")
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    kind = serializers.ChoiceField(
        choices=FieldDefinition.Kind.choices, default=FieldDefinition.Kind.TEXT
    )
    required = serializers.BooleanField(default=False)  # type: ignore[assignment]
    pattern = serializers.CharField(
        max_length=200, allow_blank=True, default="", help_text="A regular expression"
    )
    min_value = serializers.DecimalField(
        max_digits=18, decimal_places=4, allow_null=True, default=None, coerce_to_string=False
    )
    max_value = serializers.DecimalField(
        max_digits=18, decimal_places=4, allow_null=True, default=None, coerce_to_string=False
    )
    not_in_future = serializers.BooleanField(default=False)
    position = serializers.IntegerField(read_only=True)


class DocumentTypeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SlugField(max_length=64, help_text="Machine name, e.g. invoice")
    label = serializers.CharField(max_length=100, help_text="Shown to people, e.g. Invoice")  # type: ignore[assignment]
    description = serializers.CharField(allow_blank=True, required=False, default="")
    active = serializers.BooleanField(required=False, default=True)
    created_at = serializers.DateTimeField(read_only=True)

    # DRF's metaclass takes declared fields off the class: "fields" only shadows the
    # serializer's own property for mypy.
    fields = FieldSchemaSerializer(  # type: ignore[assignment]
        many=True,
        required=False,
        help_text="The whole schema, in order; on a write it replaces the type's fields",
    )

    def validate_name(self, value: str) -> str:
        taken = DocumentType.objects.filter(name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("A document type with this name exists.")
        return value


def _with_fields() -> Any:
    return DocumentType.objects.prefetch_related(
        Prefetch("fields", queryset=FieldDefinition.objects.order_by("position", "pk"))
    ).order_by("label", "pk")


def _represent(document_type: DocumentType) -> dict[str, Any]:
    return dict(DocumentTypeSerializer(document_type).data)


def _fields(instance: DocumentType | None, sent: Any) -> list[dict[str, Any]]:
    """The schema sent, checked. The list is always the whole schema, even in a PATCH; a field
    the type already has keeps the stored attributes its object leaves out (``{"name": "total",
    "label": "Amount"}`` renames the label and leaves the kind money), a new one takes the
    defaults."""
    if not isinstance(sent, list):
        raise serializers.ValidationError({"fields": ["Send a list of field objects."]})
    existing = set()
    if instance is not None:
        existing = set(
            FieldDefinition.objects.filter(document_type=instance).values_list("name", flat=True)
        )
    fields: list[dict[str, Any]] = []
    errors: list[Any] = []
    failed = False
    for values in sent:
        name = values.get("name") if isinstance(values, dict) else None
        known = isinstance(name, str) and name in existing
        schema = FieldSchemaSerializer(data=values, partial=known)
        if schema.is_valid():
            fields.append(dict(schema.validated_data))
            errors.append({})
        else:
            errors.append(schema.errors)
            failed = True
    if failed:
        raise serializers.ValidationError({"fields": errors})
    return fields


def _save(instance: DocumentType | None, data: Any, *, partial: bool = False) -> DocumentType:
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
    # A form body (QueryDict) holds lists; ``dict()`` gives its last value per key.
    body = data.dict() if isinstance(data, QueryDict) else dict(data)
    sent_fields = body.pop("fields", None)
    serializer = DocumentTypeSerializer(instance, data=body, partial=partial)
    serializer.is_valid(raise_exception=True)
    fields = None
    if sent_fields is not None:
        fields = _fields(instance, sent_fields)
    try:
        return types.save_type(instance, dict(serializer.validated_data), fields)
    except types.InvalidSchema as exc:
        raise ApiError(
            "invalid", "The request is not valid; see details.", details={"fields": exc.problems}
        ) from exc
    except types.TypeInUse as exc:
        raise ApiError("field_in_use", str(exc), status.HTTP_409_CONFLICT, exc.details) from exc


TYPE_LIST = inline_serializer("DocumentTypeList", {"results": DocumentTypeSerializer(many=True)})


class DocumentTypeListView(APIView):
    # A schema is a nested list: JSON only (form encoding flattens it ambiguously).
    parser_classes = [JSONParser]
    write_roles = (roles.ADMIN,)

    @extend_schema(
        operation_id="document_types_list",
        summary="Every document type with its field schema (active and retired)",
        responses={200: TYPE_LIST, **ERRORS},
        tags=["document types"],
    )
    def get(self, request: Request) -> Response:
        return Response({"results": [_represent(t) for t in _with_fields()]})

    @extend_schema(
        operation_id="document_types_create",
        summary="Create a document type, optionally with its fields (admins)",
        request=DocumentTypeSerializer,
        responses={201: DocumentTypeSerializer, **BAD_REQUEST, **ERRORS, **CONFLICT},
        tags=["document types"],
    )
    def post(self, request: Request) -> Response:
        created = _save(None, request.data)
        return Response(_represent(_with_fields().get(pk=created.pk)), status=201)


class DocumentTypeDetailView(APIView):
    # A schema is a nested list: JSON only (form encoding flattens it ambiguously).
    parser_classes = [JSONParser]
    write_roles = (roles.ADMIN,)

    def _get(self, type_id: int) -> DocumentType:
        return get_object_or_404(_with_fields(), pk=type_id)

    @extend_schema(
        operation_id="document_types_retrieve",
        summary="One document type with its field schema",
        responses={200: DocumentTypeSerializer, **ERRORS, **NOT_FOUND},
        tags=["document types"],
    )
    def get(self, request: Request, type_id: int) -> Response:
        return Response(_represent(self._get(type_id)))

    def _update(self, request: Request, type_id: int, partial: bool) -> Response:
        saved = _save(self._get(type_id), request.data, partial=partial)
        return Response(_represent(self._get(saved.pk)))

    @extend_schema(
        operation_id="document_types_update",
        summary="Replace a type (name and label required; fields, when sent, replace the schema)",
        request=DocumentTypeSerializer,
        responses={
            200: DocumentTypeSerializer,
            **BAD_REQUEST,
            **ERRORS,
            **NOT_FOUND,
            **CONFLICT,
        },
        tags=["document types"],
    )
    def put(self, request: Request, type_id: int) -> Response:
        return self._update(request, type_id, partial=False)

    @extend_schema(
        operation_id="document_types_partial_update",
        summary="Change some of a type's attributes; fields, when sent, replace the schema",
        request=DocumentTypeSerializer,
        responses={
            200: DocumentTypeSerializer,
            **BAD_REQUEST,
            **ERRORS,
            **NOT_FOUND,
            **CONFLICT,
        },
        tags=["document types"],
    )
    def patch(self, request: Request, type_id: int) -> Response:
        return self._update(request, type_id, partial=True)

    @extend_schema(
        operation_id="document_types_destroy",
        summary="Delete a type nothing refers to (409 type_in_use otherwise: deactivate it)",
        responses={204: None, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=["document types"],
    )
    def delete(self, request: Request, type_id: int) -> Response:
        try:
            types.delete_type(self._get(type_id))
        except types.TypeInUse as exc:
            raise ApiError("type_in_use", str(exc), status.HTTP_409_CONFLICT, exc.details) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
