"""The model pages (admins): versions and their metrics, training, promotion and rollback.

Also the batched top-3 predictions the document list shows, one query per page of documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from classification import charts, learning
from classification.models import Document, DocumentType, ModelEvent, ModelVersion, Prediction
from docsite import roles

EVENTS_SHOWN = 30
TOP_K = 3
HEADLINE_METRICS = ("n", "temperature", "auto_accept_rate", "auto_accept_precision")
HEADLINE_COUNTS = ("human_train", "validation", "unlabeled")
NEVER = 1.0  # a threshold above 1 means no confidence reached the target precision


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _type_labels(names: Iterable[str]) -> dict[str, str]:
    """Type name -> the label people know it by; a type deleted since keeps its name."""
    names = list(names)
    known = dict(DocumentType.objects.filter(name__in=names).values_list("name", "label"))
    return {name: known.get(name, name) for name in names}


@dataclass
class VersionRow:
    """One version with the numbers the list shows, read defensively from its JSON."""

    version: ModelVersion
    accuracy: float | None
    macro_f1: float | None
    ece: float | None
    ece_before: float | None
    human_labels: int | None
    pseudo_labels: int | None

    @property
    def can_promote(self) -> bool:
        return self.version.state != ModelVersion.State.ACTIVE and bool(self.version.artifact_path)


def _human_labels(counts: Mapping[str, Any]) -> int | None:
    """Human labels the version learned from: its training and its validation share."""
    split = [counts.get(key) for key in ("human_train", "validation")]
    if any(isinstance(n, int) for n in split):
        return sum(n for n in split if isinstance(n, int))
    per_class = _mapping(counts.get("human_per_class"))
    return sum(n for n in per_class.values() if isinstance(n, int)) if per_class else None


def _row(version: ModelVersion) -> VersionRow:
    metrics, counts = _mapping(version.metrics), _mapping(version.counts)
    pseudo = counts.get("pseudo_labels")
    return VersionRow(
        version=version,
        accuracy=_number(metrics.get("accuracy")),
        macro_f1=_number(metrics.get("macro_f1")),
        ece=_number(metrics.get("ece")),
        ece_before=_number(metrics.get("ece_before")),
        human_labels=_human_labels(counts),
        pseudo_labels=pseudo if isinstance(pseudo, int) else None,
    )


@dataclass(frozen=True)
class ColdStart:
    """Whether a model may be trained yet, and the human labels each type still lacks."""

    ready: bool
    needs: list[tuple[str, int]]  # (type label, human labels still missing), by label
    needed: int | None  # human labels each active type needs


def cold_start() -> ColdStart:
    status = learning.cold_start_status()
    short = _mapping(getattr(status, "short", None))
    needs = sorted((str(name), n) for name, n in short.items() if isinstance(n, int) and n > 0)
    needed = getattr(status, "needed", None)
    return ColdStart(
        ready=bool(status.ready), needs=needs, needed=needed if isinstance(needed, int) else None
    )


@roles.role_required(roles.ADMIN)
@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    versions = list(ModelVersion.objects.order_by("-created_at", "-id"))
    context = {
        "rows": [_row(v) for v in versions],
        "active": next((v for v in versions if v.state == ModelVersion.State.ACTIVE), None),
        "events": ModelEvent.objects.select_related("model_version", "user")[:EVENTS_SHOWN],
        "cold_start": cold_start(),
    }
    return render(request, "classification/model_list.html", context)


@dataclass
class ClassRow:
    name: str
    label: str
    f1: float | None
    human_labels: int | None
    threshold: float | None  # None: this class uses the global threshold


def _classes(metrics: Mapping[str, Any], counts: Mapping[str, Any]) -> list[str]:
    classes = metrics.get("classes")
    if isinstance(classes, list) and classes:
        return [str(c) for c in classes]
    return sorted(_mapping(counts.get("human_per_class")))


def _class_rows(
    classes: list[str], labels: Mapping[str, str], metrics: Mapping[str, Any], counts: Any
) -> list[ClassRow]:
    f1 = _mapping(metrics.get("per_class_f1"))
    per_class_counts = _mapping(_mapping(counts).get("human_per_class"))
    per_class_t = _mapping(_mapping(metrics.get("thresholds")).get("per_class"))
    names = classes + sorted(set(f1) - set(classes))
    return [
        ClassRow(
            name=name,
            label=labels.get(name, name),
            f1=_number(f1.get(name)),
            human_labels=per_class_counts.get(name)
            if isinstance(per_class_counts.get(name), int)
            else None,
            threshold=_number(per_class_t.get(name)),
        )
        for name in names
    ]


def _confusion(
    classes: list[str], labels: Mapping[str, str], metrics: Mapping[str, Any]
) -> list[tuple[str, list[charts.Cell]]]:
    cells = charts.confusion_cells(metrics.get("confusion"))
    if len(cells) != len(classes) or any(len(row) != len(classes) for row in cells):
        return []  # a matrix that does not match its class list would mislabel every cell
    return [(labels.get(name, name), row) for name, row in zip(classes, cells, strict=True)]


@roles.role_required(roles.ADMIN)
@require_GET
def model_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=version_id)
    metrics, counts = _mapping(version.metrics), _mapping(version.counts)
    classes = _classes(metrics, counts)
    labels = _type_labels(classes + list(_mapping(metrics.get("per_class_f1"))))
    thresholds = _mapping(metrics.get("thresholds"))
    chart = charts.reliability_svg(
        metrics.get("reliability"),
        ece=_number(metrics.get("ece")),
        ece_before=_number(metrics.get("ece_before")),
        element_id=f"reliability-v{version.pk}",
    )
    context = {
        "version": version,
        "row": _row(version),
        "numbers": {key: _number(metrics.get(key)) for key in HEADLINE_METRICS},
        "counts": {key: _number(counts.get(key)) for key in HEADLINE_COUNTS},
        "class_rows": _class_rows(classes, labels, metrics, counts),
        "confusion_labels": [labels.get(name, name) for name in classes],
        "confusion": _confusion(classes, labels, metrics),
        "global_threshold": _number(thresholds.get("global")),
        "target_precision": _number(thresholds.get("target_precision")),
        "never": NEVER,
        # Every value inside the chart was escaped by charts.reliability_svg.
        "reliability_chart": mark_safe(chart),  # noqa: S308
        "training_args": json.dumps(version.training_args, indent=2, sort_keys=True, default=str),
        "events": version.events.select_related("user")[:EVENTS_SHOWN],
    }
    return render(request, "classification/model_detail.html", context)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """To the page the form was on (``next``), when it is one of ours; else to the list."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse("models"))


