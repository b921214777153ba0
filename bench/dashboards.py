"""The dashboard pages with a busy site's rows: how long each page takes to build and render,
through the Django test client, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.dashboards [--documents 100000] [--labels 20000] [--calls 20]
        [--databases sqlite,postgres] [--seed 0]

For each database a child process (``--worker``, as in ``bench.queue``) gets a fresh database,
migrates it and fills it (``generate``) with ``--documents`` documents spread over the last 60
days, their pages, predictions of the model version in force when each was processed, eight
model versions with the metrics a training writes, ``--labels`` human labels by eight
labelers (first labels, quality checks, second opinions), auto-accepted labels, the tasks,
skips, adjudications and worker heartbeats that go with them. An admin then GETs every
dashboard page ``--calls`` times, cycling through three filters (the default 30 days, one
type, the last 7 days), with ``DOCSITE_DASHBOARD_CACHE_SECONDS=0`` and the cache emptied
before each call: each figure is a page built from the database. A few calls with the cache
on follow (``cached_p50_ms``). One untimed call per filter before them lists the page's
slowest SQL queries.

One JSON line goes to stdout; logs to stderr. Target (issue 7): p95 at most 1 s for every page
on each database.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.pipeline import percentile  # noqa: E402
from bench.queue import (  # noqa: E402
    DATABASES,
    _postgres_reachable,
    database_names,
    postgres_database,
    run_module_worker,
    setup_django,
)

log = logging.getLogger("bench.dashboards")

TARGET_MS = 1000.0
DAYS = 60
BATCH = 5000
CACHED_CALLS = 5
SLOWEST = 3
SQL_CHARS = 1200  # enough to see the WHERE and GROUP BY of a dashboard query
LABELERS = 8
VERSIONS = 8
# Type name -> share of the documents; the two last are created by the bench (12 in all).
TYPE_SHARES = {
    "receipt": 0.24,
    "invoice": 0.18,
    "bank_statement": 0.09,
    "letter": 0.09,
    "contract": 0.07,
    "pay_stub": 0.07,
    "form": 0.06,
    "tax_form": 0.05,
    "id_document": 0.04,
    "other": 0.04,
    "delivery_note": 0.05,
    "insurance_policy": 0.02,
}
ERRORS = (
    "The PDF is encrypted and cannot be opened.",
    "Tesseract failed: image too small to recognise.",
    "The file ended early: truncated PDF.",
    "Rendering took longer than the limit (120 s).",
    "No text found on any page.",
)
PAGES = ("overview", "automation", "model", "labeling", "drift")
DATED = (
    "classification.Document",
    "classification.Prediction",
    "classification.Label",
    "classification.ModelVersion",
    "classification.ModelEvent",
    "labeling.Task",
    "labeling.Skip",
    "labeling.Adjudication",
)


# --- Rows ------------------------------------------------------------------------------------


@contextmanager
def own_created_at() -> Iterator[None]:
    """Let bulk_create store the ``created_at`` given (spread over the days) rather than now."""
    from django.apps import apps

    fields = [apps.get_model(name)._meta.get_field("created_at") for name in DATED]
    try:
        for field in fields:
            field.auto_now_add = False
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _moment(rng: random.Random, now: datetime, days: float = DAYS) -> datetime:
    """A moment in the last ``days`` days: fewer on weekends, most in working hours."""
    while True:
        day = now - timedelta(days=rng.random() * days)
        weekend = day.weekday() >= 5
        if rng.random() < (0.35 if weekend else 1.0):
            break
    hour = min(23.99, max(0.0, rng.gauss(13, 3.5)))
    moment = day.replace(hour=int(hour), minute=int(hour % 1 * 60), second=rng.randrange(60))
    return min(moment, now - timedelta(seconds=rng.randrange(60, 3600)))


def _metrics(classes: list[str], quality: float, rng: random.Random) -> dict[str, Any]:
    """A training run's metrics, computed by the training's own functions on made-up held-out
    predictions of the given quality (share of items on which the model leans right)."""
    import numpy as np

    from classification.ml import calibration

    gen = np.random.default_rng(rng.randrange(2**32))
    n, k = 40 * len(classes), len(classes)
    labels = gen.integers(0, k, size=n)
    logits = gen.normal(0, 1, size=(n, k))
    right = gen.random(n) < quality
    logits[np.arange(n), labels] += np.where(right, gen.uniform(2, 6, n), 0.0)
    raw = calibration.softmax(logits)
    calibrated = calibration.softmax(logits, 1.3)
    routing = calibration.thresholds(calibrated, labels, classes, 0.95, 10)
    metrics = calibration.classification_metrics(calibrated, labels, classes)
    metrics.update(
        ece_before=round(calibration.ece(raw, labels), 4),
        ece=round(calibration.ece(calibrated, labels), 4),
        temperature=1.3,
        thresholds=routing,
        **calibration.auto_accept_figures(calibrated, labels, classes, routing),
        reliability=calibration.reliability(calibrated, labels),
        classes=classes,
        refit=True,
    )
    return metrics


def _versions(classes: list[str], now: datetime, rng: random.Random) -> list[Any]:
    """``VERSIONS`` model versions, one every ~8 days from before the first document; the
    last is active, one was rejected, the others retired. Oldest first."""
    from classification.models import ModelEvent, ModelVersion

    made: list[ModelVersion] = []
    events: list[ModelEvent] = []
    for i in range(VERSIONS):
        created = now - timedelta(days=DAYS + 2 - i * (DAYS / (VERSIONS - 1)))
        rejected = i == VERSIONS - 3
        state = (
            ModelVersion.State.ACTIVE
            if i == VERSIONS - 1
            else ModelVersion.State.REJECTED
            if rejected
            else ModelVersion.State.RETIRED
        )
        human = 150 + i * 2500
        version = ModelVersion(
            state=state,
            artifact_path=f"models/bench-{i}.pt",
            label_fingerprint=f"{i:064x}",
            training_args={"seed": i},
            counts={
                "human_per_class": {c: human // len(classes) for c in classes},
                "human_train": human,
                "validation": 40 * len(classes),
                "unlabeled": 5000 + i * 9000,
                "pseudo_labels": 400 + i * 300,
            },
            metrics=_metrics(classes, 0.7 + 0.03 * i, rng),
            duration_seconds=120 + 40 * i,
            reason="rejected: macro-F1 below the active version" if rejected else "",
            created_at=created,
            promoted_at=None if rejected else created + timedelta(hours=1),
            retired_at=None if state != ModelVersion.State.RETIRED else created + timedelta(days=8),
        )
        made.append(version)
    ModelVersion.objects.bulk_create(made)
    for version in made:
        events.append(
            ModelEvent(model_version=version, action="trained", created_at=version.created_at)
        )
        action = "rejected" if version.state == ModelVersion.State.REJECTED else "promoted"
        events.append(
            ModelEvent(
                model_version=version,
                action=action,
                created_at=version.created_at + timedelta(hours=1),
            )
        )
    ModelEvent.objects.bulk_create(events)
    return made


def _in_force(versions: list[Any], moment: datetime) -> Any:
    """The promoted version whose promotion came last before ``moment``."""
    found = versions[0]
    for version in versions:
        if version.promoted_at is not None and version.promoted_at <= moment:
            found = version
    return found


def _probabilities(
    top: str, confidence: float, names: list[str], rng: random.Random
) -> dict[str, float]:
    others = rng.sample([n for n in names if n != top], 2)
    rest = 1.0 - confidence
    return {
        top: round(confidence, 4),
        others[0]: round(rest * 0.7, 4),
        others[1]: round(rest * 0.3, 4),
    }


def generate(documents: int, labels: int, seed: int = 0) -> dict[str, int]:
    """Fill the database with a busy site's last 60 days (see the module's docstring); the
    rows made, per table."""
    if labels * 2 > documents:
        raise ValueError("--labels may be at most half of --documents")
    with own_created_at():
        return _generate(documents, labels, seed)


def _generate(documents: int, labels: int, seed: int) -> dict[str, int]:
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from classification.models import (
        Document,
        DocumentType,
        Label,
        Page,
        Prediction,
        WorkerHeartbeat,
    )
    from docsite import roles
    from labeling.models import Adjudication, Skip, Task

    rng = random.Random(seed)
    now = timezone.now()
    for name in TYPE_SHARES:
        DocumentType.objects.get_or_create(
            name=name, defaults={"label": name.replace("_", " ").capitalize()}
        )
    types = {t.name: t for t in DocumentType.objects.filter(name__in=TYPE_SHARES)}
    names = list(TYPE_SHARES)
    weights = list(TYPE_SHARES.values())
    labeler_group = Group.objects.get_or_create(name=roles.LABELER)[0]
    labelers = [User.objects.create_user(f"bench-labeler-{i}") for i in range(LABELERS)]
    for labeler in labelers:
        labeler.groups.add(labeler_group)
    labeler_weights = [1.0 / (i + 1) ** 0.6 for i in range(LABELERS)]
    uploader = User.objects.create_user("bench-uploader")
    versions = _versions(names, now, rng)

    # Documents: a few queued or processing (recent), some failed, the rest processed.
    n_queued = max(1, documents * 15 // 1000)
    n_processing = max(1, documents // 1000)
    n_failed = max(1, documents * 15 // 1000)
    docs: list[Document] = []
    for i in range(documents):
        if i < n_queued + n_processing:
            created = now - timedelta(seconds=rng.randrange(60, 3 * 3600))
        else:
            created = _moment(rng, now)
        docs.append(
            Document(
                sha256=f"{seed:08x}{i:056x}",
                original_name=f"generated-{i}.pdf",
                original_path=f"originals/generated-{i}.pdf",
                mime_type="application/pdf",
                size_bytes=rng.randrange(20_000, 2_000_000),
                uploaded_by=uploader,
                created_at=created,
            )
        )
    processed: list[Document] = []
    for i, doc in enumerate(docs):
        if i < n_queued:
            doc.status = Document.Status.QUEUED
            continue
        doc.attempts = 1
        doc.processing_started_at = doc.created_at + timedelta(seconds=rng.uniform(1, 90))
        if i < n_queued + n_processing:
            doc.status = Document.Status.PROCESSING
            continue
        doc.page_count = rng.choices((1, 2, 3), (0.6, 0.25, 0.15))[0]
        doc.processing_seconds = round(doc.page_count * rng.uniform(1.5, 4.0), 3)
        doc.processed_at = min(
            now, doc.processing_started_at + timedelta(seconds=doc.processing_seconds)
        )
        if i < n_queued + n_processing + n_failed:
            doc.status = Document.Status.FAILED
            doc.error_message = rng.choices(ERRORS, (0.4, 0.25, 0.2, 0.1, 0.05))[0]
            doc.page_count = 0
            continue
        processed.append(doc)

    # Who decides: auto-accepted, routed and labeled by a person, or routed and still waiting.
    n_second = labels // 20
    n_qa = labels // 50
    n_review = labels - n_second - n_qa
    n_backlog = min(len(processed) - n_review, max(1, len(processed) * 8 // 100))
    n_routed = n_review + n_backlog
    # The labeled ones lean old, the backlog new (queues drain oldest-leaning).
    routed = sorted(
        rng.sample(processed, n_routed),
        key=lambda d: (now - d.created_at).days + rng.uniform(0, 15),
        reverse=True,
    )
    reviewed, backlog = routed[:n_review], routed[n_review:]
    routed_ids = {id(d) for d in routed}
    auto = [d for d in processed if id(d) not in routed_ids]
    predicted: dict[int, str] = {}
    truth: dict[int, str] = {}
    for doc in processed:
        age = (now - doc.created_at).days
        # Drift: delivery notes grow over the last two weeks.
        shares = [
            w * (3.0 if n == "delivery_note" and age < 14 else 1.0)
            for n, w in zip(names, weights, strict=True)
        ]
        truth[id(doc)] = rng.choices(names, shares)[0]
        routed_doc = id(doc) in routed_ids
        wrong = rng.random() < (0.25 if routed_doc else 0.03)
        predicted[id(doc)] = rng.choice(names) if wrong else truth[id(doc)]
        doc.type_confidence = round(
            rng.uniform(0.3, 0.9) if routed_doc else rng.uniform(0.9, 1.0), 4
        )
        if routed_doc:
            doc.status = Document.Status.NEEDS_REVIEW
            doc.routing_reason = "The model was unsure."
        else:
            doc.status = Document.Status.CLASSIFIED
            doc.document_type = types[predicted[id(doc)]]
            doc.routing_reason = "Accepted automatically: confident enough."
    # A person's label: right most of the time; the document takes a first label's type.
    given = {
        id(doc): truth[id(doc)] if rng.random() < 0.93 else rng.choice(names) for doc in processed
    }
    for doc in reviewed:
        doc.status = Document.Status.CLASSIFIED
        doc.document_type = types[given[id(doc)]]
        doc.routing_reason = "Labeled by a person."
    for start in range(0, documents, BATCH):
        Document.objects.bulk_create(docs[start : start + BATCH])
    log.info("documents stored")

    def later(moment: datetime, mean_hours: float) -> datetime:
        return min(
            now - timedelta(seconds=5), moment + timedelta(hours=rng.expovariate(1 / mean_hours))
        )

    def bulk(model: Any, rows: list[Any]) -> None:
        for start in range(0, len(rows), BATCH):
            model.objects.bulk_create(rows[start : start + BATCH])

    pages = [
        Page(
            document=doc,
            number=n,
            image_path=f"pages/{doc.sha256}/{n}.png",
            thumbnail_path=f"pages/{doc.sha256}/{n}.thumb.png",
            width=1240,
            height=1754,
            mean_confidence=round(rng.uniform(60, 96), 2),
            render_seconds=round(rng.uniform(0.1, 0.6), 3),
            ocr_seconds=round(rng.uniform(0.8, 3.0), 3),
            save_seconds=round(rng.uniform(0.05, 0.2), 3),
        )
        for doc in processed
        for n in range(1, doc.page_count + 1)
    ]
    bulk(Page, pages)
    predictions = []
    for doc in processed:
        assert doc.processed_at is not None and doc.type_confidence is not None
        top = predicted[id(doc)]
        predictions.append(
            Prediction(
                document=doc,
                model_version=_in_force(versions, doc.processed_at),
                document_type=types[top],
                confidence=doc.type_confidence,
                probabilities=_probabilities(top, doc.type_confidence, names, rng),
                created_at=doc.processed_at,
            )
        )
    bulk(Prediction, predictions)
    log.info("%d pages, %d predictions stored", len(pages), len(predictions))

    # Labels: auto-accepted, then people's first labels, quality checks, second opinions.
    def human(doc: Document, after: datetime, second: bool = False, exclude: Any = None) -> Label:
        who = rng.choices(labelers, labeler_weights)[0]
        while who == exclude:
            who = rng.choice(labelers)
        answer = rng.choice(names) if second and rng.random() < 0.1 else given[id(doc)]
        return Label(
            document=doc,
            document_type=types[answer],
            provenance=Label.Provenance.HUMAN,
            labeled_by=who,
            seconds_spent=round(rng.lognormvariate(2.1, 0.6), 2),
            suggested_type=types[predicted[id(doc)]],
            suggestion_accepted=answer == predicted[id(doc)],
            second_opinion=second,
            created_at=later(after, 20),
        )

    auto_labels = [
        Label(
            document=doc,
            document_type=types[predicted[id(doc)]],
            provenance=Label.Provenance.AUTO,
            model_version=_in_force(versions, doc.processed_at or now),
            confidence=doc.type_confidence,
            created_at=doc.processed_at or now,
        )
        for doc in auto
    ]
    bulk(Label, auto_labels)
    firsts = [human(doc, doc.processed_at or now) for doc in reviewed]
    checked = rng.sample(auto, min(n_qa, len(auto)))
    qa_labels = [human(doc, doc.processed_at or now) for doc in checked]
    seconded = rng.sample(firsts, min(n_second, len(firsts)))
    seconds = [
        human(first.document, first.created_at, second=True, exclude=first.labeled_by)
        for first in seconded
    ]
    bulk(Label, firsts + qa_labels + seconds)
    log.info(
        "%d auto labels, %d human labels stored",
        len(auto_labels),
        len(firsts + qa_labels + seconds),
    )

    # Tasks: done reviews, the open backlog (a few claimed), checks, second opinions.
    tasks: list[Task] = []
    for label in firsts:
        tasks.append(
            Task(
                document=label.document,
                kind=Task.Kind.REVIEW,
                state=Task.State.DONE,
                priority=round(rng.random(), 6),
                claimed_by=label.labeled_by,
                claimed_at=label.created_at - timedelta(seconds=label.seconds_spent or 0),
                suggested_type=label.suggested_type,
                label=label,
                completed_by=label.labeled_by,
                completed_at=label.created_at,
                created_at=label.document.processed_at or now,
            )
        )
    for doc in backlog:
        claimed = rng.random() < 0.03
        tasks.append(
            Task(
                document=doc,
                kind=Task.Kind.REVIEW,
                priority=round(rng.random(), 6),
                claimed_by=rng.choice(labelers) if claimed else None,
                claimed_at=now - timedelta(minutes=2) if claimed else None,
                lease_until=now + timedelta(minutes=8) if claimed else None,
                suggested_type=types[predicted[id(doc)]],
                created_at=doc.processed_at or now,
            )
        )
    for label in qa_labels:
        reference = types[predicted[id(label.document)]]
        tasks.append(
            Task(
                document=label.document,
                kind=Task.Kind.QA,
                state=Task.State.DONE,
                priority=1.0,
                reference_type=reference,
                label=label,
                completed_by=label.labeled_by,
                completed_at=label.created_at,
                agreed=label.document_type_id == reference.pk,
                created_at=label.document.processed_at or now,
            )
        )
    adjudications = []
    for first, second in zip(seconded, seconds, strict=True):
        agreed = first.document_type_id == second.document_type_id
        tasks.append(
            Task(
                document=first.document,
                kind=Task.Kind.OVERLAP,
                state=Task.State.DONE,
                priority=0.5,
                exclude_user=first.labeled_by,
                reference_label=first,
                label=second,
                completed_by=second.labeled_by,
                completed_at=second.created_at,
                agreed=agreed,
                created_at=first.created_at,
            )
        )
        if not agreed:
            resolved = rng.random() < 0.6
            adjudications.append(
                Adjudication(
                    document=first.document,
                    first=first,
                    second=second,
                    resolved_type=first.document_type if resolved else None,
                    resolved_at=later(second.created_at, 24) if resolved else None,
                    created_at=second.created_at,
                )
            )
    bulk(Task, tasks)
    bulk(Adjudication, adjudications)
    skippable = [t for t in tasks if t.kind == Task.Kind.REVIEW]
    skips = [
        Skip(
            task=task,
            user=rng.choice(labelers),
            reason=rng.choice(Skip.Reason.values),
            seconds_spent=round(rng.lognormvariate(2.5, 0.7), 2),
            created_at=task.completed_at or later(task.created_at, 12),
        )
        for task in rng.sample(skippable, min(len(skippable), max(1, labels // 20)))
    ]
    bulk(Skip, skips)
    WorkerHeartbeat.objects.bulk_create(
        [
            WorkerHeartbeat(
                cluster_id=f"bench-cluster-{i}",
                name="docsite",
                host="bench",
                pid=1000 + i,
                status="Idle",
                workers=2,
                started_at=now - timedelta(days=1),
                last_seen=now - timedelta(seconds=5 if i == 0 else 3600),
            )
            for i in range(2)
        ]
    )
    return {
        "documents": len(docs),
        "pages": len(pages),
        "predictions": len(predictions),
        "human_labels": len(firsts) + len(qa_labels) + len(seconds),
        "auto_labels": len(auto_labels),
        "tasks": len(tasks),
        "open_review_tasks": len(backlog),
        "skips": len(skips),
        "adjudications": len(adjudications),
        "model_versions": len(versions),
        "document_types": len(types),
    }


# --- Timing ----------------------------------------------------------------------------------


def page_exists(slug: str) -> bool:
    from docsite.dashboards import views

    return importlib.util.find_spec(views.PAGES[slug][1]) is not None


def variants() -> dict[str, dict[str, str]]:
    """The filters each page is asked with: the default, the commonest type, the last week."""
    from django.db.models import Count
    from django.utils import timezone

    from classification.models import Document

    common = (
        Document.objects.filter(document_type__isnull=False)
        .order_by()
        .values("document_type__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("document_type__name", flat=True)
        .first()
    )
    today = timezone.localdate()
    week = {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()}
    return {"default": {}, "type": {"type": common or "invoice"}, "week": week}


def _slowest(captured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ranked = sorted(captured, key=lambda q: float(q.get("time") or 0), reverse=True)
    return [
        {"ms": round(float(q.get("time") or 0) * 1000, 1), "sql": str(q["sql"])[:SQL_CHARS]}
        for q in ranked[:SLOWEST]
    ]


def _get(client: Any, url: str, params: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.get(url, params)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def _ms(values: list[float], share: float) -> float:
    return round(percentile([v * 1000 for v in values], share) or 0.0, 1)


def measure_page(
    client: Any, slug: str, calls: int, asked: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """One page: its queries and slowest SQL (one untimed call per filter), ``calls`` timed
    uncached calls cycling through the filters (the cache emptied before each, so a page's own
    short-lived caches are rebuilt too), then a few cached ones."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    url = reverse("dashboard", args=[slug])
    queries: dict[str, int] = {}
    captured: list[dict[str, Any]] = []
    with override_settings(DOCSITE_DASHBOARD_CACHE_SECONDS=0):
        for name, params in asked.items():
            cache.clear()  # a page's own short caches too (drift's novelty table)
            with CaptureQueriesContext(connection) as seen:
                _get(client, url, params)
            queries[name] = len(seen)
            captured += seen.captured_queries
        names = list(asked)
        times: dict[str, list[float]] = {name: [] for name in names}
        for i in range(calls):
            name = names[i % len(names)]
            cache.clear()
            times[name].append(_get(client, url, asked[name]))
    everything = [t for values in times.values() for t in values]
    result: dict[str, Any] = {
        "p50_ms": _ms(everything, 0.5),
        "p95_ms": _ms(everything, 0.95),
        "max_ms": round(max(everything) * 1000, 1),
        "by_filter_p50_ms": {name: _ms(v, 0.5) for name, v in times.items() if v},
        "queries": queries,
        "slowest_queries": _slowest(captured),
    }
    with override_settings(DOCSITE_DASHBOARD_CACHE_SECONDS=60):
        _get(client, url, {})  # fills the cache
        cached = [_get(client, url, {}) for _ in range(CACHED_CALLS)]
    result["cached_p50_ms"] = _ms(cached, 0.5)
    result["met"] = result["p95_ms"] <= TARGET_MS
    return result


