"""Requests per token (``DOCSITE_API_RATE``), per signed-in user without a token, and per
address for anonymous callers (``DOCSITE_API_ANON_RATE``). The rates are read from the settings
on each request, so a changed setting applies without a restart of the class."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from docsite.api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str:
        return str(settings.DOCSITE_API_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # AnonymousRateThrottle's turn
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(AnonRateThrottle):
    def get_rate(self) -> str:
        return str(settings.DOCSITE_API_ANON_RATE)
