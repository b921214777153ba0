"""Locales: how dates and money are printed, which currency and tax rates apply.

The json sidecars always hold canonical values (ISO dates, ``"1234.56"``); only the printed page
varies, which is what makes the corpus useful for training and testing field extraction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "de": (
        "Januar", "Februar", "März", "April", "Mai", "Juni",
        "Juli", "August", "September", "Oktober", "November", "Dezember",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
}  # fmt: skip

MONTHS_ABBR: dict[str, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": (
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni",
        "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.",
    ),
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ),
    "nl": (
        "jan.", "feb.", "mrt.", "apr.", "mei", "jun.",
        "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
    ),
}  # fmt: skip


def money(value: Decimal | int | str) -> Decimal:
    """Round to cents the way invoices do (half up, not banker's rounding)."""
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def money_str(value: Decimal) -> str:
    """Canonical sidecar form: plain, two decimals, no grouping."""
    return f"{money(value):.2f}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _long_dmy(d: dt.date, lang: str) -> str:
    month = MONTHS[lang][d.month - 1]
    if lang == "de":
        return f"{d.day}. {month} {d.year}"
    if lang == "fr" and d.day == 1:
        return f"1er {month} {d.year}"
    return f"{d.day} {month} {d.year}"


def _abbr_dmy(d: dt.date, lang: str) -> str:
    month = MONTHS_ABBR[lang][d.month - 1]
    sep = ". " if lang == "de" else " "
    return f"{d.day:02d}{sep}{month} {d.year}"


def format_date(d: dt.date, style: str, lang: str = "en") -> str:
    """Print ``d`` in one of the named styles; month names follow ``lang``."""
    formats = {
        "iso": lambda: d.isoformat(),
        "dmy_slash": lambda: f"{d.day:02d}/{d.month:02d}/{d.year}",
        "mdy_slash": lambda: f"{d.month:02d}/{d.day:02d}/{d.year}",
        "mdy_short": lambda: f"{d.month}/{d.day}/{d.year % 100:02d}",
        "dmy_dot": lambda: f"{d.day:02d}.{d.month:02d}.{d.year}",
        "dmy_dot_short": lambda: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
        "dmy_dash": lambda: f"{d.day:02d}-{d.month:02d}-{d.year}",
        "long_dmy": lambda: _long_dmy(d, lang),
        "long_mdy": lambda: f"{MONTHS['en'][d.month - 1]} {d.day}, {d.year}",
        "abbr_dmy": lambda: _abbr_dmy(d, lang),
        "abbr_mdy": lambda: f"{MONTHS_ABBR['en'][d.month - 1]} {d.day}, {d.year}",
        "ordinal": lambda: f"{_ordinal(d.day)} {MONTHS['en'][d.month - 1]} {d.year}",
    }
    return formats[style]()


def format_month(d: dt.date, lang: str) -> str:
    """'March 2024' / 'März 2024' -- statement periods and pay periods."""
    return f"{MONTHS[lang][d.month - 1]} {d.year}"


@dataclass(frozen=True)
class MoneyStyle:
    """One printed convention for amounts: separators and where the symbol goes."""

    decimal: str
    group: str
    symbol: str
    before: bool
    space: bool

    def number(self, value: Decimal) -> str:
        """The bare number, e.g. ``1.234,56`` -- table cells usually omit the symbol."""
        value = money(value)
        sign = "-" if value < 0 else ""
        whole, frac = f"{abs(value):.2f}".split(".")
        groups: list[str] = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        return f"{sign}{self.group.join(groups)}{self.decimal}{frac}"

    def amount(self, value: Decimal) -> str:
        """The number with its currency symbol, e.g. ``€ 1.234,56`` or ``$1,234.56``."""
        gap = " " if self.space else ""
        if self.before:
            return f"{self.symbol}{gap}{self.number(value)}"
        return f"{self.number(value)}{gap}{self.symbol}"


def _styles(decimal: str, group: str, variants: tuple[tuple[str, bool, bool], ...]) -> tuple:
    return tuple(MoneyStyle(decimal, group, sym, before, space) for sym, before, space in variants)


@dataclass(frozen=True)
class Locale:
    """Country conventions for one synthetic document."""

    code: str
    country: str
    country_name: str
    lang: str
    currency: str
    money_styles: tuple[MoneyStyle, ...]
    date_styles: tuple[str, ...]
    paper: str  # "A4" or "Letter"
    tax_rates: tuple[str, ...]
    tax_label: str
    phone_prefix: str
    jurisdictions: tuple[str, ...]
    has_iban: bool = True


LOCALES: dict[str, Locale] = {
    "en_US": Locale(
        "en_US", "US", "United States", "en", "USD",
        _styles(".", ",", (("$", True, False), ("USD", True, True), ("US$", True, False))),
        ("mdy_slash", "long_mdy", "abbr_mdy", "mdy_short", "iso"),
        "Letter", ("0", "4.5", "6.25", "7", "8.875", "9.5"), "Sales Tax", "+1",
        ("State of New York", "State of Delaware", "State of California", "State of Texas",
         "State of Illinois"),
        has_iban=False,
    ),
    "en_GB": Locale(
        "en_GB", "GB", "United Kingdom", "en", "GBP",
        _styles(".", ",", (("£", True, False), ("GBP", True, True), ("GBP", False, True))),
        ("dmy_slash", "long_dmy", "abbr_dmy", "ordinal", "iso", "dmy_dot_short"),
        "A4", ("20", "20", "5"), "VAT", "+44",
        ("England and Wales", "Scotland"),
    ),
    "en_IE": Locale(
        "en_IE", "IE", "Ireland", "en", "EUR",
        _styles(".", ",", (("€", True, False), ("EUR", True, True), ("€", False, True))),
        ("dmy_slash", "long_dmy", "abbr_dmy", "iso"),
        "A4", ("23", "13.5", "23"), "VAT", "+353",
        ("Ireland",),
    ),
    "de_DE": Locale(
        "de_DE", "DE", "Deutschland", "de", "EUR",
        _styles(",", ".", (("€", False, True), ("EUR", False, True), ("€", True, True))),
        ("dmy_dot", "long_dmy", "dmy_dot_short", "iso", "abbr_dmy"),
        "A4", ("19", "19", "7"), "VAT (USt.)", "+49",
        ("Federal Republic of Germany",),
    ),
    "de_CH": Locale(
        "de_CH", "CH", "Schweiz", "de", "CHF",
        _styles(".", "'", (("CHF", True, True), ("CHF", False, True), ("Fr.", True, True)))
        + _styles(".", ",", (("CHF", True, True),)),
        ("dmy_dot", "long_dmy", "dmy_dot_short", "iso"),
        "A4", ("8.1", "8.1", "2.6"), "VAT (MWST)", "+41",
        ("Switzerland", "Canton of Zurich", "Canton of Geneva"),
    ),
    "fr_FR": Locale(
        "fr_FR", "FR", "France", "fr", "EUR",
        _styles(",", " ", (("€", False, True), ("EUR", False, True)))
        + _styles(",", ".", (("€", False, True),)),
        ("dmy_slash", "long_dmy", "iso", "dmy_dot"),
        "A4", ("20", "20", "10", "5.5"), "VAT (TVA)", "+33",
        ("France",),
    ),
    "nl_NL": Locale(
        "nl_NL", "NL", "Nederland", "nl", "EUR",
        _styles(",", ".", (("€", True, True), ("EUR", True, True), ("€", False, True))),
        ("dmy_dash", "long_dmy", "iso", "dmy_slash"),
        "A4", ("21", "21", "9"), "VAT (BTW)", "+31",
        ("Netherlands",),
    ),
}  # fmt: skip

ALL_LOCALES: tuple[str, ...] = tuple(LOCALES)
IBAN_LOCALES: tuple[str, ...] = tuple(code for code, loc in LOCALES.items() if loc.has_iban)
