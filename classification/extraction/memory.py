"""Learning fields from a person's corrections: what identifies a field in one layout, and
finding it again on the next document of that layout.

Plain functions, no Django (``classification.fieldmemory`` stores and looks up what these
return). Three parts:

- ``fingerprint``: the vendor or layout of a page, from the strongest words of its header (the
  shop's name and address on a receipt, an invoice's letterhead), as readable text of at most 64
  characters. OCR never reads two scans of the same header alike, so fingerprints are compared
  with ``similarity`` (words matched with a tolerance for misread letters), not for equality.
- ``learn``: from the words a person picked for a field, what finds it again: the label words
  next to it (``TOTAL``, ``Date:``) on its row or on the line above, the offset from those words
  to the value, the value's place on the page (relative, and counted in lines from the top and
  the bottom), the shape of what was picked, and the value itself.
- ``apply``: on another page, find the label words (misread words tolerated), read the value of
  the field's kind at the learned offset (the nearest one in that direction), or, without a
  label, near the learned place; a text field whose lines read like the value the person gave
  gets that value, spelled as they spelled it. Returns an ``Extracted`` with ``source="learned"``.

Measured on the SROIE receipts of ``../shared/data/real-dev`` by ``bench.extract --learn K``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from classification.extraction.fields import Extracted, confidence
from classification.extraction.labeled import CELL_GAP, cell_spans
from classification.extraction.lines import (
    Box,
    Line,
    group_lines,
    join_words,
    make_line,
    union_box,
)
from classification.extraction.parsers import (
    find_amounts,
    find_dates,
    normalise_currency,
    parse_iban,
    parse_identifier,
    parse_money,
    parse_percentage,
)

Word = Mapping[str, Any]

# Version of the anchor dicts ``learn`` writes; ``apply`` ignores others. 1: first version.
ANCHOR_VERSION = 1
SOURCE = "learned"

# --------------------------------------------------------------------------------------------
# Fingerprints

FINGERPRINT_CHARS = 64  # FieldMemory.fingerprint's length
HEADER_SHARE = 0.4  # the header is in the top 40% of the page
HEADER_LINES = 6  # lines with strong words read at most
MIN_CONF = 60  # words OCR'd with less confidence are too often misread to identify anything
# Fingerprints at least this similar are the same layout. Chosen on the 400 SROIE receipts by
# ``bench.extract --learn`` (groups against the true vendors): purity 0.958 and together 0.829
# at 0.6, 0.913 / 0.918 at 0.5, 0.973 / 0.812 at 0.65; all but 5 of the "impure" receipts are
# the truth spelling a vendor two ways or a chain's branches (bench/README.md).
SAME_LAYOUT = 0.6
TOKEN_MATCH = 0.7  # two words are one misread word when their edit ratio reaches this

# Words every vendor prints: they say nothing about which vendor it is. (Written as text, one
# string split, so the list reads as words.)
_GENERIC = frozenset(
    """SDN BHD SON SDM BHO CO COM CORP LTD INC LLC PLC GMBH ENTERPRISE TRADING THE AND FOR OF
    TAX INVOICE RECEIPT SIMPLIFIED CASH BILL GST SST VAT REG NO TEL FAX PHONE EMAIL WWW HTTP
    HTTPS DATE TIME TOTAL WELCOME THANK YOU OFFICIAL SALES COPY ORIGINAL PAGE ID LOT STREET ROAD
    AVENUE JALAN JLN TAMAN TMN STRASSE RUE""".split()  # noqa: SIM905
)
_LETTERS = re.compile(r"[^A-Z]")


def _strong_tokens(line: Line) -> list[str]:
    tokens = []
    for word in line.words:
        if float(word.get("conf", 100)) < MIN_CONF:
            continue
        token = _LETTERS.sub("", str(word["text"]).upper())  # digits and punctuation go
        if len(token) >= 3 and token not in _GENERIC:
            tokens.append(token)
    return tokens


def fingerprint(words: Sequence[Word], width: int, height: int) -> str:
    """The page's vendor or layout: the distinct strong words of its header in reading order
    (letters only, upper case, no generic words like ``SDN BHD`` or ``INVOICE``), joined by
    spaces, at most 64 characters; "" when the header has none.

    Lines all in lower case are skipped: handwritten notes on a scan (SROIE's receipts carry the
    annotator's name at the top), never a printed letterhead.
    """
    del width
    tokens: list[str] = []
    used = 0
    for line in group_lines(words):
        if line.box[1] > HEADER_SHARE * max(height, 1) or used >= HEADER_LINES:
            break
        if line.text == line.text.lower():
            continue
        strong = _strong_tokens(line)
        used += bool(strong)
        tokens.extend(t for t in strong if t not in tokens)
    text = ""
    for token in tokens:
        if len(text) + len(token) + bool(text) > FINGERPRINT_CHARS:
            break
        text = f"{text} {token}" if text else token
    return text


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (words and lines: a plain dynamic programme is fast enough)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# Fingerprint words meet again and again (every lookup compares a page with every layout).
_word_distance = lru_cache(maxsize=65536)(_distance)


def text_ratio(a: str, b: str) -> float:
    """1 - edit distance / longer length: 1.0 equal, 0.0 nothing in common."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    longest = max(len(a), len(b))
    if abs(len(a) - len(b)) > longest * (1 - TOKEN_MATCH):
        return 1 - abs(len(a) - len(b)) / longest  # an upper bound, enough to refuse
    distance = _word_distance(a, b) if longest <= 24 else _distance(a, b)
    return 1 - distance / longest


def _matched(tokens: list[str], others: set[str]) -> int:
    return sum(t in others or any(text_ratio(t, o) >= TOKEN_MATCH for o in others) for t in tokens)


@lru_cache(maxsize=4096)
def _trigrams(text: str) -> frozenset[str]:
    padded = f" {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """How alike two fingerprints are, in [0, 1]: the share of the words of both that have a
    match in the other (equal, or one misread into the other)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    # Cheap refusal first: fingerprints of different vendors share few letter triples, and a
    # lookup compares a page with every layout people taught. Alike ones (0.55 and more) share
    # at least 43% of the shorter one's triples on the SROIE receipts.
    ta, tb = _trigrams(a), _trigrams(b)
    if len(ta & tb) < 0.35 * min(len(ta), len(tb)):
        return 0.0
    left, right = a.split(), b.split()
    matched = _matched(left, set(right)) + _matched(right, set(left))
    return matched / (len(left) + len(right))


def best_match(page: str, known: Iterable[str]) -> str | None:
    """The known fingerprint most like ``page``'s, if at least ``SAME_LAYOUT`` alike (of equally
    alike ones, the first in sorted order, so every process picks the same)."""
    best: tuple[float, str] | None = None
    for candidate in sorted(known):
        score = similarity(page, candidate)
        if score >= SAME_LAYOUT and (best is None or score > best[0]):
            best = (score, candidate)
    return None if best is None else best[1]


# --------------------------------------------------------------------------------------------
# Words, rows and values


def _norm(text: str) -> str:
    """A word as label words are compared: upper case, letters and digits only."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def shape(text: str) -> str:
    """Digits as 9, letters as A, other characters kept, spaces dropped: "25/12/2018" is
    "99/99/9999", "CS00012345" is "AA99999999"."""
    return re.sub(r"[^\W\d_]", "A", re.sub(r"\d", "9", "".join(text.split())))


def _centre_y(w: Word) -> float:
    return int(w["top"]) + int(w["height"]) / 2


@dataclass(frozen=True, slots=True)
class _Page:
    lines: list[Line]
    width: int
    height: int

    def row(
        self, box: Box, *, right_of: int | None = None, left_of: int | None = None
    ) -> list[Word]:
        """The words whose vertical centre lies within ``box``'s top and bottom, left to right,
        across the OCR's lines (Tesseract cuts a table row into several)."""
        top, bottom = box[1], box[3]
        slack = 0.15 * (bottom - top)
        out = [
            w
            for line in self.lines
            if line.box[1] <= bottom and line.box[3] >= top
            for w in line.words
            if top - slack <= _centre_y(w) <= bottom + slack
            and (right_of is None or int(w["left"]) >= right_of)
            and (left_of is None or int(w["left"]) + int(w["width"]) <= left_of)
        ]
        return sorted(out, key=lambda w: int(w["left"]))

    def line_index(self, word: Word) -> int:
        for i, line in enumerate(self.lines):
            if any(w is word for w in line.words):
                return i
        return -1


@dataclass(frozen=True, slots=True)
class _Value:
    value: str
    raw: str
    words: list[Word]

    @property
    def box(self) -> Box:
        found = union_box(self.words)
        assert found is not None
        return found


def _words_in(words: Sequence[Word], spans: list[tuple[int, int]], a: int, b: int) -> list[Word]:
    return [w for w, (s, e) in zip(words, spans, strict=True) if s < b and e > a]


def values_in(
    words: Sequence[Word], kind: str, day_first: bool | None = None, bare: bool = True
) -> list[_Value]:
    """The values of ``kind`` in a run of words (one row, or part of one), left to right.
    ``bare``: a number without cents or a currency is an amount when nothing else is."""
    text, spans = join_words(words)
    out: list[_Value] = []
    if kind == "date":
        for d in find_dates(text, day_first=day_first):
            out.append(_Value(d.iso, d.raw, _words_in(words, spans, *d.span)))
    elif kind in ("money", "percentage"):
        for m in find_amounts(text):
            within = _words_in(words, spans, *m.span)
            digits = [w for w in within if any(c.isdigit() for c in str(w["text"]))]
            out.append(_Value(f"{m.amount:.2f}", m.raw, digits or within))  # "RM" is no place
        if not out and bare:  # a bare number ("1939") when nothing has cents or a currency
            for w in words:
                number = parse_money(str(w["text"]))
                if number is not None and any(c.isdigit() for c in str(w["text"])):
                    out.append(_Value(f"{number.amount:.2f}", number.raw, [w]))
        if kind == "percentage":
            out = [
                _Value(f"{p:.2f}", str(w["text"]), [w])
                for w in words
                if (p := parse_percentage(str(w["text"]))) is not None
            ] or out
    elif kind == "currency":
        for w in words:
            code = normalise_currency(str(w["text"]).strip(".,:;()"))
            if code:
                out.append(_Value(code, str(w["text"]), [w]))
    elif kind == "identifier":
        for w in words:
            token = parse_identifier(str(w["text"]))
            if token is not None and not find_dates(token):
                out.append(_Value(token, token, [w]))
    elif kind == "account":
        iban = parse_iban(text)
        if iban:
            out.append(_Value(iban, iban, list(words)))
    elif words:  # text and names: the run itself
        out.append(_Value(" ".join(text.split()), text, list(words)))
    return out


# --------------------------------------------------------------------------------------------
# Learning

MAX_LABEL_WORDS = 4


def _is_label_word(w: Word) -> bool:
    """A word that can name a field: letters (two at least), no digits ("TOTAL", "Date:",
    "RM"), read with some confidence (a smudge or a logo reads as "EEE")."""
    text = str(w["text"])
    return (
        len(_norm(text)) >= 2
        and not any(c.isdigit() for c in text)
        and float(w.get("conf", 100)) >= MIN_CONF
    )


def _label_left(page: _Page, value: Box, picked: list[Word]) -> list[Word]:
    """The label words just left of the value on its row, nearest last: one phrase, so they
    stop where the words stand further apart than ``CELL_GAP`` line heights or another OCR line
    begins (what is beyond is another cell: a customer's name left of "Our ref")."""
    row = [w for w in page.row(value, left_of=value[0] + 2) if not any(w is p for p in picked)]
    gap = CELL_GAP * max(value[3] - value[1], 1)
    label: list[Word] = []
    for w in reversed(row):
        text = str(w["text"])
        if label and (
            int(label[0]["left"]) - int(w["left"]) - int(w["width"]) > gap
            or page.line_index(w) != page.line_index(label[0])
        ):
            break
        if not _norm(text) or (not label and normalise_currency(text.strip(".,:;()"))):
            continue  # punctuation or a currency between the label and the value (":", "RM")
        if not _is_label_word(w):
            break  # a quantity or a price: what is left of it is another field's
        label.insert(0, w)
        if len(label) == MAX_LABEL_WORDS:
            break
    return label


def _phrase(words: list[Word], seeds: list[Word], gap: float) -> list[Word]:
    """The words of ``words`` (one line, left to right) in the phrase around ``seeds``: those
    joined to them by gaps of at most ``gap``."""
    ordered = sorted(words, key=lambda w: int(w["left"]))
    at = [i for i, w in enumerate(ordered) if any(w is s for s in seeds)]
    if not at:
        return []
    a, b = min(at), max(at)
    while a > 0 and int(ordered[a]["left"]) - _right(ordered[a - 1]) <= gap:
        a -= 1
    while b + 1 < len(ordered) and int(ordered[b + 1]["left"]) - _right(ordered[b]) <= gap:
        b += 1
    return ordered[a : b + 1]


def _right(w: Word) -> int:
    return int(w["left"]) + int(w["width"])


def _label_above(page: _Page, value: Box, first_line: int) -> list[Word]:
    """Label words in the row above the value that stand over it: the phrase of the nearest
    line of that row with words over the value's columns. With one OCR line per table cell the
    row above is several lines: the other columns' headers are passed over, not taken as the
    end of the search."""
    height = max(value[3] - value[1], 1)
    row_above: Box | None = None
    for i in range(first_line - 1, -1, -1):
        line = page.lines[i]
        if line.box[3] > value[1] + 0.5 * height:
            continue  # the same row, cut into another OCR line
        if row_above is None:
            row_above = line.box
        elif line.box[3] < row_above[1]:
            break  # a row further up
        over = [
            w
            for w in line.words
            if _is_label_word(w)
            and int(w["left"]) < value[2] + height
            and _right(w) > value[0] - height
        ]
        if not over:
            continue  # another column's header
        phrase = _phrase(line.words, over, CELL_GAP * height)
        return [w for w in phrase if _is_label_word(w)][:MAX_LABEL_WORDS]
    return []


def pick_words(words: Sequence[Word], bbox: Sequence[float]) -> list[int]:
    """The indices of the words a box drawn over them covers: more than half of a word's
    area inside the box (how the workbench's picked box, the union of the words, is read)."""
    left, top, right, bottom = (float(v) for v in bbox)
    out = []
    for i, w in enumerate(words):
        if not str(w.get("text", "")).strip():
            continue
        wl, wt = float(w["left"]), float(w["top"])
        wr, wb = wl + float(w["width"]), wt + float(w["height"])
        inter = max(0.0, min(wr, right) - max(wl, left)) * max(0.0, min(wb, bottom) - max(wt, top))
        area = max((wr - wl) * (wb - wt), 1.0)
        if inter / area > 0.5:
            out.append(i)
    return out


def locate(words: Sequence[Word], width: int, height: int, kind: str, value: str) -> list[int]:
    """The word indices a person would pick for ``value`` (what a benchmark feeds ``learn``
    with instead of a person): the words that read as the value, compared the way the kind is
    (dates and amounts parsed, text by letters and digits), else the words most like it (OCR
    misread them; the person picks them and types the value right); [] when nothing on the page
    is alike enough. Of equally good ones, the lowest on the page (a total repeats below as the
    amount paid more often than above)."""
    del width, height
    page = _Page(group_lines(words), 0, 0)
    want = _wanted(kind, value)
    if want is None:
        return []
    found: list[tuple[float, list[Word]]] = []
    if kind in ("text", "names"):
        found = _text_runs(page.lines, _norm(value))
    else:
        for line in page.lines:
            found += [
                (1.0, v.words) for v in values_in(page.row(line.box), kind) if v.value == want
            ]
        if not found:  # misread: the word or two most like the value as written
            target = _norm(value)
            for line in page.lines:
                for a in range(len(line.words)):
                    for b in range(a + 1, min(a + 3, len(line.words) + 1)):
                        run = list(line.words[a:b])
                        if not all(any(c.isdigit() for c in str(w["text"])) for w in run):
                            continue
                        score = text_ratio(target, _norm(" ".join(str(w["text"]) for w in run)))
                        if score >= LOCATE_MATCH:
                            found.append((score, run))
    if not found:
        return []
    _, best = max(found, key=lambda f: (f[0], (union_box(f[1]) or (0, 0, 0, 0))[1]))
    index = {id(w): i for i, w in enumerate(words)}
    return sorted(index[id(w)] for w in best if id(w) in index)


LOCATE_MATCH = 0.75  # words this alike to the value are where a person would have picked it

# A text a person gave for words picked on the page reads at least this alike to them, else it
# was typed over them: a misread word put right ("Tampol" as "Tampoi") stays picked there. A
# date or an amount, a few digits long, needs ``LOCATE_MATCH``: "12.80" and "1.00" are 0.5 alike.
PICKED_MATCH = 0.5


def reads_as(words: Sequence[Word], kind: str, value: str, bbox: Sequence[float]) -> bool:
    """Whether the words ``bbox`` covers can be where ``value`` was picked: they read as it
    (dates and amounts parsed), contain it or are contained in it (a line picked and its label
    deleted), or are alike enough with misread characters (``PICKED_MATCH``, ``LOCATE_MATCH``
    for the other kinds than text); also when the box covers no words (nothing on the page says
    otherwise). False for a value typed over another one's place: the rules' box of a wrong line
    kept beside the person's own value."""
    picked = [words[i] for i in pick_words(words, bbox)]
    if not picked or not value.strip():
        return True
    text = " ".join(str(w["text"]) for w in picked)
    want = _wanted(kind, value)
    if want is not None and kind not in ("text", "names") and _wanted(kind, text) == want:
        return True
    ours, theirs = _norm(value), _norm(text)
    if not ours or not theirs or ours in theirs or theirs in ours:
        return True
    least = PICKED_MATCH if kind in ("text", "names") else LOCATE_MATCH
    return text_ratio(ours, theirs) >= least


def _text_runs(lines: list[Line], target: str) -> list[tuple[float, list[Word]]]:
    """Runs of whole lines, or words within one line, that read like ``target``."""
    found: list[tuple[float, list[Word]]] = []
    if not target:
        return found
    for start in range(len(lines)):
        joined = ""
        for end in range(start, min(start + 6, len(lines))):
            joined += _norm(lines[end].text)
            score = text_ratio(target, joined)
            if score >= LOCATE_MATCH:
                found.append((score, [w for line in lines[start : end + 1] for w in line.words]))
            if len(joined) >= 1.3 * len(target):
                break
    # A text over lines in one column of a form whose rows are read as one line each: its cells,
    # each under the one before (whole lines would join the next column's words in).
    cells = _cells(lines)
    for start in range(len(cells)):
        joined, run, at, parts = "", [], start, []
        for _ in range(6):
            joined += _norm(cells[at].text)
            run += cells[at].words
            parts.append(cells[at])
            score = text_ratio(target, joined)
            if score >= LOCATE_MATCH and len(parts) > 1:
                found.append((score, list(run)))
            if len(joined) >= 1.3 * len(target):
                break
            below = _cell_below(cells, at)
            if below is None:
                break
            at = below
    for line in lines:  # a value within one line ("Vendor: ACME" picked as "ACME")
        for a in range(len(line.words)):
            for b in range(a + 1, len(line.words) + 1):
                run = list(line.words[a:b])
                score = text_ratio(target, _norm(" ".join(str(w["text"]) for w in run)))
                if score >= LOCATE_MATCH and b - a < len(line.words):
                    found.append((score, run))
    return found


def _cells(lines: list[Line]) -> list[Line]:
    """The lines cut where their words stand further apart than ``CELL_GAP`` line heights (a
    form's columns read as one OCR line), top to bottom."""
    out: list[Line] = []
    for line in lines:
        for a, b in cell_spans(line):
            words = [
                w for w, (x, y) in zip(line.words, line.spans, strict=True) if a <= x and y <= b
            ]
            out.append(make_line(words))
    return sorted(out, key=lambda c: (c.box[1], c.box[0]))


def _cell_below(cells: list[Line], at: int) -> int | None:
    """The index of the cell on the next row down that stands under ``cells[at]`` (their
    columns overlap), or None: a text over lines goes on in its column."""
    cell = cells[at]
    next_top: int | None = None
    for i in range(at + 1, len(cells)):
        other = cells[i]
        if other.box[1] < cell.box[3] - 0.5 * cell.height:
            continue  # the same row
        if next_top is None:
            next_top = other.box[1]
        elif other.box[1] > next_top + 0.5 * other.height:
            return None  # past the next row
        if other.box[0] < cell.box[2] and other.box[2] > cell.box[0]:
            return i
    return None


def _wanted(kind: str, value: str) -> str | None:
    """``value`` in the form ``values_in`` gives it."""
    text = value.strip()
    if not text:
        return None
    if kind == "date":
        dates = find_dates(text)
        return dates[0].iso if dates else None
    if kind in ("money", "percentage"):
        money = parse_money(text)
        return f"{money.amount:.2f}" if money is not None else None
    if kind == "currency":
        return normalise_currency(text) or text.upper()
    if kind == "account":
        return parse_iban(text)
    return " ".join(text.split())


def learn(
    words: Sequence[Word],
    width: int,
    height: int,
    kind: str,
    value: str,
    *,
    bbox: Sequence[float] | None = None,
    indices: Sequence[int] | None = None,
) -> dict[str, Any] | None:
    """What finds a field again, from the words a person picked for it (their ``indices`` in
    ``words``, or the ``bbox`` drawn over them) and the value they gave. None when nothing on the
    page was picked."""
    chosen = list(indices) if indices is not None else pick_words(words, bbox or (0, 0, 0, 0))
    picked = [words[i] for i in chosen if 0 <= i < len(words) and str(words[i]["text"]).strip()]
    if not picked:
        return None
    page = _Page(group_lines(words), width, height)
    box = union_box(picked)
    assert box is not None
    line_numbers = sorted({page.line_index(w) for w in picked} - {-1})
    first = line_numbers[0] if line_numbers else 0
    label = _label_left(page, box, picked)
    where = "left" if label else None
    if not label:
        label = _label_above(page, box, first)
        where = "above" if label else None
    raw = " ".join(
        str(w["text"]) for w in sorted(picked, key=lambda w: (page.line_index(w), int(w["left"])))
    )
    w, h = max(width, 1), max(height, 1)
    anchor: dict[str, Any] = {
        "v": ANCHOR_VERSION,
        "kind": kind,
        "label": [_norm(str(x["text"])) for x in label],
        "where": where,
        "label_starts_row": bool(label) and _starts_row(page, label),
        "box": [
            round(box[0] / w, 4),
            round(box[1] / h, 4),
            round(box[2] / w, 4),
            round(box[3] / h, 4),
        ],
        "lines": max(1, len(line_numbers)),
        "line_from_top": first,
        "line_from_bottom": len(page.lines) - 1 - first,
        "shape": shape(raw),
        "cents": bool(re.search(r"\d[.,] ?\d\d(?!\d)", raw)),
        "example": value.strip(),
        "raw": raw,
    }
    if label:
        lbox = union_box(label)
        assert lbox is not None
        unit = max(lbox[3] - lbox[1], 1)
        # From the label's right edge (its bottom when above) to the value's left edge.
        anchor["offset"] = [
            round((box[0] - (lbox[2] if where == "left" else lbox[0])) / unit, 3),
            round((box[1] - lbox[1]) / unit, 3),
        ]
    if kind == "date":
        anchor["day_first"] = _day_first(raw, value)
    return anchor


def _starts_row(page: _Page, label: list[Word]) -> bool:
    lbox = union_box(label)
    assert lbox is not None
    before = [w for w in page.row(lbox, left_of=lbox[0] + 1) if _norm(str(w["text"]))]
    return not before


def _day_first(raw: str, value: str) -> bool | None:
    """Whether the page writes dates day first, when the person's value settles it (they typed
    the date in another form than the page's, and the page's is ambiguous)."""
    given = find_dates(value)
    if not given:
        return None
    for day_first in (True, False):
        read = find_dates(raw, day_first=day_first)
        if read and read[0].ambiguous and read[0].iso == given[0].iso:
            return day_first
    return None


def merge(previous: Mapping[str, Any] | None, new: dict[str, Any], keep: int = 3) -> dict[str, Any]:
    """The anchor of a second correction in the same layout, with up to ``keep`` earlier ones
    kept as alternatives (``apply`` tries all: one layout may print a field in two places)."""
    if not previous or previous.get("v") != ANCHOR_VERSION:
        return new
    earlier = [{k: v for k, v in previous.items() if k != "alternatives"}]
    earlier += list(previous.get("alternatives", []))
    same = [
        a
        for a in earlier
        if (a.get("label"), a.get("where")) != (new.get("label"), new.get("where"))
    ]
    return {**new, "alternatives": same[: keep - 1]} if keep > 1 else new


# --------------------------------------------------------------------------------------------
# Applying

# A learned value less sure than this gives way to the rules' value when they find one.
TRUSTED = 0.5
T = TypeVar("T")
# Kinds a second OCR reading of the page's numbers (``classification.ppocr``) reads better than
# a place learned on Tesseract's words: with that reading, their rules come first. Measured on
# receipts (K=1, PP-OCR): learned totals put first broke 3 right totals and fixed none.
NUMBER_KINDS = frozenset({"date", "money"})


def ahead_of_rules(
    learned: Mapping[str, T], kinds: Mapping[str, str], numbers_read: bool
) -> dict[str, T]:
    """The learned values that come before the rules: those sure enough (``TRUSTED``), except
    dates and amounts when the page's numbers were read a second time."""
    return {
        name: value
        for name, value in learned.items()
        if _confidence_of(value) >= TRUSTED
        and not (numbers_read and kinds.get(name) in NUMBER_KINDS)
    }


def _confidence_of(value: Any) -> float:
    found = value[1] if isinstance(value, tuple) else value
    return float(found.confidence)


LABEL_MATCH = 0.75  # label words read at least this alike are the label (OCR misreads letters)
SNAP_TEXT = 0.8  # a text field's lines this alike to the person's value are that value
SNAP_DISTANCE = 0.25  # and start at most this share of the page from where they were


def _label_matches(page: _Page, label: list[str]) -> list[tuple[float, list[Word]]]:
    """Runs of words on one line that read like the label words, with how alike."""
    target = "".join(label)
    out: list[tuple[float, list[Word]]] = []
    n = len(label)
    for line in page.lines:
        words = [w for w in line.words if _norm(str(w["text"]))]
        for size in {max(1, n - 1), n, n + 1}:
            for start in range(0, len(words) - size + 1):
                run = words[start : start + size]
                score = text_ratio(target, "".join(_norm(str(w["text"])) for w in run))
                if score >= LABEL_MATCH:
                    out.append((score, run))
    # A run inside a better run of the same words counts once.
    out.sort(key=lambda m: -m[0])
    kept: list[tuple[float, list[Word]]] = []
    for score, run in out:
        if not any(any(w is x for x in other for w in run) for _, other in kept):
            kept.append((score, run))
    return kept


def _rel(box: Box, page: _Page) -> tuple[float, float, float, float]:
    w, h = max(page.width, 1), max(page.height, 1)
    return box[0] / w, box[1] / h, box[2] / w, box[3] / h


def _place_penalty(anchor: Mapping[str, Any], page: _Page, value: _Value) -> float:
    """How far from the learned place, in page shares: vertically the nearer of its share of
    the page from the top and its count of lines from the bottom (receipts grow downwards)."""
    learned = anchor["box"]
    here = _rel(value.box, page)
    dy_top = abs(here[1] - learned[1])
    index = page.line_index(value.words[0])
    lines = max(len(page.lines), 1)
    dy_bottom = abs((lines - 1 - index) - int(anchor.get("line_from_bottom", 0))) / lines
    dx = abs((here[0] + here[2]) / 2 - (learned[0] + learned[2]) / 2)
    return min(dy_top, dy_bottom) + 0.5 * dx


# How far a value may stand from where the learned offset puts it, in label heights: across,
# ``COLUMN_SLACK`` and a share of the offset (a label far left of its value), less than a
# table's next column (a payslip's year-to-date beside the current amount, 15 heights away);
# down, about one line (the row under a label, not the next field's a few lines lower).
COLUMN_SLACK = 3.0
COLUMN_SHARE = 0.2
ROW_SLACK = 1.5


def _by_label(
    anchor: Mapping[str, Any], page: _Page, kind: str
) -> tuple[bool, tuple[float, _Value] | None]:
    """Whether the label is on the page, and the value at its learned offset (None when the
    place is empty or holds nothing of ``kind``: a blank or unreadable value is not looked for
    in the next column or the next rows, where another field's value stands)."""
    best: tuple[float, _Value] | None = None
    day_first, bare = anchor.get("day_first"), not anchor.get("cents")
    matches = _label_matches(page, list(anchor["label"]))
    learned_width = (float(anchor["box"][2]) - float(anchor["box"][0])) * page.width
    for score, run in matches:
        lbox = union_box(run)
        assert lbox is not None
        unit = max(lbox[3] - lbox[1], 1)
        dx, dy = anchor.get("offset", [0.0, 0.0])
        if anchor["where"] == "left":
            row = page.row(lbox, right_of=lbox[2] - 2)
            row = [w for w in row if not any(w is r for r in run)]
            expected_x = lbox[2] + dx * unit
            found = values_in(row, kind, day_first, bare)
        else:
            expected_x = lbox[0] + dx * unit
            expected_y = lbox[1] + dy * unit
            index = page.line_index(run[0])
            found = []
            for line in page.lines[index + 1 :]:
                if line.box[1] > expected_y + ROW_SLACK * unit:
                    break
                if line.box[1] >= expected_y - ROW_SLACK * unit:
                    found += values_in(page.row(line.box), kind, day_first, bare)
            found = [v for v in found if abs(v.box[1] - expected_y) <= ROW_SLACK * unit]
            if kind in ("text", "names"):
                found = _in_column(page, found, expected_x, learned_width, kind)
                found = sorted(found, key=lambda v: abs(v.box[1] - expected_y))[:1]
                if found and int(anchor.get("lines", 1)) > 1:
                    found = _lines_from(page, found[0], int(anchor["lines"]), kind)
        reach = (COLUMN_SLACK + COLUMN_SHARE * abs(dx)) * unit
        for v in found:
            across = min(abs(v.box[0] - expected_x), abs(v.box[2] - (expected_x + learned_width)))
            if across > reach:
                continue  # another column's value: this one's is blank or unreadable
            distance = abs(v.box[0] - expected_x) / max(page.width, 1)
            context = 0.0
            if anchor.get("label_starts_row") and not _starts_row(page, run):
                context = 0.25  # "TOTAL" was the row's first word; this one follows "SUB"
            fit = score - 2.0 * distance - context - 0.5 * _place_penalty(anchor, page, v)
            fit += 0.1 * (shape(v.raw) == anchor.get("shape"))
            if best is None or fit > best[0]:
                best = (fit, v)
    return bool(matches), best


def _in_column(
    page: _Page, found: list[_Value], left: float, width: float, kind: str
) -> list[_Value]:
    """Texts cut to the words of the learned column: the phrase of the words over
    [left, left + width] (a row of a form read as one OCR line holds the next column too)."""
    out = []
    for v in found:
        words = _column_words(v.words, left, left + width)
        if words:
            out += values_in(words, kind)[:1]
    return out


def _column_words(words: Sequence[Word], left: float, right: float) -> list[Word]:
    """The words over [left, right] and those joined to them by gaps of at most
    ``CELL_GAP`` line heights (a longer value than the learned one)."""
    words = list(words)
    if not words:
        return []
    height = max(int(w["height"]) for w in words)
    over = [w for w in words if int(w["left"]) < right and _right(w) > left]
    return _phrase(words, over, CELL_GAP * height)


def _lines_from(page: _Page, first: _Value, count: int, kind: str) -> list[_Value]:
    """A text of ``count`` lines beginning with ``first``'s (an address under its shop's name,
    learned over three lines, is three lines again): the words of the rows below that stand in
    ``first``'s column."""
    start = page.line_index(first.words[0])
    if start < 0:
        return [first]
    left, right = first.box[0], first.box[2]
    words = list(first.words)
    taken = 1
    bottom = first.box[3]
    for line in page.lines[start + 1 :]:
        if taken == count:
            break
        if line.box[1] < bottom - 0.5 * line.height:
            continue  # the first row, cut into other OCR lines
        column = _column_words(line.words, left, right)
        if not column:
            continue  # another column's cell in this row, or nothing under the text
        words += column
        taken += 1
        bottom = max(int(w["top"]) + int(w["height"]) for w in column)
    return values_in(words, kind)[:1] or [first]


def _by_place(anchor: Mapping[str, Any], page: _Page, kind: str) -> tuple[float, _Value] | None:
    """The value of ``kind`` nearest the learned place, within a few lines of it; an
    identifier only of the learned shape (letters, digits and signs in the same order: a
    customer number "K-100234" is never the "1" of "Page 1 of 2")."""
    best: tuple[float, _Value] | None = None
    day_first, bare = anchor.get("day_first"), not anchor.get("cents")
    for line in page.lines:
        for v in values_in(page.row(line.box), kind, day_first, bare):
            if kind == "identifier" and _coarse(shape(v.raw)) != _coarse(
                str(anchor.get("shape", ""))
            ):
                continue
            penalty = _place_penalty(anchor, page, v)
            penalty -= 0.03 * (shape(v.raw) == anchor.get("shape"))
            if penalty < 0.06 and (best is None or -penalty > best[0]):
                best = (-penalty, v)
    return best


def _coarse(text_shape: str) -> str:
    """A shape with runs of digits or letters as one ("A-999999" and "A-9999" are "A-9")."""
    return re.sub(r"(.)\1+", r"\1", text_shape)


def _snap_text(anchor: Mapping[str, Any], page: _Page) -> tuple[float, Box | None, str] | None:
    """Words near the learned place that read like the value the person gave: (how alike,
    where, the page's text)."""
    target = _norm(str(anchor.get("example", "")))
    learned_top = float(anchor["box"][1])
    best: tuple[float, Box | None, str] | None = None
    near = [
        line
        for line in page.lines
        if abs(line.box[1] / max(page.height, 1) - learned_top) <= SNAP_DISTANCE
    ]
    for score, run in _text_runs(near, target):
        box = union_box(run)
        assert box is not None
        # Further than a tenth of the page from where it was is less likely the same field.
        score -= 0.3 * max(0.0, abs(box[1] / max(page.height, 1) - learned_top) - 0.1)
        if score >= SNAP_TEXT and (best is None or score > best[0]):
            best = (score, box, " ".join(str(w["text"]) for w in run))
    return best


def _text_value(anchor: Mapping[str, Any], text: str) -> str:
    """The person's spelling where the page reads like it, misread or not (a vendor's name is
    then written one way on all its documents); the page's own where it is longer or shorter
    than misreadings make (this document prints more or less: a branch's name), or where a
    word differs by more than a misreading makes (another person: "Albert Brown" where
    "Robert Brown" was taught)."""
    example = str(anchor["example"])
    read, taught = _norm(text), _norm(example)
    if not 0.85 <= len(read) / max(len(taught), 1) <= 1.15 or _another_word(text, example):
        return " ".join(text.split())
    return example


# Glyphs OCR reads one for another, each to one form: a word that differs from the taught one
# only by these (or by a letter lost) is the taught word misread.
_ALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "5": "s", "8": "b"})
_ALIKE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def _alike(word: str) -> str:
    out = word.casefold().translate(_ALIKE)
    for pair, one in _ALIKE_PAIRS:
        out = out.replace(pair, one)
    return out


