"""PDF access through pypdfium2: the only module that imports it.

PDFium is not thread-safe, so every call into it holds one process-wide lock.

Besides rendering, a page's own text layer (born-digital PDFs carry their text) is read as
words with boxes in the pixels of the page rendered at the same resolution, in the shape
``classification.ocr`` gives OCR words, so the pipeline can use it instead of Tesseract.
"""

from __future__ import annotations

import ctypes
import math
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from classification.ocr import OcrWord, text_of

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


def _scale(page: pdfium.PdfPage, dpi: int, max_side: int) -> float:
    """Pixels per point of the rendered page: ``dpi``, less when the long side passes
    ``max_side``."""
    width_pt, height_pt = page.get_size()
    scale = dpi / 72.0
    longest = max(width_pt, height_pt) * scale
    if longest > max_side:
        scale *= max_side / longest
    return scale


def _render_page(page: pdfium.PdfPage, scale: float) -> Image.Image:
    bitmap = page.render(scale=scale, grayscale=True)
    return bitmap.to_pil().convert("L")


def _render(pdf: pdfium.PdfDocument, index: int, dpi: int, max_side: int) -> Image.Image:
    page = pdf[index]
    try:
        return _render_page(page, _scale(page, dpi, max_side))
    except pdfium.PdfiumError as exc:
        raise PdfError(f"page {index + 1}: {exc}") from exc
    finally:
        page.close()


def render_page(data: bytes, index: int, dpi: int, max_side: int) -> Image.Image:
    """One page (0-based ``index``) as ``iter_pages`` renders it."""
    with _LOCK:
        pdf = _open(data)
        try:
            return _render(pdf, index, dpi, max_side)
        finally:
            pdf.close()


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


# --------------------------------------------------------------------------------------------
# The text layer


@dataclass(frozen=True)
class TextLayer:
    """A page's own text: words with boxes in the pixels of the page rendered at the resolution
    ``iter_pages`` uses (``width`` x ``height``), ``conf`` 100, ``line`` ids in reading order."""

    words: list[OcrWord]
    text: str  # lines joined by newlines, words by spaces, as ``ocr.recognise`` writes it
    width: int
    height: int
    alnum: int  # letters and digits
    unmapped: int  # characters without a real Unicode value (private use, U+FFFD, controls)
    chars: int  # characters other than whitespace
    image_cover: float  # share of the page under image objects: a scan carrying a little text
    seconds: float


# Characters are grouped into words and lines from their positions, in units of the font's
# size on the page (the height of the characters' loose boxes): a baseline that moves by more
# than half of it, or a step back to the left, starts a new line; a gap wider than a third of
# it ends a word even without a space (PDFs often position words instead of writing spaces).
# Words far apart on one baseline stay one line, as Tesseract reads a table row.
_LINE_SHIFT = 0.5
_WORD_GAP = 0.33


@dataclass(slots=True)
class _Char:
    text: str
    box: tuple[float, float, float, float]  # tight, in device pixels: left, top, right, bottom
    baseline: float
    size: float


