"""``/api/v1/documents``: upload (202 at once; processing continues in the queue), the list with
filters and cursor pagination, one document with its pages, text, prediction, fields, labels and
history, its files, delete and reprocess.

Who sees what is ``classification.access``'s (404 for a document one may not see; a labeler
holding a blind check sees no type, labels, predictions or fields). Uploads go through the web
upload's services with the same limits, but all or nothing: every file is checked before any is
stored, and one refused file refuses the request.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import FileResponse, QueryDict
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classification import access, fieldstore, intake, services
from classification.models import (
    Document,
    DocumentType,
    FieldCorrection,
    FieldValue,
    Label,
    Prediction,
)
from classification.views import files
from classification.views.documents import filtered_documents
from docsite import roles
from docsite.api import idempotency
from docsite.api.errors import ApiError
from docsite.api.pagination import NewestFirst
from docsite.api.schema import BAD_REQUEST, ERRORS, NOT_FOUND, error

TOP_PREDICTIONS = 3
# A refused file's code decides the answer's status; any other refusal is a plain 400.
REFUSAL_STATUS = {
    "file_too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "unsupported_type": status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
}


@functools.lru_cache(maxsize=64)
def _path_template(script_prefix: str, name: str, arity: int) -> str:
    """An endpoint's path with ``{0}``, ``{1}``... for its arguments: reversed once, not once
    per row (a third of a list page's time went to ``reverse``)."""
    markers = [10**15 + i for i in range(arity)]
    path = reverse(f"api:{name}", args=markers)
    for i, marker in enumerate(markers):
        path = path.replace(str(marker), f"{{{i}}}")
    return path


def _url(request: Request, name: str, *args: int) -> str:
    origin = getattr(request, "_docsite_origin", None)
    if origin is None:
        origin = request.build_absolute_uri("/").rstrip("/")
        request._docsite_origin = origin  # type: ignore[attr-defined]
    return origin + _path_template(get_script_prefix(), name, len(args)).format(*args)


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


# --- Serializers (the OpenAPI description; views build the dicts) --------------------------


# Its own schema component: the enum spectacular would name after the field ("status") would
# collide with other endpoints' status enums (webhook deliveries).
@extend_schema_field(
    {
        "type": "string",
        "enum": list(Document.Status.values),
        "description": "queued, processing, then needs_review, classified or failed",
    },
    component_name="DocumentStatus",
)
class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Document.Status.choices, **kwargs)


class UploadRequestSerializer(serializers.Serializer[Any]):
    files = serializers.ListField(child=serializers.FileField(), help_text="One or more files")
    external_id = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        help_text="Your id for the document: once for every file, or once per file in order",
    )
    type_hint = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The type name you expect (kept, never used as the type): once or per file",
    )


class UploadedSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="The file's position in the request")
    filename = serializers.CharField()
    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(
        choices=["accepted", "duplicate"],
        help_text="duplicate: these bytes were already stored; id is that document's",
    )
    status = StatusField()
    status_url = serializers.URLField()


class UploadResponseSerializer(serializers.Serializer[Any]):
    documents = UploadedSerializer(many=True)


class DocumentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="This document in the API (poll it for the status)")
    original_name = serializers.CharField()
    status = StatusField()
    final = serializers.BooleanField(help_text="Processing has ended (review, classified, failed)")
    needs_review = serializers.BooleanField()
    error = serializers.CharField(help_text="Why processing failed, or ''")
    type = serializers.CharField(allow_null=True, help_text="The type in force (its name)")
    type_confidence = serializers.FloatField(allow_null=True)
    routing_reason = serializers.CharField()
    labels_hidden = serializers.BooleanField(
        help_text="You hold a blind check: type, labels, predictions and fields are hidden"
    )
    external_id = serializers.CharField()
    type_hint = serializers.CharField(allow_null=True)
    mime_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    page_count = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(allow_null=True)
    uploaded_at = serializers.DateTimeField()
    processed_at = serializers.DateTimeField(allow_null=True)
    file_url = serializers.URLField(help_text="The original file")


class DocumentListSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DocumentSerializer(many=True)


class PageSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    image_url = serializers.URLField()
    text = serializers.CharField(help_text="The page's OCR text (or its PDF text layer)")
    mean_confidence = serializers.FloatField(allow_null=True)


class ProbabilitySerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    # DRF's metaclass takes declared fields off the class; the name only shadows Field.label
    # for mypy. Same for FieldSerializer.label and DocumentDetailSerializer.fields.
    label = serializers.CharField()  # type: ignore[assignment]
    probability = serializers.FloatField()


class PredictionSerializer(serializers.Serializer[Any]):
    model_version = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    top = ProbabilitySerializer(many=True, help_text=f"The {TOP_PREDICTIONS} most likely types")


class FieldSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    type = serializers.CharField(help_text="The document type whose field this is")
    kind = serializers.CharField()
    value = serializers.CharField(help_text="Normalised")
    raw = serializers.CharField(help_text="As written on the page")
    confidence = serializers.FloatField(allow_null=True)
    page = serializers.IntegerField(allow_null=True)
    box = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="[left, top, right, bottom] in the page image's pixels",
    )
    provenance = serializers.ChoiceField(choices=FieldValue.Source.choices)
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField()


class LabelSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    type = serializers.CharField()
    provenance = serializers.ChoiceField(choices=Label.Provenance.choices)
    labeled_by = serializers.CharField(allow_null=True)
    model_version = serializers.IntegerField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    second_opinion = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class EventSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    event = serializers.ChoiceField(
        choices=[
            "uploaded",
            "processed",
            "failed",
            "predicted",
            "labeled",
            "auto_accepted",
            "pseudo_labeled",
            "field_corrected",
        ]
    )
    by = serializers.CharField(allow_null=True)
    details = serializers.CharField()


class DocumentDetailSerializer(DocumentSerializer):
    pages = PageSerializer(many=True)
    prediction = PredictionSerializer(allow_null=True, help_text="The latest one")
    fields = FieldSerializer(many=True)  # type: ignore[assignment]
    labels = LabelSerializer(many=True)
    history = EventSerializer(many=True, help_text="Oldest first")


class ReprocessSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = StatusField()
    status_url = serializers.URLField()


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentField(serializers.Field):
    """An ISO date (the start of that day, in the site's time zone) or date-time."""

    default_error_messages = {"invalid": "Give an ISO date (2026-01-31) or date-time."}

    def to_internal_value(self, data: Any) -> datetime:
        text = str(data).strip()
        try:
            moment = parse_datetime(text)
            if moment is None:
                day = parse_date(text)
                moment = datetime.combine(day, time.min) if day else None
        except ValueError:
            moment = None
        if moment is None:
            self.fail("invalid")
        assert moment is not None
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class DocumentFilterSerializer(serializers.Serializer[Any]):
    status = StatusField(required=False)
    type = serializers.CharField(
        required=False, help_text="A type's name, or 'none' for documents without a type"
    )
    confidence_min = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    confidence_max = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    uploaded_after = MomentField(required=False, help_text="Uploaded at or after (ISO)")
    uploaded_before = MomentField(required=False, help_text="Uploaded before (ISO)")
    external_id = serializers.CharField(required=False, max_length=255)
    needs_review = serializers.BooleanField(required=False)
    q = serializers.CharField(
        required=False, max_length=200, help_text="Words in the OCR text or the file name"
    )

    def validate_type(self, value: str) -> str:
        if value != "none" and not DocumentType.objects.filter(name=value).exists():
            raise serializers.ValidationError(f"No document type is named {value[:64]!r}.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("confidence_min"), attrs.get("confidence_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"confidence_max": ["confidence_max is below confidence_min."]}
            )
        return attrs


# --- Reading -----------------------------------------------------------------------------

# Filters that would tell a labeler holding a blind check what the document was typed as.
TYPE_FILTERS = ("type", "confidence_min", "confidence_max")


