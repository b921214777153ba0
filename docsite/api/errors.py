"""One error format for every endpoint: ``{"error": {"code", "message", "details"}}``.

``code`` is a stable machine word (``not_authenticated``, ``invalid``, ``not_found``...),
``message`` a sentence for people, ``details`` what the code needs to act: the failing fields of
a bad request, the seconds to wait when throttled, or ``null``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """Raise with a code, a message and optional details; the handler formats it."""

    def __init__(
        self,
        code: str,
        message: str,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        details: Any = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.details = details


MESSAGES = {
    "invalid": "The request is not valid; see details.",
    "parse_error": "The request body could not be read.",
    "not_found": "Not found.",
}


def body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or MESSAGES["not_found"])
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # not ours: Django's 500 handling (JSON under /api/, see server_error)
    if isinstance(exc, ApiError):
        payload = body(exc.error_code, str(exc.detail), exc.details)
    elif isinstance(exc, exceptions.ValidationError):
        payload = body("invalid", MESSAGES["invalid"], exc.detail)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        details = (
            {"retry_after": getattr(exc, "wait", None)}
            if isinstance(exc, exceptions.Throttled)
            else None
        )
        detail = exc.detail
        message = str(detail) if isinstance(detail, str) else MESSAGES.get(code, str(detail))
        payload = body(code, message, details)
    response.data = payload
    return response


@csrf_exempt  # changes nothing; a PUT without a CSRF token would otherwise get an HTML 403
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any URL under /api/ that no endpoint answers."""
    return JsonResponse(body("not_found", f"No API endpoint at {request.path}."), status=404)


def server_error_body() -> dict[str, Any]:
    return body("server_error", "Something went wrong on the server; it has been logged.")


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="A stable machine word, e.g. 'invalid'")
    message = serializers.CharField(help_text="What went wrong, for people")
    details = serializers.JSONField(
        allow_null=True, help_text="Field errors, retry_after seconds, or null"
    )


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()
