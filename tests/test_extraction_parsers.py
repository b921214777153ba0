"""The value parsers of field extraction (classification/extraction/parsers.py), without Django.

Table-driven cases use forms seen in the real development data (SROIE receipts, invoice2data
invoices, Kleister-NDA contracts and their OCR text); property tests round-trip generated
dates, amounts and IBANs through every supported way of writing them.
"""

from __future__ import annotations

import itertools
import string
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classification.extraction.parsers import (
    IBAN_LENGTHS,
    find_amounts,
    find_dates,
    iban_valid,
    normalise_currency,
    normalise_names,
    normalise_text,
    parse_date,
    parse_iban,
    parse_identifier,
    parse_money,
    parse_percentage,
)

# No example database in the repository; the autouse media fixture of conftest.py is harmless
# to share between examples.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# --------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("text", "iso", "ambiguous"),
    [
        # SROIE receipts (ground truth and OCR lines)
        ("25/12/2018", "2018-12-25", False),
        ("12-01-19", "2019-01-12", True),
        ("18/03/18", "2018-03-18", False),
        ("23-01-2019", "2019-01-23", False),
        ("05 MAR 2018", "2018-03-05", False),
        ("5/3/2018", "2018-03-05", True),
        ("02/JAN/2017", "2017-01-02", False),
        ("2018-03-23", "2018-03-23", False),
        ("28 MAR 18", "2018-03-28", False),
        ("20180304", "2018-03-04", False),
        ("25032018", "2018-03-25", False),
        ("24-MAR-2018", "2018-03-24", False),
        ("4/02/2017", "2017-02-04", True),
        ("17/1/2018", "2018-01-17", False),
        ("2018/02/22", "2018-02-22", False),
        ("11.02.18", "2018-02-11", True),
        ("(06/12/2016)", "2016-12-06", True),
        ("05/05/2018", "2018-05-05", False),  # both readings agree
        ("Date +: 10-03-2018 23:03:06", "2018-03-10", True),
        ("BIZDATE: 22/04/2017", "2017-04-22", False),
        ("DATE : 10 OCT 2017 TUE", "2017-10-10", False),
        ("Receipt No.: CS1801/26821 Date: 17/01/2018", "2018-01-17", False),
        ("Inv No :KSB80051978 Dater11/03/18 21:30", "2018-03-11", True),
        ("Date :; 14-03- 2018 10:22:59", "2018-03-14", False),
        ("Date: 2016-07-31 13:48:37", "2016-07-31", False),
        # Contracts and old office scans
        ("EFFECTIVE DATE: 07/13/92", "1992-07-13", False),
        ("RUN DATE : 15-JUN-89", "1989-06-15", False),
        ("Date: APRIL 7, 1999", "1999-04-07", False),
        ("dated as of the 15th day of March, 2009", "2009-03-15", False),
        ("effective as of January 2, 2024", "2024-01-02", False),
        ("2nd January 2024", "2024-01-02", False),
        ("2nd of January, 2024", "2024-01-02", False),
        ("January 2nd, 2024", "2024-01-02", False),
        ("Sept. 30, 2010", "2010-09-30", False),
        ("Dec 1 '99", "1999-12-01", False),
        ("2 Jan 2024", "2024-01-02", False),
        ("02.01.24", "2024-01-02", True),
        ("2024-Jan-02", "2024-01-02", False),
        ("2024-01-02T10:00:00Z", "2024-01-02", False),
        # Other languages
        ("2. Januar 2024", "2024-01-02", False),
        ("3. März 2021", "2021-03-03", False),
        ("1er janvier 2024", "2024-01-01", False),
        ("14 juillet 1989", "1989-07-14", False),
        ("2 de enero de 2024", "2024-01-02", False),
        ("12 de diciembre de 2019", "2019-12-12", False),
        ("3 maart 2024", "2024-03-03", False),
        ("17 Julai 2018", "2018-07-17", False),
        ("9 Ogos 2017", "2017-08-09", False),
        # Year first with a one-digit month or day
        ("2018/3/5", "2018-03-05", False),
        ("2024-1-5", "2024-01-05", False),
        ("2024-01-5", "2024-01-05", False),
        ("2024.12.5", "2024-12-05", False),
        # Month first with hyphens or slashes; a two-digit year after a comma or apostrophe
        ("Jan-02-2024", "2024-01-02", False),
        ("JAN-02-2024", "2024-01-02", False),
        ("Jan/02/2024", "2024-01-02", False),
        ("MAR-15-24", "2024-03-15", False),
        ("Jan 15, 24", "2024-01-15", False),
        ("1st Feb '24", "2024-02-01", False),
        ("1st Feb \u201924", "2024-02-01", False),
        # Turkish capitals: the dotted capital I casefolds to "i" and a combining dot
        ("15 APR\u0130L 2024", "2024-04-15", False),
        ("1 JUL\u0130 2024", "2024-07-01", False),
        ("1 jul\u0131 2024", "2024-07-01", False),
        ("JUL\u0130 4, 2024", "2024-07-04", False),
    ],
)
def test_it_parses_real_world_dates(text: str, iso: str, ambiguous: bool) -> None:
    parsed = parse_date(text)
    assert parsed is not None
    assert parsed.iso == iso
    assert parsed.value == date.fromisoformat(iso)
    assert parsed.ambiguous is ambiguous
    assert text[parsed.span[0] : parsed.span[1]] == parsed.raw


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello world",
        "12345",
        "3.14",
        "31/02/2018",  # impossible
        "30.02.2024",
        "13/13/2018",
        "00/01/2018",
        "2018-02-30",
        "32 Jan 2024",
        "Feb 30, 2024",
        "29/02/2019",  # not a leap year
        "12/11/0000",  # no year 0
        "03-7865 2345",  # Malaysian phone number
        "TEL: 07-386 7524",
        "1-800-555-1234",
        "192.168.1.10",
        "version 1.2.3",
        "10:30:15",
        "12/12/201",  # three-digit year
        "1/2/3",
        "June 2024",  # no day
        "June 15",  # no year and no reference date
        "Invoice 30064443",  # eight digits that are no date
        "2018/3/123",  # a three-digit day
        "Jan 15, 2",  # a one-digit year
        "Mar 15, 10:30",  # a time, not a year
    ],
)
def test_it_refuses_what_is_not_a_date(text: str) -> None:
    assert parse_date(text) is None


