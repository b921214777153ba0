"""PP-OCR, through RapidOCR on onnxruntime: the only module that runs it.

A second reading of a scanned page for the fields made of digits (dates, amounts). Tesseract
keeps the page's words (names and addresses need its spaces); PP-OCRv4's recogniser reads
digits, points and commas far better on receipt prints, but drops the spaces between words
("25/12/20188:13:39PM"), which the parsers take into account.

The models (PP-OCRv4 detection, the v2 angle classifier and PP-OCRv4 Chinese+English
recognition, 16 MB) ship inside the ``rapidocr-onnxruntime`` wheel: nothing is downloaded.
One engine per process, created on first use, single-threaded like Tesseract
(``classification.ocr``): the pipeline runs pages in parallel instead. When the package is
missing or the engine fails, ``recognise`` returns None (logged once) and extraction keeps
Tesseract's words alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from PIL import Image

from classification.ocr import OcrWord

log = logging.getLogger(__name__)

# Bump when what ``recognise`` returns for the same image changes; stored readings of an older
# version are read again.
# 1: RapidOCR 1.4.4 defaults (PP-OCRv4 det + rec), single-threaded; words split on spaces with
#    boxes proportional to character offsets.
VERSION = 1


class _Engine(Protocol):
    def __call__(self, image: Any) -> tuple[list[Any] | None, Any]: ...


_lock = threading.Lock()
_engine: _Engine | None = None
_failed = False  # the engine could not be created: do not try (and log) again


def _load() -> _Engine | None:
    global _engine, _failed
    with _lock:
        if _engine is None and not _failed:
            try:
                from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]

                _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
            except Exception:
                _failed = True
                log.warning(
                    "PP-OCR unavailable; number fields use Tesseract's words", exc_info=True
                )
        return _engine


def available() -> bool:
    return _load() is not None


def recognise(image: Image.Image) -> list[OcrWord] | None:
    """PP-OCR's words on ``image``, boxes in its pixels; None when the engine is unavailable or
    failed on this image (logged)."""
    engine = _load()
    if engine is None:
        return None
    import numpy as np  # with the engine: a web process that never reads numbers skips it

    started = time.perf_counter()
    try:
        result, _ = engine(np.asarray(image.convert("RGB")))
    except Exception:
        log.warning("PP-OCR failed on a %dx%d page", image.width, image.height, exc_info=True)
        return None
    words = split_lines(result or [])
    log.debug("PP-OCR: %d words in %.2f s", len(words), time.perf_counter() - started)
    return words


def split_lines(lines: Sequence[Sequence[Any]]) -> list[OcrWord]:
    """RapidOCR's ``[box, text, score]`` lines as words: each line split on spaces, a word's
    box the slice of the line's box (its bounding rectangle) proportional to its characters'
    offsets, line ids by recognised line."""
    words: list[OcrWord] = []
    for line_id, (box, text, score) in enumerate(lines):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
        text = str(text)
        per_char = (right - left) / max(len(text), 1)
        position = 0
        for part in text.split():
            start = text.index(part, position)
            position = start + len(part)
            words.append(
                OcrWord(
                    text=part,
                    left=round(left + per_char * start),
                    top=round(top),
                    width=max(1, round(per_char * len(part))),
                    height=max(1, round(bottom - top)),
                    conf=round(float(score) * 100, 1),
                    line=line_id,
                )
            )
    return words


def worth_reading(words: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a page's stored words came from Tesseract: a born-digital page's words come from
    its text layer, exact, each with confidence 100 (``pipeline._read_text``)."""
    return not words or any(float(w["conf"]) < 100 for w in words)
