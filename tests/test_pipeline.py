"""The pipeline on generated documents, with the real Tesseract."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from classification import ocr, pipeline, services, storage
from classification.models import Document
from tests import documents

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed"),
]


def _queued(data: bytes, name: str = "scan.png") -> Document:
    """Ingest without running the task, so a test can drive it: the test's transaction never
    commits, so the on-commit enqueue does not fire."""
    return services.ingest_upload(data, name, None).document


def test_it_ocrs_an_image_and_sends_it_to_review_when_there_is_no_model(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_upload(
            documents.png(["INVOICE 4711", "Total 99.00"]), "a.png", None
        ).document
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason == "no model yet"
    page = document.pages.get()
    assert "4711" in page.text
    words = {w["text"]: w for w in page.ocr_words}
    assert "INVOICE" in words
    box = words["INVOICE"]
    assert 0 <= box["left"] < page.width and 0 <= box["top"] < page.height
    assert box["width"] > 0 and box["height"] > 0 and box["conf"] > 50
    assert page.ocr_seconds > 0
    assert storage.exists(page.image_path) and storage.exists(page.thumbnail_path)
    assert document.processing_seconds is not None and document.attempts == 1


def test_it_renders_every_page_of_a_pdf_and_scales_boxes_to_the_stored_image(
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.DOCSITE_PAGE_MAX_SIDE = 800
    data = documents.pdf([["FIRST PAGE ALPHA"], ["SECOND PAGE BRAVO"], ["THIRD PAGE CHARLIE"]])
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_upload(data, "three.pdf", None).document
    document.refresh_from_db()
    pages = list(document.pages.order_by("number"))
    assert [p.number for p in pages] == [1, 2, 3]
    assert "BRAVO" in pages[1].text and "CHARLIE" in pages[2].text
    for page in pages:
        assert max(page.width, page.height) == 800
        assert all(w["left"] + w["width"] <= page.width + 1 for w in page.ocr_words)
        assert all(w["top"] + w["height"] <= page.height + 1 for w in page.ocr_words)
    assert document.page_count == 3


def test_it_reads_each_frame_of_a_multipage_tiff(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_upload(
            documents.tiff([["ONE"], ["TWO"]]), "t.tif", None
        ).document
    assert [p.text.strip() for p in document.pages.order_by("number")] == ["ONE", "TWO"]


def test_it_applies_exif_orientation(django_capture_on_commit_callbacks) -> None:
    upright = documents.text_page(["ROTATED RECEIPT"], size=(850, 500), mode="RGB")
    stored = upright.rotate(90, expand=True)  # as a phone stores it: sideways, with a tag
    exif = stored.getexif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise to view
    data = documents.encode(stored, "JPEG", exif=exif, quality=92)
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_upload(data, "phone.jpg", None).document
    page = document.pages.get()
    assert (page.width, page.height) == (850, 500)
    assert "ROTATED" in page.text


def test_a_second_run_of_the_task_changes_nothing(settings) -> None:
    document = _queued(documents.png())
    assert pipeline.process_document(document.pk) == "done"
    document.refresh_from_db()
    before = (document.status, document.processed_at, list(document.pages.values_list("pk")))
    assert pipeline.process_document(document.pk) == "skipped"
    document.refresh_from_db()
    assert (
        document.status,
        document.processed_at,
        list(document.pages.values_list("pk")),
    ) == before
    assert document.attempts == 1


def test_a_fresh_processing_claim_is_not_taken_by_another_worker(settings) -> None:
    document = _queued(documents.png())
    assert services.claim_for_processing(document.pk) is not None
    assert pipeline.process_document(document.pk) == "skipped"
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSING


def test_a_stale_processing_document_is_claimed_again(settings) -> None:
    document = _queued(documents.png())
    services.claim_for_processing(document.pk)  # the worker that took it then died
    Document.objects.filter(pk=document.pk).update(
        processing_started_at=timezone.now() - timedelta(seconds=settings.DOCSITE_TASK_TIMEOUT + 5)
    )
    assert pipeline.process_document(document.pk) == "done"
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.attempts == 2


def test_a_worker_that_lost_its_claim_does_not_overwrite_the_result(settings) -> None:
    document = _queued(documents.png())
    claim = services.claim_for_processing(document.pk)
    assert claim is not None
    Document.objects.filter(pk=document.pk).update(processing_started_at=timezone.now())
    assert not services.finish_processing(document.pk, claim, [], 1.0)
    assert not services.mark_failed(document.pk, claim, "late")
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSING and document.error_message == ""


def test_recovery_requeues_abandoned_documents_and_fails_repeat_offenders(
    settings, monkeypatch
) -> None:
    settings.DOCSITE_TASKS_SYNC = True
    old = timezone.now() - timedelta(seconds=settings.DOCSITE_TASK_TIMEOUT + 60)
    retried = _queued(documents.png(["RETRY ME"]), "a.png")
    given_up = _queued(documents.png(["GIVE UP"]), "b.png")
    fresh = _queued(documents.png(["STILL BUSY"]), "c.png")
    Document.objects.filter(pk=retried.pk).update(
        status="processing", processing_started_at=old, attempts=1
    )
    Document.objects.filter(pk=given_up.pk).update(
        status="processing", processing_started_at=old, attempts=3
    )
    Document.objects.filter(pk=fresh.pk).update(
        status="processing", processing_started_at=timezone.now(), attempts=1
    )
    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(
        services.signals, "send_document_changed", lambda pk, event: sent.append((pk, event))
    )
    assert services.recover_stale_documents() == {"failed": 1, "requeued": 1}
    statuses = dict(Document.objects.values_list("pk", "status"))
    assert statuses[retried.pk] == "needs_review"
    assert statuses[given_up.pk] == "failed"
    assert statuses[fresh.pk] == "processing"
    failed = Document.objects.get(pk=given_up.pk)
    assert "interrupted 3 times" in failed.error_message
    # Failed as a failing worker fails it: when it ended, and the webhook event.
    assert failed.processed_at is not None
    assert (given_up.pk, "failed") in sent


def test_a_failure_is_stored_readably_and_retry_processes_again(
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
) -> None:
    document = _queued(documents.png(["FLAKY"]))

    def broken(*args: object, **kwargs: object) -> None:
        raise ocr.OcrError("Tesseract failed: simulated crash")

    monkeypatch.setattr(ocr, "recognise", broken)
    assert pipeline.process_document(document.pk) == "failed"
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error_message == "Tesseract failed: simulated crash"
    assert not document.pages.exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_document(document)
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW and "FLAKY" in document.pages.get().text


def test_retry_refuses_a_document_that_has_not_failed(settings) -> None:
    document = _queued(documents.png())
    assert not services.retry_document(document)
    document.refresh_from_db()
    assert document.status == Document.Status.QUEUED


def test_a_missing_original_fails_with_a_message(settings) -> None:
    document = _queued(documents.png())
    storage.delete(document.original_path)
    assert pipeline.process_document(document.pk) == "failed"
    document.refresh_from_db()
    assert "No such file" in document.error_message


def test_the_same_bytes_uploaded_twice_are_one_document(settings) -> None:
    data = documents.png(["ONCE"])
    first = _queued(data, "first.png")
    second = services.ingest_upload(data, "second.png", None)
    assert second.outcome == "duplicate" and second.document.pk == first.pk
    assert Document.objects.count() == 1
    assert storage.original_path(first.sha256, "png") == first.original_path


def test_small_scans_are_enlarged_for_ocr_but_stored_at_their_own_size(
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.DOCSITE_OCR_MIN_SIDE = 1000
    small = documents.png(["SMALL SCAN 42"], size=(400, 500), font_size=20)
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_upload(small, "small.png", None).document
    page = document.pages.get()
    assert (page.width, page.height) == (400, 500)
    assert "SMALL" in page.text
    word = next(w for w in page.ocr_words if w["text"] == "SMALL")
    # Drawn at x=60, y=60 on the small page: the box is in stored-image pixels, not OCR ones.
    assert 50 <= word["left"] <= 70 and 50 <= word["top"] <= 75
