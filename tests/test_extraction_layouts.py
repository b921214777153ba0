"""Layouts the rules read by position: labels over their values in a table's header, values in
another OCR line to the right of their label, year-to-date columns beside current ones, date
ranges without a label, currencies glued to amounts. Each page is built twice: one OCR line per
cell (Tesseract splits table columns) and one per row (grouped by position)."""

from __future__ import annotations

from typing import Any

import pytest

from classification.extraction import contracts, fields, labeled
from classification.extraction.fields import extract_fields
from tests.test_extraction_fields import CHAR_W

Rows = list[tuple[int, list[tuple[int, str]]]]
INVOICE = [
    ("vendor", "text"),
    ("invoice_number", "identifier"),
    ("date", "date"),
    ("due_date", "date"),
    ("total", "money"),
    ("currency", "currency"),
    ("tax", "money"),
]
BANK = [
    ("bank", "text"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("opening_balance", "money"),
    ("closing_balance", "money"),
]
PAY = [("employer", "text"), ("employee", "text"), ("pay_date", "date")]
PAY += [("gross_pay", "money"), ("net_pay", "money")]


def table(rows: Rows, per_cell: bool) -> list[dict[str, Any]]:
    """OCR words for rows of (top, [(left, text)]): with ``per_cell`` each cell its own OCR
    line, else no line ids (the rules group the words into rows)."""
    words = []
    for n, (top, cells) in enumerate(rows):
        for m, (left, text) in enumerate(cells):
            x = left
            for token in text.split():
                word: dict[str, Any] = {
                    "text": token, "left": x, "top": top, "width": CHAR_W * len(token),
                    "height": 20, "conf": 92.0,
                }  # fmt: skip
                if per_cell:
                    word["line"] = n * 100 + m
                words.append(word)
                x += CHAR_W * (len(token) + 1)
    return words


def read(rows: Rows, fields: list[tuple[str, str]], per_cell: bool) -> dict[str, str]:
    found = extract_fields(table(rows, per_cell), 1240, 1754, fields)
    return {name: v.value for name, v in found.items()}


both = pytest.mark.parametrize("per_cell", [True, False], ids=["cells", "rows"])


@both
def test_labels_over_their_values_in_an_invoice_header(per_cell: bool) -> None:
    rows = [
        (60, [(80, "Bluebird Design LLC")]),
        (280, [(80, "Order Date"), (350, "Invoice Date"), (600, "Invoice No."), (850, "Due Date")]),
        (310, [(80, "01/03/2024"), (350, "15/03/2024"), (600, "10452"), (850, "14/04/2024")]),
        (600, [(800, "Total"), (1000, "2,310.00")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert values["date"] == "2024-03-15"
    assert values["due_date"] == "2024-04-14"
    assert values["invoice_number"] == "10452"


@both
def test_a_date_label_left_of_its_value_in_another_line_slightly_higher(per_cell: bool) -> None:
    rows = [
        (60, [(80, "Acme Supplies Inc.")]),
        (270, [(700, "Invoice No:")]),
        (268, [(900, "INV-7781")]),
        (300, [(80, "Globex Corporation"), (700, "Invoice Date:")]),
        (298, [(900, "15/03/2024")]),
        (330, [(700, "Due Date:")]),
        (328, [(900, "14/04/2024")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert (values["date"], values["due_date"]) == ("2024-03-15", "2024-04-14")


@both
def test_summary_boxes_with_labels_over_their_amounts(per_cell: bool) -> None:
    bank = [
        (60, [(80, "Sparkasse Musterstadt")]),
        (420, [(80, "Opening Balance"), (400, "Total Credits"), (700, "Total Debits")]),
        (420, [(1000, "Closing Balance")]),
        (450, [(80, "€ 5.120,45"), (400, "€ 2.300,00"), (700, "€ 1.845,10"), (1000, "€ 5.575,35")]),
    ]
    values = read(bank, BANK, per_cell)
    assert (values["opening_balance"], values["closing_balance"]) == ("5120.45", "5575.35")
    stub = [
        (60, [(80, "Fabrikam Ltd")]),
        (340, [(80, "Gross Pay"), (350, "Deductions"), (650, "Net Pay")]),
        (370, [(80, "£3,200.00"), (350, "£812.40"), (650, "£2,387.60")]),
    ]
    values = read(stub, PAY, per_cell)
    assert (values["gross_pay"], values["net_pay"]) == ("3200.00", "2387.60")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("March 1, 2024 through March 31, 2024", "2024-03-01", "2024-03-31"),
        ("Statement from 01/03/2024 to 31/03/2024", "2024-03-01", "2024-03-31"),
        ("Statement dates: 01/03/2024 \u2013 31/03/2024", "2024-03-01", "2024-03-31"),
    ],
)
def test_a_period_without_its_label_is_read_from_a_date_range(
    text: str, start: str, end: str
) -> None:
    rows = [(60, [(80, "Chase Bank, N.A.")]), (200, [(80, text)])]
    values = read(rows, BANK, True)
    assert (values["period_start"], values["period_end"]) == (start, end)


def test_a_lone_date_is_no_period() -> None:
    rows = [
        (60, [(80, "Chase Bank, N.A.")]),
        (300, [(80, "Opening balance on 1 March 2024"), (1000, "1,250.00")]),
    ]
    values = read(rows, BANK, True)
    assert "period_start" not in values and "period_end" not in values
    assert values["opening_balance"] == "1250.00"


@both
def test_this_periods_pay_wins_over_the_year_to_date(per_cell: bool) -> None:
    head = [(60, [(80, "Contoso Manufacturing Inc.")]), (200, [(80, "Employee: Robert Brown")])]
    ytd_first = [
        *head,
        (290, [(80, "YTD Gross Pay"), (400, "12,450.00"), (700, "YTD Net Pay")]),
        (290, [(1000, "10,433.10")]),
        (390, [(80, "Gross Pay"), (400, "2,150.00"), (700, "Net Pay"), (1000, "1,801.70")]),
    ]
    values = read(ytd_first, PAY, per_cell)
    assert (values["gross_pay"], values["net_pay"]) == ("2150.00", "1801.70")
    ytd_column_first = [
        *head,
        (360, [(80, "Description"), (400, "YTD"), (700, "Current")]),
        (390, [(80, "Gross Pay"), (400, "12,450.00"), (700, "2,150.00")]),
        (420, [(80, "Taxes"), (400, "2,016.90"), (700, "348.30")]),
        (450, [(80, "Net Pay"), (400, "10,433.10"), (700, "1,801.70")]),
    ]
    values = read(ytd_column_first, PAY, per_cell)
    assert (values["gross_pay"], values["net_pay"]) == ("2150.00", "1801.70")


@both
def test_a_text_value_read_by_its_label_is_only_the_value(per_cell: bool) -> None:
    head = [(60, [(80, "Contoso Manufacturing Inc.")])]
    named = [
        *head,
        (200, [(80, "Employee ID: 10234")]),
        (230, [(80, "Employee Name: Robert Brown"), (700, "Pay Date: 29/03/2024")]),
    ]
    assert read(named, PAY, per_cell)["employee"] == "Robert Brown"
    cells = [*head, (200, [(80, "Employee"), (300, "Robert Brown"), (700, "Pay Date")])]
    cells[-1][1].append((900, "29/03/2024"))
    assert read(cells, PAY, per_cell)["employee"] == "Robert Brown"
    header = [
        *head,
        (200, [(80, "Employee"), (500, "Employee ID"), (800, "Pay Date")]),
        (230, [(80, "Robert Brown"), (500, "10234"), (800, "29/03/2024")]),
    ]
    values = read(header, PAY, per_cell)
    assert (values["employee"], values["pay_date"]) == ("Robert Brown", "2024-03-29")


def test_the_next_label_ends_a_text_value_on_a_narrow_row() -> None:
    rows = [(60, [(80, "Contoso Inc.")]), (200, [(80, "Employee: Robert Brown Pay Date: 29/03")])]
    assert read(rows, PAY, False)["employee"] == "Robert Brown"


@both
def test_a_us_page_reads_its_ambiguous_dates_month_first(per_cell: bool) -> None:
    rows = [
        (60, [(80, "Acme Supplies Inc.")]),
        (270, [(80, "Invoice No. 10077"), (700, "Invoice Date: 03/05/2024")]),
        (300, [(700, "Due Date: 04/14/2024")]),
        (700, [(800, "Total"), (1000, "$1,080.00")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert (values["date"], values["due_date"]) == ("2024-03-05", "2024-04-14")
    # A day-first page (or one that does not tell) still reads day first.
    rows[2] = (300, [(700, "Due Date: 14/04/2024")])
    assert read(rows, INVOICE, per_cell)["date"] == "2024-05-03"


@pytest.mark.parametrize(
    ("amounts", "currency"),
    [(("$2,000.00", "$200.00"), "USD"), (("2.000,00€", "200,00€"), "EUR")],
)
def test_a_currency_glued_to_the_amounts_is_the_pages(
    amounts: tuple[str, str], currency: str
) -> None:
    rows = [
        (60, [(80, "Bluebird Design LLC")]),
        (400, [(80, "Logo design"), (1000, amounts[0])]),
        (430, [(80, "Business cards"), (1000, amounts[1])]),
        (600, [(800, "TOTAL"), (1000, "2,310.00")]),
    ]
    assert read(rows, INVOICE, True)["currency"] == currency


def test_a_capitalised_sentence_names_no_currency() -> None:
    rows = [
        (60, [(80, "Burger Hut")]),
        (200, [(80, "TRY OUR NEW SHAKES!")]),
        (300, [(80, "Burger"), (1000, "$5.00")]),
        (400, [(80, "TOTAL"), (1000, "5.00")]),
    ]
    assert read(rows, INVOICE, True)["currency"] == "USD"


@both
def test_other_words_for_the_seeded_labels(per_cell: bool) -> None:
    bank = [
        (60, [(80, "Chase Bank, N.A.")]),
        (300, [(80, "Beginning Balance"), (1000, "$4,210.33")]),
        (330, [(80, "Deposits and Additions"), (1000, "$2,000.00")]),
        (360, [(80, "Ending Balance"), (1000, "$6,210.33")]),
    ]
    values = read(bank, BANK, per_cell)
    assert (values["opening_balance"], values["closing_balance"]) == ("4210.33", "6210.33")
    stub = [
        (60, [(80, "Contoso Inc.")]),
        (390, [(80, "Total Gross"), (400, "2,150.00")]),
        (450, [(80, "Take Home Pay"), (400, "1,801.70")]),
    ]
    values = read(stub, PAY, per_cell)
    assert (values["gross_pay"], values["net_pay"]) == ("2150.00", "1801.70")


def test_a_synonym_loses_to_the_fields_own_words() -> None:
    rows = [(100, [(80, "Previous balance"), (400, "10.00")])]
    rows.append((130, [(80, "Opening balance"), (400, "20.00")]))
    assert read(rows, BANK, True)["opening_balance"] == "20.00"


@both
def test_a_sum_carried_forward_is_no_total(per_cell: bool) -> None:
    rows = [
        (60, [(80, "Acme Supplies Inc.")]),
        (530, [(80, "Consulting services"), (1000, "1,500.00")]),
        (1600, [(700, "Subtotal carried forward"), (1000, "1,745.50")]),
    ]
    assert "total" not in read(rows, INVOICE, per_cell)


@both
def test_a_totals_row_under_column_headers(per_cell: bool) -> None:
    rows = [
        (60, [(80, "Acme Supplies Ltd")]),
        (400, [(80, "Description"), (600, "Net"), (800, "VAT"), (1000, "Gross")]),
        (430, [(80, "Widgets"), (600, "1,000.00"), (800, "200.00"), (1000, "1,200.00")]),
        (470, [(80, "Total"), (600, "1,000.00"), (800, "200.00"), (1000, "1,200.00")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert (values["total"], values["tax"]) == ("1200.00", "200.00")


def test_percentages_in_words() -> None:
    assert labeled.READERS["percentage"]("Interest 4.5 per cent a year")[0][0] == "4.5"
    assert labeled.READERS["percentage"]("Rate: 3.5 pct")[0][0] == "3.5"


def test_a_term_for_a_term_of_years_commencing_on_the_effective_date() -> None:
    text = (
        "This Employment Agreement is made as of January 15, 2022 by and between Redwood "
        "Health Systems, Inc. and Jane Doe. 1. Employment Period. The Company shall employ "
        "Executive for a term of three (3) years commencing on the Effective Date."
    )
    rows = [(80 + 26 * n, [(80, " ".join(text.split()[12 * n : 12 * n + 12]))]) for n in range(5)]
    page = contracts.PageWords(1, table(rows, True), 1240, 1754)
    found = contracts.extract_contract_fields([page], [("term", "text")])
    assert found["term"][1].value == "3 years"


@both
@pytest.mark.parametrize(
    "other",
    ["Sort code: 08-92-99", "Time 10.45.12", "Part 12-31-24 Widget"],
    ids=["sort-code", "time", "part-number"],
)
def test_only_dates_tell_the_pages_day_and_month_order(per_cell: bool, other: str) -> None:
    rows = [
        (60, [(80, "Hartley Joinery Ltd")]),
        (100, [(80, "Invoice Date: 05/03/2024")]),
        (130, [(80, "Due Date: 04/04/2024")]),
        (400, [(80, "Total"), (800, "1,250.00")]),
        (600, [(80, other)]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert (values["date"], values["due_date"]) == ("2024-03-05", "2024-04-04")


@both
def test_a_text_value_holding_a_label_word_is_still_a_value(per_cell: bool) -> None:
    rows = [
        (40, [(80, "ACME HR Form")]),
        (70, [(80, "Job Title:"), (300, "Senior Account Manager")]),
        (100, [(80, "Department:"), (300, "Tax")]),
        (130, [(80, "Customer:"), (300, "Net Solutions Ltd")]),
        (160, [(80, "Project:"), (300, "Payment Gateway")]),
    ]
    fields = [("job_title", "text"), ("department", "text")]
    fields += [("customer", "text"), ("project", "text")]
    assert read(rows, fields, per_cell) == {
        "job_title": "Senior Account Manager",
        "department": "Tax",
        "customer": "Net Solutions Ltd",
        "project": "Payment Gateway",
    }
    # A cell of label words alone, or one ending in a colon, is still no value.
    assert labeled.is_label("Invoice No.") and labeled.is_label("Remarks:")
    assert not labeled.is_label("Senior Account Manager")


@both
@pytest.mark.parametrize(
    ("named", "total", "currency"),
    [
        ((70, [(80, "All prices in SGD")]), "TOTAL", "SGD"),
        ((70, [(80, "Amount (AUD)")]), "TOTAL", "AUD"),
        ((70, [(80, "Thank you")]), "TOTAL CAD", "CAD"),
    ],
    ids=["SGD", "AUD", "CAD"],
)
def test_dollar_amounts_are_in_the_dollar_the_page_names(
    per_cell: bool, named: tuple[int, list[tuple[int, str]]], total: str, currency: str
) -> None:
    rows = [
        (40, [(80, "Kopi Corner Pte Ltd")]),
        named,
        (120, [(80, "Kopi O"), (500, "$1.80")]),
        (150, [(80, "Kaya Toast"), (500, "$2.50")]),
        (180, [(80, "Teh"), (500, "$1.70")]),
        (230, [(80, total), (500, "$6.00")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert (values["total"], values["currency"]) == ("6.00", currency)


@both
@pytest.mark.parametrize(
    ("rows", "currency"),
    [
        ([(120, [(80, "Consulting"), (800, "1,000.00")])], "EUR"),
        ([(80, [(80, "ALL AMOUNTS IN GBP")])], "GBP"),
        ([(80, [(80, "DESCRIPTION"), (500, "QTY"), (800, "AMOUNT USD")])], "USD"),
        ([(120, [(80, "ROTI"), (800, "1.00")])], "MYR"),
    ],
    ids=["EUR", "GBP", "USD", "MYR"],
)
def test_a_code_in_a_capitalised_header_is_the_currency(
    per_cell: bool, rows: Rows, currency: str
) -> None:
    total = {
        "EUR": "AMOUNT DUE (EUR)",
        "GBP": "Total",
        "USD": "Total",
        "MYR": "TOTAL PAYABLE RM",
    }[currency]
    page = [(40, [(80, "Acme")]), *rows, (200, [(80, total), (800, "1,200.00")])]
    assert read(page, INVOICE, per_cell)["currency"] == currency


@both
def test_the_value_under_a_labels_whole_cell(per_cell: bool) -> None:
    fields = [("period_start", "date"), ("period_end", "date"), ("account_holder", "text")]
    rows = [
        (40, [(80, "First National Bank")]),
        (70, [(80, "Statement Period")]),
        (95, [(80, "01/03/2024"), (300, "31/03/2024")]),
        (140, [(80, "Primary Account Holder")]),
        (165, [(80, "Jane Doe")]),
    ]
    assert read(rows, fields, per_cell) == {
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "account_holder": "Jane Doe",
    }
    rows = [
        (40, [(80, "First National Bank")]),
        (70, [(80, "Period start"), (400, "Period end")]),
        (95, [(80, "01/03/2024"), (400, "31/03/2024")]),
    ]
    values = read(rows, fields, per_cell)
    assert (values["period_start"], values["period_end"]) == ("2024-03-01", "2024-03-31")


@both
def test_an_invoice_number_under_its_label_beside_another_value(per_cell: bool) -> None:
    rows = [
        (40, [(80, "Acme")]),
        (100, [(80, "Invoice No."), (400, "Terms")]),
        (125, [(80, "INV-0042"), (400, "Net 30")]),
    ]
    assert read(rows, INVOICE, per_cell)["invoice_number"] == "INV-0042"


def test_a_synonym_matches_only_its_own_words() -> None:
    rows = [
        (40, [(80, "Online Banking")]),
        (70, [(80, "Available balance"), (500, "1,250.00")]),
        (100, [(80, "Pending balance"), (500, "-75.00")]),
    ]
    assert "closing_balance" not in read(rows, BANK, True)
    rows.append((130, [(80, "Ending balance"), (500, "1,175.00")]))
    assert read(rows, BANK, True)["closing_balance"] == "1175.00"


@both
def test_a_dutch_invoice_reads_its_own_words(per_cell: bool) -> None:
    rows = [
        (100, [(1000, "Coolblue B.V.")]),
        (120, [(80, "FACTUUR.")]),
        (140, [(1000, "Weena 664")]),
        (380, [(80, "Factuurnummer: 993548900")]),
        (440, [(80, "Factuurdatum: 19 april 2014")]),
        (600, [(80, "Artikel"), (700, "Aantal"), (1000, "Prijs incl. BTW")]),
        (640, [(80, "Mario Kart 7 3DS"), (700, "1"), (1000, "€ 44,99")]),
        (1380, [(150, "Exclusief BTW € 593,36")]),
        (1410, [(190, "BTW 21% € 124,61")]),
        (1440, [(900, "Totaal € 717,97")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert values["vendor"] == "Coolblue B.V."
    assert values["invoice_number"] == "993548900"
    assert values["date"] == "2014-04-19"
    assert (values["total"], values["currency"], values["tax"]) == ("717.97", "EUR", "124.61")


@both
def test_a_french_invoice_reads_its_own_words(per_cell: bool) -> None:
    rows = [
        (60, [(80, "Atelier Dupont SARL")]),
        (300, [(80, "Facture n° : F-2023-118")]),
        (330, [(80, "Date : 5 juillet 2023")]),
        (900, [(800, "Total HT"), (1050, "100,00 €")]),
        (930, [(800, "TVA 20 %"), (1050, "20,00 €")]),
        (960, [(800, "Net à payer"), (1050, "120,00 €")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert values["invoice_number"] == "F-2023-118"
    assert values["date"] == "2023-07-05"
    assert (values["total"], values["currency"], values["tax"]) == ("120.00", "EUR", "20.00")


def test_a_return_address_line_gives_the_senders_name() -> None:
    rows = [
        (330, [(150, "QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen")]),
        (480, [(150, "iViveLabs Ltd.")]),
        (720, [(130, "Rechnungsnr. 30064443")]),
    ]
    assert read(rows, INVOICE, False)["vendor"] == "QualityHosting AG"
    # A name with a dash in it and a number is not cut: two parts are no return address.
    assert fields._sender_name("Kedai Buku - Cawangan 2") == "Kedai Buku - Cawangan 2"
    assert fields._sender_name("A - B - C") == "A - B - C"  # no number: no address


def test_a_payment_receipt_heading_is_no_vendor() -> None:
    rows = [
        (100, [(280, "PAYMENT RECEIPT")]),
        (190, [(100, "Guest Name: Sanjay"), (700, "Date: 31/12/2017")]),
        (290, [(100, "Sunrise Resort Chennai")]),
        (640, [(120, "Grand Total Rs 1939")]),
    ]
    assert read(rows, INVOICE, False).get("vendor") != "PAYMENT RECEIPT"


@both
def test_the_invoice_date_after_its_number_beats_a_payment_deadline(per_cell: bool) -> None:
    rows = [
        (200, [(100, "Free Service Abonné")]),
        (760, [(100, "Facture n°562044387 du 02 Juillet 2015")]),
        (800, [(100, "Date limite de paiement le 05 Juillet 2015 29.99 € TTC")]),
        (1160, [(100, "Somme à payer 29.99 € TTC")]),
    ]
    values = read(rows, INVOICE, per_cell)
    assert (values["date"], values["due_date"]) == ("2015-07-02", "2015-07-05")
    assert values["invoice_number"] == "562044387"
