"""Fields found by the words that name them: the value of the field's kind written after or
under its label ("Net pay 1,234.00", "Opening balance: 5.00", "Statement period 01/01/2024 -
31/01/2024", "Employee  Jane Doe").

This is the rule for every field the specialised rules of ``fields`` don't know by name (a
pay stub's gross and net pay, a bank statement's balances and period, any field an admin adds):
the label words come from the field's name (``gross_pay`` -> "gross pay"). A name ending in
``_start``/``_from`` takes the first value after the label, ``_end``/``_to`` the second
("Period 01/01/2024 - 31/01/2024").

Where a value stands is found by position (``Grid``): in the label's cell after it, in the
cells to its right on its row (another OCR line or not), or in the cell directly under the
label's own words (a table's header row over its values). A field's label words have
synonyms (``SYNONYMS``: "Beginning balance" for the opening balance), which lose to its own.
"""

from __future__ import annotations

import bisect
import functools
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
_PERCENT_SPAN = re.compile(r"(?i)-?\d+(?:[.,]\d+)?\s*(?:%|per\s?cent\b|pct\b)")


@dataclass(frozen=True, slots=True)
class Label:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    position: int  # which of the values after the label: 0 the first, 1 the second
    exact: bool = False  # its words match only as they are (a synonym), not one letter off


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


# Other words documents print for a field's label words, by the field's required words: a
# statement's "Beginning balance" is its opening balance, a pay stub's "Take home pay" its net.
SYNONYMS: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {
    # A synonym's words match exactly: one letter off, "Pending balance" would be "Ending".
    ("opening", "balance"): (
        ("beginning", "balance"),
        ("starting", "balance"),
        ("previous", "balance"),
        ("balance", "brought", "forward"),
        ("brought", "forward"),
    ),
    ("closing", "balance"): (
        ("ending", "balance"),
        ("new", "balance"),
        ("balance", "carried", "forward"),
    ),
    ("gross", "pay"): (("gross", "earnings"), ("total", "gross"), ("gross", "salary")),
    ("net", "pay"): (
        ("net", "amount"),
        ("take", "home", "pay"),
        ("take", "home"),
        ("net", "salary"),
    ),
}


def labels_for(name: str) -> list[Label]:
    """The field's label (``label_for``) and then its synonyms' (``SYNONYMS``)."""
    label = label_for(name)
    if label is None:
        return []
    return [label] + [
        Label(words, label.optional, label.position, exact=True)
        for words in SYNONYMS.get(label.required, ())
    ]


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
    found = find_label_span(text, label)
    return None if found is None else found[1:]


@functools.lru_cache(maxsize=4096)
def _tokenise(
    text: str,
) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """A text's words (casefolded, with their spans), and each two neighbours run together: a
    word the OCR split in two ("Sub Total") also reads as the one word ("subtotal"). Each line
    is looked at for every label of every field: its words are found once."""
    tokens = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]
    return tokens, [(a[0] + b[0], a[1], b[2]) for a, b in itertools.pairwise(tokens)]


def find_label_span(text: str, label: Label) -> tuple[int, int, int] | None:
    """As ``find_label``, with where the label starts: (start, end, optional words)."""
    tokens, joined = _tokenise(text)
    if any(j[0] in label.required for j in joined):
        tokens = sorted(tokens + [j for j in joined if j[0] in label.required], key=lambda t: t[1])
    glued = "".join(label.required)
    for i in range(len(tokens)):
        if len(label.required) > 1 and tokens[i][0] == glued:
            matched_end, last = tokens[i][2], i
        else:
            j, last, matched_end = 0, -1, -1
            for k in range(i, min(len(tokens), i + len(label.required) + 2)):
                word = tokens[k][0]
                if word == label.required[j] or (
                    not label.exact and _close(word, label.required[j])
                ):
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
        return tokens[i][1], matched_end, extra
    return None


# A value reader: (text) -> [(normalised value, start, end)] in reading order.
Reader = Callable[[str], list[tuple[str, int, int]]]


def _dates(text: str, day_first: bool | None = None) -> list[tuple[str, int, int]]:
    return [(d.iso, *d.span) for d in find_dates(text, day_first=day_first)]


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


# --------------------------------------------------------------------------------------------
# Layout: a line's cells, and the cell above, below or beside a box

# Words further apart than this many line heights stand in different cells (a table's columns,
# a form's label and value); the words of one phrase stand a space apart.
CELL_GAP = 1.5
# How far (in line heights) a label may stand above its value.
ROWS_APART = 2.5


