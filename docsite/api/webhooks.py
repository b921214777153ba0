"""``/api/v1/webhooks``: subscriptions to events, their delivery log, and a test delivery.

Anyone with a role may subscribe and receives only events about documents they may see (an
uploader: their own uploads; a labeler: their queue; an admin: everything). ``model.promoted``
is for admins, as the model pages are. Each person manages their own subscriptions; an admin
sees and manages everyone's. The work (events, signing, delivery, retries) is in ``delivery``.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from docsite import roles
from docsite.api import delivery, outbound
from docsite.api.errors import ApiError
from docsite.api.models import WebhookDelivery, WebhookSubscription
from docsite.api.pagination import NewestFirst
from docsite.api.schema import BAD_REQUEST, ERRORS, NOT_FOUND

MAX_URL_LENGTH = 2000
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200


class SubscriptionSerializer(serializers.ModelSerializer[WebhookSubscription]):
    """A subscription as lists show it (never its secret)."""

    owner = serializers.CharField(source="owner.username", read_only=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=delivery.EVENT_TYPES),
        help_text="Which events to receive: " + ", ".join(delivery.EVENT_TYPES),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_types", "active", "owner", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    """A subscription with the secret that signs its deliveries (its owner and admins)."""

    secret = serializers.CharField(read_only=True)

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SubscriptionInputSerializer(serializers.Serializer[Any]):
    """What POST takes (``url`` and ``event_types`` required) and PATCH (any of them)."""

    url = serializers.CharField(
        max_length=MAX_URL_LENGTH, help_text="An http:// or https:// URL that accepts POSTs"
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=delivery.EVENT_TYPES), allow_empty=False
    )
    secret = serializers.CharField(
        min_length=MIN_SECRET_LENGTH,
        max_length=MAX_SECRET_LENGTH,
        required=False,
        help_text="Signs the deliveries; generated when not given",
    )
    active = serializers.BooleanField(required=False, help_text="False pauses deliveries")

    def validate_url(self, value: str) -> str:
        value = value.strip()
        try:
            target = outbound.parse(value)
            outbound.check_host(target.host)
        except outbound.TargetRefused as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value

    def validate_event_types(self, value: list[str]) -> list[str]:
        unique = list(dict.fromkeys(value))
        user = self.context["request"].user
        admin_only = sorted(set(unique) & delivery.ADMIN_ONLY_EVENTS)
        if admin_only and not roles.has_role(user, roles.ADMIN):
            raise serializers.ValidationError(f"Only admins may subscribe to {admin_only[0]}.")
        return unique

    def validate_secret(self, value: str) -> str:
        if value != value.strip() or not value.isprintable():
            raise serializers.ValidationError("Use printable characters, no spaces at the ends.")
        return value


class DeliveryEventSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="event_id")
    type = serializers.CharField()
    time = serializers.DateTimeField(source="created_at")


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    event = DeliveryEventSerializer()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "response_ms",
            "created_at",
            "updated_at",
        ]


class DeliveryPage(NewestFirst):
    page_size = 50


def _subscription(request: Request, webhook_id: int) -> WebhookSubscription:
    """The subscription, or 404 for one that is not the user's (unless an admin asks)."""
    return get_object_or_404(delivery.manageable(request.user), pk=webhook_id)  # type: ignore[arg-type]


class WebhookListView(APIView):
    required_roles = roles.ALL_ROLES
    pagination_class = NewestFirst  # so the schema describes the page, not a bare list

    @extend_schema(
        operation_id="webhooks_list",
        summary="Your webhook subscriptions (an admin: everyone's)",
        # 404: a cursor that is not one of ours (DRF's cursor pagination answers so).
        responses={200: SubscriptionSerializer(many=True), **ERRORS, **NOT_FOUND},
        tags=["webhooks"],
    )
    def get(self, request: Request) -> Response:
        paginator = NewestFirst()
        page = paginator.paginate_queryset(delivery.manageable(request.user), request, self)  # type: ignore[arg-type]
        return paginator.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe a URL to events; the answer holds the signing secret",
        request=SubscriptionInputSerializer,
        responses={201: SubscriptionWithSecretSerializer, **BAD_REQUEST, **ERRORS},
        tags=["webhooks"],
    )
    def post(self, request: Request) -> Response:
        given = SubscriptionInputSerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        data = given.validated_data
        subscription = WebhookSubscription.objects.create(
            owner=request.user,  # type: ignore[misc]  # HasRole let only signed-in users in
            url=data["url"],
            event_types=data["event_types"],
            secret=data.get("secret") or delivery.new_secret(),
            active=data.get("active", True),
        )
        body = SubscriptionWithSecretSerializer(subscription).data
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    required_roles = roles.ALL_ROLES

    @extend_schema(
        operation_id="webhooks_retrieve",
        summary="One subscription, with its signing secret",
        responses={200: SubscriptionWithSecretSerializer, **NOT_FOUND, **ERRORS},
        tags=["webhooks"],
    )
    def get(self, request: Request, webhook_id: int) -> Response:
        subscription = _subscription(request, webhook_id)
        return Response(SubscriptionWithSecretSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_update",
        summary="Change the URL, events, secret, or pause (active: false)",
        request=SubscriptionInputSerializer(partial=True),
        responses={
            200: SubscriptionWithSecretSerializer,
            **BAD_REQUEST,
            **NOT_FOUND,
            **ERRORS,
        },
        tags=["webhooks"],
    )
    def patch(self, request: Request, webhook_id: int) -> Response:
        subscription = _subscription(request, webhook_id)
        given = SubscriptionInputSerializer(
            data=request.data, partial=True, context={"request": request}
        )
        given.is_valid(raise_exception=True)
        for name, value in given.validated_data.items():
            setattr(subscription, name, value)
        subscription.save()
        return Response(SubscriptionWithSecretSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        summary="Delete a subscription and its delivery log",
        responses={204: OpenApiResponse(description="Deleted"), **NOT_FOUND, **ERRORS},
        tags=["webhooks"],
    )
    def delete(self, request: Request, webhook_id: int) -> Response:
        _subscription(request, webhook_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(APIView):
    required_roles = roles.ALL_ROLES
    pagination_class = DeliveryPage  # so the schema describes the page, not a bare list

    @extend_schema(
        operation_id="webhooks_deliveries",
        summary="The delivery log of a subscription, newest first",
        responses={200: DeliverySerializer(many=True), **NOT_FOUND, **ERRORS},
        tags=["webhooks"],
    )
    def get(self, request: Request, webhook_id: int) -> Response:
        subscription = _subscription(request, webhook_id)
        deliveries = subscription.deliveries.select_related("event")
        paginator = DeliveryPage()
        page = paginator.paginate_queryset(deliveries, request, self)
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


class WebhookTestView(APIView):
    required_roles = roles.ALL_ROLES

    @extend_schema(
        operation_id="webhooks_test",
        summary="Queue a 'ping' event to this subscription, delivered like any other",
        request=None,
        responses={
            202: inline_serializer("WebhookTestQueued", {"delivery": DeliverySerializer()}),
            **BAD_REQUEST,
            **NOT_FOUND,
            **ERRORS,
        },
        tags=["webhooks"],
    )
    def post(self, request: Request, webhook_id: int) -> Response:
        subscription = _subscription(request, webhook_id)
        if not subscription.active:
            raise ApiError("inactive", "The subscription is paused; activate it first.")
        sent = delivery.send_test(subscription)
        sent.refresh_from_db()
        return Response(
            {"delivery": DeliverySerializer(sent).data}, status=status.HTTP_202_ACCEPTED
        )