def measure(calls: int) -> dict[str, Any]:
    """Every dashboard page as an admin; a page whose module is not there is ``missing``, one
    that fails says its error."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from docsite import roles

    admin = User.objects.create_user("bench-admin")
    admin.groups.add(Group.objects.get_or_create(name=roles.ADMIN)[0])
    client = Client(raise_request_exception=True)
    client.force_login(admin)
    asked = variants()
    result: dict[str, Any] = {}
    for slug in PAGES:
        if not page_exists(slug):
            result[slug] = {"missing": True}
            continue
        try:
            result[slug] = measure_page(client, slug, calls, asked)
        except Exception as exc:  # a page being written may break: say how, go on
            log.exception("%s failed", slug)
            result[slug] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        log.info("%s: %s", slug, {k: v for k, v in result[slug].items() if k.endswith("_ms")})
    return result


def worker(database: str, documents: int, labels: int, calls: int, seed: int) -> dict[str, Any]:
    """Fill a fresh database and measure; ``database`` is ``sqlite`` or a PostgreSQL URL."""
    data_dir = Path(tempfile.mkdtemp(prefix="docsite-bench-dashboards-"))
    os.environ["DOCSITE_DASHBOARD_CACHE_SECONDS"] = "0"
    try:
        setup_django(data_dir, None if database == "sqlite" else database)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import setup_test_environment

        setup_test_environment(debug=False)  # lets the test client's host in
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
        rows = generate(documents, labels, seed)
        # The planner's statistics, as production has them: on PostgreSQL autovacuum gathers
        # them within a minute of a bulk load, on SQLite the hourly refresh_statistics task.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        else:
            from classification import services

            services.refresh_statistics()
        generated = time.perf_counter() - started
        log.info("%s: rows made in %.1f s: %s", connection.vendor, generated, rows)
        result = measure(calls)
        result["vendor"] = connection.vendor
        result["rows"] = rows
        result["generate_seconds"] = round(generated, 1)
        connection.close()
        return result
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# --- The parent: one child per database ------------------------------------------------------


def summarize(documents: int, labels: int, calls: int, databases: dict[str, Any]) -> dict[str, Any]:
    """The JSON line: per database and page the figures; ``met`` when every page measured
    answers within the target everywhere (a missing page is listed, not counted)."""
    missing = sorted(
        {
            slug
            for found in databases.values()
            for slug in PAGES
            if found.get(slug, {}).get("missing")
        }
    )
    verdicts = [
        found.get(slug, {}).get("met", False)
        for found in databases.values()
        for slug in PAGES
        if not found.get(slug, {}).get("missing")
    ]
    failed = any("error" in found for found in databases.values())
    return {
        "bench": "dashboards",
        "documents": documents,
        "labels": labels,
        "calls": calls,
        "databases": databases,
        "missing_pages": missing,
        "target_p95_ms": TARGET_MS,
        "met": bool(verdicts) and all(verdicts) and not failed,
        "cpu_count": os.cpu_count(),
    }


def _arguments(args: argparse.Namespace) -> list[str]:
    return [
        "--documents",
        str(args.documents),
        "--labels",
        str(args.labels),
        "--calls",
        str(args.calls),
        "--seed",
        str(args.seed),
    ]


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    if database == "sqlite":
        found = run_module_worker("bench.dashboards", "sqlite", _arguments(args))
    elif not _postgres_reachable():
        found = {"error": "PostgreSQL is not running on 127.0.0.1:5432"}
    else:
        with postgres_database("docsite_bench_dashboards") as url:
            found = run_module_worker("bench.dashboards", url, _arguments(args))
    found["seconds"] = round(time.perf_counter() - started, 1)
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000, help="documents generated")
    parser.add_argument("--labels", type=int, default=20_000, help="human labels generated")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per page")
    parser.add_argument(
        "--databases", default=",".join(DATABASES), help="comma-separated: sqlite,postgres"
    )
    parser.add_argument("--seed", type=int, default=0, help="the generated rows")
    parser.add_argument("--worker", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.calls < 1 or args.documents < 100 or not 0 < args.labels * 2 <= args.documents:
        parser.error("need --calls >= 1, --documents >= 100, 0 < --labels <= documents / 2")
    args.databases = database_names(parser, args.databases)
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    if args.worker:
        report = worker(args.worker, args.documents, args.labels, args.calls, args.seed)
    else:
        # The machine may be shared: what else ran shows in the load (cores: cpu_count).
        load = [round(v, 2) for v in os.getloadavg()]
        found = {database: run_database(database, args) for database in args.databases}
        report = summarize(args.documents, args.labels, args.calls, found)
        report["load_average_at_start"] = load
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
