"""The Model dashboard: versions over time, learning curve, reliability, per-type precision and
recall, the confusion matrix of the active model, and promote / roll back from the page."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from classification import learning
from classification.models import DocumentType, ModelEvent, ModelVersion
from docsite.dashboards import filters, model

pytestmark = pytest.mark.django_db

RANGE = "start=2026-03-01&end=2026-03-06"
URL = f"/dashboards/model/?{RANGE}"
CLASSES = ["invoice", "receipt", "letter"]


@pytest.fixture(autouse=True)
def _types() -> None:
    for name in CLASSES:
        DocumentType.objects.update_or_create(name=name, defaults={"label": name.title()})


@pytest.fixture
def loadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every artifact counts as loadable, so the real promote and rollback services run."""
    monkeypatch.setattr(learning, "load_version", lambda version: object())


def _version(
    day: int, state: str, metrics: dict[str, Any], train: int, validation: int, month: int = 3
) -> ModelVersion:
    version = ModelVersion.objects.create(
        state=state,
        artifact_path=f"model-{month}-{day}.pt",
        metrics=metrics,
        counts={"human_train": train, "validation": validation} if train else {},
    )
    created = timezone.make_aware(datetime(2026, month, day, 12, 0))
    ModelVersion.objects.filter(pk=version.pk).update(created_at=created)
    version.refresh_from_db()
    return version


ACTIVE_METRICS: dict[str, Any] = {
    "macro_f1": 0.9,
    "ece": 0.03,
    "ece_before": 0.08,
    "accuracy": 0.85,
    "auto_accept_rate": 0.5,
    "classes": CLASSES,
    "per_class_f1": {"invoice": 0.8421, "receipt": 0.7273, "letter": 1.0},
    # true rows, predicted columns
    "confusion": [[8, 2, 0], [1, 4, 0], [0, 0, 5]],
    "reliability": [
        {"low": 0.0, "high": 0.5, "count": 0, "confidence": None, "accuracy": None},
        {"low": 0.5, "high": 0.75, "count": 4, "confidence": 0.6, "accuracy": 0.5},
        {"low": 0.75, "high": 1.0, "count": 16, "confidence": 0.9, "accuracy": 0.875},
    ],
}


@pytest.fixture
def versions() -> dict[str, ModelVersion]:
    return {
        "before": _version(20, "candidate", {"macro_f1": 0.5, "ece": 0.3}, 10, 2, month=2),
        "retired": _version(
            1, "retired", {"macro_f1": 0.7, "ece": 0.12, "per_class_f1": {"receipt": 0.5}}, 40, 10
        ),
        "rejected": _version(3, "rejected", {"macro_f1": 0.6, "ece": 0.2}, 60, 15),
        "active": _version(5, "active", ACTIVE_METRICS, 80, 20),
        "bare": _version(6, "candidate", {}, 0, 0),
    }


def _chart(page: Any, ident: str) -> Any:
    return next(c for c in page.charts if c.id == ident)


def _build(query: str = RANGE) -> Any:
    return model.build(filters.parse(QueryDict(query), today=datetime(2026, 3, 6).date()))


def test_versions_chart_has_macro_f1_and_ece_per_version_in_the_range(
    versions: dict[str, ModelVersion],
) -> None:
    chart = _chart(_build(), "versions")
    v = {key: version.pk for key, version in versions.items()}
    assert chart.labels == [
        f"v{v['retired']} · 2026-03-01",
        f"v{v['rejected']} · 2026-03-03",
        f"v{v['active']} · 2026-03-05 (active)",
        f"v{v['bare']} · 2026-03-06",
    ]
    macro, ece = chart.series
    assert macro.values == [0.7, 0.6, 0.9, None]
    assert (ece.values, ece.axis) == ([0.12, 0.2, 0.03, None], "y2")


def test_learning_curve_plots_human_labels_against_macro_f1_without_rejected(
    versions: dict[str, ModelVersion],
) -> None:
    chart = _chart(_build(), "learning-curve")
    # retired: 40 + 10 labels; active: 80 + 20; rejected and metric-less versions are left out.
    assert chart.series[0].points == [(50.0, 0.7), (100.0, 0.9)]
    assert chart.rows() == [["Versions", 50.0, 0.7], ["Versions", 100.0, 0.9]]


def test_reliability_bins_of_the_active_model(versions: dict[str, ModelVersion]) -> None:
    chart = _chart(_build(), "reliability")
    assert chart.labels == ["0.50-0.75", "0.75-1.00"]  # the empty bin is left out
    accuracy, confidence, diagonal = chart.series
    assert accuracy.values == [0.5, 0.875]
    assert (confidence.values, confidence.kind) == ([0.6, 0.9], "line")
    assert (diagonal.values, diagonal.dashed) == ([0.625, 0.875], True)


def test_per_type_precision_and_recall_from_the_confusion_matrix(
    versions: dict[str, ModelVersion],
) -> None:
    chart = _chart(_build(), "per-type")
    assert chart.labels == ["Invoice", "Receipt", "Letter"]
    precision, recall = chart.series
    # invoice 8 / (8 + 1), receipt 4 / (2 + 4), letter 5 / 5
    assert precision.values == [0.8889, 0.6667, 1.0]
    # invoice 8 / 10, receipt 4 / 5, letter 5 / 5
    assert recall.values == [0.8, 0.8, 1.0]


def test_type_filter_limits_per_type_and_adds_its_f1_over_versions(
    versions: dict[str, ModelVersion],
) -> None:
    page = _build(RANGE + "&type=receipt")
    per_type = _chart(page, "per-type")
    assert per_type.rows() == [["Receipt", 0.6667, 0.8]]
    f1 = _chart(page, "versions").series[2]
    assert f1.label == "F1 · Receipt"
    assert f1.values == [0.5, None, 0.7273, None]


