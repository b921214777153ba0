"""Value parsers for field extraction: dates, money, currencies, IBANs, percentages,
identifiers and text, each found in OCR text and normalised the way
``../shared/data/README.md`` compares values (dates to ISO ``yyyy-mm-dd``, money to a
``Decimal`` with two places and an ISO 4217 code, text case-folded with whitespace collapsed,
a list as a set of normalised strings).

Plain functions over strings, no Django; every pattern is compiled once at import, so one
page of text (a few thousand characters) is scanned for all dates and amounts in about a
millisecond.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: date
    iso: str
    raw: str
    span: tuple[int, int]
    # True when the value rests on a guess: a numeric date readable both day-first and
    # month-first (both parts <= 12 and different), or a date written without a year.
    ambiguous: bool


@dataclass(frozen=True, slots=True)
class ParsedMoney:
    amount: Decimal
    currency: str | None
    raw: str
    span: tuple[int, int]


# --------------------------------------------------------------------------------------------
# Dates

# Years outside this range are OCR noise or not a document date ("12/11/0000").
MIN_YEAR = 1900
MAX_YEAR = 2099
# A two-digit year is read in the century that puts it at most this many years after the
# reference date (``today``, else the clock's date): in 2026, "46" is 2046 and "47" 1947.
# Extraction and validation of a typed value read it alike.
FUTURE_YEARS = 20

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    # English, German, French, Spanish, Dutch, Malay (SROIE receipts are Malaysian).
    # "ago" (Spanish August) is left out: it is an English word.
    1: ("january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "januari"),
    2: ("february", "feb", "februar", "février", "fevrier", "févr", "fevr", "fév", "fev",
        "febrero", "februari"),
    3: ("march", "mar", "märz", "maerz", "mär", "mrz", "mars", "marzo", "maart", "mrt", "mac"),
    4: ("april", "apr", "avril", "avr", "abril", "abr"),
    5: ("may", "mai", "mayo", "mei"),
    6: ("june", "jun", "juni", "juin", "junio"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "julai"),
    8: ("august", "aug", "août", "aout", "agosto", "augustus", "ogos"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre"),
    11: ("november", "nov", "novembre", "noviembre"),
    12: ("december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre",
         "dic", "disember"),
}  # fmt: skip
MONTHS: dict[str, int] = {name: n for n, names in _MONTH_NAMES.items() for name in names}

_S = r"[ \t\u00a0]"  # a space within a line: a date never spans a line break
# Runs of spaces are matched possessively (*+): a month name or digit never begins with one,
# and giving spaces back one at a time made a long blank run cost quadratic time.
_MON = (
    r"(?P<mon>"
    + "|".join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True))
    + r")(?![^\W\d_])\.?"
)
_ORD = r"(?:st|nd|rd|th|er)?"
# A recogniser that drops spaces (PP-OCR, ``classification.ppocr``) glues the time to the date:
# "25/12/20188:13:39PM", "01/03/1819:14". A year or day followed by a time ("h:mm", "hh:mm")
# ends where the time begins; a four-digit year (19xx, 20xx) is tried before a two-digit one.
_GLUED_TIME = r"(?=(?:[01]?\d|2[0-3]):[0-5]\d)"
_LAST_PART = rf"(?:19|20)\d\d{_GLUED_TIME}|\d\d{_GLUED_TIME}"
# OCR glues a label to the date ("Dater11/03/18") and spaces a separator ("14-03- 2018"), so
# a letter may come before and one space beside a separator; a digit before means a longer
# number ("001-2018-03-18" is not the date 2018-03-18, "192.168.1.10" no date at all), except
# a hyphen before a date with slashes ("REG#19-21/03/2018", numbers glued by PP-OCR).
# A range of two full dates with slashes or dots joined by a hyphen ("01.03.2024-31.03.2024")
# is two dates: the first may be followed by "-" and a full date of its form, and the second
# may follow the last part of a date of its form and a hyphen.
_AFTER_RANGE = "|".join(
    # The first date whole before the hyphen (day, month, a year of two or four digits), not
    # a version number ("3.1.4-2.1.2018"): one fixed-width look-behind for each width.
    "(?:"
    + "|".join(
        rf"(?<=(?<!\d)\d{{{a}}}{re.escape(s)}\d{{{b}}}{re.escape(s)}\d{{{y}}}-)"
        for a, b, y in itertools.product((1, 2), (1, 2), (2, 4))
    )
    + rf")(?=\d{{1,4}}{re.escape(s)}\d{{1,2}}{re.escape(s)})"
    for s in "/."
)
_NUMERIC_DATE = re.compile(
    rf"(?<![\d_])(?:(?<!\d[./,-])|(?<=\d-)(?=\d{{1,2}}/\d{{1,2}}/)|{_AFTER_RANGE})"
    rf"(?P<a>\d{{1,4}}){_S}?(?P<sep>[./-]){_S}?(?P<b>\d{{1,2}}){_S}?(?P=sep){_S}?"
    rf"(?P<c>{_LAST_PART}|\d{{1,4}}(?!\d))"
    r"(?:(?![./-]\d)|(?=-\d{1,4}(?=[./])(?P=sep)\d{1,2}(?P=sep)\d{1,4}(?!\d)(?![./-]\d)))"
)
# yyyymmdd or ddmmyyyy (SROIE has both); no string of eight digits is valid as both.
_COMPACT_DATE = re.compile(
    r"(?<![\w.,])(?:"
    r"(?P<y>(?:19|20)\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])"
    r"|(?P<d2>0[1-9]|[12]\d|3[01])(?P<m2>0[1-9]|1[0-2])(?P<y2>(?:19|20)\d\d))(?!\w)"
)
_APOSTROPHE = "'\u2019"  # a two-digit year written '24, or with a right single quote
# A letter may come right before the day: a label glued to it ("DATE25DEC2018"); a year and a
# hyphen may, in a range ("01 Mar 2024-31 Mar 2024").
_DMY_DATE = re.compile(
    rf"(?<![\d_])(?:(?<!\d[./,-])|(?<=\D{_S}(?:19|20)\d\d-)|(?<=[^\W\d_](?:19|20)\d\d-))"
    rf"(?P<d>\d{{1,2}}){_ORD}\.?"
    rf"(?:{_S}*+(?:[-/.,]{_S}*+)?|{_S}+(?:day{_S}+)?of{_S}+|{_S}+de{_S}+)"
    rf"{_MON}"
    rf"(?:(?:{_S}*+(?:[-/.,]{_S}*+)?|{_S}+de{_S}+)"
    rf"(?P<y>{_LAST_PART}|(?:\d{{4}}|[{_APOSTROPHE}]?\d{{2}})(?!\d)))?",
    re.IGNORECASE,
)
# Month first: "Jan 2, 2024", "Jan-02-2024" (the year behind the same hyphen or slash as the
# day), "Dec 1 '99"; a two-digit year only behind that hyphen or slash, an apostrophe or a
# comma ("Jan 15, 24"), and not when a time follows ("Mar 15, 10:30").
_MDY_DATE = re.compile(
    rf"(?<!\w)(?=[A-Za-z]){_MON}{_S}*+(?:(?P<ms>[-/.]){_S}*+)?(?P<d>\d{{1,2}}){_ORD}(?!\d)"
    rf"(?:(?:(?P=ms)(?<=[-/]){_S}*+|{_S}*+(?:[,.]{_S}*+)?)"
    rf"(?P<y>(?:19|20)\d\d{_GLUED_TIME}|(?:\d{{4}}|[{_APOSTROPHE}]\d{{2}})(?!\d))"
    # A two-digit year is no count of things after it ("Jan 5, 12 pcs").
    rf"|(?:(?P=ms)(?<=[-/])|{_S}*+,){_S}*+(?P<yy>\d\d)(?!\d)(?![.,:/]\d)(?!{_S}*[^\W\d_]))?",
    re.IGNORECASE,
)
_YMD_DATE = re.compile(
    rf"(?<!\w)(?P<y>\d{{4}})[-/. ]{_MON}[-/. ]?(?P<d>\d{{1,2}})(?!\d)",
    re.IGNORECASE,
)


def _expand_year(digits: str, today: date | None) -> int:
    """A four-digit year from two digits: the century that puts it at most FUTURE_YEARS after
    ``today`` (the clock's date when None)."""
    year = int(digits)
    if len(digits) != 2:
        return year
    reference = (today or date.today()).year
    year += reference - reference % 100
    return year - 100 if year > reference + FUTURE_YEARS else year


def _make_date(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 31/02, month 13, day 0
        return None


def _last_occurrence(month: int, day: int, today: date) -> date | None:
    """The latest ``day month`` on or before ``today`` (a year-less date is in the past)."""
    for year in range(today.year, today.year - 8, -1):  # 8 years reach a leap year's 29 Feb
        found = _make_date(year, month, day)
        if found is not None and found <= today:
            return found
    return None


def _numeric_date(
    m: re.Match[str], day_first: bool, today: date | None
) -> tuple[date, bool] | None:
    a, b, c = m["a"], m["b"], m["c"]
    # A one-digit last part is a day after a four-digit year ("2018/3/5"), never a year ("1/2/3").
    if len(a) == 3 or len(c) == 3 or (len(c) == 1 and len(a) != 4) or (len(a) == 4 == len(c)):
        return None
    if len(a) == 4 or (len(c) == 2 and len(a) == 2 and int(a) > 31):
        ymd = _make_date(_expand_year(a, today), int(b), int(c))  # yyyy-mm-dd, yy/mm/dd
        return (ymd, False) if ymd else None
    year = _expand_year(c, today)
    dmy = _make_date(year, int(b), int(a))
    mdy = _make_date(year, int(a), int(b))
    if dmy and mdy:
        return (dmy if day_first else mdy), dmy != mdy
    found = dmy or mdy
    return (found, False) if found else None


def _month_number(name: str) -> int | None:
    """The month a name matched by _MON stands for. Case-insensitive matching lets a Turkish
    capital through: "APRİL", whose İ casefolds to "i" and a combining dot, or a dotless i."""
    key = name.casefold()
    return MONTHS.get(key) or MONTHS.get(key.replace("\u0307", "").replace("\u0131", "i"))


def _named_date(m: re.Match[str], today: date | None) -> tuple[date, bool] | None:
    month, day = _month_number(m["mon"]), int(m["d"])
    year = m["y"] or (m["yy"] if "yy" in m.re.groupindex else None)
    if month is None:
        return None
    if year is not None:
        found = _make_date(_expand_year(year.lstrip(_APOSTROPHE), today), month, day)
        return (found, False) if found else None
    found = _last_occurrence(month, day, today) if today else None
    return (found, True) if found else None


def _date_candidates(text: str, day_first: bool, today: date | None) -> Iterator[ParsedDate]:
    for pattern in (_NUMERIC_DATE, _COMPACT_DATE, _DMY_DATE, _MDY_DATE, _YMD_DATE):
        for m in pattern.finditer(text):
            if pattern is _NUMERIC_DATE:
                found = _numeric_date(m, day_first, today)
            elif pattern is _COMPACT_DATE:
                y, mo, d = (m["y"], m["m"], m["d"]) if m["y"] else (m["y2"], m["m2"], m["d2"])
                compact = _make_date(int(y), int(mo), int(d))
                found = (compact, False) if compact else None
            else:
                found = _named_date(m, today)
            if found is not None:
                value, ambiguous = found
                yield ParsedDate(value, value.isoformat(), m.group(), m.span(), ambiguous)


T = TypeVar("T", ParsedDate, ParsedMoney)


def _without_overlaps(found: Iterable[T]) -> list[T]:
    """Earliest first; of two candidates that overlap, the one starting first, then the longer."""
    kept: list[T] = []
    for item in sorted(found, key=lambda f: (f.span[0], f.span[0] - f.span[1])):
        if not kept or item.span[0] >= kept[-1].span[1]:
            kept.append(item)
    return kept


# A numeric date as ``day_first_votes`` counts it: the same separator twice, nothing glued on.
_VOTING_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2((?:19|20)\d\d|\d\d)(?![\d/.-])")


def day_first_votes(text: str) -> int:
    """How many more of ``text``'s numeric dates read only day first ("15/03/2024") than only
    month first ("04/14/2024"). Only what reads as a date votes: both numbers 31 or under, a
    year of 19xx or 20xx (two digits only after "/"), and a date one way only, not a sort code
    ("08-92-99"), a time ("10.45.12") or a part number ("12-31-24")."""
    votes = 0
    for m in _VOTING_DATE.finditer(text):
        first, second, year = int(m[1]), int(m[3]), m[4]
        if first > 31 or second > 31 or (len(year) == 2 and m[2] != "/"):
            continue
        full = int(year) if len(year) == 4 else 2000 + int(year)
        as_dmy = _make_date(full, second, first) is not None
        as_mdy = _make_date(full, first, second) is not None
        votes += as_dmy - as_mdy
    return votes


def find_dates(
    text: str, *, day_first: bool | None = None, today: date | None = None
) -> list[ParsedDate]:
    """Every date in ``text``, in reading order, without overlaps.

    Numeric dates with ``/ . -`` in d/m/y, m/d/y and y/m/d order (``yyyymmdd`` too), month
    names and abbreviations in English, German, French, Spanish, Dutch and Malay with
    ordinals (``2nd January 2024``, ``January 2, 2024``, ``Jan-02-2024``, ``Jan 2, 24``,
    ``2nd Jan '24``, ``the 15th day of March, 2009``); both dates of a range joined by a
    hyphen (``01.03.2024-31.03.2024``).
    A numeric date readable both ways is read day-first unless ``day_first`` is False, and
    flagged ``ambiguous``. Two-digit years: see ``_expand_year``. Only with ``today`` are
    dates without a year (``15 June``) read: the latest such day on or before ``today``.
    """
    first = True if day_first is None else day_first
    return _without_overlaps(_date_candidates(text, first, today))


def parse_date(
    text: str, *, day_first: bool | None = None, today: date | None = None
) -> ParsedDate | None:
    """The first date in a short span of text (a field value, a line), or None."""
    found = find_dates(text, day_first=day_first, today=today)
    return found[0] if found else None


# --------------------------------------------------------------------------------------------
# Currencies

_ISO_CODES = """USD EUR GBP JPY CNY MYR SGD INR AUD CAD CHF HKD NZD SEK NOK DKK ISK PLN CZK HUF RON
    BGN RUB UAH TRY BRL MXN ARS CLP COP ZAR KRW THB IDR PHP VND TWD AED SAR QAR ILS EGP NGN KES
    PKR LKR BDT"""
# Only these codes count as a currency next to a number: "TAX 12.00" or "GST 0.42" must not.
ISO_CURRENCIES = frozenset(_ISO_CODES.split())
_SYMBOLS: dict[str, str | None] = {
    "$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "円": "JPY", "元": "CNY",
    "RMB": "CNY", "RM": "MYR", "S$": "SGD", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "HK$": "HKD", "NZ$": "NZD", "R$": "BRL", "MX$": "MXN", "₹": "INR",
    "Rs": "INR", "Rs.": "INR", "₨": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₫": "VND",
    "₱": "PHP", "฿": "THB", "₪": "ILS", "₦": "NGN", "₴": "UAH", "Rp": "IDR", "zł": "PLN",
    "Kč": "CZK", "kr": None, "kr.": None,
}  # fmt: skip
# Symbols several currencies share: a ``currency_hint`` (the deployment's currency) wins over
# the default, so SROIE's Malaysian "$8.20" is MYR when the hint says so.
_AMBIGUOUS_SYMBOLS = frozenset({"$", "¥", "Rs", "Rs.", "₨", "kr", "kr."})
_CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP",
    "pounds": "GBP", "sterling": "GBP", "yen": "JPY", "yuan": "CNY", "renminbi": "CNY",
    "ringgit": "MYR", "rm": "MYR", "rupee": "INR", "rupees": "INR", "rs": "INR",
    "rs.": "INR", "franc": "CHF", "francs": "CHF", "rmb": "CNY",
}  # fmt: skip


def normalise_currency(text: str) -> str | None:
    """A currency symbol, code or name as an ISO 4217 code (``"RM"`` -> ``"MYR"``), or None."""
    key = text.strip()
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    if key.upper() in ISO_CURRENCIES:
        return key.upper()
    return _CURRENCY_WORDS.get(key.casefold())


def _resolve_currency(token: str | None, hint: str | None) -> str | None:
    hinted = normalise_currency(hint) if hint else None
    if token is None or (token in _AMBIGUOUS_SYMBOLS and hinted):
        return hinted
    return normalise_currency(token)


# --------------------------------------------------------------------------------------------
# Money and percentages
#
# Which separator is the decimal one, decided by position:
# - A run of 1-3 digits (not starting with 0) followed by groups of exactly three digits, all
#   behind the same separator (, . ' U+2019 or a non-breaking/thin space), is the integer part with
#   that thousands separator: "1,234", "1.234.567", "1'234", "1 234" (a plain space only in
#   parse_money, where the span is one value: in running text "2 100.00" is a quantity and a
#   price). Indian grouping "1,23,456" is read as well.
# - Then a "." or "," that differs from the thousands separator, with the digits after it,
#   is the decimal part: "1,234.56", "1.234,56", "12,50", "0.750".
# - So a single "," or "." followed by exactly three digits groups thousands ("1,234" is
#   1234), any other count of digits after the last separator makes it decimal ("12.5",
#   "12,50", "1234.567"), and the last separator followed by exactly two digits is always
#   decimal. Amounts are rounded half-up to two places.


def _number(group_seps: str, after_currency: bool = False) -> str:
    ts = f"[{group_seps}]"
    # OCR often splits cents off after a point ("RM 65. 20"); without a currency in front,
    # "in 2019. 15 people" shows why that is not read as an amount.
    ocr_gap = rf"(?(cur1)(?:\.{_S}(?=\d\d(?!\d)))|(?!))|" if after_currency else ""
    return (
        rf"(?P<int>[1-9]\d{{0,2}}(?P<ts>{ts})\d{{3}}(?:(?P=ts)\d{{3}})*"
        r"|[1-9]\d?(?:,\d\d)+,\d{3}"
        r"|0|[1-9]\d*)"
        rf"(?:(?!(?P=ts))(?P<dsep>{ocr_gap}[.,])(?P<frac>\d+))?"
        # Not part of a longer number, a date, a range or a time.
        r"(?!\d)(?![.,'\u2019]\d)(?![-\u2212/:]\d)"
    )


_GROUP_SEPS = ",.'\u2019\u00a0\u202f\u2009"
_CURRENCY = "|".join(
    re.escape(t) + (r"(?![^\W\d_])" if t[-1].isalpha() else "")
    for t in sorted([*_SYMBOLS, *ISO_CURRENCIES], key=len, reverse=True)
)


# Words a code is glued to by OCR that drops the space: "TOTALRM 9.00", "SummeEUR 5,00".
_GLUED_TO = ("total", "ttl", "jumlah", "amount", "amt", "summe", "betrag", "due", "paid", "cash",
             "change", "balance", "price", "net", "tax", "gst", "vat", "disc", "discount",
             "round", "rounding")  # fmt: skip
# Or a lone letter before it, a bracket or an "@" OCR misread ("Relief GST CRM 0.00", "2eRM 13").
_AFTER_KEYWORD = "|".join(
    [f"(?<=(?i:{word}))" for word in _GLUED_TO] + [r"(?<=(?<![^\W\d_])[^\W\d_])"]
)


# A code glued to the letters before it counts only when glued to what follows as well
# ("TOTALRM9.00") or to an amount's label ("TOTALRM 9.00"): in "PASTRY 4.50" or "UNIFORM 45.00"
# the word merely ends in TRY or RM.
def _glued_currency(then: str) -> str:
    return (
        rf"(?:(?<![^\W\d_])|(?![^\W\d_])|(?=(?:{_CURRENCY}){then})"
        rf"|(?:{_AFTER_KEYWORD})(?=(?:{_CURRENCY}){_S}?[-\u2212]?\d))"
    )


_GLUED_BEFORE_NUMBER = _glued_currency(r"[-\u2212]?\d")


def _money_pattern(group_seps: str) -> re.Pattern[str]:
    # A letter may come right before: a label or code glued to the amount ("TOTAL9.00",
    # "TOTALRM9.00"), as a recogniser that drops spaces writes them.
    return re.compile(
        r"(?<![\d_.,'\u2019\-\u2212])(?<!\d[/:])"
        rf"(?P<m1>[-\u2212])?(?:{_GLUED_BEFORE_NUMBER}(?P<cur1>{_CURRENCY}){_S}?)?"
        r"(?P<m2>[-\u2212])?"
        + _number(group_seps, after_currency=True)
        + rf"(?!{_S}?%)"  # a percentage is no amount
        + rf"(?P<m3>[-\u2212](?:(?!\w)|(?={_CURRENCY})))?"
        # A minus may follow a code after the amount too ("1.234,56 EUR-").
        + rf"(?(cur1)|(?:{_S}?(?P<cur2>{_CURRENCY})(?P<m4>[-\u2212](?!\w))?)?)"
    )


_MONEY = _money_pattern(_GROUP_SEPS)
_MONEY_SPACED = _money_pattern(_GROUP_SEPS + " ")
# The currency just before accounting brackets ("USD (1,234.56)"), searched up to the "(".
_CURRENCY_BEFORE = re.compile(_glued_currency(r"\Z") + rf"(?P<cur>{_CURRENCY}){_S}?\Z")
_PERCENT = re.compile(
    r"(?<![\w.,])(?P<neg>[-\u2212])?"
    + _number(_GROUP_SEPS)
    + rf"{_S}?(?:%|(?i:percent|per{_S}cent|pct)\b)"
)
_CENT = Decimal("0.01")
# More whole digits than any amount has (a trillion in any currency is 13): a run of digits that
# long is an account or reference number, and past 26 it no longer fits a Decimal with cents.
MAX_AMOUNT_DIGITS = 18


def _number_value(m: re.Match[str]) -> Decimal:
    digits = re.sub(r"\D", "", m["int"])
    return Decimal(f"{digits}.{m['frac'] or '0'}")


def _money(m: re.Match[str], text: str, hint: str | None, strict: bool) -> ParsedMoney | None:
    """The amount a match stands for; ``strict`` (running text) wants a currency or cents."""
    token = m["cur1"] or m["cur2"]
    start, end = m.span()
    negative = bool(m["m1"] or m["m2"] or m["m3"] or m["m4"])
    if text[start - 1 : start] == "(" and text[end : end + 1] == ")":  # accounting negative
        negative, start, end = True, start - 1, end + 1
        before = _CURRENCY_BEFORE.search(text, max(start - 8, 0), start) if not token else None
        if before is not None:  # "USD (1,234.56)"
            token, start = before["cur"], before.start()
    if strict and token is None and len(m["frac"] or "") != 2:
        return None
    if len(re.sub(r"\D", "", m["int"])) > MAX_AMOUNT_DIGITS:
        return None
    amount = _number_value(m).quantize(_CENT, rounding=ROUND_HALF_UP)
    if negative and amount:
        amount = -amount
    return ParsedMoney(amount, _resolve_currency(token, hint), text[start:end], (start, end))


def find_amounts(text: str, *, currency_hint: str | None = None) -> list[ParsedMoney]:
    """Every amount in running text: a number with a currency, or with exactly two decimals.

    Bare integers (quantities, years, postcodes, phone numbers) are not amounts here.
    """
    found = (_money(m, text, currency_hint, strict=True) for m in _MONEY.finditer(text))
    return [f for f in found if f is not None]


def _parse_money(text: str, hint: str | None) -> tuple[ParsedMoney, re.Match[str]] | None:
    stripped = text.strip()
    offset = text.find(stripped)
    whole = None
    for m in _MONEY_SPACED.finditer(text):
        found = _money(m, text, hint, strict=True)
        if found is not None:
            return found, m
        if m.span() == (offset, offset + len(stripped)):
            bare = _money(m, text, hint, strict=False)
            whole = (bare, m) if bare is not None else None
    return whole


def parse_money(text: str, *, currency_hint: str | None = None) -> ParsedMoney | None:
    """The amount in a short span: the first with a currency or cents, else the span itself
    when it is one bare number ("1939", "1 234"). ``currency_hint`` is the currency when the
    span names none, and decides shared symbols ($, ¥, Rs, kr)."""
    found = _parse_money(text, currency_hint)
    return found[0] if found is not None else None


def _percent_value(m: re.Match[str]) -> Decimal:
    """The number a match stands for, unrounded. In a percentage a single "." or "," and
    three digits is a decimal point ("3.125%" is 3.125): no rate runs to thousands."""
    ts, whole = m["ts"], m["int"]
    if ts in (".", ",") and m["frac"] is None and whole.count(ts) == 1:
        return Decimal(whole.replace(ts, "."))
    return _number_value(m)


def parse_percentage(text: str) -> Decimal | None:
    """The number of percent in ``"6%"``, ``"6,5 %"``, ``"12.5 percent"``, ``"3.125%"`` (6,
    6.5, 12.5, 3.125), or the span itself when it is one bare number, with all its decimals
    ("0.125"); None otherwise."""
    m = _PERCENT.search(text)
    if m is None:
        found = _parse_money(text, None)
        if found is None:
            return None
        bare, n = found
        if bare.raw != text.strip() or bare.currency is not None:
            return None
        # Bare, as a person types a rate into a percentage field: "4,875" is 4.875 too (the
        # rules read only numbers with a percent sign or word).
        value = _percent_value(n)
        negative = n["m1"] or n["m2"] or n["m3"] or n["m4"] or bare.raw.startswith("(")
        return -value if negative else value
    value = _percent_value(m)
    return -value if m["neg"] else value


# --------------------------------------------------------------------------------------------
# IBANs

# Lengths for every country of the SWIFT IBAN registry (release 98, 2024); any other
# country: 15-34.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d\d[A-Z0-9]{11,30}")
_IBAN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d\d(?:[ \u00a0-]?[A-Za-z0-9]){11,30}")
_IBAN_SPACING = re.compile(r"[\s\u00a0-]")
# Where a printed group starting with a letter begins ("... 6083 77 BIC ABCDRSBG").
_LETTER_GROUP = re.compile(r"[ \u00a0-](?=[A-Za-z])")


def compact_account(text: str) -> str:
    """An IBAN or account number without its spaces, dashes and "IBAN:" label, upper case."""
    compact = _IBAN_SPACING.sub("", text).upper()
    return compact.removeprefix("IBAN").lstrip(":")


def _mod97_ok(iban: str) -> bool:
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def iban_valid(text: str) -> bool:
    """Whether ``text`` is one IBAN (spaces and case do not matter): shape, the country's
    length, and the ISO 7064 mod-97 check digits."""
    iban = compact_account(text)
    if not _IBAN_SHAPE.fullmatch(iban):
        return False
    if len(iban) != IBAN_LENGTHS.get(iban[:2], len(iban)) or len(iban) > 34:
        return False
    return _mod97_ok(iban)


def parse_iban(text: str) -> str | None:
    """The first valid IBAN in ``text``, compact and upper-case (``DE89370400440532013000``).

    A printed IBAN runs into whatever follows it ("... 0130 00 BIC COBADEFF"), so the
    country's length is cut from the run. For a country not in the table the run is cut
    before a printed group that starts with a letter ("BIC"; the country and check digits
    aside), the first such cut first: the longest prefix of the first cut that passes the
    check wins, then of the next (a bank code in letters, "ZZ12 WEST ..."), then of the run.
    """
    for m in _IBAN_IN_TEXT.finditer(text):
        run = compact_account(m.group())
        known = IBAN_LENGTHS.get(run[:2])
        if known:
            if len(run) >= known and iban_valid(run[:known]):
                return run[:known]
            continue
        ends = [g.start() for g in _LETTER_GROUP.finditer(m.group(), 4)]
        for cut in [compact_account(m.group()[:end]) for end in ends] + [run]:
            for length in range(min(len(cut), 34), 14, -1):
                if iban_valid(cut[:length]):
                    return cut[:length]
    return None


# --------------------------------------------------------------------------------------------
# Identifiers and text

_IDENT_TOKEN = re.compile(r"[^\W_](?:[\w\-/.]*[^\W_])?")
_IDENT_LABEL = re.compile(r"(?i)^(?:no|nr|num)\.(?=\w)")


def parse_identifier(text: str) -> str | None:
    """An invoice or reference number: the first token holding a digit, made of letters,
    digits and ``- / . _`` ("Invoice No.: INV/2023/03/0008" -> "INV/2023/03/0008")."""
    for m in _IDENT_TOKEN.finditer(text):
        token = _IDENT_LABEL.sub("", m.group())
        if any(c.isdigit() for c in token):
            return token
    return None


def normalise_text(text: str) -> str:
    """Case-folded with whitespace collapsed: how extracted and true text values compare."""
    return " ".join(text.split()).casefold()


def normalise_names(values: Iterable[str]) -> set[str]:
    """A list of names (contract parties) as a set of normalised strings, empties dropped."""
    return {n for n in (normalise_text(v) for v in values) if n}


__all__ = [
    "ParsedDate",
    "ParsedMoney",
    "compact_account",
    "find_amounts",
    "find_dates",
    "iban_valid",
    "normalise_currency",
    "normalise_names",
    "normalise_text",
    "parse_date",
    "parse_iban",
    "parse_identifier",
    "parse_money",
    "parse_percentage",
]
