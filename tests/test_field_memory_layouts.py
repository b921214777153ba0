"""Learning fields from corrections on other layouts than receipts: tables and forms whose OCR
gives one line per cell or one line per row (as ``test_extraction_layouts`` builds them). A
blank value is not filled from a neighbour, labels are the words over or beside the value in
its own cell, and a text learned over lines stays in its column."""

from __future__ import annotations

from typing import Any

import pytest

from classification.extraction import memory

WIDTH, HEIGHT = 1240, 1754
CHAR = 12

Rows = list[tuple[int, list[tuple[int, str]]]]


def _table(rows: Rows, per_cell: bool) -> list[dict[str, Any]]:
    """OCR words for rows ``(top, [(left, text), ...])``: one OCR line per cell, or (no ``line``
    ids) lines grouped by position, one per row."""
    words: list[dict[str, Any]] = []
    for n, (top, cells) in enumerate(rows):
        for m, (left, text) in enumerate(cells):
            x = left
            for token in text.split():
                word = {
                    "text": token,
                    "left": x,
                    "top": top,
                    "width": CHAR * len(token),
                    "height": 20,
                    "conf": 92.0,
                }
                if per_cell:
                    word["line"] = n * 100 + m
                words.append(word)
                x += CHAR * (len(token) + 1)
    return words


def _learn(rows: Rows, per_cell: bool, kind: str, value: str, *texts: str) -> dict[str, Any]:
    words = _table(rows, per_cell)
    at = [i for i, w in enumerate(words) if w["text"] in texts]
    anchor = memory.learn(words, WIDTH, HEIGHT, kind, value, indices=at)
    assert anchor is not None
    return anchor


def _apply(rows: Rows, per_cell: bool, anchor: dict[str, Any], kind: str):
    return memory.apply(_table(rows, per_cell), WIDTH, HEIGHT, anchor, kind)


both = pytest.mark.parametrize("per_cell", [True, False], ids=["cells", "rows"])


def _payslip(net: str, net_ytd: str) -> Rows:
    return [
        (60, [(80, "Contoso Manufacturing Inc.")]),
        (360, [(80, "Description"), (400, "Current"), (700, "YTD")]),
        (390, [(80, "Gross Pay"), (400, "2,310.00"), (700, "14,760.00")]),
        (420, [(80, "Net Pay"), (400, net), (700, net_ytd)]),
    ]


@both
def test_a_blank_value_right_of_its_label_is_not_read_from_the_next_column(per_cell) -> None:
    anchor = _learn(_payslip("1,801.70", "10,433.10"), per_cell, "money", "1801.70", "1,801.70")
    assert anchor["label"] == ["NET", "PAY"] and anchor["where"] == "left"
    found = _apply(_payslip("1,938.80", "12,371.90"), per_cell, anchor, "money")
    assert found is not None and found.value == "1938.80"
    assert found.confidence >= memory.TRUSTED
    # Blank or unreadable this month: not the year-to-date figure a column further right.
    assert _apply(_payslip("", "12,371.90"), per_cell, anchor, "money") is None
    assert _apply(_payslip("l,9E8.8O", "12,371.90"), per_cell, anchor, "money") is None


def _employer(first: str, second: str) -> Rows:
    rows: Rows = [(60, [(80, "PAYFLOW EARNINGS STATEMENT")]), (150, [(80, "Employer")])]
    rows += [(top, [(80, text)]) for top, text in ((180, first), (210, second)) if text]
    return [*rows, (300, [(80, "Pay Date:"), (300, "29/03/2024")])]


def _invoice(ref: str, date: str) -> Rows:
    return [
        (60, [(80, "Bluebird Design LLC")]),
        (280, [(80, "Invoice Date"), (350, "Ref."), (600, "Due Date")]),
        (310, [(80, date), (350, ref), (600, "01/06/2024")]),
        (600, [(700, "Customer No"), (1000, "C-7731")]),
    ]


