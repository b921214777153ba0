"""PDF access through pypdfium2: the only module that imports it.

PDFium is not thread-safe, so every call into it holds one process-wide lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pypdfium2 as pdfium
from PIL import Image

_LOCK = threading.RLock()


class PdfError(Exception):
    """The bytes are not a PDF we can read."""


class EncryptedPdfError(PdfError):
    """The PDF needs a password."""


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message or "security" in message:
            raise EncryptedPdfError(str(exc)) from exc
        raise PdfError(str(exc)) from exc


def inspect(data: bytes) -> int:
    """Return the page count, after loading the first page to catch a broken body."""
    with _LOCK:
        pdf = _open(data)
        try:
            count = len(pdf)
            if count == 0:
                raise PdfError("the PDF has no pages")
            page = pdf[0]
            page.get_size()
            page.close()
            return count
        except pdfium.PdfiumError as exc:
            raise PdfError(str(exc)) from exc
        finally:
            pdf.close()


def _render(pdf: pdfium.PdfDocument, index: int, dpi: int, max_side: int) -> Image.Image:
    page = pdf[index]
    try:
        width_pt, height_pt = page.get_size()
        scale = dpi / 72.0
        longest = max(width_pt, height_pt) * scale
        if longest > max_side:
            scale *= max_side / longest
        bitmap = page.render(scale=scale, grayscale=True)
        return bitmap.to_pil().convert("L")
    except pdfium.PdfiumError as exc:
        raise PdfError(f"page {index + 1}: {exc}") from exc
    finally:
        page.close()


def iter_pages(data: bytes, dpi: int, max_side: int, limit: int) -> Iterator[Image.Image]:
    """Yield the first ``limit`` pages in grayscale at ``dpi``, scaled to fit ``max_side``.

    The lock is held per page, not across yields, so other threads can render meanwhile.
    """
    with _LOCK:
        pdf = _open(data)
    try:
        for index in range(min(len(pdf), limit)):
            with _LOCK:
                image = _render(pdf, index, dpi, max_side)
            yield image
    finally:
        with _LOCK:
            pdf.close()