def test_day_first_decides_only_the_ambiguous_numeric_dates() -> None:
    us = parse_date("02/01/2024", day_first=False)
    assert us is not None and us.iso == "2024-02-01" and us.ambiguous
    default = parse_date("02/01/2024")
    assert default is not None and default.iso == "2024-01-02" and default.ambiguous
    # 25 cannot be a month: the order is certain whatever day_first says.
    certain = parse_date("25/12/2018", day_first=False)
    assert certain is not None and certain.iso == "2018-12-25" and not certain.ambiguous
    us_only = parse_date("07/13/92", day_first=True)
    assert us_only is not None and us_only.iso == "1992-07-13"


@pytest.mark.parametrize(
    ("text", "today", "iso"),
    [
        ("15-JUN-55", date(2025, 1, 1), "1955-06-15"),  # more than 20 years ahead
        ("15-JUN-55", date(2040, 1, 1), "2055-06-15"),
        ("01/01/45", date(2025, 1, 1), "2045-01-01"),
        ("01/01/46", date(2025, 1, 1), "1946-01-01"),
    ],
)
def test_two_digit_years_pivot(text: str, today: date | None, iso: str) -> None:
    parsed = parse_date(text, today=today)
    assert parsed is not None and parsed.iso == iso


def test_two_digit_years_without_today_slide_with_the_clock() -> None:
    """Extraction passes no ``today``: it reads a two-digit year as validation of a typed value
    does (which passes today), not in a fixed 1970-2069 window."""
    year = date.today().year
    ahead, behind = (year + 20) % 100, (year + 21) % 100
    soon = parse_date(f"01/01/{ahead:02d}")
    assert soon is not None and soon.value.year == year + 20
    past = parse_date(f"01/01/{behind:02d}")
    assert past is not None and past.value.year == year - 79
    typed = parse_date(f"01/01/{behind:02d}", today=date.today())
    assert typed is not None and typed.value == past.value


def test_a_date_without_year_needs_today_and_is_the_latest_before_it() -> None:
    today = date(2024, 3, 1)
    june = parse_date("Delivery on June 15", today=today)
    assert june is not None and june.iso == "2023-06-15" and june.ambiguous
    feb = parse_date("15 Feb", today=today)
    assert feb is not None and feb.iso == "2024-02-15"
    leap = parse_date("29 Feb", today=date(2025, 1, 1))
    assert leap is not None and leap.iso == "2024-02-29"
    assert parse_date("15 Feb") is None


def test_find_dates_lists_every_date_in_reading_order() -> None:
    text = (
        "TAX INVOICE\nInvoice No: INV/2023/03/0008\nDate: 20/03/2023 14:02\n"
        "Period 1 March 2023 - 31 March 2023\nDue: April 19, 2023\nTel 03-7865 2345"
    )
    found = find_dates(text)
    assert [d.iso for d in found] == ["2023-03-20", "2023-03-01", "2023-03-31", "2023-04-19"]
    assert [d.raw for d in found] == [
        "20/03/2023",
        "1 March 2023",
        "31 March 2023",
        "April 19, 2023",
    ]
    for d in found:
        assert text[d.span[0] : d.span[1]] == d.raw


@pytest.mark.parametrize(
    ("text", "raws"),
    [
        ("Period 01/03/2024-31/03/2024", ["01/03/2024", "31/03/2024"]),
        ("01.03.2024-31.03.2024", ["01.03.2024", "31.03.2024"]),
        ("01/03/2024\u201331/03/2024", ["01/03/2024", "31/03/2024"]),
        ("01.03.2024\u201331.03.2024", ["01.03.2024", "31.03.2024"]),
        ("1.3.24-31.3.24", ["1.3.24", "31.3.24"]),
        ("20240301-20240331", ["20240301", "20240331"]),
        ("01 Mar 2024-31 Mar 2024", ["01 Mar 2024", "31 Mar 2024"]),
        # A single date with hyphens stays one date.
        ("12-03-2024", ["12-03-2024"]),
        ("Date: 12-03-2024 - 13-03-2024", ["12-03-2024", "13-03-2024"]),
    ],
)
def test_a_range_of_two_full_dates_gives_both(text: str, raws: list[str]) -> None:
    found = find_dates(text)
    assert [d.raw for d in found] == raws
    assert [d.iso for d in found][-1:] == [d.iso for d in find_dates(raws[-1])]


