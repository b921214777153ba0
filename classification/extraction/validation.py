"""Field validation: whether a document's field values satisfy its type's schema.

Plain functions, no Django. A schema is a list of ``FieldSpec`` (what ``FieldDefinition``
holds: kind, required, pattern, range, not in the future); values are ``{name: (value, raw)}``
as stored (``value`` normalised by the rules, or as a person typed it; ``raw`` as written on
the page). ``validate`` returns the problems found, each with a short message for people:

- a required field that is missing or empty;
- a value that does not parse for its kind (a date, an amount, a currency, a percentage; an
  account that looks like an IBAN must pass the IBAN check digits, ISO 7064 mod 97);
- a value that does not match the field's pattern (the whole value; a pattern that does not
  compile is the schema's fault, not the document's, and is skipped);
- an amount or percentage below the minimum or above the maximum;
- a date after ``today`` where the field says it cannot lie in the future;
- ``total`` differing from ``subtotal + tax`` (and from a ``subtotal`` with the tax in it) by
  more than a cent, when the schema has all three (by those names, as amounts) and all three
  values are present and readable.

Each field reports its first problem only, in the order above, so a reason stays short.
``check_value`` runs the checks of one value without the required rule: what a person's input
must pass before it is stored (they may leave a required field empty when the document lacks it).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from classification.extraction import contracts, parsers

log = logging.getLogger(__name__)

# Problem codes, for code that acts on a kind of problem rather than on its message.
MISSING = "missing"
UNREADABLE = "unreadable"
CHECKSUM = "checksum"
PATTERN = "pattern"
BELOW_MIN = "below_min"
ABOVE_MAX = "above_max"
FUTURE = "future"
SUM = "sum"

# The amounts checked against each other: total = subtotal + tax.
TOTAL, SUBTOTAL, TAX = "total", "subtotal", "tax"
# Rounding on printed documents: a total may differ from subtotal + tax by one cent.
SUM_TOLERANCE = Decimal("0.01")

_NUMERIC_KINDS = ("money", "percentage")
_KIND_WORDS = {
    "date": "a date",
    "money": "an amount",
    "currency": "a currency",
    "percentage": "a percentage",
    "account": "an IBAN or account number",
}
_IBAN_SHAPED = re.compile(r"[A-Z]{2}\d\d")
_ACCOUNT_NUMBER = re.compile(r"[0-9A-Z]{4,34}")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: str  # as FieldDefinition.Kind: date, money, currency, text, identifier, account, ...
    required: bool = False
    pattern: str = ""
    min: Decimal | None = None
    max: Decimal | None = None
    not_in_future: bool = False
    label: str = ""  # how messages name the field; the name when empty

    @property
    def shown(self) -> str:
        return self.label or self.name


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # the field's name
    code: str  # MISSING, UNREADABLE, ...
    message: str


Parsed = date | Decimal | str


def parse_value(kind: str, text: str, today: date | None = None) -> Parsed | None:
    """``text`` read as a value of ``kind`` (a date, a Decimal, an ISO currency code, a compact
    account number, or the stripped text), or None when it does not read as one."""
    text = text.strip()
    if not text:
        return None
    if kind == "date":
        found = parsers.parse_date(text, today=today)
        return found.value if found else None
    if kind == "money":
        money = parsers.parse_money(text)
        return money.amount if money else None
    if kind == "percentage":
        return parsers.parse_percentage(text)
    if kind == "currency":
        return parsers.normalise_currency(text)
    if kind == "account":
        compact = parsers.compact_account(text)
        return compact if _ACCOUNT_NUMBER.fullmatch(compact) else None
    if kind == "names":
        return _names(text) or None  # ";" alone names no one
    return text  # text, identifier: any text reads


def _names(text: str) -> str:
    """A list of names as the contract rules store it: each name stripped, empty ones left out
    ("ACME Ltd; ; Beta GmbH" is two names)."""
    return contracts.NAMES_SEPARATOR.join(contracts.split_names(text))


def normalised(kind: str, parsed: Parsed | None, text: str) -> str:
    """A value of ``kind`` as the rules store theirs (``fields.Extracted.value``), from what
    ``parse_value`` read of ``text``: an ISO date, an amount with two decimals, an ISO currency
    code, a compact account number, names joined by "; " without empty ones; other kinds, and
    what does not read, as written."""
    if isinstance(parsed, date):
        return parsed.isoformat()
    if isinstance(parsed, Decimal):
        return f"{parsed:.2f}" if kind == "money" else str(parsed)
    if isinstance(parsed, str) and kind in ("currency", "account", "names"):
        return parsed
    return text.strip()


def _iban_problem(spec: FieldSpec, account: str) -> Problem | None:
    """An account that looks like an IBAN (country letters, check digits) must be one."""
    if not _IBAN_SHAPED.match(account) or parsers.iban_valid(account):
        return None
    length = parsers.IBAN_LENGTHS.get(account[:2])
    if length is not None and len(account) != length:
        message = f"{spec.shown} {account} has {len(account)} characters, not {length}"
    else:
        message = f"{spec.shown} {account} fails the IBAN checksum"
    return Problem(spec.name, CHECKSUM, message)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error as exc:
        log.warning("field pattern %r does not compile (%s): not checked", pattern, exc)
        return None


def pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable regular expression, or None when it is."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def _amount(value: Decimal, kind: str) -> str:
    if kind == "money" and value == value.quantize(Decimal("0.01")):
        return f"{value:.2f}"
    text = format(value.normalize(), "f")
    return f"{text}%" if kind == "percentage" else text


def check_value(
    spec: FieldSpec, value: str, today: date, raw: str = ""
) -> tuple[Problem | None, Parsed | None]:
    """The first problem of one non-empty value (None when it passes) and the value parsed
    (None when it does not read). Required-ness is not checked here."""
    parsed = parse_value(spec.kind, value, today)
    if parsed is None and raw:
        parsed = parse_value(spec.kind, raw, today)
    if parsed is None:
        what = _KIND_WORDS.get(spec.kind)
        if what is None:  # only blank text fails to read, and blank is missing
            return None, None
        return Problem(spec.name, UNREADABLE, f"{spec.shown} “{value}” is not {what}"), None
    if spec.kind == "account":
        assert isinstance(parsed, str)
        problem = _iban_problem(spec, parsed)
        if problem is not None:
            return problem, parsed
    compiled = _compiled(spec.pattern) if spec.pattern else None
    if compiled is not None and compiled.fullmatch(value.strip()) is None:
        message = f"{spec.shown} “{value.strip()}” is not in the expected form"
        return Problem(spec.name, PATTERN, message), parsed
    if spec.kind in _NUMERIC_KINDS and isinstance(parsed, Decimal):
        shown = _amount(parsed, spec.kind)
        if spec.min is not None and parsed < spec.min:
            message = f"{spec.shown} {shown} is below the minimum {_amount(spec.min, spec.kind)}"
            return Problem(spec.name, BELOW_MIN, message), parsed
        if spec.max is not None and parsed > spec.max:
            message = f"{spec.shown} {shown} is above the maximum {_amount(spec.max, spec.kind)}"
            return Problem(spec.name, ABOVE_MAX, message), parsed
    if spec.kind == "date" and spec.not_in_future and isinstance(parsed, date) and parsed > today:
        message = f"{spec.shown} {parsed.isoformat()} is in the future"
        return Problem(spec.name, FUTURE, message), parsed
    return None, parsed


def _sum_problem(schema: Sequence[FieldSpec], parsed: Mapping[str, Parsed]) -> Problem | None:
    """total = subtotal + tax, within a cent, when the schema has the three and all read; or
    total = subtotal, the tax shown being the part of it included (prices with VAT in them:
    "Subtotaal 717.97", "BTW 124.61", "Totaal 717.97")."""
    specs = {s.name: s for s in schema}
    amounts = [parsed.get(name) for name in (TOTAL, SUBTOTAL, TAX)]
    if not all(name in specs and specs[name].kind == "money" for name in (TOTAL, SUBTOTAL, TAX)):
        return None  # a tax given as a percentage is no amount to add
    if not all(isinstance(a, Decimal) for a in amounts):
        return None
    total, subtotal, tax = (a for a in amounts if isinstance(a, Decimal))
    if abs(total - (subtotal + tax)) <= SUM_TOLERANCE or (
        abs(total - subtotal) <= SUM_TOLERANCE and 0 <= tax < total
    ):
        return None
    message = (
        f"{specs[TOTAL].shown} {total:.2f} ≠ {specs[SUBTOTAL].shown} {subtotal:.2f}"
        f" + {specs[TAX].shown} {tax:.2f}"
    )
    return Problem(TOTAL, SUM, message)


def validate(
    values: Mapping[str, tuple[str, str]], schema: Sequence[FieldSpec], today: date
) -> list[Problem]:
    """The problems of ``values`` ({name: (value, raw)}) against ``schema``, in schema order
    with the sum check last; empty when everything passes. Values of fields not in the schema
    are ignored."""
    problems: list[Problem] = []
    parsed: dict[str, Parsed] = {}
    for spec in schema:
        value, raw = values.get(spec.name, ("", ""))
        if not value.strip() and not raw.strip():
            if spec.required:
                problems.append(Problem(spec.name, MISSING, f"{spec.shown} is missing"))
            continue
        problem, reading = check_value(spec, value or raw, today, raw)
        if problem is not None:
            problems.append(problem)
        elif reading is not None:
            parsed[spec.name] = reading
    summed = _sum_problem(schema, parsed)
    return [*problems, summed] if summed is not None else problems


__all__ = [
    "FieldSpec",
    "Problem",
    "check_value",
    "parse_value",
    "pattern_error",
    "validate",
]
