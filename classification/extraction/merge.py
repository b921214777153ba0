"""Two readings of one page made into one: Tesseract's word breaks with PP-OCR's characters.

Tesseract (``classification.ocr``) keeps the spaces between words but misreads letters
("NO.S? $5.57"); PP-OCR (``classification.ppocr``) reads characters better, and its spaces
vary (its v4 recogniser ran words together: "NO.5:55,57&59,JALANSAGU18"). ``merge_readings``
pairs each Tesseract line with the PP-OCR lines that overlap it on the page (both in the same
pixels), aligns the two strings without their spaces (``difflib.SequenceMatcher``) and, where
they agree well enough, gives each Tesseract word the PP-OCR characters aligned with it:
PP-OCR's text, Tesseract's word breaks. A word of a line the two agree on is as sure as PP-OCR's
reading of it, when Tesseract was less sure. A line whose readings disagree more keeps
Tesseract's words as they are, unless PP-OCR is sure of its reading there (``CONFIDENT``): then
PP-OCR's words stand (a stamp or a faint line that Tesseract read as noise), each of its lines
a line of its own where they lie one above another (Tesseract read two printed lines as one). A
line only PP-OCR read is kept where it is sure of it (Tesseract missed a faint line), and a line
only Tesseract read goes unless it is sure of a word there (specks read as "F +)" or ". $i").
Either way, words closer together than a third of a character, or narrowly apart against the
line's usual gap, are run into one (``join_close_words``): Tesseract split a word there ("BAKE
RIES").

Plain functions, no Django. Words are dicts as the OCR writes them (``text``, ``left``, ``top``,
``width``, ``height``, ``conf`` and usually ``line``).
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from classification.extraction.lines import Box, Line, group_lines

Word = Mapping[str, Any]

# The least similarity (SequenceMatcher ratio of the two strings without spaces) at which a
# line takes PP-OCR's characters; below it the readings disagree on more than characters.
MIN_RATIO = 0.75


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """How much two line boxes share: vertical overlap (as a share of the lower box) times
    horizontal overlap in pixels; 0 when they share less than half the lower height."""
    vertical = min(a[3], b[3]) - max(a[1], b[1])
    horizontal = min(a[2], b[2]) - max(a[0], b[0])
    lower = min(a[3] - a[1], b[3] - b[1])
    if lower <= 0 or vertical < 0.5 * lower or horizontal <= 0:
        return 0.0
    return vertical / lower * horizontal


def _clean(text: str) -> str:
    """PP-OCR's text in Tesseract's alphabet: full-width brackets and the like as ASCII."""
    return unicodedata.normalize("NFKC", text)


def _pick(t: str, p: str, p_before: str, p_after: str) -> str:
    """One character the readings disagree on: PP-OCR's, except a digit it reads inside a
    word of letters where Tesseract read a letter ("L0T", "Leve1"), a letter it reads among
    digits where Tesseract read a digit ("433o0", "2o"), a capital it reads inside a
    lower-case word where Tesseract read a small letter ("WorId"), and an accent on a letter
    Tesseract read bare ("Restäurants": the v6 recogniser reads many alphabets)."""
    if unicodedata.normalize("NFKD", p)[0] == t:
        return t
    if p.isdigit() and t.isalpha() and (p_before.isalpha() or p_after.isalpha()):
        return t
    if p.isalpha() and t.isdigit() and (p_before.isdigit() or p_after.isdigit()):
        return t
    if p.isupper() and t.islower() and p_before.islower() and (p_after.islower() or not p_after):
        return t
    return p


def merge_line(line: Sequence[Word], other: str, min_ratio: float = MIN_RATIO) -> list[str] | None:
    """The texts of ``line``'s words re-read from ``other`` (the PP-OCR text over the same
    place), one per word ('' for a word PP-OCR has nothing for); None when the two readings
    are less similar than ``min_ratio``. A space PP-OCR put inside a word's characters stays."""
    merged = _merge_line(line, other, min_ratio)
    return None if merged is None else merged[0]


