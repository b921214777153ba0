"""The upload page: many files at once, each with its own outcome; refusals change nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from classification.models import Document
from tests import documents

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _post(client, *files: SimpleUploadedFile, **extra: str):
    return client.post(reverse("upload"), {"files": list(files)}, **extra)


def test_a_mixed_upload_accepts_the_good_files_and_names_each_refusal(
    client_for,
    uploader,
    media_files,
    django_capture_on_commit_callbacks,
) -> None:
    client = client_for(uploader)
    good_png, good_pdf = documents.png(["GOOD ONE"]), documents.pdf([["GOOD TWO"]])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(
            client,
            _file("scan.png", good_png),
            _file("empty.pdf", b""),
            _file("page.html.pdf", b"<html><script>alert(1)</script></html>"),
            _file("contract.pdf", good_pdf),
            _file("again.png", good_png),
            **JSON,
        )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == [
        "accepted",
        "rejected",
        "rejected",
        "accepted",
        "duplicate",
    ]
    assert [r["code"] for r in results[1:3]] == ["empty_file", "unsupported_type"]
    assert "HTML" in results[2]["message"]
    assert results[4]["document_id"] == results[0]["document_id"]
    assert Document.objects.count() == 2
    assert len(callbacks) == 2  # one processing task per new document, after commit
    assert all(d.uploaded_by == uploader for d in Document.objects.all())
    assert len(media_files()) == 2


def test_a_refused_upload_changes_nothing(client_for, uploader, media_files) -> None:
    client = client_for(uploader)
    _post(client, _file("ok.png", documents.png()), **JSON)
    before_rows, before_files = list(Document.objects.values()), media_files()
    bad = [
        _file("truncated.pdf", documents.pdf([["x"]])[:300]),
        _file("locked.pdf", documents.encrypted_pdf()),
        _file("setup.exe", b"MZ" + b"\x00" * 200),
        _file("cut.jpg", documents.jpeg()[:500]),
    ]
    response = _post(client, *bad, **JSON)
    assert {r["outcome"] for r in response.json()["results"]} == {"rejected"}
    assert list(Document.objects.values()) == before_rows
    assert media_files() == before_files


def test_a_file_over_the_size_limit_is_refused(client_for, uploader, settings) -> None:
    settings.DOCSITE_MAX_UPLOAD_MB = 1
    big = documents.encode(documents.text_page(["BIG"], size=(1400, 1400), mode="RGB"), "TIFF")
    assert len(big) > 1024 * 1024
    result = _post(client_for(uploader), _file("big.tif", big), **JSON).json()["results"][0]
    assert result["code"] == "file_too_large" and "1 MB" in result["message"]
    assert Document.objects.count() == 0


def test_a_hostile_filename_is_stored_sanitised_and_shown_escaped(
    client_for,
    uploader,
) -> None:
    client = client_for(uploader)
    hostile = "../../<script>alert('x')</script>\x07.png"
    response = _post(client, _file(hostile, documents.png()))  # the no-JavaScript form post
    assert response.status_code == 200
    assert Document.objects.get().original_name == "script_.png"
    assert "<script>" not in response.content.decode()
    _post(client, _file("Tom & Jerry's <b>.png", documents.png(["TOM"])))
    assert Document.objects.filter(original_name="Tom & Jerry's _b_.png").exists()
    listing = client.get(reverse("documents")).content.decode()
    assert "Tom &amp; Jerry&#x27;s _b_.png" in listing
    assert "<script>alert" not in listing


def test_posting_no_files_is_a_clear_400(client_for, uploader) -> None:
    response = client_for(uploader).post(reverse("upload"), {}, **JSON)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_files"


def test_labelers_and_outsiders_cannot_upload(client_for, labeler, outsider) -> None:
    for user in (labeler, outsider):
        response = _post(client_for(user), _file("a.png", documents.png()), **JSON)
        assert response.status_code == 403
    assert Document.objects.count() == 0


def test_anonymous_visitors_are_sent_to_log_in(client) -> None:
    response = client.get(reverse("upload"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_page_offers_drag_and_drop_and_many_files(client_for, uploader) -> None:
    html = client_for(uploader).get(reverse("upload")).content.decode()
    assert 'id="dropzone"' in html and 'type="file" name="files" multiple' in html
    assert "js/upload.js" in html


def test_the_limit_is_checked_before_reading_a_large_stream(settings) -> None:
    from classification import intake, services

    settings.DOCSITE_MAX_UPLOAD_MB = 1

    class Endless(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("read past the declared size")

    with pytest.raises(intake.RejectedUpload):
        services.read_upload(Endless(), 5 * 1024 * 1024)  # type: ignore[arg-type]
