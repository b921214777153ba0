"""``/api/v1/documents``: upload (202, idempotent, all or nothing), the filtered cursor list, one
document with pages, text, prediction, fields, labels and history, its files, delete and
reprocess, each for the right people only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from classification import featurestore, pipeline, services
from classification.ml.cache import page_key
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    FieldValue,
    ModelVersion,
    Page,
    Prediction,
)
from docsite.api.models import IdempotentRequest
from labeling.models import Task
from tests import documents

pytestmark = pytest.mark.django_db

LIST = "/api/v1/documents"
ClientFor = Callable[[User], APIClient]


def _url(document_id: int, suffix: str = "") -> str:
    return f"{LIST}/{document_id}{suffix}"


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _upload(client: APIClient, *files: SimpleUploadedFile, key: str = "", **data: Any) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    for handle in files:
        handle.seek(0)
    return client.post(LIST, {"files": list(files), **data}, format="multipart", **headers)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return dict(body["error"])


def _queued(name: str, user: User | None, lines: list[str] | None = None) -> Document:
    return services.ingest_upload(documents.png(lines or [name.upper()]), name, user).document


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Upload ------------------------------------------------------------------------------


def test_an_upload_answers_202_at_once_and_the_document_then_shows_pages_and_text(
    api_client_for: ClientFor, uploader: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_client_for(uploader)
    png = documents.png(["INVOICE 4711", "Total 99.00"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, _file("scan.png", png), external_id="ERP-1", type_hint="invoice")
        # Answered before processing: the task runs after the commit.
        assert response.status_code == 202, response.content
        [answer] = response.json()["documents"]
        assert answer["outcome"] == "accepted" and answer["status"] == "queued"
    document = Document.objects.get()
    assert answer["id"] == document.pk and answer["filename"] == "scan.png"
    assert answer["status_url"] == f"http://testserver{_url(document.pk)}"
    assert document.external_id == "ERP-1" and document.type_hint is not None
    assert document.uploaded_by == uploader

    body = client.get(answer["status_url"]).json()
    assert body["status"] == "needs_review" and body["final"] and body["needs_review"]
    assert body["external_id"] == "ERP-1" and body["type_hint"] == "invoice"
    assert body["type"] is None and body["labels_hidden"] is False
    [page] = body["pages"]
    assert page["number"] == 1 and "4711" in page["text"]
    assert page["image_url"].endswith(_url(document.pk, "/pages/1/image"))
    assert [e["event"] for e in body["history"]] == ["uploaded", "processed"]
    assert body["history"][0]["by"] == uploader.username

    image = client.get(page["image_url"])
    assert image.status_code == 200 and image["Content-Type"].startswith("image/")
    assert image.getvalue()[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")
    original = client.get(body["file_url"])
    assert original.status_code == 200 and original.getvalue() == png
    assert_error(client.get(_url(document.pk, "/pages/2/image")), 404, "not_found")


def test_many_files_get_an_id_each_and_a_stored_file_answers_with_its_first_id(
    api_client_for: ClientFor, uploader: User
) -> None:
    client = api_client_for(uploader)
    png, pdf = documents.png(["ONE"]), documents.pdf([["TWO"], ["THREE"]])
    response = _upload(
        client,
        _file("one.png", png),
        _file("two.pdf", pdf),
        _file("again.png", png),
        external_id=["A-1", "A-2", "A-3"],
    )
    assert response.status_code == 202, response.content
    answers = response.json()["documents"]
    assert [a["outcome"] for a in answers] == ["accepted", "accepted", "duplicate"]
    assert [a["index"] for a in answers] == [0, 1, 2]
    assert answers[2]["id"] == answers[0]["id"] != answers[1]["id"]
    assert Document.objects.count() == 2
    # A duplicate's metadata does not overwrite the stored document's.
    assert Document.objects.get(pk=answers[0]["id"]).external_id == "A-1"
    two = Document.objects.get(pk=answers[1]["id"])
    assert two.external_id == "A-2" and two.page_count == 2 and two.mime_type == "application/pdf"


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(
    api_client_for: ClientFor, uploader: User
) -> None:
    client = api_client_for(uploader)
    scan = _file("scan.png", documents.png(["ONCE"]))
    first = _upload(client, scan, key="upload-7", external_id="X")
    again = _upload(client, scan, key="upload-7", external_id="X")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert first.json()["documents"][0]["outcome"] == "accepted"  # not "duplicate" on replay
    assert Document.objects.count() == 1 and IdempotentRequest.objects.count() == 1
    other = _file("other.png", documents.png(["OTHER"]))
    assert_error(_upload(client, other, key="upload-7"), 422, "idempotency_key_reused")
    assert_error(
        _upload(client, scan, key="upload-7", external_id="Y"), 422, "idempotency_key_reused"
    )
    assert Document.objects.count() == 1
    # Without the key, the same bytes answer as a duplicate of the first document.
    plain = _upload(client, scan).json()["documents"][0]
    assert plain["outcome"] == "duplicate" and plain["id"] == first.json()["documents"][0]["id"]


def test_bad_uploads_get_a_json_error_and_store_nothing(
    api_client_for: ClientFor, uploader: User, media_files: Any, settings: Any
) -> None:
    client = api_client_for(uploader)
    good = _file("good.png", documents.png(["GOOD"]))
    error = assert_error(client.post(LIST, {}, format="multipart"), 400, "no_files")
    assert error["details"] == {"files": ["No file was sent."]}

    html = _file("page.pdf", b"<html><script>alert(1)</script></html>")
    error = assert_error(_upload(client, good, html), 415, "unsupported_type")
    assert error["details"]["files"][0]["index"] == 1 and "HTML" in error["message"]
    error = assert_error(
        _upload(client, _file("empty.pdf", b""), _file("x.exe", b"MZ" + b"\0" * 99)),
        400,
        "empty_file",
    )
    assert [f["code"] for f in error["details"]["files"]] == ["empty_file", "unsupported_type"]

    settings.DOCSITE_MAX_UPLOAD_MB = 1
    big = _file("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 1))
    assert_error(_upload(client, good, big), 413, "file_too_large")

    settings.DOCSITE_MAX_FILES_PER_UPLOAD = 2
    three = [_file(f"{n}.png", documents.png([f"N{n}"])) for n in range(3)]
    error = assert_error(_upload(client, *three), 400, "too_many_files")
    assert error["details"] == {"max_files": 2}
    settings.DOCSITE_MAX_FILES_PER_UPLOAD = 100
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2  # Django's own cap, hit while parsing
    assert_error(_upload(client, *three), 400, "too_many_files")
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 100

    error = assert_error(_upload(client, good, type_hint="no-such-type"), 400, "invalid")
    assert "type_hint" in error["details"]
    error = assert_error(
        _upload(client, good, *three[:1], external_id=["a", "b", "c"]), 400, "invalid"
    )
    assert "external_id" in error["details"]
    # A NUL character no database keeps (PostgreSQL refused it with a 500, one file stored).
    nul: dict[str, Any] = {"external_id": ["ok", "b\x00"], "type_hint": ["", "invoice\x00"]}
    for name, values in nul.items():
        error = assert_error(_upload(client, good, *three[:1], **{name: values}), 400, "invalid")
        assert list(error["details"]) == [name]
    as_json = client.post(LIST, {"files": []}, format="json")
    assert_error(as_json, 415, "unsupported_media_type")
    assert Document.objects.count() == 0 and media_files() == []
    assert IdempotentRequest.objects.count() == 0


def test_the_same_bytes_from_another_uploader_share_the_stored_document(
    api_client_for: ClientFor, uploader: User, other_uploader: User
) -> None:
    png = documents.png(["SHARED 1"])
    first = _upload(api_client_for(uploader), _file("mine.png", png)).json()["documents"][0]
    theirs = api_client_for(other_uploader)
    again = _upload(theirs, _file("theirs.png", png)).json()["documents"][0]
    assert again["outcome"] == "duplicate" and again["id"] == first["id"]
    # They see the document the answer names (it was a 404 for them), in their list too.
    assert theirs.get(_url(first["id"])).status_code == 200
    listed = theirs.get(LIST).json()["results"]
    assert [d["id"] for d in listed] == [first["id"]]
    # Changing it stays its first uploader's.
    assert_error(theirs.delete(_url(first["id"])), 403, "permission_denied")
    assert Document.objects.filter(pk=first["id"]).exists()
    # The first uploader sending it again changes nothing.
    _upload(api_client_for(uploader), _file("mine.png", png))
    assert list(Document.objects.get().also_uploaded_by.all()) == [other_uploader]


def test_only_uploaders_and_admins_may_upload(
    api_client_for: ClientFor, labeler: User, outsider: User, admin_user: User
) -> None:
    scan = _file("scan.png", documents.png(["ROLE"]))
    assert_error(APIClient().post(LIST, {"files": [scan]}), 401, "not_authenticated")
    for user in (labeler, outsider):
        assert_error(_upload(api_client_for(user), scan), 403, "permission_denied")
    assert Document.objects.count() == 0
    assert _upload(api_client_for(admin_user), scan).status_code == 202


# --- One document ------------------------------------------------------------------------


@pytest.fixture
def labeled(uploader: User, labeler: User) -> Document:
    """A document with a prediction by a model version, a person's label and a corrected field."""
    document = _queued("labeled.png", uploader)
    Page.objects.create(
        document=document,
        number=1,
        image_path="x.png",
        thumbnail_path="t.jpg",
        width=10,
        height=10,
        text="INVOICE 77",
    )
    version = ModelVersion.objects.create(state=ModelVersion.State.ACTIVE)
    invoice = DocumentType.objects.get(name="invoice")
    Prediction.objects.create(
        document=document,
        model_version=version,
        document_type=invoice,
        confidence=0.6,
        probabilities={"invoice": 0.6, "receipt": 0.25, "letter": 0.1, "contract": 0.05},
    )
    label = services.assign_type(document, invoice, labeler)
    field = FieldDefinition.objects.filter(document_type=invoice).first()
    assert field is not None
    services.correct_fields(
        document,
        label,
        labeler,
        {field: services.FieldInput("INV-77", "INV-77", page_number=1, bbox=[1, 2, 3, 4])},
    )
    document.refresh_from_db()
    return document


