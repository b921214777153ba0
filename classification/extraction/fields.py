"""Rule-based field extraction from one page's OCR words: dates, totals, tax, currency,
document numbers, the vendor and its address, each scored by layout and nearby keywords.

Plain functions, no Django. Input: the page's OCR words (dicts with ``text``, ``left``,
``top``, ``width``, ``height``, ``conf`` and usually ``line``, as ``classification.ocr``
writes them), the page size, and the fields wanted as ``(name, kind)`` pairs (kinds as
``FieldDefinition.Kind``). Output: ``{name: Extracted}`` for the fields a rule found a
candidate for; the others are absent.

Confidence is a heuristic, not a calibrated probability yet: each rule starts from a base
and adds evidence (a label found, one candidate only, amounts that add up), clipped to
[0.05, 0.99]. A learned calibration belongs to a later slice.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from classification.extraction import labeled
from classification.extraction.lines import Box, Line, group_lines, make_line, union_box
from classification.extraction.merge import merge_readings
from classification.extraction.parsers import (
    ParsedDate,
    ParsedMoney,
    day_first_votes,
    find_amounts,
    find_dates,
    normalise_currency,
    parse_iban,
    parse_identifier,
)


@dataclass(frozen=True, slots=True)
class Extracted:
    value: str  # normalised: ISO date, "12.50", "EUR", text with its case kept
    raw: str  # the text it was read from
    bbox: Box | None  # union of the words' boxes, in the page's pixels
    confidence: float  # heuristic, in [0, 1]
    source: str = "rule"


def confidence(base: float, *bonuses: float) -> float:
    """A heuristic confidence: ``base`` plus ``bonuses``, kept within [0.05, 0.99]."""
    return round(min(0.99, max(0.05, base + sum(bonuses))), 3)


# What the rules of one page share, worked out once for each list of lines it is worked out
# from (``extract_fields`` sets it up): the lines' cells (``_grid``), their dates and the
# labels around them (``_dated``). Keyed by the list's id, kept with the list itself so that
# the id is not reused while the entry lives.
_PAGE: contextvars.ContextVar[dict[tuple[Any, ...], tuple[Any, Any]] | None] = (
    contextvars.ContextVar("_PAGE", default=None)
)


def _shared(lines: Sequence[Line], key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """``make()``, once for ``lines`` and ``key`` while one page is read."""
    cache = _PAGE.get()
    if cache is None:
        return make()
    entry = cache.get((id(lines), *key))
    if entry is None or entry[0] is not lines:
        entry = cache[(id(lines), *key)] = (lines, make())
    return entry[1]


def _dates_in(text: str, first: bool | None) -> list[ParsedDate]:
    """``find_dates(text)``, once for a text while one page is read (the date, due date and
    range rules all read each line's dates)."""
    cache = _PAGE.get()
    if cache is None:
        return find_dates(text, day_first=first)
    key = ("dates", text, first)
    if key not in cache:
        cache[key] = (None, find_dates(text, day_first=first))
    found: list[ParsedDate] = cache[key][1]
    return found


def _grid(lines: Sequence[Line]) -> labeled.Grid:
    """``lines``' cells, shared by the rules reading the same lines of a page."""
    grid: labeled.Grid = _shared(lines, ("grid",), lambda: labeled.Grid(lines))
    return grid


def _same_row(lines: list[Line], i: int) -> list[int]:
    """Lines to the right of line ``i`` on the same row (OCR splits table columns)."""
    _, top, right, bottom = lines[i].box
    out = []
    for j, other in enumerate(lines):
        centre = (other.box[1] + other.box[3]) / 2
        if j != i and other.box[0] >= right and top <= centre <= bottom:
            out.append(j)
    return out


# --------------------------------------------------------------------------------------------
# Dates

_DATE_LABEL = re.compile(
    r"(?i)\b(?:date[d]?|tarikh|datum|fecha|data|invoice\s+date|bill\s+date|issued?)\b|"
    r"rechnungsdatum|factuurdatum|"
    # "Facture n°562044387 du 02 Juillet 2015", "Rechnung 4711 vom 3. Mai 2024"
    r"\b(?:invoice|facture|rechnung|factuur|factura|fattura)\b.{0,40}\b(?:dated|du|vom|van|del)\s*$"
)
_DUE_LABEL = re.compile(
    r"(?i)\b(?:due|valid\s+until|pay\s+by|payable\s+by|f[äa]llig\w*|zahlbar\s+bis|"
    r"date\s+limite|[ée]ch[ée]ance|vervaldatum|vencimiento|scadenza)|expir\w*"  # "CardExpiry"
)


# The pages of a document the page rules read (``fieldstore``; the bench reads as many): the
# fields of invoices, statements and pay stubs sit on the first pages.
PAGES_READ = 3


def day_first(lines: Sequence[Line]) -> bool | None:
    """Whether the page writes numeric dates day first, from its dates that read only one way
    (``parsers.day_first_votes``); None when they don't tell (or disagree evenly):
    ``find_dates`` then reads day first."""
    votes = sum(day_first_votes(line.text) for line in lines)
    return None if not votes else votes > 0


def _context(grid: labeled.Grid, i: int, span: tuple[int, int]) -> tuple[str, str]:
    """The label text of a value on line ``i``: (what stands before it in its cell, else in the
    cells left of it on its row; the cell directly above it)."""
    line = grid.lines[i]
    own = grid.cell_at(i, span[0])
    before = line.text[own.start if own else 0 : span[0]]
    box = line.bbox(*span)
    if box is None:
        return before, ""
    reach = box
    for _ in range(2):  # "Date", ":", "25/12/2018": a colon may stand apart
        if _ALPHA.search(before):
            break
        left = grid.left_of(reach)
        if left is None:
            break
        before, reach = f"{grid.text(left)} {before}", left.box
    above = grid.above(box)
    return before, grid.text(above) if above else ""


def _extract_date(
    lines: list[Line], height: int, due: bool, first: bool | None = None
) -> Extracted | None:
    """The document's date (or its due date): a date after, left of or under a date label,
    found by position (a table's header row names each column's date)."""
    scored: list[tuple[float, int, Extracted]] = []
    for i, d, before, above in _dated(lines, first):
        line = lines[i]
        label = bool(_DATE_LABEL.search(before)) or bool(_DATE_LABEL.search(above))
        near_due = bool(_DUE_LABEL.search(before)) or bool(_DUE_LABEL.search(above))
        if due and not near_due:
            continue
        score = 1.0 + (2.0 if _DATE_LABEL.search(before) else 1.5 if label else 0.0)
        score += 3.0 if due else (-2.5 if near_due else 0.0)
        score -= 0.3 * d.ambiguous + 0.5 * line.box[1] / max(height, 1)
        conf = confidence(0.35, 0.3 * label, 0.1 * (not d.ambiguous), 0.2 * near_due * due)
        scored.append((score, -i, Extracted(d.iso, d.raw, line.bbox(*d.span), conf)))
    return _best(scored)


def _dated(lines: list[Line], first: bool | None) -> list[tuple[int, ParsedDate, str, str]]:
    """Each date on ``lines`` with its line and the labels around it (``_context``): the date
    and due date rules read the same."""

    def make() -> list[tuple[int, ParsedDate, str, str]]:
        grid = _grid(lines)
        return [
            (i, d, *_context(grid, i, d.span))
            for i, line in enumerate(lines)
            for d in _dates_in(line.text, first)
        ]

    found: list[tuple[int, ParsedDate, str, str]] = _shared(lines, ("dated", first), make)
    return found


# Two dates joined as a range: "1 March 2024 - 31 March 2024", "01/03/2024 to 31/03/2024".
_RANGE_JOIN = re.compile(r"(?i)^\s*(?:-|\u2013|\u2014|to|through|thru|until|till)\s*$")


def _extract_range(lines: list[Line], position: int, first: bool | None) -> Extracted | None:
    """The first (``position`` 0) or second date of the first date range on the page."""
    for line in lines:
        found = _dates_in(line.text, first)
        for a, b in itertools.pairwise(found):
            if _RANGE_JOIN.match(line.text[a.span[1] : b.span[0]]):
                d = (a, b)[position]
                conf = confidence(0.4, 0.1 * (not d.ambiguous))
                return Extracted(d.iso, d.raw, line.bbox(*d.span), conf)
    return None


def _best(scored: list[tuple[float, int, Extracted]]) -> Extracted | None:
    """The top candidate; its confidence rises when no other candidate comes close."""
    if not scored:
        return None
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    top = scored[0][2]
    rivals = [s for s in scored[1:] if s[2].value != top.value and s[0] > scored[0][0] - 1.0]
    bonus = 0.0 if rivals else 0.15
    return Extracted(top.value, top.raw, top.bbox, confidence(top.confidence, bonus))


# --------------------------------------------------------------------------------------------
# Amounts

# Ranks of total lines: what a document calls the amount to pay ranks above a plain "Total";
# subtotals, tax totals and rounding lines are not totals at all. Spaces between the words are
# optional: PP-OCR's words run together ("GRANDTOTAL", "TOTALTAX").
_TOTAL_RANKS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (
        0,
        re.compile(
            r"(?i)sub\s*-?\s*total|total\s*(?:tax|gst|vat|sst|qty|quantity|items?|disc\w*|excl\w*|"
            r"before|savings?)|rounding|(?:tax|gst|vat)\s*total|total\s*\d+\s*%"
        ),
    ),
    (
        4,
        re.compile(
            r"(?i)grand\s*total|amount\s*due|balance\s*due|total\s*due|total\s*payable|"
            r"amount\s*payable|round\w*\s*total|total\s*(?:after\s*)?round\w*|nett?\s*total|"
            r"total\s*amount|amount\s*to\s*(?:be\s*)?paid|gesamtbetrag|rechnungsbetrag|montant\s+total|"
            # Dutch, German, French, Spanish, Italian: the sum to pay
            r"te\s+betalen|endbetrag|net\s+[àa]\s+payer|total\s+ttc|importe\s+total|"
            r"total\s+a\s+pagar|totale\s+(?:da\s+pagare|fattura)"
        ),
    ),
    (
        3,
        re.compile(
            r"(?i)total\s*\(?\s*incl|total\s*\(?\s*rm|jumlah|total\s+\(?[a-z]{3}\)?\s*$|summe|"
            r"\btotaal\b|\btotale\b"
        ),
    ),
    (2, re.compile(r"(?i)\btotal|\bamount\b")),
)
_SUBTOTAL = re.compile(
    r"(?i)sub\s*-?\s*tota[la]l?|total\s+excl\w*|net\s+amount|zwischensumme|sous-total|"
    r"total\s+ht\b|exclusief\s+btw|nettobetrag"
)
# A running sum carried from one page to the next: no total and no subtotal of the page.
_FORWARD = re.compile(r"(?i)(?:carried|brought|carry)\s*(?:forward|fwd|over)|\b[cb]/[fd]\b")
_TAX = re.compile(r"(?i)\b(?:tax|gst|vat|sst|mwst|ust|tva|iva|btw)\b|steuer")
_EXCHANGE = re.compile(r"(?i)\b(?:cash|change|tender\w*|paid|visa|master\w*|card)\b")


