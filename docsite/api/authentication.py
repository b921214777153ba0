"""``Authorization: Token <key>`` (or ``Bearer <key>``) for integrations; the browser's
session works too (with CSRF, as DRF's SessionAuthentication checks it)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from docsite.api import tokens
from docsite.api.models import ApiToken

SCHEMES = (b"token", b"bearer")


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the key as 'Authorization: Token <key>', with no spaces in the key."
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("That is not a Docsite API key.") from exc
        token = tokens.find(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if not token.active:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The key's user account is disabled.")
        tokens.touch(token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) instead of 403 when no credentials came.
        return 'Token realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "docsite.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An API key from 'API tokens' in the web UI, sent as "
            "`Authorization: Token dst_…` (or `Bearer dst_…`).",
        }
