"""Labeled folders of real documents, read the way the product reads an upload, OCR cached.

A dataset folder holds ``<type>/<name>.<png|jpg|jpeg|tif|tiff|pdf>`` (see
``../shared/data/README.md``). For each document the first page is rendered and OCR'd by the
product's own code (``classification.rendering`` and ``classification.ocr``, with the product's
default resolution settings; a born-digital PDF page's words come from its text layer, as in the
pipeline), and the result is cached under ``~/.cache/docsite`` (or
``$DOCSITE_BENCH_CACHE``) by the file's content hash: the OCR words with boxes in stored-image
pixels, the text, and a grayscale copy of the page at ``ml.features.SOURCE_SIDE`` pixels, which is
where the classifier's image input starts from. A second run reads only the cache.

    .venv/bin/python -m bench.dataset --data ../shared/data/real-dev --workers 2   # warm the cache
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from classification import intake, ocr, rendering  # noqa: E402
from classification.ml import features  # noqa: E402

log = logging.getLogger("bench.dataset")

EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"}
# The product's defaults (docsite/settings.py), so the bench sees what an upload would get.
OCR_DPI = 300
OCR_MAX_SIDE = 3600
OCR_MIN_SIDE = 2000
PAGE_MAX_SIDE = 2000
# 2: a born-digital PDF's first page is read from its text layer, as the pipeline reads it
#    (``rendering.usable_text_layer``), instead of OCR'd.
CACHE_VERSION = 2


@dataclass(frozen=True)
class Item:
    path: Path
    label: str
    sha256: str


@dataclass
class PageData:
    """The first page of a document as the classifier sees it."""

    image: Image.Image  # grayscale, long side SOURCE_SIDE at most
    words: list[dict[str, Any]]
    text: str
    width: int  # of the stored page image the word boxes refer to
    height: int
    ocr_seconds: float


def cache_root() -> Path:
    default = Path.home() / ".cache" / "docsite"
    return Path(os.environ.get("DOCSITE_BENCH_CACHE", str(default)))


def list_items(folder: Path) -> list[Item]:
    """Every document under ``folder/<type>/``, sorted, with its content hash."""
    if not folder.is_dir():
        raise SystemExit(f"{folder} is not a folder")
    items = []
    for type_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(type_dir.iterdir()):
            if path.suffix.lower() in EXTENSIONS and path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                items.append(Item(path, type_dir.name, digest))
    if not items:
        raise SystemExit(f"no documents under {folder}/<type>/")
    return items


def dedupe(items: list[Item]) -> list[Item]:
    """Byte-identical files count once (the first in sorted order)."""
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.sha256 not in seen:
            seen.add(item.sha256)
            unique.append(item)
    return unique


def _paths(sha256: str) -> tuple[Path, Path]:
    folder = cache_root() / f"pages-v{CACHE_VERSION}" / sha256[:2]
    return folder / f"{sha256}-p1.json", folder / f"{sha256}-p1.png"


def load_cached(item: Item) -> PageData | None:
    meta_path, image_path = _paths(item.sha256)
    if not (meta_path.exists() and image_path.exists()):
        return None
    meta = json.loads(meta_path.read_text())
    with Image.open(image_path) as image:
        gray = image.convert("L")
    return PageData(
        gray, meta["words"], meta["text"], meta["width"], meta["height"], meta["ocr_seconds"]
    )


def first_page(item: Item) -> PageData:
    """Render and OCR the first page (or read its text layer) as the pipeline would (cached)."""
    cached = load_cached(item)
    if cached is not None:
        return cached
    data = item.path.read_bytes()
    sniffed = intake.sniff(data)
    if sniffed is None:
        raise ValueError(f"{item.path}: not a supported document")
    mime = sniffed[0]
    options = rendering.RenderOptions(dpi=OCR_DPI, ocr_max_side=OCR_MAX_SIDE, max_pages=1)
    page = next(rendering.iter_pages(data, mime, options))
    image = page.image
    if page.text_layer is not None:
        layer = page.text_layer
        result = ocr.OcrResult(layer.words, layer.text, 100.0, page.text_seconds)
        source_width = image.width
    else:
        ocr_image = rendering.prepare_for_ocr(image, OCR_MIN_SIDE)
        result = ocr.recognise(ocr_image)
        source_width = ocr_image.width
    stored = rendering.fit_within(image, PAGE_MAX_SIDE)
    scale = stored.width / source_width
    words = [rendering.scale_word(word, scale) for word in result.words]
    source = features.source_image(stored)
    meta_path, image_path = _paths(item.sha256)
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "words": words,
        "text": result.text,
        "width": stored.width,
        "height": stored.height,
        "ocr_seconds": round(result.seconds, 3),
    }
    tmp = image_path.with_suffix(".tmp.png")
    source.save(tmp, format="PNG")
    tmp.replace(image_path)
    tmp_meta = meta_path.with_suffix(".tmp")
    tmp_meta.write_text(json.dumps(meta))
    tmp_meta.replace(meta_path)
    return PageData(source, words, result.text, stored.width, stored.height, result.seconds)


def _warm(item: Item) -> float:
    started = time.perf_counter()
    first_page(item)
    return time.perf_counter() - started


def warm_cache(items: list[Item], workers: int) -> None:
    """OCR every uncached first page, ``workers`` documents at a time."""
    missing = [item for item in items if load_cached(item) is None]
    if not missing:
        return
    log.info(
        "OCR of %d first pages (%d cached) with %d workers",
        len(missing),
        len(items) - len(missing),
        workers,
    )
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, _ in enumerate(pool.map(_warm, missing, chunksize=1), start=1):
            if done % 25 == 0 or done == len(missing):
                log.info(
                    "  %d/%d pages OCR'd, %.0f s", done, len(missing), time.perf_counter() - started
                )


def split(items: list[Item], test_share: float, seed: int) -> tuple[list[Item], list[Item]]:
    """Stratified by type: about ``test_share`` of each type to test, at least one each side."""
    rng = random.Random(seed)
    by_type: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_type[item.label].append(item)
    train, test = [], []
    for label in sorted(by_type):
        group = by_type[label][:]
        rng.shuffle(group)
        n_test = min(len(group) - 1, max(1, round(len(group) * test_share)))
        test.extend(group[:n_test])
        train.extend(group[n_test:])
    return train, test


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    items = dedupe(list_items(args.data))
    warm_cache(items, args.workers)
    seconds = [load_cached(item).ocr_seconds for item in items]  # type: ignore[union-attr]
    print(json.dumps({"documents": len(items), "ocr_seconds_total": round(sum(seconds), 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