def _total_rank(text: str) -> int | None:
    for rank, pattern in _TOTAL_RANKS:
        if pattern.search(text):
            return rank
    return None


@dataclass(slots=True)
class _Amount:
    money: ParsedMoney
    line: int
    bbox: Box | None
    beside: bool  # on the keyword's line (else on the same row or the line below)


def _amounts_near(lines: list[Line], i: int, hint: str | None) -> list[_Amount]:
    """Amounts on line ``i``, else on the same row to its right, else on the line below."""
    own = [
        _Amount(m, i, lines[i].bbox(*m.span), True)
        for m in find_amounts(lines[i].text, currency_hint=hint)
    ]
    if own:
        return own
    for j in _same_row(lines, i) or ([i + 1] if i + 1 < len(lines) else []):
        found = find_amounts(lines[j].text, currency_hint=hint)
        if found:
            return [_Amount(m, j, lines[j].bbox(*m.span), False) for m in found]
    return []


def _keyword_amounts(
    lines: list[Line], pattern: re.Pattern[str], hint: str | None
) -> list[_Amount]:
    out: list[_Amount] = []
    for i, line in enumerate(lines):
        if pattern.search(line.text) and not (pattern is _SUBTOTAL and _FORWARD.search(line.text)):
            out.extend(a for a in _amounts_near(lines, i, hint) if a.money.amount > 0)
    return out


# Symbols several currencies share: an amount written with one says less about the page's
# currency than a code or a symbol of one currency ("$8.20" on a receipt headed "(RM)").
_SHARED_SYMBOLS = frozenset({"$", "\u00a5", "Rs", "Rs.", "\u20a8", "kr", "kr."})
# The currencies writing each shared symbol (``parsers`` reads one alone as the first): an amount
# in "$" on a page naming SGD is in SGD.
# fmt: off
_SYMBOL_CODES: dict[str, frozenset[str]] = {
    "$": frozenset({
        "USD", "SGD", "AUD", "CAD", "NZD", "HKD", "MXN", "ARS", "CLP", "COP", "TWD", "BRL",
    }),
    "\u00a5": frozenset({"JPY", "CNY"}),
    "Rs": frozenset({"INR", "PKR", "LKR"}),
    "Rs.": frozenset({"INR", "PKR", "LKR"}),
    "\u20a8": frozenset({"INR", "PKR", "LKR"}),
}
# fmt: on
_NOT_CURRENCY = re.compile(r"[\d.,'\s()\-\u2212\u00a0\u202f\u2009\u2019]")
# Currency codes that are also English words: in a capitalised sentence ("TRY OUR NEW SHAKES!",
# "ALL DAY", "CUP OF TEA") they are words, not currencies.
_WORD_CODES = frozenset({"TRY", "ALL", "CUP", "CAD", "COP", "TOP", "PEN", "MOP", "GEL", "SOS"})
# A line naming an amount: a code in it is a currency ("TOTAL PAYABLE RM", "AMOUNT USD").
_MONEY_WORDS = re.compile(r"(?i)total|amount|price|payable|balance|\bdue\b|\bsum\b|betrag|summe")


def _shouted(words: Sequence[Mapping[str, Any]], k: int) -> bool:
    """Whether word ``k`` is one of a run of three or more capitalised words ("TRY OUR NEW
    SHAKES!"): a word of a sentence, not a currency code."""
    run = 1
    for step in (-1, 1):
        j = k + step
        while 0 <= j < len(words) and re.fullmatch(r"[A-Z]{2,}\W?", str(words[j]["text"])):
            run, j = run + 1, j + step
    return run >= 3


def _page_currency(lines: list[Line]) -> tuple[str, Box | None, str] | None:
    """The page's currency: what its amounts are written in ("$2,000.00", "2.000,00\u20ac",
    "RM 12.20"), a shared symbol counting half, and the currency codes and symbols standing
    apart ("Amount (RM)", "All amounts in GBP"), but not a capitalised word of a sentence
    ("TRY OUR NEW SHAKES!": a code that is an English word, in a capitalised sentence, neither
    in brackets nor on an amount's line); with one of its boxes. An amount in a shared symbol
    counts toward the code the page names that writes it ("$" on a page naming SGD)."""
    seen: Counter[str] = Counter()
    where: dict[str, tuple[Box | None, str]] = {}
    shared: list[tuple[str, str, Box | None, str]] = []  # (symbol, default code, box, raw)
    for line in lines:
        money_line = bool(_MONEY_WORDS.search(line.text))
        for k, w in enumerate(line.words):
            text = str(w["text"])
            token = text.strip(".,:;()")
            code = normalise_currency(token) if token.isupper() or not token.isalpha() else None
            if code and (len(token) <= 3 or token.isupper()):
                bracketed = "(" in text and ")" in text
                if (
                    token in _WORD_CODES
                    and not bracketed
                    and not money_line
                    and _shouted(line.words, k)
                ):
                    continue
                seen[code] += 2
                where.setdefault(code, (union_box([w]), token))
        for m in find_amounts(line.text):
            symbol = _NOT_CURRENCY.sub("", m.raw)
            if m.currency and symbol:
                if symbol in _SHARED_SYMBOLS:
                    shared.append((symbol, m.currency, line.bbox(*m.span), m.raw))
                else:
                    seen[m.currency] += 2
                    where.setdefault(m.currency, (line.bbox(*m.span), m.raw))
    named = dict(seen)  # the codes the page names, before its amounts in shared symbols count
    for symbol, default, box, raw in shared:
        codes = [c for c in named if c in _SYMBOL_CODES.get(symbol, ())]
        code = max(codes, key=lambda c: named[c]) if codes else default
        seen[code] += 1
        where.setdefault(code, (box, raw))
    if not seen:
        return None
    code = seen.most_common(1)[0][0]
    return code, *where[code]


_CASH = re.compile(r"(?i)\b(?:cash|tender\w*|paid|payment|received)\b")
_CHANGE = re.compile(r"(?i)\b(?:change|baki)\b")


def _paid_totals(lines: list[Line], hint: str | None) -> set[Decimal]:
    """Totals implied by what was handed over less the change given back."""
    cash = {a.money.amount for a in _keyword_amounts(lines, _CASH, hint)}
    change = {a.money.amount for a in _keyword_amounts(lines, _CHANGE, hint)}
    change |= {Decimal(0)} if any(_CHANGE.search(line.text) for line in lines) else set()
    return {c - g for c in cash for g in change if c - g > 0}


_ROUNDING = re.compile(r"(?i)round\w*\s*(?:adj\w*)?\s*[:(]?|adj\w*")


def _roundings(lines: list[Line], hint: str | None) -> set[Decimal]:
    """Rounding adjustments on the page ("Rounding Adj -0.02"), and none."""
    found = {Decimal(0)}
    for i, line in enumerate(lines):
        if _ROUNDING.search(line.text) and not _total_rank(line.text):
            near = _amounts_near(lines, i, hint)
            found |= {a.money.amount for a in near if abs(a.money.amount) < 1}
    return found


def _implied_totals(
    lines: list[Line], amounts: list[list[ParsedMoney]], implied: set[Decimal]
) -> list[tuple[tuple[float, Decimal, int], _Amount, int]]:
    """Amounts with no total label that equal subtotal plus tax, or what was paid less the
    change: the label was misread ("TOT"I,") or is missing. Rank 1, below any labeled total.
    ``amounts``: each line's."""
    out = []
    for i, line in enumerate(lines):
        text = line.text
        if not implied.intersection(m.amount for m in amounts[i]):
            continue
        if _total_rank(text) is not None or _TAX.search(text) or _EXCHANGE.search(text):
            continue
        if _CASH.search(text) or _CHANGE.search(text) or _ROUNDING.search(text):
            continue
        for m in amounts[i]:
            if m.amount > 0 and m.amount in implied:
                amount = _Amount(m, i, line.bbox(*m.span), True)
                out.append(((1.0, m.amount, line.box[1]), amount, 1))
    return out