class _Device:
    """PDF page space to the pixels of the page rendered at ``scale``: the affine map PDFium
    renders with (page rotation and crop box included), measured once on three points."""

    def __init__(self, page: pdfium.PdfPage, scale: float) -> None:
        # The size pypdfium2's ``render`` gives the bitmap at this scale.
        self.width = math.ceil(page.get_width() * scale)
        self.height = math.ceil(page.get_height() * scale)
        span = 10000.0  # far apart, so the map's integer rounding is negligible
        ox, oy = self._point(page, 0.0, 0.0)
        ax, ay = self._point(page, span, 0.0)
        bx, by = self._point(page, 0.0, span)
        self.a, self.b = (ax - ox) / span, (ay - oy) / span  # per unit of page x
        self.c, self.d = (bx - ox) / span, (by - oy) / span  # per unit of page y
        self.ox, self.oy = ox, oy

    def _point(self, page: pdfium.PdfPage, x: float, y: float) -> tuple[float, float]:
        dx, dy = ctypes.c_int(), ctypes.c_int()
        ok = pdfium_c.FPDF_PageToDevice(page, 0, 0, self.width, self.height, 0, x, y, dx, dy)
        if not ok:
            raise PdfError("cannot map page coordinates to pixels")
        return float(dx.value), float(dy.value)

    def map(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + self.a * x + self.c * y, self.oy + self.b * x + self.d * y

    def box(
        self, left: float, bottom: float, right: float, top: float
    ) -> tuple[float, float, float, float]:
        (x1, y1), (x2, y2) = self.map(left, bottom), self.map(right, top)
        return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _unmapped(code: int, char: str) -> bool:
    category = unicodedata.category(char)
    return code == 0xFFFD or category in ("Co", "Cn", "Cs") or (category == "Cc")


def _chars(textpage: pdfium.PdfTextPage, device: _Device) -> tuple[list[_Char | None], int]:
    """The page's characters in PDFium's reading order, ``None`` for whitespace (a break)."""
    out: list[_Char | None] = []
    unmapped = 0
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    loose = pdfium_c.FS_RECTF()
    count = textpage.count_chars()
    handle = textpage.raw  # the raw handle: the wrapper's conversion costs on every call
    for index in range(count):
        code = pdfium_c.FPDFText_GetUnicode(handle, index)
        char = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if char.isspace() or char in "\u200b\ufeff":
            out.append(None)
            continue
        if _unmapped(code, char) or pdfium_c.FPDFText_HasUnicodeMapError(handle, index) == 1:
            unmapped += 1
        if not pdfium_c.FPDFText_GetCharBox(handle, index, left, right, bottom, top):
            continue
        box = device.box(left.value, bottom.value, right.value, top.value)
        if pdfium_c.FPDFText_GetLooseCharBox(handle, index, loose):
            outer = device.box(loose.left, loose.bottom, loose.right, loose.top)
            size = outer[3] - outer[1]
            if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
                box = outer  # a glyph without a tight box (broken font metrics)
        else:
            size = box[3] - box[1]
        pdfium_c.FPDFText_GetCharOrigin(handle, index, ox, oy)
        baseline = device.map(ox.value, oy.value)[1]
        out.append(_Char(char, box, baseline, max(size, 1.0)))
    return out, unmapped


def _words(chars: list[_Char | None]) -> list[OcrWord]:
    words: list[OcrWord] = []
    current: list[_Char] = []
    line = 0

    def close() -> None:
        if not current:
            return
        left = min(c.box[0] for c in current)
        top = min(c.box[1] for c in current)
        right = max(c.box[2] for c in current)
        bottom = max(c.box[3] for c in current)
        words.append(
            OcrWord(
                text="".join(c.text for c in current),
                left=round(left),
                top=round(top),
                width=max(1, round(right - left)),
                height=max(1, round(bottom - top)),
                conf=100.0,
                line=line,
            )
        )
        current.clear()

    previous: _Char | None = None
    for char in chars:
        if char is None:
            close()
            continue
        if previous is not None:
            size = max(previous.size, char.size)
            if (
                abs(char.baseline - previous.baseline) > _LINE_SHIFT * size
                or char.box[0] < previous.box[0] - _LINE_SHIFT * size  # back to the left
            ):
                close()
                if words and words[-1]["line"] == line:
                    line += 1
            elif char.box[0] - previous.box[2] > _WORD_GAP * size:
                close()
        current.append(char)
        previous = char
    close()
    return words


def _image_boxes(
    parent: object, count: Callable[..., int], get: Callable[..., object]
) -> Iterator[tuple[float, float, float, float]]:
    """Page-space bounds of the image objects under ``parent`` (a page or a form object),
    through the raw API: the object wrappers cost a millisecond per hundred text objects."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for index in range(count(parent)):
        obj = get(parent, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            yield from _image_boxes(
                obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject
            )
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE and pdfium_c.FPDFPageObj_GetBounds(
            obj, left, bottom, right, top
        ):
            yield left.value, bottom.value, right.value, top.value


def _image_cover(page: pdfium.PdfPage, device: _Device) -> float:
    """The share of the rendered page that image objects cover (overlaps counted twice)."""
    area = 0.0
    boxes = _image_boxes(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject)
    for box in boxes:
        left, top, right, bottom = device.box(*box)
        width = max(0.0, min(right, device.width) - max(left, 0.0))
        height = max(0.0, min(bottom, device.height) - max(top, 0.0))
        area += width * height
    return min(1.0, area / max(device.width * device.height, 1))


def _text_layer(page: pdfium.PdfPage, scale: float) -> TextLayer:
    started = time.perf_counter()
    device = _Device(page, scale)
    textpage = page.get_textpage()
    try:
        chars, unmapped = _chars(textpage, device)
    finally:
        textpage.close()
    words = _words(chars)
    present = [c for c in chars if c is not None]
    return TextLayer(
        words=words,
        text=text_of(words),
        width=device.width,
        height=device.height,
        alnum=sum(c.text.isalnum() for c in present),
        unmapped=unmapped,
        chars=len(present),
        image_cover=round(_image_cover(page, device), 3),
        seconds=time.perf_counter() - started,
    )


def _page_with_text(
    pdf: pdfium.PdfDocument, index: int, dpi: int, max_side: int, render: bool
) -> tuple[Image.Image | None, TextLayer]:
    page = pdf[index]
    try:
        scale = _scale(page, dpi, max_side)
        layer = _text_layer(page, scale)
        return (_render_page(page, scale) if render else None), layer
    except pdfium.PdfiumError as exc:
        raise PdfError(f"page {index + 1}: {exc}") from exc
    finally:
        page.close()


def iter_pages_with_text(
    data: bytes, dpi: int, max_side: int, limit: int
) -> Iterator[tuple[Image.Image, TextLayer]]:
    """``iter_pages`` with each page's text layer, its boxes in the rendered image's pixels."""
    with _LOCK:
        pdf = _open(data)
    try:
        for index in range(min(len(pdf), limit)):
            with _LOCK:
                image, layer = _page_with_text(pdf, index, dpi, max_side, render=True)
            assert image is not None
            yield image, layer
    finally:
        with _LOCK:
            pdf.close()


def iter_text_layers(data: bytes, dpi: int, max_side: int, limit: int) -> Iterator[TextLayer]:
    """The text layers of the first ``limit`` pages without rendering them (a few ms a page):
    boxes in the pixels the page would have when rendered at ``dpi`` within ``max_side``."""
    with _LOCK:
        pdf = _open(data)
    try:
        for index in range(min(len(pdf), limit)):
            with _LOCK:
                _, layer = _page_with_text(pdf, index, dpi, max_side, render=False)
            yield layer
    finally:
        with _LOCK:
            pdf.close()
