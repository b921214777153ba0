"""Fields found by the words that name them: the value of the field's kind written after or
under its label ("Net pay 1,234.00", "Opening balance: 5.00", "Statement period 01/01/2024 -
31/01/2024", "Employee  Jane Doe").

This is the rule for every field the specialised rules of ``fields`` don't know by name (a
pay stub's gross and net pay, a bank statement's balances and period, any field an admin adds):
the label words come from the field's name (``gross_pay`` -> "gross pay"). A name ending in
``_start``/``_from`` takes the first value after the label, ``_end``/``_to`` the second
("Period 01/01/2024 - 31/01/2024").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from classification.extraction.lines import Box, Line
from classification.extraction.parsers import (
    find_amounts,
    find_dates,
    normalise_currency,
    parse_iban,
    parse_identifier,
    parse_percentage,
)


@dataclass(frozen=True, slots=True)
class Found:
    value: str
    raw: str
    bbox: Box | None
    confidence: float


_WORD = re.compile(r"[^\W\d_]+")
_POSITIONS = {"start": 0, "from": 0, "begin": 0, "first": 0, "end": 1, "to": 1, "until": 1}
# Name parts a label may leave out ("Pay date" and "Pay" both name pay_date).
_OPTIONAL = {"date", "number", "no", "nr", "num", "amount", "name", "value", "id"}
_LEADING = re.compile("^[\\s:;=\\-\u2013\u2014#.]+")
_PERCENT_SPAN = re.compile(r"-?\d+(?:[.,]\d+)?\s*(?:%|percent\b)")


@dataclass(frozen=True, slots=True)
class Label:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    position: int  # which of the values after the label: 0 the first, 1 the second


def label_for(name: str) -> Label | None:
    """The label words of a field name; None when the name holds no word to look for."""
    parts = [p for p in re.split(r"[_\-\s]+", name.casefold()) if p]
    position = 0
    if parts and parts[-1] in _POSITIONS and len(parts) > 1:
        position = _POSITIONS[parts.pop()]
    required = tuple(p for p in parts if p not in _OPTIONAL and p.isalpha())
    optional = tuple(p for p in parts if p in _OPTIONAL)
    if not required:
        required, optional = optional[:1], optional[1:]
    return Label(required, optional, position) if required else None


def _close(token: str, wanted: str) -> bool:
    """Equal, or one edit apart for words of five letters or more (OCR noise)."""
    if token == wanted:
        return True
    if len(wanted) < 5 or abs(len(token) - len(wanted)) > 1:
        return False
    if len(token) == len(wanted):
        return sum(a != b for a, b in zip(token, wanted, strict=True)) <= 1
    short, long_ = sorted((token, wanted), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def find_label(text: str, label: Label) -> tuple[int, int] | None:
    """(end of the label in ``text``, how many of its optional words are there), or None.

    The required words must appear in order within a few words of each other; glued words
    ("NetPay") count too."""
    tokens = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]
    # A word the OCR split in two ("Sub Total") also reads as the one word ("subtotal").
    joined = [(a[0] + b[0], a[1], b[2]) for a, b in itertools.pairwise(tokens)]
    if any(j[0] in label.required for j in joined):
        tokens = sorted(tokens + [j for j in joined if j[0] in label.required], key=lambda t: t[1])
    glued = "".join(label.required)
    for i in range(len(tokens)):
        if len(label.required) > 1 and tokens[i][0] == glued:
            matched_end, last = tokens[i][2], i
        else:
            j, last, matched_end = 0, -1, -1
            for k in range(i, min(len(tokens), i + len(label.required) + 2)):
                if _close(tokens[k][0], label.required[j]):
                    j, last, matched_end = j + 1, k, tokens[k][2]
                    if j == len(label.required):
                        break
                elif k == i:
                    break
            if j < len(label.required):
                continue
        # Optional words right after the required ones belong to the label ("Pay date").
        extra = 0
        for word, _, end in tokens[last + 1 : last + 1 + len(label.optional)]:
            if word in label.optional:
                extra, matched_end = extra + 1, end
            else:
                break
        return matched_end, extra
    return None


# A value reader: (text) -> [(normalised value, start, end)] in reading order.
Reader = Callable[[str], list[tuple[str, int, int]]]


def _dates(text: str) -> list[tuple[str, int, int]]:
    return [(d.iso, *d.span) for d in find_dates(text)]


def _money(text: str) -> list[tuple[str, int, int]]:
    return [(f"{m.amount:.2f}", *m.span) for m in find_amounts(text)]


def _percentages(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in _PERCENT_SPAN.finditer(text):
        value = parse_percentage(m.group())
        if value is not None:
            out.append((str(value), m.start(), m.end()))
    return out


def _first_token(parse: Callable[[str], str | None]) -> Reader:
    def read(text: str) -> list[tuple[str, int, int]]:
        value = parse(text)
        if value is None:
            return []
        start = text.find(value)
        return [(value, max(start, 0), max(start, 0) + len(value))]

    return read


def _currency(text: str) -> list[tuple[str, int, int]]:
    for m in re.finditer(r"[^\s:;,()]+", text):
        code = normalise_currency(m.group())
        if code:
            return [(code, m.start(), m.end())]
    return []


def _text(text: str) -> list[tuple[str, int, int]]:
    lead = _LEADING.match(text)
    start = lead.end() if lead else 0
    value = " ".join(text[start:].split())
    return [(value, start, len(text))] if len(value) >= 2 else []


READERS: dict[str, Reader] = {
    "date": _dates,
    "money": _money,
    "percentage": _percentages,
    "identifier": _first_token(parse_identifier),
    "account": _first_token(lambda t: parse_iban(t) or parse_identifier(t)),
    "currency": _currency,
    "text": _text,
    "names": _text,
}


def _right_of(lines: Sequence[Line], i: int) -> list[int]:
    """Lines on line ``i``'s row to its right, nearest first (OCR splits table columns)."""
    _, top, right, bottom = lines[i].box
    row = [
        j
        for j, other in enumerate(lines)
        if j != i and other.box[0] >= right and top <= (other.box[1] + other.box[3]) / 2 <= bottom
    ]
    return sorted(row, key=lambda j: lines[j].box[0])


