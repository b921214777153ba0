"""OCR words into lines: the shared ground of the extraction rules (``fields``, ``merge``,
``memory``, ``contracts``). Plain functions, no Django. Words are dicts as the OCR writes them
(``text``, ``left``, ``top``, ``width``, ``height``, ``conf`` and usually ``line``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(slots=True)
class Line:
    words: list[Mapping[str, Any]]
    text: str
    spans: list[tuple[int, int]]  # each word's characters in ``text``
    box: Box
    height: float  # median word height

    def bbox(self, start: int = 0, end: int | None = None) -> Box | None:
        """The union of the boxes of the words that characters [start, end) touch."""
        stop = len(self.text) if end is None else end
        chosen = [
            w for w, (a, b) in zip(self.words, self.spans, strict=True) if a < stop and b > start
        ]
        return union_box(chosen)


def union_box(words: Iterable[Mapping[str, Any]]) -> Box | None:
    """The smallest box holding every word's box (None for no words)."""
    box: Box | None = None
    for w in words:
        left, top = int(w["left"]), int(w["top"])
        right, bottom = left + int(w["width"]), top + int(w["height"])
        if box is None:
            box = (left, top, right, bottom)
        else:
            box = (min(box[0], left), min(box[1], top), max(box[2], right), max(box[3], bottom))
    return box


def join_words(words: Sequence[Mapping[str, Any]]) -> tuple[str, list[tuple[int, int]]]:
    """The words' texts joined by single spaces, and each word's characters in that text."""
    parts, spans, pos = [], [], 0
    for w in words:
        text = str(w["text"])
        spans.append((pos, pos + len(text)))
        parts.append(text)
        pos += len(text) + 1
    return " ".join(parts), spans


def make_line(words: list[Mapping[str, Any]]) -> Line:
    words = sorted(words, key=lambda w: int(w["left"]))
    text, spans = join_words(words)
    box = union_box(words)
    assert box is not None
    return Line(words, text, spans, box, statistics.median(int(w["height"]) for w in words))


def group_lines(words: Sequence[Mapping[str, Any]]) -> list[Line]:
    """Words into lines, top to bottom: by the OCR's ``line`` id when every word has one,
    else by vertical overlap (a word joins a line when they share half the smaller height)."""
    words = [w for w in words if str(w.get("text", "")).strip()]
    groups: list[list[Mapping[str, Any]]] = []
    if words and all("line" in w for w in words):
        by_id: dict[Any, list[Mapping[str, Any]]] = {}
        for w in words:
            by_id.setdefault(w["line"], []).append(w)
        groups = list(by_id.values())
    else:
        for w in sorted(words, key=lambda w: int(w["top"]) + int(w["height"]) / 2):
            top, bottom = int(w["top"]), int(w["top"]) + int(w["height"])
            for group in reversed(groups[-3:]):
                g_top = min(int(x["top"]) for x in group)
                g_bottom = max(int(x["top"]) + int(x["height"]) for x in group)
                overlap = min(bottom, g_bottom) - max(top, g_top)
                if overlap >= 0.5 * min(bottom - top, g_bottom - g_top):
                    group.append(w)
                    break
            else:
                groups.append([w])
    lines = [make_line(g) for g in groups]
    return sorted(lines, key=lambda line: (line.box[1], line.box[0]))
