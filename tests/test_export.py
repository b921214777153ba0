"""The export of documents as CSV, JSON and JSON Lines: each format parses back, the list's
filters and permissions apply, type provenance and fields appear, and it streams in a number of
queries that does not grow with the number of documents."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from classification import export, services
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    FieldValue,
    Label,
    Page,
)
from tests.workbench_documents import review_task, second_opinion, waiting_document

pytestmark = pytest.mark.django_db

INVOICE = ["ACME Trading Ltd", "Invoice No: INV-0042", "Date: 02/01/2024", "Total 120.00 EUR"]
_serial = itertools.count(1)


def _type(name: str) -> DocumentType:
    return DocumentType.objects.get(name=name)


def _document(
    name: str,
    type_name: str | None = None,
    *,
    status: str = Document.Status.CLASSIFIED,
    uploaded_by: User | None = None,
    text: str = "",
    **fields: Any,
) -> Document:
    """A processed document made without the pipeline, with one page of ``text``."""
    sha256 = hashlib.sha256(f"{name}-{next(_serial)}".encode()).hexdigest()
    document = Document.objects.create(
        sha256=sha256,
        original_name=name,
        original_path=f"originals/{sha256}.png",
        mime_type="image/png",
        size_bytes=10,
        page_count=1,
        uploaded_by=uploaded_by,
        status=status,
        document_type=_type(type_name) if type_name else None,
        processed_at=timezone.now(),
        **fields,
    )
    Page.objects.create(
        document=document, number=1, image_path="p.png", thumbnail_path="t.jpg", width=10,
        height=10, text=text,
    )  # fmt: skip
    return document


def _value(
    document: Document,
    name: str,
    value: str,
    source: str = "rule",
    type_name: str | None = None,
    **extra: Any,
) -> None:
    """A stored value of a field of the document's type (or of ``type_name``'s)."""
    document.refresh_from_db()
    document_type = _type(type_name) if type_name else document.document_type
    assert document_type is not None
    FieldValue.objects.update_or_create(
        document=document,
        field=FieldDefinition.objects.get(document_type=document_type, name=name),
        defaults={"value": value, "raw": extra.pop("raw", value), "source": source, **extra},
    )


def _get(client: Client, **params: str) -> StreamingHttpResponse:
    response = client.get(reverse("document_export"), params)
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return response


def _text(response: StreamingHttpResponse) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


def _json_rows(client: Client, **params: str) -> list[dict[str, Any]]:
    return json.loads(_text(_get(client, format="json", **params)))


def _by_name(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {row["original_name"]: row for row in rows}


def _csv_rows(client: Client, **params: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(_get(client, format="csv", **params)))))


# --- Formats ----------------------------------------------------------------------------------


def test_each_format_parses_back_to_the_same_documents_and_fields(client_for, admin_user) -> None:
    invoice = _document("bill.pdf", "invoice", type_confidence=0.991, routing_reason="auto")
    _value(invoice, "total", "120.00", confidence=0.8, page_number=1, bbox=[1, 2, 3, 4])
    _value(invoice, "vendor", "ACME", source="human", raw="ACME Ltd")
    receipt = _document("till.jpg", "receipt")
    _value(receipt, "total", "9.50", confidence=0.6)
    _document("waiting.png", status=Document.Status.NEEDS_REVIEW, type_confidence=0.4)
    client = client_for(admin_user)

    as_json = _json_rows(client)
    lines = _text(_get(client, format="jsonl")).splitlines()
    as_jsonl = [json.loads(line) for line in lines]
    as_csv = _csv_rows(client)

    assert as_json == as_jsonl
    assert [row["original_name"] for row in as_json] == ["waiting.png", "till.jpg", "bill.pdf"]
    bill = _by_name(as_json)["bill.pdf"]
    assert bill["type"] == "invoice" and bill["type_confidence"] == 0.991
    assert bill["sha256"] == invoice.sha256 and bill["page_count"] == 1
    assert bill["uploaded_at"] == invoice.created_at.isoformat()
    assert bill["fields"]["total"] == {
        "value": "120.00",
        "raw": "120.00",
        "confidence": 0.8,
        "source": "rule",
        "page": 1,
        "bbox": [1, 2, 3, 4],
    }
    assert bill["fields"]["vendor"]["raw"] == "ACME Ltd"
    assert bill["fields"]["vendor"]["source"] == "human"
    waiting = _by_name(as_json)["waiting.png"]
    assert waiting["type"] is None and waiting["fields"] == {} and waiting["type_confidence"] == 0.4

    assert [row["original_name"] for row in as_csv] == ["waiting.png", "till.jpg", "bill.pdf"]
    columns = list(as_csv[0])
    assert columns[: len(export.BASE_COLUMNS)] == export.BASE_COLUMNS
    # The union of the two types' fields, ``total`` once.
    assert columns.count("total") == 1 and "invoice_number" in columns and "address" in columns
    rows = _by_name(as_csv)
    assert rows["bill.pdf"]["total"] == "120.00"
    assert rows["bill.pdf"]["total__source"] == "rule"
    assert rows["bill.pdf"]["total__confidence"] == "0.8"
    assert rows["till.jpg"]["total"] == "9.50" and rows["till.jpg"]["vendor"] == ""
    assert rows["waiting.png"]["type"] == "" and rows["waiting.png"]["type_confidence"] == "0.4"


def test_the_response_is_a_streamed_attachment_named_by_format_and_date(
    client_for, admin_user
) -> None:
    client = client_for(admin_user)
    today = timezone.localdate().isoformat()
    for fmt, content_type in [
        ("csv", "text/csv"),
        ("json", "application/json"),
        ("jsonl", "application/x-ndjson"),
    ]:
        response = _get(client, format=fmt)
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"] == (
            f"attachment; filename=docsite-documents-{today}.{fmt}"
        )
    assert _get(client)["Content-Type"].startswith("text/csv")  # the default


def test_an_empty_export_is_still_valid(client_for, admin_user) -> None:
    client = client_for(admin_user)
    assert _json_rows(client) == []
    assert _text(_get(client, format="jsonl")) == ""
    header = _text(_get(client, format="csv")).splitlines()
    assert header == [",".join(export.BASE_COLUMNS)]


def test_an_unknown_format_is_a_400_that_says_which_exist(client_for, admin_user) -> None:
    response = client_for(admin_user).get(reverse("document_export"), {"format": "xlsx"})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "xlsx" in message and "csv, json, jsonl" in message


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ({"status": "claified"}, "status"),
        ({"type": "no_such_type"}, "type"),
        ({"type": "invoice\x00"}, "type"),
        ({"q": "\x00"}, "q"),
    ],
)
def test_a_bad_filter_is_a_400_not_every_document(
    client_for, admin_user, query: dict[str, str], where: str
) -> None:
    _document("kept.png", "invoice")
    response = client_for(admin_user).get(reverse("document_export"), {"format": "csv", **query})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_filter" and list(error["details"]) == [where]
    # The list shows what it understood of the same query, a NUL character included.
    assert client_for(admin_user).get(reverse("documents"), query).status_code == 200


def test_json_stays_one_valid_array_across_chunks() -> None:
    for number in range(5):
        _document(f"doc-{number}.png", "invoice")
    documents = Document.objects.all()
    text = "".join(export.stream(documents, "json", chunk_size=2))
    assert [row["original_name"] for row in json.loads(text)] == [
        f"doc-{number}.png" for number in reversed(range(5))
    ]
    # A sliced queryset (an API's page) exports too, field columns included.
    sliced = list(csv.DictReader(io.StringIO("".join(export.stream(documents[:2], "csv")))))
    assert [row["original_name"] for row in sliced] == ["doc-4.png", "doc-3.png"]
    assert "invoice_number" in sliced[0]
    lines = "".join(export.stream(documents, "jsonl", chunk_size=2)).splitlines()
    assert len(lines) == 5
    assert (
        len(list(csv.reader(io.StringIO("".join(export.stream(documents, "csv", chunk_size=2))))))
        == 6
    )


# --- What a row says --------------------------------------------------------------------------


def test_provenance_says_how_the_type_was_decided(admin_user) -> None:
    labeled = _document("labeled.png", status=Document.Status.NEEDS_REVIEW)
    services.assign_type(labeled, _type("invoice"), admin_user)
    auto = _document("auto.png", "receipt", type_confidence=0.99)
    Label.objects.create(
        document=auto, document_type=_type("receipt"), provenance="auto", confidence=0.99
    )
    pseudo = _document("pseudo.png", status=Document.Status.NEEDS_REVIEW)
    Label.objects.create(
        document=pseudo, document_type=_type("invoice"), provenance="pseudo", confidence=0.97
    )
    _document("nothing.png", status=Document.Status.NEEDS_REVIEW)
    # An auto label left from before a person labeled it: the person decided.
    relabeled = _document("relabeled.png", "receipt")
    Label.objects.create(document=relabeled, document_type=_type("receipt"), provenance="auto")
    services.assign_type(relabeled, _type("invoice"), admin_user)

    rows = _by_name(export.rows(Document.objects.all()))
    provenance = {name: (row["type"], row["type_provenance"]) for name, row in rows.items()}
    assert provenance == {
        "labeled.png": ("invoice", "human"),
        "auto.png": ("receipt", "auto"),
        "pseudo.png": (None, "pseudo"),
        "nothing.png": (None, "none"),
        "relabeled.png": ("invoice", "human"),
    }
    assert rows["labeled.png"]["routing_reason"] == "labeled by a person"


def test_a_persons_value_beats_the_rule_value_and_other_types_values_stay_out(labeler) -> None:
    document = waiting_document("inv.png", INVOICE)
    invoice = _type("invoice")
    label = services.assign_type(document, invoice, labeler)
    total = FieldDefinition.objects.get(document_type=invoice, name="total")
    assert FieldValue.objects.get(document=document, field=total).source == "rule"
    services.correct_fields(document, label, labeler, {total: services.FieldInput("121.00")})

    fields = next(export.rows(Document.objects.all()))["fields"]
    assert fields["total"]["value"] == "121.00" and fields["total"]["source"] == "human"
    assert fields["invoice_number"] == {
        **fields["invoice_number"],
        "value": "INV-0042",
        "source": "rule",
    }
    assert fields["invoice_number"]["page"] == 1 and fields["invoice_number"]["bbox"]

    # Relabeled as a receipt: the person's invoice total is kept in the database but is not
    # a receipt's field.
    services.assign_type(document, _type("receipt"), labeler)
    fields = next(export.rows(Document.objects.all()))["fields"]
    assert "invoice_number" not in fields
    assert "total" not in fields or fields["total"]["value"] != "121.00"


def test_a_document_sent_to_review_by_its_fields_exports_them(client_for, admin_user) -> None:
    # A confident receipt whose date failed validation: no type in force, its values kept.
    document = _document("review.png", status=Document.Status.NEEDS_REVIEW)
    _value(document, "date", "2999-01-01", type_name="receipt")
    _value(document, "total", "9.90", type_name="receipt")
    mixed = _document("mixed.png", status=Document.Status.NEEDS_REVIEW)
    _value(mixed, "total", "1.00", type_name="receipt")
    _value(mixed, "invoice_number", "INV-1", type_name="invoice")
    rows = _by_name(export.rows(Document.objects.all()))
    assert rows["review.png"]["type"] is None
    assert {k: v["value"] for k, v in rows["review.png"]["fields"].items()} == {
        "date": "2999-01-01",
        "total": "9.90",
    }
    assert rows["mixed.png"]["fields"] == {}  # values of two types: neither is its own
    csv_rows = {r["original_name"]: r for r in _csv_rows(client_for(admin_user))}
    assert csv_rows["review.png"]["date"] == "2999-01-01"
    assert csv_rows["mixed.png"]["total"] == ""


def test_csv_cells_that_start_like_a_formula_are_escaped(client_for, admin_user) -> None:
    document = _document('=HYPERLINK("http://evil","x").png', "invoice")
    _value(document, "vendor", "@SUM(A1:A9)", source="human")
    _value(document, "invoice_number", "+1+1")
    _value(document, "total", "-12.50")
    _value(document, "tax", "-1+cmd|' /C calc'!A0")
    row = _csv_rows(client_for(admin_user))[0]
    assert row["original_name"] == '\'=HYPERLINK("http://evil","x").png'
    assert row["vendor"] == "'@SUM(A1:A9)"
    assert row["invoice_number"] == "'+1+1"
    assert row["tax"] == "'-1+cmd|' /C calc'!A0"
    assert row["total"] == "-12.50"  # a plain negative amount is not a formula
    # JSON carries the values as they are.
    assert _json_rows(client_for(admin_user))[0]["fields"]["vendor"]["value"] == "@SUM(A1:A9)"


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-", "'-"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("-3", "-3"),
        ("+3.25", "+3.25"),
        ("a=b", "a=b"),
        ("", ""),
        (0.5, 0.5),
    ],
)
def test_safe_cell(value: object, safe: object) -> None:
    assert export.safe_cell(value) == safe


def test_a_field_named_like_a_base_column_gets_its_own_column() -> None:
    assert export.csv_columns(["status", "total"])[len(export.BASE_COLUMNS) :] == [
        "status__value",
        "status__source",
        "status__confidence",
        "total",
        "total__source",
        "total__confidence",
    ]


# --- Filters and who sees what ----------------------------------------------------------------


def test_the_lists_filters_apply(client_for, admin_user) -> None:
    _document("zebra.png", "invoice", text="ZEBRA CROSSING")
    _document("lion.png", "receipt", text="LION")
    _document("waiting.png", status=Document.Status.NEEDS_REVIEW, text="ZEBRA")
    client = client_for(admin_user)

    def names(**params: str) -> set[str]:
        return {row["original_name"] for row in _json_rows(client, **params)}

    assert names() == {"zebra.png", "lion.png", "waiting.png"}
    assert names(type="invoice") == {"zebra.png"}
    assert names(type="none") == {"waiting.png"}
    assert names(status="needs_review") == {"waiting.png"}
    assert names(q="zebra") == {"zebra.png", "waiting.png"}
    assert names(q="zebra", status="classified") == {"zebra.png"}
    assert {row["original_name"] for row in _csv_rows(client, type="receipt")} == {"lion.png"}
    # The CSV's field columns are those of the types in the filtered export.
    assert "invoice_number" not in _csv_rows(client, type="receipt")[0]


def test_the_list_links_to_the_export_with_its_filters(client_for, admin_user) -> None:
    page = client_for(admin_user).get(reverse("documents"), {"type": "invoice", "q": "a b"})
    html = page.content.decode()
    url = reverse("document_export")
    for fmt in ("csv", "json", "jsonl"):
        assert f'href="{url}?format={fmt}&amp;type=invoice&amp;q=a+b"' in html


def test_anonymous_people_are_sent_to_log_in(client) -> None:
    _document("secret.png", "invoice")
    response = client.get(reverse("document_export"), {"format": "json"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_each_person_exports_only_what_they_may_see(
    client_for, uploader, other_uploader, labeler, outsider
) -> None:
    _document("mine.png", "invoice", uploaded_by=uploader)
    _document("theirs.png", "invoice", uploaded_by=other_uploader)
    queued = review_task("queued.png", uploaded_by=other_uploader).document

    def names(user: User) -> set[str]:
        return {row["original_name"] for row in _json_rows(client_for(user))}

    assert names(uploader) == {"mine.png"}
    assert names(other_uploader) == {"theirs.png", "queued.png"}
    # A labeler sees the queue's documents only.
    assert names(labeler) == {queued.original_name}
    assert names(outsider) == set()
    assert [row["original_name"] for row in _csv_rows(client_for(labeler))] == ["queued.png"]


def test_a_labeler_holding_a_blind_check_sees_nothing_of_its_type(
    client_for, labeler, second_labeler, admin_user
) -> None:
    document = second_opinion(labeler, second_labeler, "blind.png", "invoice").document
    _value(document, "vendor", "ACME", source="human")

    blind = _by_name(_json_rows(client_for(second_labeler)))["blind.png"]
    assert blind["type"] is None and blind["type_confidence"] is None
    assert blind["type_provenance"] == "hidden" and blind["fields"] == {}
    assert blind["routing_reason"] == ""
    csv_row = _csv_rows(client_for(second_labeler))[0]
    assert csv_row["type"] == "" and csv_row["type_provenance"] == "hidden"
    assert csv_row.get("vendor", "") == ""
    # The labeler who labeled it, and an admin, see it.
    for user in (labeler, admin_user):
        row = _by_name(_json_rows(client_for(user)))["blind.png"]
        assert row["type"] == "invoice" and row["type_provenance"] == "human"
        assert row["fields"]["vendor"]["value"] == "ACME"


# --- Cost -------------------------------------------------------------------------------------


def _queries_of_export(client: Client, fmt: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        _text(_get(client, format=fmt))
    return len(queries.captured_queries)


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
@pytest.mark.parametrize("persona", ["admin_user", "uploader"])
def test_the_number_of_queries_does_not_grow_with_the_documents(
    request, client_for, fmt: str, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)

    def add(count: int) -> None:
        for number in range(count):
            document = _document(f"d{number}.png", "invoice", uploaded_by=user)
            _value(document, "total", "1.00")
            _value(document, "vendor", "V", source="human")
            Label.objects.create(
                document=document, document_type=_type("invoice"), provenance="auto"
            )

    add(2)
    few = _queries_of_export(client, fmt)
    add(40)
    assert _queries_of_export(client, fmt) == few
    assert len(_json_rows(client)) == 42


def test_documents_are_read_a_chunk_at_a_time(django_assert_max_num_queries) -> None:
    for number in range(10):
        _value(_document(f"d{number}.png", "invoice"), "total", "1.00")
    # The field names, the documents, then two queries per chunk of 3 (4 chunks).
    with django_assert_max_num_queries(1 + 1 + 2 * 4):
        text = "".join(export.stream(Document.objects.all(), "csv", chunk_size=3))
    assert len(text.splitlines()) == 11