@roles.role_required(roles.ADMIN)
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    messages.info(request, learning.request_training("admin", request.user))
    return _back(request)


@roles.role_required(roles.ADMIN)
@require_POST
def promote(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=version_id)
    try:
        learning.promote(version, request.user)
    except ValueError as exc:
        messages.error(request, f"Model v{version.pk} was not promoted: {exc}")
    else:
        messages.success(request, f"Model v{version.pk} is now active.")
    return _back(request)


@roles.role_required(roles.ADMIN)
@require_POST
def rollback(request: HttpRequest) -> HttpResponse:
    try:
        restored = learning.rollback(request.user)
    except ValueError as exc:
        messages.error(request, f"Nothing was rolled back: {exc}")
    else:
        messages.success(request, f"Rolled back: model v{restored.pk} is active again.")
    return _back(request)


def top_predictions_for(documents: Iterable[Document]) -> dict[int, list[tuple[str, float]]]:
    """Document id -> its latest prediction's top types (label, probability), best first.

    One query for the latest prediction of every document given (a correlated subquery, so
    older predictions are never fetched) and one for the type labels, however many documents.
    """
    ids = [d.pk for d in documents]
    if not ids:
        return {}
    latest = (
        Prediction.objects.filter(document_id=OuterRef("document_id"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    predictions = list(
        Prediction.objects.filter(document_id__in=ids, pk=Subquery(latest)).only(
            "document_id", "probabilities"
        )
    )
    names = {name for p in predictions for name in _mapping(p.probabilities)}
    labels = _type_labels(names) if names else {}
    return {p.document_id: _top(p.probabilities, labels) for p in predictions}


def _top(probabilities: Any, labels: Mapping[str, str]) -> list[tuple[str, float]]:
    scored = [
        (labels.get(name, name), float(p))
        for name, p in _mapping(probabilities).items()
        if _number(p) is not None
    ]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:TOP_K]