def filter_documents(user: access.User, filters: dict[str, Any]) -> QuerySet[Document]:
    """The list's documents: the web list's filters (``status``, ``type``, ``q``) and the API's."""
    documents, _ = filtered_documents(
        user, {name: str(filters.get(name, "")) for name in ("status", "type", "q")}
    )
    documents = documents.select_related("type_hint", "uploaded_by")
    if "confidence_min" in filters:
        documents = documents.filter(type_confidence__gte=filters["confidence_min"])
    if "confidence_max" in filters:
        documents = documents.filter(type_confidence__lte=filters["confidence_max"])
    if "uploaded_after" in filters:
        documents = documents.filter(created_at__gte=filters["uploaded_after"])
    if "uploaded_before" in filters:
        documents = documents.filter(created_at__lt=filters["uploaded_before"])
    if "external_id" in filters:
        documents = documents.filter(external_id=filters["external_id"])
    if filters.get("needs_review") is True:
        documents = documents.filter(status=Document.Status.NEEDS_REVIEW)
    elif filters.get("needs_review") is False:
        documents = documents.exclude(status=Document.Status.NEEDS_REVIEW)
    return documents


def _summary(request: Request, document: Document, blind: bool) -> dict[str, Any]:
    return {
        "id": document.pk,
        "url": _url(request, "document", document.pk),
        "original_name": document.original_name,
        "status": document.status,
        "final": document.is_final,
        "needs_review": document.status == Document.Status.NEEDS_REVIEW,
        "error": document.error_message,
        "type": None if blind or not document.document_type else document.document_type.name,
        "type_confidence": None if blind else document.type_confidence,
        "routing_reason": "" if blind else document.routing_reason,
        "labels_hidden": blind,
        "external_id": document.external_id,
        "type_hint": document.type_hint.name if document.type_hint else None,
        "mime_type": document.mime_type,
        "size_bytes": document.size_bytes,
        "page_count": document.page_count,
        "sha256": document.sha256,
        "uploaded_by": _username(document.uploaded_by),
        "uploaded_at": document.created_at,
        "processed_at": document.processed_at,
        "file_url": _url(request, "document-file", document.pk),
    }


def _pages(request: Request, document: Document) -> list[dict[str, Any]]:
    return [
        {
            "number": page.number,
            "width": page.width,
            "height": page.height,
            "image_url": _url(request, "document-page-image", document.pk, page.number),
            "text": page.text,
            "mean_confidence": page.mean_confidence,
        }
        for page in document.pages.defer("ocr_words")
    ]


def _prediction(prediction: Prediction | None) -> dict[str, Any] | None:
    if prediction is None:
        return None
    ranked = sorted(prediction.probabilities.items(), key=lambda item: -float(item[1]))
    ranked = ranked[:TOP_PREDICTIONS]
    labels = dict(
        DocumentType.objects.filter(name__in=[n for n, _ in ranked]).values_list("name", "label")
    )
    return {
        "model_version": prediction.model_version_id,
        "created_at": prediction.created_at,
        "top": [
            {"type": name, "label": labels.get(name, name), "probability": float(p)}
            for name, p in ranked
        ],
    }


def _fields(document: Document) -> list[dict[str, Any]]:
    """The stored values of the type in force (``fieldstore.current_values``)."""
    return [
        {
            "name": v.field.name,
            "label": v.field.label,
            "type": v.field.document_type.name,
            "kind": v.field.kind,
            "value": v.value,
            "raw": v.raw,
            "confidence": v.confidence,
            "page": v.page_number,
            "box": v.bbox,
            "provenance": v.source,
            "updated_by": _username(v.updated_by),
            "updated_at": v.updated_at,
        }
        for v in fieldstore.current_values(document)
    ]


def _labels(labels: list[Label]) -> list[dict[str, Any]]:
    return [
        {
            "id": label.pk,
            "type": label.document_type.name,
            "provenance": label.provenance,
            "labeled_by": _username(label.labeled_by),
            "model_version": label.model_version_id,
            "confidence": label.confidence,
            "second_opinion": label.second_opinion,
            "created_at": label.created_at,
        }
        for label in labels
    ]


LABEL_EVENTS = {
    Label.Provenance.HUMAN: "labeled",
    Label.Provenance.AUTO: "auto_accepted",
    Label.Provenance.PSEUDO: "pseudo_labeled",
}


def _event(at: datetime, event: str, by: str | None, details: str) -> dict[str, Any]:
    return {"at": at, "event": event, "by": by, "details": details}


