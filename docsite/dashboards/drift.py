"""Drift: do the documents coming in now look like the ones the active model was trained on?

The recent window is the last ``DOCSITE_DRIFT_DAYS`` days ending at the filter's end date, or
the whole filter range when that is shorter. "Recent predictions" are the active model's
predictions of documents processed in that window. Documents are chosen by ``processed_at``,
not the prediction's ``created_at``: promoting a model re-scores the whole backlog, which would
otherwise make every old document look recent.

Compared with the training data: a type's share of the recent predictions against its share of
the model's human training labels (``counts["human_per_class"]``), and the recent mean
confidence against the mean calibrated confidence on validation (from the reliability bins).
An alert is raised when either moves beyond its setting (``DOCSITE_DRIFT_SHARE_ALERT``,
``DOCSITE_DRIFT_CONFIDENCE_ALERT``), and only with at least ``MIN_PREDICTIONS`` recent
predictions: a handful of documents moves any share.

Shares and mean confidence are always over every type (a share needs the whole; the
validation mean has no per-type breakdown). The type filter narrows the share charts and share
alerts to that type, and the "unlike anything labeled" list to documents predicted as it.

"Unlike anything labeled": of the newest ``NOVEL_CANDIDATES`` documents processed in the
window without a human label, those whose nearest human-labeled document (of the newest
``NOVEL_REFERENCES``) has a cosine similarity below ``DOCSITE_NOVELTY_SIMILARITY``, with the
hashed-text vectors the labeling queue uses (``labeling.priority``), from the feature cache
only. The list is cached for ``NOVEL_CACHE_SECONDS``, keyed by the window and the newest label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, Exists, Max, OuterRef, QuerySet, Subquery, Sum
from django.urls import reverse

from classification import learning, stats
from classification.ml import drift, features
from classification.models import Document, DocumentType, Label, ModelVersion, Prediction
from docsite.dashboards.charts import Chart, Series
from docsite.dashboards.filters import Filters
from docsite.dashboards.pages import Alert, Page, Table
from labeling import priority

# Recent predictions needed before an alert is raised.
MIN_PREDICTIONS = 20
NOVEL_CANDIDATES = 500
NOVEL_REFERENCES = 5_000
NOVEL_SHOWN = 50
NOVEL_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # included

    @property
    def start_at(self) -> datetime:
        return Filters(self.start, self.end).start_at

    @property
    def end_before(self) -> datetime:
        return Filters(self.start, self.end).end_before

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def window(filters: Filters) -> Window:
    """The recent window: ``DOCSITE_DRIFT_DAYS`` days ending at the filter's end, no earlier
    than the filter's start."""
    days = int(settings.DOCSITE_DRIFT_DAYS)
    return Window(max(filters.start, filters.end - timedelta(days=days - 1)), filters.end)


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _recent_predictions(
    version: ModelVersion, start_at: datetime, end_before: datetime
) -> QuerySet[Prediction]:
    return Prediction.objects.filter(
        model_version=version,
        document__processed_at__gte=start_at,
        document__processed_at__lt=end_before,
    )


def build(filters: Filters) -> Page:
    recent = window(filters)
    share_limit = float(settings.DOCSITE_DRIFT_SHARE_ALERT)
    confidence_limit = float(settings.DOCSITE_DRIFT_CONFIDENCE_ALERT)
    threshold = float(settings.DOCSITE_NOVELTY_SIMILARITY)
    page = Page(
        extra={
            "window_start": recent.start,
            "window_end": recent.end,
            "window_days": recent.days,
            "drift_days": int(settings.DOCSITE_DRIFT_DAYS),
            "share_limit": _percent(share_limit),
            "confidence_limit": _percent(confidence_limit),
            "min_predictions": MIN_PREDICTIONS,
            "novelty_similarity": threshold,
            "novel_cache_minutes": NOVEL_CACHE_SECONDS // 60,
            "model_id": None,
            "notes": [],
        }
    )
    version = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    if version is None:
        page.extra["notes"].append(
            "No model is active, so there is nothing to compare recent predictions with: "
            "train and promote a model on the Models page. No drift alerts are raised."
        )
    else:
        page.extra["model_id"] = version.pk
        _model_figures(page, filters, recent, version, share_limit, confidence_limit)
    page.tables.append(_novel_table(filters, recent, threshold))
    return page


