"""Corpus driver: one sub-seed per (seed, type, index), render, scan, write."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from . import artefacts
from .doctypes import REGISTRY
from .doctypes.common import NOMINAL_PX_PER_MM, DocContext, Document, geometry, random_theme
from .locales import LOCALES
from .writer import PDF_PRODUCERS, write_pages, write_sidecar

CORPUS_TYPES: tuple[str, ...] = tuple(REGISTRY)
GRAYSCALE_SHARE = 0.4
SMALL_PAGE_SIZE = (566, 800)  # A4 ratio, ~800 px long side: fast test corpora


@dataclass
class Rendered:
    """A finished document: scanned pages plus everything the sidecar records."""

    doc_type: str
    document: Document
    pages: list[Image.Image]
    locale: str
    dpi: float
    seed: int


def sub_seed(seed: int, doc_type: str, index: int) -> int:
    """Stable across processes and Python versions (unlike ``hash()``), and independent per
    document, so generating a subset of types yields the same files as a full run."""
    digest = hashlib.sha256(f"{seed}:{doc_type}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _context(rng: random.Random, doc_type: str, page_size: tuple[int, int] | None) -> DocContext:
    spec = REGISTRY[doc_type]
    locale = LOCALES[rng.choice(spec.locales)]
    page_px, k = geometry(locale.paper, page_size)
    return DocContext(
        rng=rng,
        locale=locale,
        theme=random_theme(rng, spec.font_sizes),
        px_per_mm=k,
        page_px=page_px,
        money=rng.choice(locale.money_styles),
        date_style=rng.choice(locale.date_styles),
        margin=rng.choice((16.0, 18.0, 20.0, 22.0)),
    )


def render_document(
    doc_type: str, seed: int, index: int, page_size: tuple[int, int] | None = None
) -> Rendered:
    """Render one document (no file I/O); the same arguments always give the same pixels."""
    doc_seed = sub_seed(seed, doc_type, index)
    rng = random.Random(doc_seed)
    ctx = _context(rng, doc_type, page_size)
    document = REGISTRY[doc_type].build(ctx)
    profile = artefacts.random_profile(rng)
    gray = rng.random() < GRAYSCALE_SHARE
    scale = ctx.px_per_mm / NOMINAL_PX_PER_MM
    pages = []
    for i, page in enumerate(document.pages):
        img = page.convert("L") if gray else page
        pages.append(artefacts.apply(img, profile, i, scale))
    return Rendered(doc_type, document, pages, ctx.locale.code, ctx.px_per_mm * 25.4, doc_seed)


def _meta(r: Rendered) -> dict[str, Any]:
    return {
        "doc_type": r.doc_type,
        "template": r.document.template,
        "locale": r.locale,
        "pages": len(r.pages),
        "format": r.document.fmt,
        "seed": r.seed,
    }


def write_rendered(r: Rendered, folder: Path, stem: str) -> Path:
    """Write the document file and its json sidecar; returns the document path."""
    issued = dt.datetime.combine(r.document.issued, dt.time(9, 0)) + dt.timedelta(
        minutes=r.seed % 480  # a plausible office-hours scan time, derived, not random state
    )
    producer = PDF_PRODUCERS[r.seed % len(PDF_PRODUCERS)]
    for stale in folder.glob(f"{stem}.*"):  # a rerun may pick another format for this name
        stale.unlink()
    path = write_pages(r.pages, r.document.fmt, folder / stem, r.dpi, issued, producer)
    write_sidecar(folder / stem, r.document.fields, _meta(r))
    return path


def generate_corpus(
    out_dir: Path,
    per_type: int,
    seed: int,
    types: Sequence[str] | None = None,
    page_size: tuple[int, int] | None = None,
) -> list[Path]:
    """Write ``per_type`` documents of each type under ``out_dir/<type>/``.

    Returns the document files written (not the json sidecars), in type then index order.
    """
    selected = tuple(types) if types else CORPUS_TYPES
    unknown = [t for t in selected if t not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown document types: {', '.join(unknown)}")
    if per_type < 0:
        raise ValueError("per_type must not be negative")
    written: list[Path] = []
    for doc_type in selected:
        folder = Path(out_dir) / doc_type
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_type):
            rendered = render_document(doc_type, seed, index, page_size)
            written.append(write_rendered(rendered, folder, f"{doc_type}_{index:04d}"))
    return written