def test_a_document_shows_its_prediction_fields_labels_and_history(
    api_client_for: ClientFor, uploader: User, labeler: User, labeled: Document
) -> None:
    body = api_client_for(uploader).get(_url(labeled.pk)).json()
    assert body["type"] == "invoice" and body["status"] == "classified"
    prediction = body["prediction"]
    assert prediction["model_version"] == ModelVersion.objects.get().pk
    assert [(p["type"], p["probability"]) for p in prediction["top"]] == [
        ("invoice", 0.6),
        ("receipt", 0.25),
        ("letter", 0.1),
    ]
    assert prediction["top"][0]["label"] == "Invoice"
    [label] = body["labels"]
    assert label["type"] == "invoice" and label["provenance"] == "human"
    assert label["labeled_by"] == labeler.username
    [field] = body["fields"]
    assert field["value"] == "INV-77" and field["provenance"] == "human"
    assert field["box"] == [1, 2, 3, 4] and field["page"] == 1 and field["type"] == "invoice"
    events = [e["event"] for e in body["history"]]
    assert events[0] == "uploaded"
    assert {"predicted", "labeled", "field_corrected"} <= set(events)
    assert [e["at"] for e in body["history"]] == sorted(e["at"] for e in body["history"])


def test_a_document_shows_only_the_fields_of_its_type(
    api_client_for: ClientFor, uploader: User, labeler: User, labeled: Document
) -> None:
    # Relabeled as a letter (no fields): the person's invoice value is kept, not shown.
    services.assign_type(labeled, DocumentType.objects.get(name="letter"), labeler)
    body = api_client_for(uploader).get(_url(labeled.pk)).json()
    assert body["type"] == "letter" and body["fields"] == []
    assert FieldValue.objects.filter(document=labeled, source="human").count() == 1


