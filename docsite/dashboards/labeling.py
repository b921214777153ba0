"""The Labeling dashboard: who labels how much and how fast, how often people keep the model's
suggestion, how well labelers agree, why they skip, and what a hundred labels bought the model.

Every figure is counted by the database (GROUP BY one labeler or one day); the rows loaded into
Python are bounded by labelers x days, the second opinions in the range, the latest skips and
the last trainings, never by the labels themselves.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from classification import stats
from classification.models import Label, ModelVersion
from docsite.dashboards.charts import Chart, Series
from docsite.dashboards.filters import Filters
from docsite.dashboards.pages import Page, Table
from labeling.agreement import cohen_kappa
from labeling.models import Skip, Task

TOP_LABELERS = 8  # series in the stacked chart; the rest are summed as "others"
TABLE_LABELERS = 20  # rows of the labelers table and bars of the per-labeler charts
LATEST_SKIPS = 20
TRAININGS = 10  # gains between the last TRAININGS + 1 trainings
DELETED = "(deleted user)"
OTHERS = object()  # the labelers outside the top, in the stacked chart

UserId = int | None  # None: the label's user was deleted


class Median(Aggregate):
    """PostgreSQL's exact median of a column (``percentile_cont(0.5)``), per group."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str, **extra: Any) -> None:
        super().__init__(expression, output_field=FloatField(), **extra)


def build(filters: Filters) -> Page:
    labels = human_labels(filters)
    daily = daily_counts(labels, filters)
    per_labeler = labeler_counts(daily)
    skipped = skips_in_range(filters)
    skips_by_user: dict[UserId, int] = dict(
        skipped.order_by().values("user_id").annotate(n=Count("pk")).values_list("user_id", "n")
    )
    ranked = sorted(
        set(per_labeler) | set(skips_by_user),
        key=lambda uid: (
            -per_labeler.get(uid, LabelerCounts()).labels,
            -skips_by_user.get(uid, 0),
            uid or 0,
        ),
    )
    shown = ranked[:TABLE_LABELERS]
    medians = median_seconds_per_labeler(labels, [u for u in shown if u in per_labeler])
    kappas = agreement_in_range(filters)
    names = usernames([*shown, *kappas.per_labeler])

    page = Page()
    total = sum(c.labels for c in per_labeler.values())
    shown_total = sum(c.shown for c in per_labeler.values())
    kept_total = sum(c.kept for c in per_labeler.values())
    overall_median = median_seconds(labels)
    gains = gains_per_100(filters)
    page.tiles = [
        ("Human labels", f"{total:,}", "second opinions included"),
        (
            "Median seconds per document",
            "—" if overall_median is None else f"{overall_median:.1f} s",
            "from serving the document to the label",
        ),
        (
            "Suggestions accepted",
            _percent(kept_total / shown_total if shown_total else None),
            f"of {shown_total:,} labels with a suggestion shown",
        ),
        (
            "Agreement (kappa)",
            "—" if kappas.overall is None else f"{kappas.overall:.2f}",
            f"over {kappas.items:,} second opinions",
        ),
        ("Skips", f"{skipped.count():,}", ""),
        (
            "Accuracy gained per 100 labels",
            "—" if not gains else f"{gains[-1].accuracy_per_100 * 100:+.2f} points",
            "" if not gains else f"latest training, v{gains[-1].version}",
        ),
    ]
    page.charts = [
        labels_per_labeler_chart(daily, filters, per_labeler, names),
        seconds_chart(medians, names),
        accepted_chart(daily, filters),
        agreement_chart(kappas, names),
        skips_chart(skipped),
        gains_chart(gains),
    ]
    page.tables = [
        Table(
            id="labelers",
            title="Labelers",
            columns=[
                "labeler",
                "labels",
                "median seconds",
                "suggestions accepted",
                "kappa",
                "second opinions",
                "skips",
            ],
            rows=[
                [
                    names.get(uid, DELETED),
                    per_labeler.get(uid, LabelerCounts()).labels,
                    _round(medians.get(uid), 1),
                    _round(per_labeler.get(uid, LabelerCounts()).share, 4),
                    _round(kappas.per_labeler[uid].kappa if uid in kappas.per_labeler else None, 4),
                    kappas.per_labeler[uid].items if uid in kappas.per_labeler else 0,
                    skips_by_user.get(uid, 0),
                ]
                for uid in shown
            ],
            description=(
                f"The {TABLE_LABELERS} busiest labelers in the range. Suggestions accepted: share"
                " of their labels with a model suggestion shown where they kept it. Kappa: over"
                " every second opinion they took part in, their label against the other one's."
            ),
        ),
        latest_skips_table(skipped),
    ]
    return page


