"""Checking an upload before anything is stored: what it is, whether we can read it, its name.

Nothing here writes to the database or the disk, so a refused file changes nothing.
The type is decided from the bytes, never from the filename or the browser's MIME type.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from classification import pdf


@dataclass(frozen=True)
class Inspection:
    mime_type: str
    extension: str
    page_count: int


class RejectedUpload(Exception):
    """An upload we refuse; ``code`` is stable for clients, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"II*\x00", "image/tiff", "tiff"),
    (b"MM\x00*", "image/tiff", "tiff"),
]

# What common unsupported files are, so the message can say so.
_KNOWN_OTHERS: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP, AVI or WAV)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
]


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mime type, extension) of a supported file, from its first bytes."""
    for signature, mime, extension in _SIGNATURES:
        if data.startswith(signature):
            return mime, extension
    if any(data.startswith(signature) for signature, _ in _KNOWN_OTHERS):
        # A ZIP holding a PDF also has "%PDF-" near its start; it is still a ZIP.
        return None
    # The PDF spec lets the header start anywhere in the first 1024 bytes.
    if b"%PDF-" in data[:1024]:
        return "application/pdf", "pdf"
    return None


def describe_unsupported(data: bytes) -> str:
    for signature, description in _KNOWN_OTHERS:
        if data.startswith(signature):
            return description
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or b"<svg" in head:
        return "an SVG image"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "an HTML page"
    if head.startswith(b"<?xml"):
        return "an XML file"
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return "a file of an unknown type"
    return "a text file"


def inspect(data: bytes, max_pages: int, max_pixels: int) -> Inspection:
    """Check that the bytes are a document we can render; raise RejectedUpload if not."""
    if not data:
        raise RejectedUpload("empty_file", "The file is empty (0 bytes).")
    sniffed = sniff(data)
    if sniffed is None:
        raise RejectedUpload(
            "unsupported_type",
            f"Not a supported document: the content is {describe_unsupported(data)}. "
            "Docsite accepts PDF, PNG, JPEG and TIFF files.",
        )
    mime, extension = sniffed
    if mime == "application/pdf":
        pages = _inspect_pdf(data, max_pages)
    else:
        pages = _inspect_image(data, max_pages, max_pixels)
    return Inspection(mime, extension, pages)


def _inspect_pdf(data: bytes, max_pages: int) -> int:
    # A PDF ends with %%EOF; PDFium repairs many truncated files silently and then renders
    # blank or partial pages, so a missing end marker is refused up front.
    if b"%%EOF" not in data[-2048:]:
        raise RejectedUpload(
            "truncated_pdf", "The PDF is truncated or damaged (it has no end-of-file marker)."
        )
    try:
        pages = pdf.inspect(data)
    except pdf.EncryptedPdfError as exc:
        raise RejectedUpload(
            "encrypted_pdf", "The PDF is encrypted with a password; upload an unlocked copy."
        ) from exc
    except pdf.PdfError as exc:
        raise RejectedUpload("damaged_pdf", f"The PDF cannot be read: {exc}.") from exc
    if pages > max_pages:
        raise RejectedUpload(
            "too_many_pages",
            f"The PDF has {pages} pages; the limit is {max_pages} (DOCSITE_MAX_PAGES).",
        )
    return pages


def _too_large(width: int, height: int, max_pixels: int) -> RejectedUpload:
    return RejectedUpload(
        "image_too_large",
        f"The image is {width}x{height} pixels ({width * height:,}); "
        f"the limit is {max_pixels:,} pixels per page.",
    )


def _inspect_image(data: bytes, max_pages: int, max_pixels: int) -> int:
    label = "image"
    try:
        # Every frame's size is checked before it is decoded, so a bomb is never inflated;
        # Pillow itself refuses images over twice Image.MAX_IMAGE_PIXELS in open().
        with Image.open(io.BytesIO(data)) as image:
            label = (image.format or "image").upper()
            frames = getattr(image, "n_frames", 1)
            if frames > max_pages:
                raise RejectedUpload(
                    "too_many_pages",
                    f"The {label} has {frames} pages; the limit is {max_pages} "
                    "(DOCSITE_MAX_PAGES).",
                )
            for index in range(frames):
                image.seek(index)
                if image.width * image.height > max_pixels:
                    raise _too_large(image.width, image.height, max_pixels)
                image.load()
            return frames
    except Image.DecompressionBombError as exc:
        raise RejectedUpload("image_too_large", f"The image is too large: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise RejectedUpload("damaged_image", "The image cannot be read: it is damaged.") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise RejectedUpload(
            "truncated_image", f"The {label} is truncated or damaged ({exc})."
        ) from exc


_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")


def sanitise_filename(name: str, fallback: str = "document") -> str:
    """A filename safe to store and show: no directories, control characters or markup."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:200]
    return name or fallback
