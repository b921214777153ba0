"""Extraction never fails on what OCR can hand it: any words, in any order, with any boxes
(empty, zero-sized, overlapping, off the page), for every seeded type's schema, read once or
twice (PP-OCR's words beside Tesseract's). A rule that raised would cost the document all
its fields, so this is checked over generated pages rather than trusted."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.extract import SCHEMAS
from classification.extraction import contracts, parsers
from classification.extraction.fields import extract_fields

# Tokens documents are made of: labels, amounts, dates, codes, punctuation, odd characters.
TOKENS = [
    "Invoice", "No.", "Invoice #", "Date:", "Due", "Date", "Total", "TOTAL", "Subtotal", "Tax",
    "VAT", "Gross", "Net", "Pay", "YTD", "Current", "Opening", "Closing", "Balance", "Period",
    "Employee", "Name:", "ID:", "Employer", "Bank", "IBAN", "Amount", "carried", "forward",
    "through", "to", "-", "\u2013", ":", "RM", "$", "€", "USD", "TRY", "EUR", "9.00", "1,234.56",
    "1.234,56", "(12.00)", "12.00-", "3.125%", "01/03/2024", "31/03/2024", "04/14/2024",
    "2024-1-5", "Jan-02-2024", "15 APRİL 2024", "01.03.2024-31.03.2024", "DE89 3704 0044",
    "0532 0130 00", "JALAN", "SDN BHD", "81100", "Johor", "Bahru", "THANK YOU", "", " ", "\x00",
    "\ufb01", "\u0663", "\u00bd", "\U0001d7d7", "(", ")", "/", "&", "a" * 60, "9" * 40,
]  # fmt: skip

word = st.fixed_dictionaries(
    {
        "text": st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)),
        "left": st.integers(-50, 1300),
        "top": st.integers(-50, 1800),
        "width": st.integers(0, 400),
        "height": st.integers(0, 80),
        "conf": st.floats(-1, 100),
    },
    optional={"line": st.integers(0, 30)},
)
pages = st.lists(word, max_size=60)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(words=pages, second=st.one_of(st.none(), pages), type_name=st.sampled_from(sorted(SCHEMAS)))
def test_extraction_never_raises_and_returns_strings(
    words: list[dict[str, Any]], second: list[dict[str, Any]] | None, type_name: str
) -> None:
    schema = SCHEMAS[type_name]
    found = extract_fields(words, 1240, 1754, schema, number_words=second)
    assert set(found) <= {name for name, _ in schema}
    for value in found.values():
        assert isinstance(value.value, str) and isinstance(value.raw, str)
        assert 0.0 <= value.confidence <= 1.0


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(pages=st.lists(pages, min_size=1, max_size=3))
def test_the_contract_rules_never_raise(pages: list[list[dict[str, Any]]]) -> None:
    words = [contracts.PageWords(n, page, 1240, 1754) for n, page in enumerate(pages, 1)]
    found = contracts.extract_contract_fields(words, SCHEMAS["contract"])
    for number, value in found.values():
        assert 1 <= number <= len(pages) and isinstance(value.value, str)


# Text made of the tokens above, joined by spaces or not, or any text at all.
texts = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=8).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=8).map("".join),
    st.text(max_size=40),
)


@settings(max_examples=400, deadline=None, database=None)
@given(text=texts)
def test_the_parsers_never_raise(text: str) -> None:
    for found in parsers.find_dates(text) + parsers.find_dates(text, day_first=False):
        assert found.raw == text[found.span[0] : found.span[1]]
    for money in parsers.find_amounts(text):
        assert money.raw == text[money.span[0] : money.span[1]]
    parsers.parse_date(text)
    parsers.parse_money(text)
    parsers.parse_percentage(text)
    parsers.parse_identifier(text)
    iban = parsers.parse_iban(text)
    assert iban is None or parsers.iban_valid(iban)
    parsers.normalise_currency(text)