# --- Labels ----------------------------------------------------------------------------------


def human_labels(filters: Filters) -> QuerySet[Label]:
    """People's labels in the range (second opinions too: they are work done), of the type."""
    labels = Label.objects.filter(provenance=Label.Provenance.HUMAN)
    return filters.of_type(filters.in_range(labels, "created_at"), "document_type")


@dataclass(frozen=True)
class LabelerCounts:
    labels: int = 0
    shown: int = 0  # labels given with a model suggestion on screen
    kept: int = 0  # ... where the person kept it

    @property
    def share(self) -> float | None:
        return self.kept / self.shown if self.shown else None


def labeler_counts(daily: list[DayRow]) -> dict[UserId, LabelerCounts]:
    """The range's counts per labeler, summed from the daily ones (no second query)."""
    summed: dict[UserId, LabelerCounts] = {}
    for _, uid, counted in daily:
        had = summed.get(uid, LabelerCounts())
        summed[uid] = LabelerCounts(
            had.labels + counted.labels, had.shown + counted.shown, had.kept + counted.kept
        )
    return summed


def usernames(ids: Iterable[UserId]) -> dict[UserId, str]:
    wanted = {uid for uid in ids if uid is not None}
    found = get_user_model().objects.filter(pk__in=wanted).values_list("pk", "username")
    return {pk: name for pk, name in found}


DayRow = tuple[date, UserId, LabelerCounts]


def daily_counts(labels: QuerySet[Label], filters: Filters) -> list[DayRow]:
    """Labels, labels with a suggestion shown and suggestions kept per local day and labeler:
    one GROUP BY for both daily charts (at most days x labelers rows)."""
    found = stats.per_local_bucket(
        labels,
        "created_at",
        filters.start_at,
        filters.end_before,
        {
            "n": Count("pk"),
            "shown": Count("pk", filter=Q(suggestion_accepted__isnull=False)),
            "kept": Count("pk", filter=Q(suggestion_accepted=True)),
        },
        by=("labeled_by_id",),
    )
    return [
        (day, uid, LabelerCounts(int(f["n"]), int(f["shown"]), int(f["kept"])))
        for (day, uid), f in found.items()
    ]


def labels_per_labeler_chart(
    daily: list[DayRow],
    filters: Filters,
    per_labeler: dict[UserId, LabelerCounts],
    names: dict[UserId, str],
) -> Chart:
    top = sorted(per_labeler, key=lambda uid: (-per_labeler[uid].labels, uid or 0))[:TOP_LABELERS]
    # Keyed by (day, user id) or (day, OTHERS) for everyone outside the top.
    counts: dict[tuple[date, object], int] = defaultdict(int)
    for day, uid, counted in daily:
        counts[(day, uid if uid in top else OTHERS)] += counted.labels
    series = [
        Series(names.get(uid, DELETED), [counts[(day, uid)] for day in filters.days]) for uid in top
    ]
    if len(per_labeler) > len(top):
        series.append(Series("Others", [counts[(day, OTHERS)] for day in filters.days]))
    return Chart(
        id="labels-per-labeler",
        title="Labels per labeler per day",
        kind="stacked-bar",
        labels=filters.day_labels,
        series=series,
        description=(
            f"People's labels per day, second opinions included; the {TOP_LABELERS} busiest"
            " labelers of the range each, the rest as others."
        ),
        x_label="day",
        y_label="labels",
    )


