"""Text a client sends that ``int`` or the database cannot take ("²", a 40-digit id, a NUL
character): a 400, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classification.ids import parse_id
from classification.models import DocumentType
from labeling import queue
from tests.workbench_documents import review_task

pytestmark = pytest.mark.django_db

ODD = ["²", "٣", "9" * 40, "-1", "1.5", ""]


@pytest.mark.parametrize(
    ("text", "number"),
    [("7", 7), (" 42 ", 42), ("0", 0), ("9" * 18, int("9" * 18)), *[(t, None) for t in ODD]],
)
def test_parse_id(text: str, number: int | None) -> None:
    assert parse_id(text) == number


@pytest.mark.parametrize("odd", ODD[:3])
def test_odd_numbers_are_refused_not_errors(client_for, api_client_for, labeler, odd) -> None:
    task = review_task("odd.png")
    assert queue.claim_next(labeler) == task
    client = client_for(labeler)
    submit = reverse("task_submit", args=[task.pk])
    assert client.post(submit, {"document_type": odd}).status_code == 400
    invoice = str(DocumentType.objects.get(name="invoice").pk)
    page = client.post(
        submit, {"document_type": invoice, "field-vendor": "X", "field-vendor-page": odd}
    )
    assert page.status_code == 400
    assert client.get(reverse("document_statuses"), {"ids": odd}).status_code == 400
    api = api_client_for(labeler)
    labels = f"/api/v1/documents/{task.document_id}/labels"
    assert api.post(labels, {"type": odd}, format="json").status_code == 400
    submitted = api.post(
        "/api/v1/review-queue/submit", {"task": task.pk, "type": odd}, format="json"
    )
    assert submitted.status_code == 400


def test_an_odd_disagreement_id_is_refused(client_for, admin_user) -> None:
    response = client_for(admin_user).post(reverse("adjudications"), {"adjudication": "²"})
    assert response.status_code == 400
    assert "This disagreement does not exist" in response.text


def test_a_nul_character_in_a_field_or_a_note_is_refused(client_for, labeler) -> None:
    task = review_task("nul.png")
    assert queue.claim_next(labeler) == task
    client = client_for(labeler)
    invoice = str(DocumentType.objects.get(name="invoice").pk)
    submit = reverse("task_submit", args=[task.pk])
    refused = client.post(submit, {"document_type": invoice, "field-vendor": "AC\x00ME"})
    assert refused.status_code == 400 and "must not contain a NUL character" in refused.text
    skip = reverse("task_skip", args=[task.pk])
    refused = client.post(skip, {"reason": "other", "note": "a\x00b"})
    assert refused.status_code == 400 and "must not contain a NUL character" in refused.text
    task.refresh_from_db()
    assert task.state == task.State.OPEN and task.claimed_by == labeler


def test_a_request_django_refuses_before_any_view_is_a_json_400_under_the_api(
    api_client_for, client_for, uploader, settings
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {"external_id": [str(n) for n in range(10)]}
    response = api_client_for(uploader).post("/api/v1/documents", fields, format="multipart")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "bad_request"
    assert "too many fields" in response.json()["error"]["message"]
    # Outside the API, Django's page.
    page = client_for(uploader).post(reverse("upload"), fields)
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")