_GROSS_COLUMN = re.compile(r"(?i)\b(?:gross|total|amount|incl\w*|brutto)\b")


def _columns(grid: labeled.Grid, i: int, hint: str | None) -> list[tuple[_Amount, str]]:
    """The amounts on line ``i``'s row, left to right, with the header of each one's column,
    when there are two or more and each stands in its own cell under a header; else []."""
    lines = grid.lines
    box = lines[i].box
    found: list[tuple[_Amount, str]] = []
    cells = set(grid.by_line.get(i, ())) | set(grid.row(box))
    for cell in sorted(cells, key=lambda c: c.box[0]):
        owner = lines[cell.line]
        amounts = find_amounts(grid.text(cell), currency_hint=hint)
        if len(amounts) > 1:
            return []
        for m in amounts:
            span = (cell.start + m.span[0], cell.start + m.span[1])
            head = grid.header(cell.box)
            if head is None:
                return []
            money = ParsedMoney(m.amount, m.currency, m.raw, span)
            found.append((_Amount(money, cell.line, owner.bbox(*span), cell.line == i), head))
    return found if len(found) > 1 else []


def _extract_total(
    lines: list[Line], height: int, hint: str | None
) -> tuple[Extracted, _Amount] | None:
    grid = _grid(lines)
    candidates: list[tuple[tuple[float, Decimal, int], _Amount, int]] = []
    for i, line in enumerate(lines):
        found = _total_rank(line.text)
        rank = 0 if found is None else found
        if found == 0 and _SUBTOTAL.search(line.text):
            rank = 1  # a subtotal wins only when no total is readable (OCR lost it)
        rounded = found == 0 and rank == 0 and bool(_ROUNDING.search(line.text))
        if (not rank and not rounded) or (_EXCHANGE.search(line.text) and rank < 4):
            continue  # but "Amount to be paid" is the total
        if _FORWARD.search(line.text):
            continue  # "Subtotal carried forward": the next page holds the total
        header = rank == 2 and not re.search(r"(?i)total", line.text)  # "Amount (RM) Tax (RM)"
        near = _amounts_near(lines, i, hint)
        columns = _columns(grid, i, hint) if rank >= 2 and not header else []
        if columns:
            # A table's totals row under its column headers ("Total | Net | VAT | Gross"): the
            # column of the total, else the rightmost.
            picked = [a for a, head in columns if _GROSS_COLUMN.search(head)] or [columns[-1][0]]
            near = picked[-1:]
        if rounded:
            # "Rounding RM 45.35": the rounded total (an adjustment is under one unit).
            near = [a for a in near if a.beside and abs(a.money.amount) >= 1]
            rank = 3
        row = 0.5 * (len(near) > 1)  # a table's row ("Total: 106.10 6.37"), not a total line
        for a in near:
            if a.money.amount > 0 and not (header and not a.beside):
                score = rank - 0.5 * (not a.beside) - row
                candidates.append(((score, a.money.amount, lines[a.line].box[1]), a, rank))
    subtotals = {a.money.amount for a in _keyword_amounts(lines, _SUBTOTAL, hint)}
    taxes = {a.money.amount for a in _keyword_amounts(lines, _TAX, hint)}
    roundings = _roundings(lines, hint)
    sums = {s + t + r for s in subtotals for t in taxes for r in roundings}
    paid = _paid_totals(lines, hint)
    amounts = [find_amounts(line.text, currency_hint=hint) for line in lines]
    candidates.extend(_implied_totals(lines, amounts, sums | paid))
    if not candidates:
        return None
    seen = Counter(m.amount for found in amounts for m in found)
    # A candidate that is another one plus the page's rounding adjustment is the rounded total
    # ("Total incl. GST 23.26", "Rounding Adj -0.01", "TOTAL 23.25"): what is paid. Weighed as
    # a subtotal + tax sum is; on real-dev's receipts 1.0 and 2.5 each lose one of 1.5's.
    after_rounding = {a.money.amount + r for _, a, _ in candidates for r in roundings if r}
    scored = [
        (
            (
                key[0]
                + 1.5 * (a.money.amount in sums)
                + 2.5 * (a.money.amount in paid)
                + 1.5 * (a.money.amount in after_rounding)
                + 0.6 * min(seen[a.money.amount] - 1, 2),
                *key[1:],
            ),
            a,
            rank,
        )
        for key, a, rank in candidates
    ]
    scored.sort(key=lambda c: c[0], reverse=True)
    _, best, rank = scored[0]
    consistent = best.money.amount in sums
    unique = len({a.money.amount for _, a, r in scored if r >= rank}) == 1
    conf = confidence(0.3, 0.1 * (rank - 2), 0.25 * consistent, 0.15 * unique, 0.05 * best.beside)
    return Extracted(f"{best.money.amount:.2f}", best.money.raw, best.bbox, conf), best


def _extract_tax(lines: list[Line], hint: str | None, total: _Amount | None) -> Extracted | None:
    found = [
        a
        for i, line in enumerate(lines)
        if _TAX.search(line.text) and not re.search(r"(?i)\bincl|\breg|\bno\b|\bid\b", line.text)
        for a in _amounts_near(lines, i, hint)[-1:]  # the rightmost amount, not the base
        if a.money.amount > 0 and (total is None or a.money.amount < total.money.amount)
    ]
    if total is not None:
        # The totals row of a table with a tax column ("Total | 1,000.00 | 200.00 | 1,200.00").
        columns = _columns(_grid(lines), total.line, hint)
        found += [
            a
            for a, head in columns
            if _TAX.search(head) and 0 < a.money.amount < total.money.amount
        ]
    if not found:
        return None
    subtotals = {a.money.amount for a in _keyword_amounts(lines, _SUBTOTAL, hint)}
    target = total.money.amount if total else None
    consistent = [a for a in found if target is not None and target - a.money.amount in subtotals]
    best = (consistent or found)[-1]
    conf = confidence(0.35, 0.35 * bool(consistent), 0.1 * (len(found) == 1))
    return Extracted(f"{best.money.amount:.2f}", best.money.raw, best.bbox, conf)


def _extract_currency(lines: list[Line], total: _Amount | None) -> Extracted | None:
    if total is not None and total.money.currency:
        return Extracted(total.money.currency, total.money.raw, total.bbox, 0.85)
    page = _page_currency(lines)
    if page is None:
        return None
    code, box, raw = page
    return Extracted(code, raw, box, 0.55)


# --------------------------------------------------------------------------------------------
# Identifiers

_ID_LABEL = re.compile(
    r"(?i)\b(?P<kind>invoice|inv|receipt|bill|document|doc|order|reference|ref)\b\.?\s*"
    r"(?:no\b\.?|number\b|num\b|nr\b\.?|#|id\b)\s*[:#.]?"
    r"|rechnungs-?(?:nr|nummer)\b\.?\s*:?"
    # Dutch, French, Spanish, Italian: "Factuurnummer", "N° de facture", "Número de factura"
    r"|factuur-?(?:nr|nummer)\b\.?\s*:?"
    r"|(?:num[ée]ro|n[°º]|no\.?)\s*(?:de\s+)?(?:facture|factura|fattura)\b\s*:?"
    r"|(?:facture|factura|fattura)\s*(?:n[°º.]|num\.?|no\.)\s*:?"
    r"|(?<!\w)(?P<no>no|nr)\s*[.:#]\s*:?"
    r"|(?<!\w)(?P<bare>invoice|facture|rechnung)\b\s*:?(?=\s*\S*\d)"
)
_ID_KINDS = {"invoice": 3.0, "inv": 3.0, "receipt": 2.5, "bill": 2.5, "document": 2.0, "doc": 2.0}


def _reads_as_identifier(text: str) -> bool:
    token = parse_identifier(text)
    return token is not None and not find_dates(token)


def _value_cell(grid: labeled.Grid, i: int, label: Box | None) -> tuple[str, Line, int] | None:
    """Where a label's value stands when not after it on its line: the next cell on its row
    unless that is another label, then the cell under it (a table's header over its values),
    then the next line; the first of these that reads as an identifier ("Invoice No." |
    "Terms" over "INV-0042" | "Net 30": the cell under it). (text, its line, where the text
    starts in the line)."""
    lines = grid.lines
    places: list[tuple[str, Line, int]] = []
    if label is not None:
        right = grid.right_of(label)
        if right and not labeled.is_label(grid.text(right[0])):
            places.append((grid.text(right[0]), lines[right[0].line], right[0].start))
        below = grid.below(label)
        if below is not None:
            places.append((grid.text(below), lines[below.line], below.start))
    if i + 1 < len(lines):
        places.append((lines[i + 1].text, lines[i + 1], 0))
    return next((p for p in places if _reads_as_identifier(p[0])), None)


