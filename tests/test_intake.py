import io
import zipfile

import pytest
from PIL import Image

from classification import intake
from tests import documents

LIMITS = {"max_pages": 5, "max_pixels": 50_000_000}


def _refusal(data: bytes, **limits: int) -> intake.RejectedUpload:
    with pytest.raises(intake.RejectedUpload) as caught:
        intake.inspect(data, **{**LIMITS, **limits})
    return caught.value


def test_it_recognises_supported_types_from_content() -> None:
    assert intake.inspect(documents.png(), **LIMITS) == intake.Inspection("image/png", "png", 1)
    assert intake.inspect(documents.jpeg(), **LIMITS).mime_type == "image/jpeg"
    assert intake.inspect(documents.pdf([["a"], ["b"]]), **LIMITS) == intake.Inspection(
        "application/pdf", "pdf", 2
    )
    assert intake.inspect(documents.tiff([["a"], ["b"], ["c"]]), **LIMITS).page_count == 3


def test_it_refuses_an_empty_file() -> None:
    assert _refusal(b"").code == "empty_file"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "Windows executable"),
        (b"just some notes\n", "text file"),
    ],
)
def test_it_refuses_other_types_and_says_what_they_are(data: bytes, named: str) -> None:
    refusal = _refusal(data)
    assert refusal.code == "unsupported_type"
    assert named in refusal.message


def test_it_refuses_a_zip_whatever_its_name() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("invoice.pdf", b"%PDF-1.4")
    refusal = _refusal(buffer.getvalue())
    assert refusal.code == "unsupported_type"
    assert "ZIP" in refusal.message


@pytest.mark.parametrize("make", [documents.png, documents.jpeg])
def test_it_refuses_a_truncated_image(make) -> None:
    data = make()
    refusal = _refusal(data[: len(data) // 2])
    assert refusal.code == "truncated_image"
    assert "truncated" in refusal.message


def test_it_refuses_a_truncated_pdf() -> None:
    data = documents.pdf([["one"], ["two"]])
    assert _refusal(data[: len(data) // 2]).code == "truncated_pdf"


def test_it_refuses_a_pdf_whose_body_is_garbage() -> None:
    refusal = _refusal(b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n")
    assert refusal.code == "damaged_pdf"


def test_it_refuses_an_encrypted_pdf() -> None:
    refusal = _refusal(documents.encrypted_pdf())
    assert refusal.code == "encrypted_pdf"
    assert "password" in refusal.message


def test_it_refuses_a_pdf_over_the_page_cap() -> None:
    refusal = _refusal(documents.pdf([["p"]] * 4), max_pages=3)
    assert refusal.code == "too_many_pages"
    assert "4 pages" in refusal.message and "3" in refusal.message


def test_it_refuses_a_multipage_tiff_over_the_page_cap() -> None:
    assert _refusal(documents.tiff([["p"]] * 3), max_pages=2).code == "too_many_pages"


def test_it_refuses_an_image_over_the_pixel_limit_without_decoding_it() -> None:
    data = documents.encode(Image.new("1", (8000, 8000), 1), "PNG")
    refusal = _refusal(data, max_pixels=10_000_000)
    assert refusal.code == "image_too_large"
    assert "8000x8000" in refusal.message


def test_it_refuses_a_decompression_bomb_at_the_default_limit() -> None:
    # 400 million pixels in a few kilobytes: Pillow itself refuses it in open().
    data = documents.encode(Image.new("1", (20000, 20000), 1), "PNG")
    assert len(data) < 200_000
    assert _refusal(data, max_pixels=89_478_485).code == "image_too_large"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("<script>alert(1)</script>.pdf", "script_.pdf"),
        ("in\x00voice\x1b[31m.pdf", "invoice[31m.pdf"),
        ("  spaced   out .pdf ", "spaced out .pdf"),
        ("", "document"),
        ("..", "document"),
        ("Rechnung März.pdf", "Rechnung März.pdf"),
    ],
)
def test_it_sanitises_filenames(raw: str, expected: str) -> None:
    assert intake.sanitise_filename(raw) == expected


def test_it_shortens_long_filenames_keeping_the_extension() -> None:
    name = intake.sanitise_filename("a" * 300 + ".pdf")
    assert len(name) <= 200 and name.endswith(".pdf")
