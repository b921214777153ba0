"""The Drift dashboard: recent predictions against the training data, and documents unlike
anything labeled. Rows are built with the ORM; feature vectors are fixed by hand."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from classification.ml import drift as drift_math
from classification.models import Document, DocumentType, Label, ModelVersion, Prediction
from docsite.dashboards import drift
from docsite.dashboards.filters import Filters
from labeling import priority

pytestmark = pytest.mark.django_db

# Training shares: invoice 0.6, receipt 0.3, letter 0.1.
TRAINING = {"invoice": 6, "receipt": 3, "letter": 1}
# Validation mean confidence: (6 x 0.9 + 4 x 0.8) / 10 = 0.86.
RELIABILITY: list[dict[str, Any]] = [
    {"low": 0.0, "high": 0.5, "count": 0, "confidence": None, "accuracy": None},
    {"low": 0.5, "high": 0.85, "count": 4, "confidence": 0.8, "accuracy": 0.75},
    {"low": 0.85, "high": 1.0, "count": 6, "confidence": 0.9, "accuracy": 1.0},
]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _today() -> date:
    return timezone.localdate()


def _noon(days_ago: int) -> datetime:
    return timezone.make_aware(datetime.combine(_today() - timedelta(days=days_ago), time(12)))


def _filters(days: int = 30, type_name: str = "") -> Filters:
    end = _today()
    if not type_name:
        return Filters(end - timedelta(days=days - 1), end)
    found = DocumentType.objects.get(name=type_name)
    return Filters(end - timedelta(days=days - 1), end, found.name, found.label, found.pk)


def _types() -> dict[str, DocumentType]:
    return {t.name: t for t in DocumentType.objects.filter(name__in=TRAINING)}


def _version(state: str = ModelVersion.State.ACTIVE, **fields: Any) -> ModelVersion:
    values: dict[str, Any] = {
        "counts": {"human_per_class": TRAINING},
        "metrics": {"reliability": RELIABILITY},
    }
    values.update(fields)
    return ModelVersion.objects.create(state=state, **values)


_serial = iter(range(1, 1_000_000))


def _documents(count: int, days_ago: int = 1, **fields: Any) -> list[Document]:
    rows = []
    for _ in range(count):
        name = f"drift-{next(_serial)}.png"
        values: dict[str, Any] = {
            "status": Document.Status.NEEDS_REVIEW,
            "processed_at": _noon(days_ago),
        }
        values.update(fields)
        rows.append(
            Document(
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                original_name=name,
                original_path=f"originals/{name}",
                mime_type="image/png",
                size_bytes=10,
                page_count=1,
                **values,
            )
        )
    return Document.objects.bulk_create(rows)


def _predict(
    version: ModelVersion | None,
    per_type: dict[str, int],
    confidence: float = 0.85,
    days_ago: int = 1,
) -> list[Document]:
    types = _types()
    made: list[Document] = []
    rows = []
    for name, count in per_type.items():
        for document in _documents(count, days_ago):
            made.append(document)
            rows.append(
                Prediction(
                    document=document,
                    model_version=version,
                    document_type=types[name],
                    confidence=confidence,
                )
            )
    Prediction.objects.bulk_create(rows)
    return made


def _no_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(priority, "_vectors", lambda documents, hot=False: [None] * len(documents))


# --- The math ---------------------------------------------------------------------------------


def test_shares_and_shifts() -> None:
    assert drift_math.shares({"a": 1, "b": 3}) == {"a": 0.25, "b": 0.75}
    assert drift_math.shares({"a": 0}) == {}
    shifts = drift_math.share_shifts({"a": 0.25, "b": 0.75}, {"b": 0.5, "c": 0.5})
    assert [(s.name, s.recent, s.training, s.shift) for s in shifts] == [
        ("a", 0.25, 0.0, 0.25),
        ("b", 0.75, 0.5, 0.25),
        ("c", 0.0, 0.5, -0.5),
    ]
    assert [s.name for s in drift_math.share_alerts(shifts, 0.25)] == ["c"]
    assert [s.name for s in drift_math.share_alerts(shifts, 0.2)] == ["c", "a", "b"]


def test_a_shift_exactly_at_the_limit_raises_nothing() -> None:
    # 0.3 - 0.2 is 0.09999999999999998 in floating point, and 0.1 exactly after rounding.
    shifts = drift_math.share_shifts({"a": 0.3}, {"a": 0.2})
    assert drift_math.share_alerts(shifts, 0.1) == []
    assert drift_math.share_alerts(shifts, 0.0999) != []
    assert not drift_math.confidence_moved(0.96, 0.86, 0.1)
    assert drift_math.confidence_moved(0.97, 0.86, 0.1)
    assert not drift_math.confidence_moved(None, 0.86, 0.1)


def test_mean_confidence_weights_bins_by_count() -> None:
    assert drift_math.mean_confidence(RELIABILITY) == pytest.approx(0.86)
    assert drift_math.mean_confidence([{"count": 0, "confidence": None}]) is None
    assert drift_math.mean_confidence(None) is None


def test_nearest_similarity_and_least_similar() -> None:
    reference = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    candidates = np.array([[3.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [0.3, 0.0, 1.0]])
    similarity = drift_math.nearest_similarity(candidates, reference)
    expected = [1.0, 0.0, 1 / math.sqrt(2), 0.3 / math.sqrt(1.09)]
    assert similarity == pytest.approx(expected, abs=1e-6)
    assert drift_math.least_similar(similarity.tolist(), 0.5, 10) == [1, 3]
    assert drift_math.least_similar(similarity.tolist(), 0.5, 1) == [1]
    assert drift_math.nearest_similarity(candidates, np.zeros((0, 3))).tolist() == [0.0] * 4


# --- Recent predictions against the training data ------------------------------------------------


def test_window_is_the_last_days_of_the_range(settings: Any) -> None:
    settings.DOCSITE_DRIFT_DAYS = 7
    end = date(2026, 3, 31)
    assert drift.window(Filters(date(2026, 3, 1), end)) == drift.Window(date(2026, 3, 25), end)
    assert drift.window(Filters(date(2026, 3, 29), end)) == drift.Window(date(2026, 3, 29), end)


def test_shifted_sample_raises_share_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_vectors(monkeypatch)
    version = _version()
    # Recent shares: invoice 6/20 = 0.3, receipt 12/20 = 0.6, letter 2/20 = 0.1.
    _predict(version, {"invoice": 6, "receipt": 12, "letter": 2})
    # Not recent, or another model's: not counted.
    _predict(version, {"letter": 30}, days_ago=20)
    _predict(_version(ModelVersion.State.RETIRED), {"letter": 30})
    page = drift.build(_filters())
    messages = [a.message for a in page.alerts]
    assert len(messages) == 2 and all(a.level == "warning" for a in page.alerts)
    assert (
        messages[0].startswith("Invoice: 30.0%") and "60.0% of the training labels" in messages[0]
    )
    assert "-30.0 points" in messages[0]
    assert (
        messages[1].startswith("Receipt: 60.0%") and "30.0% of the training labels" in messages[1]
    )
    # Mean confidence 0.85 against 0.86: no confidence alert.
    assert not any("Mean confidence" in m for m in messages)
    charts = {c.id: c for c in page.charts}
    shares = charts["type-shares"]
    assert shares.labels == ["Invoice", "Letter", "Receipt"]
    assert [s.values for s in shares.series] == [[0.3, 0.1, 0.6], [0.6, 0.1, 0.3]]
    assert charts["share-shift"].series[0].values == pytest.approx([-0.3, 0.0, 0.3])


def test_unshifted_sample_raises_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_vectors(monkeypatch)
    version = _version()
    _predict(version, {"invoice": 12, "receipt": 6, "letter": 2}, confidence=0.9)
    page = drift.build(_filters())
    assert page.alerts == []
    assert page.charts[0].series[0].values == [0.6, 0.1, 0.3]


def test_confidence_alert_and_daily_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_vectors(monkeypatch)
    version = _version()
    _predict(version, {"invoice": 12, "receipt": 6}, confidence=0.7)
    _predict(version, {"letter": 2}, confidence=0.6)
    # Outside the recent window but inside the range: only on the daily line.
    _predict(version, {"invoice": 3}, confidence=0.5, days_ago=20)
    page = drift.build(_filters())
    # Recent mean (18 x 0.7 + 2 x 0.6) / 20 = 0.69 against 0.86: -17.0 points.
    (alert,) = page.alerts
    assert alert.message.startswith("Mean confidence of the last 7 days is 69.0%")
    assert "86.0% on validation" in alert.message and "-17.0 points" in alert.message
    line = next(c for c in page.charts if c.id == "confidence")
    by_day = dict(zip(line.labels, line.series[0].values, strict=True))
    day = (_today() - timedelta(days=1)).isoformat()
    assert by_day[day] == pytest.approx(0.69)
    assert by_day[(_today() - timedelta(days=20)).isoformat()] == pytest.approx(0.5)
    assert by_day[(_today() - timedelta(days=2)).isoformat()] is None
    assert line.series[1].dashed and set(line.series[1].values) == {0.86}


def test_too_few_recent_predictions_raise_no_alert(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_vectors(monkeypatch)
    version = _version()
    # Shifted and unconfident, but 19 predictions.
    _predict(version, {"receipt": 19}, confidence=0.3)
    page = drift.build(_filters())
    assert page.alerts == []
    assert any("Only 19 recent predictions" in n for n in page.extra["notes"])
    _predict(version, {"receipt": 1}, confidence=0.3)
    # Invoice -60 and receipt +70 points, confidence -56 points; letter's -10 is not beyond 10.
    alerts = [a.message.split(" ")[0] for a in drift.build(_filters()).alerts]
    assert alerts == ["Receipt:", "Invoice:", "Mean"]


def test_type_filter_narrows_the_share_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_vectors(monkeypatch)
    version = _version()
    _predict(version, {"invoice": 6, "receipt": 12, "letter": 2})
    page = drift.build(_filters(type_name="receipt"))
    assert [a.message.split(":")[0] for a in page.alerts] == ["Receipt"]
    assert page.charts[0].labels == ["Receipt"] and page.charts[0].series[0].values == [0.6]


def test_no_active_model_explains_and_raises_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_vectors(monkeypatch)
    _predict(_version(ModelVersion.State.CANDIDATE), {"receipt": 30}, confidence=0.2)
    page = drift.build(_filters())
    assert page.alerts == [] and page.charts == []
    assert any("No model is active" in n for n in page.extra["notes"])
    assert [t.id for t in page.tables] == ["novel"]


# --- Unlike anything labeled ------------------------------------------------------------------


@pytest.fixture
def novel_documents(monkeypatch: pytest.MonkeyPatch, labeler: User) -> dict[str, Document]:
    """Two labeled documents (x and y axes) and recent unlabeled ones at known angles."""
    vectors: dict[str, list[float]] = {}
    made: dict[str, Document] = {}
    types = _types()
    plan: list[tuple[str, list[float] | None, int]] = [
        ("labeled-x", [1, 0, 0], 1),
        ("labeled-y", [0, 1, 0], 1),
        ("same", [1, 0, 0], 1),  # similarity 1
        ("far", [0, 0, 1], 1),  # 0
        ("between", [1, 0, 1], 1),  # 1/sqrt(2) = 0.7071
        ("farish", [0.3, 0, 1], 1),  # 0.3/sqrt(1.09) = 0.2873
        ("no-features", None, 1),
        ("old-far", [0, 0, 1], 20),  # outside the window
    ]
    for name, vector, days_ago in plan:
        (document,) = _documents(1, days_ago)
        made[name] = document
        if vector is not None:
            vectors[document.sha256] = vector
    for name in ("labeled-x", "labeled-y"):
        Label.objects.create(
            document=made[name],
            document_type=types["invoice"],
            provenance=Label.Provenance.HUMAN,
            labeled_by=labeler,
        )
    Document.objects.filter(pk__in=[made["labeled-x"].pk, made["labeled-y"].pk]).update(
        status=Document.Status.CLASSIFIED
    )
    Prediction.objects.create(document=made["far"], document_type=types["receipt"], confidence=0.42)

    def fixed(documents: list[Document], hot: bool = False) -> list[np.ndarray | None]:
        out: list[np.ndarray | None] = []
        for document in documents:
            found = vectors.get(document.sha256)
            out.append(
                None if found is None else drift_math.selection.normalise(np.array([found]))[0]
            )
        return out

    monkeypatch.setattr(priority, "_vectors", fixed)
    return made


def test_novel_documents_least_similar_first(novel_documents: dict[str, Document]) -> None:
    page = drift.build(_filters())
    (table,) = page.tables
    far, farish = novel_documents["far"], novel_documents["farish"]
    assert table.rows == [
        [f"#{far.pk}", "Receipt", 0.42, 0.0, "Needs review"],
        [f"#{farish.pk}", None, None, pytest.approx(0.2873, abs=1e-4), "Needs review"],
    ]
    assert table.links == [f"/documents/{far.pk}/", f"/documents/{farish.pk}/"]
    assert "Of the 5 newest documents" in table.description
    assert "2 have a cosine similarity below 0.5" in table.description
    assert "1 skipped: no cached features" in table.description


def test_novel_documents_follow_the_threshold_and_type(
    novel_documents: dict[str, Document], settings: Any
) -> None:
    settings.DOCSITE_NOVELTY_SIMILARITY = 0.8
    rows = drift.build(_filters()).tables[0].rows
    assert [r[0] for r in rows] == [
        f"#{novel_documents[n].pk}" for n in ("far", "farish", "between")
    ]
    typed = drift.build(_filters(type_name="receipt")).tables[0].rows
    assert [r[0] for r in typed] == [f"#{novel_documents['far'].pk}"]


def test_nothing_labeled_with_features_means_nothing_to_compare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_vectors(monkeypatch)
    _documents(3)
    (table,) = drift.build(_filters()).tables
    assert table.rows == [] and "no labeled document has cached features" in table.description


# --- The page -------------------------------------------------------------------------------------


def test_page_renders_for_admins_with_alerts_and_csv(
    client_for: Callable[[User], Client],
    admin_user: User,
    labeler: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_vectors(monkeypatch)
    version = _version()
    _predict(version, {"invoice": 6, "receipt": 12, "letter": 2})
    client = client_for(admin_user)
    response = client.get("/dashboards/drift/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="chart-type-shares"' in body and 'id="chart-share-shift"' in body
    assert 'id="table-novel"' in body and f"model v{version.pk}" in body
    assert body.count('class="alert alert-warning"') == 2
    shares = client.get("/dashboards/drift/?csv=type-shares")
    rows = list(csv.reader(io.StringIO(shares.content.decode())))
    assert rows == [
        ["type", "Last 7 days", "Training labels"],
        ["Invoice", "0.3", "0.6"],
        ["Letter", "0.1", "0.1"],
        ["Receipt", "0.6", "0.3"],
    ]
    novel = client.get("/dashboards/drift/?csv=novel").content.decode()
    assert novel.splitlines()[0] == "document,predicted type,confidence,nearest similarity,status"
    assert client_for(labeler).get("/dashboards/drift/").status_code == 403


def test_page_renders_without_a_model(
    client_for: Callable[[User], Client], admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_vectors(monkeypatch)
    response = client_for(admin_user).get("/dashboards/drift/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "No model is active" in body and "alert-warning" not in body


def test_queries_do_not_grow_with_rows(
    novel_documents: dict[str, Document], django_assert_max_num_queries: Any
) -> None:
    version = _version()
    _predict(version, {"invoice": 40, "receipt": 30, "letter": 30})
    with django_assert_max_num_queries(10):
        page = drift.build(_filters())
    # The 100 predicted documents have no vectors: skipped, each counted.
    assert len(page.tables[0].rows) == 2
    assert "101 skipped" in page.tables[0].description
    assert len(page.charts) == 3
