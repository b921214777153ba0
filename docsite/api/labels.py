"""``POST /api/v1/documents/{id}/labels``: a labeler says what a document is and/or corrects
its fields, as the workbench does.

The body names the type (its ``name`` or ``id``) and/or the fields, each a value or
``{"value", "page", "bbox"}``. Values are checked by ``services.check_field_inputs`` (the
workbench's checks) and stored through ``labeling.labels.label_document``: a document waiting in
the queue is labeled through its task (claimed for the caller, then submitted), a classified
one relabeled with ``services.assign_type`` / ``correct_fields``. The review queue endpoints
(``docsite.api.review``) parse the type and fields the same way.
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classification import access, services
from classification.ids import parse_id
from classification.models import Document, DocumentType, FieldDefinition, FieldValue, Label
from docsite import roles
from docsite.api import idempotency
from docsite.api.errors import ApiError
from docsite.api.schema import BAD_REQUEST, ERRORS, NOT_FOUND, error
from labeling import labels

CONFLICT = {409: error("Not now: the document is not processed, or another labeler has it")}


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}], "example": "invoice"})
class TypeReferenceField(serializers.Field[DocumentType, Any, Any, Any]):
    """A document type by its name (``"invoice"``) or id (``3``); only active types."""

    default_error_messages = {
        "unknown": "No document type {value!r}: send a type's name or id.",
        "inactive": "{label} is not an active type: choose another.",
    }

    def to_internal_value(self, data: Any) -> DocumentType:
        if isinstance(data, bool) or not isinstance(data, int | str) or str(data).strip() == "":
            self.fail("unknown", value=data)
        text = str(data).strip()
        types = DocumentType.objects.all()
        number = parse_id(text)
        found = (types.filter(pk=number) if number is not None else types.filter(name=text)).first()
        if found is None:
            self.fail("unknown", value=text[:64])
        if not found.active:
            self.fail("inactive", label=found.label)
        return found

    def to_representation(self, value: DocumentType) -> str:
        return value.name


class FieldEntrySerializer(serializers.Serializer[Any]):
    value = serializers.CharField(allow_blank=True, trim_whitespace=False)
    page = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    bbox = serializers.ListField(
        child=serializers.FloatField(),
        min_length=4,
        max_length=4,
        required=False,
        allow_null=True,
        default=None,
        help_text="[left, top, right, bottom] in the page image's pixels",
    )


class FieldsField(serializers.DictField):
    """``{name: "value"}`` or ``{name: {"value", "page", "bbox"}}``."""

    def to_internal_value(self, data: Any) -> dict[str, services.SentField]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        sent, errors = {}, {}
        for name, entry in data.items():
            given = {"value": entry} if isinstance(entry, str) else entry
            serializer = FieldEntrySerializer(data=given)
            if not isinstance(given, dict) or not serializer.is_valid():
                errors[str(name)] = (
                    serializer.errors
                    if isinstance(given, dict)
                    else ["Send a text value or {value, page, bbox}."]
                )
                continue
            valid = serializer.validated_data
            sent[str(name)] = services.SentField(valid["value"], valid["page"], valid["bbox"])
        if errors:
            raise serializers.ValidationError(errors)
        return sent


class LabelRequestSerializer(serializers.Serializer[Any]):
    type = TypeReferenceField(
        required=False, help_text="The type's name or id; default: the document's current type"
    )
    fields = FieldsField(  # type: ignore[assignment]
        required=False,
        child=serializers.JSONField(),
        help_text='{name: "value"} or {name: {"value", "page", "bbox"}}; fields not sent stay',
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "type" not in attrs and not attrs.get("fields"):
            raise serializers.ValidationError("Send a type, fields, or both.")
        return attrs


class StoredFieldSerializer(serializers.Serializer[Any]):
    value = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    bbox = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    source = serializers.CharField(help_text="rule, learned or human")  # type: ignore[assignment]


class LabelResponseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The label's id")
    document = serializers.IntegerField()
    type = serializers.CharField()
    labeled_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    task = serializers.IntegerField(allow_null=True, help_text="The queue task it completed")
    fields = serializers.DictField(child=StoredFieldSerializer())  # type: ignore[assignment]


def checked_fields(
    document: Document, document_type: DocumentType, sent: dict[str, services.SentField]
) -> dict[FieldDefinition, services.FieldInput]:
    """The workbench's field checks; a 400 with ``details.fields`` {name: problem}."""
    try:
        return services.check_field_inputs(document, document_type, sent)
    except services.FieldInputError as exc:
        raise ApiError(
            "invalid", str(exc), details={"fields": exc.problems or {"": [str(exc)]}}
        ) from exc


def stored_fields(document: Document, document_type: DocumentType) -> dict[str, dict[str, Any]]:
    values = FieldValue.objects.filter(
        document=document, field__document_type=document_type
    ).select_related("field")
    return {
        v.field.name: {
            "value": v.value,
            "page": v.page_number,
            "bbox": v.bbox,
            "source": v.source,
        }
        for v in values
    }


def label_body(label: Label, task_id: int | None) -> dict[str, Any]:
    return {
        "id": label.pk,
        "document": label.document_id,
        "type": label.document_type.name,
        "labeled_by": label.labeled_by.get_username() if label.labeled_by else "",
        "created_at": label.created_at,
        "task": task_id,
        "fields": stored_fields(label.document, label.document_type),
    }


class DocumentLabelsView(APIView):
    required_roles = (roles.LABELER,)

    @extend_schema(
        operation_id="documents_label",
        summary="Label a document: its type and/or corrected fields (labelers)",
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="A retry with the same key returns the first answer; never a "
                "second label",
            )
        ],
        request=LabelRequestSerializer,
        responses={
            201: LabelResponseSerializer,
            **BAD_REQUEST,
            **ERRORS,
            **NOT_FOUND,
            **CONFLICT,
        },
        tags=["labels"],
    )
    def post(self, request: Request, document_id: int) -> Response:
        document = access.get_visible_document(request.user, document_id)
        # A retry with the same Idempotency-Key gets the first answer, not a second label.
        parts = [f"document {document.pk}", json.dumps(request.data, sort_keys=True, default=str)]
        return idempotency.run_once(request, parts, lambda: self._label(request, document))

    def _label(self, request: Request, document: Document) -> Response:
        serializer = LabelRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chosen = serializer.validated_data.get("type")
        if chosen is None:
            # Fields only: the type in force stays and is confirmed with the label (a blind
            # check shows no type, so it must send one).
            if document.document_type is None or access.hides_labels(request.user, document):
                raise ApiError(
                    "invalid",
                    "The request is not valid; see details.",
                    details={"type": ["Send the document's type with its fields."]},
                )
            chosen = document.document_type
        fields = checked_fields(document, chosen, serializer.validated_data.get("fields") or {})
        try:
            done = labels.label_document(document, request.user, chosen, fields)
        except labels.LabelRefused as exc:
            raise ApiError("label_refused", str(exc), status.HTTP_409_CONFLICT) from exc
        label = Label.objects.select_related("document", "document_type", "labeled_by").get(
            pk=done.label.pk
        )
        body = LabelResponseSerializer(label_body(label, done.task.pk if done.task else None))
        return Response(body.data, status=201)  # JSON-ready: kept as the key's answer
