"""The labeling pages: the queue overview, the workbench where one task is labeled, and the
admin's list of disagreements with the agreement numbers. Views check the input and raise
every 400; ``labeling.queue`` changes state."""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User as AuthUser
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classification import services, storage
from classification.ids import parse_id
from classification.models import Document, DocumentType, FieldDefinition, Page
from docsite import roles
from labeling import agreement, queue, workbench
from labeling.models import Adjudication, Skip, Task

QUEUE_PAGE_SIZE = 50
ADJUDICATION_PAGE_SIZE = 25
MAX_FIELD_LENGTH = services.MAX_FIELD_LENGTH
MAX_NOTE_LENGTH = 200


class Invalid(Exception):
    """The form cannot be accepted; the message says why, for the person who sent it."""


# --- Queue ----------------------------------------------------------------------------------


@roles.role_required(roles.LABELER)
@require_GET
def queue_overview(request: HttpRequest) -> HttpResponse:
    tasks = queue.open_tasks().select_related("document").order_by("-priority", "id")
    page = Paginator(tasks, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(
        queue.open_tasks()
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    context = {
        "page": page,
        "counts": [(label, counts.get(kind, 0)) for kind, label in Task.Kind.choices],
        "held": queue.held_by(request.user),
        "undo": queue.undoable(request.user),
        "now": timezone.now(),
    }
    return render(request, "labeling/queue.html", context)


def _go_on(request: HttpRequest) -> HttpResponse:
    """To the labeler's next task, claimed now, or back to the queue when none is left."""
    task = queue.claim_next(request.user)
    if task is None:
        messages.info(request, "Nothing left to label for now.")
        return redirect("queue")
    return redirect("task", task_id=task.pk)


@roles.role_required(roles.LABELER)
@require_POST
def queue_next(request: HttpRequest) -> HttpResponse:
    return _go_on(request)


@roles.role_required(roles.LABELER)
@require_POST
def queue_undo(request: HttpRequest) -> HttpResponse:
    try:
        task = queue.undo(request.user)
    except queue.QueueError as exc:
        return _refused(request, str(exc))
    messages.info(request, f"Your label of #{task.document_id} was taken back: label it again.")
    return redirect("task", task_id=task.pk)


@roles.role_required(roles.LABELER)
@require_http_methods(["GET", "POST"])
def document_review(request: HttpRequest, document_id: int) -> HttpResponse:
    """Label this document (the button on a document's page): POST claims its review task and
    opens the workbench; GET only goes to a task the labeler already holds, else the queue."""
    held = queue.held_by(request.user)
    if held is not None and held.document_id == document_id:
        return redirect("task", task_id=held.pk)
    if request.method == "POST":
        task = queue.claim_document(document_id, request.user)
        if task is not None:
            return redirect("task", task_id=task.pk)
        messages.info(
            request, "That document is not waiting for a label, or another labeler has it."
        )
        return redirect("queue")
    messages.info(request, "Documents are labeled in the queue's order: press Start labeling.")
    return redirect("queue")


# --- The workbench --------------------------------------------------------------------------


def _holds(task: Task, request: HttpRequest) -> bool:
    return task.state == Task.State.OPEN and task.claimed_by_id == request.user.pk


def _refused(request: HttpRequest, error: str) -> HttpResponse:
    """A 400 for an action on a task the person does not hold: the reason, and ways on, but
    nothing of the document (it may be another labeler's draft)."""
    return render(request, "labeling/refused.html", {"error": error}, status=400)


def _not_yours(task: Task) -> str:
    if task.state != Task.State.OPEN:
        return "This document is no longer in the queue."
    return "This document is not yours to label: press Next for another one."


def _workbench(
    request: HttpRequest,
    task: Task,
    *,
    error: str = "",
    posted: QueryDict | None = None,
    readonly: bool = False,
) -> HttpResponse:
    document = task.document
    # A quality check shows nothing of the model's view, so the check is unbiased; a second
    # opinion records only the type, so it has no fields panel (and never the first label).
    blind = task.kind == Task.Kind.QA
    suggested = {} if blind else workbench.suggestions(document)
    types = workbench.type_choices(
        document,
        suggested=suggested,
        with_fields=task.kind != Task.Kind.OVERLAP,
        posted=posted,
    )
    chosen = posted.get("document_type", "") if posted is not None else ""
    context: dict[str, Any] = {
        "task": task,
        "document": document,
        "pages": list(document.pages.all()),
        "types": types,
        "chosen": parse_id(chosen),
        "suggested": bool(suggested),
        "similar": None if blind else workbench.similar(document, task),
        "header": workbench.header(request.user),
        "skip_reasons": Skip.Reason.choices,
        "skip_reason": posted.get("reason", Skip.Reason.OTHER) if posted else Skip.Reason.OTHER,
        "skip_note": posted.get("note", "") if posted else "",
        "error": error,
        "readonly": readonly,
        "holder": task.claimed_by if readonly else None,
    }
    return render(request, "labeling/workbench.html", context, status=400 if error else 200)


def _task(task_id: int) -> Task:
    return get_object_or_404(
        Task.objects.select_related("document", "claimed_by", "suggested_type"), pk=task_id
    )


@roles.role_required(roles.LABELER)
@require_GET
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(task_id)
    if _holds(task, request):
        return _workbench(request, task)
    if roles.has_role(request.user, roles.ADMIN):
        return _workbench(request, task, readonly=True)
    raise Http404("No such task.")  # another labeler's draft is not confirmed to exist


def _chosen_type(post: QueryDict) -> DocumentType:
    raw = post.get("document_type", "").strip()
    number = parse_id(raw)
    chosen = DocumentType.objects.filter(pk=number).first() if number is not None else None
    if chosen is None:
        raise Invalid("Choose one of the document types (keys 1-9, or filter with /).")
    if not chosen.active:
        raise Invalid(f"{chosen.label} is not an active type: choose another.")
    return chosen


def _as_suggested(given: services.SentField, suggested: str) -> bool:
    """Whether a field was sent back as the workbench suggested it (JSON ``{"value", "page",
    "bbox"}``): the same value, on the same page, in the same box."""
    try:
        shown = json.loads(suggested) if suggested else None
        box = json.loads(str(given.bbox)) if given.bbox else None
    except ValueError:
        return False
    if not isinstance(shown, dict):
        return False
    page = str(given.page).strip() if given.page is not None else ""
    return (
        given.value.strip() == str(shown.get("value") or "").strip()
        and page == str(shown.get("page") or "")
        and box == shown.get("bbox")
    )


def _field_inputs(
    post: QueryDict, chosen: DocumentType, document: Document
) -> dict[FieldDefinition, services.FieldInput]:
    """The chosen type's fields that the form sent, checked by ``services.check_field_inputs``
    (as the API's are): ``field-<name>`` with ``-page`` and ``-bbox`` beside it. A field still
    as the rules suggested it (``suggested-<name>``) is left out: the labeler gave nothing, and
    the extraction their label starts stores its own reading, as the rules'."""
    sent = {
        key.removeprefix("field-"): services.SentField(
            post.get(key, ""),
            post.get(f"{key}-page", "").strip() or None,
            post.get(f"{key}-bbox", "").strip() or None,
        )
        for key in post
        if key.startswith("field-")
    }
    sent = {
        name: given
        for name, given in sent.items()
        if not _as_suggested(given, post.get(f"suggested-{name}", ""))
    }
    try:
        return services.check_field_inputs(document, chosen, sent, strict=False)
    except services.FieldInputError as exc:
        raise Invalid(str(exc)) from exc


@roles.role_required(roles.LABELER)
@require_POST
def task_submit(request: HttpRequest, task_id: int) -> HttpResponse:
    # The hot path of labeling (p95 budget 100 ms with 100k tasks): nothing here counts the queue.
    task = _task(task_id)
    if not _holds(task, request):
        return _refused(request, _not_yours(task))
    try:
        chosen = _chosen_type(request.POST)
        fields = {}
        sent_fields = any(key.startswith("field-") for key in request.POST)
        if sent_fields and task.kind != Task.Kind.OVERLAP:  # a second opinion: the type only
            fields = _field_inputs(request.POST, chosen, task.document)
        queue.submit(task.pk, request.user, chosen, fields)
    except (Invalid, queue.QueueError) as exc:
        return _workbench(request, task, error=str(exc), posted=request.POST)
    messages.success(request, f"Saved #{task.document_id} as {chosen.label}.")
    return _go_on(request)


@roles.role_required(roles.LABELER)
@require_POST
def task_skip(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(task_id)
    if not _holds(task, request):
        return _refused(request, _not_yours(task))
    reason = request.POST.get("reason", "").strip() or Skip.Reason.OTHER
    note = request.POST.get("note", "").strip()
    try:
        if reason not in Skip.Reason.values:
            raise Invalid("Choose one of the reasons to skip.")
        if len(note) > MAX_NOTE_LENGTH:
            raise Invalid(f"The note can have at most {MAX_NOTE_LENGTH} characters.")
        if "\x00" in note:
            raise Invalid("The note must not contain a NUL character.")
        queue.skip(task.pk, request.user, reason, note)
    except (Invalid, queue.QueueError) as exc:
        return _workbench(request, task, error=str(exc), posted=request.POST)
    messages.info(request, f"Skipped #{task.document_id}.")
    return _go_on(request)


@roles.role_required(roles.LABELER)
@require_POST
def task_release(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(task_id)
    try:
        queue.release(task.pk, request.user)
    except queue.QueueError as exc:
        return _refused(request, str(exc))
    messages.info(request, f"#{task.document_id} is back in the queue for anyone.")
    return redirect("queue")


@login_required
@require_GET
def similar_thumbnail(request: HttpRequest, task_id: int, token: str) -> FileResponse:
    """The first-page thumbnail of a document shown as similar on a task's workbench."""
    document_id = workbench.thumbnail_document(task_id, token)
    task = Task.objects.filter(pk=task_id).first()
    allowed = task is not None and (
        _holds(task, request) or roles.has_role(request.user, roles.ADMIN)
    )
    page = None
    if allowed and document_id is not None:
        page = Page.objects.filter(document_id=document_id, number=1).first()
    if page is None or not storage.exists(page.thumbnail_path):
        raise Http404("No such thumbnail.")
    content_type = mimetypes.guess_type(page.thumbnail_path)[0] or "application/octet-stream"
    response = FileResponse(
        storage.absolute(page.thumbnail_path).open("rb"), content_type=content_type
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Adjudication and agreement (admins) ----------------------------------------------------


def _resolve(post: QueryDict, user: Any) -> Adjudication:
    number = parse_id(post.get("adjudication", ""))
    item = (
        Adjudication.objects.filter(pk=number, resolved_at__isnull=True).first()
        if number is not None
        else None
    )
    if item is None:
        raise Invalid("This disagreement does not exist or was settled already.")
    chosen = _chosen_type(post)
    try:
        return queue.adjudicate(item.pk, user, chosen)
    except queue.QueueError as exc:
        raise Invalid(str(exc)) from exc


@roles.role_required(roles.ADMIN)
@require_http_methods(["GET", "POST"])
def adjudications(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            item = _resolve(request.POST, request.user)
        except Invalid as exc:
            error = str(exc)
        else:
            assert item.resolved_type is not None
            messages.success(request, f"#{item.document_id} is now {item.resolved_type.label}.")
            return redirect("adjudications")
    pending = Adjudication.objects.filter(resolved_at__isnull=True).select_related(
        "document",
        "first__document_type",
        "first__labeled_by",
        "second__document_type",
        "second__labeled_by",
    )
    page = Paginator(pending.order_by("created_at", "pk"), ADJUDICATION_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    measured = agreement.agreement()
    user_ids = {uid for pair in measured.pairs for uid in pair.labelers}
    names = dict(AuthUser.objects.filter(pk__in=user_ids).values_list("pk", "username"))
    context = {
        "page": page,
        "resolved": Adjudication.objects.filter(resolved_at__isnull=False)
        .select_related("document", "resolved_type", "resolved_by")
        .order_by("-resolved_at")[:10],
        "types": DocumentType.objects.filter(active=True),
        "agreement": measured,
        "pairs": [
            (
                names.get(p.labelers[0], f"#{p.labelers[0]}"),
                names.get(p.labelers[1], f"#{p.labelers[1]}"),
                p,
            )
            for p in measured.pairs
        ],
        "qa": agreement.qa_precision(),
        "error": error,
        "posted": request.POST if error else None,
    }
    return render(request, "labeling/adjudications.html", context, status=400 if error else 200)
