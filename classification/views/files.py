"""Originals and page images, streamed after a permission check (never public media)."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from classification import access, storage
from classification.models import Page


def _stream(relative: str, as_attachment: bool = False, filename: str = "") -> FileResponse:
    if not storage.exists(relative):
        raise Http404("The file is missing.")
    content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
    response = FileResponse(
        storage.absolute(relative).open("rb"),
        content_type=content_type,
        as_attachment=as_attachment,
        filename=filename,
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def original(request: HttpRequest, document_id: int) -> FileResponse:
    document = access.get_visible_document(request.user, document_id)
    return _stream(document.original_path, as_attachment=True, filename=document.original_name)


def _page(request: HttpRequest, document_id: int, number: int) -> Page:
    document = access.get_visible_document(request.user, document_id)
    page = document.pages.filter(number=number).first()
    if page is None:
        raise Http404("No such page.")
    return page


@login_required
@require_GET
def page_image(request: HttpRequest, document_id: int, number: int) -> FileResponse:
    return _stream(_page(request, document_id, number).image_path)


@login_required
@require_GET
def page_thumbnail(request: HttpRequest, document_id: int, number: int) -> FileResponse:
    return _stream(_page(request, document_id, number).thumbnail_path)
