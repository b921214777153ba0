"""``/api/v1/document-types``: reading types with their field schemas, admins writing them
(the schema replaced atomically, each field checked by ``FieldDefinition.clean``), and what
deleting a type in use does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from classification.models import Document, DocumentType, FieldDefinition, FieldValue
from tests.test_api_core import assert_error
from tests.workbench_documents import waiting_document

pytestmark = pytest.mark.django_db

Clients = Callable[[User], APIClient]
URL = "/api/v1/document-types"

PURCHASE_ORDER: dict[str, Any] = {
    "name": "purchase_order",
    "label": "Purchase order",
    "description": "Orders we send",
    "fields": [
        {"name": "po_number", "label": "PO number", "kind": "identifier", "required": True},
        {"name": "amount", "label": "Amount", "kind": "money", "min_value": "0", "max_value": 1e6},
        {"name": "ordered_on", "label": "Ordered on", "kind": "date", "not_in_future": True},
    ],
}


def test_anyone_signed_in_reads_the_types_with_their_fields(
    api_client_for: Clients, uploader: User, outsider: User
) -> None:
    for user in (uploader, outsider):
        body = api_client_for(user).get(URL).json()
        invoice = next(t for t in body["results"] if t["name"] == "invoice")
        names = [f["name"] for f in invoice["fields"]]
        stored = list(
            FieldDefinition.objects.filter(document_type__name="invoice")
            .order_by("position", "pk")
            .values_list("name", flat=True)
        )
        assert names == stored and "invoice_number" in names
        total = next(f for f in invoice["fields"] if f["name"] == "total")
        assert total["kind"] == "money" and total["required"] is True
    one = api_client_for(uploader).get(f"{URL}/{DocumentType.objects.get(name='receipt').pk}")
    assert one.status_code == 200 and one.json()["name"] == "receipt"


def test_reading_needs_credentials_and_an_unknown_type_is_404(
    api_client_for: Clients, labeler: User
) -> None:
    assert_error(APIClient().get(URL), 401, "not_authenticated")
    assert_error(APIClient().post(URL, PURCHASE_ORDER, format="json"), 401, "not_authenticated")
    assert_error(api_client_for(labeler).get(f"{URL}/999999"), 404, "not_found")


def test_an_admin_creates_a_type_with_its_schema(api_client_for: Clients, admin_user: User) -> None:
    response = api_client_for(admin_user).post(URL, PURCHASE_ORDER, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    created = DocumentType.objects.get(name="purchase_order")
    assert body["id"] == created.pk and body["label"] == "Purchase order" and body["active"]
    fields = list(created.fields.order_by("position"))
    assert [(f.name, f.kind, f.position) for f in fields] == [
        ("po_number", "identifier", 0),
        ("amount", "money", 1),
        ("ordered_on", "date", 2),
    ]
    assert fields[1].max_value == 1_000_000 and fields[2].not_in_future
    assert body["fields"][1]["min_value"] == 0.0


def test_only_admins_write(api_client_for: Clients, labeler: User, uploader: User) -> None:
    invoice = DocumentType.objects.get(name="invoice")
    for user in (labeler, uploader):
        client = api_client_for(user)
        assert_error(client.post(URL, PURCHASE_ORDER, format="json"), 403, "permission_denied")
        assert_error(
            client.patch(f"{URL}/{invoice.pk}", {"label": "Bill"}, format="json"),
            403,
            "permission_denied",
        )
        assert_error(client.delete(f"{URL}/{invoice.pk}"), 403, "permission_denied")
    assert not DocumentType.objects.filter(name="purchase_order").exists()
    assert DocumentType.objects.get(pk=invoice.pk).label == "Invoice"


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ([{"name": "ref", "label": "Ref", "pattern": "(["}], "pattern"),
        ([{"name": "ref", "label": "Ref", "kind": "text", "min_value": 1}], "min_value"),
        (
            [{"name": "n", "label": "N", "kind": "money", "min_value": 5, "max_value": 1}],
            "max_value",
        ),
        ([{"name": "d", "label": "D", "kind": "text", "not_in_future": True}], "not_in_future"),
        ([{"name": "a", "label": "A"}, {"name": "a", "label": "B"}], "name"),
    ],
)
def test_a_field_clean_refuses_is_a_400_and_nothing_is_stored(
    api_client_for: Clients, admin_user: User, fields: list[dict[str, Any]], where: str
) -> None:
    body = {**PURCHASE_ORDER, "fields": fields}
    error = assert_error(api_client_for(admin_user).post(URL, body, format="json"), 400, "invalid")
    problems = error["details"]["fields"]  # type: ignore[index]
    assert any(where in entry for entry in problems.values())
    assert not DocumentType.objects.filter(name="purchase_order").exists()


def test_bad_bodies_are_400_with_the_failing_attributes(
    api_client_for: Clients, admin_user: User
) -> None:
    client = api_client_for(admin_user)
    error = assert_error(client.post(URL, {"name": "Not a slug!"}, format="json"), 400, "invalid")
    assert isinstance(error["details"], dict) and set(error["details"]) == {"name", "label"}
    error = assert_error(
        client.post(URL, {"name": "invoice", "label": "Again"}, format="json"), 400, "invalid"
    )
    assert "exists" in str(error["details"])
    bad_kind = {**PURCHASE_ORDER, "fields": [{"name": "x", "label": "X", "kind": "colour"}]}
    assert_error(client.post(URL, bad_kind, format="json"), 400, "invalid")
    assert DocumentType.objects.filter(name="invoice").count() == 1


def test_a_write_with_fields_replaces_the_schema_keeping_stored_values(
    api_client_for: Clients, admin_user: User
) -> None:
    client = api_client_for(admin_user)
    created = client.post(URL, PURCHASE_ORDER, format="json").json()
    po_number = FieldDefinition.objects.get(document_type_id=created["id"], name="po_number")
    document = waiting_document("po.png", ["PO 123"])
    FieldValue.objects.create(document=document, field=po_number, value="PO-1", source="rule")
    patch = {
        "label": "Purchase order (PO)",
        "fields": [
            {"name": "po_number", "label": "Order number", "kind": "identifier"},
            {"name": "buyer", "label": "Buyer", "kind": "text"},
            {"name": "amount", "label": "Amount", "kind": "money"},
        ],
    }
    response = client.patch(f"{URL}/{created['id']}", patch, format="json")
    assert response.status_code == 200, response.content
    assert [f["name"] for f in response.json()["fields"]] == ["po_number", "buyer", "amount"]
    po_number.refresh_from_db()  # the same row, changed in place: its value stays
    assert po_number.label == "Order number" and po_number.required  # "required" not sent
    assert FieldValue.objects.get(field=po_number).value == "PO-1"
    assert not FieldDefinition.objects.filter(name="ordered_on").exists()
    # Removing a field that holds a value would lose it: 409, and nothing changes.
    error = assert_error(
        client.put(
            f"{URL}/{created['id']}",
            {"name": "purchase_order", "label": "PO", "fields": [{"name": "buyer", "label": "B"}]},
            format="json",
        ),
        409,
        "field_in_use",
    )
    assert error["details"] == {"fields": ["po_number"]}
    kept = DocumentType.objects.get(pk=created["id"])
    assert kept.label == "Purchase order (PO)" and kept.fields.count() == 3
    # Nor may it change kind: "PO-1" would no longer read as a date.
    schema = cast(list[dict[str, str]], patch["fields"])
    rekinded = [{**field, "kind": "date"} if field["name"] == "po_number" else field
                for field in schema]  # fmt: skip
    error = assert_error(
        client.patch(f"{URL}/{created['id']}", {"fields": rekinded}, format="json"),
        409,
        "field_in_use",
    )
    assert error["details"] == {"fields": ["po_number"]}
    assert FieldDefinition.objects.get(pk=po_number.pk).kind == "identifier"
    # A field without values may.
    rekinded = [{**field, "kind": "percentage"} if field["name"] == "amount" else field
                for field in schema]  # fmt: skip
    assert (
        client.patch(f"{URL}/{created['id']}", {"fields": rekinded}, format="json").status_code
        == 200
    )
    assert FieldDefinition.objects.get(document_type=kept, name="amount").kind == "percentage"


def test_a_known_field_keeps_what_its_object_leaves_out_and_a_new_one_takes_defaults(
    api_client_for: Clients, admin_user: User
) -> None:
    client = api_client_for(admin_user)
    created = client.post(URL, PURCHASE_ORDER, format="json").json()
    fields = [
        {"name": "po_number"},  # nothing but the name: all as it was
        {"name": "amount", "label": "Sum", "required": True},
        {"name": "note", "label": "Note"},
    ]
    response = client.patch(f"{URL}/{created['id']}", {"fields": fields}, format="json")
    assert response.status_code == 200, response.content
    by_name = {f["name"]: f for f in response.json()["fields"]}
    assert by_name["po_number"]["label"] == "PO number" and by_name["po_number"]["required"]
    assert by_name["po_number"]["kind"] == "identifier"
    amount = by_name["amount"]
    assert (amount["label"], amount["kind"], amount["required"]) == ("Sum", "money", True)
    assert (amount["min_value"], amount["max_value"]) == (0, 1000000)
    assert (by_name["note"]["kind"], by_name["note"]["required"]) == ("text", False)
    # A new field still needs its label, and a known one is still checked.
    for bad, where in (
        ([{"name": "po_number"}, {"name": "other"}], "label"),
        ([{"name": "amount", "kind": "colour"}], "kind"),
        ([{"name": {"amount": 1}, "label": "A"}], "name"),  # not a name, nor a crash
    ):
        error = assert_error(
            client.patch(f"{URL}/{created['id']}", {"fields": bad}, format="json"), 400, "invalid"
        )
        problems = cast(dict[str, list[dict[str, Any]]], error["details"])["fields"]
        assert any(where in problem for problem in problems)
    assert [f.name for f in DocumentType.objects.get(pk=created["id"]).fields.all()] == [
        "po_number",
        "amount",
        "note",
    ]


def test_patch_without_fields_leaves_the_schema_and_put_needs_name_and_label(
    api_client_for: Clients, admin_user: User
) -> None:
    client = api_client_for(admin_user)
    invoice = DocumentType.objects.get(name="invoice")
    before = invoice.fields.count()
    response = client.patch(f"{URL}/{invoice.pk}", {"active": False}, format="json")
    assert response.status_code == 200 and response.json()["active"] is False
    assert invoice.fields.count() == before and not DocumentType.objects.get(pk=invoice.pk).active
    error = assert_error(
        client.put(f"{URL}/{invoice.pk}", {"label": "X"}, format="json"), 400, "invalid"
    )
    assert "name" in error["details"]  # type: ignore[operator]
    assert_error(client.patch(f"{URL}/999999", {"label": "X"}, format="json"), 404, "not_found")


def test_deleting_a_type_in_use_is_refused_and_an_unused_one_goes(
    api_client_for: Clients, admin_user: User
) -> None:
    client = api_client_for(admin_user)
    invoice = DocumentType.objects.get(name="invoice")
    document = waiting_document("bill.png", ["INVOICE"])
    Document.objects.filter(pk=document.pk).update(document_type=invoice)
    error = assert_error(client.delete(f"{URL}/{invoice.pk}"), 409, "type_in_use")
    assert error["details"] == {"documents": 1, "labels": 0, "predictions": 0}
    assert DocumentType.objects.filter(pk=invoice.pk).exists()
    created = client.post(URL, PURCHASE_ORDER, format="json").json()
    assert client.delete(f"{URL}/{created['id']}").status_code == 204
    assert not DocumentType.objects.filter(pk=created["id"]).exists()
    assert not FieldDefinition.objects.filter(document_type_id=created["id"]).exists()


def test_a_body_that_is_no_object_is_a_400(api_client_for: Clients, admin_user: User) -> None:
    assert_error(api_client_for(admin_user).post(URL, [1, 2], format="json"), 400, "invalid")