def _extract_identifier(lines: list[Line], name: str) -> Extracted | None:
    wanted = name.split("_")[0].casefold()
    grid = _grid(lines)
    scored: list[tuple[float, int, Extracted]] = []
    for i, line in enumerate(lines):
        for m in _ID_LABEL.finditer(line.text):
            kind = (m["kind"] or m["bare"] or "").casefold()
            score = _ID_KINDS.get(kind, 1.5) if not m["no"] else 1.0
            score += 1.0 * (kind.startswith(wanted[:3]) and bool(wanted)) - 0.5 * bool(m["bare"])
            rest, owner, offset = line.text[m.end() :], line, m.end()
            if parse_identifier(rest) is None:
                place = _value_cell(grid, i, line.bbox(m.start(), m.end()))
                if place is None:
                    continue
                rest, owner, offset = place
                score -= 0.5
            token = parse_identifier(rest)
            if token is None or find_dates(token):
                continue
            start = offset + rest.find(token)
            conf = confidence(0.3, 0.1 * score)
            box = owner.bbox(start, start + len(token))
            scored.append((score, -i, Extracted(token, token, box, conf)))
    return _best(scored)


def _extract_account(lines: list[Line]) -> Extracted | None:
    for line in lines:
        iban = parse_iban(line.text)
        if iban:
            return Extracted(iban, iban, line.bbox(), 0.9)
    return None


# --------------------------------------------------------------------------------------------
# Vendor and address

_HEADINGS = re.compile(
    r"(?i)^\W*(?:simplified\s+)?(?:tax\s+)?(?:invoice|cash|receipt|bill|cash\s+bill|official\s+receipt|"
    r"cash\s+sales?|sales\s+receipt|payment\s+receipt|quotation|delivery\s+order|statement|"
    r"rechnung|facture|factuur|factura|fattura|credit\s+note|pro\s*-?\s*forma(?:\s+invoice)?|copy|"
    r"original|welcome|thank\s+you)\W*$"
)
_COMPANY = re.compile(
    r"(?i)\b(?:s[do0]n\.?\s*bhd|s/b|bhd|ltd|limited|inc|gmbh|llc|plc|ag|b\.?v|s\.?a|co|corp\w*|company|"
    r"enterprise|trading|restaurant|store|mart|hardware|pharmacy)\b\.?"
)
# The legal form of a company: the registered name, which a receipt prints under its brand.
_LEGAL_FORMS = r"s[do0]n\.?\s*bhd|s/b|bhd|ltd|limited|inc|gmbh|llc|plc|corp\w*"
_LEGAL = re.compile(rf"(?i)\b(?:{_LEGAL_FORMS})\b")
LEGAL_BONUS = 0.7
# The legal form ending a registered name, a letter not following ("S/B273500-U").
_LEGAL_END = re.compile(
    r"(?i)\b(?:s[do0]n\.?\s*bhd|s/b|bhd|ltd|limited|inc|gmbh|llc|plc)\.?(?![^\W\d_])"
)
_CONTACT = re.compile(
    r"(?i)\b(?:tel|phone|fax|h/p|hp|mobile|gst|sst|co\.?\s*(?:reg|no\b)|reg\w*|roc|email|e-mail|www|"
    r"http|website|c[o0][mn]pany\s+(?:\w+\s+)?no)\b|@|\(\s*\d{4,}"
)
# The words of addresses: street, building and floor words, states and towns. A line with one
# (or a five-digit postcode) is part of an address; an address word misread by one glyph is
# read as the word (``_snap_address_word``).
# fmt: off
_STREET_WORDS = (
    # streets, areas and places
    "jalan", "jln", "jl", "lorong", "lrg", "persiaran", "lebuh", "road", "rd", "street", "st",
    "avenue", "ave", "lane", "strasse", "straße", "weg", "rue", "taman", "tmn", "kawasan",
    "bandar", "seksyen", "sek", "batu", "kampung", "kg", "mukim", "industrial", "medan",
    "square", "pusat", "dataran", "perindustrian", "route", "autoroute", "boulevard", "blvd",
    "chemin", "calle", "straat", "gasse", "platz",
    # buildings, floors and units
    "lot", "no", "block", "blok", "blk", "level", "floor", "suite", "unit", "building", "plaza",
    "mall", "megamall", "tower", "centre", "center", "complex", "kompleks", "wisma", "menara",
    "bangunan", "apartment", "pangsapuri",
)
ADDRESS_WORDS = (
    *_STREET_WORDS,
    # Malaysia's states and large towns
    "johor", "selangor", "kuala", "lumpur", "penang", "pinang", "melaka", "perak", "kedah",
    "pahang", "negeri", "sembilan", "sabah", "sarawak", "terengganu", "kelantan", "perlis",
    "putrajaya", "labuan", "wilayah", "darul", "ehsan", "takzim", "petaling", "puchong",
    "klang", "kelang", "subang", "cheras", "ampang", "kembangan", "kajang", "bangi", "bahru",
    "ipoh",
)
# The words Malaysia's place names are made of, and its districts and towns past the large
# ones: known spellings an address word misread is read as (``_snap_address_word``), but no
# sign of an address ("JAYA GROCER", "SRI BAYU RESTAURANT" are names).
PLACE_WORDS = (
    "bukit", "sungai", "sg", "kota", "pulau", "tanjung", "tanjong", "teluk", "simpang", "padang",
    "pekan", "permai", "indah", "utama", "jaya", "seri", "sri", "desa", "damai", "baru", "lama",
    "laman", "tengah", "utara", "selatan", "timur", "barat", "raya", "mutiara", "setia",
    "bestari", "perdana", "alam", "maju", "sultan", "shah",
    "pudu", "kepong", "setapak", "sentul", "bangsar", "damansara", "gombak", "rawang",
    "serdang", "balakong", "kuchai", "wangsa", "segambut", "semenyih", "cyberjaya", "sepang",
    "kapar", "selayang", "skudai", "tebrau", "masai", "kulai", "muar", "kluang", "segamat",
    "senai", "permas", "tampoi", "seremban", "nilai", "kuantan", "kuching", "miri", "sibu",
    "taiping", "genting", "cameron", "highlands", "brinchang", "butterworth", "georgetown",
)
# fmt: on
_ADDRESS = re.compile(
    rf"(?i)\b(?:{'|'.join(ADDRESS_WORDS)}|shah\s+alam|lebuh\w*)\b|\b\d{{5}}\b"
    # A township's section ("SS21/1A", "PJU 1A/3", "USJ 9"): Malaysia's planned suburbs.
    r"|\b(?:SS|PJS|PJU|USJ)\s?\d{1,2}[A-Z]?(?:/\d{1,3}[A-Z]?)?\b"
)
_ALPHA = re.compile(r"[^\W\d_]")


def _plain_text(line: Line) -> bool:
    """A line that could be a name: letters, no amount, date or contact detail."""
    text = line.text
    letters = len(_ALPHA.findall(text))
    return (
        letters >= 3
        and statistics.fmean(float(w.get("conf", 90)) for w in line.words)
        >= (50 if len(line.words) >= 2 else 85)  # one short noisy word is a smudge
        and letters >= 0.5 * len(text.replace(" ", ""))
        and not _HEADINGS.match(text)
        and not _CONTACT.search(text)
        and not find_dates(text)
        and not find_amounts(text)
    )


# A company registration number after the name: in brackets, misread letters allowed ("99 SPEED
# MART S/B (519537-X)", "(S19537-X)", "( IU79369-P)", "{I39386 X)"), or bare with its check
# letter and anything after it ("S/B 273500-U (GKJ)").
_REGISTRATION = re.compile(
    r"\s*[({]\s*(?=(?:[A-Z]*\d){4})[A-Z\d]+(?:[-:\s]*[A-Z\d]{1,3})?\s*[)}]{0,2}\s*$"
    r"|\s+\d{5,}\s?-\s?[A-Z]\b.*$"
)


def _trim_registration(line: Line) -> Line:
    """The line without a company registration number after the name (cut inside a word when
    OCR ran the two together: "S/B(587969-U)")."""
    m = _REGISTRATION.search(line.text)
    cut = m.start() if m is not None else None
    if cut is None:
        # Read past recognition: whatever follows the legal form with a digit in it.
        ends = [e for e in _LEGAL_END.finditer(line.text) if re.search(r"\d", line.text[e.end() :])]
        cut = ends[-1].end() if ends else None
    if not cut:
        return line
    kept: list[Mapping[str, Any]] = []
    for w, (a, b) in zip(line.words, line.spans, strict=True):
        if b <= cut:
            kept.append(w)
        elif a < cut:
            kept.append({**w, "text": str(w["text"])[: cut - a]})
    return make_line(kept) if kept else line


POSTCODE = re.compile(r"\b\d{5}\b")
# What a vendor line under the letterhead's contact lines or postcode loses: the name is above.
BELOW_HEADER = 1.5
# What a vendor line with a place word but no street number loses.
PLACE_PENALTY = 1.0

# What a receipt says to its customer, above or below the name: not the name.
_SLOGAN = re.compile(
    r"(?i)\b(?:thank\s*you|please|welcome|goods\s+sold|returnable|refundable|exchangeable|"
    r"shopping\s+with|visit\s+us|follow\s+us|like\s+us|vouchers?|expiry|promotion)\b"
    # A website, but not a company named after one ("eCosway.com SDN BHD", "Amazon.com, Inc.").
    rf"|\w\.com\b(?!,?\s*(?:{_LEGAL_FORMS})\b)"
)


