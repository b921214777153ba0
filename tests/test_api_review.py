"""Labels (``POST /api/v1/documents/{id}/labels``) and the review queue (``/api/v1/review-queue``
next, submit, skip, release) over the API: the workbench's services and checks, its roles and
who may act on which task or document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from classification import services
from classification.models import (
    Document,
    DocumentType,
    FieldCorrection,
    FieldDefinition,
    FieldValue,
    Label,
    Prediction,
)
from labeling import queue
from labeling.models import Skip, Task
from tests.test_api_core import assert_error
from tests.workbench_documents import review_task, waiting_document

pytestmark = pytest.mark.django_db

Clients = Callable[[User], APIClient]
NEXT, SUBMIT, SKIP, RELEASE, UNDO = (
    f"/api/v1/review-queue/{action}" for action in ("next", "submit", "skip", "release", "undo")
)


def _labels(document: Document) -> str:
    return f"/api/v1/documents/{document.pk}/labels"


def _type(name: str) -> DocumentType:
    return DocumentType.objects.get(name=name)


def _predict(document: Document, probabilities: dict[str, float]) -> None:
    best = max(probabilities, key=lambda name: probabilities[name])
    Prediction.objects.create(
        document=document,
        document_type=_type(best),
        confidence=probabilities[best],
        probabilities=probabilities,
    )


# --- Labels ---------------------------------------------------------------------------------


def test_a_labeler_labels_a_waiting_document_through_its_task(
    api_client_for: Clients, labeler: User
) -> None:
    task = review_task("bill.png")
    document = task.document
    body = {
        "type": "invoice",
        "fields": {
            "total": {"value": "99.00", "page": 1, "bbox": [60, 130, 300, 170]},
            "invoice_number": "4712",
        },
    }
    response = api_client_for(labeler).post(_labels(document), body, format="json")
    assert response.status_code == 201, response.content
    answer = response.json()
    label = Label.objects.get(document=document, provenance=Label.Provenance.HUMAN)
    assert answer["id"] == label.pk and answer["type"] == "invoice" and answer["task"] == task.pk
    assert label.labeled_by == labeler and label.document_type == _type("invoice")
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.label == label and task.undo is not None
    document.refresh_from_db()
    assert document.status == Document.Status.CLASSIFIED
    total = FieldValue.objects.get(document=document, field__name="total")
    assert (total.value, total.source, total.page_number) == ("99.00", "human", 1)
    assert total.bbox == [60.0, 130.0, 300.0, 170.0]
    assert answer["fields"]["total"]["value"] == "99.00"
    # Typed, not picked: a person's value on no page (extraction had read 4711 on page 1).
    assert answer["fields"]["invoice_number"] == {
        "value": "4712",
        "page": None,
        "bbox": None,
        "source": "human",
    }


def test_fields_alone_correct_a_classified_document_under_its_type(
    api_client_for: Clients, labeler: User
) -> None:
    document = waiting_document("bill.png", ["INVOICE 1"])
    services.assign_type(document, _type("invoice"), labeler)
    response = api_client_for(labeler).post(
        _labels(document), {"fields": {"total": "12.50"}}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["task"] is None
    latest = Label.objects.filter(document=document).order_by("-pk").first()
    assert latest is not None and latest.document_type.name == "invoice"
    correction = FieldCorrection.objects.get(label=latest)
    assert (correction.field.name, correction.after) == ("total", "12.50")


def test_a_retried_label_with_its_idempotency_key_is_answered_once(
    api_client_for: Clients, labeler: User
) -> None:
    document = waiting_document("bill.png", ["INVOICE 1"])
    services.assign_type(document, _type("invoice"), labeler)
    client = api_client_for(labeler)
    body = {"type": "invoice", "fields": {"total": "12.50"}}
    headers = {"Idempotency-Key": "label-1"}
    first = client.post(_labels(document), body, format="json", headers=headers)
    again = client.post(_labels(document), body, format="json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Label.objects.filter(document=document).count() == 2  # assign_type's and the API's
    other = {"type": "invoice", "fields": {"total": "13.00"}}
    reused = client.post(_labels(document), other, format="json", headers=headers)
    assert reused.status_code == 422


def test_labeling_needs_credentials_and_the_labeler_role(
    api_client_for: Clients, uploader: User
) -> None:
    document = review_task("mine.png", uploaded_by=uploader).document
    assert_error(
        APIClient().post(_labels(document), {"type": "invoice"}, format="json"),
        401,
        "not_authenticated",
    )
    assert_error(
        api_client_for(uploader).post(_labels(document), {"type": "invoice"}, format="json"),
        403,
        "permission_denied",
    )
    assert not Label.objects.exists()


def test_a_document_the_labeler_may_not_see_is_404(
    api_client_for: Clients, labeler: User, uploader: User
) -> None:
    # Classified by the model, never in the queue, never labeled by this labeler.
    document = waiting_document("private.png", ["SECRET"], uploaded_by=uploader)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.CLASSIFIED, document_type=_type("letter")
    )
    error = assert_error(
        api_client_for(labeler).post(_labels(document), {"type": "invoice"}, format="json"),
        404,
        "not_found",
    )
    assert error["message"]
    assert not Label.objects.exists()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, "non_field_errors"),
        ({"type": "no_such_type"}, "type"),
        ({"type": "invoice", "fields": {"total": "a lot"}}, "total"),
        ({"type": "invoice", "fields": {"colour": "red"}}, "colour"),
        ({"type": "invoice", "fields": {"total": {"value": "9.00", "page": 7}}}, "total"),
        ({"type": "invoice", "fields": {"total": {"value": "9", "bbox": [1, 2, 3]}}}, "total"),
        ({"type": "invoice", "fields": {"total": 12}}, "total"),
    ],
)
def test_bad_labels_are_400_and_store_nothing(
    api_client_for: Clients, labeler: User, body: dict[str, object], where: str
) -> None:
    task = review_task("bill.png")
    error = assert_error(
        api_client_for(labeler).post(_labels(task.document), body, format="json"), 400, "invalid"
    )
    assert where in str(error["details"])
    assert not Label.objects.exists() and not FieldValue.objects.filter(source="human").exists()
    task.refresh_from_db()
    assert task.state == Task.State.OPEN and task.claimed_by is None


def test_an_inactive_type_is_refused(api_client_for: Clients, labeler: User) -> None:
    task = review_task("bill.png")
    DocumentType.objects.filter(name="receipt").update(active=False)
    error = assert_error(
        api_client_for(labeler).post(_labels(task.document), {"type": "receipt"}, format="json"),
        400,
        "invalid",
    )
    assert "not an active type" in str(error["details"])


def test_a_document_another_labeler_is_labeling_is_409(
    api_client_for: Clients, labeler: User, second_labeler: User
) -> None:
    task = review_task("bill.png")
    assert queue.claim_next(second_labeler) == task
    error = assert_error(
        api_client_for(labeler).post(_labels(task.document), {"type": "invoice"}, format="json"),
        409,
        "label_refused",
    )
    assert "Another labeler" in str(error["message"])
    assert not Label.objects.exists()


# --- The queue: next ------------------------------------------------------------------------


def test_next_claims_a_task_and_returns_what_the_workbench_shows(
    api_client_for: Clients, labeler: User
) -> None:
    task = review_task("bill.png", ["INVOICE 4711", "Total 99.00"], ["page two"])
    _predict(task.document, {"invoice": 0.7, "receipt": 0.2, "letter": 0.06, "contract": 0.04})
    before = timezone.now()
    response = api_client_for(labeler).post(NEXT)
    assert response.status_code == 200, response.content
    body = response.json()
    task.refresh_from_db()
    assert body["id"] == task.pk and task.claimed_by == labeler and body["kind"] == "review"
    assert task.lease_until is not None and task.lease_until > before + timedelta(minutes=1)
    document = body["document"]
    assert document["id"] == task.document_id and document["page_count"] == 2
    assert document["url"].endswith(f"/api/v1/documents/{task.document_id}")
    assert [p["image_url"].split("testserver")[1] for p in document["pages"]] == [
        f"/api/v1/documents/{task.document_id}/pages/{n}/image" for n in (1, 2)
    ]
    assert [(s["type"], s["probability"]) for s in body["suggestions"]] == [
        ("invoice", 0.7),
        ("receipt", 0.2),
        ("letter", 0.06),
    ]
    assert body["types"][0]["name"] == "invoice" and body["types"][0]["key"] == 1
    invoice_fields = {f["name"]: f for f in body["types"][0]["fields"]}
    expected = set(
        FieldDefinition.objects.filter(document_type__name="invoice").values_list("name", flat=True)
    )
    assert set(invoice_fields) == expected
    assert invoice_fields["total"]["kind"] == "money" and "value" in invoice_fields["total"]
    assert set(body["skip_reasons"]) == set(Skip.Reason.values)
    # Asking again returns the task held, not a second one.
    review_task("other.png")
    assert api_client_for(labeler).post(NEXT).json()["id"] == task.pk


def test_next_on_an_empty_queue_is_204(api_client_for: Clients, labeler: User) -> None:
    response = api_client_for(labeler).post(NEXT)
    assert response.status_code == 204 and response.content == b""


def test_the_queue_needs_credentials_and_the_labeler_role(
    api_client_for: Clients, uploader: User, labeler: User
) -> None:
    task = review_task("bill.png")
    for url, body in (
        (NEXT, {}),
        (SUBMIT, {"task": task.pk, "type": "invoice"}),
        (SKIP, {"task": task.pk}),
        (RELEASE, {"task": task.pk}),
    ):
        assert_error(APIClient().post(url, body, format="json"), 401, "not_authenticated")
        assert_error(
            api_client_for(uploader).post(url, body, format="json"), 403, "permission_denied"
        )
    task.refresh_from_db()
    assert task.claimed_by is None and task.state == Task.State.OPEN


# --- submit, skip, release ------------------------------------------------------------------


def test_submit_labels_the_held_task_with_its_fields(
    api_client_for: Clients, labeler: User
) -> None:
    task = review_task("bill.png")
    client = api_client_for(labeler)
    client.post(NEXT)
    receipt = _type("receipt")
    response = client.post(
        SUBMIT,
        {"task": task.pk, "type": receipt.pk, "fields": {"total": "5.00"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.completed_by == labeler
    assert task.label is not None and task.label.document_type == receipt
    assert response.json() == {
        "task": task.pk,
        "document": task.document_id,
        "label": task.label.pk,
        "type": "receipt",
        "corrections": 1,
    }
    assert FieldValue.objects.get(document=task.document, field__name="total").value == "5.00"
    # Done: a second submit is a conflict, not a second label.
    again = client.post(SUBMIT, {"task": task.pk, "type": "receipt"}, format="json")
    assert_error(again, 409, "task_not_held")
    assert Label.objects.filter(document=task.document).count() == 1


def test_undo_takes_back_the_last_label_and_the_task_is_held_again(
    api_client_for: Clients, labeler: User, second_labeler: User, uploader: User
) -> None:
    task = review_task("bill.png")
    document = task.document
    status_before = document.status
    client = api_client_for(labeler)
    assert_error(client.post(UNDO), 409, "undo_refused")  # nothing labeled yet
    client.post(NEXT)
    answer = client.post(
        SUBMIT, {"task": task.pk, "type": "receipt", "fields": {"total": "5.00"}}, format="json"
    )
    assert answer.status_code == 200, answer.content
    # Another labeler has no label to undo; an uploader may not.
    assert_error(api_client_for(second_labeler).post(UNDO), 409, "undo_refused")
    assert api_client_for(uploader).post(UNDO).status_code == 403
    response = client.post(UNDO)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["task"], body["document"], body["state"]) == (task.pk, document.pk, "claimed")
    assert body["lease_until"]
    task.refresh_from_db()
    document.refresh_from_db()
    assert task.state == Task.State.OPEN and task.claimed_by == labeler and task.label is None
    assert document.status == status_before and document.document_type is None
    assert not Label.objects.filter(document=document).exists()
    assert not FieldValue.objects.filter(document=document, field__name="total").exists()
    # Held again: the queue serves it back to this labeler, and once undone it stays undone.
    assert client.post(NEXT).json()["id"] == task.pk
    assert_error(client.post(UNDO), 409, "undo_refused")


def test_skip_and_release_give_the_task_back(
    api_client_for: Clients, labeler: User, second_labeler: User
) -> None:
    first = review_task("one.png")
    client = api_client_for(labeler)
    assert client.post(NEXT).json()["id"] == first.pk
    response = client.post(
        SKIP, {"task": first.pk, "reason": "unreadable", "note": " blurry "}, format="json"
    )
    assert response.status_code == 200 and response.json() == {
        "task": first.pk,
        "state": "skipped",
    }
    skip = Skip.objects.get(task=first)
    assert (skip.user, skip.reason, skip.note) == (labeler, "unreadable", "blurry")
    first.refresh_from_db()
    assert first.claimed_by is None and first.state == Task.State.OPEN
    # Skipped: not served to this labeler again, but to the others.
    assert client.post(NEXT).status_code == 204
    second = api_client_for(second_labeler)
    assert second.post(NEXT).json()["id"] == first.pk
    response = second.post(RELEASE, {"task": first.pk}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "released"
    first.refresh_from_db()
    assert first.claimed_by is None and first.lease_until is None


def test_another_labelers_task_is_404_and_untouched(
    api_client_for: Clients, labeler: User, second_labeler: User
) -> None:
    task = review_task("bill.png")
    assert queue.claim_next(second_labeler) == task
    client = api_client_for(labeler)
    for url, body in (
        (SUBMIT, {"task": task.pk, "type": "invoice"}),
        (SKIP, {"task": task.pk, "reason": "other"}),
        (RELEASE, {"task": task.pk}),
    ):
        assert_error(client.post(url, body, format="json"), 404, "not_found")
    assert_error(client.post(RELEASE, {"task": 999999}, format="json"), 404, "not_found")
    task.refresh_from_db()
    assert task.claimed_by == second_labeler and task.state == Task.State.OPEN
    assert not Label.objects.exists() and not Skip.objects.exists()


def test_a_task_nobody_holds_is_409(api_client_for: Clients, labeler: User) -> None:
    task = review_task("bill.png")
    error = assert_error(
        api_client_for(labeler).post(RELEASE, {"task": task.pk}, format="json"),
        409,
        "task_not_held",
    )
    assert "review-queue/next" in str(error["message"])


@pytest.mark.parametrize(
    ("url", "body", "where"),
    [
        (SUBMIT, {"type": "invoice"}, "task"),
        (SUBMIT, {"task": "x", "type": "invoice"}, "task"),
        (SUBMIT, {"task": 0}, "type"),
        (SUBMIT, {"task": 0, "type": "invoice", "fields": {"invoice_date": "32.13.2020"}}, "date"),
        (SKIP, {"task": 0, "reason": "bored"}, "reason"),
        (SKIP, {"task": 0, "note": "x" * 201}, "note"),
        (RELEASE, {}, "task"),
    ],
)
def test_bad_queue_requests_are_400_and_change_nothing(
    api_client_for: Clients, labeler: User, url: str, body: dict[str, object], where: str
) -> None:
    client = api_client_for(labeler)
    review_task("bill.png")
    task_id = client.post(NEXT).json()["id"]
    if body.get("task") == 0:
        body = {**body, "task": task_id}
    error = assert_error(client.post(url, body, format="json"), 400, "invalid")
    assert where in str(error["details"]) or where in str(error["message"])
    task = Task.objects.get(pk=task_id)
    assert task.claimed_by == labeler and task.state == Task.State.OPEN
    assert not Label.objects.exists() and not Skip.objects.exists()
