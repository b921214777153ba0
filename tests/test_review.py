"""The basic review queue: documents that need a person, and assigning a type."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classification import services
from classification.models import Document, DocumentType, Label
from tests import documents

pytestmark = pytest.mark.django_db


def _needing_review(name: str) -> Document:
    document = services.ingest_upload(documents.png([name.upper()]), name, None).document
    Document.objects.filter(pk=document.pk).update(status=Document.Status.NEEDS_REVIEW)
    document.refresh_from_db()
    return document


def test_the_queue_lists_documents_needing_review_oldest_first(client_for, labeler) -> None:
    first, second = _needing_review("first.png"), _needing_review("second.png")
    services.ingest_upload(documents.png(["QUEUED"]), "queued.png", None)
    page = client_for(labeler).get(reverse("queue")).context["page"]
    assert [d.pk for d in page.object_list] == [first.pk, second.pk]


def test_assigning_a_type_stores_a_human_label_and_moves_to_the_next(
    client_for,
    labeler,
) -> None:
    first, second = _needing_review("first.png"), _needing_review("second.png")
    receipt = DocumentType.objects.get(name="receipt")
    response = client_for(labeler).post(
        reverse("review", args=[first.pk]), {"document_type": receipt.pk}
    )
    assert response.status_code == 302 and response.url == reverse("review", args=[second.pk])
    first.refresh_from_db()
    assert first.status == Document.Status.CLASSIFIED and first.document_type == receipt
    label = Label.objects.get(document=first)
    assert (label.provenance, label.labeled_by, label.document_type) == ("human", labeler, receipt)
    queue = client_for(labeler).get(reverse("queue")).context["page"]
    assert [d.pk for d in queue.object_list] == [second.pk]


def test_the_last_label_returns_to_the_empty_queue(client_for, labeler) -> None:
    only = _needing_review("only.png")
    invoice = DocumentType.objects.get(name="invoice")
    response = client_for(labeler).post(
        reverse("review", args=[only.pk]), {"document_type": invoice.pk}
    )
    assert response.url == reverse("queue")
    assert "Nothing needs review" in client_for(labeler).get(reverse("queue")).content.decode()


@pytest.mark.parametrize("bad", ["", "abc", "999999", "-1"])
def test_an_invalid_type_is_a_400_and_stores_nothing(client_for, labeler, bad: str) -> None:
    document = _needing_review("x.png")
    response = client_for(labeler).post(
        reverse("review", args=[document.pk]), {"document_type": bad}
    )
    assert response.status_code == 400
    assert "Choose one of the document types" in response.content.decode()
    assert not Label.objects.exists()
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW


def test_an_inactive_type_cannot_be_chosen(client_for, labeler) -> None:
    document = _needing_review("x.png")
    retired = DocumentType.objects.create(name="fax", label="Fax", active=False)
    response = client_for(labeler).post(
        reverse("review", args=[document.pk]), {"document_type": retired.pk}
    )
    assert response.status_code == 400 and not Label.objects.exists()


def test_a_document_still_processing_cannot_be_labeled(client_for, labeler) -> None:
    document = services.ingest_upload(documents.png(["BUSY"]), "busy.png", None).document
    invoice = DocumentType.objects.get(name="invoice")
    response = client_for(labeler).post(
        reverse("review", args=[document.pk]), {"document_type": invoice.pk}
    )
    assert response.status_code == 400 and "cannot be labeled now" in response.content.decode()
    assert not Label.objects.exists()


def test_only_labelers_and_admins_reach_the_queue(
    client_for,
    labeler,
    admin_user,
    uploader,
    outsider,
) -> None:
    document = _needing_review("x.png")
    for user, allowed in (
        (labeler, True),
        (admin_user, True),
        (uploader, False),
        (outsider, False),
    ):
        client = client_for(user)
        expected = 200 if allowed else 403
        assert client.get(reverse("queue")).status_code == expected
        assert client.get(reverse("review", args=[document.pk])).status_code == expected


def test_seeded_types_exist() -> None:
    names = set(DocumentType.objects.values_list("name", flat=True))
    assert names >= {
        "invoice",
        "receipt",
        "bank_statement",
        "pay_stub",
        "contract",
        "tax_form",
        "id_document",
        "letter",
        "form",
        "other",
    }