def _vendor_index(lines: list[Line], height: int) -> int | None:
    if not lines:
        return None
    page_height = statistics.median(line.height for line in lines) or 1
    # The end of the letterhead: its first telephone, tax or registration line, or a postcode.
    header = next(
        (
            i
            for i, ln in enumerate(lines[:12])
            if _CONTACT.search(ln.text) or POSTCODE.search(ln.text)
        ),
        None,
    )
    best: tuple[float, int] | None = None
    for order, (i, line) in enumerate(
        (i, _trim_registration(line))
        for i, line in enumerate(lines[:12])
        if line.box[1] < 0.45 * max(height, 1)
    ):
        if line.text == line.text.lower():  # a name is capitalised; this is a scribble
            continue
        if not _plain_text(line):
            continue
        # A place word in a line without a number or a comma may be the name ("... Subang
        # Airport"): scored down, not skipped.
        placed = bool(_ADDRESS.search(line.text) and not _COMPANY.search(line.text))
        if placed and re.search(r"[\d,]", line.text):
            continue
        if _SLOGAN.search(line.text):
            continue
        score = min(line.height / page_height, 2.5) + 1.5 * bool(_COMPANY.search(line.text))
        score += LEGAL_BONUS * bool(_LEGAL.search(line.text))
        score -= 0.25 * order + BELOW_HEADER * (header is not None and i > header)
        score -= PLACE_PENALTY * placed
        score += 0.3 * (sum(float(w.get("conf", 0)) for w in line.words) / len(line.words) > 80)
        if best is None or score > best[0]:
            best = (score, i)
    return None if best is None else best[1]


_OWNED_BY = re.compile(r"(?i)^.*?\b(?:own(?:ed)?|operated|managed|run)\s+by\s*:?\s*")


def _name_like(line: Line) -> bool:
    """A line that can be part of a name: plain capitalised words, no digit, no place word."""
    return (
        _plain_text(line)
        and line.text != line.text.lower()
        and not re.search(r"\d", line.text)
        and not _ADDRESS.search(line.text)
        and not _SLOGAN.search(line.text)
    )


def _name_block(lines: list[Line], i: int) -> list[Line] | None:
    """The name run on from line ``i`` onto the lines under it ("RESTAURANT JIAWEI" over
    "JIAWEI HOUSE", "TSH POWER HARDWARE" over "TRADING"), when a registration-number line
    follows at once: the letterhead's sign that the name ends there. Only downwards, and not
    past a legal form: a line above the best-scored one is a brand or a logo's words ("KIKU
    JAPANESE RESTAURANT" over "TK DIVISION KITCHEN SDN BHD"), and so is a line repeating the
    name's words. None when the name does not run on."""

    def adjacent(upper: Line, lower: Line) -> bool:
        return lower.box[1] - upper.box[3] < max(upper.height, lower.height)

    if _LEGAL_END.search(lines[i].text):
        return None
    seen = set(lines[i].text.upper().split())
    end = i
    while (
        end + 1 < len(lines)
        and _name_like(lines[end + 1])
        and adjacent(lines[end], lines[end + 1])
        and not set(lines[end + 1].text.upper().split()) <= seen
    ):
        end += 1
        seen |= set(lines[end].text.upper().split())
    if end == i or end + 1 >= len(lines) or not _REGISTRATION_LINE.match(lines[end + 1].text):
        return None
    return lines[i : end + 1]


def _extract_vendor(lines: list[Line], height: int) -> Extracted | None:
    i = _vendor_index(lines, height)
    if i is None:
        return None
    block = _name_block(lines, i)
    if block is not None:
        text = _fix_company_suffix(_tidy(_OWNED_BY.sub("", " ".join(b.text for b in block))))
        conf = confidence(0.35, 0.25 * bool(_COMPANY.search(text)), 0.1 * (i < 3))
        box = union_box(w for b in block for w in b.words)
        return Extracted(text.rstrip(",;:"), " ".join(b.text for b in block), box, conf)
    line = _trim_registration(lines[i])
    chosen = [line]
    text = line.text
    prev = lines[i - 1] if i > 0 else None
    if (
        prev is not None
        and (
            len(_COMPANY.sub("", text).split()) <= 1
            or text.lstrip().startswith("&")
            or (
                prev.text.rstrip().endswith("&")
                and len(re.findall(r"[^\W\d_]{2,}", prev.text)) >= 2
            )
        )
        and _plain_text(prev)
        and not re.search(r"\d", prev.text)
        and not _SLOGAN.search(prev.text)
        and not _HEADINGS.search(prev.text)
        and not _ADDRESS.search(prev.text)
        and prev.text != prev.text.lower()
    ):
        chosen.insert(0, prev)  # "PASARAYA BORONG PINTAR" above "SDN BHD"
        text = f"{prev.text} {text}"
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    if (
        nxt is not None
        and (
            text.rstrip().endswith(("&", "-", ","))
            or _tidy(text).count("(") > _tidy(text).count(")")
        )
        and _plain_text(nxt)
        and not _ADDRESS.search(nxt.text)
    ):
        chosen.append(nxt)  # a long name wraps onto a second line
        text = f"{text} {nxt.text}"
    text = _fix_company_suffix(_tidy(_OWNED_BY.sub("", _sender_name(text)))).rstrip(",;:")
    conf = confidence(0.35, 0.25 * bool(_COMPANY.search(text)), 0.1 * (i < 3))
    return Extracted(text, line.text, union_box(w for ln in chosen for w in ln.words), conf)


# A letter's return-address line, its parts set apart by a dash, a dot or a bar ("QualityHosting
# AG - Uferweg 40-42 - D-63571 Gelnhausen", "Muster GmbH · Hauptstr. 1 · 12345 Berlin").
_SENDER_PARTS = re.compile(r"\s+[-\u2013\u00b7\u2022|]\s+")


def _sender_name(text: str) -> str:
    """The name of a return-address line (three parts or more, a number after the first):
    its first part; any other line as it is."""
    parts = _SENDER_PARTS.split(text)
    if len(parts) >= 3 and _ALPHA.search(parts[0]) and any(re.search(r"\d", p) for p in parts[1:]):
        return parts[0]
    return text


# "SDN BHD" misread: a letter of "SDN" ("SON", "SIN", "San", "5DN", "SDM") or of "BHD" ("EHD",
# "BH0"); "S/B" as "S/8", "5/B", "$/B", "S/D" at the end of the name.
_MISREAD_SDN = re.compile(r"(?i)\b(?:S[A-Z0-9]N|5[DO0]N|SD[MH])(?=\.?\s*[BE8]H[DO0]\b)")
_MISREAD_BHD = re.compile(r"(?i)(?<=\bSDN)(\.?\s*)(?:[ER8]H[DO0]|BH[O0])\b")
_MISREAD_SB = re.compile(r"(?i)(?<![\w/])[S5$]/[B8D9]$")


def _fix_company_suffix(text: str) -> str:
    """Common OCR misreadings of the Malaysian company suffixes "SDN BHD" and "S/B"."""
    text = _MISREAD_SDN.sub(lambda m: "SDN" if m[0][1:].isupper() else "Sdn", text)
    text = _MISREAD_BHD.sub(lambda m: m[1] + "BHD", text)
    text = _MISREAD_SB.sub("S/B", text.rstrip())
    # Run into the name ("MART5/B"): apart.
    text = re.sub(r"(?<=[^\W\d_]{2})[S5$]/[B8D9]$", " S/B", text)
    # A number run into the first word ("99SPEED"): apart, as printed.
    return re.sub(r"^(\d+)(?=[A-Z]{3,}\b)", r"\1 ", text)


_ZEROS = str.maketrans("oO", "00")
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "{": "(", "}": ")"}
)


def _tidy(text: str) -> str:
    """A name or address as printed: straight quotes, brackets for the braces OCR reads them
    as, no space inside brackets ("( KL. )"), one before and after them, and without the
    stray marks OCR reads at the ends of a line ("* THAI ...", "| LOT 3", "ANGSA, <") or in it
    (a bar, a backslash, a yen sign)."""
    text = re.sub(r"(?<=[^\W\d_])\?(?=[sS]\b)", "'", text.translate(_QUOTES))  # "KING?S"
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)|(?<=[^\W\d_])\.\s*\)", ")", text)
    text = re.sub(r"(?i)\b(SDN)(?=BHD\b)|(?<=[^\W\d_])-(?=SDN\b)", lambda m: f"{m[1] or ''} ", text)
    text = re.sub(r"(?<=[^\W\d_]{2})\(", " (", text)
    text = re.sub(r"\)(?=[^\W\d_]{2})", ") ", text)
    # "433o0", "403oo": a letter O among digits is a zero.
    text = re.sub(r"\b(?=(?:[oO]*\d){2})[\doO]{3,}\b", lambda m: m[0].translate(_ZEROS), text)
    words = [w for w in re.sub(r"[\\¥§]", "", text).split() if w != "|"]
    while words and not (words[0][0].isalnum() or any(c.isalpha() for c in words[0])):
        words.pop(0)
    while words and not any(c.isalnum() or c in ").'" for c in words[-1]):
        words.pop()
    return " ".join(words)


# A line that is only a company registration number, misread as OCR will ("002458685-T",
# "(001610235-P)", "96585/7-A", "0026930 74-K", "822737-¥", "{Company No. 113825-)"):
# what a letterhead prints under the name, above the address.
_REGISTRATION_LINE = re.compile(
    r"(?i)^\W*(?:(?:c[o0][mn]pany|co|reg\w*|no|number|roc|brn?)\b\.?\W*)*[A-Z]{0,3}\d"
    r"(?:[\d/]{3,}\d\s*-?\s*[A-Z]|[\dA-Z ]{4,}\s*[-\u2013]\s*\S{0,2})\W*$"
)


# A line that is only a telephone number ("016-5498845,", "03-7845 9183", "+603-2141 1234").
_PHONE_LINE = re.compile(r"^\W*(?:\+?6?0\d{1,2}|\(0\d{1,2}\))[-\s]?\d{3,4}[-\s]?\d{3,5}\W*$")