@pytest.mark.parametrize("text", ["01/03/2024-31/03", "01.03.2024-1.2", "01/03/2024-31.03.2024"])
def test_a_hyphen_joins_only_two_full_dates_of_the_same_form(text: str) -> None:
    # A date followed by a hyphen and more digits is part of a longer number unless a full
    # date of the same form follows.
    assert [d.raw for d in find_dates(text)] == []


# PP-OCR (classification/ppocr.py) drops the spaces between words: the time runs into the date,
# a label into the amount. Read from its output on SROIE receipts.
@pytest.mark.parametrize(
    ("text", "iso", "raw"),
    [
        ("25/12/20188:13:39PM", "2018-12-25", "25/12/2018"),
        ("01/03/1819:14", "2018-03-01", "01/03/18"),
        ("03Mar201818:22", "2018-03-03", "03Mar2018"),
        ("Date:2018-01-0509:41", "2018-01-05", "2018-01-05"),
        ("15-01-201911:05:13", "2019-01-15", "15-01-2019"),
        ("2/1/201810:00AM", "2018-01-02", "2/1/2018"),
        ("Mar03,201818:22", "2018-03-03", "Mar03,2018"),
        ("DATE25DEC2018", "2018-12-25", "25DEC2018"),
        ("ORD#18-REG#19-21/03/201819:53:23", "2018-03-21", "21/03/2018"),
        # Two digits and then a time: the year has two digits ("20" + "08:13").
        ("25/12/2008:13", "2020-12-25", "25/12/20"),
        # No time after it: the year keeps its four digits.
        ("12/03/2018", "2018-03-12", "12/03/2018"),
    ],
)
def test_it_reads_a_date_glued_to_a_time_or_label(text: str, iso: str, raw: str) -> None:
    found = find_dates(text)
    assert [(d.iso, d.raw) for d in found] == [(iso, raw)]


@pytest.mark.parametrize(
    "text",
    ["25/12/201899:99", "001-2018-03-18", "17/01/201842153", "12-21-03-2018"],
)
def test_a_glued_time_must_look_like_a_time(text: str) -> None:
    assert [d.iso for d in find_dates(text)] == []


@pytest.mark.parametrize(
    ("text", "amount", "currency", "raw"),
    [
        ("RM9.00", "9.00", "MYR", "RM9.00"),
        ("9.00SR", "9.00", None, "9.00"),
        ("TOTAL:9.00", "9.00", None, "9.00"),
        ("Total(RM):9.00", "9.00", None, "9.00"),
        ("TOTALRM9.00", "9.00", "MYR", "RM9.00"),
        ("GRANDTOTAL112.45", "112.45", None, "112.45"),
        ("RM9.00SR", "9.00", "MYR", "RM9.00"),
    ],
)
def test_it_reads_an_amount_glued_to_letters(
    text: str, amount: str, currency: str | None, raw: str
) -> None:
    found = find_amounts(text)
    assert [(str(f.amount), f.currency, f.raw) for f in found] == [(amount, currency, raw)]


def test_find_dates_never_reports_overlapping_candidates() -> None:
    found = find_dates("25 Dec 2018 12-01-19 2018-03-23")
    assert [d.iso for d in found] == ["2018-12-25", "2019-01-12", "2018-03-23"]
    assert all(a.span[1] <= b.span[0] for a, b in itertools.pairwise(found))


EN_MONTHS = "January February March April May June July August September October November December"
DE_MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
FR_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
ES_MONTHS = (
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
)
NL_MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
)


def _month(names: str, d: date) -> str:
    return names.split()[d.month - 1]


def _abbr(d: date) -> str:
    return _month(EN_MONTHS, d)[:3]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Each way of writing a date, with the day_first a reader needs for it.