def median_seconds(labels: QuerySet[Label]) -> float | None:
    """The median of ``seconds_spent`` over ``labels``, without loading them: PostgreSQL's
    percentile_cont, elsewhere a count and one ordered slice of one or two values."""
    timed = labels.filter(seconds_spent__isnull=False).order_by()
    if connections[timed.db].vendor == "postgresql":
        value = timed.aggregate(m=Median("seconds_spent"))["m"]
        return None if value is None else float(value)
    return _middle(timed, timed.count())


def _middle(timed: QuerySet[Label], n: int) -> float | None:
    """The middle value (odd ``n``) or the mean of the two middle ones (even ``n``)."""
    if n == 0:
        return None
    values = list(
        timed.order_by("seconds_spent").values_list("seconds_spent", flat=True)[
            (n - 1) // 2 : n // 2 + 1
        ]
    )
    return sum(v for v in values if v is not None) / len(values)


def median_seconds_per_labeler(
    labels: QuerySet[Label], user_ids: list[UserId]
) -> dict[UserId, float | None]:
    """Median ``seconds_spent`` per labeler in ``user_ids`` (at most ``TABLE_LABELERS``): one
    GROUP BY on PostgreSQL; elsewhere one count query and one slice query per labeler."""
    if not user_ids:
        return {}
    known = [uid for uid in user_ids if uid is not None]
    mine = Q(labeled_by_id__in=known) | (Q(labeled_by__isnull=True) if None in user_ids else Q())
    timed = labels.filter(mine, seconds_spent__isnull=False).order_by()
    if connections[timed.db].vendor == "postgresql":
        rows = timed.values("labeled_by_id").annotate(m=Median("seconds_spent"))
        return {uid: float(m) for uid, m in rows.values_list("labeled_by_id", "m")}
    counts = dict(
        timed.values("labeled_by_id").annotate(n=Count("pk")).values_list("labeled_by_id", "n")
    )
    return {
        uid: _middle(
            timed.filter(labeled_by__isnull=True)
            if uid is None
            else timed.filter(labeled_by_id=uid),
            n,
        )
        for uid, n in counts.items()
    }


def seconds_chart(medians: dict[UserId, float | None], names: dict[UserId, str]) -> Chart:
    ordered = sorted(medians, key=lambda uid: names.get(uid, DELETED))
    return Chart(
        id="seconds",
        title="Median seconds per document",
        kind="bar",
        labels=[names.get(uid, DELETED) for uid in ordered],
        series=[Series("Median seconds", [_round(medians[uid], 1) for uid in ordered])],
        description=(
            "Per labeler, the median time from the document being served to the label, in seconds."
        ),
        x_label="labeler",
        y_label="seconds",
    )


