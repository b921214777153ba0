"""The basic review queue: documents that need a person, and a form to give each a type."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from classification import services
from classification.models import Document, DocumentType
from docsite import roles
from labeling import priority


def _queue() -> QuerySet[Document]:
    return priority.waiting()


@roles.role_required(roles.LABELER)
def queue(request: HttpRequest) -> HttpResponse:
    # Paginate the ordered ids, then fetch only the shown page's rows, in that order.
    page = Paginator(priority.review_order(), 50).get_page(request.GET.get("page"))
    rows = Document.objects.select_related("uploaded_by").in_bulk(list(page.object_list))
    # The template iterates documents; the page was cut from ids (django-stubs types it int).
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]  # type: ignore[misc]
    return render(request, "labeling/queue.html", {"page": page})


@roles.role_required(roles.LABELER)
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, document_id: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=document_id)
    types = DocumentType.objects.filter(active=True)
    error = ""
    if request.method == "POST":
        raw_type = request.POST.get("document_type", "")
        chosen = types.filter(pk=int(raw_type)).first() if raw_type.isdigit() else None
        if document.status not in (Document.Status.NEEDS_REVIEW, Document.Status.CLASSIFIED):
            error = (
                f"This document is {document.get_status_display().lower()}; "
                "it cannot be labeled now."
            )
        elif chosen is None:
            error = "Choose one of the document types."
        else:
            services.assign_type(document, chosen, request.user)
            messages.success(request, f"Document #{document.pk} labeled as {chosen.label}.")
            following = priority.next_for_review(exclude=document.pk)
            if following is not None:
                return redirect("review", document_id=following.pk)
            return redirect("queue")
    context = {
        "document": document,
        "pages": document.pages.all(),
        "types": types,
        "error": error,
        "remaining": _queue().count(),
    }
    return render(request, "labeling/review.html", context, status=400 if error else 200)