@dataclass(frozen=True, slots=True)
class Cell:
    line: int  # the line's index
    start: int  # the cell's characters in the line's text
    end: int
    box: Box


def cell_spans(line: Line) -> list[tuple[int, int]]:
    """The characters of each cell of ``line``: its words split where they stand further than
    ``CELL_GAP`` line heights apart."""
    spans: list[tuple[int, int]] = []
    right = 0
    gap = CELL_GAP * max(float(line.height), 1.0)
    for w, (a, b) in zip(line.words, line.spans, strict=True):
        left = int(w["left"])
        if spans and left - right <= gap:
            spans[-1] = (spans[-1][0], b)
            right = max(right, left + int(w["width"]))
        else:
            spans.append((a, b))
            right = left + int(w["width"])
    return spans


def _overlap(a: Box, b: Box) -> int:
    return min(a[2], b[2]) - max(a[0], b[0])


class Grid:
    """The cells of a page's lines, to find what stands above, below or beside a box: a label
    over its value in a table's header, a value right of its label in another OCR line."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.lines = lines
        self.cells: list[Cell] = []
        # Each line's cells, and every cell by its top: what is above, below or beside a box is
        # looked up among the cells whose tops are in reach, not among all of the page's.
        self.by_line: dict[int, list[Cell]] = {}
        for i, line in enumerate(lines):
            for a, b in cell_spans(line):
                box = line.bbox(a, b)
                if box is not None:
                    cell = Cell(i, a, b, box)
                    self.cells.append(cell)
                    self.by_line.setdefault(i, []).append(cell)
        self._by_top = sorted(range(len(self.cells)), key=lambda k: self.cells[k].box[1])
        self._tops = [self.cells[k].box[1] for k in self._by_top]
        self._tallest = max((c.box[3] - c.box[1] for c in self.cells), default=0)

    def _topped(self, low: float, high: float) -> list[Cell]:
        """The cells whose tops are within [low, high], in the page's reading order."""
        a = bisect.bisect_left(self._tops, low)
        b = bisect.bisect_right(self._tops, high)
        return [self.cells[k] for k in sorted(self._by_top[a:b])]

    def text(self, cell: Cell) -> str:
        return self.lines[cell.line].text[cell.start : cell.end]

    def cell_at(self, line: int, pos: int) -> Cell | None:
        """The cell of line ``line`` holding character ``pos`` (or the next one after it)."""
        for cell in self.by_line.get(line, ()):
            if pos < cell.end:
                return cell
        return None

    def above(self, box: Box) -> Cell | None:
        """The nearest cell over ``box`` that overlaps it horizontally."""
        h = max(1, box[3] - box[1])
        reach = self._topped(box[1] - ROWS_APART * h - self._tallest, box[1] + 0.3 * h)
        found = [
            c
            for c in reach
            if c.box[0] < box[2]
            and c.box[2] > box[0]
            and c.box[3] <= box[1] + 0.3 * h
            and c.box[1] < box[1] - 0.5 * h
            and box[1] - c.box[3] <= ROWS_APART * h
        ]
        return max(found, key=lambda c: (c.box[3], _overlap(c.box, box)), default=None)

    def below(self, box: Box) -> Cell | None:
        """The nearest cell under ``box`` that overlaps it horizontally."""
        h = max(1, box[3] - box[1])
        reach = self._topped(box[3] - 0.3 * h, box[3] + ROWS_APART * h)
        found = [
            c
            for c in reach
            if c.box[0] < box[2]
            and c.box[2] > box[0]
            and c.box[1] >= box[3] - 0.3 * h
            and c.box[1] > box[1] + 0.5 * h
            and c.box[1] - box[3] <= ROWS_APART * h
        ]
        return min(found, key=lambda c: (c.box[1], -_overlap(c.box, box)), default=None)

    def row(self, box: Box) -> list[Cell]:
        """The cells on ``box``'s row."""
        top, bottom = box[1], box[3]
        centre = (top + bottom) / 2
        return [
            c
            for c in self._topped(top - self._tallest, bottom)
            if top <= (c.box[1] + c.box[3]) / 2 <= bottom or c.box[1] <= centre <= c.box[3]
        ]

    def left_of(self, box: Box) -> Cell | None:
        """The nearest cell on ``box``'s row ending left of it."""
        row = [c for c in self.row(box) if c.box[2] <= box[0] + 2]
        return max(row, key=lambda c: c.box[2], default=None)

    def right_of(self, box: Box) -> list[Cell]:
        """The cells on ``box``'s row starting right of it, nearest first."""
        row = [c for c in self.row(box) if c.box[0] >= box[2] - 2]
        return sorted(row, key=lambda c: c.box[0])

    def header(self, box: Box, steps: int = 12) -> str | None:
        """The text of the column header over ``box``: the nearest cell above it holding no
        digit, climbing over the value cells between."""
        for _ in range(steps):
            cell = self.above(box)
            if cell is None:
                return None
            text = self.text(cell)
            if not any(c.isdigit() for c in text):
                return text
            box = (box[0], cell.box[1], box[2], cell.box[3])
        return None


