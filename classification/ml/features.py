"""What the classifier sees of a page: a small grayscale image, hashed text n-grams, layout
figures and (optionally) a sentence embedding of the text.

Everything here is a pure function of the page image and its OCR words, so the result can be
cached by content hash (``ml.cache``) and retraining never recomputes it.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from PIL import Image

# Bump when anything below changes what a feature means: cached features then miss.
FEATURE_VERSION = 2  # 2: the sentence encoder reads 192 word pieces, int8-quantised
# Page images are first reduced to this long side (cheap to cache), then to IMAGE_SIZE.
SOURCE_SIDE = 512
IMAGE_SIZE = (128, 96)  # (height, width): a portrait page, stretched as in RVL-CDIP practice
HASH_BITS = 18
HASH_DIM = 1 << HASH_BITS
LAYOUT_DIM = 12
MAX_TOKENS = 2000  # words per page that feed the hashed n-grams

_TOKEN = re.compile(r"[^\W_]+(?:[.,'/-][^\W_]+)*", re.UNICODE)
_DIGITS = re.compile(r"\d")


@dataclass
class PageFeatures:
    image: np.ndarray  # uint8 (H, W)
    hash_index: np.ndarray  # int64 (k,) indices into HASH_DIM
    hash_value: np.ndarray  # float32 (k,) signed, L2-normalised weights
    layout: np.ndarray  # float32 (LAYOUT_DIM,)
    embedding: np.ndarray | None  # float32 (384,) or None when no encoder

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            "image": self.image,
            "hash_index": self.hash_index,
            "hash_value": self.hash_value,
            "layout": self.layout,
        }
        if self.embedding is not None:
            arrays["embedding"] = self.embedding
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> PageFeatures:
        return cls(
            image=np.asarray(arrays["image"], dtype=np.uint8),
            hash_index=np.asarray(arrays["hash_index"], dtype=np.int64),
            hash_value=np.asarray(arrays["hash_value"], dtype=np.float32),
            layout=np.asarray(arrays["layout"], dtype=np.float32),
            embedding=(
                np.asarray(arrays["embedding"], dtype=np.float32) if "embedding" in arrays else None
            ),
        )


# --- Image ------------------------------------------------------------------------------------


def source_image(image: Image.Image) -> Image.Image:
    """Grayscale with the long side at most SOURCE_SIDE: what the image branch starts from."""
    gray = image.convert("L")
    longest = max(gray.size)
    if longest > SOURCE_SIDE:
        scale = SOURCE_SIDE / longest
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return gray


def image_array(image: Image.Image) -> np.ndarray:
    """The image branch's input: uint8 (H, W), page stretched to IMAGE_SIZE."""
    source = source_image(image)
    height, width = IMAGE_SIZE
    small = source.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.uint8).copy()


# --- Text -------------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)][:MAX_TOKENS]


def _shape(token: str) -> str:
    """Digits become 0 so that amounts, dates and ids share features across documents."""
    return _DIGITS.sub("0", token)


def _hash(feature: str) -> tuple[int, float]:
    code = zlib.crc32(feature.encode("utf-8"))
    return code & (HASH_DIM - 1), (1.0 if (code >> 31) & 1 else -1.0)


def ngram_counts(words: Sequence[str]) -> Counter[str]:
    """Word unigrams and bigrams, plus character 3- and 4-grams inside each word."""
    counts: Counter[str] = Counter()
    shaped = [_shape(w) for w in words]
    for i, word in enumerate(shaped):
        counts["w:" + word] += 1
        if i + 1 < len(shaped):
            counts["b:" + word + " " + shaped[i + 1]] += 1
        counts.update(_char_grams(word))
    return counts


def _char_grams(word: str) -> list[str]:
    padded = f"<{word}>"
    if len(padded) > 40:
        return []
    return [f"c{n}:" + padded[j : j + n] for n in (3, 4) for j in range(len(padded) - n + 1)]