def _history(
    document: Document, predictions: list[Prediction], labels: list[Label], blind: bool
) -> list[dict[str, Any]]:
    """What the document page shows over time: upload, processing, and (unless blind) every
    prediction, label and field correction."""
    events = [_event(document.created_at, "uploaded", _username(document.uploaded_by), "")]
    if document.processed_at and document.status == Document.Status.FAILED:
        events.append(_event(document.processed_at, "failed", None, document.error_message))
    elif document.processed_at:
        seconds = document.processing_seconds
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        events.append(
            _event(document.processed_at, "processed", None, f"{document.page_count} pages{took}")
        )
    if not blind:
        for p in predictions:
            version = f" by model v{p.model_version_id}" if p.model_version_id else ""
            details = f"{p.document_type.name} at {p.confidence:.2f}{version}"
            events.append(_event(p.created_at, "predicted", None, details))
        for label in labels:
            by = _username(label.labeled_by)
            event = LABEL_EVENTS.get(Label.Provenance(label.provenance), "labeled")
            events.append(_event(label.created_at, event, by, label.document_type.name))
        corrections = FieldCorrection.objects.filter(label__document=document).select_related(
            "field", "label__labeled_by"
        )
        for c in corrections:
            details = f"{c.field.name}: {c.before!r} -> {c.after!r}"
            by = _username(c.label.labeled_by)
            events.append(_event(c.created_at, "field_corrected", by, details))
    return sorted(events, key=lambda e: e["at"])


def _detail(request: Request, document: Document) -> dict[str, Any]:
    blind = access.hides_labels(request.user, document)
    predictions = list(document.predictions.select_related("document_type"))
    labels = list(document.labels.select_related("document_type", "labeled_by"))
    return {
        **_summary(request, document, blind),
        "pages": _pages(request, document),
        "prediction": None if blind else _prediction(predictions[0] if predictions else None),
        "fields": [] if blind else _fields(document),
        "labels": [] if blind else _labels(labels),
        "history": _history(document, predictions, labels, blind),
    }


# --- Uploading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    sha256: str
    # None when these bytes are stored already: the upload answers with that document.
    inspection: intake.Inspection | None


def _per_file(values: list[str], count: int, name: str) -> list[str]:
    if not values:
        return [""] * count
    if len(values) == 1:
        return values * count
    if len(values) == count:
        return values
    raise ApiError(
        "invalid",
        "The request is not valid; see details.",
        details={name: [f"Give {name} once for every file or once per file ({count})."]},
    )


def _external_ids(values: list[str], count: int) -> list[str]:
    ids = [value.strip() for value in _per_file(values, count, "external_id")]
    if any("\x00" in value for value in ids):
        raise ApiError(
            "invalid",
            "The request is not valid; see details.",
            details={"external_id": ["An external_id must not contain a NUL character."]},
        )
    if any(len(value) > 255 for value in ids):
        raise ApiError(
            "invalid",
            "The request is not valid; see details.",
            details={"external_id": ["An external_id has at most 255 characters."]},
        )
    return ids


def _type_hints(values: list[str], count: int) -> list[DocumentType | None]:
    names = [value.strip() for value in _per_file(values, count, "type_hint")]
    if any("\x00" in name for name in names):
        raise ApiError(
            "invalid",
            "The request is not valid; see details.",
            details={"type_hint": ["A type_hint must not contain a NUL character."]},
        )
    known = DocumentType.objects.in_bulk([n for n in names if n], field_name="name")
    unknown = sorted({n for n in names if n and (n not in known or not known[n].active)})
    if unknown:
        raise ApiError(
            "invalid",
            "The request is not valid; see details.",
            details={
                "type_hint": [f"No active document type is named {n[:64]!r}." for n in unknown]
            },
        )
    return [known[n] if n else None for n in names]


