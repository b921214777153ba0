"""The label rule: fields the specialised rules don't know by name are read after or under the
words that name them (pay stubs, bank statements, fields admins add)."""

from __future__ import annotations

from typing import Any

import pytest

from classification.extraction import labeled
from classification.extraction.fields import extract_fields
from tests.test_extraction_fields import CHAR_W, page


def columns(rows: list[tuple[int, list[tuple[int, str]]]]) -> list[dict[str, Any]]:
    """OCR words for rows of (top, [(left, text)]): each cell its own OCR line, as Tesseract
    splits table columns."""
    words = []
    line = 0
    for top, cells in rows:
        for left, text in cells:
            x = left
            for token in text.split():
                words.append(
                    {"text": token, "left": x, "top": top, "width": CHAR_W * len(token),
                     "height": 20, "conf": 90.0, "line": line}
                )  # fmt: skip
                x += CHAR_W * (len(token) + 1)
            line += 1
    return words


PAY_STUB = columns(
    [
        (30, [(40, "Northwind Traders Inc.")]),
        (80, [(40, "Employee:"), (300, "Jane Q. Doe")]),
        (110, [(40, "Pay Date"), (300, "15/03/2024")]),
        (140, [(40, "Pay Period 01/03/2024 - 15/03/2024")]),
        (200, [(40, "Gross Pay"), (300, "2,500.00")]),
        (230, [(40, "Federal Tax"), (300, "-310.50")]),
        (260, [(40, "Net Pay"), (300, "1,902.75")]),
    ]
)
PAY_FIELDS = [
    ("employer", "text"),
    ("employee", "text"),
    ("pay_date", "date"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("gross_pay", "money"),
    ("net_pay", "money"),
]


def test_a_pay_stubs_fields_are_read_beside_their_labels() -> None:
    found = extract_fields(PAY_STUB, 800, 400, PAY_FIELDS)
    values = {name: v.value for name, v in found.items()}
    assert values == {
        "employer": "Northwind Traders Inc.",
        "employee": "Jane Q. Doe",
        "pay_date": "2024-03-15",
        "period_start": "2024-03-01",
        "period_end": "2024-03-15",
        "gross_pay": "2500.00",
        "net_pay": "1902.75",
    }
    # The box is the value's, not the label's.
    assert found["net_pay"].bbox is not None and found["net_pay"].bbox[0] == 300
    assert all(0 < v.confidence < 1 for v in found.values())


def test_a_value_under_its_label_and_ocr_noise_in_the_label() -> None:
    words = page(
        [
            (30, 24, "First Example Bank"),
            (90, 18, "Opening Balanse      Closing Balance"),
            (115, 18, "1,000.00"),
            (160, 18, "Account number: 12345678"),
        ]
    )
    # "Closing Balance" and its value share no line: under "Opening" stands 1,000.00.
    found = extract_fields(
        words, 800, 300, [("opening_balance", "money"), ("account_number", "identifier")]
    )
    assert found["opening_balance"].value == "1000.00"
    assert found["account_number"].value == "12345678"


def test_nothing_is_made_up_when_the_label_or_its_value_is_missing() -> None:
    words = page([(30, 20, "Gross Pay"), (60, 20, "Thank you")])
    assert extract_fields(words, 800, 200, [("gross_pay", "money"), ("net_pay", "money")]) == {}
    # A word that merely starts like the label is not the label.
    assert labeled.find_label("Payment 12.00", labeled.Label(("pay",), ("date",), 0)) is None


def test_a_documents_subtotal_is_its_last_one_not_a_sections() -> None:
    words = page(
        [
            (30, 20, "Office Chair 1.00 70.00"),
            (60, 20, "Subtotal $ 112.00"),
            (90, 20, "Luxury Truffles 15.00 150.00"),
            (120, 20, "Subtotal $ 150.90"),
            (150, 20, "Subtotal $ 262.90"),
            (180, 20, "Tax 15% $ 16.94"),
            (210, 20, "Total $ 279.84"),
            (240, 20, "Gross Pay 10.00"),
            (270, 20, "Gross Pay 20.00"),
        ]
    )
    schema = [("subtotal", "money"), ("total", "money"), ("gross_pay", "money")]
    found = extract_fields(words, 800, 400, schema)
    assert found["subtotal"].value == "262.90"
    assert found["total"].value == "279.84"
    assert found["gross_pay"].value == "10.00"  # other amounts: the first label still wins


@pytest.mark.parametrize(
    ("name", "required", "optional", "position"),
    [
        ("gross_pay", ("gross", "pay"), (), 0),
        ("period_end", ("period",), (), 1),
        ("pay_date", ("pay",), ("date",), 0),
        ("policy_number", ("policy",), ("number",), 0),
        ("date", ("date",), (), 0),
    ],
)
def test_label_words_come_from_the_field_name(
    name: str, required: tuple[str, ...], optional: tuple[str, ...], position: int
) -> None:
    assert labeled.label_for(name) == labeled.Label(required, optional, position)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Net Pay: 1,234.00", (7, 0)),
        ("NetPay 12", (6, 0)),
        ("Nett Pay 12", None),  # 4-letter words must match exactly
        ("Pay Date 01/02/2024", (8, 1)),
        ("Sub Total 9.00", (9, 0)),
    ],
)
def test_finding_a_label(text: str, found: tuple[int, int] | None) -> None:
    name = "net_pay" if "Net" in text else "subtotal" if "Sub" in text else "pay_date"
    label = labeled.label_for(name)
    assert label is not None and labeled.find_label(text, label) == found
