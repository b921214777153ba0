"""Small generated documents for tests: text pages Tesseract can read, and broken files."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def text_page(
    lines: list[str], size: tuple[int, int] = (850, 1100), mode: str = "L", font_size: int = 28
) -> Image.Image:
    """A white page with the lines in black, large enough for Tesseract at this size."""
    image = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(image)
    font = _font(font_size)
    y = 60
    for line in lines:
        draw.text((60, y), line, fill="black", font=font)
        y += int(font_size * 1.8)
    return image


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def png(lines: list[str] | None = None, **kwargs: object) -> bytes:
    return encode(text_page(lines or ["INVOICE 12345", "Total 99.00"], **kwargs), "PNG")  # type: ignore[arg-type]


def jpeg(lines: list[str] | None = None) -> bytes:
    return encode(text_page(lines or ["RECEIPT", "Cash 12.50"], mode="RGB"), "JPEG", quality=90)


def pdf(pages: list[list[str]]) -> bytes:
    images = [text_page(lines, size=(850, 1100)).convert("RGB") for lines in pages]
    return encode(images[0], "PDF", save_all=True, append_images=images[1:], resolution=100.0)


def tiff(pages: list[list[str]]) -> bytes:
    images = [text_page(lines) for lines in pages]
    return encode(images[0], "TIFF", save_all=True, append_images=images[1:])


def encrypted_pdf() -> bytes:
    import pikepdf

    source = pikepdf.open(io.BytesIO(pdf([["SECRET"]])))
    out = io.BytesIO()
    source.save(out, encryption=pikepdf.Encryption(user="letmein", owner="owner", R=4))
    return out.getvalue()