DATE_FORMATS: list[tuple[str, Callable[[date], str], bool | None]] = [
    ("dd/mm/yyyy", lambda d: d.strftime("%d/%m/%Y"), True),
    ("dd-mm-yyyy", lambda d: d.strftime("%d-%m-%Y"), True),
    ("dd.mm.yyyy", lambda d: d.strftime("%d.%m.%Y"), True),
    ("dd/mm/yy", lambda d: d.strftime("%d/%m/%y"), True),
    ("dd-mm-yy", lambda d: d.strftime("%d-%m-%y"), True),
    ("dd.mm.yy", lambda d: d.strftime("%d.%m.%y"), True),
    ("d/m/yyyy", lambda d: f"{d.day}/{d.month}/{d.year}", True),
    ("mm/dd/yyyy", lambda d: d.strftime("%m/%d/%Y"), False),
    ("mm-dd-yy", lambda d: d.strftime("%m-%d-%y"), False),
    ("m/d/yyyy", lambda d: f"{d.month}/{d.day}/{d.year}", False),
    ("yyyy-mm-dd", lambda d: d.isoformat(), None),
    ("yyyy/mm/dd", lambda d: d.strftime("%Y/%m/%d"), None),
    ("yyyy.mm.dd", lambda d: d.strftime("%Y.%m.%d"), None),
    ("yyyy-m-d", lambda d: f"{d.year}-{d.month}-{d.day}", None),
    ("yyyy/m/d", lambda d: f"{d.year}/{d.month}/{d.day}", None),
    ("yyyymmdd", lambda d: d.strftime("%Y%m%d"), None),
    ("ddmmyyyy", lambda d: d.strftime("%d%m%Y"), None),
    ("d Mon yyyy", lambda d: f"{d.day} {_abbr(d)} {d.year}", None),
    ("DD MON YYYY", lambda d: f"{d:%d} {_abbr(d).upper()} {d.year}", None),
    ("dd-Mon-yyyy", lambda d: f"{d:%d}-{_abbr(d)}-{d.year}", None),
    ("dd/MON/yy", lambda d: f"{d:%d}/{_abbr(d).upper()}/{d:%y}", None),
    ("d Month yyyy", lambda d: f"{d.day} {_month(EN_MONTHS, d)} {d.year}", None),
    ("Month d, yyyy", lambda d: f"{_month(EN_MONTHS, d)} {d.day}, {d.year}", None),
    ("Mon. d, yyyy", lambda d: f"{_abbr(d)}. {d.day}, {d.year}", None),
    ("Mon-dd-yyyy", lambda d: f"{_abbr(d)}-{d:%d}-{d.year}", None),
    ("MON/dd/yy", lambda d: f"{_abbr(d).upper()}/{d:%d}/{d:%y}", None),
    ("Mon d, yy", lambda d: f"{_abbr(d)} {d.day}, {d:%y}", None),
    ("ordinal Mon 'yy", lambda d: f"{_ordinal(d.day)} {_abbr(d)} '{d:%y}", None),
    ("ordinal Month yyyy", lambda d: f"{_ordinal(d.day)} {_month(EN_MONTHS, d)} {d.year}", None),
    ("Month ordinal, yyyy", lambda d: f"{_month(EN_MONTHS, d)} {_ordinal(d.day)}, {d.year}", None),
    (
        "the ordinal day of Month, yyyy",
        lambda d: f"the {_ordinal(d.day)} day of {_month(EN_MONTHS, d)}, {d.year}",
        None,
    ),
    ("yyyy-Mon-dd", lambda d: f"{d.year}-{_abbr(d)}-{d:%d}", None),
    ("German", lambda d: f"{d.day}. {_month(DE_MONTHS, d)} {d.year}", None),
    ("French", lambda d: f"{d.day} {_month(FR_MONTHS, d)} {d.year}", None),
    ("Spanish", lambda d: f"{d.day} de {_month(ES_MONTHS, d)} de {d.year}", None),
    ("Dutch", lambda d: f"{d.day} {_month(NL_MONTHS, d)} {d.year}", None),
]


@PROPERTY
@given(
    # The hundred years a two-digit year maps back into (``parsers.FUTURE_YEARS``).
    value=st.dates(
        min_value=date(date.today().year - 79, 1, 1),
        max_value=date(date.today().year + 20, 12, 31),
    ),
    form=st.sampled_from(DATE_FORMATS),
)
def test_dates_round_trip_through_every_format(
    value: date, form: tuple[str, Callable[[date], str], bool | None]
) -> None:
    _name, fmt, day_first = form
    text = fmt(value)
    parsed = parse_date(text, day_first=day_first)
    assert parsed is not None, text
    assert parsed.value == value, text
    assert parsed.raw == text.removeprefix("the ")
    numeric_both_ways = day_first is not None and value.day <= 12 and value.day != value.month
    assert parsed.ambiguous is numeric_both_ways
    # The same date in running text is found, and only it.
    found = find_dates(f"Invoice date: {text}. Thank you!", day_first=day_first)
    assert [d.value for d in found] == [value]


