"""``GET /api/v1/stats``: the figures the dashboards show, for admins (they count every
document and the model's metrics, which only admins see on the web). Counted by the database in
``classification.stats`` and ``labeling.stats``; this module only puts them together."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classification import stats as document_stats
from docsite import roles
from docsite.api.schema import ERRORS
from labeling import stats as queue_stats


class DaySerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    count = serializers.IntegerField()


class TypeCountSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(allow_null=True, help_text="null: no type yet")
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class DocumentStatsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_type = TypeCountSerializer(many=True)
    processed_per_day = DaySerializer(many=True, help_text="The last 30 local days")


class AutoAcceptSerializer(serializers.Serializer[Any]):
    routed = serializers.IntegerField(help_text="Documents waiting for review or classified")
    auto_accepted = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class QueueStatsSerializer(serializers.Serializer[Any]):
    depth = serializers.IntegerField(help_text="Open tasks")
    by_kind = serializers.DictField(child=serializers.IntegerField())
    claimed = serializers.IntegerField(help_text="Open tasks someone holds now")
    oldest_waiting_since = serializers.DateTimeField(allow_null=True)
    oldest_waiting_seconds = serializers.FloatField(allow_null=True)


class ActiveModelSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    promoted_at = serializers.DateTimeField(allow_null=True)
    macro_f1 = serializers.FloatField(allow_null=True)
    ece = serializers.FloatField(allow_null=True)
    accuracy = serializers.FloatField(allow_null=True)
    thresholds = serializers.DictField()


class StatsSerializer(serializers.Serializer[Any]):
    generated_at = serializers.DateTimeField()
    documents = DocumentStatsSerializer()
    auto_accept = AutoAcceptSerializer()
    queue = QueueStatsSerializer()
    labels_per_day = DaySerializer(many=True, help_text="People's labels, the last 30 days")
    active_model = ActiveModelSerializer(allow_null=True)


class StatsView(APIView):
    required_roles = (roles.ADMIN,)

    @extend_schema(
        operation_id="stats",
        summary="Documents by status and type, per day, queue depth, labels, the active model",
        responses={200: StatsSerializer, **ERRORS},
        tags=["stats"],
    )
    def get(self, request: Request) -> Response:
        by_status = document_stats.documents_by_status()
        return Response(
            {
                "generated_at": timezone.now(),
                "documents": {
                    "total": sum(by_status.values()),
                    "by_status": by_status,
                    "by_type": document_stats.documents_by_type(),
                    "processed_per_day": document_stats.processed_per_day(),
                },
                "auto_accept": document_stats.auto_accept(),
                "queue": queue_stats.queue_figures(),
                "labels_per_day": queue_stats.labels_per_day(),
                "active_model": document_stats.active_model(),
            }
        )