def test_a_labeler_holding_a_blind_check_sees_no_type_over_the_api(
    api_client_for: ClientFor, labeler: User, second_labeler: User, labeled: Document
) -> None:
    Task.objects.create(
        document=labeled, kind=Task.Kind.QA, state=Task.State.OPEN, claimed_by=second_labeler
    )
    client = api_client_for(second_labeler)
    body = client.get(_url(labeled.pk)).json()
    assert body["labels_hidden"] is True
    assert body["type"] is None and body["type_confidence"] is None
    assert body["prediction"] is None and body["labels"] == [] and body["fields"] == []
    assert {e["event"] for e in body["history"]} == {"uploaded"}
    assert _ids(client.get(LIST)) == [labeled.pk]
    assert client.get(LIST).json()["results"][0]["type"] is None
    # A type filter would tell what the check hides.
    assert _ids(client.get(LIST, {"type": "invoice"})) == []
    # ... and it is left out before paging: a page of one holds an older invoice the second
    # labeler labeled, not nothing.
    older = _queued("older.png", None)
    services.assign_type(older, DocumentType.objects.get(name="invoice"), second_labeler)
    Document.objects.filter(pk=older.pk).update(created_at=labeled.created_at - timedelta(days=1))
    page = client.get(LIST, {"type": "invoice", "page_size": "1"}).json()
    assert [row["id"] for row in page["results"]] == [older.pk] and page["next"] is None
    # The labeler who labeled it sees it all.
    assert api_client_for(labeler).get(_url(labeled.pk)).json()["type"] == "invoice"


