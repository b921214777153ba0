"""The Labeling dashboard: labels per labeler per day, median seconds, suggestions kept,
kappa per labeler, skips and accuracy gained per 100 labels, checked against values worked out
by hand on small sets of rows."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from collections.abc import Callable
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from classification.models import Document, DocumentType, Label, ModelVersion
from docsite.dashboards import filters as dashboard_filters
from docsite.dashboards import labeling
from docsite.dashboards.charts import Chart
from docsite.dashboards.pages import Page, Table
from labeling.models import Skip, Task

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)
RANGE = "start=2026-03-01&end=2026-03-03"


def _at(day: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(2026, 3, day, hour))


def _type(name: str) -> DocumentType:
    return DocumentType.objects.get_or_create(name=name, defaults={"label": name.title()})[0]


def _document(kind: str | None = None) -> Document:
    name = f"labeling-dash-{next(_serial)}"
    return Document.objects.create(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        original_name=f"{name}.png",
        original_path=f"originals/{name}.png",
        mime_type="image/png",
        size_bytes=100,
        status=Document.Status.CLASSIFIED,
        document_type=_type(kind) if kind else None,
    )


def _label(
    user: User | None,
    day: int,
    kind: str = "invoice",
    *,
    seconds: float | None = None,
    accepted: bool | None = None,
    provenance: str = Label.Provenance.HUMAN,
    second_opinion: bool = False,
    document: Document | None = None,
) -> Label:
    label = Label.objects.create(
        document=document or _document(kind),
        document_type=_type(kind),
        provenance=provenance,
        labeled_by=user,
        seconds_spent=seconds,
        suggested_type=None if accepted is None else _type("invoice"),
        suggestion_accepted=accepted,
        second_opinion=second_opinion,
    )
    Label.objects.filter(pk=label.pk).update(created_at=_at(day))  # auto_now_add otherwise
    label.created_at = _at(day)
    return label


def _page(query: str = RANGE) -> Page:
    return labeling.build(dashboard_filters.parse(QueryDict(query)))


def _chart(page: Page, ident: str) -> Chart:
    return next(c for c in page.charts if c.id == ident)


def _table(page: Page, ident: str) -> Table:
    return next(t for t in page.tables if t.id == ident)


def _series(chart: Chart) -> dict[str, list[int | float | None]]:
    return {s.label: s.values for s in chart.series}


def _row(table: Table, name: str) -> dict[str, object]:
    row = next(r for r in table.rows if r[0] == name)
    return dict(zip(table.columns, row, strict=True))


def test_labels_per_labeler_per_day(labeler: User, second_labeler: User) -> None:
    for day in (1, 1, 3):
        _label(labeler, day)
    _label(second_labeler, 2, second_opinion=True)  # work done too
    _label(None, 2, provenance=Label.Provenance.AUTO)  # not a person's
    _label(labeler, 4)  # after the range

    chart = _chart(_page(), "labels-per-labeler")

    assert chart.labels == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert _series(chart) == {"lena-labeler": [2, 0, 1], "lars-labeler": [0, 1, 0]}


def test_labelers_beyond_the_top_eight_are_summed_as_others() -> None:
    users = [User.objects.create_user(f"user{n:02d}") for n in range(1, 11)]
    for n, user in enumerate(users, start=1):  # user01 labels once ... user10 ten times
        for _ in range(n):
            _label(user, 2)

    series = _series(_chart(_page(), "labels-per-labeler"))

    assert list(series) == [f"user{n:02d}" for n in range(10, 2, -1)] + ["Others"]
    assert series["user10"] == [0, 10, 0]
    assert series["Others"] == [0, 1 + 2, 0]


def test_median_seconds_with_odd_and_even_counts(labeler: User, second_labeler: User) -> None:
    for seconds in (30.0, 10.0, 20.0, None):  # odd: the middle one; no time recorded: left out
        _label(labeler, 1, seconds=seconds)
    for seconds in (5.0, 40.0, 10.0, 7.0):  # even: the mean of the two in the middle
        _label(second_labeler, 2, seconds=seconds)
    _label(labeler, 5, seconds=1000.0)  # after the range

    page = _page()

    chart = _chart(page, "seconds")
    assert dict(zip(chart.labels, chart.series[0].values, strict=True)) == {
        "lars-labeler": 8.5,  # 5 7 | 10 40 -> (7 + 10) / 2
        "lena-labeler": 20.0,  # 10 | 20 | 30
    }
    # Overall: 5 7 10 [10] 20 30 40
    assert page.tiles[1][:2] == ("Median seconds per document", "10.0 s")
    assert _row(_table(page, "labelers"), "lena-labeler")["median seconds"] == 20.0
    assert labeling.median_seconds(Label.objects.none()) is None


def test_share_of_suggestions_accepted(labeler: User, second_labeler: User) -> None:
    _label(labeler, 1, accepted=True)
    _label(labeler, 1, accepted=True)
    _label(labeler, 1, accepted=False)
    _label(labeler, 1)  # no suggestion shown: not in the share
    _label(second_labeler, 3, accepted=False)

    page = _page()

    series = _series(_chart(page, "suggestions-accepted"))
    assert series["Accepted"] == [pytest.approx(2 / 3, abs=1e-4), None, 0.0]
    assert series["Labels with a suggestion"] == [3, 0, 1]
    assert _row(_table(page, "labelers"), "lena-labeler")["suggestions accepted"] == 0.6667
    assert _row(_table(page, "labelers"), "lena-labeler")["labels"] == 4
    assert _row(_table(page, "labelers"), "lars-labeler")["suggestions accepted"] == 0.0
    assert page.tiles[2][:2] == ("Suggestions accepted", "50.0%")  # 2 of 4


def _second_opinion(first: tuple[User, str], second: tuple[User, str], day: int = 2) -> Task:
    """A document labeled by ``first``, then blind by ``second`` through an overlap task, as
    ``labeling.queue.submit`` stores it."""
    document = _document(first[1])
    reference = _label(first[0], day, first[1], document=document)
    answer = _label(second[0], day, second[1], document=document, second_opinion=True)
    return Task.objects.create(
        document=document,
        kind=Task.Kind.OVERLAP,
        state=Task.State.DONE,
        reference_label=reference,
        label=answer,
        agreed=first[1] == second[1],
    )


def test_kappa_per_labeler_over_the_pairs_they_took_part_in() -> None:
    a, b, c = (User.objects.create_user(name) for name in ("ann", "ben", "cat"))
    for first, second in [
        ((a, "invoice"), (b, "invoice")),
        ((a, "invoice"), (b, "invoice")),
        ((a, "receipt"), (b, "invoice")),
        ((b, "receipt"), (a, "receipt")),
        ((b, "receipt"), (a, "invoice")),
        ((a, "contract"), (c, "contract")),
    ]:
        _second_opinion(first, second)
    _second_opinion((a, "invoice"), (c, "receipt"), day=9)  # given after the range

    page = _page()

    # ann, her label against the other's, over all six of her pairs:
    #   ann:   invoice invoice receipt receipt invoice contract   (3, 2, 1)
    #   other: invoice invoice invoice receipt receipt contract   (3, 2, 1)
    #   p_o = 4/6; p_e = (9 + 4 + 1) / 36 = 7/18; kappa = (12/18 - 7/18) / (11/18) = 5/11
    # ben: only the pair with ann: p_o = 3/5, p_e = 0.52, kappa = 1/6 (as in test_agreement)
    # cat: one pair, both said contract: chance agreement certain, kappa 1
    chart = _chart(page, "agreement")
    kappas = dict(zip(chart.labels, _series(chart)["Kappa"], strict=True))
    assert kappas == {
        "ann": pytest.approx(5 / 11, abs=1e-4),
        "ben": pytest.approx(1 / 6, abs=1e-4),
        "cat": 1.0,
    }
    assert dict(zip(chart.labels, _series(chart)["Second opinions"], strict=True)) == {
        "ann": 6,
        "ben": 5,
        "cat": 1,
    }
    # Overall, first label against second over the six: kappa 0.5 (as in test_agreement).
    assert page.tiles[3][:2] == ("Agreement (kappa)", "0.50")
    table = _table(page, "labelers")
    assert _row(table, "ann")["kappa"] == pytest.approx(5 / 11, abs=1e-4)
    assert _row(table, "cat")["second opinions"] == 1


def _skip(user: User, reason: str, day: int, note: str = "", kind: str = "invoice") -> Skip:
    task = Task.objects.create(document=_document(kind), kind=Task.Kind.REVIEW)
    skip = Skip.objects.create(task=task, user=user, reason=reason, note=note)
    Skip.objects.filter(pk=skip.pk).update(created_at=_at(day))
    return skip


def test_skips_by_reason_and_the_latest_skips(labeler: User, second_labeler: User) -> None:
    first = _skip(labeler, Skip.Reason.UNREADABLE, 1, "=blurred scan")
    latest = _skip(second_labeler, Skip.Reason.UNREADABLE, 3)
    middle = _skip(labeler, Skip.Reason.OTHER, 2, "torn page")
    _skip(labeler, Skip.Reason.NO_TYPE, 7)  # after the range

    page = _page()

    chart = _chart(page, "skips")
    assert dict(zip(chart.labels, chart.series[0].values, strict=True)) == {
        "Unreadable": 2,
        "Not sure of the type": 0,
        "No matching type": 0,
        "Other": 1,
    }
    table = _table(page, "latest-skips")
    assert [row[0] for row in table.rows] == [
        f"#{latest.task.document_id}",
        f"#{middle.task.document_id}",
        f"#{first.task.document_id}",
    ]
    assert table.rows[2][2:5] == ["Unreadable", "=blurred scan", "lena-labeler"]
    assert table.links[0] == f"/documents/{latest.task.document_id}/"
    assert _row(_table(page, "labelers"), "lena-labeler")["skips"] == 2
    assert page.tiles[4][:2] == ("Skips", "3")


def _version(day: int, accuracy: float | None, f1: float, train: int, val: int) -> ModelVersion:
    metrics = {} if accuracy is None else {"accuracy": accuracy, "macro_f1": f1}
    version = ModelVersion.objects.create(
        state=ModelVersion.State.RETIRED,
        metrics=metrics,
        counts={"human_train": train, "validation": val, "unlabeled": 5},
    )
    ModelVersion.objects.filter(pk=version.pk).update(created_at=_at(day))
    return version


def test_accuracy_gained_per_100_labels_between_trainings() -> None:
    _version(1, None, 0.0, 10, 0)  # no metrics: left out
    _version(1, 0.70, 0.60, 80, 20)  # 100 labels
    second = _version(2, 0.76, 0.63, 160, 40)  # +100 labels: +6 points, F1 +3
    _version(2, 0.74, 0.62, 160, 40)  # a rejected retraining, no new labels: no gain shown
    fourth = _version(3, 0.77, 0.66, 360, 40)  # +200 labels: +3 points -> 1.5 per 100; F1 2
    _version(9, 0.99, 0.99, 1000, 100)  # after the range ends

    page = _page()

    chart = _chart(page, "gain-per-100")
    assert [label.split()[0] for label in chart.labels] == [f"v{second.pk}", f"v{fourth.pk}"]
    series = _series(chart)
    assert series["Accuracy points per 100 labels"] == [pytest.approx(6.0), pytest.approx(1.5)]
    assert series["Macro-F1 points per 100 labels"] == [pytest.approx(3.0), pytest.approx(2.0)]
    assert series["Human labels added"] == [100, 200]
    assert page.tiles[5][:2] == ("Accuracy gained per 100 labels", "+1.50 points")


def test_type_filter_narrows_labels_and_skips(labeler: User) -> None:
    _label(labeler, 1, "invoice", seconds=10.0, accepted=True)
    _label(labeler, 1, "receipt", seconds=50.0, accepted=False)
    _skip(labeler, Skip.Reason.UNSURE, 2, kind="invoice")
    _skip(labeler, Skip.Reason.OTHER, 2, kind="receipt")

    page = _page(RANGE + "&type=invoice")

    assert _series(_chart(page, "labels-per-labeler")) == {"lena-labeler": [1, 0, 0]}
    row = _row(_table(page, "labelers"), "lena-labeler")
    assert (row["labels"], row["median seconds"], row["suggestions accepted"]) == (1, 10.0, 1.0)
    assert row["skips"] == 1
    assert _chart(page, "skips").series[0].values == [0, 1, 0, 0]


def test_page_renders_for_admins_only_with_csv(
    client_for: Callable[[User], Client], admin_user: User, labeler: User
) -> None:
    _label(labeler, 2, seconds=12.0, accepted=True)
    _skip(labeler, Skip.Reason.UNREADABLE, 2, "coffee stain")
    client = client_for(admin_user)

    response = client.get(f"/dashboards/labeling/?{RANGE}")

    assert response.status_code == 200
    body = response.content.decode()
    for ident in ("labels-per-labeler", "seconds", "suggestions-accepted", "agreement", "skips"):
        assert f'id="chart-{ident}"' in body
    assert 'id="chart-gain-per-100"' in body and "coffee stain" in body
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/dashboards/labeling/?{RANGE}&csv=labelers").content.decode())
        )
    )
    assert rows[0][:3] == ["labeler", "labels", "median seconds"]
    assert rows[1][:4] == ["lena-labeler", "1", "12", "1"]
    per_day = client.get(f"/dashboards/labeling/?{RANGE}&csv=labels-per-labeler").content.decode()
    assert per_day.splitlines() == [
        "day,lena-labeler",
        "2026-03-01,0",
        "2026-03-02,1",
        "2026-03-03,0",
    ]
    assert client_for(labeler).get("/dashboards/labeling/").status_code == 403


def test_type_filter_keeps_the_second_opinions_where_either_label_has_the_type(
    labeler: User, second_labeler: User
) -> None:
    _second_opinion((labeler, "invoice"), (second_labeler, "receipt"))
    _second_opinion((labeler, "receipt"), (second_labeler, "invoice"))
    _second_opinion((labeler, "receipt"), (second_labeler, "receipt"))  # no invoice: left out

    everything = _page().tiles[3]
    invoices = _page(RANGE + "&type=invoice").tiles[3]

    # All three: first receipt 2 / invoice 1, second the same; p_o = 1/3, p_e = 5/9: -0.5
    assert everything[1:] == ("-0.50", "over 3 second opinions")
    # The two with an invoice: always opposite, kappa -1
    assert invoices[1:] == ("-1.00", "over 2 second opinions")