def _model_figures(
    page: Page,
    filters: Filters,
    recent: Window,
    version: ModelVersion,
    share_limit: float,
    confidence_limit: float,
) -> None:
    notes: list[str] = page.extra["notes"]
    predictions = _recent_predictions(version, recent.start_at, recent.end_before)
    per_type = {
        row["document_type__name"]: row["n"]
        for row in predictions.order_by()
        .values("document_type__name")
        .annotate(n=Count("document", distinct=True))
    }
    overall = predictions.aggregate(mean=Avg("confidence"))
    total = sum(per_type.values())
    recent_mean: float | None = overall["mean"]
    counts = version.counts if isinstance(version.counts, dict) else {}
    metrics = version.metrics if isinstance(version.metrics, dict) else {}
    human = counts.get("human_per_class")
    training_counts = {
        str(k): float(v)
        for k, v in (human.items() if isinstance(human, dict) else ())
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    training_shares = drift.shares(training_counts)
    reliability = metrics.get("reliability")
    training_mean = drift.mean_confidence(reliability if isinstance(reliability, list) else None)
    shifts = drift.share_shifts(drift.shares(per_type), training_shares)
    labels = dict(DocumentType.objects.values_list("name", "label"))
    if filters.type_id is not None:
        shifts = [s for s in shifts if s.name == filters.type_name]

    page.tiles += [
        (
            "Recent predictions",
            str(total),
            f"model v{version.pk}, documents processed {recent.start} to {recent.end}",
        ),
        (
            "Recent mean confidence",
            "—" if recent_mean is None else _percent(recent_mean),
            "training (validation) mean "
            + ("unknown" if training_mean is None else _percent(training_mean)),
        ),
    ]
    names = [labels.get(s.name, s.name) for s in shifts]
    page.charts.append(
        Chart(
            id="type-shares",
            title="Predicted types: recent vs training",
            kind="bar",
            labels=names,
            series=[
                Series(f"Last {recent.days} days", [round(s.recent, 6) for s in shifts]),
                Series("Training labels", [round(s.training, 6) for s in shifts]),
            ],
            description=(
                "Each type's share of the active model's recent predictions beside its share "
                "of the human labels the model was trained on."
            ),
            x_label="type",
            y_label="share",
            percent=True,
        )
    )
    page.charts.append(_confidence_chart(filters, version, training_mean))
    page.charts.append(
        Chart(
            id="share-shift",
            title="Share shift per type",
            kind="hbar",
            labels=names,
            series=[Series("Recent minus training share", [s.shift for s in shifts])],
            description=(
                f"Recent share minus training share; beyond ±{_percent(share_limit)} "
                "raises an alert."
            ),
            x_label="type",
            y_label="shift",
            percent=True,
        )
    )

    if not training_shares:
        notes.append(f"Model v{version.pk} records no training labels per type: no share alerts.")
    if training_mean is None:
        notes.append(f"Model v{version.pk} records no validation confidence: no confidence alert.")
    if total < MIN_PREDICTIONS:
        notes.append(
            f"Only {total} recent predictions: alerts need at least {MIN_PREDICTIONS}, "
            "so that a few documents do not raise one."
        )
        return
    if training_shares:
        for shift in drift.share_alerts(shifts, share_limit):
            page.alerts.append(
                Alert(
                    "warning",
                    f"{labels.get(shift.name, shift.name)}: {_percent(shift.recent)} of the last "
                    f"{recent.days} days' predictions against {_percent(shift.training)} of the "
                    f"training labels ({shift.shift * 100:+.1f} points, beyond "
                    f"±{_percent(share_limit)}).",
                )
            )
    if drift.confidence_moved(recent_mean, training_mean, confidence_limit):
        assert recent_mean is not None and training_mean is not None
        page.alerts.append(
            Alert(
                "warning",
                f"Mean confidence of the last {recent.days} days is {_percent(recent_mean)} "
                f"against {_percent(training_mean)} on validation "
                f"({(recent_mean - training_mean) * 100:+.1f} points, beyond "
                f"±{_percent(confidence_limit)}).",
            )
        )


def _confidence_chart(
    filters: Filters, version: ModelVersion, training_mean: float | None
) -> Chart:
    """Mean confidence of the active model's predictions per day the documents were processed,
    across the whole filter range (one GROUP BY)."""
    found = stats.per_local_bucket(
        Prediction.objects.filter(model_version=version),
        "document__processed_at",
        filters.start_at,
        filters.end_before,
        {"total": Sum("confidence"), "n": Count("pk")},
    )
    values: list[int | float | None] = [
        round(float(found[(day,)]["total"]) / found[(day,)]["n"], 6)
        if found.get((day,), {}).get("n")
        else None
        for day in filters.days
    ]
    series = [Series("Mean confidence", values)]
    if training_mean is not None:
        series.append(
            Series(
                "Training (validation) mean",
                [round(training_mean, 6)] * len(filters.days),
                dashed=True,
            )
        )
    return Chart(
        id="confidence",
        title="Mean confidence per day",
        kind="line",
        labels=filters.day_labels,
        series=series,
        description=(
            f"Mean confidence of model v{version.pk}'s predictions per day of processing; the "
            "dashed line is its mean calibrated confidence on validation."
        ),
        x_label="day",
        y_label="mean confidence",
        percent=True,
        y_min=0.0,
        y_max=1.0,
    )


# --- Unlike anything labeled ------------------------------------------------------------------


def _latest_prediction() -> QuerySet[Prediction]:
    return Prediction.objects.filter(document=OuterRef("pk")).order_by("-created_at", "-pk")


def _novel_table(filters: Filters, recent: Window, threshold: float) -> Table:
    newest_label = Label.objects.human().aggregate(newest=Max("pk"))["newest"]
    key = ":".join(
        str(part)
        for part in (
            "dashboards:drift:novel",
            recent.start,
            recent.end,
            filters.type_id,
            newest_label,
            threshold,
            features.FEATURE_VERSION,
        )
    )
    table: Table | None = cache.get(key)
    if table is None:
        table = _compute_novel(filters, recent, threshold)
        cache.set(key, table, NOVEL_CACHE_SECONDS)
    return table


def _compute_novel(filters: Filters, recent: Window, threshold: float) -> Table:
    latest = _latest_prediction()
    candidates_qs = (
        learning.unlabeled_documents()
        .filter(processed_at__gte=recent.start_at, processed_at__lt=recent.end_before)
        .annotate(
            predicted_type=Subquery(latest.values("document_type__label")[:1]),
            predicted_type_id=Subquery(latest.values("document_type_id")[:1]),
            predicted_confidence=Subquery(latest.values("confidence")[:1]),
        )
    )
    if filters.type_id is not None:
        candidates_qs = candidates_qs.filter(predicted_type_id=filters.type_id)
    candidates: list[Document] = list(
        candidates_qs.only("pk", "sha256", "status").order_by("-processed_at", "-pk")[
            :NOVEL_CANDIDATES
        ]
    )
    references = list(
        Document.objects.filter(Exists(Label.objects.human().filter(document=OuterRef("pk"))))
        .only("pk", "sha256")
        .order_by("-pk")[:NOVEL_REFERENCES]
    )
    table = Table(
        id="novel",
        title="Unlike anything labeled",
        columns=["document", "predicted type", "confidence", "nearest similarity", "status"],
        rows=[],
        empty_text="No recent document is far from every labeled one.",
    )
    reference_vectors = [v for v in priority._vectors(references, hot=True) if v is not None]
    candidate_vectors = priority._vectors(candidates, hot=True)
    usable = [(d, v) for d, v in zip(candidates, candidate_vectors, strict=True) if v is not None]
    skipped = len(candidates) - len(usable)
    typed = "" if filters.type_id is None else f" predicted as {filters.type_label}"
    scope = (
        f"Of the {len(candidates)} newest documents processed {recent.start} to {recent.end} "
        f"without a person's label{typed}"
    )
    if not reference_vectors:
        table.description = (
            f"{scope}: none can be compared, because no labeled document has cached features yet."
        )
        table.empty_text = "Nothing to compare with yet."
        return table
    similarities = drift.nearest_similarity(
        np.stack([v for _, v in usable]) if usable else np.zeros((0, 1)),
        np.stack(reference_vectors),
    )
    below = drift.least_similar(similarities.tolist(), threshold, len(usable))
    for i in below[:NOVEL_SHOWN]:
        document = usable[i][0]
        confidence = getattr(document, "predicted_confidence", None)
        table.rows.append(
            [
                f"#{document.pk}",
                getattr(document, "predicted_type", None),
                None if confidence is None else round(float(confidence), 4),
                round(float(similarities[i]), 4),
                document.get_status_display(),
            ]
        )
        table.links.append(reverse("document", args=[document.pk]))
    shown = "" if len(below) <= NOVEL_SHOWN else f", the {NOVEL_SHOWN} least similar shown"
    table.description = (
        f"{scope}, {len(below)} have a cosine similarity below {threshold:g} to every one of "
        f"the {len(reference_vectors)} newest labeled documents with cached features{shown}. "
        f"{skipped} skipped: no cached features. Least similar first."
    )
    return table
