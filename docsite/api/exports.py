"""``GET /api/v1/exports?export_format=csv|json|jsonl``: the documents the caller may see, with
their types and fields, streamed (``classification.export``), filtered as the document list
(``status``, ``type``, ``q``; ``classification.views.documents.filtered_documents``).

The format parameter is ``export_format``, not ``format``: elsewhere DRF reads ``?format=`` as
its renderer switch. Here that switch is off (``NoFormatOverride``), so ``?format=csv`` is a 400
naming ``export_format``, not DRF's 404. Any signed-in user may export, as on the web; each gets
only the documents they may see (none for an account without a role).
"""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from classification import export
from classification.models import Document
from classification.views.documents import filter_problems, filtered_documents
from docsite.api.errors import ApiError
from docsite.api.schema import BAD_REQUEST, ERRORS

# The query parameters the export reads; another (the list's ``confidence_min``, say) would be
# ignored, and every document exported without a word, so it is refused.
PARAMETERS = ("export_format", "status", "type", "q")


def _problems(params: Any) -> dict[str, list[str]]:
    """What is wrong with the query: the format, the list's filters (``filter_problems``: the
    web list ignores a bad filter; the exports say so) and parameters the export does not
    read."""
    problems: dict[str, list[str]] = {}
    fmt = params.get("export_format", "csv")
    if fmt not in export.FORMATS:
        problems["export_format"] = [f"Use one of {', '.join(export.FORMATS)}."]
    for name, text in filter_problems(params).items():
        problems[name] = [text]
    for name in sorted(set(params) - set(PARAMETERS))[:10]:
        problems[name[:64]] = [f"Not a parameter of the export: use {', '.join(PARAMETERS)}."]
    if "format" in params:
        problems["format"] = ["The export's format is export_format (csv, json or jsonl)."]
    return problems


class NoFormatOverride(DefaultContentNegotiation):
    """DRF's negotiation without its ``?format=`` switch: the export is streamed, never
    rendered, and reads its format from ``export_format``. With the switch on, ``?format=csv``
    (no such renderer) was a 404 before the view could say what to send instead."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    content_negotiation_class = NoFormatOverride

    @extend_schema(
        operation_id="exports_documents",
        summary="Export the documents you may see, streamed as CSV, JSON or JSON Lines",
        parameters=[
            OpenApiParameter(
                "export_format", OpenApiTypes.STR, enum=list(export.FORMATS), default="csv"
            ),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(Document.Status.values)),
            OpenApiParameter("type", OpenApiTypes.STR, description="A type name, or 'none'"),
            OpenApiParameter("q", OpenApiTypes.STR, description="Words in the name or text"),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, a header row"),
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object"}}, description="One object a document"
            ),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR),
            **BAD_REQUEST,
            **ERRORS,
        },
        tags=["exports"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        problems = _problems(request.query_params)
        if problems:
            raise ApiError("invalid", "The request is not valid; see details.", details=problems)
        fmt = request.query_params.get("export_format", "csv")
        documents, _ = filtered_documents(request.user, request.query_params)
        return export.response(documents, fmt, request.user)