def accepted_chart(daily: list[DayRow], filters: Filters) -> Chart:
    found: dict[date, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for day, _, counted in daily:
        shown, kept = found[day]
        found[day] = (shown + counted.shown, kept + counted.kept)
    shares: list[int | float | None] = []
    shown_per_day: list[int | float | None] = []
    for day in filters.days:
        shown, kept = found.get(day, (0, 0))
        shares.append(round(kept / shown, 4) if shown else None)
        shown_per_day.append(shown)
    return Chart(
        id="suggestions-accepted",
        title="Model suggestions accepted",
        kind="line",
        labels=filters.day_labels,
        series=[
            Series("Accepted", shares),
            Series("Labels with a suggestion", shown_per_day, kind="bar", axis="y2"),
        ],
        description=(
            "Per day, the share of people's labels given with the model's top suggestion on"
            " screen where they kept that type."
        ),
        x_label="day",
        y_label="accepted",
        y2_label="labels",
        percent=True,
    )


# --- Agreement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelerKappa:
    items: int
    kappa: float | None


@dataclass(frozen=True)
class RangeAgreement:
    items: int
    overall: float | None
    per_labeler: dict[int, LabelerKappa]


def agreement_in_range(filters: Filters) -> RangeAgreement:
    """Kappa from the second opinions given in the range, as ``labeling.agreement`` counts it.

    Overall: every first label against its second one, pooled. Per labeler: over every pair
    they took part in (first or second), their label against the other labeler's, pooled over
    their partners (not the mean of their pair kappas: a pair with one item would weigh as much
    as one with a hundred). With a type chosen, the pairs where either label says that type.
    """
    tasks = Task.objects.filter(
        kind=Task.Kind.OVERLAP,
        state=Task.State.DONE,
        label__isnull=False,
        reference_label__isnull=False,
    )
    tasks = filters.in_range(tasks, "label__created_at")
    if filters.type_id is not None:
        tasks = tasks.filter(
            Q(label__document_type_id=filters.type_id)
            | Q(reference_label__document_type_id=filters.type_id)
        )
    rows = tasks.order_by("pk").values_list(
        "reference_label__labeled_by_id",
        "reference_label__document_type_id",
        "label__labeled_by_id",
        "label__document_type_id",
    )
    firsts: list[Hashable] = []
    seconds: list[Hashable] = []
    mine: dict[int, tuple[list[Hashable], list[Hashable]]] = defaultdict(lambda: ([], []))
    for first_user, first_type, second_user, second_type in rows:
        firsts.append(first_type)
        seconds.append(second_type)
        if first_user is None or second_user is None or first_user == second_user:
            continue
        for user, own, other in (
            (first_user, first_type, second_type),
            (second_user, second_type, first_type),
        ):
            mine[user][0].append(own)
            mine[user][1].append(other)
    return RangeAgreement(
        items=len(firsts),
        overall=cohen_kappa(firsts, seconds),
        per_labeler={
            user: LabelerKappa(len(own), cohen_kappa(own, other))
            for user, (own, other) in mine.items()
        },
    )


def agreement_chart(kappas: RangeAgreement, names: dict[UserId, str]) -> Chart:
    ordered = sorted(kappas.per_labeler, key=lambda uid: names.get(uid, DELETED))[:TABLE_LABELERS]
    return Chart(
        id="agreement",
        title="Agreement per labeler (Cohen's kappa)",
        kind="bar",
        labels=[names.get(uid, DELETED) for uid in ordered],
        series=[
            Series("Kappa", [_round(kappas.per_labeler[uid].kappa, 4) for uid in ordered]),
            Series(
                "Second opinions",
                [kappas.per_labeler[uid].items for uid in ordered],
                kind="line",
                axis="y2",
            ),
        ],
        description=(
            "Per labeler, Cohen's kappa over every second opinion given in the range that they"
            " took part in, their label against the other labeler's (1: always agree, 0: no"
            " better than chance)."
        ),
        x_label="labeler",
        y_label="kappa",
        y2_label="second opinions",
        y_max=1.0,
        empty_text="No second opinions given in this range.",
    )


# --- Skips -----------------------------------------------------------------------------------


def skips_in_range(filters: Filters) -> QuerySet[Skip]:
    """Skips in the range; with a type chosen, those of documents that now have that type (a
    skip says nothing of the type itself)."""
    skipped = filters.in_range(Skip.objects.all(), "created_at")
    return filters.of_type(skipped, "task__document__document_type")


def skips_chart(skipped: QuerySet[Skip]) -> Chart:
    found = dict(
        skipped.order_by().values("reason").annotate(n=Count("pk")).values_list("reason", "n")
    )
    reasons = Skip.Reason.choices
    return Chart(
        id="skips",
        title="Skips by reason",
        kind="doughnut",
        labels=[label for _, label in reasons],
        series=[Series("Skips", [found.get(value, 0) for value, _ in reasons])],
        description="Tasks people passed on in the range, by the reason they gave.",
        x_label="reason",
        empty_text="No skips in this range.",
    )


def latest_skips_table(skipped: QuerySet[Skip]) -> Table:
    latest = (
        skipped.annotate(document_id=F("task__document_id"), username=F("user__username"))
        .order_by("-created_at", "-id")
        .values_list("document_id", "created_at", "reason", "note", "username", "task__kind")[
            :LATEST_SKIPS
        ]
    )
    reasons = dict(Skip.Reason.choices)
    kinds = dict(Task.Kind.choices)
    rows: list[list[Any]] = []
    links: list[str] = []
    for document_id, created_at, reason, note, username, kind in latest:
        rows.append(
            [
                f"#{document_id}",
                _local(created_at),
                reasons.get(reason, reason),
                note,
                username,
                kinds.get(kind, kind),
            ]
        )
        links.append(reverse("document", args=[document_id]))
    return Table(
        id="latest-skips",
        title="Latest skips",
        columns=["document", "when", "reason", "note", "labeler", "task"],
        rows=rows,
        links=links,
        description=f"The {LATEST_SKIPS} latest skips in the range, newest first.",
        empty_text="No skips in this range.",
    )


# --- What labels bought the model ------------------------------------------------------------


@dataclass(frozen=True)
class Gain:
    version: int
    created_at: datetime
    labels_added: int
    accuracy_per_100: float  # validation accuracy gained per 100 more human labels (0-1 scale)
    macro_f1_per_100: float | None


def gains_per_100(filters: Filters) -> list[Gain]:
    """Between consecutive trainings (the last ``TRAININGS + 1`` created before the range
    ends, whatever became of them), the validation accuracy and macro-F1 gained per 100 more
    human labels (training + validation). A pair where the labels did not grow is left out:
    its change says nothing about what labels buy. Trainings are of every type: the type
    filter does not apply."""
    versions = list(
        ModelVersion.objects.filter(
            created_at__lt=filters.end_before, metrics__accuracy__isnull=False
        )
        .order_by("-created_at", "-id")
        .values_list(
            "pk",
            "created_at",
            "metrics__accuracy",
            "metrics__macro_f1",
            "counts__human_train",
            "counts__validation",
        )[: TRAININGS + 1]
    )
    versions.reverse()
    gains: list[Gain] = []
    for before, after in itertools.pairwise(versions):
        labels_before, labels_after = _labels(before[4], before[5]), _labels(after[4], after[5])
        accuracy_before, accuracy_after = _number(before[2]), _number(after[2])
        if None in (labels_before, labels_after, accuracy_before, accuracy_after):
            continue
        assert labels_before is not None and labels_after is not None  # for mypy
        assert accuracy_before is not None and accuracy_after is not None
        added = labels_after - labels_before
        if added <= 0:
            continue
        f1_before, f1_after = _number(before[3]), _number(after[3])
        gains.append(
            Gain(
                version=after[0],
                created_at=after[1],
                labels_added=added,
                accuracy_per_100=(accuracy_after - accuracy_before) / added * 100,
                macro_f1_per_100=(
                    None
                    if f1_before is None or f1_after is None
                    else (f1_after - f1_before) / added * 100
                ),
            )
        )
    return gains


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _labels(train: Any, validation: Any) -> int | None:
    if not isinstance(train, int) or not isinstance(validation, int):
        return None
    return train + validation


def gains_chart(gains: list[Gain]) -> Chart:
    return Chart(
        id="gain-per-100",
        title="Accuracy gained per 100 labels",
        kind="bar",
        labels=[f"v{g.version} ({_local(g.created_at)[:10]})" for g in gains],
        series=[
            Series(
                "Accuracy points per 100 labels",
                [round(g.accuracy_per_100 * 100, 3) for g in gains],
            ),
            Series(
                "Macro-F1 points per 100 labels",
                [
                    _round(None if g.macro_f1_per_100 is None else g.macro_f1_per_100 * 100, 3)
                    for g in gains
                ],
            ),
            Series("Human labels added", [g.labels_added for g in gains], kind="line", axis="y2"),
        ],
        description=(
            "Per training, the change in validation accuracy (and macro-F1) since the one"
            " before, in percentage points per 100 more human labels; trainings where the"
            " labels did not grow are left out."
        ),
        x_label="training",
        y_label="points per 100 labels",
        y2_label="labels added",
        empty_text="Fewer than two trainings with more labels than the one before.",
    )


# --- Formatting ------------------------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
