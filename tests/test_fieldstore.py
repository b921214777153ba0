"""Fields extracted into the product: when a document's type becomes known (a person's label
or an auto-accept), the rule values are stored; people's values are never overwritten, and a
person's correction is recorded against what extraction said."""

from __future__ import annotations

import importlib

import pytest

from classification import fieldstore, learning, services
from classification.models import (
    Document,
    DocumentType,
    FieldCorrection,
    FieldDefinition,
    FieldValue,
)
from labeling import queue, workbench
from tests.test_learning import test_types  # noqa: F401  (a fixture `fake` needs)
from tests.test_routing import fake  # noqa: F401  (a fixture)
from tests.workbench_documents import review_task, waiting_document

pytestmark = pytest.mark.django_db

INVOICE = ["ACME Trading Ltd", "Invoice No: INV-0042", "Date: 02/01/2024", "Total 120.00 EUR"]


def _values(document) -> dict[str, tuple[str, str]]:
    return {v.field.name: (v.value, v.source) for v in FieldValue.objects.filter(document=document)}


def test_a_label_stores_the_rule_values_of_its_type(labeler) -> None:
    document = waiting_document("inv.png", INVOICE)
    services.assign_type(document, DocumentType.objects.get(name="invoice"), labeler)
    values = _values(document)
    assert values["invoice_number"] == ("INV-0042", "rule")
    assert values["date"] == ("2024-01-02", "rule")
    assert values["total"] == ("120.00", "rule")
    stored = FieldValue.objects.get(document=document, field__name="total")
    assert stored.page_number == 1 and stored.bbox and stored.confidence is not None


def test_the_seeded_schemas_check_the_sum_and_keep_dates_out_of_the_future(labeler) -> None:
    """The seeded schemas check out of the box what validation can: an invoice's subtotal is
    read (total = subtotal + tax, or a subtotal with the tax in it), and a document's date may
    not lie in the future (a due date may)."""
    invoice = DocumentType.objects.get(name="invoice")
    assert FieldDefinition.objects.get(document_type=invoice, name="subtotal").kind == "money"
    marked = set(
        FieldDefinition.objects.filter(not_in_future=True).values_list(
            "document_type__name", "name"
        )
    )
    assert {("invoice", "date"), ("receipt", "date"), ("pay_stub", "pay_date")} <= marked
    assert ("invoice", "due_date") not in marked
    assert ("contract", "effective_date") not in marked

    def checked(name: str, lines: list[str]) -> set[tuple[str, str]]:
        document = waiting_document(name, lines)
        services.assign_type(document, invoice, labeler)
        return {(p.field, p.code) for p in fieldstore.problems(document)}

    head = INVOICE[:2]
    assert (
        checked("ok.png", [*head, "Date: 02/01/2024", "Subtotal 100.00", "Tax 20.00", INVOICE[3]])
        == set()
    )
    wrong = [*head, "Date: 02/01/2081", "Subtotal 100.00", "Tax 20.00", "Total 125.00 EUR"]
    assert {("date", "future"), ("total", "sum")} <= checked("wrong.png", wrong)
    # Prices with the tax in them: the subtotal is the total.
    vat_in = [*head, "Date: 02/01/2024", "Subtotal 120.00", "VAT 20.00", INVOICE[3]]
    assert checked("vat-in.png", vat_in) == set()


def test_a_persons_value_stays_and_rule_values_follow_the_type(labeler) -> None:
    document = waiting_document("inv2.png", INVOICE)
    invoice = DocumentType.objects.get(name="invoice")
    label = services.assign_type(document, invoice, labeler)
    number = FieldDefinition.objects.get(document_type=invoice, name="invoice_number")
    services.correct_fields(document, label, labeler, {number: services.FieldInput("INV-42")})
    assert fieldstore.extract_document(document.pk) >= 1  # run again: safe
    assert _values(document)["invoice_number"] == ("INV-42", "human")
    # Relabeled as a receipt: the invoice's rule values go, the person's value stays.
    services.assign_type(document, DocumentType.objects.get(name="receipt"), labeler)
    names = {name for name, (_, source) in _values(document).items() if source == "rule"}
    assert names <= {f.name for f in FieldDefinition.objects.filter(document_type__name="receipt")}
    assert _values(document)["invoice_number"] == ("INV-42", "human")
    # Relabeled as a letter, a type without fields: the receipt's rule values go too.
    services.assign_type(document, DocumentType.objects.get(name="letter"), labeler)
    assert _values(document) == {"invoice_number": ("INV-42", "human")}


