"""What every document type shares: the per-document context, the result, layout helpers."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from PIL import Image

from ..canvas import WHITE, Col, Flow, Page, Theme
from ..fonts import of_kind
from ..locales import Locale, MoneyStyle, format_date

NOMINAL_PX_PER_MM = 150 / 25.4  # the resolution layouts and artefact strengths are tuned for
LONG_SIDE_PX = 1650
PAPER_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}

ACCENTS = (
    (20, 60, 120), (140, 30, 40), (20, 100, 80), (90, 40, 120), (200, 90, 20),
    (30, 110, 160), (60, 60, 60), (0, 120, 120), (150, 110, 20), (30, 80, 40),
)  # fmt: skip

FIRST_DATE = dt.date(2021, 1, 4)
LAST_DATE = dt.date(2025, 6, 30)


@dataclass
class Document:
    """A rendered document before artefacts: its pages, ground truth and file format."""

    fields: dict[str, Any]
    pages: list[Image.Image]
    fmt: str  # "png", "jpeg" or "pdf"
    template: str
    issued: dt.date


@dataclass
class DocContext:
    """Everything a layout needs: randomness, conventions, page geometry and typography."""

    rng: random.Random
    locale: Locale
    theme: Theme
    px_per_mm: float
    page_px: tuple[int, int]
    money: MoneyStyle
    date_style: str
    margin: float = field(default=20.0)
    dry: bool = False  # pages measure text without drawing it (see Page.dry)

    @property
    def page_w(self) -> float:
        return self.page_px[0] / self.px_per_mm

    @property
    def page_h(self) -> float:
        return self.page_px[1] / self.px_per_mm

    def page(self, size_mm: tuple[float, float] | None = None, paper: tuple = WHITE) -> Page:
        size_px = self.page_px
        if size_mm is not None:
            size_px = (round(size_mm[0] * self.px_per_mm), round(size_mm[1] * self.px_per_mm))
        return Page(size_px, self.px_per_mm, self.theme, paper, self.dry)

    def date(self, d: dt.date) -> str:
        return format_date(d, self.date_style, self.locale.lang)

    def amount(self, value: Decimal) -> str:
        return self.money.amount(value)

    def number(self, value: Decimal) -> str:
        return self.money.number(value)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def geometry(paper: str, page_size: tuple[int, int] | None) -> tuple[tuple[int, int], float]:
    """(page size in px, px per mm): A4 or Letter at ~150 DPI, or the caller's size."""
    if page_size is None:
        w_mm, h_mm = PAPER_MM[paper]
        k = LONG_SIDE_PX / h_mm
        return (round(w_mm * k), LONG_SIDE_PX), k
    w, h = page_size
    long_mm = 297.0 if max(w, h) / min(w, h) > 1.36 else 279.4
    return (w, h), max(w, h) / long_mm


def random_theme(
    rng: random.Random, sizes: Sequence[float] = (9.5, 10, 10, 10.5, 11, 11.5)
) -> Theme:
    body = rng.choice(of_kind("sans", "serif"))
    head = body if rng.random() < 0.55 else rng.choice(of_kind("sans", "serif"))
    accent = rng.choice(ACCENTS)
    grey = rng.randint(0, 40)
    return Theme(
        body=body,
        head=head,
        mono=rng.choice(of_kind("mono")),
        size=rng.choice(tuple(sizes)),
        ink=(grey, grey, grey + rng.randint(0, 15)),
        accent=accent,
        light=fade(accent, 0.12),
    )


def fade(color: tuple[int, int, int], strength: float) -> tuple[int, int, int]:
    """``color`` mixed into white, keeping ``strength`` of it: pale fills for headers and forms."""
    r, g, b = (round(255 - (255 - c) * strength) for c in color)
    return (r, g, b)


def random_date(
    rng: random.Random, start: dt.date = FIRST_DATE, end: dt.date = LAST_DATE
) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def flow_table(
    flow: Flow,
    x: float,
    cols: Sequence[Col],
    rows: Sequence[Sequence[str]],
    style: str,
    size: float | None = None,
) -> None:
    """A table that continues on the next page (header repeated) when it runs out of room."""
    row_h = flow.page.line_h(size, 1.0) + 2 * 1.4
    remaining = list(rows)
    while remaining:
        flow.ensure(row_h * 3)
        fit = max(1, int((flow.room() - row_h) // row_h))
        chunk, remaining = remaining[:fit], remaining[fit:]
        flow.y = flow.page.table(x, flow.y, cols, chunk, style, size)
        if remaining:
            flow.page.text(
                x + sum(c.width for c in cols),
                flow.y + 2,
                "continued overleaf",
                (size or flow.page.theme.size) - 1.5,
                "italic",
                anchor="ra",
            )
            flow.y = flow.bottom + 1  # force a page break


def page_numbers(
    pages: Sequence[Page],
    y_from_bottom: float = 10,
    template: str = "Page {i} of {n}",
    align: str = "r",
    margin: float = 20,
) -> None:
    """Numbers drawn once the page count is known."""
    n = len(pages)
    for i, page in enumerate(pages, start=1):
        label = template.format(i=i, n=n)
        y = page.h - y_from_bottom
        if align == "c":
            page.text(page.w / 2, y, label, page.theme.size - 2, anchor="ma")
        else:
            page.text(page.w - margin, y, label, page.theme.size - 2, anchor="ra")


def initials(name: str) -> str:
    letters = [w[0] for w in name.replace("&", " ").split() if w[0].isalpha() and w[0].isupper()]
    return "".join(letters[:2]) or name[:1].upper()


def images(pages: Sequence[Page]) -> list[Image.Image]:
    return [p.img for p in pages]
