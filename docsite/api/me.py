"""``GET /api/v1/me``: who the credentials belong to, with their roles."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from docsite import roles
from docsite.api.models import ApiToken
from docsite.api.schema import ERRORS


class MeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=roles.ALL_ROLES))
    auth = serializers.ChoiceField(choices=["token", "session"])
    token_name = serializers.CharField(allow_null=True)


class MeView(APIView):
    @extend_schema(
        operation_id="me",
        summary="The user the credentials belong to",
        responses={200: MeSerializer, **ERRORS},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(
            {
                "id": request.user.pk,
                "username": request.user.get_username(),
                "roles": sorted(roles.roles_of(request.user)),
                "auth": "token" if token else "session",
                "token_name": token.name if token else None,
            }
        )