# A word with a comma inside it ("Tampoi,81200"): the print puts no space after a comma.
_TIGHT_COMMA = re.compile(r"[^\W_],[^\W_]")


def _merge_line(
    line: Sequence[Word], other: str, min_ratio: float
) -> tuple[list[str], set[int]] | None:
    """``merge_line``'s texts, and the words (by position) that run on into the next one with
    no space: a word ending in a comma that PP-OCR read run on into the next ("Bahru,Johor"),
    on a line where Tesseract too read a comma with no space after it. Elsewhere PP-OCR leaves
    out a space after a comma as often as the print has none."""
    texts = [str(w["text"]).replace(" ", "") for w in line]
    t = "".join(texts)
    owner = [k for k, text in enumerate(texts) for _ in text]  # each character's word
    cleaned = _clean(other).strip()
    p = cleaned.replace(" ", "")
    if not t or not p:
        return None
    # PP-OCR's own word breaks, by the index in ``p`` of the character after each space.
    breaks, seen = set(), 0
    for ch in cleaned:
        if ch == " ":
            breaks.add(seen)
        else:
            seen += 1
    matcher = SequenceMatcher(None, t, p, autojunk=False)
    # The quick bounds first: most lines that disagree fail them without an alignment.
    if matcher.real_quick_ratio() < min_ratio or matcher.quick_ratio() < min_ratio:
        return None
    if matcher.ratio() < min_ratio:
        return None
    chars: list[tuple[int, int, str]] = []  # (word, index in p, character)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            chars.extend((owner[i1 + k], j1 + k, p[j1 + k]) for k in range(j2 - j1))
        elif op == "replace" and not any(c.isalnum() for c in t[i1:i2] + p[j1:j2]):
            # Punctuation against punctuation: Tesseract's ("13," where PP-OCR saw "13.").
            chars.extend((owner[i], j1, t[i]) for i in range(i1, i2))
        elif op == "replace":
            for k in range(j2 - j1):
                j = j1 + k
                if i2 - i1 == j2 - j1:
                    i = i1 + k
                    before = p[j - 1] if j > 0 else ""
                    after = p[j + 1] if j + 1 < len(p) else ""
                    chars.append((owner[i], j, _pick(t[i], p[j], before, after)))
                else:
                    chars.append((owner[i1 + k * (i2 - i1) // (j2 - j1)], j, p[j]))
        elif op == "insert":
            # PP-OCR saw more here: it belongs to the word before ("JALAN" + ",").
            chars.extend((owner[max(i1 - 1, 0)], j1 + k, p[j1 + k]) for k in range(j2 - j1))
        else:  # "delete": PP-OCR lost Tesseract's punctuation ("13," read "13"), or misread
            chars.extend((owner[i], j1 - 1, t[i]) for i in range(i1, i2) if not t[i].isalnum())
    out = [""] * len(line)
    first: list[int | None] = [None] * len(line)
    last: list[int | None] = [None] * len(line)
    for k, j, ch in chars:
        if out[k] and j in breaks and last[k] == j - 1:
            out[k] += " "
        if first[k] is None:
            first[k] = j
        out[k] += ch
        last[k] = j
    run_on: set[int] = set()
    if any(_TIGHT_COMMA.search(text) for text in texts):
        for k in range(len(line) - 1):
            end, start = last[k], first[k + 1]
            ran_on = end is not None and start == end + 1 and start not in breaks
            if out[k].endswith(",") and ran_on:
                run_on.add(k)
    return out, run_on


def _confident(p_lines: Sequence[Sequence[Word]]) -> bool:
    """PP-OCR read every word of these lines with confidence ``CONFIDENT`` or more."""
    words = [w for ln in p_lines for w in ln]
    return bool(words) and min(float(w.get("conf", 0)) for w in words) >= CONFIDENT


def _stacked(boxes: Sequence[Box]) -> bool:
    """Two of these line boxes lie one above the other: they share over half the narrower's
    width (lines side by side, a label and its amount, share none)."""
    return any(
        min(a[2], b[2]) - max(a[0], b[0]) > 0.5 * min(a[2] - a[0], b[2] - b[0])
        for a, b in itertools.combinations(boxes, 2)
    )


# PP-OCR's confidence (0-100) above which its reading of a line replaces a Tesseract reading
# that disagrees with it. Measured on real-dev's receipts with the PP-OCRv6 recogniser: 80 and 90
# give the same figures; 60 or less lets through lines PP-OCR guessed at, and vendors drop.
CONFIDENT = 80.0


def merge_readings(
    words: Sequence[Word],
    number_words: Sequence[Word],
    min_ratio: float = MIN_RATIO,
    grouped: Sequence[Line] | None = None,
) -> list[dict[str, Any]]:
    """``words`` (Tesseract's) with the text of each line re-read from ``number_words``
    (PP-OCR's, same pixels) where the two readings of the line agree by ``min_ratio`` or more;
    boxes, line ids and the other keys stay Tesseract's. A word PP-OCR has no characters for
    is dropped. A line PP-OCR's do not cover is kept as read where Tesseract is sure of one of
    its words (``CONFIDENT``), else dropped; a line of PP-OCR's that covers none of Tesseract's
    is kept where PP-OCR is sure of it (line id ``"ppocr-<n>"``). ``grouped``: ``words``
    already grouped by ``group_lines``, when the caller has them (``extract_fields`` does)."""
    if grouped is None:
        grouped = group_lines(words)
    if not grouped or not number_words:
        return [dict(w) for w in words]
    lines = [line.words for line in grouped]
    boxes = [line.box for line in grouped]
    # Each PP-OCR line goes to the Tesseract line it overlaps most; only the lines that share
    # its height are scored (a receipt has 30-60 of each).
    p_grouped = group_lines(number_words)
    assigned: dict[int, list[int]] = {}  # Tesseract line -> the PP-OCR lines it takes
    covered: dict[int, list[int]] = {}  # Tesseract line -> the PP-OCR lines over it
    out: list[dict[str, Any]] = []
    for m, p_line in enumerate(p_grouped):
        p_box = p_line.box
        near = [n for n, box in enumerate(boxes) if box[1] < p_box[3] and box[3] > p_box[1]]
        scores = {n: _overlap(boxes[n], p_box) for n in near}
        for n, score in scores.items():
            if score > 0:
                covered.setdefault(n, []).append(m)
        best = max(near, key=scores.__getitem__, default=None)
        if best is not None and scores[best] > 0:
            assigned.setdefault(best, []).append(m)
        elif _confident([p_line.words]):
            # Only PP-OCR read this line, and it is sure of it: Tesseract missed a faint or
            # heavy line ("NO. 53, JALAN BESAR,", a letterhead's first address line).
            own_id = f"ppocr-{len(out)}"
            out.extend({**w, "text": _clean(str(w["text"])), "line": own_id} for w in p_line.words)
    taken: set[int] = set()  # the PP-OCR lines whose text a Tesseract line took
    # The lines PP-OCR read first: a line it did not read may be in one of theirs.
    for n in sorted(range(len(lines)), key=lambda n: n not in assigned):
        line = lines[n]
        mine = sorted(assigned.get(n, []), key=lambda m: p_grouped[m].box[0])
        p_lines = [p_grouped[m].words for m in mine]
        if not p_lines and max(float(w.get("conf", 0)) for w in line) < CONFIDENT:
            continue  # PP-OCR saw no text here and Tesseract is sure of nothing: specks
        if not p_lines and taken.intersection(covered.get(n, ())):
            # PP-OCR read this one with its neighbour on the row ("56000 Kuala Lumpur,"
            # "Malaysia" as one line), and that line took its text: not twice.
            continue
        other = " ".join(str(w["text"]) for ln in p_lines for w in ln)
        merged_line = _merge_line(line, other, min_ratio) if p_lines else None
        texts, run_on = merged_line if merged_line is not None else (None, set())
        if p_lines and (texts is not None or _confident(p_lines)):
            taken.update(mine)
        if texts is None and _confident(p_lines):
            # The readings disagree and PP-OCR is sure: its words, on Tesseract's line. Tesseract
            # read a stamp as letters ("3 12 Ol OIF" for "L1010818") or a faint line as noise
            # ("OSA, NO.23 BATU 10, ... ANGOR"). Where PP-OCR's lines lie one above another,
            # Tesseract ran two printed lines into one: each is its own line again.
            line_id = line[0].get("line")
            apart = len(p_lines) > 1 and _stacked([p_grouped[m].box for m in mine])
            out.extend(
                {
                    **w,
                    "text": _clean(str(w["text"])),
                    "line": f"{line_id}.{k}" if apart else line_id,
                }
                for k, ln in enumerate(p_lines)
                for w in ln
            )
            continue
        if texts is None:
            out.extend(join_close_words([dict(w) for w in line]))
            continue
        # Two readings agree on the line: a word is as sure as PP-OCR's least sure word there
        # when Tesseract was less sure ("BILTON STIX" at 0 and 33, "BILLION SIX" at 92).
        agreed = min((float(w["conf"]) for ln in p_lines for w in ln if "conf" in w), default=0)
        kept = [
            (k, {**w, "text": text, "conf": max(float(w.get("conf", 0)), agreed)})
            for k, (w, text) in enumerate(zip(line, texts, strict=True))
            if text
        ]
        joins = {pos for pos, ((k, _), _) in enumerate(itertools.pairwise(kept)) if k in run_on}
        out.extend(join_close_words([w for _, w in kept], run_on=joins))
    return out


# A gap between two words under this share of the line's character width is no space: OCR
# split one word ("BAKE RIES") or read "BAHRU,JOHOR" as two.
CLOSE_GAP = 0.3
# A gap under half a character that is also well under the line's usual gap between words (its
# median, three gaps or more) is no space either: "GARDENI A", "Sdn. BHD" printed "Sdn.BHD".
NARROW_GAP = 0.5
NARROW_SHARE = 0.6


def join_close_words(
    line: Sequence[Word], close_gap: float = CLOSE_GAP, run_on: Collection[int] = ()
) -> list[dict[str, Any]]:
    """The words of one line (left to right) with those closer than ``close_gap`` character
    widths, or narrowly apart (``NARROW_GAP``, ``NARROW_SHARE``), or that run on into the next
    (their positions in ``run_on``), run together into one word (their boxes' union, the lower
    confidence)."""
    chars = sum(len(str(w["text"])) for w in line)
    if len(line) < 2 or not chars:
        return [dict(w) for w in line]
    char_width = sum(int(w["width"]) for w in line) / chars
    gaps = [int(b["left"]) - int(a["left"]) - int(a["width"]) for a, b in itertools.pairwise(line)]
    typical = statistics.median(gaps) if len(gaps) >= 3 else 0
    out = [dict(line[0])]
    for n, w in enumerate(line[1:], 1):
        last = out[-1]
        right = int(last["left"]) + int(last["width"])
        gap = int(w["left"]) - right
        narrow = gap < NARROW_GAP * char_width and gap < NARROW_SHARE * typical
        if gap < close_gap * char_width or narrow or n - 1 in run_on:
            top = min(int(last["top"]), int(w["top"]))
            bottom = max(int(last["top"]) + int(last["height"]), int(w["top"]) + int(w["height"]))
            out[-1] = {
                **last,
                "text": f"{last['text']}{w['text']}",
                "width": max(right, int(w["left"]) + int(w["width"])) - int(last["left"]),
                "top": top,
                "height": bottom - top,
            }
            confs = [float(x["conf"]) for x in (last, w) if "conf" in x]
            if confs:
                out[-1]["conf"] = min(confs)
        else:
            out.append(dict(w))
    return out


__all__ = ["CLOSE_GAP", "MIN_RATIO", "join_close_words", "merge_line", "merge_readings"]
