"""The document list (filtered, searchable, live, exported) and one document's page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from classification import access, export, fieldstore, services
from classification.ids import parse_id
from classification.models import Document, DocumentType

PAGE_SIZE = 25


@dataclass(frozen=True)
class FieldBox:
    """A field value's place on its page, in page-image pixels, for the viewer to draw."""

    label: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return max(0.0, self.right - self.left)

    @property
    def height(self) -> float:
        return max(0.0, self.bottom - self.top)


def filtered_documents(
    user: access.User, params: Mapping[str, str]
) -> tuple[QuerySet[Document], dict[str, str]]:
    """The documents ``user`` may see, filtered by ``params`` (``status``, ``type``, ``q``) as
    the document list does, and the filters as understood. The list and the export use it."""
    documents = access.visible_documents(user).select_related("document_type")
    # A NUL character matches nothing and PostgreSQL refuses it in a query: dropped here (the
    # exports refuse such a query, ``filter_problems``).
    filters = {
        "status": params.get("status", "").replace("\x00", ""),
        "type": params.get("type", "").replace("\x00", ""),
        "q": params.get("q", "").replace("\x00", "").strip()[:200],
    }
    if filters["status"] in Document.Status.values:
        documents = documents.filter(status=filters["status"])
    if filters["type"] == "none":
        documents = documents.filter(document_type__isnull=True)
    elif filters["type"]:
        documents = documents.filter(document_type__name=filters["type"])
    if filters["q"]:
        matching = Document.objects.filter(pages__text__icontains=filters["q"]).values("pk")
        documents = documents.filter(Q(pk__in=matching) | Q(original_name__icontains=filters["q"]))
    return documents, filters


def filter_problems(params: Mapping[str, str]) -> dict[str, str]:
    """What is wrong with the list's filters in ``params``, by name: a status or a type that
    does not exist, a NUL character. The list shows what it understood of them
    (``filtered_documents``); an export, which would otherwise hand over every document
    without a word, refuses them."""
    problems = {}
    for name in ("status", "type", "q"):
        if "\x00" in params.get(name, ""):
            problems[name] = "Must not contain a NUL character."
    status = params.get("status", "")
    if "status" not in problems and status and status not in Document.Status.values:
        problems["status"] = f"Use one of {', '.join(Document.Status.values)}."
    kind = params.get("type", "")
    if (
        "type" not in problems
        and kind not in ("", "none")
        and not DocumentType.objects.filter(name=kind).exists()  # after the NUL check
    ):
        problems["type"] = "No document type has this name ('none': documents without one)."
    return problems


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    documents, filters = filtered_documents(request.user, request.GET)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "statuses": Document.Status.choices,
        "types": DocumentType.objects.filter(active=True),
        "live": any(not d.is_final for d in page.object_list),
        "query": request.GET.urlencode(),
        "export_query": urlencode({name: value for name, value in filters.items() if value}),
    }
    if request.headers.get("HX-Request") and request.GET.get("fragment") == "rows":
        return render(request, "classification/_document_rows.html", context)
    return render(request, "classification/document_list.html", context)


@login_required
@require_GET
def export_documents(request: HttpRequest) -> HttpResponseBase:
    """The documents of the list with these filters, all of them, streamed as
    ``?format=csv|json|jsonl`` (``classification.export``)."""
    fmt = request.GET.get("format", "csv")
    if fmt not in export.FORMATS:
        return JsonResponse(
            {
                "error": {
                    "code": "bad_format",
                    "message": f"Unknown export format {fmt[:20]!r}: use one of "
                    f"{', '.join(export.FORMATS)}.",
                    "details": None,
                }
            },
            status=400,
        )
    problems = filter_problems(request.GET)
    if problems:
        return JsonResponse(
            {
                "error": {
                    "code": "bad_filter",
                    "message": " ".join(f"{name}: {text}" for name, text in problems.items()),
                    "details": problems,
                }
            },
            status=400,
        )
    documents, _ = filtered_documents(request.user, request.GET)
    return export.response(documents, fmt, request.user)


MAX_STATUS_IDS = 200


@login_required
@require_GET
def statuses(request: HttpRequest) -> JsonResponse:
    """Status of the given documents (``?ids=1,2,3``), for pages that show live progress."""
    raw = request.GET.get("ids", "")
    parsed = (parse_id(part) for part in raw.split(","))
    ids = [n for n in parsed if n is not None][:MAX_STATUS_IDS]
    if raw and not ids:
        return JsonResponse(
            {"error": {"code": "bad_ids", "message": "ids must be comma-separated numbers."}},
            status=400,
        )
    rows = access.visible_documents(request.user).filter(pk__in=ids)
    return JsonResponse(
        {
            "documents": {
                str(d.pk): {
                    "status": d.status,
                    "label": d.get_status_display(),
                    "final": d.is_final,
                    "error": d.error_message,
                }
                for d in rows
            }
        }
    )


@login_required
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    document = access.get_visible_document(request.user, document_id)
    blind = access.hides_labels(request.user, document)
    pages = list(document.pages.all())
    fields = [] if blind else fieldstore.current_values(document)
    # Each value's box drawn over its page (``_page_viewer.html``), named by its field.
    for page in pages:
        page.field_boxes = [  # type: ignore[attr-defined]
            FieldBox(v.field.label, *v.bbox)
            for v in fields
            if v.page_number == page.number and v.bbox and len(v.bbox) == 4
        ]
    context = {
        "document": document,
        "pages": pages,
        "fields": fields,
        "labels": document.labels.select_related("document_type", "labeled_by"),
        "predictions": document.predictions.select_related("document_type", "model_version"),
        "can_retry": access.can_retry(request.user, document),
        "blind": blind,
    }
    if blind:
        context.update(labels=[], predictions=[])
    if request.headers.get("HX-Request") and request.GET.get("fragment") == "status":
        response = render(request, "classification/_document_status.html", context)
        if document.is_final:
            # Processing ended while the page was open: reload it to show pages and text.
            response["HX-Refresh"] = "true"
        return response
    return render(request, "classification/document_detail.html", context)


@login_required
@require_POST
def retry(request: HttpRequest, document_id: int) -> HttpResponse:
    document = access.get_visible_document(request.user, document_id)
    if not access.can_retry(request.user, document):
        messages.error(request, "Only the uploader or an admin can retry this document.")
    elif services.retry_document(document):
        messages.success(request, "The document is queued again.")
    else:
        messages.info(request, "Only a failed document can be retried.")
    return redirect("document", document_id=document.pk)
