"""Pieces every endpoint's OpenAPI description uses."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from docsite.api.errors import ErrorSerializer


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


# The answers any authenticated endpoint may give besides its own.
ERRORS = {
    401: error("No credentials, an unknown key or a revoked one"),
    403: error("Signed in, but without the role this needs"),
    429: error("Too many requests for this token; details.retry_after says when to retry"),
}
NOT_FOUND = {404: error("No such object, or not one you may see")}
BAD_REQUEST = {400: error("The request is not valid; details lists the problems")}
