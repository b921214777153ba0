"""The processing of one document: render every page, OCR it, store the results.

Pages are rendered one after another (PDFium is single-threaded) and OCR'd in a thread pool:
each Tesseract is a separate single-threaded process, so threads are enough to use every core.
A born-digital PDF page is not OCR'd: its own text layer gives the words, exact and in a few
milliseconds (``rendering.usable_text_layer``); such a page's words have confidence 100, so its
``mean_confidence`` is 100, and its ``ocr_seconds`` is the time spent reading the text layer.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from django.conf import settings

from classification import learning, ocr, rendering, services, signals, storage
from classification.models import Document

log = logging.getLogger(__name__)


def process_document(document_id: int) -> str:
    """Process a document if it still needs it; returns the outcome for the task log."""
    started = time.perf_counter()
    claim = services.claim_for_processing(document_id)
    if claim is None:
        _log_step(document_id, "process", started, "skipped", reason="not queued")
        return "skipped"
    document = Document.objects.get(pk=document_id)
    work_started = time.perf_counter()
    try:
        pages = _render_and_ocr(document)
    except (rendering.RenderError, ocr.OcrError, OSError) as exc:
        return _fail(document_id, claim, str(exc), started)
    except Exception as exc:
        log.exception("document=%s unexpected error while processing", document_id)
        return _fail(document_id, claim, f"Unexpected error while processing: {exc}", started)
    if not pages:
        return _fail(document_id, claim, "The document has no pages to process.", started)
    seconds = time.perf_counter() - work_started
    if not services.finish_processing(document_id, claim, pages, seconds):
        _log_step(document_id, "process", started, "claim-lost", level=logging.WARNING)
        return "claim-lost"
    _log_step(document_id, "process", started, "done", pages=len(pages))
    classify(document_id)
    signals.send_document_changed(document_id, "processed")
    return "done"


def classify(document_id: int) -> str:
    """Route a processed document with the active model. A failure here leaves it in review
    with the reason: the pages are fine, only the model's opinion is missing."""
    started = time.perf_counter()
    try:
        outcome = learning.classify_document(document_id)
    except Exception as exc:
        log.exception("document=%s unexpected error while classifying", document_id)
        learning.mark_unclassified(document_id, f"classification failed: {exc}")
        _log_step(document_id, "classify", started, "error", level=logging.WARNING)
        return "review"
    _log_step(document_id, "classify", started, outcome)
    return outcome


def _log_step(
    document_id: int,
    step: str,
    started: float,
    outcome: str,
    level: int = logging.INFO,
    **details: object,
) -> None:
    """One line per pipeline step, the same fields in the text and in ``extra`` (which the
    JSON log format writes as fields: ``docsite.logging``)."""
    duration = round(time.perf_counter() - started, 3)
    text = f"document={document_id} step={step} duration={duration:.3f} outcome={outcome}"
    text += "".join(f" {key}={value!r}" for key, value in details.items())
    fields = {"document": document_id, "step": step, "duration": duration, "outcome": outcome}
    log.log(level, "%s", text, extra={**details, **fields})


def _fail(document_id: int, claim: datetime, message: str, started: float) -> str:
    services.mark_failed(document_id, claim, message)
    _log_step(document_id, "process", started, "failed", level=logging.WARNING, error=message[:500])
    return "failed"


def _render_and_ocr(document: Document) -> list[services.PageResult]:
    data = storage.read(document.original_path)
    options = rendering.RenderOptions(
        dpi=settings.DOCSITE_OCR_DPI,
        ocr_max_side=settings.DOCSITE_OCR_MAX_SIDE,
        max_pages=settings.DOCSITE_MAX_PAGES,
    )
    parallel = settings.DOCSITE_OCR_PARALLEL
    results: list[services.PageResult] = []
    pending: deque[Future[services.PageResult]] = deque()
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="ocr") as pool:
        pages = rendering.iter_pages(data, document.mime_type, options)
        number = from_text_layer = 0
        while True:
            render_started = time.perf_counter()
            page = next(pages, None)
            if page is None:
                break
            number += 1
            render_seconds = time.perf_counter() - render_started - page.text_seconds
            from_text_layer += page.text_layer is not None
            pending.append(
                pool.submit(_ocr_and_store, document.sha256, number, page, render_seconds)
            )
            # Bound the rendered pages held in memory while Tesseract catches up.
            while len(pending) >= 2 * parallel:
                results.append(pending.popleft().result())
        results.extend(future.result() for future in pending)
    log.info(
        "document=%s step=text pages=%d text_layer=%d ocr=%d",
        document.pk,
        number,
        from_text_layer,
        number - from_text_layer,
    )
    return results


def _read_text(page: rendering.RenderedPage) -> tuple[ocr.OcrResult, int]:
    """The page's words, from its text layer or from Tesseract, and the width of the image
    their boxes refer to."""
    layer = page.text_layer
    if layer is not None:
        confidence = 100.0 if layer.words else None
        return ocr.OcrResult(layer.words, layer.text, confidence, page.text_seconds), layer.width
    ocr_image = rendering.prepare_for_ocr(page.image, settings.DOCSITE_OCR_MIN_SIDE)
    result = ocr.recognise(
        ocr_image, lang=settings.DOCSITE_OCR_LANG, timeout=settings.DOCSITE_OCR_TIMEOUT
    )
    # A PDF page whose text layer was not good enough still cost the time to read it.
    return replace(result, seconds=result.seconds + page.text_seconds), ocr_image.width


def _ocr_and_store(
    sha256: str, number: int, page: rendering.RenderedPage, render_seconds: float
) -> services.PageResult:
    result, words_width = _read_text(page)
    image = page.image
    save_started = time.perf_counter()
    stored = rendering.fit_within(image, settings.DOCSITE_PAGE_MAX_SIDE)
    scale = stored.width / words_width
    folder = storage.page_dir(sha256)
    page_bytes, extension = rendering.encode_page(stored)
    image_path = f"{folder}/page-{number:04d}.{extension}"
    thumbnail_path = f"{folder}/thumb-{number:04d}.jpg"
    storage.write_atomic(image_path, page_bytes)
    storage.write_atomic(
        thumbnail_path, rendering.encode_thumbnail(stored, settings.DOCSITE_THUMB_MAX_SIDE)
    )
    return services.PageResult(
        number=number,
        image_path=image_path,
        thumbnail_path=thumbnail_path,
        width=stored.width,
        height=stored.height,
        words=[rendering.scale_word(word, scale) for word in result.words],
        text=result.text,
        mean_confidence=result.mean_confidence,
        render_seconds=round(render_seconds, 4),
        ocr_seconds=round(result.seconds, 4),
        save_seconds=round(time.perf_counter() - save_started, 4),
    )