def _another_word(text: str, example: str) -> bool:
    """Whether the page's words, as many as the taught ones, differ from them in a word by more
    than a misreading: two letters that are no look-alikes of the taught ones, one in a short
    word, or a letter too many. A letter lost ("JAAN" for "JALAN") or one letter misread in a
    word of five or more ("HARDWAKE") is a misreading. The words are compared only when they
    are letters alone (a digit in a name is OCR's)."""
    read, taught = text.split(), example.split()
    if len(read) != len(taught) or not all(w.isalpha() for w in read + taught):
        return False
    for a, b in zip(read, taught, strict=True):
        a, b = _alike(a), _alike(b)
        if a == b:
            continue
        if len(a) == len(b) - 1 and any(b[:k] + b[k + 1 :] == a for k in range(len(b))):
            continue  # a letter lost
        if len(a) == len(b) >= 5 and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
            continue  # one letter misread in a long word ("HARDWAKE")
        return True
    return False


def apply(
    words: Sequence[Word],
    width: int,
    height: int,
    anchor: Mapping[str, Any],
    kind: str,
    lines: Sequence[Line] | None = None,
) -> Extracted | None:
    """The field on this page by what ``learn`` (or ``merge``) stored, or None when neither
    the label nor the place gives a value of ``kind``. ``lines``: ``group_lines(words)``, when
    the caller applies several anchors to one page and has grouped its words once."""
    if anchor.get("v") != ANCHOR_VERSION:
        return None
    page = _Page(list(lines) if lines is not None else group_lines(words), width, height)
    if not page.lines:
        return None
    variants = [anchor, *anchor.get("alternatives", [])]
    found: list[Extracted] = []
    for variant in variants:
        one = _apply_one(variant, page, kind)
        if one is not None:
            found.append(one)
    return max(found, key=lambda e: e.confidence) if found else None