@both
def test_a_blank_value_under_its_label_is_not_read_from_lines_further_down(per_cell) -> None:
    words = _table(_employer("Contoso Manufacturing", "International Inc."), per_cell)
    picked = [i for i, w in enumerate(words) if 180 <= w["top"] <= 210]
    value = "Contoso Manufacturing International Inc."
    anchor = memory.learn(words, WIDTH, HEIGHT, "text", value, indices=picked)
    assert anchor is not None and anchor["label"] == ["EMPLOYER"] and anchor["where"] == "above"
    assert _apply(_employer("", ""), per_cell, anchor, "text") is None  # not "Pay Date: ..."
    anchor = _learn(_invoice("A-10452", "15/03/2024"), per_cell, "identifier", "A-10452", "A-10452")
    assert _apply(_invoice("A-10517", "02/05/2024"), per_cell, anchor, "identifier").value == (
        "A-10517"
    )
    assert _apply(_invoice("", "02/05/2024"), per_cell, anchor, "identifier") is None


def _remittance(balance: str, corner: str = "K-100234") -> Rows:
    return [
        (40, [(1000, corner)]),
        (70, [(1000, "Page 1 of 2")]),
        (80, [(80, "Acme Supplies Inc.")]),
        (230, [(80, "Order No:"), (300, "PO-5531")]),
        (600, [(700, "Balance")]),
        (598, [(1000, balance)]),
        (640, [(700, "Goods total")]),
        (638, [(1000, "1,000.00")]),
    ]


@both
def test_a_label_found_without_its_value_gives_nothing_and_place_needs_the_shape(
    per_cell,
) -> None:
    anchor = _learn(_remittance("1,250.00"), per_cell, "money", "1250.00", "1,250.00")
    assert anchor["label"] == ["BALANCE"]
    assert _apply(_remittance("980.40"), per_cell, anchor, "money").value == "980.40"
    # The label is there and its value is not: not the goods total of the next row.
    assert _apply(_remittance(""), per_cell, anchor, "money") is None
    assert _apply(_remittance("l,9Z8.E0"), per_cell, anchor, "money") is None
    # A customer number top right, no label: by place, never the "1" of "Page 1 of 2".
    anchor = _learn(_remittance("1.00"), per_cell, "identifier", "K-100234", "K-100234")
    assert anchor["label"] == []
    assert _apply(_remittance("1.00", corner=""), per_cell, anchor, "identifier") is None


@both
@pytest.mark.parametrize("order", [(0, 1, 2), (1, 0, 2), (1, 2, 0)])
def test_the_header_cell_over_a_value_is_its_label_among_other_columns(per_cell, order) -> None:
    def invoice(ref: str, date: str, due: str) -> Rows:
        labels, values, xs = ["Ref.", "Invoice Date", "Due Date"], [ref, date, due], [80, 350, 600]
        return [
            (60, [(80, "Bluebird Design LLC")]),
            (120, [(80, "Order No: PO-5531")]),
            (280, [(x, labels[k]) for x, k in zip(xs, order, strict=True)]),
            (310, [(x, values[k]) for x, k in zip(xs, order, strict=True)]),
        ]

    anchor = _learn(
        invoice("A-10452", "15/03/2024", "14/04/2024"), per_cell, "identifier", "A-10452", "A-10452"
    )
    assert anchor["label"] == ["REF"] and anchor["where"] == "above"
    found = _apply(invoice("A-10517", "02/05/2024", "01/06/2024"), per_cell, anchor, "identifier")
    assert found is not None and found.value == "A-10517"
    assert found.confidence >= memory.TRUSTED  # ahead of the rules' order number


def _statement(customer: str, ref: str) -> Rows:
    return [
        (60, [(80, "Acme Supplies Inc.")]),
        (200, [(80, "Order No:")]),
        (198, [(300, "PO-20931")]),
        (300, [(80, customer), (700, "Our ref")]),
        (298, [(900, ref)]),
    ]