@PROPERTY
@given(value=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_four_digit_years_round_trip_over_two_centuries(value: date) -> None:
    for text in (value.strftime("%d/%m/%Y"), f"{value.day} {_abbr(value)} {value.year}"):
        parsed = parse_date(text, day_first=True)
        assert parsed is not None and parsed.value == value


# --------------------------------------------------------------------------------------------
# Money


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        # SROIE totals and OCR lines
        ("9.00", "9.00", None),
        ("$8.20", "8.20", "USD"),
        ("RM 64.70", "64.70", "MYR"),
        ("RM4.00", "4.00", "MYR"),
        ("-1.73", "-1.73", None),
        ("1,007.50", "1007.50", None),
        ("Total Sales (Inclusive of GST) : 6.36", "6.36", None),
        ("Total Payable: 22,58", "22.58", None),
        ("TOTAL : RM 39. 80", "39.80", "MYR"),  # OCR split the cents off
        ("483 CARLSBERG CAN 4X44X320ML RM104.50 s", "104.50", "MYR"),
        ("CHANGE RM 0", "0.00", "MYR"),
        ("Nett Total: $8.20", "8.20", "USD"),
        # invoice2data totals
        ("1939", "1939.00", None),
        ("34.73", "34.73", None),
        ("€ 279,84", "279.84", "EUR"),
        ("Total: 717.97 EUR", "717.97", "EUR"),
        ("₹ 29.99", "29.99", "INR"),
        # Separators
        ("1,234,567.89", "1234567.89", None),
        ("1.234.567,89", "1234567.89", None),
        ("1 234 567,89", "1234567.89", None),
        ("1\u00a0234,56 €", "1234.56", "EUR"),
        ("1'234.50", "1234.50", None),
        ("CHF 1'234.50", "1234.50", "CHF"),
        ("1.234,56", "1234.56", None),
        ("12,50", "12.50", None),
        ("1,234", "1234.00", None),  # one comma and three digits: thousands
        ("1.234", "1234.00", None),
        ("0.750", "0.75", None),  # a leading 0 is never a thousands group
        ("12.5", "12.50", None),
        ("12.345", "12345.00", None),
        ("1,234.567", "1234.57", None),  # differs from the grouping: decimal, rounded half-up
        ("Rs. 1,23,456.00", "123456.00", "INR"),
        # Negatives
        ("-12.00", "-12.00", None),
        ("(12.00)", "-12.00", None),
        ("12.00-", "-12.00", None),
        ("-$12.00", "-12.00", "USD"),
        ("$-12.00", "-12.00", "USD"),
        ("(€1.234,56)", "-1234.56", "EUR"),
        ("\u22125.00", "-5.00", None),  # MINUS SIGN
        ("1.234,56 EUR-", "-1234.56", "EUR"),  # a trailing minus after the code
        ("12.00USD-", "-12.00", "USD"),
        ("12.00 \u20ac\u2212", "-12.00", "EUR"),
        ("USD (1,234.56)", "-1234.56", "USD"),  # the currency before accounting brackets
        ("EUR (12.00)", "-12.00", "EUR"),
        ("$ (12.00)", "-12.00", "USD"),
        ("RM(12.00)", "-12.00", "MYR"),
        # Codes and symbols before and after
        ("USD 1,200", "1200.00", "USD"),
        ("1,200 USD", "1200.00", "USD"),
        ("EUR12.50", "12.50", "EUR"),
        ("12.50EUR", "12.50", "EUR"),
        ("£1,000", "1000.00", "GBP"),
        ("¥1,000", "1000.00", "JPY"),
        ("S$ 5.90", "5.90", "SGD"),
        ("HK$100", "100.00", "HKD"),
        ("MYR 9.90", "9.90", "MYR"),
        ("12,50 zł", "12.50", "PLN"),
        ("12,50 kr", "12.50", None),  # SEK, NOK, DKK or ISK
    ],
)
def test_it_parses_real_world_amounts(text: str, amount: str, currency: str | None) -> None:
    parsed = parse_money(text)
    assert parsed is not None
    assert parsed.amount == Decimal(amount)
    assert parsed.amount.as_tuple().exponent == -2
    assert parsed.currency == currency
    assert text[parsed.span[0] : parsed.span[1]] == parsed.raw


@pytest.mark.parametrize(
    "text",
    [
        "",
        "TOTAL",
        "03-7865 2345",  # phone numbers
        "+60 12-345 6789",
        "Tel: 1-800-86-AEON (2366)",
        "25/12/2018",  # dates and times
        "10.03.2018",
        "21:13:06",
        "6%",  # a percentage
        "6.00 %",
        "1.2.3",
        "12.00-15.00",  # a range
        "N/A",
    ],
)
def test_it_refuses_what_is_not_an_amount(text: str) -> None:
    assert parse_money(text) is None
    assert find_amounts(text) == []


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("PASTRY 4.50", "4.50"),  # TRY
        ("CAKES 12.00", "12.00"),  # KES
        ("NAILS 25.00", "25.00"),  # ILS
        ("LIQUEUR 8.50", "8.50"),  # EUR
        ("UNIFORM 45.00", "45.00"),  # RM
        ("LIQUEUR (8.50)", "-8.50"),  # EUR before brackets, but the end of a word
        ("2 X PASTRY -4.50", "-4.50"),
    ],
)
def test_a_currency_code_ending_a_word_is_no_currency(text: str, amount: str) -> None:
    raw = text.split()[-1]
    parsed = parse_money(text)
    assert parsed is not None and (str(parsed.amount), parsed.currency) == (amount, None)
    assert parsed.raw == raw
    found = find_amounts(f"{text}\n")
    assert [(str(f.amount), f.currency, f.raw) for f in found] == [(amount, None, raw)]
    # Glued to the number as well, the code counts ("TOTALRM9.00"); after a space it does.
    glued = parse_money(text.replace(" ", "").replace("(", "").replace(")", ""))
    assert glued is not None and glued.currency is not None
    spaced = parse_money(f"TOTAL RM {amount}")
    assert spaced is not None and spaced.currency == "MYR"


@pytest.mark.parametrize(
    ("text", "currency", "raw"),
    [
        ("TOTALRM 9.00", "MYR", "RM 9.00"),
        ("JUMLAHRM 9.00", "MYR", "RM 9.00"),
        ("CASHRM 52.00", "MYR", "RM 52.00"),
        ("TotalUSD 5.00", "USD", "USD 5.00"),
        ("SummeEUR 5,00", "EUR", "EUR 5,00"),
        ("DISCRM 1.00", "MYR", "RM 1.00"),
        ("ROUNDINGRM 0.01", "MYR", "RM 0.01"),
        ("TTLRM 5.00", "MYR", "RM 5.00"),
        ("Relief GST CRM 0.00", "MYR", "RM 0.00"),  # "(RM" with its bracket misread
    ],
)
def test_a_code_glued_to_an_amounts_label_counts(text: str, currency: str, raw: str) -> None:
    """OCR that drops the space between a label and its code keeps the one after it."""
    parsed = parse_money(text)
    assert parsed is not None and (parsed.currency, parsed.raw) == (currency, raw)
    assert [(f.currency, f.raw) for f in find_amounts(text)] == [(currency, raw)]


def test_a_code_after_a_misread_at_sign_counts() -> None:
    found = find_amounts("Stat-Buy 2eRM 13 -2.98")  # "2 @ RM13"
    assert [(str(f.amount), f.currency) for f in found] == [("13.00", "MYR"), ("-2.98", None)]