def _below(lines: Sequence[Line], i: int, label_box: Box | None) -> list[int]:
    """The next line under the label that overlaps it horizontally (a label above its value)."""
    if label_box is None:
        return []
    left, _, right, bottom = label_box
    height = max(1, lines[i].box[3] - lines[i].box[1])
    for j in range(i + 1, min(len(lines), i + 4)):
        other = lines[j].box
        if other[1] < bottom or other[1] - bottom > 2.5 * height:
            continue
        if min(right, other[2]) - max(left, other[0]) > 0:
            return [j]
    return []


def extract(lines: Sequence[Line], name: str, kind: str) -> Found | None:
    """The value of kind ``kind`` labeled by the words of ``name``, or None.

    Looks after the label on its line, then on the same row to the right, then on the line
    under it; the first label with a readable value wins, one naming the field in full (its
    optional words too) before a shorter one."""
    label = label_for(name)
    read = READERS.get(kind)
    if label is None or read is None:
        return None
    best: tuple[float, Found] | None = None
    for i, line in enumerate(lines):
        hit = find_label(line.text, label)
        if hit is None:
            continue
        end, extra = hit
        places: list[tuple[Line, int, float]] = [(line, end, 0.2)]
        places += [(lines[j], 0, 0.1) for j in _right_of(lines, i)]
        places += [(lines[j], 0, 0.0) for j in _below(lines, i, line.bbox(0, end))]
        for owner, offset, bonus in places:
            values = read(owner.text[offset:])
            if kind in ("text", "names") and values and offset == 0 and owner is not line:
                values = values[:1]
            if len(values) <= label.position:
                continue
            value, start, stop = values[label.position]
            raw = owner.text[offset + start : offset + stop].strip()
            conf = round(min(0.9, 0.45 + bonus + 0.1 * extra), 3)
            score = conf - 0.001 * i
            if best is None or score > best[0]:
                best = (score, Found(value, raw, owner.bbox(offset + start, offset + stop), conf))
            break
    return best[1] if best else None