def test_a_workbench_correction_is_recorded_against_the_extracted_value(labeler) -> None:
    document = review_task("inv3.png", INVOICE).document
    task = queue.claim_next(labeler)
    assert task is not None and task.document_id == document.pk
    invoice = DocumentType.objects.get(name="invoice")
    total = FieldDefinition.objects.get(document_type=invoice, name="total")
    queue.submit(task.pk, labeler, invoice, {total: services.FieldInput("121.00")})
    correction = FieldCorrection.objects.get(field=total)
    assert (correction.before, correction.after) == ("120.00", "121.00")
    assert _values(document)["total"] == ("121.00", "human")


def test_a_document_without_a_type_or_schema_stores_nothing(labeler) -> None:
    document = waiting_document("other.png", INVOICE)
    assert fieldstore.extract_document(document.pk) == 0
    services.assign_type(document, DocumentType.objects.get(name="letter"), labeler)
    assert not FieldValue.objects.filter(document=document).exists()


@pytest.mark.usefixtures("fake")
def test_an_auto_accepted_document_gets_its_fields(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.DOCSITE_COLD_START_LABELS = 0
    document = waiting_document("auto.png", INVOICE)
    with django_capture_on_commit_callbacks(execute=True):
        learning.classify_document(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.CLASSIFIED
    assert _values(document)["total"] == ("120.00", "rule")


def test_accepting_a_type_without_fields_takes_the_old_types_machine_values(labeler) -> None:
    document = waiting_document("was-invoice.png", INVOICE)
    services.assign_type(document, DocumentType.objects.get(name="invoice"), labeler)
    assert _values(document)["total"] == ("120.00", "rule")
    letter = DocumentType.objects.get(name="letter")
    route = learning.Route(True, "auto-accepted", document_type=letter, confidence=0.99)
    assert learning._check_fields(document.pk, route) == route
    assert _values(document) == {}


def test_the_same_value_picked_elsewhere_becomes_the_persons_without_a_correction(
    labeler,
) -> None:
    document = waiting_document("inv4.png", INVOICE)
    invoice = DocumentType.objects.get(name="invoice")
    label = services.assign_type(document, invoice, labeler)
    total = FieldDefinition.objects.get(document_type=invoice, name="total")
    stored = FieldValue.objects.get(document=document, field=total)
    assert stored.bbox is not None
    same = services.FieldInput("120.00", page_number=1, bbox=list(stored.bbox))
    assert services.correct_fields(document, label, labeler, {total: same}) == []
    assert FieldValue.objects.get(pk=stored.pk).source == "rule"
    elsewhere = services.FieldInput("120.00", page_number=1, bbox=[1.0, 2.0, 30.0, 12.0])
    assert services.correct_fields(document, label, labeler, {total: elsewhere}) == []
    moved = FieldValue.objects.get(pk=stored.pk)
    assert (moved.value, moved.source, moved.bbox) == ("120.00", "human", [1.0, 2.0, 30.0, 12.0])
    # Over words that read as another value, the box is not where this one is: nothing changes.
    number = FieldValue.objects.get(document=document, field__name="invoice_number")
    assert number.bbox is not None
    astray = services.FieldInput("120.00", page_number=1, bbox=list(number.bbox))
    assert services.correct_fields(document, label, labeler, {total: astray}) == []
    kept = FieldValue.objects.get(pk=stored.pk)
    assert (kept.value, kept.source, kept.bbox) == ("120.00", "human", [1.0, 2.0, 30.0, 12.0])


def _receipt(address_line: str) -> list[str]:
    return [
        "UNIHAKKA INTERNATIONAL SDN BHD",
        address_line,
        "81200 JOHOR BAHRU, JOHOR",
        "Date: 05/03/2018",
        "TOTAL 9.00",
    ]


def test_an_address_is_read_as_other_documents_of_its_place_read_it(labeler) -> None:
    receipt = DocumentType.objects.get(name="receipt")
    for n in range(2):
        services.assign_type(
            waiting_document(f"r{n}.png", _receipt("12, JALAN TAMPOI 7/4,")), receipt, labeler
        )
    address = FieldDefinition.objects.get(document_type=receipt, name="address")
    shop = "12, JALAN TAMPOI 7/4, 81200 JOHOR BAHRU, JOHOR"
    assert set(FieldValue.objects.filter(field=address).values_list("value", flat=True)) == {shop}
    # A slip on the third print: the two others' reading, the page's kept as its raw text.
    slipped = waiting_document("r2.png", _receipt("12, JALAN TAMPDI 7/4,"))
    services.assign_type(slipped, receipt, labeler)
    stored = FieldValue.objects.get(document=slipped, field=address)
    assert (stored.value, stored.raw, stored.source) == (
        shop,
        "12, JALAN TAMPDI 7/4, 81200 JOHOR BAHRU, JOHOR",
        "rule",
    )
    assert stored.group_key == "postcode:81200"
    assert fieldstore.extract_document(slipped.pk) >= 1  # run again: the same
    assert FieldValue.objects.get(pk=stored.pk).value == shop
    # Documents of another postcode are not counted.
    lines = _receipt("12, JALAN TAMPDI 7/4,")
    lines[2] = "81300 JOHOR BAHRU, JOHOR"
    other = waiting_document("o.png", lines)
    services.assign_type(other, receipt, labeler)
    assert FieldValue.objects.get(document=other, field=address).value.startswith(
        "12, JALAN TAMPDI"
    )


def test_the_workbench_suggests_the_address_other_documents_of_its_place_agree_on(
    labeler,
) -> None:
    receipt = DocumentType.objects.get(name="receipt")
    for n in range(2):
        services.assign_type(
            waiting_document(f"w{n}.png", _receipt("12, JALAN TAMPOI 7/4,")), receipt, labeler
        )
    waiting = waiting_document("w2.png", _receipt("12, JALAN TAMPDI 7/4,"))
    choices = workbench.type_choices(waiting, suggested={}, with_fields=True)
    rows = next(c for c in choices if c.document_type.name == "receipt").fields
    address = next(row for row in rows if row.definition.name == "address")
    assert (address.value, address.source) == (
        "12, JALAN TAMPOI 7/4, 81200 JOHOR BAHRU, JOHOR",
        "extracted",
    )


def test_addresses_stored_before_their_key_existed_get_it(labeler) -> None:
    from django.apps import apps

    backfill = importlib.import_module(
        "classification.migrations.0012_backfill_field_value_group_key"
    ).backfill
    receipt = DocumentType.objects.get(name="receipt")
    document = waiting_document("old.png", _receipt("12, JALAN TAMPOI 7/4,"))
    services.assign_type(document, receipt, labeler)
    FieldValue.objects.filter(document=document).update(group_key="")
    codeless = waiting_document("old2.png", ["ACME TRADING SDN BHD", "12, JALAN TAMPOI 7/4,"])
    services.assign_type(codeless, receipt, labeler)
    FieldValue.objects.filter(document=codeless).update(group_key="")
    backfill(apps, None)
    keys = dict(
        FieldValue.objects.filter(field__name="address").values_list("document_id", "group_key")
    )
    assert keys[document.pk] == "postcode:81200"
    assert keys[codeless.pk] == "vendor:acmetradingsdnbhd"  # no postcode: by its vendor
    vendor = FieldValue.objects.get(document=document, field__name="vendor")
    assert vendor.group_key == ""  # only addresses are counted


def test_a_total_read_off_a_subtotal_gives_way_to_the_next_pages_total(labeler) -> None:
    document = waiting_document(
        "two-pages.png",
        ["ACME Trading Ltd", "Invoice No: INV-0042", "Date: 02/01/2024", "Subtotal 1,745.50"],
        ["Subtotal 2,045.50", "Tax 163.64", "Total 2,209.14 EUR"],
    )
    services.assign_type(document, DocumentType.objects.get(name="invoice"), labeler)
    stored = FieldValue.objects.get(document=document, field__name="total")
    assert (stored.value, stored.page_number) == ("2209.14", 2)
    # A sure total on page 1 stays, whatever page 2 says.
    sure = waiting_document(
        "sure.png",
        ["ACME Trading Ltd", "Invoice No: INV-0043", "Total 120.00 EUR"],
        ["Total 999.00 EUR"],
    )
    services.assign_type(sure, DocumentType.objects.get(name="invoice"), labeler)
    stored = FieldValue.objects.get(document=sure, field__name="total")
    assert (stored.value, stored.page_number) == ("120.00", 1)