def _check_files(uploads: list[UploadedFile]) -> list[CheckedFile]:
    """Each file read and inspected under the web upload's limits; ``ApiError`` naming every
    refused file (nothing stored) when any is refused."""
    checked: list[CheckedFile] = []
    refused: list[dict[str, Any]] = []
    for index, upload in enumerate(uploads):
        try:
            data = services.read_upload(upload, upload.size)
            sha256 = hashlib.sha256(data).hexdigest()
            stored = Document.objects.filter(sha256=sha256).exists()
            inspection = None if stored else services.check_upload(data)
        except intake.RejectedUpload as exc:
            refused.append(
                {
                    "index": index,
                    "filename": intake.sanitise_filename(upload.name or ""),
                    "code": exc.code,
                    "message": exc.message,
                }
            )
            continue
        checked.append(CheckedFile(upload, sha256, inspection))
    if refused:
        first = refused[0]
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise ApiError(
            first["code"],
            f"{first['filename']}: {first['message']}{more} Nothing was stored.",
            REFUSAL_STATUS.get(first["code"], status.HTTP_400_BAD_REQUEST),
            details={"files": refused},
        )
    return checked


def _uploads(request: Request) -> list[UploadedFile]:
    try:
        uploads: list[UploadedFile] = request.FILES.getlist("files")
    except TooManyFilesSent:
        uploads = [None] * (settings.DOCSITE_MAX_FILES_PER_UPLOAD + 1)  # type: ignore[list-item]
    limit = settings.DOCSITE_MAX_FILES_PER_UPLOAD
    if len(uploads) > limit:
        raise ApiError(
            "too_many_files",
            f"At most {limit} files per upload (DOCSITE_MAX_FILES_PER_UPLOAD); nothing was stored.",
            details={"max_files": limit},
        )
    if not uploads:
        raise ApiError(
            "no_files",
            "Send at least one file, as multipart form field 'files'.",
            details={"files": ["No file was sent."]},
        )
    return uploads


def _upload(request: Request) -> Response:
    uploads = _uploads(request)
    form = cast(QueryDict, request.data)  # multipart or form: the only parsers of this view
    external_ids = _external_ids(form.getlist("external_id"), len(uploads))
    hints = _type_hints(form.getlist("type_hint"), len(uploads))
    checked = _check_files(uploads)
    parts = [f"file {c.sha256} {c.upload.name}" for c in checked]
    parts += [f"external_id {value}" for value in external_ids]
    parts += [f"type_hint {h.name if h else ''}" for h in hints]

    def run() -> Response:
        answers = []
        for index, (item, external_id, hint) in enumerate(
            zip(checked, external_ids, hints, strict=True)
        ):
            item.upload.seek(0)
            try:
                data = services.read_upload(item.upload, item.upload.size)
                result = services.ingest_upload(
                    data,
                    item.upload.name or "",
                    request.user,
                    inspection=item.inspection,
                    external_id=external_id,
                    type_hint=hint,
                )
            except intake.RejectedUpload as exc:
                # Only when a stored duplicate was deleted between the check and now.
                raise ApiError(exc.code, exc.message) from exc
            document = result.document
            answers.append(
                {
                    "index": index,
                    "filename": document.original_name,
                    "id": document.pk,
                    "outcome": result.outcome,
                    "status": Document.objects.values_list("status", flat=True).get(pk=document.pk),
                    "status_url": _url(request, "document", document.pk),
                }
            )
        return Response({"documents": answers}, status=status.HTTP_202_ACCEPTED)

    return idempotency.run_once(request, parts, run)


# --- Views -------------------------------------------------------------------------------


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="A retry with the same key returns the first answer; never a second document",
)


class DocumentListView(APIView):
    write_roles = (roles.UPLOADER,)
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="documents_list",
        summary="Documents you may see, newest first, filtered",
        parameters=[DocumentFilterSerializer],
        responses={200: DocumentListSerializer, **BAD_REQUEST, **ERRORS, **NOT_FOUND},
        tags=["documents"],
    )
    def get(self, request: Request) -> Response:
        params = DocumentFilterSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        documents = filter_documents(request.user, params.validated_data)
        hidden = access.blind_documents(request.user)
        if hidden is not None and any(name in params.validated_data for name in TYPE_FILTERS):
            # Filtering by type would show what a blind check hides: such documents are left
            # out before paging, so every page is full.
            documents = documents.exclude(hidden)
        paginator = NewestFirst()
        page = paginator.paginate_queryset(documents, request, view=self) or []
        blind = access.hidden_among(request.user, [d.pk for d in page])
        rows = [_summary(request, d, d.pk in blind) for d in page]
        return paginator.get_paginated_response(rows)

    @extend_schema(
        operation_id="documents_upload",
        summary="Upload one or many files; processing continues in the queue",
        request={"multipart/form-data": UploadRequestSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            202: UploadResponseSerializer,
            **BAD_REQUEST,
            409: error("The first request with this Idempotency-Key is still running"),
            413: error("A file is over DOCSITE_MAX_UPLOAD_MB"),
            415: error("A file is not a PDF, PNG, JPEG or TIFF"),
            422: error("This Idempotency-Key was used for a different request"),
            **ERRORS,
        },
        tags=["documents"],
    )
    def post(self, request: Request) -> Response:
        return _upload(request)


