"""``/api/v1/review-queue/...``: drive the labeling queue from another front-end.

``next`` claims the caller's next task with a lease (``labeling.queue.claim_next``; the task
they already hold comes back first) and returns what the workbench shows: the document and its
page image URLs, the model's top 3 suggestions, every active type with its field schema and
pre-filled values (``labeling.workbench.type_choices``). An empty queue answers 204 with no
body. ``submit``, ``skip`` and ``release`` act on a task the caller holds (``labeling.queue``).
A task someone else holds is 404, as the workbench's page; one that left the queue, or that
nobody holds, is 409 ``task_not_held``. ``undo`` takes back the caller's last label, as the
workbench's *Undo* (``labeling.queue.undo``); a refusal is 409 ``undo_refused``.
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classification.models import DocumentType, FieldDefinition
from docsite import roles
from docsite.api.errors import ApiError
from docsite.api.labels import FieldsField, TypeReferenceField, checked_fields
from docsite.api.schema import BAD_REQUEST, ERRORS, NOT_FOUND, error
from labeling import queue, workbench
from labeling.models import Skip, Task

NOT_HELD = {409: error("The task left the queue, or the caller does not hold it")}
MAX_NOTE_LENGTH = 200


# --- Bodies ---------------------------------------------------------------------------------


class TaskPageSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    image_url = serializers.URLField()


class TaskDocumentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The document's API address")
    original_name = serializers.CharField()
    page_count = serializers.IntegerField()
    pages = TaskPageSerializer(many=True)


class SuggestionSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    probability = serializers.FloatField()


class SchemaFieldSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=FieldDefinition.Kind.choices)
    required = serializers.BooleanField()  # type: ignore[assignment]
    pattern = serializers.CharField()
    min_value = serializers.FloatField(allow_null=True)
    max_value = serializers.FloatField(allow_null=True)
    not_in_future = serializers.BooleanField()
    value = serializers.CharField(help_text="Stored or extracted; '' when none")
    page = serializers.IntegerField(allow_null=True)
    bbox = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    source = serializers.CharField(help_text="'extracted', 'set by a person' or ''")  # type: ignore[assignment]
    problem = serializers.CharField(help_text="What fails validation in the value, or ''")


class TypeChoiceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    key = serializers.IntegerField(allow_null=True, help_text="The workbench's number key")
    probability = serializers.FloatField(allow_null=True)

    fields = SchemaFieldSerializer(many=True)  # type: ignore[assignment]


class ClaimedTaskSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="review, qa (a blind quality check) or overlap")
    claimed_at = serializers.DateTimeField()
    lease_until = serializers.DateTimeField()
    document = TaskDocumentSerializer()
    suggestions = SuggestionSerializer(many=True, help_text="Empty for a blind quality check")
    types = TypeChoiceSerializer(many=True)
    skip_reasons = serializers.ListField(child=serializers.CharField())


class SubmitSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField()
    type = TypeReferenceField(help_text="The type's name or id")
    fields = FieldsField(  # type: ignore[assignment]
        required=False,
        child=serializers.JSONField(),
        help_text='{name: "value"} or {name: {"value", "page", "bbox"}}; ignored for a '
        "second opinion (type only)",
    )


class SkipSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=Skip.Reason.choices, default=Skip.Reason.OTHER)
    note = serializers.CharField(
        max_length=MAX_NOTE_LENGTH, allow_blank=True, required=False, default=""
    )


class TaskRefSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField()


class SubmittedSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField()
    document = serializers.IntegerField()
    label = serializers.IntegerField()  # type: ignore[assignment]
    type = serializers.CharField()
    corrections = serializers.IntegerField(help_text="Fields whose value changed")


class DoneSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField()
    state = serializers.CharField()


class UndoneSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField(help_text="The task, held by the caller again")
    document = serializers.IntegerField()
    state = serializers.CharField()
    lease_until = serializers.DateTimeField()


# --- Helpers --------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _field_row(row: workbench.FieldRow) -> dict[str, Any]:
    definition = row.definition
    try:
        bbox = [float(v) for v in json.loads(row.bbox)] if row.bbox else None
    except (ValueError, TypeError):
        bbox = None
    return {
        "name": definition.name,
        "label": definition.label,
        "kind": definition.kind,
        "required": definition.required,
        "pattern": definition.pattern,
        "min_value": _number(definition.min_value),
        "max_value": _number(definition.max_value),
        "not_in_future": definition.not_in_future,
        "value": row.value,
        "page": row.page,
        "bbox": bbox,
        "confidence": row.confidence,
        "source": row.source,
        "problem": row.problem,
    }


def claimed_body(request: Request, task: Task) -> dict[str, Any]:
    """What the workbench shows for ``task``, as JSON."""
    document = task.document
    blind = task.kind == Task.Kind.QA  # a quality check shows nothing of the model's view
    suggested = {} if blind else workbench.suggestions(document)
    choices = workbench.type_choices(
        document, suggested=suggested, with_fields=task.kind != Task.Kind.OVERLAP
    )
    labels = dict(DocumentType.objects.filter(name__in=suggested).values_list("name", "label"))
    pages = document.pages.order_by("number").values_list("number", "width", "height")
    base = f"/api/v1/documents/{document.pk}"
    return {
        "id": task.pk,
        "kind": task.kind,
        "claimed_at": task.claimed_at,
        "lease_until": task.lease_until,
        "document": {
            "id": document.pk,
            "url": request.build_absolute_uri(base),
            "original_name": document.original_name,
            "page_count": document.page_count,
            "pages": [
                {
                    "number": n,
                    "width": w,
                    "height": h,
                    "image_url": request.build_absolute_uri(f"{base}/pages/{n}/image"),
                }
                for n, w, h in pages
            ],
        },
        "suggestions": [
            {"type": name, "label": labels.get(name, name), "probability": p}
            for name, p in suggested.items()
        ],
        "types": [
            {
                "id": c.document_type.pk,
                "name": c.document_type.name,
                "label": c.document_type.label,
                "key": c.key,
                "probability": c.probability,
                "fields": [_field_row(row) for row in c.fields],
            }
            for c in choices
        ],
        "skip_reasons": list(Skip.Reason.values),
    }


def held_task(request: Request, task_id: int) -> Task:
    """The task, if the caller may act on it: 404 when there is none or another labeler
    holds it (admins excepted: they see every task); 409 when it is not the caller's."""
    task = Task.objects.select_related("document").filter(pk=task_id).first()
    if task is None:
        raise ApiError("not_found", "No such task.", status.HTTP_404_NOT_FOUND)
    mine = task.claimed_by_id == request.user.pk
    if task.state == Task.State.OPEN and mine:
        return task
    if (
        task.state == Task.State.OPEN
        and task.claimed_by_id is not None
        and not roles.has_role(request.user, roles.ADMIN)
    ):
        raise ApiError("not_found", "No such task.", status.HTTP_404_NOT_FOUND)
    message = (
        "This document is no longer in the queue."
        if task.state != Task.State.OPEN
        else "This task is not yours: call review-queue/next to claim one."
    )
    raise ApiError("task_not_held", message, status.HTTP_409_CONFLICT)


