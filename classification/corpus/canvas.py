"""A page you draw on in millimetres and points, so one layout renders at any pixel size.

Layouts never touch pixels directly: ``Page`` converts mm to px with the page's resolution, so the
``--small`` corpus is the same document scaled down rather than a different layout.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from .fonts import Font, FontFamily

RGB = tuple[int, int, int]
PT_MM = 25.4 / 72  # one typographic point in millimetres
WHITE: RGB = (255, 255, 255)


@dataclass(frozen=True)
class Theme:
    """Typography and colours of one document."""

    body: FontFamily
    head: FontFamily
    mono: FontFamily
    size: float  # body size in pt
    ink: RGB
    accent: RGB
    light: RGB  # pale fill for shaded table headers and zebra rows

    def family(self, role: str) -> FontFamily:
        return {"body": self.body, "head": self.head, "mono": self.mono}[role]


@dataclass(frozen=True)
class Col:
    """A table column: title, width in mm, alignment 'l', 'r' or 'c'."""

    title: str
    width: float
    align: str = "l"


class Page:
    """One page image plus drawing helpers in mm; y grows downwards from the top edge."""

    def __init__(
        self,
        size_px: tuple[int, int],
        px_per_mm: float,
        theme: Theme,
        paper: RGB = WHITE,
        dry: bool = False,
    ) -> None:
        # A dry page measures but does not rasterise text: layouts that search for a length
        # (contracts fitting 2-4 pages) lay out several times and only the last run is kept.
        self.dry = dry
        self.img = Image.new("RGB", size_px, paper)
        self.draw = ImageDraw.Draw(self.img)
        self.k = px_per_mm
        self.theme = theme
        self.w = size_px[0] / px_per_mm
        self.h = size_px[1] / px_per_mm

    # --- units and fonts -----------------------------------------------------------------------

    def px(self, mm: float) -> int:
        return round(mm * self.k)

    def font(self, size: float | None = None, style: str = "regular", role: str = "body") -> Font:
        points = size or self.theme.size
        return self.theme.family(role).load(round(points * PT_MM * self.k), style)

    def line_h(self, size: float | None = None, spacing: float = 1.3) -> float:
        """Line advance in mm for a font size in pt."""
        return (size or self.theme.size) * PT_MM * spacing

    def width(self, text: str, font: Font) -> float:
        return self.draw.textlength(text, font=font) / self.k

    # --- text ----------------------------------------------------------------------------------

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float | None = None,
        style: str = "regular",
        role: str = "body",
        fill: RGB | None = None,
        anchor: str = "la",
    ) -> float:
        """Draw one line; ``anchor`` is Pillow's (la = left/top, ra = right/top, ma = centred).

        Returns the drawn width in mm so callers can place things after it.
        """
        font = self.font(size, style, role)
        if not self.dry:
            self.draw.text(
                (self.px(x), self.px(y)),
                text,
                font=font,
                fill=fill or self.theme.ink,
                anchor=anchor,
            )
        return self.width(text, font)

    def lines(
        self,
        x: float,
        y: float,
        lines: Sequence[str],
        size: float | None = None,
        style: str = "regular",
        role: str = "body",
        anchor: str = "la",
    ) -> float:
        """Several lines stacked; returns the y below the last one."""
        step = self.line_h(size)
        for i, line in enumerate(lines):
            self.text(x, y + i * step, line, size, style, role, anchor=anchor)
        return y + len(lines) * step

    def wrap(
        self,
        text: str,
        width: float,
        size: float | None = None,
        style: str = "regular",
        role: str = "body",
    ) -> list[str]:
        """Greedy word wrap to ``width`` mm.

        Sums cached per-word widths instead of measuring every trial line: contracts wrap
        thousands of words and FreeType measuring dominated the run time.
        """
        font = self.font(size, style, role)
        limit = width * self.k
        space = _word_px(font, " ")
        out: list[str] = []
        current: list[str] = []
        used = 0.0
        for word in text.split():
            w = _word_px(font, word)
            if current and used + space + w > limit:
                out.append(" ".join(current))
                current, used = [word], w
            else:
                used += (space if current else 0) + w
                current.append(word)
        if current:
            out.append(" ".join(current))
        return out

    def paragraph(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        size: float | None = None,
        style: str = "regular",
        role: str = "body",
        justify: bool = False,
        spacing: float = 1.3,
    ) -> float:
        """A wrapped paragraph; returns the y below it."""
        step = self.line_h(size, spacing)
        wrapped = self.wrap(text, width, size, style, role)
        for i, line in enumerate(wrapped):
            last = i == len(wrapped) - 1
            if justify and not last:
                self._justified(x, y, width, line, size, style, role)
            else:
                self.text(x, y, line, size, style, role)
            y += step
        return y

    def _justified(
        self,
        x: float,
        y: float,
        width: float,
        line: str,
        size: float | None,
        style: str,
        role: str,
    ) -> None:
        words = line.split()
        if len(words) < 2:
            self.text(x, y, line, size, style, role)
            return
        font = self.font(size, style, role)
        gap = (width - sum(self.width(w, font) for w in words)) / (len(words) - 1)
        for word in words:
            self.text(x, y, word, size, style, role)
            x += self.width(word, font) + gap

    def fit(self, text: str, width: float, font: Font) -> str:
        """Drop words until ``text`` fits ``width`` mm; cells never overflow into neighbours."""
        while self.width(text, font) > width and " " in text:
            text = text.rsplit(" ", 1)[0]
        return text

    # --- lines and shapes ----------------------------------------------------------------------

    def hline(
        self, x1: float, x2: float, y: float, weight: float = 0.25, fill: RGB | None = None
    ) -> None:
        self.draw.line(
            [(self.px(x1), self.px(y)), (self.px(x2), self.px(y))],
            fill=fill or self.theme.ink,
            width=max(1, self.px(weight)),
        )

    def vline(
        self, x: float, y1: float, y2: float, weight: float = 0.25, fill: RGB | None = None
    ) -> None:
        self.draw.line(
            [(self.px(x), self.px(y1)), (self.px(x), self.px(y2))],
            fill=fill or self.theme.ink,
            width=max(1, self.px(weight)),
        )

    def dashed(self, x1: float, x2: float, y: float, dash: float = 1.2) -> None:
        x = x1
        while x < x2:
            self.hline(x, min(x + dash, x2), y, 0.2)
            x += dash * 2

    def rect(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        outline: RGB | None = None,
        fill: RGB | None = None,
        weight: float = 0.25,
        radius: float = 0,
    ) -> None:
        box = (self.px(x1), self.px(y1), self.px(x2), self.px(y2))
        width = max(1, self.px(weight)) if outline else 0
        if radius:
            self.draw.rounded_rectangle(
                box, radius=self.px(radius), outline=outline, fill=fill, width=width
            )
        else:
            self.draw.rectangle(box, outline=outline, fill=fill, width=width)

    # --- tables --------------------------------------------------------------------------------

    def table(
        self,
        x: float,
        y: float,
        cols: Sequence[Col],
        rows: Sequence[Sequence[str]],
        style: str = "lines",
        size: float | None = None,
        header: bool = True,
        pad: float = 1.4,
    ) -> float:
        """Draw a table in one of several looks; returns the y below it.

        Styles: 'grid' (all borders), 'lines' (horizontal rules), 'zebra' (shaded rows),
        'plain' (header underline only), 'boxed' (outer frame, shaded header).
        """
        row_h = self.line_h(size, 1.0) + 2 * pad
        total_w = sum(c.width for c in cols)
        top = y
        if header:
            self._table_header(x, y, cols, row_h, total_w, style, size)
            y += row_h
        for i, row in enumerate(rows):
            if style == "zebra" and i % 2 == 1:
                self.rect(x, y, x + total_w, y + row_h, fill=self.theme.light)
            self._table_row(x, y, cols, row, row_h, size, pad, "regular")
            y += row_h
            if style in ("lines", "grid"):
                self.hline(x, x + total_w, y, 0.15)
        if style in ("grid", "boxed"):
            self.rect(x, top, x + total_w, y, outline=self.theme.ink)
        if style == "grid":
            cx = x
            for col in cols[:-1]:
                cx += col.width
                self.vline(cx, top, y, 0.15)
        if style == "zebra":
            self.hline(x, x + total_w, y, 0.3)
        return y

    def _table_header(
        self,
        x: float,
        y: float,
        cols: Sequence[Col],
        row_h: float,
        total_w: float,
        style: str,
        size: float | None,
    ) -> None:
        shaded = style in ("boxed", "zebra", "grid")
        if shaded:
            self.rect(x, y, x + total_w, y + row_h, fill=self.theme.light)
        if style == "lines":
            self.hline(x, x + total_w, y, 0.35)
        headings = [c.title for c in cols]
        self._table_row(x, y, cols, headings, row_h, size, 1.4, "bold")
        self.hline(x, x + total_w, y + row_h, 0.35 if style != "plain" else 0.25)

    def _table_row(
        self,
        x: float,
        y: float,
        cols: Sequence[Col],
        row: Sequence[str],
        row_h: float,
        size: float | None,
        pad: float,
        style: str,
    ) -> None:
        font = self.font(size, style)
        mid = y + row_h / 2
        for col, cell in zip(cols, row, strict=False):
            text = self.fit(cell, col.width - 2 * pad, font)
            if col.align == "r":
                self.text(x + col.width - pad, mid, text, size, style, anchor="rm")
            elif col.align == "c":
                self.text(x + col.width / 2, mid, text, size, style, anchor="mm")
            else:
                self.text(x + pad, mid, text, size, style, anchor="lm")
            x += col.width

    def kv(
        self,
        x: float,
        y: float,
        pairs: Sequence[tuple[str, str]],
        label_w: float,
        size: float | None = None,
        label_style: str = "bold",
        value_align_right: float | None = None,
    ) -> float:
        """Label/value pairs, one per line; values left-aligned at ``x + label_w`` or right-
        aligned at ``value_align_right``. Returns the y below."""
        step = self.line_h(size, 1.45)
        for label, value in pairs:
            self.text(x, y, label, size, label_style)
            if value_align_right is not None:
                self.text(value_align_right, y, value, size, anchor="ra")
            else:
                self.text(x + label_w, y, value, size)
            y += step
        return y


@functools.lru_cache(maxsize=65536)
def _word_px(font: Font, word: str) -> float:
    return font.getlength(word)


# --- decorations -------------------------------------------------------------------------------


def _regular_polygon(cx: float, cy: float, r: float, n: int, phase: float) -> list[tuple]:
    return [
        (
            cx + r * math.cos(phase + 2 * math.pi * i / n),
            cy + r * math.sin(phase + 2 * math.pi * i / n),
        )
        for i in range(n)
    ]


def logo(
    page: Page, x: float, y: float, size: float, rng: random.Random, color: RGB, initials: str
) -> float:
    """A simple drawn logo mark of ``size`` mm at (x, y) top-left; returns its width in mm.

    Real letterheads carry a mark; drawn shapes give the classifier that cue without images.
    """
    d, k = page.draw, page.k
    cx, cy, r = (x + size / 2) * k, (y + size / 2) * k, size / 2 * k
    variant = rng.randrange(7)
    if variant == 0:
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=color)
        page.text(x + size / 2, y + size / 2, initials, size * 1.2, "bold", "head", WHITE, "mm")
    elif variant == 1:
        for i in range(3):
            h = size * (0.45 + 0.25 * i)
            left = x + i * size * 0.34
            page.rect(left, y + size - h, left + size * 0.26, y + size, fill=color)
    elif variant == 2:
        d.polygon([(cx - r, cy + r), (cx - r * 0.2, cy - r), (cx + r * 0.6, cy + r)], fill=color)
        d.polygon(
            [(cx - r * 0.1, cy + r), (cx + r * 0.45, cy - r * 0.2), (cx + r, cy + r)],
            fill=tuple(min(255, c + 70) for c in color),
        )
    elif variant == 3:
        d.polygon(_regular_polygon(cx, cy, r, 6, math.pi / 6), fill=color)
        page.text(x + size / 2, y + size / 2, initials[:1], size * 1.4, "bold", "head", WHITE, "mm")
    elif variant == 4:
        page.rect(x, y, x + size, y + size, fill=color, radius=size * 0.18)
        d.line(
            [(cx - r * 0.6, cy + r * 0.6), (cx + r * 0.6, cy - r * 0.6)],
            fill=WHITE,
            width=max(1, round(r * 0.22)),
        )
    elif variant == 5:
        for i in range(3):
            rr = r * (1 - i * 0.3)
            d.ellipse(
                (cx - rr, cy - rr, cx + rr, cy + rr), outline=color, width=max(1, round(r * 0.12))
            )
    else:
        for i in range(4):
            yy = y + size * (0.15 + 0.23 * i)
            pts = [
                (x + size * t / 10, yy + math.sin(t / 10 * math.pi * 2) * size * 0.06)
                for t in range(11)
            ]
            d.line([(px * k, py * k) for px, py in pts], fill=color, width=max(1, round(r * 0.1)))
    return size


def signature(
    page: Page,
    x: float,
    y: float,
    w: float,
    h: float,
    rng: random.Random,
    color: RGB = (20, 30, 90),
) -> None:
    """A handwritten-looking scribble inside the box (x, y, w, h), drawn as a smooth polyline."""
    n = rng.randint(6, 11)
    anchors = [
        (x + w * i / (n - 1) + rng.uniform(-2, 2), y + h * rng.uniform(0.15, 0.85))
        for i in range(n)
    ]
    points = _catmull_rom(anchors, 8)
    width = max(1, page.px(rng.uniform(0.3, 0.55)))
    page.draw.line(
        [(page.px(px), page.px(py)) for px, py in points], fill=color, width=width, joint="curve"
    )
    if rng.random() < 0.6:  # the underline flourish many signatures end with
        y0 = y + h * rng.uniform(0.75, 0.95)
        page.draw.line(
            [(page.px(x + w * 0.1), page.px(y0)), (page.px(x + w * 0.9), page.px(y0 - 1.5))],
            fill=color,
            width=width,
        )


def _spline(a: float, b: float, c: float, d: float, t: float) -> float:
    """Catmull-Rom interpolation between b and c (a and d are the neighbours)."""
    return 0.5 * (
        2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t * t + (3 * b - a - 3 * c + d) * t**3
    )


def _catmull_rom(points: Sequence[tuple[float, float]], steps: int) -> list[tuple[float, float]]:
    """A smooth curve through ``points`` (pen strokes are curves, not zigzags)."""
    out: list[tuple[float, float]] = []
    padded = [points[0], *points, points[-1]]
    for i in range(1, len(padded) - 2):
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = padded[i - 1 : i + 3]
        for s in range(steps):
            t = s / steps
            out.append((_spline(ax, bx, cx, dx, t), _spline(ay, by, cy, dy, t)))
    out.append(points[-1])
    return out


def barcode(page: Page, x: float, y: float, w: float, h: float, rng: random.Random) -> None:
    """Bars of random widths: receipts and forms carry one, OCR should learn to ignore it."""
    cursor = x
    while cursor < x + w:
        bar = rng.choice((0.25, 0.25, 0.5, 0.75))
        if rng.random() < 0.55:
            page.rect(cursor, y, cursor + bar, y + h, fill=page.theme.ink)
        cursor += bar


def stamp(page: Page, cx: float, cy: float, text: str, color: RGB, rng: random.Random) -> None:
    """A rotated rubber stamp ('PAID', 'RECEIVED ...'), drawn on its own layer then pasted."""
    font = page.font(16, "bold", "head")
    tw = page.draw.textlength(text, font=font)
    pad = page.px(3)
    layer = Image.new("L", (round(tw) + 2 * pad, page.px(12) + 2 * pad), 0)
    ld = ImageDraw.Draw(layer)
    ld.rectangle((1, 1, layer.width - 2, layer.height - 2), outline=255, width=max(1, page.px(0.7)))
    ld.text((layer.width / 2, layer.height / 2), text, font=font, fill=255, anchor="mm")
    layer = layer.rotate(rng.uniform(-18, 18), expand=True, resample=Image.Resampling.BICUBIC)
    mask = layer.point(lambda v: v * 7 // 10)  # stamps are never fully opaque
    box = (page.px(cx) - layer.width // 2, page.px(cy) - layer.height // 2)
    page.img.paste(Image.new("RGB", layer.size, color), box, mask)


class Flow:
    """Vertical flow of blocks across pages: starts a new page when a block would not fit."""

    def __init__(self, start_page: Callable[[int], tuple[Page, float]], bottom: float) -> None:
        self._start_page = start_page
        self.bottom = bottom
        self.pages: list[Page] = []
        self.page, self.y = self._new()

    def _new(self) -> tuple[Page, float]:
        page, y = self._start_page(len(self.pages))
        self.pages.append(page)
        return page, y

    def ensure(self, height: float) -> None:
        if self.y + height > self.bottom:
            self.page, self.y = self._new()

    def room(self) -> float:
        return self.bottom - self.y
