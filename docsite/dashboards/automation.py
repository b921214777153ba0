"""Automation: how much of the work the model does alone, and how well.

- How documents were routed, per local day of ``Document.processed_at``:

  - **auto-accepted**: the model's decision stands: the document has a label of provenance
    ``auto`` (routing writes it when it accepts, and deletes it when a document goes back to
    review; a person's later QA label keeps it, so a checked document stays counted here);
  - **sent to review**: no auto label, and the document waits for a person (status
    ``needs_review``) or has a ``review`` labeling task (open, done or cancelled), i.e. a
    person decided or is to decide its type;
  - a processed document that is neither (labeled by hand before it was routed) is not counted.

  With a type chosen: documents whose type in force is that type (auto-accepted as it, or
  labeled as it by a person), and documents still waiting whose review task suggests it.
- The real precision of auto-acceptance, from the QA sample (``qa`` tasks completed in the
  range; with a type, those whose auto-accepted type was that type), with a Wilson 95% interval.
- The thresholds of the active model per type, and the auto-accepted share it would reach at
  other target precisions (``metrics["coverage"]``, measured on its validation labels).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from classification.models import Document, DocumentType, Label, ModelVersion
from docsite.dashboards.charts import Chart, Series
from docsite.dashboards.filters import Filters, figures_per_day
from docsite.dashboards.pages import Alert, Page, Table
from labeling.agreement import QaPrecision, precision_of, qa_checks
from labeling.models import Task

NO_COVERAGE = "Retrain to see this: the active model was trained before this figure was recorded."
NO_MODEL = "No model is active."


def build(filters: Filters) -> Page:
    page = Page()
    version = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    metrics: dict[str, Any] = (
        version.metrics if version is not None and isinstance(version.metrics, dict) else {}
    )
    if version is None:
        page.alerts.append(
            Alert(
                "warning",
                "No model is active: every processed document goes to review. "
                "Train a model (Models page) once every type has enough labels.",
            )
        )
    auto, review = routing_per_day(filters)
    qa = qa_precision(filters)
    target = _target(metrics)
    page.tiles.extend(_tiles(auto, review, qa, target, version))
    page.charts.append(_routing_chart(filters, auto, review))
    page.charts.append(_share_chart(filters, auto, review))
    weeks = qa_precision_per_week(filters)
    page.charts.append(_qa_chart(filters, weeks, target))
    thresholds_chart, thresholds_table = _thresholds(filters, version, metrics)
    page.charts.append(thresholds_chart)
    page.charts.append(_coverage_chart(version, metrics))
    page.tables.append(_qa_table(weeks))
    page.tables.append(thresholds_table)
    page.extra["model_id"] = version.pk if version is not None else None
    page.extra["target"] = _percent(target) if target is not None else ""
    return page


# --- Routing per day --------------------------------------------------------------------------


def routing_per_day(filters: Filters) -> tuple[list[int], list[int]]:
    """Documents processed each day of the range that were auto-accepted, and sent to review
    (see the module docstring), in one GROUP BY over the day."""
    auto = Exists(Label.objects.filter(document=OuterRef("pk"), provenance=Label.Provenance.AUTO))
    reviewed = Q(status=Document.Status.NEEDS_REVIEW) | Q(
        Exists(Task.objects.filter(document=OuterRef("pk"), kind=Task.Kind.REVIEW))
    )
    documents = Document.objects.all()
    if filters.type_id is not None:
        suggested = Task.objects.filter(
            document=OuterRef("pk"),
            kind=Task.Kind.REVIEW,
            state=Task.State.OPEN,
            suggested_type_id=filters.type_id,
        )
        documents = documents.filter(
            Q(document_type_id=filters.type_id)
            | Q(Q(document_type__isnull=True), Exists(suggested))
        )
    counted = figures_per_day(
        documents,
        "processed_at",
        filters,
        {
            "auto": Count("pk", filter=Q(auto)),
            "review": Count("pk", filter=Q(~auto, reviewed)),
        },
    )
    return [int(n) for n in counted["auto"]], [int(n) for n in counted["review"]]


def _routing_chart(filters: Filters, auto: list[int], review: list[int]) -> Chart:
    return Chart(
        id="auto-vs-review",
        title="Auto-accepted and sent to review",
        kind="stacked-bar",
        labels=filters.day_labels,
        series=[
            Series("Auto-accepted", list(auto), colour="#16a34a"),
            Series("Sent to review", list(review), colour="#d97706"),
        ],
        description=(
            "Documents processed each day: accepted by the model without a person (it holds an "
            "auto label) and sent to a person (waiting for review or with a review task)."
            + _type_note(filters)
        ),
        x_label="Day processed",
        y_label="Documents",
    )


def _share_chart(filters: Filters, auto: list[int], review: list[int]) -> Chart:
    shares: list[int | float | None] = [
        round(a / (a + r), 4) if a + r else None for a, r in zip(auto, review, strict=True)
    ]
    return Chart(
        id="auto-share",
        title="Auto-accepted share",
        kind="line",
        labels=filters.day_labels,
        series=[Series("Auto-accepted share", shares)],
        description=(
            "Of the documents routed each day, the share the model accepted alone; no point on "
            "a day with none." + _type_note(filters)
        ),
        x_label="Day processed",
        y_label="Share auto-accepted",
        percent=True,
    )


def _type_note(filters: Filters) -> str:
    if filters.type_id is None:
        return ""
    return (
        f" {filters.type_label}: documents now of this type, and those still waiting whose "
        "review task suggests it."
    )


# --- QA precision -----------------------------------------------------------------------------


def _qa_tasks(filters: Filters) -> QuerySet[Task]:
    return filters.of_type(filters.in_range(qa_checks(), "completed_at"), "reference_type")


def qa_precision(filters: Filters) -> QaPrecision:
    """Of the auto-accepted documents people checked in the range (QA tasks completed then),
    the share whose type they confirmed, with its Wilson 95% interval."""
    totals = _qa_tasks(filters).aggregate(
        checked=Count("pk"), correct=Count("pk", filter=Q(agreed=True))
    )
    return precision_of(totals["correct"], totals["checked"])


def _weeks(filters: Filters) -> list[date]:
    first = filters.start - timedelta(days=filters.start.weekday())
    return [first + timedelta(weeks=i) for i in range((filters.end - first).days // 7 + 1)]


def qa_precision_per_week(filters: Filters) -> list[tuple[date, QaPrecision]]:
    """QA precision per week (Monday first) of the range, in one GROUP BY."""
    counted = (
        _qa_tasks(filters)
        .annotate(week=TruncWeek("completed_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("week")
        .annotate(checked=Count("pk"), correct=Count("pk", filter=Q(agreed=True)))
        .values_list("week", "checked", "correct")
    )
    found = {_local_date(week): (checked, correct) for week, checked, correct in counted}
    return [
        (week, precision_of(found.get(week, (0, 0))[1], found.get(week, (0, 0))[0]))
        for week in _weeks(filters)
    ]


def _local_date(value: Any) -> date:
    """TruncWeek gives an aware datetime (a date on some backends): its local calendar day."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    assert isinstance(value, date)
    return value


