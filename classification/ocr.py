"""Tesseract, through pytesseract: the only module that runs it.

Tesseract is run single-threaded (``OMP_THREAD_LIMIT=1``): on two cores its own OpenMP threads
made a page 3-5x slower; the pipeline runs several pages at once instead.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from typing import TypedDict

import pytesseract
from PIL import Image

# pytesseract starts tesseract as a child of this process, which inherits the environment.
os.environ["OMP_THREAD_LIMIT"] = "1"


class OcrWord(TypedDict):
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    line: int


@dataclass(frozen=True)
class OcrResult:
    words: list[OcrWord]
    text: str
    mean_confidence: float | None
    seconds: float


class OcrError(Exception):
    """Tesseract failed or is not installed."""


def available() -> bool:
    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


def version() -> str:
    return str(pytesseract.get_tesseract_version())


def recognise(image: Image.Image, lang: str = "eng", timeout: int = 180) -> OcrResult:
    """OCR one page image; word boxes are in the image's pixel coordinates."""
    started = time.perf_counter()
    try:
        data = pytesseract.image_to_data(
            image,
            lang=lang,
            config="--psm 3",
            output_type=pytesseract.Output.DICT,
            timeout=timeout,
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrError("Tesseract is not installed (apt-get install tesseract-ocr)") from exc
    except (pytesseract.TesseractError, RuntimeError) as exc:
        # pytesseract raises RuntimeError on its timeout.
        raise OcrError(f"Tesseract failed: {exc}") from exc
    seconds = time.perf_counter() - started
    words = _words(data)
    return OcrResult(words, text_of(words), _mean_confidence(words), seconds)


def _words(data: dict[str, list[object]]) -> list[OcrWord]:
    words: list[OcrWord] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        conf = float(str(data["conf"][i]))
        if not text or conf < 0:
            continue
        key = (
            int(str(data["block_num"][i])),
            int(str(data["par_num"][i])),
            int(str(data["line_num"][i])),
        )
        line = line_ids.setdefault(key, len(line_ids))
        words.append(
            OcrWord(
                text=text,
                left=int(str(data["left"][i])),
                top=int(str(data["top"][i])),
                width=int(str(data["width"][i])),
                height=int(str(data["height"][i])),
                conf=round(conf, 1),
                line=line,
            )
        )
    return words


def text_of(words: list[OcrWord]) -> str:
    """The words as text: one line per OCR line, in line order."""
    lines: dict[int, list[str]] = {}
    for word in words:
        lines.setdefault(word["line"], []).append(word["text"])
    return "\n".join(" ".join(parts) for _, parts in sorted(lines.items()))


def _mean_confidence(words: list[OcrWord]) -> float | None:
    if not words:
        return None
    return round(sum(w["conf"] for w in words) / len(words), 1)
