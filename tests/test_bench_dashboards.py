"""bench/dashboards.py with tiny row counts on the test database: the rows it generates look
like a busy site's, and its JSON line has one entry per database and page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import LazySettings
from django.db import connection
from django.utils import timezone

from bench import dashboards
from classification.models import Document, Label, ModelVersion, Prediction
from labeling.models import Task

pytestmark = pytest.mark.django_db


def test_it_generates_documents_labels_and_tasks_spread_over_sixty_days() -> None:
    rows = dashboards.generate(300, 60, seed=1)
    assert rows["documents"] == Document.objects.count() == 300
    assert rows["human_labels"] == Label.objects.filter(provenance="human").count() == 60
    assert set(Document.objects.values_list("status", flat=True)) == set(Document.Status.values)
    now = timezone.now()
    oldest = Document.objects.order_by("created_at").values_list("created_at", flat=True)[0]
    assert now - timedelta(days=61) < oldest < now - timedelta(days=40)
    assert not Document.objects.filter(created_at__gt=now).exists()
    failed = Document.objects.filter(status="failed")
    assert failed.exists() and set(failed.values_list("error_message", flat=True)) <= set(
        dashboards.ERRORS
    )
    # Every processed document has one prediction; auto-accepted ones an auto label.
    processed = Document.objects.filter(status__in=["classified", "needs_review"])
    assert Prediction.objects.count() == processed.count()
    auto = Label.objects.filter(provenance="auto")
    assert auto.exists() and not auto.filter(model_version__isnull=True).exists()
    assert not auto.exclude(document__status="classified").exists()
    # Second opinions come from overlap tasks by someone other than the first labeler.
    overlaps = Task.objects.filter(kind="overlap", state="done")
    assert overlaps.count() == Label.objects.filter(second_opinion=True).count() > 0
    for first, second in overlaps.values_list("reference_label__labeled_by", "label__labeled_by"):
        assert first != second
    open_reviews = Task.objects.filter(kind="review", state="open")
    assert open_reviews.count() == processed.filter(status="needs_review").count()
    active = ModelVersion.objects.get(state="active")
    assert {"macro_f1", "confusion", "thresholds", "reliability", "ece"} <= set(active.metrics)


def test_it_times_every_page_and_prints_one_json_line(settings: LazySettings) -> None:
    settings.DOCSITE_DASHBOARD_CACHE_SECONDS = 0
    dashboards.generate(300, 60, seed=2)
    pages = dashboards.measure(calls=3)
    line = json.dumps(dashboards.summarize(300, 60, 3, {connection.vendor: pages}))
    assert "\n" not in line
    report = json.loads(line)
    assert (report["bench"], report["documents"], report["labels"]) == ("dashboards", 300, 60)
    assert report["target_p95_ms"] == 1000
    measured = report["databases"][connection.vendor]
    assert set(measured) == set(dashboards.PAGES)
    for slug, page in measured.items():
        if page.get("missing"):
            assert slug in report["missing_pages"]
            continue
        assert "error" not in page, page
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["max_ms"] < 60_000
        assert set(page["queries"]) == {"default", "type", "week"}
        assert all(n > 0 for n in page["queries"].values())
        assert page["met"] == (page["p95_ms"] <= 1000)
        assert page["cached_p50_ms"] > 0
    verdicts = [p["met"] for p in measured.values() if not p.get("missing")]
    assert report["met"] == (bool(verdicts) and all(verdicts))


def test_a_missing_page_is_listed_and_a_failed_database_fails_the_target() -> None:
    fast = {"p50_ms": 10.0, "p95_ms": 20.0, "met": True}
    pages = {slug: dict(fast) for slug in dashboards.PAGES}
    pages["drift"] = {"missing": True}
    report = dashboards.summarize(300, 60, 3, {"sqlite": pages})
    assert report["missing_pages"] == ["drift"] and report["met"] is True
    slow = {**pages, "model": {"p50_ms": 900.0, "p95_ms": 1500.0, "met": False}}
    assert dashboards.summarize(300, 60, 3, {"sqlite": slow})["met"] is False
    broken = {"sqlite": pages, "postgres": {"error": "PostgreSQL is not running"}}
    assert dashboards.summarize(300, 60, 3, broken)["met"] is False


def test_it_refuses_more_labels_than_half_the_documents() -> None:
    with pytest.raises(SystemExit):
        dashboards.parse_args(["--documents", "300", "--labels", "200"])
    with pytest.raises(ValueError):
        dashboards.generate(300, 200)