def test_confusion_table_and_shaded_matrix(
    client_for: Callable[[User], Client], admin_user: User, versions: dict[str, ModelVersion]
) -> None:
    client = client_for(admin_user)
    rows = list(csv.reader(io.StringIO(client.get(URL + "&csv=confusion").content.decode())))
    assert rows == [
        ["True \\ Predicted", "Invoice", "Receipt", "Letter"],
        ["Invoice", "8", "2", "0"],
        ["Receipt", "1", "4", "0"],
        ["Letter", "0", "0", "5"],
    ]
    html = client.get(URL).content.decode()
    # invoice -> invoice holds 8 of its row's 10: alpha 0.12 + 0.7 * 0.8, green, white ink
    assert 'style="color: #fff; background-color: rgba(6, 118, 71, 0.68)">8</td>' in html
    # receipt -> invoice holds 1 of 5: alpha 0.12 + 0.7 * 0.2, red
    assert 'style="background-color: rgba(180, 35, 24, 0.26)">1</td>' in html


def test_csv_of_the_versions_chart(
    client_for: Callable[[User], Client], admin_user: User, versions: dict[str, ModelVersion]
) -> None:
    response = client_for(admin_user).get(URL + "&csv=versions")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    active = versions["active"].pk
    assert rows[0] == ["version", "Macro-F1", "ECE"]
    assert rows[3] == [f"v{active} · 2026-03-05 (active)", "0.9", "0.03"]
    assert rows[4][1:] == ["", ""]
    assert len(rows) == 5


def test_page_shows_promote_for_inactive_versions_and_roll_back_for_the_active(
    client_for: Callable[[User], Client], admin_user: User, versions: dict[str, ModelVersion]
) -> None:
    html = client_for(admin_user).get(URL).content.decode()
    for key in ("retired", "rejected", "bare"):
        assert f'action="{reverse("model_promote", args=[versions[key].pk])}"' in html
    assert f'action="{reverse("model_promote", args=[versions["active"].pk])}"' not in html
    # Out of the range: not listed.
    assert f'action="{reverse("model_promote", args=[versions["before"].pk])}"' not in html
    assert f'action="{reverse("model_rollback")}"' in html
    assert f'action="{reverse("model_train")}"' in html
    assert f'name="next" value="/dashboards/model/?{RANGE.replace("&", "&amp;")}"' in html


def test_promote_from_the_dashboard_redirects_back_to_it(
    client_for: Callable[[User], Client],
    admin_user: User,
    versions: dict[str, ModelVersion],
    loadable: None,
) -> None:
    client = client_for(admin_user)
    retired, active = versions["retired"], versions["active"]
    response = client.post(reverse("model_promote", args=[retired.pk]), {"next": URL}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert ModelVersion.objects.get(pk=retired.pk).state == ModelVersion.State.ACTIVE
    assert ModelVersion.objects.get(pk=active.pk).state == ModelVersion.State.RETIRED
    assert ModelEvent.objects.get(model_version=retired).user == admin_user
    body = response.content.decode()
    assert f"Model v{retired.pk} is now active." in body
    data = json.loads(body.split('id="dashboard-charts" type="application/json">')[1].split("<")[0])
    assert f"v{retired.pk} · 2026-03-01 (active)" in data[0]["labels"]

    response = client.post(reverse("model_rollback"), {"next": URL}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert ModelVersion.objects.get(pk=active.pk).state == ModelVersion.State.ACTIVE


def test_empty_state_without_any_model(
    client_for: Callable[[User], Client], admin_user: User
) -> None:
    client = client_for(admin_user)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No model has been trained and promoted yet" in body
    assert f'action="{reverse("model_rollback")}"' not in body
    page = _build()
    assert [c.id for c in page.charts] == ["versions", "learning-curve", "reliability", "per-type"]
    assert all(c.empty for c in page.charts)
    assert client.get(URL + "&csv=confusion").content.decode() == "True \\ Predicted\n"


def test_only_admins_see_the_model_dashboard(
    client_for: Callable[[User], Client], labeler: User, uploader: User
) -> None:
    assert client_for(labeler).get(URL).status_code == 403
    assert client_for(uploader).get(URL + "&csv=versions").status_code == 403


def test_build_costs_a_fixed_number_of_queries(
    versions: dict[str, ModelVersion], django_assert_max_num_queries: Any
) -> None:
    for day in range(1, 6):
        _version(day, "retired", {"macro_f1": 0.5}, 5, 1)
    with django_assert_max_num_queries(3):
        page = _build()
    assert len(_chart(page, "versions").labels) == 9


def test_buttons_follow_a_promotion_while_the_page_is_cached(
    client_for: Callable[[User], Client],
    admin_user: User,
    versions: dict[str, ModelVersion],
    loadable: None,
    settings: Any,
) -> None:
    """The built page is cached; a promotion empties that cache (its model event is part of
    the key), so the versions table and its buttons follow at once."""
    settings.DOCSITE_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    try:
        client = client_for(admin_user)
        retired = versions["retired"]
        promote = f'action="{reverse("model_promote", args=[retired.pk])}"'
        assert promote in client.get(URL).content.decode()
        client.post(reverse("model_promote", args=[retired.pk]), {"next": URL})
        html = client.get(URL).content.decode()
        assert promote not in html
        assert f'<tr data-version="{retired.pk}" class="active-version"' in html
        # The promotion's model event emptied the page cache: the charts follow at once.
        assert f"v{versions['active'].pk} · 2026-03-05 (active)" not in html
        assert re.search(rf"v{retired.pk} · \d{{4}}-\d\d-\d\d \(active\)", html)
    finally:
        cache.clear()