def test_documents_are_seen_by_their_uploader_the_labeling_queue_and_admins(
    api_client_for: ClientFor,
    uploader: User,
    other_uploader: User,
    labeler: User,
    admin_user: User,
    outsider: User,
) -> None:
    mine = _queued("mine.png", uploader)
    theirs = _queued("theirs.png", other_uploader)
    client = api_client_for(uploader)
    assert _ids(client.get(LIST)) == [mine.pk]
    for path in (_url(theirs.pk), _url(theirs.pk, "/file"), _url(theirs.pk, "/pages/1/image")):
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.delete(_url(theirs.pk)), 404, "not_found")
    assert_error(client.post(_url(theirs.pk, "/reprocess")), 404, "not_found")
    assert _ids(api_client_for(admin_user).get(LIST)) == [theirs.pk, mine.pk]
    assert _ids(api_client_for(outsider).get(LIST)) == []
    # A labeler sees the queue's documents; these are in no queue yet.
    assert _ids(api_client_for(labeler).get(LIST)) == []
    Task.objects.create(document=mine, kind=Task.Kind.REVIEW)
    assert _ids(api_client_for(labeler).get(LIST)) == [mine.pk]
    assert api_client_for(labeler).get(_url(mine.pk)).status_code == 200
    for path in (LIST, _url(mine.pk), _url(mine.pk, "/file")):
        assert_error(APIClient().get(path), 401, "not_authenticated")


