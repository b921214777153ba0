"""Field validation: every rule of ``extraction.validation`` on its own (no database), routing
a confident prediction whose fields fail to review (with the reason and a review task), the
schema checks of the admin, and people's input refused on the workbench."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from classification import fieldstore, learning
from classification.extraction import validation
from classification.extraction.validation import FieldSpec, Problem, validate
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    FieldValue,
    Label,
    Prediction,
)
from labeling import priority, queue
from labeling.models import Task
from tests.test_learning import learning_settings, test_types
from tests.test_routing import FakeModel, fake
from tests.workbench_documents import review_task, waiting_document

# Fixtures: test_learning's settings (no cold start) and types, test_routing's fake model.
SHARED_FIXTURES = (learning_settings, test_types, fake)

TODAY = date(2026, 12, 4)
IBAN = "DE89 3704 0044 0532 0130 00"  # the standard example, check digits valid


def _one(spec: FieldSpec, value: str) -> list[Problem]:
    return validate({spec.name: (value, value)}, [spec], TODAY)


# --- The rules, without a database ------------------------------------------------------------

REQUIRED = [
    ({}, ["total is missing"]),
    ({"total": ("", "")}, ["total is missing"]),
    ({"total": ("  ", " ")}, ["total is missing"]),
    ({"total": ("12.50", "RM 12.50")}, []),
    ({"other": ("12.50", "12.50")}, ["total is missing"]),  # a value not in the schema counts not
]


@pytest.mark.parametrize(("values", "messages"), REQUIRED)
def test_a_required_field_must_be_present(
    values: dict[str, tuple[str, str]], messages: list[str]
) -> None:
    problems = validate(values, [FieldSpec("total", "money", required=True)], TODAY)
    assert [p.message for p in problems] == messages
    assert all((p.field, p.code) == ("total", validation.MISSING) for p in problems)


def test_an_optional_field_may_be_missing() -> None:
    assert validate({}, [FieldSpec("tax", "money")], TODAY) == []


PARSES = [
    ("date", "2024-01-02"),
    ("date", "02/01/2024"),
    ("date", "2nd January 2024"),
    ("money", "12.50"),
    ("money", "RM 1,234.56"),
    ("money", "1.234,56 €"),
    ("money", "1939"),
    ("currency", "EUR"),
    ("currency", "RM"),
    ("currency", "€"),
    ("percentage", "6,5 %"),
    ("percentage", "12"),
    ("account", IBAN),
    ("account", "12-345678-9"),  # an account number that is no IBAN
    ("text", "ACME Ltd"),
    ("identifier", "INV/2023/0008"),
    ("names", "Alice Smith; Bob Jones"),
]


@pytest.mark.parametrize(("kind", "value"), PARSES)
def test_a_value_that_reads_as_its_kind_passes(kind: str, value: str) -> None:
    assert _one(FieldSpec("f", kind), value) == []


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("date", "25/12/2018", "2018-12-25"),
        ("date", "2 Jan 2024", "2024-01-02"),
        ("money", "RM 1,234.5", "1234.50"),
        ("money", "12,50 €", "12.50"),
        ("currency", "€", "EUR"),
        ("percentage", "6,5 %", "6.5"),
        ("percentage", "4,875 %", "4.875"),
        ("percentage", "0.125", "0.125"),
        ("account", IBAN.lower(), IBAN.replace(" ", "")),
        ("text", "  ACME Ltd ", "ACME Ltd"),
        ("identifier", "inv/2023/0008", "inv/2023/0008"),
        ("names", "ACME Ltd; Beta GmbH; ; Gamma AG ", "ACME Ltd; Beta GmbH; Gamma AG"),
        ("names", "ACME Ltd;Beta GmbH;", "ACME Ltd; Beta GmbH"),
    ],
)
def test_a_value_is_stored_as_the_rules_store_theirs(kind: str, value: str, stored: str) -> None:
    parsed = validation.parse_value(kind, value, date(2026, 1, 1))
    assert validation.normalised(kind, parsed, value) == stored


UNREADABLE = [
    ("date", "32/13/2020", "f “32/13/2020” is not a date"),
    ("date", "soon", "f “soon” is not a date"),
    ("money", "twelve", "f “twelve” is not an amount"),
    ("currency", "XYZ", "f “XYZ” is not a currency"),
    ("percentage", "lots", "f “lots” is not a percentage"),
    ("account", "n/a ?", "f “n/a ?” is not an IBAN or account number"),
]


@pytest.mark.parametrize(("kind", "value", "message"), UNREADABLE)
def test_a_value_that_does_not_read_as_its_kind_is_a_problem(
    kind: str, value: str, message: str
) -> None:
    assert _one(FieldSpec("f", kind), value) == [Problem("f", validation.UNREADABLE, message)]


IBANS = [
    (IBAN, None),
    ("de89370400440532013000", None),
    ("IBAN: GB82 WEST 1234 5698 7654 32", None),
    (
        "DE89 3704 0044 0532 0130 01",
        "account DE89370400440532013001 fails the IBAN checksum",
    ),
    ("DE89 3704 0044 0532 0130", "account DE893704004405320130 has 20 characters, not 22"),
    ("XX12 3456 7890 1234 5", "account XX123456789012345 fails the IBAN checksum"),
    ("RS35 2600 0560 1001 6113 79", None),  # the registry's countries beyond SEPA
    ("RS35 2600 0560 1001 6113 7", "account RS3526000560100161137 has 21 characters, not 22"),
    ("XK05 1212 0123 4567 890", "account XK05121201234567890 has 19 characters, not 20"),
]


@pytest.mark.parametrize(("value", "message"), IBANS)
def test_an_account_that_looks_like_an_iban_must_pass_its_check_digits(
    value: str, message: str | None
) -> None:
    problems = _one(FieldSpec("account", "account"), value)
    assert [p.message for p in problems] == ([message] if message else [])
    assert all(p.code == validation.CHECKSUM for p in problems)


PATTERNS = [
    (r"INV-\d+", "INV-42", True),
    (r"INV-\d+", "INV-42x", False),  # the whole value must match
    (r"INV-\d+", "42", False),
    (r"\d{4}-\d\d-\d\d", "2024-01-02", True),
    (r"(", "anything", True),  # a pattern that does not compile is not the document's fault
    (r"[a-", "anything", True),
]


@pytest.mark.parametrize(("pattern", "value", "passes"), PATTERNS)
def test_a_value_must_match_the_fields_pattern(pattern: str, value: str, passes: bool) -> None:
    problems = _one(FieldSpec("number", "identifier", pattern=pattern), value)
    if passes:
        assert problems == []
    else:
        assert problems == [
            Problem("number", validation.PATTERN, f"number “{value}” is not in the expected form")
        ]


RANGES: list[tuple[str, str, str | None, str | None, str | None]] = [
    ("money", "10.00", "10", "100", None),
    ("money", "RM 100", "10", "100", None),
    ("money", "9.99", "10", "100", "f 9.99 is below the minimum 10.00"),
    ("money", "100.01", "10", "100", "f 100.01 is above the maximum 100.00"),
    ("money", "-5.00", "0", None, "f -5.00 is below the minimum 0.00"),
    ("money", "1000000", None, "999999.5", "f 1000000.00 is above the maximum 999999.50"),
    ("money", "0.12", "0.1255", None, "f 0.12 is below the minimum 0.1255"),
    ("percentage", "120%", "0", "100", "f 120% is above the maximum 100%"),
    ("percentage", "6,5 %", "7", None, "f 6.5% is below the minimum 7%"),
    ("percentage", "19 %", "0", "100", None),
    ("percentage", "3.125%", "0", "100", None),  # a decimal point, not thousands
    ("percentage", "0.125", "0.12", "0.124", "f 0.125% is above the maximum 0.124%"),
]


@pytest.mark.parametrize(("kind", "value", "low", "high", "message"), RANGES)
def test_an_amount_or_percentage_must_lie_in_the_fields_range(
    kind: str, value: str, low: str | None, high: str | None, message: str | None
) -> None:
    spec = FieldSpec(
        "f",
        kind,
        min=Decimal(low) if low is not None else None,
        max=Decimal(high) if high is not None else None,
    )
    problems = _one(spec, value)
    assert [p.message for p in problems] == ([message] if message else [])


FUTURE = [
    ("2026-12-04", True, None),  # today is not the future
    ("2026-12-05", True, "date 2026-12-05 is in the future"),
    ("01/02/2031", True, "date 2031-02-01 is in the future"),
    ("2031-02-01", False, None),  # only where the field says so
    ("15 June", True, None),  # a date without a year is the latest such day, never ahead
]


@pytest.mark.parametrize(("value", "not_in_future", "message"), FUTURE)
def test_a_date_may_not_lie_in_the_future_where_the_field_says_so(
    value: str, not_in_future: bool, message: str | None
) -> None:
    problems = _one(FieldSpec("date", "date", not_in_future=not_in_future), value)
    assert [p.message for p in problems] == ([message] if message else [])
    assert all(p.code == validation.FUTURE for p in problems)


AMOUNTS = [FieldSpec("total", "money"), FieldSpec("subtotal", "money"), FieldSpec("tax", "money")]
SUMS: list[tuple[dict[str, str], list[FieldSpec], list[str]]] = [
    ({"total": "9.50", "subtotal": "8.00", "tax": "1.50"}, AMOUNTS, []),
    ({"total": "9.51", "subtotal": "8.00", "tax": "1.50"}, AMOUNTS, []),  # a cent of rounding
    ({"total": "9.49", "subtotal": "8.00", "tax": "1.50"}, AMOUNTS, []),
    # Prices with the tax in them: the subtotal is the total, the tax the part of it included.
    ({"total": "717.97", "subtotal": "717.97", "tax": "124.61"}, AMOUNTS, []),
    (
        {"total": "717.97", "subtotal": "717.97", "tax": "717.97"},
        AMOUNTS,
        ["total 717.97 ≠ subtotal 717.97 + tax 717.97"],
    ),
    (
        {"total": "10.00", "subtotal": "8.00", "tax": "1.50"},
        AMOUNTS,
        ["total 10.00 ≠ subtotal 8.00 + tax 1.50"],
    ),
    (
        {"total": "RM 9.52", "subtotal": "8", "tax": "1,50"},
        AMOUNTS,
        ["total 9.52 ≠ subtotal 8.00 + tax 1.50"],
    ),
    ({"total": "10.00", "subtotal": "8.00"}, AMOUNTS, []),  # not all present: nothing to check
    ({"total": "10.00", "subtotal": "8.00", "tax": "1.50"}, AMOUNTS[::2], []),  # no subtotal
    (  # a tax rate is no amount to add
        {"total": "10.00", "subtotal": "8.00", "tax": "19 %"},
        [*AMOUNTS[:2], FieldSpec("tax", "percentage")],
        [],
    ),
    (
        {"total": "10.00", "subtotal": "eight", "tax": "1.50"},
        AMOUNTS,
        ["subtotal “eight” is not an amount"],  # an unreadable amount is not summed
    ),
]


@pytest.mark.parametrize(("given", "schema", "messages"), SUMS)
def test_the_total_must_be_subtotal_plus_tax_when_all_three_are_there(
    given: dict[str, str], schema: list[FieldSpec], messages: list[str]
) -> None:
    values = {name: (value, value) for name, value in given.items()}
    assert [p.message for p in validate(values, schema, TODAY)] == messages


def test_each_field_reports_its_first_problem_and_messages_use_the_label() -> None:
    schema = [
        FieldSpec("vendor", "text", required=True, label="Vendor"),
        FieldSpec("date", "date", not_in_future=True, pattern=r"\d{4}", label="Invoice date"),
        FieldSpec("total", "money", required=True, max=Decimal("5"), label="Total"),
    ]
    problems = validate({"date": ("2031-02-01", "01/02/2031")}, schema, TODAY)
    assert [(p.field, p.code, p.message) for p in problems] == [
        ("vendor", validation.MISSING, "Vendor is missing"),
        ("date", validation.PATTERN, "Invoice date “2031-02-01” is not in the expected form"),
        ("total", validation.MISSING, "Total is missing"),
    ]


def test_a_rule_value_that_does_not_read_falls_back_to_what_the_page_says() -> None:
    spec = FieldSpec("date", "date")
    assert validate({"date": ("(unreadable)", "02/01/2024")}, [spec], TODAY) == []


def test_check_value_leaves_required_ness_to_validate() -> None:
    spec = FieldSpec("total", "money", required=True)
    assert validation.check_value(spec, "12.50", TODAY) == (None, Decimal("12.50"))
    problem, parsed = validation.check_value(spec, "abc", TODAY)
    assert parsed is None and problem is not None and problem.code == validation.UNREADABLE
    # Forty digits are no amount (they overflowed the cents before), nor a crash.
    problem, parsed = validation.check_value(spec, "9" * 40, TODAY)
    assert parsed is None and problem is not None and problem.code == validation.UNREADABLE
    eighteen = "123456789012345678.05"
    assert validation.check_value(spec, eighteen, TODAY) == (None, Decimal(eighteen))


# --- Routing ----------------------------------------------------------------------------------

VALID = ["ACME Trading Ltd", "Invoice No: INV-0042", "Date: 02/01/2024", "Total 120.00 EUR"]
NO_TOTAL = ["ACME Trading Ltd", "Invoice No: INV-0042", "Date: 02/01/2024"]


@pytest.fixture
def seeded_invoice(fake: FakeModel) -> DocumentType:
    """The invoice's seeded required fields back (``test_types`` makes them optional), and a
    model that is confident it sees an invoice (0.995 >= 0.97)."""
    for name in ("vendor", "invoice_number", "date", "total"):
        FieldDefinition.objects.filter(document_type__name="invoice", name=name).update(
            required=True
        )
    return DocumentType.objects.get(name="invoice")


def _route(document: Document, capture: Any) -> Document:
    with capture(execute=True):  # the routing signal and the queue's task, on commit
        learning.classify_document(document.pk)
    document.refresh_from_db()
    return document


def _open_review(document: Document) -> list[Task]:
    return list(Task.objects.filter(document=document, kind=Task.Kind.REVIEW, state="open"))


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded_invoice")
def test_a_confident_type_whose_required_field_is_missing_goes_to_review(
    django_capture_on_commit_callbacks: Any,
) -> None:
    document = _route(
        waiting_document("no-total.png", NO_TOTAL), django_capture_on_commit_callbacks
    )
    assert document.status == Document.Status.NEEDS_REVIEW
    assert (
        document.routing_reason == "confident Invoice (0.995) but fields failed: Total is missing"
    )
    assert document.document_type is None and document.type_confidence == pytest.approx(0.995)
    assert not Label.objects.filter(document=document).exists()
    [task] = _open_review(document)
    # Sure of the type (a margin that would put it last): served mid-queue instead.
    assert task.priority == priority.FIELDS_FAILED
    # What the rules read stays, for the labeler and the document's page.
    stored = {v.field.name: v.value for v in FieldValue.objects.filter(document=document)}
    assert stored["invoice_number"] == "INV-0042" and "total" not in stored
    assert [p.message for p in fieldstore.problems(document)] == ["Total is missing"]


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded_invoice")
def test_a_confident_type_whose_fields_pass_is_auto_accepted(
    django_capture_on_commit_callbacks: Any,
) -> None:
    document = _route(waiting_document("valid.png", VALID), django_capture_on_commit_callbacks)
    assert document.status == Document.Status.CLASSIFIED
    assert document.routing_reason.startswith("auto-accepted: 0.995 >= 0.970")
    assert document.document_type is not None and document.document_type.name == "invoice"
    assert Label.objects.get(document=document).provenance == Label.Provenance.AUTO
    assert FieldValue.objects.get(document=document, field__name="total").value == "120.00"
    assert _open_review(document) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded_invoice")
def test_every_failed_check_is_in_the_reason(django_capture_on_commit_callbacks: Any) -> None:
    FieldDefinition.objects.filter(document_type__name="invoice", name="date").update(
        not_in_future=True
    )
    FieldDefinition.objects.filter(document_type__name="invoice", name="total").update(
        max_value=Decimal("100")
    )
    lines = ["ACME Trading Ltd", "Date: 01/02/2031", "Total 120.00 EUR"]
    document = _route(waiting_document("future.png", lines), django_capture_on_commit_callbacks)
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason == (
        "confident Invoice (0.995) but fields failed: Invoice number is missing; "
        "Invoice date 2031-02-01 is in the future; Total 120.00 is above the maximum 100.00"
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded_invoice")
def test_routing_twice_on_failed_fields_changes_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    document = _route(waiting_document("twice.png", NO_TOTAL), django_capture_on_commit_callbacks)
    values = list(FieldValue.objects.filter(document=document).values_list("field_id", "value"))
    again = _route(document, django_capture_on_commit_callbacks)
    assert (again.status, again.routing_reason) == (document.status, document.routing_reason)
    assert list(FieldValue.objects.filter(document=document).values_list("field_id", "value")) == (
        values
    )
    assert len(_open_review(document)) == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded_invoice")
def test_an_accepted_document_goes_to_review_once_its_schema_requires_more(
    django_capture_on_commit_callbacks: Any,
) -> None:
    document = _route(waiting_document("later.png", VALID), django_capture_on_commit_callbacks)
    assert document.status == Document.Status.CLASSIFIED
    FieldDefinition.objects.filter(document_type__name="invoice", name="due_date").update(
        required=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        learning.rescore_documents()
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason.endswith("fields failed: Due date is missing")
    assert not Label.objects.filter(document=document).exists()
    assert len(_open_review(document)) == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded_invoice")
def test_fields_that_cannot_be_extracted_keep_the_document_in_review(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a rule crashed")

    monkeypatch.setattr(fieldstore, "extract_fields", broken)
    document = _route(waiting_document("crash.png", VALID), django_capture_on_commit_callbacks)
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason == (
        "confident Invoice (0.995) but its fields could not be checked (extraction failed)"
    )
    assert not FieldValue.objects.filter(document=document).exists()
    assert len(_open_review(document)) == 1


@pytest.mark.django_db
def test_a_low_confidence_document_keeps_only_peoples_values(
    fake: FakeModel, labeler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    document = _route(waiting_document("was.png", VALID), django_capture_on_commit_callbacks)
    assert document.status == Document.Status.CLASSIFIED
    vendor = FieldValue.objects.get(document=document, field__name="vendor")
    FieldValue.objects.filter(pk=vendor.pk).update(source=FieldValue.Source.HUMAN)
    fake.row = [0.2, 0.7, 0.1]  # predicted again, the model is unsure
    Prediction.objects.filter(document=document).delete()
    document = _route(document, django_capture_on_commit_callbacks)
    assert document.status == Document.Status.NEEDS_REVIEW
    assert list(FieldValue.objects.filter(document=document)) == [vendor]


# --- The schema in the admin ------------------------------------------------------------------

SCHEMAS: list[tuple[dict[str, Any], set[str]]] = [
    ({"kind": "identifier", "pattern": r"INV-\d+"}, set()),
    ({"kind": "identifier", "pattern": "("}, {"pattern"}),
    ({"kind": "identifier", "pattern": "[a-"}, {"pattern"}),
    ({"kind": "money", "min_value": Decimal("0"), "max_value": Decimal("10")}, set()),
    ({"kind": "money", "min_value": Decimal("5"), "max_value": Decimal("5")}, set()),
    ({"kind": "money", "min_value": Decimal("10"), "max_value": Decimal("1")}, {"max_value"}),
    ({"kind": "percentage", "max_value": Decimal("100")}, set()),
    ({"kind": "text", "min_value": Decimal("1")}, {"min_value"}),
    ({"kind": "date", "not_in_future": True}, set()),
    ({"kind": "money", "not_in_future": True}, {"not_in_future"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "errors"), SCHEMAS)
def test_a_field_definition_refuses_checks_that_cannot_apply(
    fields: dict[str, Any], errors: set[str]
) -> None:
    definition = FieldDefinition(
        document_type=DocumentType.objects.get(name="invoice"), name="x", label="X", **fields
    )
    if not errors:
        definition.full_clean()
        return
    with pytest.raises(ValidationError) as raised:
        definition.full_clean()
    assert set(raised.value.message_dict) == errors


@pytest.mark.django_db
def test_the_admin_edits_the_checks_and_refuses_a_broken_pattern(
    client_for: Any, admin_user: Any
) -> None:
    memo = DocumentType.objects.create(name="memo-x", label="Memo X")
    url = reverse("admin:classification_documenttype_change", args=[memo.pk])
    client = client_for(admin_user)
    page = client.get(url).content.decode()
    for column in ("min_value", "max_value", "not_in_future"):
        assert f'name="fields-0-{column}"' in page
    form = {
        "name": "memo-x",
        "label": "Memo X",
        "active": "on",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        "fields-0-position": "0",
        "fields-0-name": "amount",
        "fields-0-label": "Amount",
        "fields-0-kind": "money",
        "fields-0-pattern": "(",
        "fields-0-min_value": "10",
        "fields-0-max_value": "1",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Not a valid regular expression" in html and "The maximum is below the minimum" in html
    assert not FieldDefinition.objects.filter(document_type=memo).exists()
    form.update({"fields-0-pattern": r"\d+(\.\d\d)?", "fields-0-max_value": "100"})
    assert client.post(url, form).status_code == 302
    saved = FieldDefinition.objects.get(document_type=memo)
    assert (saved.min_value, saved.max_value) == (Decimal("10"), Decimal("100"))


# --- People's input and what the pages show ---------------------------------------------------


def _held(user: Any, *pages: list[str]) -> Task:
    task = review_task("bill.png", *pages)
    claimed = queue.claim_next(user)
    assert claimed is not None and claimed.pk == task.pk
    return claimed


REFUSED = [
    ("invoice", "total", "twelve", {}, "Total “twelve” is not an amount"),
    ("invoice", "date", "31/31/2024", {}, "Invoice date “31/31/2024” is not a date"),
    ("invoice", "currency", "XYZ", {}, "Currency “XYZ” is not a currency"),
    (
        "invoice",
        "total",
        "5000.00",
        {"max_value": Decimal("1000")},
        "Total 5000.00 is above the maximum 1000.00",
    ),
    (
        "invoice",
        "date",
        "01/02/2099",
        {"not_in_future": True},
        "Invoice date 2099-02-01 is in the future",
    ),
    (
        "bank_statement",
        "account_number",
        "DE89 3704 0044 0532 0130 01",
        {},
        "Account number (IBAN) DE89370400440532013001 fails the IBAN checksum",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("type_name", "field", "value", "schema", "error"), REFUSED)
def test_a_value_a_person_gives_must_pass_the_fields_checks(
    client_for: Any,
    labeler: Any,
    type_name: str,
    field: str,
    value: str,
    schema: dict[str, Any],
    error: str,
) -> None:
    FieldDefinition.objects.filter(document_type__name=type_name, name=field).update(**schema)
    task = _held(labeler)
    chosen = DocumentType.objects.get(name=type_name)
    response = client_for(labeler).post(
        reverse("task_submit", args=[task.pk]),
        {"document_type": str(chosen.pk), f"field-{field}": value},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'role="alert"' in html
    assert not Label.objects.exists() and not FieldValue.objects.exists()
    task.refresh_from_db()
    assert task.state == Task.State.OPEN


@pytest.mark.django_db
def test_a_person_may_leave_a_required_field_empty_and_every_problem_is_named(
    client_for: Any, labeler: Any
) -> None:
    task = _held(labeler)
    invoice = str(DocumentType.objects.get(name="invoice").pk)
    client = client_for(labeler)
    refused = client.post(
        reverse("task_submit", args=[task.pk]),
        {"document_type": invoice, "field-total": "x", "field-date": "y", "field-vendor": ""},
    )
    html = refused.content.decode()
    assert "Invoice date “y” is not a date; Total “x” is not an amount." in html
    accepted = client.post(
        reverse("task_submit", args=[task.pk]),
        {"document_type": invoice, "field-total": "", "field-date": "2024-01-02"},
    )
    assert accepted.status_code == 302
    assert Label.objects.get().document_type.name == "invoice"


@pytest.mark.django_db
def test_the_fields_panel_shows_what_fails_in_each_field(client_for: Any, labeler: Any) -> None:
    task = _held(labeler, ["INVOICE 4711", "ACME Ltd", "Date: 01/02/2099"])
    FieldDefinition.objects.filter(document_type__name="invoice", name="date").update(
        not_in_future=True
    )
    response = client_for(labeler).get(reverse("task", args=[task.pk]))
    invoice = next(c for c in response.context["types"] if c.document_type.name == "invoice")
    problems = {row.definition.name: row.problem for row in invoice.fields}
    assert problems["date"] == "Invoice date 2099-02-01 is in the future"
    assert problems["total"] == "Total is missing"
    assert problems["vendor"] == ""
    html = response.content.decode()
    total = f"field-{invoice.document_type.pk}-total"
    assert f'id="{total}-problem">Total is missing<' in html
    assert f'aria-invalid="true" aria-describedby="{total}-problem"' in html


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded_invoice")
def test_the_document_page_shows_the_field_checks(
    client_for: Any, admin_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    document = _route(waiting_document("page.png", NO_TOTAL), django_capture_on_commit_callbacks)
    html = client_for(admin_user).get(reverse("document", args=[document.pk])).content.decode()
    assert "Field checks" in html and "<li>Total is missing</li>" in html
    valid = _route(waiting_document("ok.png", VALID), django_capture_on_commit_callbacks)
    html = client_for(admin_user).get(reverse("document", args=[valid.pk])).content.decode()
    assert "Field checks" not in html