# A document number's label ("TAX INVOICE NO [ 8 ]", "Receipt #:", "Bill No.").
_DOCUMENT_NUMBER = re.compile(
    r"(?i)\b(?:invoice|inv|receipt|bill|slip|order|trans\w*|document|doc)\s*(?:no\b|#|number\b)"
)


def _address_stop(text: str, place: bool) -> bool:
    """A line no address goes through: a contact, registration or tax line, a bare telephone
    number, a date, an amount (a street number ends in a comma, an amount does not), a
    heading, a document number."""
    return bool(
        _CONTACT.search(text)
        or _DOCUMENT_NUMBER.search(text)
        or _PHONE_LINE.match(text)
        or find_dates(text)
        or (find_amounts(text) and not (place and re.search(r",\s*$", text)))
        or _HEADINGS.match(text)
        or _REGISTRATION_LINE.match(text)
    )


# The countries whose name closes an address. Not address words: a company's name has one
# too ("Nando's Chickenland Malaysia Sdn Bhd").
COUNTRIES = ("malaysia", "singapore", "indonesia", "thailand", "brunei")
_COUNTRY = rf"(?:{'|'.join(COUNTRIES)})(?:(?<=brunei)\s+darussalam)?"
# A line that is only a country, under the town ("MALAYSIA"): the address's last line.
_COUNTRY_LINE = re.compile(rf"(?i)^\W*{_COUNTRY}\W*$")
# A line that ends in the country ("56000 Kuala Lumpur, Malaysia"): the address's last.
_COUNTRY_END = re.compile(rf"(?i),\s*{_COUNTRY}\W*$")
# "Sdn" (of "Sdn Bhd") alone: the rest of a company's suffix misread ("SDN BH D").
_SDN = re.compile(r"(?i)\bs[do0]n\b")
# A line that ends in a full stop after a word ("..., SHAH ALAM."), not an abbreviation ("NO.").
_ENDS_SENTENCE = re.compile(r"[^\W\d_]{3,}\.\s*$")
# A line that is a name in brackets ("(TESCO PUTRA NILAI)", "(JALAN KLANG LAMA)").
_BRACKETED = re.compile(r"\s*\(.*\)\s*")
# A branch's number and name under a chain's address ("1214-JINJANG UTARA").
_BRANCH = re.compile(r"^\s*\d{3,5}\s*-\s*[^\W\d_]{2,}(?:\s+[^\W\d_]+)*\s*$")


def _address_lines(lines: list[Line], start: int) -> list[Line]:
    """The address's lines, begun among the eight from ``start``: from the first line with a
    place word or postcode (and the lines above it that end in a comma) to a contact line, a
    line that does not go on, or the fifth. A company's name is no first line, though a town
    is in it."""
    chosen: list[Line] = []
    for n, line in enumerate(lines[start:], start):
        if n >= start + 8 and not chosen:
            break  # it begins among the eight lines; once begun, it may go on past them
        text = line.text
        place = _ADDRESS.search(text)
        if _address_stop(text, bool(place)):
            if chosen:
                break
            continue  # a registration number between the name and the address
        if place and not chosen and (_LEGAL.search(text) or _SDN.search(text)):
            continue  # a company's name with a town in it ("SUBANG HEALTHCARE SDN BH D")
        if place and not chosen:
            # The lines above that end in a comma begin it ("UNIT L1-044B, VIVACITY MALL,").
            lead = n
            while (
                lead > start
                and lines[lead - 1].text.rstrip().endswith(",")
                and not _address_stop(lines[lead - 1].text, False)
            ):
                lead -= 1
            chosen.extend(lines[lead:n])
        # Without a postcode the address may go on, unless its last line ended in a full stop.
        open_ended = (
            chosen
            and not any(POSTCODE.search(c.text) for c in chosen)
            and not _ENDS_SENTENCE.search(chosen[-1].text)
        )
        if place or (
            chosen and (text.rstrip().endswith(",") or chosen[-1].text.rstrip().endswith(","))
        ):
            chosen.append(line)
            if _COUNTRY_END.search(text):
                break  # "56000 Kuala Lumpur, Malaysia": the store's name under it is not
        elif open_ended and (len(_ALPHA.findall(text)) >= 3 or text[:1].isdigit()):
            # No postcode yet: the address goes on ("THE TUBE, 1/39"), onto a line of words or
            # one that begins with a number ("Solaris Mont Kiera, 50" / "480 KL").
            chosen.append(line)
        elif chosen and (
            _BRACKETED.fullmatch(text) or _BRANCH.match(text) or _COUNTRY_LINE.match(text)
        ):
            chosen.append(line)  # a branch's name (in brackets, or after its number) or the
            # country closes it
            break
        elif chosen:
            break
        if len(chosen) == 5:
            break
    if len(chosen) > 1 and _store_line(chosen[0].text) and _NUMBERED.match(chosen[1].text):
        chosen = chosen[1:]  # the store's name above its street number ("IKEA Cheras")
    return chosen


_STREET = re.compile(rf"(?i)\b(?:{'|'.join(_STREET_WORDS)}|lebuh\w*)\b")


def _store_line(text: str) -> bool:
    """A line naming a store, not a place in its address: a branch's name in brackets
    ("(JALAN KLANG LAMA)"), or no digit and no street or building word, a town at most
    ("IKEA Cheras")."""
    return bool(
        _BRACKETED.fullmatch(text) or not (any(c.isdigit() for c in text) or _STREET.search(text))
    )


# A line that begins with a street number: "No 2A Jalan ...", "LOT 2942 & 2945, ...", "12, ...".
_NUMBERED = re.compile(r"(?i)^\s*(?:no\b\.?|lot\b|\d)")


_ONES = str.maketrans("iIl", "111")
# A postcode with a zero read as a round capital ("4600D", "5O100"): four digits and one of them.
_POSTCODE_ZERO = re.compile(r"\b(?=\d*[DOQ]\d*\b)(?=(?:[DOQ]*\d){4})[\dDOQ]{5}\b")
_ROUND_ZEROS = str.maketrans("DOQ", "000")
# A township's "U" section with its digit read as a letter ("US/N", "SEKSYEN US", "UI/G"); after
# "Seksyen U" any letter that looks like a digit ("SEKSYEN UP" for U9).
_SECTION_U = re.compile(
    r"(?i)\bU[SIl](?=/)|(?<=\bseksyen )U[SIlOBZGTP]\b|(?<=\bsection )U[SIlOBZGTP]\b"
)
_SECTION_DIGITS = str.maketrans("SIlOBZGTPsobzgtp", "5110826795082679")
# An "SS" section's second S read as a 5 or an 8 ("S515/4D", "S86/3").
_SECTION_SS = re.compile(r"\bS[58](?=\d{1,2}[A-Z]?/\d)")
# A small "i" or "l" standing alone between words.
_LONE_I = re.compile(r"(?<=\s)[il](?=\s)")
# Two shop lots joined by an ampersand read as an eight ("No 14816" for "No 14 & 16"): after
# "No" or "Lot", a number of two or three digits, an 8 and the same number and up to four
# more ("LOT 485" is one lot).
_LOTS_JOINED = re.compile(r"(?i)\b((?:no|lot)\.?\s*)(\d{2,3})8(\d{2,3})\b")


def _lots_joined(m: re.Match[str]) -> str:
    """A ``_LOTS_JOINED`` match as two lots, when the second is the first and up to four more
    ("14" and "16"); else as it is."""
    first, second = int(m[2]), int(m[3])
    if len(m[2]) == len(m[3]) and 0 < second - first <= 4:
        return f"{m[1]}{m[2]} & {m[3]}"
    return m[0]


# A road's number and letter after its name, its one read as a capital I ("JALAN ASTANA IC"):
# "II", "IV" and "IX" are numerals, not this.
_ROAD_ONE = re.compile(r"(?<=[A-Z]{3} )I([A-HJ-UWYZ])(?=[,\s]|$)")

# A run of four characters or more, digits but for a one read as "i", "I" or "l" ("i851",
# "4730i"); three digits at least, so that a word ("Jl1", "U1l") is left alone.
_DIGITS_WITH_ONES = re.compile(r"\b(?=(?:[iIl]*\d){3})(?=\d*[iIl])[\diIl]{4,}\b")
# A floor's ordinal misread: "SRD FLR", "5RD FLOOR" (3RD), "lST LEVEL" (1ST).
_ORDINAL = re.compile(r"(?i)\b(?:([S5])(RD)|([IlL])(ST))(?=\s+(?:flr|floor|fl|level|lvl)\b)")
# What a letterhead prints before its address: "HQ ADD:", "Address :", "Alamat:".
_ADDRESS_LABEL = re.compile(r"(?i)^(?:[\w/&.]+\s+){0,2}(?:add|addr|address|alamat)\s*[:.]\s*")
# A word of marks alone ("." "-" ":" "?" a quote), which OCR reads where an address's lines meet.
_LONE_MARKS = re.compile(r"[^\w&/,()]+")