@lru_cache(maxsize=200_000)
def _word_codes(word: str) -> tuple[int, ...]:
    """CRC-32 codes of a shaped word's unigram and character n-grams (words repeat a lot)."""
    return tuple(zlib.crc32(f.encode("utf-8")) for f in ["w:" + word, *_char_grams(word)])


def hashed_text(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Signed feature hashing of n-gram counts, sublinear tf, L2-normalised.

    Equal to hashing ``ngram_counts`` feature by feature (``_hash``), computed on CRC-32
    codes in numpy: a feature is its code, a word's codes are memoised.
    """
    shaped = [_shape(w) for w in tokens(text)]
    if not shaped:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    codes = [code for word in shaped for code in _word_codes(word)]
    codes.extend(zlib.crc32(f"b:{first} {second}".encode()) for first, second in pairwise(shaped))
    unique, counts = np.unique(np.asarray(codes, dtype=np.int64), return_counts=True)
    signs = np.where((unique >> 31) & 1, 1.0, -1.0)
    weights = signs * (1.0 + np.log(counts))
    slots = unique & (HASH_DIM - 1)
    indices, inverse = np.unique(slots, return_inverse=True)
    values = np.zeros(len(indices), dtype=np.float64)
    np.add.at(values, inverse, weights)
    values = values.astype(np.float32)
    norm = float(np.linalg.norm(values))
    if norm > 0:
        values /= norm
    return indices.astype(np.int64), values


# --- Layout -----------------------------------------------------------------------------------


def layout_features(words: Sequence[Mapping[str, Any]], width: int, height: int) -> np.ndarray:
    """A dozen page-shape figures from the OCR boxes, each roughly in [0, 1]."""
    out = np.zeros(LAYOUT_DIM, dtype=np.float32)
    width, height = max(1, int(width)), max(1, int(height))
    out[0] = min(2.0, height / width) / 2.0
    if not words:
        return out
    texts = [str(w.get("text", "")) for w in words]
    heights = np.array([float(w.get("height", 0)) for w in words]) / height
    lefts = np.array([float(w.get("left", 0)) for w in words]) / width
    tops = np.array([float(w.get("top", 0)) for w in words]) / height
    areas = np.array([float(w.get("width", 0)) * float(w.get("height", 0)) for w in words])
    confs = np.array([float(w.get("conf", 0)) for w in words])
    lines = {w.get("line") for w in words}
    chars = "".join(texts)
    out[1] = math.log1p(len(words)) / 8.0
    out[2] = math.log1p(len(lines)) / 6.0
    out[3] = float(np.clip(confs.mean() / 100.0, 0, 1))
    out[4] = sum(c.isdigit() for c in chars) / max(1, len(chars))
    out[5] = sum(c.isupper() for c in chars) / max(1, len(chars))
    out[6] = float(np.clip(np.median(heights) * 20, 0, 1))
    out[7] = float(np.clip(heights.std() * 20, 0, 1))
    out[8] = float(np.clip(areas.sum() / (width * height), 0, 1))
    out[9] = float(np.clip(lefts.mean(), 0, 1))
    out[10] = float((tops < 1 / 3).mean())
    out[11] = float((tops > 2 / 3).mean())
    return out


def page_text(words: Sequence[Mapping[str, Any]], fallback: str = "") -> str:
    if not words:
        return fallback
    return " ".join(str(w.get("text", "")) for w in words)


def compute(
    image: Image.Image,
    words: Sequence[Mapping[str, Any]],
    width: int,
    height: int,
    text: str = "",
    embedding: np.ndarray | None = None,
) -> PageFeatures:
    """All features of one page; ``width``/``height`` are those the word boxes refer to."""
    index, value = hashed_text(text or page_text(words))
    return PageFeatures(
        image=image_array(image),
        hash_index=index,
        hash_value=value,
        layout=layout_features(words, width, height),
        embedding=embedding,
    )