# Words forms label their fields with: a cell made only of these and no digit, or ending in a
# colon, is a label and no text value ("Job Title:" | "Senior Account Manager" is a value).
# fmt: off
_LABEL_WORDS = frozenset({
    "date", "no", "nr", "number", "num", "id", "name", "period", "pay", "payment", "amount",
    "total", "balance", "due", "tax", "ref", "reference", "code", "account", "invoice", "order",
    "employee", "employer", "department", "title", "type", "description", "rate", "hours",
    "current", "ytd", "salary", "gross", "net", "deductions", "earnings", "page",
})
# fmt: on


def is_label(text: str) -> bool:
    """Whether a cell's text reads as a label rather than a value."""
    text = text.strip()
    if not text or any(c.isdigit() for c in text):
        return False
    words = _WORD.findall(text)
    return text.endswith(":") or (bool(words) and all(w.casefold() in _LABEL_WORDS for w in words))


# A word after a label saying what it labels: the name, or the number of the thing.
_NAMING = re.compile(r"(?i)^\s*(?P<word>name|id|no|nr|num|number|#)(?![^\W\d_])\.?")
# A cell's label that names the year's running sum, not this period's.
YEAR_TO_DATE = re.compile(r"(?i)\bytd\b|year[\s-]*to[\s-]*date")
_CURRENT = re.compile(r"(?i)\bcurrent\b|\bthis\s+(?:period|pay|month)\b")
# Where a text value read on a label's row ends: at the next label ("... Pay Date: 29/03").
_NEXT_LABEL = re.compile(r"\s+(?=(?:[^\W\d_][\w.#/]*\s+){0,2}[^\W\d_][\w.#/]*:(?:\s|$))")


def _cut_text(text: str) -> str:
    """A text value up to the next label in it: of "Robert Brown Pay Date:", "Robert Brown"
    (the words before the colon that are label words go with it)."""
    for m in _NEXT_LABEL.finditer(text):
        if m.start() == 0:
            continue
        rest = text[m.end() :].split()
        head = rest[: next(i for i, w in enumerate(rest) if w.endswith(":")) + 1]
        if all(w.strip(":.#").casefold() in _LABEL_WORDS for w in head[:-1]):
            return text[: m.start()]
    return text


@dataclass(frozen=True, slots=True)
class _Value:
    value: str
    raw: str
    bbox: Box | None
    bonus: float


def _read(
    grid: Grid, cell: Cell, offset: int, read: Reader, bonus: float, text_kind: bool
) -> list[_Value]:
    line = grid.lines[cell.line]
    start = max(offset, cell.start)
    piece = line.text[start : cell.end]
    if text_kind:
        piece = _cut_text(piece)
    out = []
    for value, a, b in read(piece):
        raw = piece[a:b].strip()
        out.append(_Value(value, raw, line.bbox(start + a, start + b), bonus))
    return out


def _pick_column(grid: Grid, values: list[_Value]) -> _Value:
    """Of amounts in a row under column headers, the one under "Current" / "This period",
    else the first not under "YTD"; else the first."""
    headers = [grid.header(v.bbox) if v.bbox else None for v in values]
    for v, h in zip(values, headers, strict=True):
        if h and _CURRENT.search(h):
            return v
    for v, h in zip(values, headers, strict=True):
        if not (h and YEAR_TO_DATE.search(h)):
            return v
    return values[0]