def _refused(exc: queue.QueueError) -> ApiError:
    return ApiError("task_not_held", str(exc), status.HTTP_409_CONFLICT)


# --- Views ----------------------------------------------------------------------------------


class LabelerView(APIView):
    required_roles = (roles.LABELER,)


class NextView(LabelerView):
    @extend_schema(
        operation_id="review_queue_next",
        summary="Claim the next task (or get back the one held), with its lease",
        request=None,
        responses={
            200: ClaimedTaskSerializer,
            204: OpenApiResponse(description="The queue has nothing for the caller now"),
            **ERRORS,
        },
        tags=["review queue"],
    )
    def post(self, request: Request) -> Response:
        task = queue.claim_next(request.user)
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(claimed_body(request, task))


class SubmitView(LabelerView):
    @extend_schema(
        operation_id="review_queue_submit",
        summary="Submit the type (and fields) for a task the caller holds",
        request=SubmitSerializer,
        responses={200: SubmittedSerializer, **BAD_REQUEST, **ERRORS, **NOT_FOUND, **NOT_HELD},
        tags=["review queue"],
    )
    def post(self, request: Request) -> Response:
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        task = held_task(request, data["task"])
        chosen = data["type"]
        fields = {}
        if task.kind != Task.Kind.OVERLAP:  # a second opinion records the type only
            fields = checked_fields(task.document, chosen, data.get("fields") or {})
        try:
            done = queue.submit(task.pk, request.user, chosen, fields)
        except queue.QueueError as exc:
            raise _refused(exc) from exc
        return Response(
            {
                "task": task.pk,
                "document": task.document_id,
                "label": done.label.pk,
                "type": chosen.name,
                "corrections": done.label.field_corrections.count(),
            }
        )


class SkipView(LabelerView):
    @extend_schema(
        operation_id="review_queue_skip",
        summary="Pass on a held task with a reason; it goes back to the others",
        request=SkipSerializer,
        responses={200: DoneSerializer, **BAD_REQUEST, **ERRORS, **NOT_FOUND, **NOT_HELD},
        tags=["review queue"],
    )
    def post(self, request: Request) -> Response:
        serializer = SkipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        task = held_task(request, data["task"])
        try:
            queue.skip(task.pk, request.user, data["reason"], data["note"].strip())
        except queue.QueueError as exc:
            raise _refused(exc) from exc
        return Response({"task": task.pk, "state": "skipped"})


class ReleaseView(LabelerView):
    @extend_schema(
        operation_id="review_queue_release",
        summary="Give a held task back to the queue untouched",
        request=TaskRefSerializer,
        responses={200: DoneSerializer, **BAD_REQUEST, **ERRORS, **NOT_FOUND, **NOT_HELD},
        tags=["review queue"],
    )
    def post(self, request: Request) -> Response:
        serializer = TaskRefSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = held_task(request, serializer.validated_data["task"])
        try:
            queue.release(task.pk, request.user)
        except queue.QueueError as exc:
            raise _refused(exc) from exc
        return Response({"task": task.pk, "state": "released"})


class UndoView(LabelerView):
    @extend_schema(
        operation_id="review_queue_undo",
        summary="Take back your last label; its task is yours again, to label anew",
        description="As the workbench's Undo: within DOCSITE_UNDO_MINUTES of the label, and only "
        "while nobody labeled the document since. The label and its field changes go, the "
        "document is as it was, and what the label's corrections taught is forgotten.",
        request=None,
        responses={
            200: UndoneSerializer,
            409: error("Nothing of yours to undo any more, or the document was labeled since"),
            **ERRORS,
        },
        tags=["review queue"],
    )
    def post(self, request: Request) -> Response:
        try:
            task = queue.undo(request.user)
        except queue.QueueError as exc:
            raise ApiError("undo_refused", str(exc), status.HTTP_409_CONFLICT) from exc
        return Response(
            {
                "task": task.pk,
                "document": task.document_id,
                "state": "claimed",
                "lease_until": task.lease_until,
            }
        )
