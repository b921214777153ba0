"""The document list, a document's page, its files, and who may see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classification import services
from classification.models import Document, DocumentType, FieldDefinition, FieldValue
from tests import documents
from tests.workbench_documents import waiting_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def processed(uploader, django_capture_on_commit_callbacks) -> Document:
    with django_capture_on_commit_callbacks(execute=True):
        result = services.ingest_upload(documents.png(["INVOICE ZEBRA 77"]), "zebra.png", uploader)
    result.document.refresh_from_db()
    return result.document


def _queued(name: str, user, lines: list[str]) -> Document:
    return services.ingest_upload(documents.png(lines), name, user).document


def test_uploaders_see_only_their_own_documents(
    client_for,
    uploader,
    other_uploader,
    labeler,
    admin_user,
) -> None:
    mine = _queued("mine.png", uploader, ["MINE"])
    theirs = _queued("theirs.png", other_uploader, ["THEIRS"])
    listing = client_for(uploader).get(reverse("documents")).content.decode()
    assert "mine.png" in listing and "theirs.png" not in listing
    assert client_for(uploader).get(reverse("document", args=[theirs.pk])).status_code == 404
    assert client_for(uploader).get(reverse("document", args=[mine.pk])).status_code == 200
    everyone = client_for(admin_user).get(reverse("documents")).content.decode()
    assert "mine.png" in everyone and "theirs.png" in everyone
    # A labeler sees only the labeling queue's documents; these two are not in it yet.
    queue_only = client_for(labeler).get(reverse("documents")).content.decode()
    assert "mine.png" not in queue_only and "theirs.png" not in queue_only
    assert client_for(labeler).get(reverse("document", args=[mine.pk])).status_code == 404


def test_a_user_without_a_role_sees_no_documents(client_for, outsider, uploader) -> None:
    document = _queued("a.png", uploader, ["A"])
    client = client_for(outsider)
    assert "a.png" not in client.get(reverse("documents")).content.decode()
    assert client.get(reverse("document", args=[document.pk])).status_code == 404


def test_the_list_filters_by_status_and_type_and_searches_ocr_text(
    client_for,
    admin_user,
    processed,
) -> None:
    _queued("waiting.png", admin_user, ["WAITING"])
    client = client_for(admin_user)
    url = reverse("documents")

    def names(**params: str) -> set[str]:
        page = client.get(url, params).context["page"]
        return {d.original_name for d in page.object_list}

    assert names() == {"zebra.png", "waiting.png"}
    assert names(status="needs_review") == {"zebra.png"}
    assert names(status="queued") == {"waiting.png"}
    assert names(q="zebra") == {"zebra.png"}  # found in the OCR text, case-insensitively
    assert names(q="nothing-like-this") == set()
    invoice = DocumentType.objects.get(name="invoice")
    services.assign_type(processed, invoice, admin_user)
    assert names(type="invoice") == {"zebra.png"}
    assert names(type="none") == {"waiting.png"}


def test_the_list_polls_only_while_something_is_unfinished(
    client_for,
    admin_user,
    processed,
) -> None:
    client = client_for(admin_user)
    assert "hx-trigger" not in client.get(reverse("documents")).content.decode()
    queued = _queued("later.png", admin_user, ["LATER"])
    html = client.get(reverse("documents")).content.decode()
    assert 'hx-trigger="every 2s"' in html
    fragment = client.get(reverse("documents"), {"fragment": "rows"}, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith("<tbody")
    assert f'data-document="{queued.pk}" data-status="queued"' in fragment.content.decode()


def test_the_list_is_paginated(client_for, admin_user) -> None:
    for i in range(27):
        _queued(f"doc-{i}.png", admin_user, [f"DOC {i}"])
    client = client_for(admin_user)
    first = client.get(reverse("documents")).context["page"]
    second = client.get(reverse("documents"), {"page": 2}).context["page"]
    assert len(first.object_list) == 25 and len(second.object_list) == 2


def test_a_document_page_draws_the_ocr_boxes_over_the_page(
    client_for,
    uploader,
    processed,
) -> None:
    html = client_for(uploader).get(reverse("document", args=[processed.pk])).content.decode()
    page = processed.pages.get()
    assert reverse("page_image", args=[processed.pk, 1]) in html
    assert f'viewBox="0 0 {page.width} {page.height}"' in html
    assert html.count("<rect ") == len(page.ocr_words) > 0
    assert "Show OCR word boxes" in html
    assert "ZEBRA" in html


def test_a_document_page_shows_its_fields_and_draws_their_boxes(
    client_for, admin_user, labeler
) -> None:
    document = waiting_document("fields.png", ["INVOICE 4711", "ACME Ltd", "Total 99.00"])
    invoice = DocumentType.objects.get(name="invoice")
    label = services.assign_type(document, invoice, labeler)
    total = FieldDefinition.objects.get(document_type=invoice, name="total")
    services.correct_fields(document, label, labeler, {total: services.FieldInput("99.50")})
    rule = FieldValue.objects.get(document=document, field__name="invoice_number")
    assert rule.source == "rule" and rule.bbox and rule.page_number == 1
    response = client_for(admin_user).get(reverse("document", args=[document.pk]))
    shown = [v.field.name for v in response.context["fields"]]
    assert shown == ["vendor", "invoice_number", "total"]  # schema order
    html = response.text
    assert "<h2>Fields</h2>" in html and f"<td>{rule.value}</td>" in html
    assert '<span class="provenance provenance-human">Human</span>' in html and "99.50" in html
    assert '<a href="#page-1">p. 1</a>' in html
    [page] = response.context["pages"]
    boxed = [b.label for b in page.field_boxes]
    assert boxed == ["Vendor", "Invoice number"]  # the typed total has no place on the page
    left, top, right, bottom = rule.bbox
    size = f'width="{right - left:g}" height="{bottom - top:g}"'
    assert f'<rect x="{left:g}" y="{top:g}" {size}>' in html
    assert "<title>Invoice number</title>" in html
    # Relabeled as a letter: no fields of its own, none shown.
    services.assign_type(document, DocumentType.objects.get(name="letter"), labeler)
    html = client_for(admin_user).get(reverse("document", args=[document.pk])).text
    assert "<h2>Fields</h2>" not in html and 'class="field-boxes"' not in html


def test_page_images_and_originals_are_served_only_to_those_who_may_see_them(
    client_for,
    uploader,
    other_uploader,
    processed,
) -> None:
    owner, stranger = client_for(uploader), client_for(other_uploader)
    for name in ("page_image", "page_thumbnail"):
        url = reverse(name, args=[processed.pk, 1])
        response = owner.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] in {"image/png", "image/jpeg"}
        assert stranger.get(url).status_code == 404
    original = owner.get(reverse("document_original", args=[processed.pk]))
    assert original.status_code == 200
    assert b"".join(original.streaming_content) == documents.png(["INVOICE ZEBRA 77"])
    assert 'filename="zebra.png"' in original["Content-Disposition"]
    assert stranger.get(reverse("document_original", args=[processed.pk])).status_code == 404
    assert owner.get(reverse("page_image", args=[processed.pk, 2])).status_code == 404


def test_the_status_fragment_reloads_the_page_once_processing_ends(
    client_for,
    uploader,
    processed,
) -> None:
    response = client_for(uploader).get(
        reverse("document", args=[processed.pk]), {"fragment": "status"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"


def test_a_failed_document_shows_its_error_and_a_retry_button_to_its_uploader(
    client_for,
    uploader,
    labeler,
    django_capture_on_commit_callbacks,
) -> None:
    document = _queued("broken.png", uploader, ["BROKEN"])
    # The labeler labeled it once, so they may see it; it failed when processed again.
    services.assign_type(document, DocumentType.objects.get(name="invoice"), labeler)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.FAILED, error_message="Tesseract failed: <boom>"
    )
    html = client_for(uploader).get(reverse("document", args=[document.pk])).content.decode()
    assert "Tesseract failed: &lt;boom&gt;" in html and "Retry" in html
    assert (
        "Retry</button>"
        not in client_for(labeler).get(reverse("document", args=[document.pk])).content.decode()
    )
    refused = client_for(labeler).post(reverse("document_retry", args=[document.pk]))
    assert refused.status_code == 302
    assert Document.objects.get(pk=document.pk).status == Document.Status.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        client_for(uploader).post(reverse("document_retry", args=[document.pk]))
    # Processed again; the labeler's label stands, so it is classified as they said.
    retried = Document.objects.get(pk=document.pk)
    assert retried.document_type is not None
    assert (retried.status, retried.document_type.name) == (Document.Status.CLASSIFIED, "invoice")


def test_statuses_reports_only_visible_documents(client_for, uploader, other_uploader) -> None:
    mine = _queued("mine.png", uploader, ["MINE"])
    theirs = _queued("theirs.png", other_uploader, ["THEIRS"])
    url = reverse("document_statuses")
    body = client_for(uploader).get(url, {"ids": f"{mine.pk},{theirs.pk}"}).json()
    assert body == {
        "documents": {
            str(mine.pk): {"status": "queued", "label": "Queued", "final": False, "error": ""}
        }
    }
    bad = client_for(uploader).get(url, {"ids": "a,b"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_ids"
