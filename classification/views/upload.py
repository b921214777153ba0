"""The upload page: many files at once, each accepted, recognised as a duplicate, or refused."""

from __future__ import annotations

from typing import TypedDict

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from classification import intake, services
from docsite import roles


class FileResult(TypedDict):
    filename: str
    outcome: str  # accepted | duplicate | rejected
    code: str
    message: str
    document_id: int | None
    url: str | None


def _handle_file(request: HttpRequest, upload: UploadedFile) -> FileResult:
    name = intake.sanitise_filename(upload.name or "")
    try:
        data = services.read_upload(upload, upload.size)
        result = services.ingest_upload(data, upload.name or "", request.user)
    except intake.RejectedUpload as exc:
        return FileResult(
            filename=name,
            outcome="rejected",
            code=exc.code,
            message=exc.message,
            document_id=None,
            url=None,
        )
    document = result.document
    message = (
        "Queued for processing."
        if result.outcome == "accepted"
        else f"Already uploaded as document #{document.pk}."
    )
    return FileResult(
        filename=name,
        outcome=result.outcome,
        code=result.outcome,
        message=message,
        document_id=document.pk,
        url=reverse("document", args=[document.pk]),
    )


def _limits() -> dict[str, object]:
    return {
        "max_upload_mb": settings.DOCSITE_MAX_UPLOAD_MB,
        "max_pages": settings.DOCSITE_MAX_PAGES,
        "max_files": settings.DOCSITE_MAX_FILES_PER_UPLOAD,
    }


@roles.role_required(roles.UPLOADER)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "GET":
        return render(request, "classification/upload.html", {"limits": _limits()})
    files = request.FILES.getlist("files")
    if not files:
        message = "Choose at least one file to upload."
        if wants_json:
            return JsonResponse({"error": {"code": "no_files", "message": message}}, status=400)
        return render(
            request,
            "classification/upload.html",
            {"limits": _limits(), "error": message},
            status=400,
        )
    results = [_handle_file(request, upload) for upload in files]
    if wants_json:
        return JsonResponse({"results": results})
    return render(request, "classification/upload.html", {"limits": _limits(), "results": results})