# Glyphs OCR confuses on receipts' print, each group one shape: a stroke ("Jaian", "J1n",
# "BIk"), a hump ("Jalau", "Tnn"), a ring ("Fleor"), a round bottom ("LUT"), a descender
# ("Jaga"). Measured on real-dev's receipts: adding "t" and "j" to the strokes, "m" to "u" or
# "h" to the humps, or "a" and "c" to the rings reads real words as address words ("Tun" as
# "Tmn", "Laman" as "Taman").
_GLYPH_GROUPS = ("il1|!", "nu", "oe0", "uo", "nm", "gy")
_ALIKE = frozenset((a, b) for group in _GLYPH_GROUPS for a in group for b in group if a != b)
# The words an address is spelt with: its address words and the countries that close it.
KNOWN_WORDS = frozenset((*ADDRESS_WORDS, *PLACE_WORDS, *COUNTRIES))
_SNAP_WORDS = frozenset(w for w in KNOWN_WORDS if len(w) >= 3 and w.isalpha())
_SNAP_BY_LENGTH: dict[int, list[str]] = {}
for _word in sorted(_SNAP_WORDS):
    _SNAP_BY_LENGTH.setdefault(len(_word), []).append(_word)


# A word this long is read as the address word it differs from by any one letter ("SCLANGOR",
# "Setangor", "SEESYEN"): shorter, one letter makes another word ("Tun", "Tmn").
LONG_WORD = 7
# A word this long with a letter too many inside it is the address word without it ("DIARUL").
EXTRA_LETTER_WORD = 6
# The letters of one thin stroke, which faint print loses ("JAAN") and a speck adds ("PUJDU").
THIN_LETTERS = "iljtfr"
# A word of four letters or more is the address word it is this far from by glyphs alike and
# one thin letter (``_glyph_distance``: "Feer" is "Floor", three half-steps); two letters lost
# or added make other words ("BESAR" is no "BESTARI", "SENTRAL" no "SENAI").
GLYPH_EDITS = 1.5


def _glyph_distance(a: str, b: str) -> float:
    """The cost of reading ``b`` as ``a``: 0.5 a glyph alike (``_ALIKE``) or a thin letter
    lost, or else added (not both: "TERBAU" is no "TEBRAU"); 9 any other edit."""

    def distance(lost: bool) -> float:
        far = 9.0

        def thin(c: str, allowed: bool) -> float:
            return 0.5 if allowed and c in THIN_LETTERS else far

        prev = [0.0]
        for c in b:
            prev.append(prev[-1] + thin(c, lost))
        for x in a:
            cur = [prev[0] + thin(x, not lost)]
            for j, y in enumerate(b, 1):
                sub = 0.0 if x == y else (0.5 if (x, y) in _ALIKE else far)
                cur.append(
                    min(prev[j - 1] + sub, prev[j] + thin(x, not lost), cur[j - 1] + thin(y, lost))
                )
            prev = cur
        return prev[-1]

    return min(distance(True), distance(False))


@functools.lru_cache(maxsize=8192)  # a shop's words come back on each of its receipts
def _snap_address_word(word: str) -> str:
    """``word`` (with the marks around it) as the one address word it differs from by one
    glyph of the same shape ("Jalau," is "Jalan,"), or by any one letter when it is
    ``LONG_WORD`` letters or more, or by a letter too many inside it when it is
    ``EXTRA_LETTER_WORD`` or more ("DIARUL"; "Kelang" is a town of its own), or else, from four
    letters, by glyphs alike and a thin letter lost or added (``GLYPH_EDITS``: "JAAN", "PUJDU",
    "Feer"; "Site" is no "Suite"), in its case; else as it is."""
    parts = re.fullmatch(r"(\W*)(\w{3,}|\w+[-.]\w+)(\W*)", word)
    if parts is None or parts[2].casefold() in KNOWN_WORDS:
        return word
    core = parts[2].casefold()
    found = set()
    for known in _SNAP_BY_LENGTH.get(len(core), []):
        diff = [(a, b) for a, b in zip(core, known, strict=True) if a != b]
        if len(diff) == 1 and (len(core) >= LONG_WORD or diff[0] in _ALIKE):
            found.add(known)
    if not found and core.isalpha() and len(core) >= EXTRA_LETTER_WORD:
        found = {core[:k] + core[k + 1 :] for k in range(1, len(core) - 1)} & _SNAP_WORDS
    if not found and core.isalpha() and len(core) >= 4:
        found = {
            known
            for n in (len(core) - 1, len(core), len(core) + 1)  # one letter lost or added
            for known in _SNAP_BY_LENGTH.get(n, [])
            if _glyph_distance(core, known) <= GLYPH_EDITS
        }
    if len(found) != 1:
        return word
    known = found.pop()
    letters = [c for c in parts[2] if c.isalpha()]
    if sum(c.isupper() for c in letters) > len(letters) / 2:
        known = known.upper()
    elif parts[2][0].isupper():
        known = known.capitalize()
    return f"{parts[1]}{known}{parts[3]}"


_RUN_TOGETHER = re.compile(
    # An address word and a number ("Lot3", "BATU4") or a capitalised word ("JalanTampoi").
    rf"(?i)\b({'|'.join(sorted(_SNAP_WORDS, key=len, reverse=True))})(?=\d)"
    rf"|(?-i:\b([A-Z][a-z]+)(?=[A-Z][a-z]))"
    # A postcode and a word ("40300Shah").
    r"|\b(\d{5})(?=[^\W\d_]{2})"
)


def _split_address_words(text: str) -> str:
    """Words OCR ran together that an address keeps apart, and a speck read as a full stop
    inside an address word ("L.ot", "L.UMPUR")."""

    def apart(m: re.Match[str]) -> str:
        if m[2] is not None and m[2].casefold() not in _SNAP_WORDS:
            return m[0]
        return f"{m[0]} "

    def speck(m: re.Match[str]) -> str:
        joined = m[1] + m[2]
        return joined if _snap_address_word(joined).casefold() in KNOWN_WORDS else m[0]

    text = _RUN_TOGETHER.sub(apart, text)
    return re.sub(r"\b([^\W_]+)\.([^\W_]+)\b", speck, text)


def _rejoin_split_words(words: list[str]) -> list[str]:
    """``words`` with two that make one address word together, neither one alone, run into it:
    OCR split the word ("Ja lan", "Seksy en", "F loor", "L EBUH")."""
    out: list[str] = []
    for word in words:
        if out:
            last = out[-1]
            joined = f"{last}{word}"
            core = re.sub(r"\W+$", "", joined).casefold()
            if (
                last.isalpha()
                and re.fullmatch(r"[^\W\d_]+\W?", word)
                and core in KNOWN_WORDS
                and last.casefold() not in KNOWN_WORDS
                and re.sub(r"\W+$", "", word).casefold() not in KNOWN_WORDS
            ):
                out[-1] = joined
                continue
        out.append(word)
    return out


def _speck_after_word(m: re.Match[str]) -> str:
    """An address word without the quote mark after it ("LOT'"); another word as it is."""
    return m[1] if m[1].casefold() in KNOWN_WORDS else m[0]


def _tidy_address(text: str) -> str:
    """An address without the label some receipts print before it ("HQ ADD: LOT 11995, ...")
    and without the misreadings its form gives away: a one read as a letter in a run of digits
    ("i851-A", "47301" read "4730i"), an address word misread by a glyph ("Jalau"), a floor's
    ordinal read with an S or an I ("SRD FLR"), marks alone between its words ("Heights :
    50490") and marks doubled ("SELATAN., 84600": the comma stands for the run; the truth of
    400 receipts writes a lone mark in 2), a word split in two ("Ja lan"), specks ("LOT'",
    "4--20"), a postcode's zero read as a round capital ("4600D"), a township section's
    digit read as a letter ("US/N", "S86/3") and a one read as a small "i" alone."""
    text = _ADDRESS_LABEL.sub("", text, count=1) or text
    text = _split_address_words(text)
    words = [w for w in text.split() if not _LONE_MARKS.fullmatch(w)]
    # Each word of a run glued by commas ("NO.12,JAAN") is snapped as a word of its own.
    words = [
        ",".join(_snap_address_word(part) for part in w.split(","))
        for w in _rejoin_split_words(words)
    ]
    text = " ".join(words) or text
    text = re.sub(r"[.,]{2,}", lambda m: "," if "," in m[0] else m[0][0], text)
    text = re.sub(r"(?<=\w)-{2,}(?=\w)", "-", text)  # "4--20"
    # A quote mark glued to an address word ("LOT' 2685"): a speck.
    text = re.sub(r"\b([^\W\d_]+)['`\u2019](?=\s|$)", _speck_after_word, text)
    text = _DIGITS_WITH_ONES.sub(lambda m: m[0].translate(_ONES), text)
    text = _POSTCODE_ZERO.sub(lambda m: m[0].translate(_ROUND_ZEROS), text)
    text = _SECTION_U.sub(lambda m: m[0].translate(_SECTION_DIGITS), text)
    text = _SECTION_SS.sub("SS", text)
    text = _LOTS_JOINED.sub(_lots_joined, text)
    text = _ROAD_ONE.sub(r"1\1", text)
    if not any(c.islower() for c in _LONE_I.sub("", text)):
        text = _LONE_I.sub("1", text)  # "UTARA i PERMAS": a one, in capitals
    return _ORDINAL.sub(lambda m: "3" + m[2] if m[1] else "1" + m[4], text)


def _extract_address(lines: list[Line], height: int) -> Extracted | None:
    vendor = _vendor_index(lines, height)
    start = 0 if vendor is None else vendor + 1
    # The lines under the name; else from the top: the name chosen was not the letterhead.
    chosen = _address_lines(lines, start) or (_address_lines(lines, 0) if start else [])
    if not chosen:
        return None
    # A company number the letterhead prints at the end of an address line is not the address.
    texts = [_COMPANY_NUMBER_AFTER.sub("", line.text) for line in chosen]
    text = _tidy_address(_tidy(" ".join(t for t in texts if t)))
    conf = confidence(0.3, 0.15 * (vendor is not None), 0.2 * bool(POSTCODE.search(text)))
    return Extracted(text, text, union_box(w for line in chosen for w in line.words), conf)