def _qa_chart(
    filters: Filters, weeks: list[tuple[date, QaPrecision]], target: float | None
) -> Chart:
    series = [
        Series("QA precision", [qa.precision for _, qa in weeks], colour="#2563eb"),
        Series("95% interval, low", [qa.low for _, qa in weeks], dashed=True, colour="#64748b"),
        Series("95% interval, high", [qa.high for _, qa in weeks], dashed=True, colour="#94a3b8"),
    ]
    if target is not None and any(qa.checked for _, qa in weeks):
        series.append(
            Series("Target precision", [target] * len(weeks), dashed=True, colour="#dc2626")
        )
    type_note = (
        f" Only checks of documents auto-accepted as {filters.type_label}."
        if filters.type_id is not None
        else ""
    )
    return Chart(
        id="qa-precision",
        title="Measured precision of auto-acceptance (QA sample)",
        kind="line",
        labels=[week.isoformat() for week, _ in weeks],
        series=series,
        description=(
            "Per week, the share of sampled auto-accepted documents whose type a person "
            "confirmed, with its Wilson 95% interval (dashed); the checks per week are in the "
            "table below." + type_note
        ),
        x_label="Week starting",
        y_label="Precision",
        percent=True,
        empty_text="No quality check was completed in this range.",
    )


def _qa_table(weeks: list[tuple[date, QaPrecision]]) -> Table:
    return Table(
        id="qa-weeks",
        title="Quality checks per week",
        columns=["Week starting", "Checked", "Confirmed", "Precision", "95% low", "95% high"],
        rows=[
            [
                week.isoformat(),
                qa.checked,
                qa.correct,
                None if qa.precision is None else round(qa.precision, 4),
                qa.low,
                qa.high,
            ]
            for week, qa in weeks
            if qa.checked
        ],
        description="Completed quality checks of auto-accepted documents, per week.",
        empty_text="No quality check was completed in this range.",
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _tiles(
    auto: list[int],
    review: list[int],
    qa: QaPrecision,
    target: float | None,
    version: ModelVersion | None,
) -> list[tuple[str, str, str]]:
    accepted, reviewed = sum(auto), sum(review)
    routed = accepted + reviewed
    tiles = [
        (
            "Auto-accepted",
            _percent(accepted / routed if routed else None),
            f"{accepted} of {routed} routed documents in the range",
        ),
        (
            "QA precision",
            _percent(qa.precision),
            (
                f"{qa.correct} of {qa.checked} checks confirmed; 95% interval "
                f"{_percent(qa.low)} to {_percent(qa.high)}"
                if qa.checked
                else "no quality check completed in the range"
            ),
        ),
    ]
    if version is not None:
        tiles.append(
            (
                "Target precision",
                _percent(target),
                f"what the thresholds of model v{version.pk} were chosen for",
            )
        )
    return tiles


# --- Thresholds and coverage ------------------------------------------------------------------


def _target(metrics: dict[str, Any]) -> float | None:
    thresholds = metrics.get("thresholds")
    value = thresholds.get("target_precision") if isinstance(thresholds, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _thresholds(
    filters: Filters, version: ModelVersion | None, metrics: dict[str, Any]
) -> tuple[Chart, Table]:
    """The threshold in force per type; a threshold above 1 (never reached) is drawn as 1."""
    thresholds = metrics.get("thresholds") if isinstance(metrics.get("thresholds"), dict) else {}
    assert isinstance(thresholds, dict)
    per_class = thresholds.get("per_class") if isinstance(thresholds.get("per_class"), dict) else {}
    assert isinstance(per_class, dict)
    values = {str(name): float(t) for name, t in per_class.items() if isinstance(t, int | float)}
    if filters.type_id is not None:
        values = {n: t for n, t in values.items() if n == filters.type_name}
    labels: dict[str, str] = {
        name: label or name
        for name, label in DocumentType.objects.filter(name__in=list(values)).values_list(
            "name", "label"
        )
    }
    names = sorted(values, key=lambda n: (str(labels.get(n, n)).lower(), n))
    target = _target(metrics)
    global_t = thresholds.get("global")
    never = [labels.get(n, n) for n in names if values[n] > 1]
    description = (
        f"The calibrated confidence a document of each type needs to be accepted without a "
        f"person, chosen for a target precision of {_percent(target)}"
        + (
            f" (pooled threshold {float(global_t):.3f})"
            if isinstance(global_t, int | float) and global_t <= 1
            else ""
        )
        + ". "
        + (
            f"Drawn at 100%, never auto-accepted (too few held-out labels at the target): "
            f"{', '.join(never)}."
            if never
            else ""
        )
    ).strip()
    chart = Chart(
        id="thresholds",
        title="Threshold in force per type",
        kind="hbar",
        labels=[labels.get(n, n) for n in names],
        series=[Series("Threshold", [round(min(values[n], 1.0), 4) for n in names])],
        description=description if version is not None else "",
        x_label="Type",
        y_label="Confidence needed",
        percent=True,
        empty_text=NO_MODEL if version is None else "The active model records no thresholds.",
    )
    table = Table(
        id="threshold-table",
        title="Thresholds in force",
        columns=["Type", "Threshold", "Auto-accepted"],
        rows=[
            [
                labels.get(n, n),
                round(min(values[n], 1.0), 4),
                "never: too few held-out labels at the target"
                if values[n] > 1
                else f"at confidence ≥ {values[n]:.4g}",
            ]
            for n in names
        ],
        description=(
            f"Model v{version.pk}, target precision {_percent(target)}."
            if version is not None
            else ""
        ),
        empty_text=NO_MODEL if version is None else "The active model records no thresholds.",
    )
    return chart, table


def _coverage_chart(version: ModelVersion | None, metrics: dict[str, Any]) -> Chart:
    """The share the active model would accept (on its validation labels) at other targets."""
    coverage = metrics.get("coverage")
    rows = (
        [r for r in coverage if isinstance(r, dict) and isinstance(r.get("target"), int | float)]
        if isinstance(coverage, list)
        else []
    )
    target = _target(metrics)
    labels = [
        f"{float(r['target']) * 100:g}%"
        + (" (in force)" if target is not None and abs(float(r["target"]) - target) < 1e-9 else "")
        for r in rows
    ]
    description = (
        "At each target precision, the share of the active model's validation documents it "
        "would accept (all types), and the precision measured among them"
        + (f"; in force: {_percent(target)}." if target is not None else ".")
    )
    if version is None:
        empty_text = NO_MODEL
    elif not rows:
        empty_text = NO_COVERAGE
    else:
        empty_text = "At none of these targets would the model accept a validation document."
    return Chart(
        id="coverage",
        title="Auto-accepted share at other target precisions",
        kind="line",
        labels=labels,
        series=[
            Series("Auto-accepted share", [_float(r.get("share")) for r in rows]),
            Series(
                "Measured precision",
                [_float(r.get("precision")) for r in rows],
                dashed=True,
            ),
        ],
        description=description if rows else "",
        x_label="Target precision",
        y_label="Share of validation documents",
        percent=True,
        empty_text=empty_text,
    )


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None