class DocumentView(APIView):
    write_roles = (roles.UPLOADER,)

    @extend_schema(
        operation_id="documents_retrieve",
        summary="One document: pages, text, prediction, fields, labels, history",
        responses={200: DocumentDetailSerializer, **ERRORS, **NOT_FOUND},
        tags=["documents"],
    )
    def get(self, request: Request, document_id: int) -> Response:
        document = access.get_visible_document(request.user, document_id)
        return Response(_detail(request, document))

    @extend_schema(
        operation_id="documents_destroy",
        summary="Delete a document and its files (its uploader or an admin)",
        responses={
            204: None,
            409: error("The document is being processed; retry when it is done"),
            **ERRORS,
            **NOT_FOUND,
        },
        tags=["documents"],
    )
    def delete(self, request: Request, document_id: int) -> Response:
        document = _changeable(request, document_id, "delete")
        if not services.delete_document(document):
            raise ApiError(
                "document_processing",
                "The document is being processed; delete it when processing ends.",
                status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _changeable(request: Request, document_id: int, action: str) -> Document:
    """A document the user may see (else 404) and change: the uploader's own, or any for an
    admin (the web retry's rule; else 403)."""
    document = access.get_visible_document(request.user, document_id)
    if not access.can_retry(request.user, document):
        raise ApiError(
            "permission_denied",
            f"Only the uploader or an admin can {action} this document.",
            status.HTTP_403_FORBIDDEN,
        )
    return document


class ReprocessView(APIView):
    write_roles = (roles.UPLOADER,)

    @extend_schema(
        operation_id="documents_reprocess",
        summary="Process a document again: render, OCR, classify (its uploader or an admin)",
        request=None,
        responses={
            202: ReprocessSerializer,
            409: error("The document is queued or processing already"),
            **ERRORS,
            **NOT_FOUND,
        },
        tags=["documents"],
    )
    def post(self, request: Request, document_id: int) -> Response:
        document = _changeable(request, document_id, "reprocess")
        if not services.reprocess_document(document):
            raise ApiError(
                "already_processing",
                f"The document is {document.status} already; wait until it is processed.",
                status.HTTP_409_CONFLICT,
            )
        document.refresh_from_db(fields=["status"])
        body = {
            "id": document.pk,
            "status": document.status,
            "status_url": _url(request, "document", document.pk),
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


ORIGINAL_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff")


class DocumentFileView(APIView):
    @extend_schema(
        operation_id="documents_file",
        summary="The original file, as uploaded",
        # The stored file's own type (an upload is one of these four, read from its bytes).
        responses={
            **{(200, mime): OpenApiTypes.BINARY for mime in ORIGINAL_TYPES},
            **ERRORS,
            **NOT_FOUND,
        },
        tags=["documents"],
    )
    def get(self, request: Request, document_id: int) -> FileResponse:
        # The web view: the same permission check and streaming.
        return files.original(request._request, document_id)


class PageImageView(APIView):
    @extend_schema(
        operation_id="documents_page_image",
        summary="A page's image (PNG or JPEG), as the document page shows it",
        responses={(200, "image/*"): OpenApiTypes.BINARY, **ERRORS, **NOT_FOUND},
        tags=["documents"],
    )
    def get(self, request: Request, document_id: int, number: int) -> FileResponse:
        return files.page_image(request._request, document_id, number)
