"""Scan artefacts: skew, blur, noise, JPEG round-trip, low contrast, paper tint, edge shadow.

One ``ScanProfile`` per document (the same scanner scanned every page) with a little per-page
skew jitter. Strengths are capped so that 150-DPI text stays OCR-able: the corpus should look
scanned, not destroyed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageFilter

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ScanProfile:
    tint: RGB | None
    contrast: tuple[int, int] | None  # black and white points after the scan
    skew: float | None  # degrees
    blur: float  # Gaussian radius in px at the nominal 150 DPI; 0 = none
    noise: float  # std-dev of Gaussian sensor noise; 0 = none
    jpeg: int | None  # quality of a JPEG round trip
    shadow: str | None  # "left"/"right"/"top": a darkened strip where the lid did not close
    seed: int  # numpy noise seed


def random_profile(rng: random.Random) -> ScanProfile:
    """Each artefact switched on independently with its own probability."""
    tint = None
    if rng.random() < 0.35:
        tint = (rng.randint(236, 252), rng.randint(228, 248), rng.randint(205, 238))
    contrast = None
    if rng.random() < 0.25:
        contrast = (rng.randint(20, 70), rng.randint(195, 240))
    return ScanProfile(
        tint=tint,
        contrast=contrast,
        skew=rng.uniform(-2.0, 2.0) if rng.random() < 0.5 else None,
        blur=rng.uniform(0.35, 0.95) if rng.random() < 0.35 else 0.0,
        noise=rng.uniform(3.0, 9.0) if rng.random() < 0.35 else 0.0,
        jpeg=rng.randint(40, 85) if rng.random() < 0.3 else None,
        shadow=rng.choice(("left", "right", "top")) if rng.random() < 0.12 else None,
        seed=rng.getrandbits(63),
    )


def _tint(img: Image.Image, tint: RGB) -> Image.Image:
    if img.mode == "L":
        return ImageChops.multiply(img, Image.new("L", img.size, sum(tint) // 3))
    return ImageChops.multiply(img, Image.new("RGB", img.size, tint))


def _contrast(img: Image.Image, lo: int, hi: int) -> Image.Image:
    lut = [lo + (hi - lo) * v // 255 for v in range(256)]
    return img.point(lut * len(img.getbands()))


def _background(img: Image.Image) -> int | tuple[int, ...]:
    """Fill for areas uncovered by rotation: the brightest corner, i.e. paper, not a header band."""
    w, h = img.size
    corners = [img.getpixel(xy) for xy in ((2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3))]
    values = [c if isinstance(c, tuple) else (int(c or 0),) for c in corners]
    brightest = max(values, key=sum)
    return brightest[0] if img.mode == "L" else tuple(int(v) for v in brightest)


def _skew(img: Image.Image, degrees: float) -> Image.Image:
    return img.rotate(
        degrees, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=_background(img)
    )


def _shadow(img: Image.Image, side: str, rng: random.Random) -> Image.Image:
    width = max(4, int(min(img.size) * rng.uniform(0.02, 0.05)))
    ramp = Image.linear_gradient("L").resize((256, 256))
    if side == "left":
        mask = ramp.rotate(90).resize((width, img.height))
        box = (0, 0)
    elif side == "right":
        mask = ramp.rotate(-90).resize((width, img.height))
        box = (img.width - width, 0)
    else:
        mask = ramp.rotate(180).resize((img.width, width))
        box = (0, 0)
    dark = Image.new(img.mode, mask.size, 60 if img.mode == "L" else (60, 60, 60))
    out = img.copy()
    out.paste(dark, box, mask.point(lambda v: v * 3 // 4))
    return out


def _noise(img: Image.Image, sigma: float, seed: int) -> Image.Image:
    arr = np.asarray(img, dtype=np.int16)
    gen = np.random.default_rng(seed)
    # Luminance noise, shared by all channels, as a real sensor mostly produces.
    grain = np.rint(gen.normal(0.0, sigma, size=arr.shape[:2])).astype(np.int16)
    if arr.ndim == 3:
        grain = grain[:, :, None]
    return Image.fromarray(np.clip(arr + grain, 0, 255).astype(np.uint8), mode=img.mode)


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=False)
    buf.seek(0)
    with Image.open(buf) as decoded:
        return decoded.convert(img.mode)


def apply(img: Image.Image, profile: ScanProfile, page_index: int, scale: float) -> Image.Image:
    """Apply the profile to one page. ``scale`` = px per mm / (150 DPI px per mm)."""
    rng = random.Random(profile.seed + page_index)
    if profile.tint:
        img = _tint(img, profile.tint)
    if profile.contrast:
        img = _contrast(img, *profile.contrast)
    if profile.skew is not None:
        img = _skew(img, profile.skew + rng.uniform(-0.4, 0.4))
    if profile.shadow:
        img = _shadow(img, profile.shadow, rng)
    if profile.blur:
        img = img.filter(ImageFilter.GaussianBlur(profile.blur * scale))
    if profile.noise:
        img = _noise(img, profile.noise, profile.seed + page_index)
    if profile.jpeg:
        img = _jpeg(img, profile.jpeg)
    return img