def _apply_one(anchor: Mapping[str, Any], page: _Page, kind: str) -> Extracted | None:
    if kind in ("text", "names"):
        snapped = _snap_text(anchor, page)
        if snapped is not None:
            score, box, text = snapped
            return Extracted(_text_value(anchor, text), text, box, confidence(score), SOURCE)
    if anchor.get("label"):
        labelled, best = _by_label(anchor, page, kind)
        if best is not None:
            fit, v = best
            return Extracted(v.value, v.raw, v.box, confidence(0.45 + 0.45 * fit), SOURCE)
        if labelled:
            return None  # the label is there, its value is not: blank or unreadable
    if kind in ("text", "names"):
        return None  # a text without its label or its words is anyone's guess
    placed = _by_place(anchor, page, kind)
    if placed is None:
        return None
    fit, v = placed
    # A value by place alone is a guess: below TRUSTED, so the rules' value comes first...
    sure = TRUSTED - 0.05 + fit
    if (
        kind in PLACED_KINDS
        and not anchor.get("label")
        and shape(v.raw) == anchor.get("shape")
        and fit >= PLACE_CLOSE
    ):
        # ...except an identifier the person picked where no label names it (a customer number
        # top right), of its shape and where it was: the rules read labelled numbers, and
        # take another one (an order number) for it.
        sure = max(sure, TRUSTED)
    return Extracted(v.value, v.raw, v.box, confidence(sure), SOURCE)