def test_the_uploader_or_an_admin_deletes_a_document_and_its_files(
    api_client_for: ClientFor,
    uploader: User,
    labeler: User,
    admin_user: User,
    media_files: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        mine = _queued("mine.png", uploader, ["DELETE ME"])
        other = _queued("other.png", admin_user, ["KEEP ME"])
    assert any("pages" in str(p) for p in media_files())
    files_of_other = [p for p in media_files() if other.sha256 in str(p)]
    # Processed into review: in the labeling queue, so the labeler sees it, but may not delete it.
    assert api_client_for(labeler).get(_url(mine.pk)).status_code == 200
    assert_error(api_client_for(labeler).delete(_url(mine.pk)), 403, "permission_denied")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(uploader).delete(_url(mine.pk))
    assert response.status_code == 204
    assert not Document.objects.filter(pk=mine.pk).exists()
    assert not Page.objects.filter(document_id=mine.pk).exists()
    assert media_files() == files_of_other
    assert_error(api_client_for(uploader).get(_url(mine.pk)), 404, "not_found")
    Document.objects.filter(pk=other.pk).update(status=Document.Status.PROCESSING)
    assert_error(api_client_for(admin_user).delete(_url(other.pk)), 409, "document_processing")
    Document.objects.filter(pk=other.pk).update(status=Document.Status.CLASSIFIED)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client_for(admin_user).delete(_url(other.pk)).status_code == 204
    assert Document.objects.count() == 0 and media_files() == []


def test_reprocess_queues_a_failed_document_for_its_uploader_or_an_admin(
    api_client_for: ClientFor,
    uploader: User,
    labeler: User,
    admin_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    document = _queued("broken.png", uploader, ["BROKEN 5"])
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.FAILED, error_message="Tesseract failed"
    )
    Task.objects.create(document=document, kind=Task.Kind.REVIEW)
    path = _url(document.pk, "/reprocess")
    assert_error(api_client_for(labeler).post(path), 403, "permission_denied")
    assert_error(APIClient().post(path), 401, "not_authenticated")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(uploader).post(path)
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "queued"
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW and document.error_message == ""
    Document.objects.filter(pk=document.pk).update(status=Document.Status.PROCESSING)
    error = assert_error(api_client_for(admin_user).post(path), 409, "already_processing")
    assert "processing" in error["message"]


def test_reprocessing_a_labeled_document_keeps_the_persons_type_and_values(
    api_client_for: ClientFor,
    uploader: User,
    labeler: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    document = _queued("bill.png", uploader, ["INVOICE 4711", "Total 99.00"])
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.process_document(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW and document.page_count == 1
    invoice = DocumentType.objects.get(name="invoice")
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_type(document, invoice, labeler)
    first_pages = list(document.pages.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(uploader).post(_url(document.pk, "/reprocess"))
    assert response.status_code == 202 and response.json()["status"] == "queued"
    document.refresh_from_db()
    # Rendered and read again (new page rows), and still what the person said it is.
    assert list(document.pages.values_list("pk", flat=True)) != first_pages
    assert (document.status, document.document_type) == (Document.Status.CLASSIFIED, invoice)
    assert document.labels.filter(provenance="human", labeled_by=labeler).count() == 1


# --- The list ----------------------------------------------------------------------------


def test_the_list_filters(api_client_for: ClientFor, admin_user: User) -> None:
    invoice = DocumentType.objects.get(name="invoice")
    receipt = DocumentType.objects.get(name="receipt")
    now = timezone.now()
    old = _queued("old.png", admin_user)
    sure = _queued("sure.png", admin_user)
    unsure = _queued("unsure.png", admin_user)
    failed = _queued("failed.png", admin_user)
    Document.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=10), external_id="ERP-9"
    )
    Document.objects.filter(pk=sure.pk).update(
        status=Document.Status.CLASSIFIED, document_type=invoice, type_confidence=0.97
    )
    Document.objects.filter(pk=unsure.pk).update(
        status=Document.Status.NEEDS_REVIEW, type_confidence=0.4, type_hint=receipt
    )
    Document.objects.filter(pk=failed.pk).update(status=Document.Status.FAILED)
    Page.objects.create(
        document=unsure,
        number=1,
        image_path="p.png",
        thumbnail_path="t.jpg",
        width=1,
        height=1,
        text="Payment from Zanzibar Trading",
    )
    client = api_client_for(admin_user)

    def ids(**params: str) -> set[int]:
        return set(_ids(client.get(LIST, params)))

    assert ids() == {old.pk, sure.pk, unsure.pk, failed.pk}
    assert ids(status="failed") == {failed.pk}
    assert ids(type="invoice") == {sure.pk}
    assert ids(type="none") == {old.pk, unsure.pk, failed.pk}
    assert ids(confidence_min="0.5") == {sure.pk}
    assert ids(confidence_max="0.5") == {unsure.pk}
    assert ids(confidence_min="0.3", confidence_max="0.99") == {sure.pk, unsure.pk}
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert ids(uploaded_before=yesterday) == {old.pk}
    assert ids(uploaded_after=yesterday) == {sure.pk, unsure.pk, failed.pk}
    assert ids(uploaded_after=(now - timedelta(days=11)).isoformat()) == ids()
    assert ids(external_id="ERP-9") == {old.pk}
    assert ids(needs_review="true") == {unsure.pk}
    assert ids(needs_review="false") == {old.pk, sure.pk, failed.pk}
    assert ids(q="zanzibar") == {unsure.pk}
    assert ids(q="sure.png") == {sure.pk, unsure.pk}
    assert ids(needs_review="true", q="zanzibar", confidence_max="0.5") == {unsure.pk}
    row = next(r for r in client.get(LIST).json()["results"] if r["id"] == sure.pk)
    assert row["type"] == "invoice" and row["type_confidence"] == 0.97

    for params, field in [
        ({"status": "lost"}, "status"),
        ({"type": "spaceship"}, "type"),
        ({"confidence_min": "2"}, "confidence_min"),
        ({"confidence_min": "high"}, "confidence_min"),
        ({"confidence_min": "0.9", "confidence_max": "0.1"}, "confidence_max"),
        ({"uploaded_after": "yesterday"}, "uploaded_after"),
        ({"uploaded_before": "2026-02-30"}, "uploaded_before"),
        ({"needs_review": "maybe"}, "needs_review"),
    ]:
        error = assert_error(client.get(LIST, params), 400, "invalid")
        assert field in error["details"], (params, error)


def test_cursor_pages_neither_repeat_nor_skip_while_documents_are_added(
    api_client_for: ClientFor, admin_user: User
) -> None:
    present = [_queued(f"doc-{n}.png", admin_user).pk for n in range(7)]
    client = api_client_for(admin_user)
    seen: list[int] = []
    response = client.get(LIST, {"page_size": "3"}).json()
    added = 0
    while True:
        seen += [row["id"] for row in response["results"]]
        _queued(f"new-{added}.png", admin_user)  # arrives between page fetches
        added += 1
        if not response["next"]:
            break
        response = client.get(response["next"]).json()
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in present] == sorted(present, reverse=True)
    assert set(seen) == set(present)  # the new ones are before the first page, not in between
    assert added == 3


def test_the_schema_describes_every_documents_endpoint(api_client_for: ClientFor) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths[LIST]) >= {"get", "post"}
    assert set(paths[LIST + "/{document_id}"]) >= {"get", "delete"}
    assert "post" in paths[LIST + "/{document_id}/reprocess"]
    assert "get" in paths[LIST + "/{document_id}/file"]
    assert "get" in paths[LIST + "/{document_id}/pages/{number}/image"]
    upload = paths[LIST]["post"]
    assert {"202", "400", "413", "415", "422", "401"} <= set(upload["responses"])
    params = {p["name"] for p in paths[LIST]["get"]["parameters"]}
    assert {"status", "type", "confidence_min", "uploaded_after", "needs_review", "q"} <= params