def extract(
    lines: Sequence[Line],
    name: str,
    kind: str,
    day_first: bool | None = None,
    grid: Grid | None = None,
) -> Found | None:
    """The value of kind ``kind`` labeled by the words of ``name``, or None.

    Looks after the label in its cell, then in the cells on its row to the right (in its line
    or another OCR line), then in the cell under it (a table's header over its values); the
    first label with a readable value wins, one naming the field in full (its optional words
    too) before a shorter one, the field's own words before a synonym, and a label without
    "YTD" / "year to date" before one with. A text value ends at its cell's end or the next
    label, and is never a cell that is itself a label; a word after the label naming what it
    labels ("Employee Name", "Employee ID") belongs to it, and a name field skips a label
    naming a number. Under a label, the cell under the label's whole cell holds its value, and a
    second value (``_end``) is read on in the cells right of that one ("Period" over two dates).
    ``grid``: ``lines``' cells, when the caller has them already."""
    labels = labels_for(name)
    read = READERS.get(kind)
    if kind == "date":
        read = functools.partial(_dates, day_first=day_first)
    if not labels or read is None:
        return None
    text_kind = kind in ("text", "names")
    last = kind == "money" and "subtotal" in name.casefold().replace("_", "")
    grid = grid if grid is not None and grid.lines is lines else Grid(lines)
    best: tuple[float, Found] | None = None
    for i, line in enumerate(lines):
        for n, label in enumerate(labels):
            hit = find_label_span(line.text, label)
            if hit is None:
                continue
            start, end, extra = hit
            naming = _NAMING.match(line.text[end:])
            if naming:
                word = naming["word"].casefold()
                if (text_kind and word != "name") or (kind == "identifier" and word == "name"):
                    continue  # "Employee ID" labels the employee's number, not the name
                end += naming.end()
            label_box = line.bbox(start, end)
            own = grid.cell_at(i, start)
            if label_box is None or own is None:
                continue
            penalty = 0.05 * (n > 0) + 0.5 * bool(YEAR_TO_DATE.search(grid.text(own)))
            values = _values_after(grid, i, own, end, label_box, read, text_kind)
            if len(values) > label.position:
                value = values[label.position]
                if kind == "money" and label.position == 0 and len(values) > 1:
                    value = _pick_column(grid, values)
            else:
                values = _values_below(grid, own, read, text_kind, label.position)
                if len(values) <= label.position:
                    continue
                value = values[label.position]
            conf = round(min(0.9, 0.45 + value.bonus + 0.1 * extra), 3)
            # The first label wins, but a document's subtotal is the last one: those above it
            # are its sections' ("Subtotal $ 112.00", "Subtotal $ 150.90", "Subtotal $ 262.90").
            score = conf - 0.001 * (-i if last else i) - penalty
            if best is None or score > best[0]:
                best = (score, Found(value.value, value.raw, value.bbox, conf))
            break
    return best[1] if best else None


def _values_below(
    grid: Grid, own: Cell, read: Reader, text_kind: bool, position: int
) -> list[_Value]:
    """The values under a label's cell (its whole cell: "Statement Period" over a date under
    "Statement"), and for a second value, on in the cells right of that one on its row."""
    below = grid.below(own.box)
    if below is None or (text_kind and is_label(grid.text(below))):
        return []
    values = _read(grid, below, 0, read, 0.0, text_kind)
    if position > 0 and len(values) <= position and not text_kind:
        for cell in grid.right_of(below.box):
            if cell.line == below.line and cell.start < below.end:
                continue
            values += _read(grid, cell, 0, read, 0.0, text_kind)
            if len(values) > position:
                break
    return values


def _values_after(
    grid: Grid, i: int, own: Cell, end: int, label_box: Box, read: Reader, text_kind: bool
) -> list[_Value]:
    """The values after a label on its row: the rest of its cell, then the cells to its right
    (a text value: the first cell only, and none when that cell is a label)."""
    values = _read(grid, own, end, read, 0.2, text_kind)
    if text_kind and values:
        return values[:1]
    # After a colon the next cell is the value unless it ends in a colon too ("Department:" |
    # "Tax"); without one, a cell of label words is another label.
    colon = grid.lines[i].text[end : own.end].strip().startswith(":")
    for cell in grid.right_of(label_box):
        if cell == own or (cell.line == i and cell.start < own.end):
            continue
        if text_kind:
            text = grid.text(cell).strip()
            if text.endswith(":") if colon else is_label(text):
                return []
            return _read(grid, cell, 0, read, 0.2 if cell.line == i else 0.1, text_kind)[:1]
        values += _read(grid, cell, 0, read, 0.2 if cell.line == i else 0.1, text_kind)
    return values
