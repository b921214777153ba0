"""The Model dashboard: how the classifier's versions compare over time, how quality grew with
human labels, and how the active model errs and how well its confidence is calibrated.

Everything comes from the ``metrics`` and ``counts`` JSON a training run stored on its
``ModelVersion`` (read defensively, with the same helpers the model pages use), so the page
costs two small queries however many documents there are. Promote, roll back and train are
the model pages' own views; the partial template posts to them with ``next`` back here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from classification import charts as model_charts
from classification.models import ModelVersion
from classification.views.models import (
    VersionRow,
    _classes,
    _confusion,
    _mapping,
    _number,
    _row,
    _type_labels,
)
from docsite.dashboards.charts import Chart, Series
from docsite.dashboards.filters import Filters
from docsite.dashboards.pages import Page, Table

# Versions are few (one per training), but a range may hold many retrains: chart the latest.
MAX_VERSIONS = 300


@dataclass(frozen=True)
class TypeScore:
    """Precision and recall of one type on the validation items (None: nothing to divide)."""

    name: str
    label: str
    precision: float | None
    recall: float | None


def version_label(version: ModelVersion, active_id: int | None) -> str:
    """``v12 · 2026-03-01``, with ``(active)`` on the version that serves predictions now."""
    text = f"v{version.pk} · {timezone.localdate(version.created_at).isoformat()}"
    return text + " (active)" if version.pk == active_id else text


def type_scores(
    classes: Sequence[str],
    labels: Mapping[str, str],
    confusion: Sequence[tuple[str, Sequence[model_charts.Cell]]],
) -> list[TypeScore]:
    """Per-type precision (diagonal over its predicted column) and recall (diagonal over its
    true row) from the confusion matrix: the metrics store F1 per type, not these two."""
    if not confusion:
        return []
    rows = [[cell.count for cell in cells] for _, cells in confusion]
    scores = []
    for i, name in enumerate(classes):
        hit = rows[i][i]
        predicted = sum(row[i] for row in rows)
        actual = sum(rows[i])
        scores.append(
            TypeScore(
                name=name,
                label=labels.get(name, name),
                precision=round(hit / predicted, 4) if predicted else None,
                recall=round(hit / actual, 4) if actual else None,
            )
        )
    return scores


def _class_f1(version: ModelVersion, name: str) -> float | None:
    return _number(_mapping(_mapping(version.metrics).get("per_class_f1")).get(name))


def _versions_in_range(filters: Filters) -> tuple[list[ModelVersion], bool]:
    """Versions created in the range, oldest first (the latest MAX_VERSIONS; True if cut)."""
    newest = list(
        filters.in_range(ModelVersion.objects.all(), "created_at").order_by("-created_at", "-pk")[
            : MAX_VERSIONS + 1
        ]
    )
    return newest[:MAX_VERSIONS][::-1], len(newest) > MAX_VERSIONS


@dataclass(frozen=True)
class Current:
    active: VersionRow | None
    rows: list[VersionRow]  # newest first, as the model list shows them
    truncated: bool


def _versions_chart(rows: list[VersionRow], active_id: int | None, filters: Filters) -> Chart:
    series = [
        Series("Macro-F1", [r.macro_f1 for r in rows]),
        Series("ECE", [r.ece for r in rows], axis="y2"),
    ]
    if filters.type_name:
        f1 = [_class_f1(r.version, filters.type_name) for r in rows]
        series.append(Series(f"F1 · {filters.type_label}", f1, dashed=True))
    return Chart(
        id="versions",
        title="Versions: macro-F1 and ECE",
        kind="line",
        labels=[version_label(r.version, active_id) for r in rows],
        series=series,
        description=(
            "Validation macro-F1 (left axis) and expected calibration error (right axis) of "
            "every version trained in the range, whatever its state; (active) marks the one "
            "in use."
        ),
        x_label="version",
        y_label="Macro-F1",
        y2_label="ECE",
        y_min=0,
        y_max=1,
        empty_text="No model was trained in this range.",
    )


def _learning_curve(rows: list[VersionRow]) -> Chart:
    points = sorted(
        (float(r.human_labels), r.macro_f1)
        for r in rows
        if r.version.state != ModelVersion.State.REJECTED
        and r.human_labels is not None
        and r.macro_f1 is not None
    )
    return Chart(
        id="learning-curve",
        title="Learning curve",
        kind="scatter",
        series=[Series("Versions", points=points)],
        description=(
            "Validation macro-F1 of each version trained in the range against the human labels "
            "it learned from (training plus validation); rejected versions are left out."
        ),
        x_label="human labels",
        y_label="macro-F1",
        y_min=0,
        y_max=1,
        empty_text="No accepted version with metrics in this range.",
    )


def _reliability(metrics: Mapping[str, Any]) -> Chart:
    reliability = metrics.get("reliability")
    bins = model_charts.filled_bins(reliability if isinstance(reliability, list) else None)
    return Chart(
        id="reliability",
        title="Reliability of the active model",
        kind="bar",
        labels=[f"{b.low:.2f}-{b.high:.2f}" for b in bins],
        series=[
            Series("Accuracy", [b.accuracy for b in bins]),
            Series("Mean confidence", [b.confidence for b in bins], kind="line"),
            Series(
                "Perfect calibration",
                [round((b.low + b.high) / 2, 4) for b in bins],
                kind="line",
                dashed=True,
                colour="#475569",
            ),
        ],
        description=(
            "Accuracy of the validation items in each calibrated-confidence bin that holds any, "
            "beside the bin's mean confidence; on the dashed line confidence means what it says."
        ),
        x_label="confidence bin",
        y_label="accuracy",
        percent=True,
        empty_text="No active model, or it has no validation items to plot.",
    )


def _per_type(scores: list[TypeScore], filters: Filters) -> Chart:
    empty_text = "No active model, or it has no confusion matrix."
    if filters.type_name:
        scores = [s for s in scores if s.name == filters.type_name]
        if not scores:
            empty_text = f"The active model does not predict {filters.type_label}."
    return Chart(
        id="per-type",
        title="Precision and recall per type",
        kind="bar",
        labels=[s.label for s in scores],
        series=[
            Series("Precision", [s.precision for s in scores]),
            Series("Recall", [s.recall for s in scores]),
        ],
        description=(
            "Of the validation items the active model called this type, the share that were "
            "(precision); of the items of this type, the share it found (recall)."
        ),
        x_label="type",
        percent=True,
        empty_text=empty_text,
    )


def _tiles(active: VersionRow | None, in_range: int) -> list[tuple[str, str, str]]:
    if active is None:
        return [
            ("Active model", "none", "every new document goes to review"),
            ("Versions in range", str(in_range), ""),
        ]
    version = active.version
    promoted = (
        f"promoted {timezone.localtime(version.promoted_at):%Y-%m-%d %H:%M}"
        if version.promoted_at
        else ""
    )
    rate = _number(_mapping(version.metrics).get("auto_accept_rate"))
    return [
        ("Active model", f"v{version.pk}", promoted),
        ("Macro-F1", "—" if active.macro_f1 is None else f"{active.macro_f1:.3f}", "validation"),
        (
            "ECE",
            "—" if active.ece is None else f"{active.ece:.3f}",
            "" if active.ece_before is None else f"{active.ece_before:.3f} before calibration",
        ),
        ("Auto-accepted", "—" if rate is None else f"{rate:.1%}", "of validation items"),
        ("Versions in range", str(in_range), ""),
    ]


def build(filters: Filters) -> Page:
    versions, truncated = _versions_in_range(filters)
    active_version = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    active = _row(active_version) if active_version else None
    rows = [_row(v) for v in versions]

    metrics = _mapping(active_version.metrics) if active_version else {}
    counts = _mapping(active_version.counts) if active_version else {}
    classes = _classes(metrics, counts) if active_version else []
    labels = _type_labels(classes)
    confusion = _confusion(classes, labels, metrics)
    confusion_labels = [labels.get(name, name) for name in classes] if confusion else []
    scores = type_scores(classes, labels, confusion)

    return Page(
        charts=[
            _versions_chart(rows, active_version.pk if active_version else None, filters),
            _learning_curve(rows),
            _reliability(metrics),
            _per_type(scores, filters),
        ],
        tables=[
            Table(
                id="confusion",
                title="Confusion matrix of the active model (counts)",
                columns=["True \\ Predicted", *confusion_labels],
                rows=[[label, *(c.count for c in cells)] for label, cells in confusion],
                description="The shaded matrix above as numbers: true type in rows, predicted "
                "type in columns.",
                empty_text="No active model, or it has no confusion matrix.",
            )
        ],
        tiles=_tiles(active, len(rows)),
        extra={
            # The buttons act on these: a promotion, rollback or training adds a model event,
            # which is part of the cached page's key, so they are never a state behind.
            "current": Current(active=active, rows=rows[::-1], truncated=truncated),
            "confusion": confusion,
            "confusion_labels": confusion_labels,
            "confusion_version": active_version.pk if active_version else None,
            "max_versions": MAX_VERSIONS,
        },
    )
