"""Documents waiting in the labeling queue, made without the pipeline: page images with text
(``tests.documents``) and their word boxes measured from the font, so tests that need pages
and OCR words do not wait for Tesseract."""

from __future__ import annotations

import hashlib
import itertools

from django.contrib.auth.models import User
from PIL import ImageDraw

from classification import services, storage
from classification.models import Document, DocumentType, Page
from labeling import queue
from labeling.models import Task
from tests import documents

FONT_SIZE = 28
LEFT, TOP = 60, 60  # where ``documents.text_page`` starts writing
_serial = itertools.count(1)


def _words(lines: list[str], size: tuple[int, int]) -> list[dict[str, object]]:
    """Word boxes where ``documents.text_page`` draws the lines, in Tesseract's shape."""
    font = documents._font(FONT_SIZE)
    draw = ImageDraw.Draw(documents.text_page([], size=size))
    words: list[dict[str, object]] = []
    for line_number, line in enumerate(lines):
        y = TOP + int(FONT_SIZE * 1.8) * line_number
        x = float(LEFT)
        for word in line.split():
            left, top, right, bottom = draw.textbbox((x, y), word, font=font)
            words.append(
                {
                    "text": word,
                    "left": int(left),
                    "top": int(top),
                    "width": int(right - left),
                    "height": int(bottom - top),
                    "conf": 95,
                    "line": line_number,
                }
            )
            x += draw.textlength(word + " ", font=font)
    return words


def waiting_document(name: str, *pages: list[str], uploaded_by: object = None) -> Document:
    """A processed document needing review, its pages stored, with a review task."""
    serial = next(_serial)
    sha256 = hashlib.sha256(f"{name}-{serial}-{pages!r}".encode()).hexdigest()
    document = Document.objects.create(
        sha256=sha256,
        original_name=name,
        original_path=storage.original_path(sha256, "png"),
        mime_type="image/png",
        size_bytes=1,
        page_count=len(pages),
        uploaded_by=uploaded_by,  # type: ignore[misc]
        status=Document.Status.NEEDS_REVIEW,
    )
    size = (850, 1100)
    for number, lines in enumerate(pages, start=1):
        image = documents.text_page(lines, size=size, font_size=FONT_SIZE)
        folder = storage.page_dir(sha256)
        image_path, thumbnail_path = (
            f"{folder}/page-{number:04d}.png",
            f"{folder}/thumb-{number:04d}.jpg",
        )
        storage.write_atomic(image_path, documents.encode(image, "PNG"))
        thumbnail = image.copy()
        thumbnail.thumbnail((200, 200))
        storage.write_atomic(thumbnail_path, documents.encode(thumbnail.convert("RGB"), "JPEG"))
        Page.objects.create(
            document=document,
            number=number,
            image_path=image_path,
            thumbnail_path=thumbnail_path,
            width=size[0],
            height=size[1],
            ocr_words=_words(lines, size),
            text="\n".join(lines),
        )
    return document


def review_task(name: str, *pages: list[str], **kwargs: object) -> Task:
    document = waiting_document(
        name, *(pages or (["INVOICE 4711", "ACME Ltd", "Total 99.00"],)), **kwargs
    )
    task = queue.enqueue_review(document)
    assert task is not None
    return task


def second_opinion(first: User, second: User, name: str, first_type: str) -> Task:
    """A document ``first`` labeled as ``first_type``, drawn for a second opinion and now held
    by ``second``."""
    document = waiting_document(name, [name.upper()])
    label = services.assign_type(document, DocumentType.objects.get(name=first_type), first)
    Task.objects.create(
        document=document,
        kind=Task.Kind.OVERLAP,
        priority=3,
        exclude_user=first,
        reference_label=label,
    )
    task = queue.claim_next(second)
    assert task is not None and task.kind == Task.Kind.OVERLAP
    return task