def test_a_list_page_costs_the_same_queries_for_3_rows_as_for_12(
    api_client_for: ClientFor, uploader: User
) -> None:
    client = api_client_for(uploader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST, {"page_size": "50"}).status_code == 200
        return len(captured)

    for n in range(3):
        _queued(f"a-{n}.png", uploader)
    queries()  # the token's first use also records when it was used
    few = queries()
    for n in range(9):
        _queued(f"b-{n}.png", uploader)
    assert queries() == few


def test_deleting_a_document_deletes_the_page_features_computed_from_it(
    api_client_for: ClientFor,
    uploader: User,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DOCSITE_FEATURE_CACHE = tmp_path / "features"
    mine = _queued("mine.png", uploader, ["DELETE ME"])
    other = _queued("other.png", uploader, ["KEEP ME"])
    store = featurestore.cache()
    for sha256 in (mine.sha256, other.sha256):
        for key in (page_key(sha256, 1, True), page_key(sha256, 2, False)):
            path = store._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"features")
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client_for(uploader).delete(_url(mine.pk)).status_code == 204
    left = sorted(p.name for p in (tmp_path / "features").rglob("*.npz"))
    assert left == sorted(f"{page_key(other.sha256, n, e)}.npz" for n, e in ((1, True), (2, False)))