@both
def test_a_label_left_of_its_value_is_one_phrase_not_the_row(per_cell) -> None:
    anchor = _learn(
        _statement("Globex Corporation", "Q-7781"), per_cell, "identifier", "Q-7781", "Q-7781"
    )
    assert anchor["label"] == ["OUR", "REF"] and anchor["where"] == "left"
    # Another customer's statement of the layout: the label is still found.
    found = _apply(_statement("Initech Systems", "Q-7802"), per_cell, anchor, "identifier")
    assert found is not None and found.value == "Q-7802"
    assert found.confidence >= memory.TRUSTED


def _employment(employer: tuple[str, str], employee: str) -> Rows:
    return [
        (60, [(80, "PAYFLOW EARNINGS STATEMENT")]),
        (150, [(80, "Employer"), (700, "Employee")]),
        (180, [(80, employer[0]), (700, employee)]),
        (210, [(80, employer[1]), (700, "ID 10234")]),
        (300, [(80, "Pay Date:"), (300, "29/03/2024")]),
    ]


@both
def test_a_text_learned_over_lines_stays_in_its_column(per_cell) -> None:
    words = _table(
        _employment(("Contoso Manufacturing", "International Inc."), "Robert Brown"), per_cell
    )
    picked = [i for i, w in enumerate(words) if 180 <= w["top"] <= 210 and w["left"] < 600]
    value = "Contoso Manufacturing International Inc."
    anchor = memory.learn(words, WIDTH, HEIGHT, "text", value, indices=picked)
    assert anchor is not None and anchor["label"] == ["EMPLOYER"] and anchor["lines"] == 2
    other = _apply(
        _employment(("Fabrikam Holdings", "Group Ltd"), "Alice Jones"), per_cell, anchor, "text"
    )
    assert other is not None and other.value == "Fabrikam Holdings Group Ltd"
    # The same employer, misread, beside another employee: the person's spelling.
    same = _employment(("Contoso Manufactur1ng", "International Inc."), "Alice Jones")
    found = _apply(same, per_cell, anchor, "text")
    assert found is not None and found.value == value
    assert found.raw == "Contoso Manufactur1ng International Inc."


def _letterhead(corner: str, dy: int = 0) -> Rows:
    return [
        (40 + dy, [(1000, corner)]),
        (80 + dy, [(80, "Bluebird Design LLC")]),
        (110 + dy, [(80, "12 Harbour Road, Bristol")]),
        (230 + dy, [(80, "Order No:"), (300, "PO-5531")]),
        (600 + dy, [(800, "Total"), (1000, "50.00")]),
    ]


@both
def test_an_identifier_learned_without_a_label_is_trusted_at_its_place(per_cell) -> None:
    anchor = _learn(_letterhead("K-100234"), per_cell, "identifier", "K-100234", "K-100234")
    assert anchor["label"] == []
    for dy in (0, 40):
        found = _apply(_letterhead("K-100871", dy), per_cell, anchor, "identifier")
        assert found is not None and found.value == "K-100871"
        assert found.confidence >= memory.TRUSTED  # before the rules' order number
    # Another shape there is a guess: the rules come first.
    found = _apply(_letterhead("K-1008"), per_cell, anchor, "identifier")
    assert found is not None and found.confidence < memory.TRUSTED


@both
def test_a_taught_name_is_not_put_on_another_person(per_cell) -> None:
    rows = _employment(("Contoso Manufacturing", "International Inc."), "Robert Brown")
    anchor = _learn(rows, per_cell, "text", "Robert Brown", "Robert", "Brown")
    for other in ("Albert Brown", "Rupert Brown", "Robert Braun", "Roberta Brown"):
        found = _apply(_employment(("Contoso", "Inc."), other), per_cell, anchor, "text")
        assert found is not None and found.value == other
    # The taught name misread, or with a letter lost, is still the taught spelling.
    for misread in ("Rob3rt Brown", "R0bert Brown", "Robert Brovvn", "Robet Brown"):
        found = _apply(_employment(("Contoso", "Inc."), misread), per_cell, anchor, "text")
        assert found is not None and found.value == "Robert Brown", misread