def test_a_range_needs_a_whole_date_before_its_hyphen() -> None:
    assert find_dates("3.1.4-2.1.2018") == []  # a version number, then a date glued to it
    assert [d.iso for d in find_dates("01.05.14-31.05.14")] == ["2014-05-01", "2014-05-31"]


def test_a_two_digit_year_is_no_count_of_things() -> None:
    assert find_dates("Qty Jan 5, 12 pcs") == []
    assert [d.iso for d in find_dates("Date: Jan 15, 24.")] == ["2024-01-15"]


def test_find_amounts_wants_a_currency_or_cents_in_running_text() -> None:
    text = (
        "2 X 3.50 7.00\nQty 5 Postcode 43300\nSUBTOTAL RM53.60\n"
        "GST 6% 3.22\nRounding (0.02)\nTOTAL: RM 56.80\nTel 03-4296 0133 Date 12/01/2019"
    )
    found = find_amounts(text)
    assert [str(f.amount) for f in found] == ["3.50", "7.00", "53.60", "3.22", "-0.02", "56.80"]
    assert [f.currency for f in found] == [None, None, "MYR", None, None, "MYR"]
    assert [f.raw for f in found][-2:] == ["(0.02)", "RM 56.80"]


def test_find_amounts_reads_no_plain_space_as_a_thousands_separator() -> None:
    # In running text "2 100.00" is a quantity and a price; parse_money takes the span whole.
    assert [f.amount for f in find_amounts("2 100.00")] == [Decimal("100.00")]
    parsed = parse_money("2 100.00")
    assert parsed is not None and parsed.amount == Decimal("2100.00")


@pytest.mark.parametrize(
    ("text", "hint", "currency"),
    [
        ("9.00", "MYR", "MYR"),  # no currency written: the hint
        ("$8.20", "MYR", "MYR"),  # SROIE's Malaysian dollar sign
        ("$8.20", "sgd", "SGD"),
        ("$8.20", None, "USD"),
        ("€5.00", "USD", "EUR"),  # an unambiguous symbol wins
        ("RM 5.00", "USD", "MYR"),
        ("12,50 kr", "SEK", "SEK"),
        ("¥500", "CNY", "CNY"),
        ("9.00", "€", "EUR"),
    ],
)
def test_currency_hint_fills_in_and_decides_shared_symbols(
    text: str, hint: str | None, currency: str
) -> None:
    parsed = parse_money(text, currency_hint=hint)
    assert parsed is not None and parsed.currency == currency


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("$", "USD"),
        ("US$", "USD"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("¥", "JPY"),
        ("RM", "MYR"),
        ("rm", "MYR"),
        ("Rs", "INR"),
        ("₹", "INR"),
        ("eur", "EUR"),
        (" MYR ", "MYR"),
        ("S$", "SGD"),
        ("Ringgit", "MYR"),
        ("euros", "EUR"),
        ("CHF", "CHF"),
        ("RMB", "CNY"),
        ("kr", None),
        ("GST", None),
        ("XYZ", None),
        ("", None),
    ],
)
def test_normalise_currency(text: str, code: str | None) -> None:
    assert normalise_currency(text) == code


CURRENCIES = [
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("RM", "MYR"),
    ("S$", "SGD"),
    ("USD", "USD"),
    ("EUR", "EUR"),
    ("MYR", "MYR"),
    ("GBP", "GBP"),
    ("CHF", "CHF"),
    (None, None),
]
SEPARATORS = [  # (thousands, decimal)
    ("", "."),
    ("", ","),
    (",", "."),
    (".", ","),
    (" ", ","),
    (" ", "."),
    ("\u00a0", ","),
    ("'", "."),
]


def _format_amount(value: Decimal, thousands: str, decimal: str) -> str:
    units, cents = divmod(abs(int(value * 100)), 100)
    digits = str(units)
    groups = [digits[max(i - 3, 0) : i] for i in range(len(digits), 0, -3)][::-1]
    return f"{thousands.join(groups)}{decimal}{cents:02d}"


@PROPERTY
@given(
    cents=st.integers(min_value=-(10**11), max_value=10**11),
    separators=st.sampled_from(SEPARATORS),
    currency=st.sampled_from(CURRENCIES),
    after=st.booleans(),
    gap=st.sampled_from(["", " "]),
    sign=st.sampled_from(["-x", "x-", "(x)", "-cur", "cur-", "xcur-", "cur(x)"]),
)
def test_amounts_round_trip_through_every_style(
    cents: int,
    separators: tuple[str, str],
    currency: tuple[str | None, str | None],
    after: bool,
    gap: str,
    sign: str,
) -> None:
    value = Decimal(cents) / 100
    number = _format_amount(value, *separators)
    symbol, code = currency
    negative = value < 0
    signed = number
    if negative and sign == "-x":
        signed = "-" + number
    elif negative and sign == "x-":
        signed = number + "-"
    if symbol is None:
        text = signed
    elif negative and after and sign == "xcur-":
        text = f"{number}{gap}{symbol}-"
    elif negative and not after and sign == "cur(x)":
        text = f"{symbol}{gap}({number})"
    elif after:
        text = f"{signed}{gap}{symbol}"
    elif negative and sign == "cur-":
        text = f"{symbol}{gap}-{number}"
    else:
        text = f"{symbol}{gap}{signed}"
    if negative and sign in ("(x)", "cur(x)") and not text.endswith(")"):
        text = f"({text})"
    elif negative and "-" not in text and not text.endswith(")"):
        text = f"-{text}"

    parsed = parse_money(text)
    assert parsed is not None, text
    assert parsed.amount == value, text
    assert parsed.currency == code, text
    assert parsed.raw == text
    if " " not in separators[0]:
        found = find_amounts(f"Amount due: {text} thank you")
        assert [(f.amount, f.currency) for f in found] == [(value, code)], text