# A company's registration number after a line's words ("... CENTRE, 201283-M"): five digits
# or more and a letter.
_COMPANY_NUMBER_AFTER = re.compile(r"(?<=\S)\s+[({]?\d{5,}\s?-\s?[A-Z][)}]?[,.]?\s*$")


# --------------------------------------------------------------------------------------------
# Entry point


_TOTAL_NAMES = re.compile(r"(?:invoice_|grand_)?total(?:_amount|_due)?|amount(?:_due|_paid)?")
_DOCUMENT_DATE_NAMES = re.compile(r"(?:invoice|receipt|issue|document|bill|purchase)?_?date")
_RANGE_NAMES = re.compile(r"_(?:start|end|from|to)$")
_ISSUER_NAMES = re.compile(
    r"vendor|supplier|seller|merchant|company|shop|store|issuer|bank|employer"
)
_ID_NAMES = re.compile(
    r"(?:invoice|inv|receipt|bill|document|doc|reference|ref)_?(?:number|no|id)?"
)


def _rules(name: str, kind: str) -> list[str]:
    """Which rules fill a field, tried in order, from its kind and name: the specialised rules
    for the fields they know by name, the label rule (``labeled``) for every other one. A date
    named as one end of a range (``period_start``, ``valid_to``) falls back to the page's
    first date range, never to the document's date."""
    key = name.casefold()
    if kind == "date":
        if re.search(r"due|expir|valid", key):
            return ["due_date"]
        if _RANGE_NAMES.search(key):
            return ["labeled", "range"]  # a period's end is no document date
        return ["date"] if _DOCUMENT_DATE_NAMES.fullmatch(key) else ["labeled", "date"]
    if kind == "money":
        if re.search(r"tax|gst|vat|sst", key):
            return ["tax"]
        return ["total"] if _TOTAL_NAMES.fullmatch(key) else ["labeled"]
    if kind == "text":
        if "address" in key:
            return ["address"]
        return ["vendor"] if _ISSUER_NAMES.search(key) else ["labeled"]
    if kind == "identifier":
        return ["identifier"] if _ID_NAMES.fullmatch(key) else ["labeled", "identifier"]
    if kind == "account":
        return ["account", "labeled"]
    if kind == "currency":
        return ["currency"]
    return ["labeled"]


def _position(name: str) -> int:
    """Which date of a range a field names: 0 the first (``_start``), 1 the second (``_end``)."""
    label = labeled.label_for(name)
    return label.position if label else 0


def names_total(name: str, kind: str) -> bool:
    """Whether a field is the document's total (the total rule fills it)."""
    return _rules(name, kind) == ["total"]


# Below this, a total is a guess (read off a subtotal line, or a bare amount): the next pages of
# the document are read for a surer one (``fieldstore.extract``).
WEAK_TOTAL = 0.5


def read_on(
    fields: Iterable[tuple[str, str]],
    found: Mapping[str, Extracted],
    settled: Container[str] = frozenset(),
) -> list[tuple[str, str]]:
    """The fields a document's next page is read for, given what its earlier pages gave: those
    not found yet, and a total the rules were unsure of (below ``WEAK_TOTAL``). ``settled``:
    names whose value is not the rules' (a learned one), which no later page replaces."""
    return [
        (name, kind)
        for name, kind in fields
        if name not in found
        or (name not in settled and names_total(name, kind) and found[name].confidence < WEAK_TOTAL)
    ]


def names_issuer(name: str, kind: str) -> bool:
    """Whether a field names the document's issuer (the vendor rule fills it): a vendor,
    supplier, bank, employer."""
    return _rules(name, kind) == ["vendor"]


def _either(
    rule: Callable[..., Extracted | None],
    first: list[Line],
    then: list[Line],
    *args: Any,
    **kw: Any,
) -> Extracted | None:
    found = rule(first, *args, **kw)
    return found if found is not None or first is then else rule(then, *args, **kw)


def _rows(words: Sequence[Mapping[str, Any]]) -> list[Line]:
    """Words into rows by vertical overlap, whatever line ids they carry: PP-OCR reads a label
    and its amount as two boxes ("Total (RM) :" ... "112.46") that belong on one line."""
    return group_lines([{k: v for k, v in w.items() if k != "line"} for w in words])


def _spaced(text: str) -> str:
    """PP-OCR's text in Tesseract's alphabet, a space after each comma as most receipts print
    it (PP-OCR's v4 recogniser ran words together: "LOT 11995,BATU 2,JALAN")."""
    return re.sub(r",(?=\w)", ", ", unicodedata.normalize("NFKC", text))


def _name_lines(
    words: Sequence[Mapping[str, Any]],
    number_words: Sequence[Mapping[str, Any]],
    lines: Sequence[Line] | None = None,
) -> list[Line]:
    """The lines the vendor and address rules read: Tesseract's with PP-OCR's characters
    (``merge_readings``), or PP-OCR's alone where Tesseract read under half as many words as
    PP-OCR (which reads fewer, longer pieces): Tesseract failed on the page (faint, skewed).
    ``lines``: ``words`` already grouped, so they are not grouped twice."""
    if len(words) < 0.5 * len(number_words):
        return _rows([{**w, "text": _spaced(str(w["text"]))} for w in number_words])
    return group_lines(merge_readings(words, number_words, grouped=lines))


def name_words(
    words: Sequence[Mapping[str, Any]], number_words: Sequence[Mapping[str, Any]] | None
) -> list[Mapping[str, Any]]:
    """The words the vendor and address rules read (``_name_lines``: Tesseract's with PP-OCR's
    characters), for whatever else reads a page's names: a learned text field
    (``memory.apply_all``). ``words`` as they are without a second reading."""
    if not number_words:
        return list(words)
    return [w for line in _name_lines(words, number_words) for w in line.words]


def extract_fields(
    words: Sequence[Mapping[str, Any]],
    width: int,
    height: int,
    fields: Iterable[tuple[str, str]],
    number_words: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Extracted]:
    """The fields a rule finds on one page; a field without a candidate is absent.

    ``number_words``: a second reading of the same page (PP-OCR, ``classification.ppocr``),
    boxes in the same pixels, that reads characters better than Tesseract. When given
    and not empty, the date and money rules (dates, total, tax, the total's currency) read its
    lines instead of ``words``; the vendor and address rules read ``words`` with PP-OCR's
    characters where the two readings of a line agree and PP-OCR's words where they disagree
    and PP-OCR is sure (``merge.merge_readings``), or PP-OCR's lines alone where Tesseract
    read almost nothing of the page; identifiers keep ``words``.

    ``width`` is kept for layouts that look left and right; the rules use ``height``.
    """
    del width
    token = _PAGE.set({})  # what several rules read, worked out once for the page
    try:
        return _extract_fields(words, height, fields, number_words)
    finally:
        _PAGE.reset(token)


def _extract_fields(
    words: Sequence[Mapping[str, Any]],
    height: int,
    fields: Iterable[tuple[str, str]],
    number_words: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Extracted]:
    lines = group_lines(words)
    numbers = _rows(number_words) if number_words else lines
    if not lines and not numbers:
        return {}
    wanted = [(name, str(kind), _rules(name, str(kind))) for name, kind in fields]
    first = day_first(numbers)
    currency = _page_currency(lines) or _page_currency(numbers)
    hint = currency[0] if currency else None
    # Tesseract's words stay the fallback of a rule that finds nothing in PP-OCR's.
    total = _extract_total(numbers, height, hint) or _extract_total(lines, height, hint)

    @functools.cache
    def names() -> list[Line]:
        """The lines the vendor and address rules read, merged only when one is wanted."""
        return _name_lines(words, number_words, lines) if number_words else lines

    def by_label(name: str, kind: str) -> Extracted | None:
        found = labeled.extract(lines, name, kind, day_first=first, grid=_grid(lines))
        return Extracted(found.value, found.raw, found.bbox, found.confidence) if found else None

    rules: dict[str, Callable[[str, str], Extracted | None]] = {
        "date": lambda _, __: _either(_extract_date, numbers, lines, height, False, first),
        "due_date": lambda _, __: _either(_extract_date, numbers, lines, height, True, first),
        "range": lambda name, _: _either(_extract_range, numbers, lines, _position(name), first),
        "total": lambda _, __: total[0] if total else None,
        "tax": lambda _, __: _extract_tax(numbers, hint, total[1] if total else None),
        "currency": lambda _, __: _extract_currency(lines or numbers, total[1] if total else None),
        "identifier": lambda name, _: _extract_identifier(lines, name),
        "account": lambda _, __: _extract_account(lines),
        "vendor": lambda _, __: _extract_vendor(names(), height),
        "address": lambda _, __: _extract_address(names(), height),
        "labeled": by_label,
    }
    out: dict[str, Extracted] = {}
    for name, kind, chain in wanted:
        for rule in chain:
            found = rules[rule](name, kind)
            if found is not None:
                out[name] = found
                break
    return out


__all__ = [
    "ADDRESS_WORDS",
    "KNOWN_WORDS",
    "POSTCODE",
    "Extracted",
    "Line",
    "extract_fields",
    "group_lines",
    "name_words",
    "names_issuer",
    "union_box",
]
