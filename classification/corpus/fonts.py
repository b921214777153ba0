"""TrueType font discovery: DejaVu, Liberation and GNU FreeFont families from the system.

Families are found with a glob (sorted, so choices from a seed are stable on one machine). When no
font is installed the corpus still renders with Pillow's built-in scalable default font.
"""

from __future__ import annotations

import functools
import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import ImageFont

FONT_ROOTS = ("/usr/share/fonts", "/usr/local/share/fonts")
# These three families cover Latin-1 plus the euro sign, which the locales need.
_WANTED = re.compile(r"^(DejaVu|Liberation|Free)(Sans|Serif|Mono)")
_FREEFONT = re.compile(r"^(Free(?:Sans|Serif|Mono))(Bold)?(Oblique|Italic)?$")
_STYLES = {
    "": "regular", "Regular": "regular", "Book": "regular", "Bold": "bold",
    "Oblique": "italic", "Italic": "italic", "BoldOblique": "bold_italic",
    "BoldItalic": "bold_italic",
}  # fmt: skip

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class FontFamily:
    """Paths of one family's styles; ``None`` means Pillow's default font."""

    name: str
    kind: str  # "sans", "serif" or "mono"
    styles: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def path(self, style: str) -> str | None:
        # Missing styles degrade gracefully: bold italic -> bold -> regular.
        for candidate in (style, style.split("_")[0], "regular"):
            if candidate in self.styles:
                return self.styles[candidate]
        return None

    def load(self, size_px: int, style: str = "regular") -> Font:
        return load_font(self.path(style), size_px)


DEFAULT_FAMILY = FontFamily("PillowDefault", "sans")


def _parse(path: Path) -> tuple[str, str] | None:
    """(family, style) from a file name like ``LiberationSans-BoldItalic.ttf``."""
    stem = path.stem
    free = _FREEFONT.match(stem)
    if free:
        style = (free.group(2) or "") + (free.group(3) or "")
        return free.group(1), _STYLES[style]
    family, _, style = stem.partition("-")
    if not _WANTED.match(family) or style not in _STYLES:
        return None  # e.g. DejaVuSans-ExtraLight or DejaVuMathTeXGyre: not body-text fonts
    return family, _STYLES[style]


def _kind(family: str) -> str:
    if "Mono" in family:
        return "mono"
    return "serif" if "Serif" in family else "sans"


@functools.cache
def families() -> tuple[FontFamily, ...]:
    """Every usable family on this machine, sorted by name; empty if none is installed."""
    found: dict[str, dict[str, str]] = {}
    for root in FONT_ROOTS:
        for name in sorted(glob.glob(f"{root}/**/*.ttf", recursive=True)):
            parsed = _parse(Path(name))
            if parsed and _WANTED.match(parsed[0]):
                found.setdefault(parsed[0], {}).setdefault(parsed[1], name)
    return tuple(
        FontFamily(name, _kind(name), styles)
        for name, styles in sorted(found.items())
        if "regular" in styles
    )


def of_kind(*kinds: str) -> tuple[FontFamily, ...]:
    """Families of the given kinds, falling back to any family, then to the default font."""
    matching = tuple(f for f in families() if f.kind in kinds)
    return matching or families() or (DEFAULT_FAMILY,)


@functools.lru_cache(maxsize=1024)
def load_font(path: str | None, size_px: int) -> Font:
    size_px = max(size_px, 6)
    if path is None:
        return ImageFont.load_default(size_px)
    return ImageFont.truetype(path, size_px)
