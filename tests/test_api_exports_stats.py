"""``GET /api/v1/exports`` (streamed CSV, JSON, JSON Lines of the documents the caller may see)
and ``GET /api/v1/stats`` (the dashboards' figures, counted by the database)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import cast

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from classification import services
from classification.models import Document, DocumentType, Label, ModelVersion
from labeling import queue
from tests.test_api_core import assert_error
from tests.test_model_views import _version

pytestmark = pytest.mark.django_db

Clients = Callable[[User], APIClient]
EXPORT, STATS = "/api/v1/exports", "/api/v1/stats"


def _document(name: str, uploader: User | None, status: str, **fields: object) -> Document:
    return Document.objects.create(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        original_name=name,
        original_path=f"originals/{name}",
        mime_type="image/png",
        size_bytes=10,
        page_count=1,
        uploaded_by=uploader,
        status=status,
        **fields,
    )


def _content(response: object) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


# --- Exports --------------------------------------------------------------------------------


def test_an_export_streams_the_callers_documents_in_each_format(
    api_client_for: Clients, uploader: User, other_uploader: User
) -> None:
    invoice = DocumentType.objects.get(name="invoice")
    mine = _document("mine.png", uploader, Document.Status.CLASSIFIED, document_type=invoice)
    _document("also-mine.png", uploader, Document.Status.FAILED)
    _document("theirs.png", other_uploader, Document.Status.CLASSIFIED)
    client = api_client_for(uploader)
    response = client.get(EXPORT, {"export_format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming and "attachment; filename=" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_content(response))))
    assert sorted(r["original_name"] for r in rows) == ["also-mine.png", "mine.png"]
    lines = _content(client.get(EXPORT, {"export_format": "jsonl", "status": "classified"}))
    parsed = [json.loads(line) for line in lines.splitlines()]
    assert [(p["id"], p["type"]) for p in parsed] == [(mine.pk, "invoice")]
    whole = json.loads(_content(client.get(EXPORT, {"export_format": "json", "type": "none"})))
    assert [d["original_name"] for d in whole] == ["also-mine.png"]


def test_csv_is_the_default_and_format_says_to_use_export_format(
    api_client_for: Clients, admin_user: User
) -> None:
    response = api_client_for(admin_user).get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    # ?format= is DRF's renderer switch elsewhere; here it is a 400 that names the parameter.
    for fmt in ("csv", "jsonl", "json"):
        response = api_client_for(admin_user).get(EXPORT, {"format": fmt})
        details = cast(dict[str, list[str]], assert_error(response, 400, "invalid")["details"])
        assert "export_format" in details["format"][0]


def test_an_account_without_a_role_exports_nothing_and_no_key_is_401(
    api_client_for: Clients, outsider: User, uploader: User
) -> None:
    _document("mine.png", uploader, Document.Status.CLASSIFIED)
    assert_error(APIClient().get(EXPORT), 401, "not_authenticated")
    rows = list(csv.reader(io.StringIO(_content(api_client_for(outsider).get(EXPORT)))))
    assert len(rows) == 1 and "original_name" in rows[0]  # the header, no document


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ({"export_format": "xlsx"}, "export_format"),
        ({"status": "lost"}, "status"),
        ({"type": "no_such_type"}, "type"),
        ({"type": "invoice\x00"}, "type"),
        ({"q": "total\x00"}, "q"),
        ({"confidence_min": "0.9"}, "confidence_min"),  # the list's, not the export's
    ],
)
def test_bad_export_queries_are_400(
    api_client_for: Clients, uploader: User, query: dict[str, str], where: str
) -> None:
    error = assert_error(api_client_for(uploader).get(EXPORT, query), 400, "invalid")
    assert list(error["details"]) == [where]  # type: ignore[call-overload]


# --- Stats ----------------------------------------------------------------------------------


def test_stats_count_documents_queue_labels_and_the_model(
    api_client_for: Clients, admin_user: User, labeler: User
) -> None:
    invoice, letter = (DocumentType.objects.get(name=n) for n in ("invoice", "letter"))
    now = timezone.now()
    auto = _document("auto.png", None, Document.Status.CLASSIFIED, document_type=invoice)
    auto_old = _document("old.png", None, Document.Status.CLASSIFIED, document_type=invoice)
    Label.objects.create(document=auto, document_type=invoice, provenance="auto")
    Label.objects.create(document=auto_old, document_type=invoice, provenance="auto")
    Document.objects.filter(pk=auto.pk).update(processed_at=now)
    Document.objects.filter(pk=auto_old.pk).update(processed_at=now - timedelta(days=40))
    waiting = [_document(f"w{i}.png", None, Document.Status.NEEDS_REVIEW) for i in range(3)]
    for document in waiting:
        queue.enqueue_review(document)
    _document("failed.png", None, Document.Status.FAILED)
    services.assign_type(waiting[0], letter, labeler)  # a person's label: not auto-accepted
    # A quality check's label on an auto-accepted document (40 days ago): still the model's
    # acceptance.
    check = Label.objects.create(document=auto_old, document_type=invoice, provenance="human")
    Label.objects.filter(pk=check.pk).update(created_at=now - timedelta(days=40))
    _version(ModelVersion.State.ACTIVE)
    with CaptureQueriesContext(connection) as queries:
        response = api_client_for(admin_user).get(STATS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["documents"]["by_status"] == {
        "queued": 0,
        "processing": 0,
        "needs_review": 2,
        "classified": 3,
        "failed": 1,
    }
    assert body["documents"]["total"] == 6
    by_type = {row["type"]: row["count"] for row in body["documents"]["by_type"]}
    assert by_type == {None: 3, "invoice": 2, "letter": 1}
    per_day = body["documents"]["processed_per_day"]
    assert len(per_day) == 30 and per_day[-1] == {
        "date": timezone.localdate().isoformat(),
        "count": 1,
    }
    assert sum(day["count"] for day in per_day) == 1  # the one 40 days ago is outside
    assert body["auto_accept"] == {"routed": 5, "auto_accepted": 2, "share": 0.4}
    queue_figures = body["queue"]
    # The labeled document's task stays open until someone claims it (then it is cancelled).
    assert queue_figures["depth"] == 3 and queue_figures["by_kind"]["review"] == 3
    assert queue_figures["claimed"] == 0 and queue_figures["oldest_waiting_seconds"] >= 0
    assert body["labels_per_day"][-1]["count"] == 1
    model = body["active_model"]
    assert (model["macro_f1"], model["ece"], model["thresholds"]["global"]) == (
        0.9121,
        0.0345,
        0.91,
    )
    # Counted in the database: a fixed number of queries, not one per document.
    assert len(queries) < 20


def test_stats_of_an_empty_site(api_client_for: Clients, admin_user: User) -> None:
    body = api_client_for(admin_user).get(STATS).json()
    assert body["documents"]["total"] == 0 and body["auto_accept"]["share"] is None
    assert body["queue"]["oldest_waiting_since"] is None and body["active_model"] is None


def test_stats_are_for_admins(api_client_for: Clients, labeler: User, uploader: User) -> None:
    assert_error(APIClient().get(STATS), 401, "not_authenticated")
    for user in (labeler, uploader):
        assert_error(api_client_for(user).get(STATS), 403, "permission_denied")