# --------------------------------------------------------------------------------------------
# Percentages, identifiers, text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("6%", "6"),
        ("6.5 %", "6.5"),
        ("6,5 %", "6.5"),
        ("GST @ 6%", "6"),
        ("Total @6% supplies", "6"),
        ("12.5 percent", "12.5"),
        ("3 per cent", "3"),
        ("-2.5%", "-2.5"),
        ("interest of 1,5 pct", "1.5"),
        ("20", "20"),  # a bare number in a percentage field
        # A single point or comma and three digits is a decimal point in a percentage.
        ("3.125%", "3.125"),
        ("4.875 %", "4.875"),
        ("6,125 %", "6.125"),
        ("rate 0,375 percent", "0.375"),
        ("1,234.5 %", "1234.5"),  # grouped and decimal
        ("1.234.567 %", "1234567"),
        # A bare number keeps its decimals.
        ("0.125", "0.125"),
        ("3.125", "3.125"),
        ("4,875", "4.875"),
        ("-0.001", "-0.001"),
        ("1 234", "1234"),
        ("no rate", None),
        ("", None),
        ("6 people", None),
    ],
)
def test_parse_percentage(text: str, value: str | None) -> None:
    parsed = parse_percentage(text)
    assert parsed == (None if value is None else Decimal(value))


@PROPERTY
@given(
    units=st.integers(min_value=0, max_value=9999),
    decimals=st.text("0123456789", max_size=4),
    point=st.sampled_from([".", ","]),
    negative=st.booleans(),
    suffix=st.sampled_from(["%", " %", " percent", " pct", ""]),
)
def test_percentages_round_trip_with_their_decimals(
    units: int, decimals: str, point: str, negative: bool, suffix: str
) -> None:
    value = Decimal(f"{'-' if negative else ''}{units}.{decimals or '0'}")
    text = f"{'-' if negative else ''}{units}{point + decimals if decimals else ''}{suffix}"
    assert parse_percentage(text) == value, text
    assert parse_percentage(f"Interest rate: {text}") == (value if suffix else None), text


@pytest.mark.parametrize(
    ("text", "identifier"),
    [
        ("30064443", "30064443"),
        ("INV/2023/03/0008", "INV/2023/03/0008"),
        ("Invoice No.: INV/2023/03/0008", "INV/2023/03/0008"),
        ("Receipt No.: CS1801/26821", "CS1801/26821"),
        ("No.12345", "12345"),
        ("#IBZY2087", "IBZY2087"),
        (": 562044387", "562044387"),
        ("Invoice # 2023-001.", "2023-001"),
        ("invoice_number_1", "invoice_number_1"),
        ("Ref AB.12.34", "AB.12.34"),
        ("No.", None),
        ("Invoice", None),
        ("", None),
    ],
)
def test_parse_identifier(text: str, identifier: str | None) -> None:
    assert parse_identifier(text) == identifier


def test_normalise_text_casefolds_and_collapses_whitespace() -> None:
    assert normalise_text("  MR. D.I.Y. (M)\n SDN   BHD ") == "mr. d.i.y. (m) sdn bhd"
    assert normalise_text("STRASSE") == normalise_text("straße")
    assert normalise_text("\t") == ""


def test_normalise_names_is_a_set_of_normalised_strings() -> None:
    names = ["Asset Acceptance Capital Corp.", "James  C. Lee", "JAMES C. LEE", " ", ""]
    assert normalise_names(names) == {"asset acceptance capital corp.", "james c. lee"}
    assert normalise_names([]) == set()


# --------------------------------------------------------------------------------------------
# IBANs


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "BE68 5390 0754 7034",
        "CH93 0076 2011 6238 5295 7",
        "ES91 2100 0418 4502 0005 1332",
        "IT60 X054 2811 1010 0000 0123 456",
        "AT61 1904 3002 3457 3201",
        "NO93 8601 1117 947",
        "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
        "RS35 2600 0560 1001 6113 79",
        "XK05 1212 0123 4567 8906",
        "UA21 3223 1300 0002 6007 2335 6600 1",
        "PK36 SCBL 0000 0011 2345 6702",
        "BR18 0036 0305 0000 1000 9795 493C 1",
        "QA58 DOHB 0000 1234 5678 90AB CDEF G",
        "SC18 SSCB 1101 0000 0000 0000 1497 USD",
        "LC55 HEMM 0001 0001 0012 0012 0002 3015",
        "nl91abna0417164300",
        "IBAN: DE89370400440532013000",
    ],
)
def test_published_ibans_are_valid(iban: str) -> None:
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 01",  # check digits do not match
        "DE88 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 3",  # one character short for GB
        "DE89 3704 0044 0532 0130 000",  # one too long
        "XX00 1234",
        "12DE 3704 0044 0532 0130 00",
        "DE89-3704-0044-0532-0130-0X",
        "",
    ],
)
def test_malformed_ibans_are_refused(iban: str) -> None:
    assert not iban_valid(iban)