# Kinds whose value, learned where no label names it, is trusted where the next document has
# one of its shape, at most ``-PLACE_CLOSE`` page shares (less the shape's 0.03) from its place.
# Not dates and amounts: the rules read them without labels.
PLACED_KINDS = frozenset({"identifier"})
PLACE_CLOSE = 0.0


# Kinds read from a page's names (``fields.name_words``) when a second reading is given.
TEXT_KINDS = frozenset({"text", "names"})


class PageReadings:
    """The words a page's fields are read from, each reading grouped into lines once: text
    fields read ``text_words()`` when it is given (asked for once, when a text field is first
    read: ``fields.name_words``, PP-OCR's characters on Tesseract's words, as the vendor and
    address rules read them), the other fields ``words``. Anchors learned on ``words`` find
    their places in either."""

    def __init__(
        self, words: Sequence[Word], text_words: Callable[[], Sequence[Word]] | None = None
    ) -> None:
        self._words = words
        self._text_words = text_words
        self._grouped: dict[bool, tuple[Sequence[Word], list[Line]]] = {}

    def read(self, kind: str) -> tuple[Sequence[Word], list[Line]]:
        """The words a field of ``kind`` is read from, and their lines."""
        texty = self._text_words is not None and kind in TEXT_KINDS
        if texty not in self._grouped:
            words = self._text_words() if texty and self._text_words else self._words
            self._grouped[texty] = (words, group_lines(words))
        return self._grouped[texty]


def apply_all(
    words: Sequence[Word],
    width: int,
    height: int,
    anchors: Mapping[str, Mapping[str, Any]],
    fields: Iterable[tuple[str, str]],
    text_words: Sequence[Word] | None = None,
) -> dict[str, Extracted]:
    """``apply`` for each field ``(name, kind)`` that has an anchor; the fields found.
    ``text_words``: the words text fields are read from, when they read better than ``words``
    (``PageReadings``)."""
    out = {}
    readings = PageReadings(words, None if text_words is None else lambda: text_words)
    for name, kind in fields:
        if name in anchors:
            source, lines = readings.read(str(kind))
            found = apply(source, width, height, anchors[name], str(kind), lines)
            if found is not None:
                out[name] = found
    return out


__all__ = [
    "ANCHOR_VERSION",
    "SAME_LAYOUT",
    "TEXT_KINDS",
    "PageReadings",
    "apply",
    "apply_all",
    "best_match",
    "fingerprint",
    "learn",
    "locate",
    "merge",
    "pick_words",
    "reads_as",
    "similarity",
]
