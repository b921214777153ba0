"""``/api/v1/model-versions``: the classifier's versions with their metrics, training,
promotion and rollback. Admins only, as the model pages; the same services
(``classification.learning``) and the same readings of a version's stored JSON
(``classification.views.models``) as those pages.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classification import learning
from classification.models import ModelVersion
from classification.views import models as model_pages
from docsite import roles
from docsite.api.errors import ApiError
from docsite.api.pagination import NewestFirst
from docsite.api.schema import ERRORS, NOT_FOUND, error

REFUSED = {409: error("Refused: details.reason says why (already active, unreadable artifact...)")}


class ClassMetricsSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    f1 = serializers.FloatField(allow_null=True)
    human_labels = serializers.IntegerField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True, help_text="null: the global one applies")


class ModelVersionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ModelVersion.State.choices)
    created_at = serializers.DateTimeField()
    promoted_at = serializers.DateTimeField(allow_null=True)
    retired_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    duration_seconds = serializers.FloatField(allow_null=True)
    accuracy = serializers.FloatField(allow_null=True)
    macro_f1 = serializers.FloatField(allow_null=True)
    ece = serializers.FloatField(allow_null=True)
    ece_before = serializers.FloatField(allow_null=True, help_text="Before calibration")
    thresholds = serializers.DictField(help_text="{global, target_precision, per_class}")
    per_class = ClassMetricsSerializer(many=True)
    human_labels = serializers.IntegerField(allow_null=True)
    pseudo_labels = serializers.IntegerField(allow_null=True)
    counts = serializers.DictField(help_text="As recorded by the training")
    can_promote = serializers.BooleanField()


class ModelVersionDetailSerializer(ModelVersionSerializer):
    metrics = serializers.DictField(help_text="Everything the training measured")
    training_args = serializers.DictField()


class TrainSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    running = serializers.BooleanField(help_text="A training holds the lock now")


def _type_names(version: ModelVersion) -> list[str]:
    """The types a version's metrics name (its classes, and those it has an F1 for)."""
    metrics = model_pages._mapping(version.metrics)
    classes = model_pages._classes(metrics, model_pages._mapping(version.counts))
    return classes + list(model_pages._mapping(metrics.get("per_class_f1")))


def version_body(
    version: ModelVersion, *, detail: bool = False, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """``labels``: type name -> label for the types it names, looked up for a whole page of
    versions at once; looked up here when not given."""
    row = model_pages._row(version)  # the model pages' reading of the stored JSON
    metrics = model_pages._mapping(version.metrics)
    counts = model_pages._mapping(version.counts)
    classes = model_pages._classes(metrics, counts)
    if labels is None:
        labels = model_pages._type_labels(_type_names(version))
    body: dict[str, Any] = {
        "id": version.pk,
        "state": version.state,
        "created_at": version.created_at,
        "promoted_at": version.promoted_at,
        "retired_at": version.retired_at,
        "reason": version.reason,
        "duration_seconds": version.duration_seconds,
        "accuracy": row.accuracy,
        "macro_f1": row.macro_f1,
        "ece": row.ece,
        "ece_before": row.ece_before,
        "thresholds": dict(model_pages._mapping(metrics.get("thresholds"))),
        "per_class": [vars(c) for c in model_pages._class_rows(classes, labels, metrics, counts)],
        "human_labels": row.human_labels,
        "pseudo_labels": row.pseudo_labels,
        "counts": dict(counts),
        "can_promote": row.can_promote,
    }
    if detail:
        body["metrics"] = dict(metrics)
        body["training_args"] = dict(model_pages._mapping(version.training_args))
    return body


class AdminView(APIView):
    required_roles = (roles.ADMIN,)


class ModelVersionListView(AdminView):
    pagination_class = NewestFirst

    @extend_schema(
        operation_id="model_versions_list",
        summary="Model versions, newest first, with their metrics",
        # 404: a cursor that is not one of ours (DRF's cursor pagination answers so).
        responses={200: ModelVersionSerializer(many=True), **ERRORS, **NOT_FOUND},
        tags=["model versions"],
    )
    def get(self, request: Request) -> Response:
        paginator = NewestFirst()
        page = paginator.paginate_queryset(ModelVersion.objects.all(), request, view=self)
        assert page is not None
        # One lookup of the types' labels for the whole page, not one per version.
        labels = model_pages._type_labels({n for v in page for n in _type_names(v)})
        return paginator.get_paginated_response([version_body(v, labels=labels) for v in page])


class ModelVersionDetailView(AdminView):
    @extend_schema(
        operation_id="model_versions_retrieve",
        summary="One model version with all its metrics and training arguments",
        responses={200: ModelVersionDetailSerializer, **ERRORS, **NOT_FOUND},
        tags=["model versions"],
    )
    def get(self, request: Request, version_id: int) -> Response:
        version = get_object_or_404(ModelVersion, pk=version_id)
        return Response(version_body(version, detail=True))


class TrainView(AdminView):
    @extend_schema(
        operation_id="model_versions_train",
        summary="Queue a training (202); the result appears as a new version",
        request=None,
        responses={202: TrainSerializer, **ERRORS},
        tags=["model versions"],
    )
    def post(self, request: Request) -> Response:
        message = learning.request_training("admin", request.user)
        return Response(
            {"message": message, "running": learning.training_running()},
            status=status.HTTP_202_ACCEPTED,
        )


class PromoteView(AdminView):
    @extend_schema(
        operation_id="model_versions_promote",
        summary="Make a version the active model (the active one retires)",
        request=None,
        responses={200: ModelVersionSerializer, **ERRORS, **NOT_FOUND, **REFUSED},
        tags=["model versions"],
    )
    def post(self, request: Request, version_id: int) -> Response:
        version = get_object_or_404(ModelVersion, pk=version_id)
        try:
            learning.promote(version, request.user)
        except ValueError as exc:
            raise ApiError(
                "promotion_refused",
                f"Model v{version.pk} was not promoted: {exc}",
                status.HTTP_409_CONFLICT,
                {"reason": str(exc)},
            ) from exc
        version.refresh_from_db()
        return Response(version_body(version))


class RollbackView(AdminView):
    @extend_schema(
        operation_id="model_versions_rollback",
        summary="Make the most recently retired version active again",
        request=None,
        responses={200: ModelVersionSerializer, **ERRORS, **REFUSED},
        tags=["model versions"],
    )
    def post(self, request: Request) -> Response:
        try:
            restored = learning.rollback(request.user)
        except ValueError as exc:
            raise ApiError(
                "rollback_refused",
                f"Nothing was rolled back: {exc}",
                status.HTTP_409_CONFLICT,
                {"reason": str(exc)},
            ) from exc
        return Response(version_body(restored))