def test_parse_iban_finds_the_iban_in_a_line() -> None:
    line = "Bank: Commerzbank IBAN: DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX"
    assert parse_iban(line) == "DE89370400440532013000"
    assert parse_iban("Account GB82WEST12345698765432.") == "GB82WEST12345698765432"
    assert parse_iban("IBAN DE89 3704 0044 0532 0130 01") is None
    assert parse_iban("no account here") is None


@pytest.mark.parametrize(
    "iban",
    [
        "RS35 2600 0560 1001 6113 79",
        "XK05 1212 0123 4567 8906",
        "PK36 SCBL 0000 0011 2345 6702",
        "AZ21 NABZ 0000 0000 1370 1000 1944",
        "JO94 CBJO 0010 0000 0000 0131 0003 02",
        "KW81 CBKU 0000 0000 0000 1234 5601 01",
        "LB62 0999 0000 0001 0019 0122 9114",
        "EG38 0019 0005 0000 0000 2631 8000 2",
        "RU03 0445 2522 5408 1781 0538 0913 10419",
    ],
)
def test_a_registry_countrys_iban_is_cut_at_its_length(iban: str) -> None:
    """Countries of the registry beyond SEPA: the printed IBAN runs into the next word,
    and only the country's length keeps that word out."""
    compact = iban.replace(" ", "")
    assert len(compact) == IBAN_LENGTHS[compact[:2]]
    assert parse_iban(f"IBAN {iban} 7 BIC ABCDEF2X") == compact


def test_parse_iban_stops_at_the_words_after_the_iban() -> None:
    line = "IBAN: RS93 4391 5000 8063 6083 77 BIC ABCDRSBG"
    assert parse_iban(line) == "RS93439150008063608377"
    assert parse_iban("IBAN UA21 3223 1300 0002 6007 2335 6600 1 SWIFT PBANUA2X") == (
        "UA213223130000026007233566001"
    )
    # A country outside the table: the run stops at a group that starts with letters ...
    unknown = _with_check_digits("ZZ", "00000000020")
    assert len(unknown) == 15
    spaced = " ".join(unknown[i : i + 4] for i in range(0, len(unknown), 4))
    assert parse_iban(f"IBAN {spaced} BIC ABCDEFGH") == unknown
    # ... unless the account needs it: a bank code in letters.
    lettered = _with_check_digits("ZZ", "WEST12345698765432")
    spaced = " ".join(lettered[i : i + 4] for i in range(0, len(lettered), 4))
    assert parse_iban(f"IBAN {spaced} BIC ABCDEFGH") == lettered


def _with_check_digits(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


BBAN_CHARS = string.ascii_uppercase + string.digits


@st.composite
def generated_ibans(draw: st.DrawFn) -> str:
    # The table's countries, plus one outside it (no country "ZZ") that takes the 15-34
    # fallback, with digits only: a group of letters would end its run (see parse_iban).
    outside = st.tuples(st.just("ZZ"), st.integers(min_value=15, max_value=34))
    country, length = draw(st.one_of(st.sampled_from(list(IBAN_LENGTHS.items())), outside))
    chars = string.digits if country == "ZZ" else BBAN_CHARS
    bban = draw(st.text(chars, min_size=length - 4, max_size=length - 4))
    return _with_check_digits(country, bban)


@PROPERTY
@given(iban=generated_ibans(), data=st.data())
def test_generated_ibans_are_accepted_and_any_changed_digit_refused(
    iban: str, data: st.DataObject
) -> None:
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    assert iban_valid(iban)
    assert iban_valid(spaced.lower())
    # A country outside the length table is cut where the run of characters ends, or where
    # a group of letters begins.
    assert parse_iban(f"Pay to IBAN {spaced}, BIC ABCDEFGH") == iban
    assert parse_iban(f"Pay to IBAN {spaced} BIC ABCDEFGH") == iban
    digits = [i for i, c in enumerate(iban) if c.isdigit()]
    position = data.draw(st.sampled_from(digits))
    other = data.draw(st.sampled_from([d for d in string.digits if d != iban[position]]))
    changed = iban[:position] + other + iban[position + 1 :]
    assert not iban_valid(changed), (iban, changed)


# --------------------------------------------------------------------------------------------
# Speed

PAGE = "\n".join(
    [
        "MR. D.I.Y. (M) SDN BHD (860671-D)",
        "LOT 1851-A & 1851-B, JALAN KPB 6, 43300 SERI KEMBANGAN, SELANGOR",
        "TEL: 03-8961 1181  GST ID: 000306020352",
        "Receipt No.: CS1801/26821 Date: 17/01/2018 10:22:59",
    ]
    + [f"{i:04d} ITEM NUMBER {i} 2 X RM {i % 50}.90 {2 * (i % 50) + 1}.80 SR" for i in range(90)]
    + ["Total Sales (Inclusive of GST) : RM 1,234.56", "Rounding (0.01)", "CHANGE RM 0.00"]
)


def test_a_page_is_scanned_for_dates_and_amounts_in_well_under_ten_ms() -> None:
    assert 3000 < len(PAGE) < 5000
    assert len(find_amounts(PAGE)) > 100 and find_dates(PAGE)
    best = min(_timed(lambda: (find_dates(PAGE), find_amounts(PAGE))) for _ in range(5))
    assert best < 0.010


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
