"""The workbench page: what it shows for each kind of task, submitting a label with fields,
every refused submission, and who may see which task and document."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from classification import featurestore, fieldstore, services
from classification.models import (
    Document,
    DocumentType,
    FieldCorrection,
    FieldDefinition,
    FieldValue,
    Label,
    Prediction,
)
from docsite import roles
from labeling import queue, workbench
from labeling.models import Task
from tests.workbench_documents import review_task, second_opinion, waiting_document

pytestmark = pytest.mark.django_db


def _type(name: str) -> DocumentType:
    return DocumentType.objects.get(name=name)


def _held(user: User, name: str = "bill.png", *pages: list[str]) -> Task:
    task = review_task(name, *pages)
    claimed = queue.claim_next(user)
    assert claimed is not None and claimed.pk == task.pk
    return claimed


def _predict(document: Document, probabilities: dict[str, float]) -> None:
    best = max(probabilities, key=lambda name: probabilities[name])
    Prediction.objects.create(
        document=document,
        document_type=_type(best),
        confidence=probabilities[best],
        probabilities=probabilities,
    )


def _submit(client, task: Task, **data: str):
    return client.post(reverse("task_submit", args=[task.pk]), data)


# --- The page -------------------------------------------------------------------------------


def test_the_workbench_shows_the_page_words_types_and_keyboard_help(client_for, labeler) -> None:
    task = _held(labeler, "two-pages.png", ["INVOICE 4711", "ACME Ltd"], ["Page two"])
    response = client_for(labeler).get(reverse("task", args=[task.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<figure class="wb-page') == 2
    assert reverse("page_image", args=[task.document_id, 2]) in html
    assert 'data-text="ACME"' in html and 'data-text="two"' in html
    types = response.context["types"]
    assert [c.key for c in types[:9]] == list(range(1, 10))
    assert all(c.key is None for c in types[9:])
    assert 'aria-label="Filter types"' in html and 'aria-label="Zoom in"' in html
    assert "<kbd>Esc</kbd> skip" in html
    assert 'action="' + reverse("task_submit", args=[task.pk]) + '"' in html
    for value, _label in (("unreadable", ""), ("no_type", "")):
        assert f'name="reason" value="{value}"' in html


def test_suggestions_come_first_with_their_probabilities(client_for, labeler) -> None:
    task = _held(labeler)
    _predict(task.document, {"receipt": 0.2, "invoice": 0.7, "letter": 0.06, "contract": 0.04})
    response = client_for(labeler).get(reverse("task", args=[task.pk]))
    types = response.context["types"]
    assert [c.document_type.name for c in types[:3]] == ["invoice", "receipt", "letter"]
    assert [c.probability for c in types[:3]] == [0.7, 0.2, 0.06]
    assert types[3].probability is None
    html = response.content.decode()
    invoice = _type("invoice").pk
    assert f'aria-describedby="wb-prob-{invoice}"' in html and ">70%<" in html


def test_the_fields_panel_shows_extracted_values_with_confidence_and_box(
    client_for, labeler
) -> None:
    task = _held(labeler)
    vendor = FieldDefinition.objects.get(document_type__name="invoice", name="vendor")
    FieldValue.objects.create(
        document=task.document,
        field=vendor,
        value="ACME Ltd",
        page_number=1,
        bbox=[60, 110, 200, 140],
        confidence=0.87,
        source=FieldValue.Source.RULE,
    )
    response = client_for(labeler).get(reverse("task", args=[task.pk]))
    invoice = next(c for c in response.context["types"] if c.document_type.name == "invoice")
    row = next(f for f in invoice.fields if f.definition.name == "vendor")
    assert (row.value, row.page, json.loads(row.bbox), row.confidence) == (
        "ACME Ltd",
        1,
        [60, 110, 200, 140],
        0.87,
    )
    html = response.content.decode()
    assert "extracted, confidence 87%" in html
    assert 'name="field-vendor-bbox" value="[60, 110, 200, 140]"' in html


def test_a_quality_check_shows_nothing_of_the_accepted_type(client_for, labeler) -> None:
    document = waiting_document("accepted.png", ["RECEIPT", "Cash 12.50"])
    receipt = _type("receipt")
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.CLASSIFIED, document_type=receipt, type_confidence=0.99
    )
    _predict(document, {"receipt": 0.99, "invoice": 0.01})
    Task.objects.create(document=document, kind=Task.Kind.QA, priority=3, reference_type=receipt)
    task = queue.claim_next(labeler)
    assert task is not None and task.kind == Task.Kind.QA
    response = client_for(labeler).get(reverse("task", args=[task.pk]))
    html = response.content.decode()
    assert "Quality check" in html
    assert all(c.probability is None for c in response.context["types"])
    assert "99%" not in html and "wb-prob" not in html and "Why:" not in html
    assert not re.search(r'name="document_type"[^>]*checked', html)


def test_a_second_opinion_never_shows_the_first_label(client_for, labeler, second_labeler) -> None:
    task = second_opinion(labeler, second_labeler, "first.png", "contract")
    html = client_for(second_labeler).get(reverse("task", args=[task.pk])).content.decode()
    assert "Second opinion" in html
    assert "lena-labeler" not in html and "labeled by" not in html.lower()
    assert 'class="wb-type chosen' not in html and "wb-fields" not in html
    assert "records only the type" in html


def test_the_document_page_hides_the_first_label_from_the_second_labeler(
    client_for, labeler, second_labeler, admin_user
) -> None:
    document = second_opinion(labeler, second_labeler, "blind.png", "contract").document
    page = client_for(second_labeler).get(reverse("document", args=[document.pk]))
    assert page.status_code == 200 and page.context["blind"] is True
    assert "Contract" not in page.content.decode() and "lena-labeler" not in page.content.decode()
    # The first labeler and admins still see it.
    for user in (labeler, admin_user):
        assert "Contract" in client_for(user).get(reverse("document", args=[document.pk])).text


def test_why_shows_the_most_similar_labeled_documents_as_thumbnails(
    client_for, labeler, admin_user
) -> None:
    alike = waiting_document("alike.png", ["INVOICE 4711", "ACME Ltd", "Total 99.00"])
    other = waiting_document("other.png", ["Dear Sir", "kind regards", "yours"])
    services.assign_type(alike, _type("invoice"), admin_user)
    services.assign_type(other, _type("letter"), admin_user)
    task = _held(labeler, "new.png", ["INVOICE 4712", "ACME Ltd", "Total 98.00"])
    featurestore.documents_features([alike, other, task.document], with_embedding=False)
    response = client_for(labeler).get(reverse("task", args=[task.pk]))
    similar = response.context["similar"]
    assert [s.document.pk for s in similar] == [alike.pk, other.pk]
    assert similar[0].type_label == "Invoice"
    # The thumbnail works for the labeler holding the task though the document is not theirs.
    client = client_for(labeler)
    assert client.get(reverse("document", args=[alike.pk])).status_code == 404
    thumbnail = client.get(similar[0].thumbnail_url)
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    # The link is tied to the task: another task id, or a forged token, gets nothing.
    token = similar[0].thumbnail_url.rstrip("/").rsplit("/", 1)[1]
    other_task = review_task("another.png")
    assert client.get(reverse("similar_thumbnail", args=[other_task.pk, token])).status_code == 404
    forged = workbench.thumbnail_url(other_task, alike).rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("similar_thumbnail", args=[task.pk, forged])).status_code == 404


def test_why_says_so_when_nothing_is_labeled_yet(client_for, labeler) -> None:
    task = _held(labeler)
    html = client_for(labeler).get(reverse("task", args=[task.pk])).content.decode()
    assert "No similar labeled documents yet." in html


def test_the_header_counts_today_the_queue_and_the_time_left(client_for, labeler) -> None:
    task = _held(labeler)
    for _ in range(3):
        review_task("waiting.png")
    done = waiting_document("done.png", ["X"])
    for seconds in (10.0, 30.0, 50.0):
        label = services.assign_type(done, _type("letter"), labeler, seconds_spent=seconds)
    Label.objects.filter(pk=label.pk).update(created_at=timezone.now() - timedelta(days=2))
    header = client_for(labeler).get(reverse("task", args=[task.pk])).context["header"]
    assert header.labeled_today == 2
    assert header.queue_length == 4
    assert header.seconds_per_document == 30.0
    assert header.time_left == "about 2 min"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "nothing left"),
        (20, "under a minute"),
        (300, "about 5 min"),
        (3600, "about 1 h"),
        (7800, "about 2 h 10 min"),
    ],
)
def test_time_left_reads_as_words(seconds: float, words: str) -> None:
    assert workbench.duration(seconds) == words


def test_a_new_labeler_gets_the_default_pace(labeler) -> None:
    review_task("a.png")
    assert workbench.header(labeler).seconds_per_document == workbench.DEFAULT_SECONDS


# --- Submitting -----------------------------------------------------------------------------


def test_submitting_stores_the_label_fields_and_timing_and_opens_the_next(
    client_for, labeler
) -> None:
    task = _held(labeler)
    following = review_task("next.png")
    invoice = _type("invoice")
    response = _submit(
        client_for(labeler),
        task,
        document_type=str(invoice.pk),
        **{
            "field-vendor": "ACME",
            "field-vendor-page": "1",
            "field-vendor-bbox": "[60, 110, 140, 140]",
            "field-invoice_number": "4711",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("task", args=[following.pk])
    label = Label.objects.get(document=task.document)
    assert (label.provenance, label.labeled_by, label.document_type) == ("human", labeler, invoice)
    assert label.seconds_spent is not None and label.seconds_spent >= 0
    # The label stored what the rules read ("ACME Ltd", "4711", "99.00"); the person changed
    # the vendor (a correction, with the picked words' box) and kept the number (no record).
    value = FieldValue.objects.get(document=task.document, field__name="vendor")
    assert (value.value, value.page_number, value.bbox, value.source) == (
        "ACME",
        1,
        [60.0, 110.0, 140.0, 140.0],
        "human",
    )
    kept = FieldValue.objects.get(document=task.document, field__name="invoice_number")
    assert (kept.value, kept.source) == ("4711", "rule")
    correction = FieldCorrection.objects.get(label=label)
    assert (correction.field.name, correction.before, correction.after) == (
        "vendor",
        "ACME Ltd",
        "ACME",
    )
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.label == label
    following.refresh_from_db()
    assert following.claimed_by == labeler


def test_a_suggested_value_sent_back_as_it_was_stays_the_rules(client_for, labeler) -> None:
    task = _held(labeler, "bill.png", ["INVOICE 4711", "ACME Ltd", "Total 99.00"])
    client = client_for(labeler)
    response = client.get(reverse("task", args=[task.pk]))
    invoice = next(c for c in response.context["types"] if c.document_type.name == "invoice")
    rows = {f.definition.name: f for f in invoice.fields if f.value}
    assert rows["total"].value == "99.00" and rows["total"].source == "extracted"
    assert f'name="suggested-total" value="{escape(rows["total"].suggested)}"' in response.text
    data = {"document_type": str(invoice.document_type.pk)}
    for name, row in rows.items():
        data |= {
            f"field-{name}": row.value,
            f"field-{name}-page": str(row.page or ""),
            f"field-{name}-bbox": row.bbox,
            f"suggested-{name}": row.suggested,
        }
    data["field-vendor"] = "ACME Limited"  # typed over the suggestion
    # The extraction the label starts reads the page otherwise than the suggestion did (the
    # second OCR reading of a scan).
    page = task.document.pages.get(number=1)
    page.ocr_words = [{**w, "text": "98.00" if w["text"] == "99.00" else w["text"]}
                      for w in page.ocr_words]  # fmt: skip
    page.save(update_fields=["ocr_words"])
    assert client.post(reverse("task_submit", args=[task.pk]), data).status_code == 302
    stored = {
        v.field.name: (v.value, v.source) for v in FieldValue.objects.filter(document=task.document)
    }
    assert stored["total"] == ("98.00", "rule")  # not the suggestion, as the labeler's
    assert stored["vendor"] == ("ACME Limited", "human")
    assert list(FieldCorrection.objects.values_list("field__name", flat=True)) == ["vendor"]


def test_typed_values_are_stored_as_the_rules_store_theirs(client_for, labeler) -> None:
    task = _held(labeler)
    invoice = _type("invoice")
    data = {"field-date": "25/12/2018", "field-total": "99", "field-currency": "€"}
    response = _submit(client_for(labeler), task, document_type=str(invoice.pk), **data)
    assert response.status_code == 302
    stored = {
        v.field.name: (v.value, v.raw, v.source)
        for v in FieldValue.objects.filter(document=task.document)
    }
    assert stored["date"] == ("2018-12-25", "25/12/2018", "human")
    assert stored["currency"] == ("EUR", "€", "human")
    # "99" is the rules' 99.00 written otherwise: nothing changed, nothing corrected.
    assert stored["total"][0::2] == ("99.00", "rule")
    corrected = FieldCorrection.objects.values_list("field__name", "after")
    assert sorted(corrected) == [("currency", "EUR"), ("date", "2018-12-25")]


def test_the_last_label_goes_back_to_the_queue(client_for, labeler) -> None:
    task = _held(labeler)
    client = client_for(labeler)
    response = _submit(client, task, document_type=str(_type("letter").pk))
    assert response.url == reverse("queue")
    assert "Nothing left to label" in client.get(response.url).content.decode()


def test_the_submit_path_counts_nothing(client_for, labeler) -> None:
    """Labeling must stay fast with a long queue: the POST never counts the tasks."""
    task = _held(labeler)
    review_task("next.png")
    client = client_for(labeler)
    with CaptureQueriesContext(connection) as queries:
        response = _submit(client, task, document_type=str(_type("letter").pk))
    assert response.status_code == 302
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if Task._meta.db_table in sql]


INVALID = [
    ({"document_type": ""}, "Choose one of the document types"),
    ({"document_type": "abc"}, "Choose one of the document types"),
    ({"document_type": "999999"}, "Choose one of the document types"),
    ({"document_type": "-1"}, "Choose one of the document types"),
    ({"field-vendor": "X", "field-vendor-page": "7"}, "page 7 is not a page"),
    ({"field-vendor": "X", "field-vendor-page": "one"}, "page one is not a page"),
    ({"field-vendor": "X", "field-vendor-page": "1", "field-vendor-bbox": "nonsense"}, "the box"),
    ({"field-vendor": "X", "field-vendor-page": "1", "field-vendor-bbox": "[1, 2, 3]"}, "the box"),
    (
        {"field-vendor": "X", "field-vendor-page": "1", "field-vendor-bbox": "[0, 0, 9999, 9]"},
        "the box",
    ),
    (
        {"field-vendor": "X", "field-vendor-page": "1", "field-vendor-bbox": "[50, 0, 10, 9]"},
        "the box",
    ),
    (
        {"field-vendor": "X", "field-vendor-page": "1", "field-vendor-bbox": '[0, 0, "a", 9]'},
        "the box",
    ),
    ({"field-vendor": "X", "field-vendor-bbox": "[0, 0, 10, 9]"}, "needs the page"),
    ({"field-vendor": "x" * 1001}, "at most 1000 characters"),
]


@pytest.mark.parametrize(("data", "error"), INVALID)
def test_a_refused_submission_is_a_400_that_stores_nothing(
    client_for, labeler, data: dict[str, str], error: str
) -> None:
    task = _held(labeler)
    posted = {"document_type": str(_type("invoice").pk), **data}
    response = _submit(client_for(labeler), task, **posted)
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'role="alert"' in html
    assert not Label.objects.exists() and not FieldValue.objects.exists()
    task.refresh_from_db()
    assert task.state == Task.State.OPEN and task.claimed_by == labeler
    # What the labeler typed is still there.
    if "field-vendor" in data and posted["document_type"] == str(_type("invoice").pk):
        assert response.context["chosen"] == _type("invoice").pk


def test_a_refused_form_notes_what_the_labeler_did_to_each_value(client_for, labeler) -> None:
    task = _held(labeler, "bill.png", ["ACME Trading Ltd", "Invoice No: INV-0042", "Total 9.00"])
    posted = {
        "document_type": str(_type("invoice").pk),
        "field-vendor": "PO-77",
        "field-vendor-page": "1",
        "field-vendor-bbox": "[60, 130, 120, 150]",
        "field-date": "31/02/2024",  # refused: no such day
        "field-invoice_number": "",
    }
    response = _submit(client_for(labeler), task, **posted)
    assert response.status_code == 400
    rows = {
        row.definition.name: row
        for choice in response.context["types"]
        if choice.document_type.name == "invoice"
        for row in choice.fields
    }
    assert (rows["vendor"].source, rows["vendor"].confidence) == ("picked by you on page 1", None)
    assert rows["date"].source == "typed by you"
    assert rows["invoice_number"].source == "emptied by you"
    assert rows["total"].source == "extracted"  # not sent: as it was shown


def test_an_inactive_type_cannot_be_chosen(client_for, labeler) -> None:
    task = _held(labeler)
    retired = DocumentType.objects.create(name="fax", label="Fax", active=False)
    response = _submit(client_for(labeler), task, document_type=str(retired.pk))
    assert response.status_code == 400 and "Fax is not an active type" in response.content.decode()
    assert not Label.objects.exists()


def test_a_field_that_breaks_its_pattern_is_refused(client_for, labeler) -> None:
    task = _held(labeler)
    FieldDefinition.objects.filter(document_type__name="invoice", name="invoice_number").update(
        pattern=r"[0-9]+"
    )
    invoice = str(_type("invoice").pk)
    client = client_for(labeler)
    refused = _submit(client, task, document_type=invoice, **{"field-invoice_number": "INV-x"})
    assert refused.status_code == 400 and "is not in the expected form" in refused.content.decode()
    assert 'value="INV-x"' in refused.content.decode()  # kept for correcting
    assert not Label.objects.exists()
    accepted = _submit(client, task, document_type=invoice, **{"field-invoice_number": "4711"})
    assert accepted.status_code == 302
    assert FieldValue.objects.get(field__name="invoice_number").value == "4711"


def test_a_pattern_checks_the_value_as_it_will_be_stored(client_for, labeler) -> None:
    # A date's pattern is one for the stored form (2018-03-05), as validation checks stored
    # values: a date typed in another form that reads as it passes, one in that form does not.
    FieldDefinition.objects.filter(document_type__name="invoice", name="date").update(
        pattern=r"\d{4}-\d{2}-\d{2}"
    )
    invoice = str(_type("invoice").pk)
    task = _held(labeler)
    accepted = _submit(
        client_for(labeler), task, document_type=invoice, **{"field-date": "05/03/2018"}
    )
    assert accepted.status_code == 302
    stored = FieldValue.objects.get(field__name="date")
    assert (stored.value, stored.raw) == ("2018-03-05", "05/03/2018")
    assert fieldstore.problems(task.document) == []
    FieldDefinition.objects.filter(document_type__name="invoice", name="date").update(
        pattern=r"\d{2}/\d{2}/\d{4}"
    )
    other = _held(labeler, "other.png")
    refused = _submit(
        client_for(labeler), other, document_type=invoice, **{"field-date": "06/03/2018"}
    )
    assert refused.status_code == 400 and "is not in the expected form" in refused.text


def test_fields_of_another_type_are_ignored(client_for, labeler) -> None:
    task = _held(labeler)
    response = _submit(
        client_for(labeler),
        task,
        document_type=str(_type("letter").pk),
        **{"field-vendor": "ACME"},
    )
    assert response.status_code == 302
    assert Label.objects.get().document_type.name == "letter"
    assert not FieldValue.objects.exists()


def test_a_second_opinion_stores_only_the_type(client_for, labeler, second_labeler) -> None:
    task = second_opinion(labeler, second_labeler, "first.png", "invoice")
    document = task.document
    response = _submit(
        client_for(second_labeler),
        task,
        document_type=str(_type("invoice").pk),
        **{"field-vendor": "X", "field-vendor-page": "9"},
    )
    assert response.status_code == 302
    second = Label.objects.get(document=document, labeled_by=second_labeler)
    assert second.second_opinion
    assert not FieldValue.objects.filter(source=FieldValue.Source.HUMAN).exists()


def test_another_labelers_task_is_a_404_and_cannot_be_submitted(
    client_for, labeler, second_labeler
) -> None:
    task = _held(labeler)
    client = client_for(second_labeler)
    assert client.get(reverse("task", args=[task.pk])).status_code == 404
    response = _submit(client, task, document_type=str(_type("invoice").pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert "not yours to label" in html and "bill.png" not in html and "ACME" not in html
    assert client.post(reverse("task_skip", args=[task.pk])).status_code == 400
    assert client.post(reverse("task_release", args=[task.pk])).status_code == 400
    assert not Label.objects.exists()
    task.refresh_from_db()
    assert task.claimed_by == labeler and not task.skips.exists()


def test_a_finished_task_cannot_be_submitted_again(client_for, labeler) -> None:
    task = _held(labeler)
    client = client_for(labeler)
    letter = str(_type("letter").pk)
    assert _submit(client, task, document_type=letter).status_code == 302
    again = _submit(client, task, document_type=letter)
    assert again.status_code == 400 and "no longer in the queue" in again.content.decode()
    assert Label.objects.count() == 1
    assert client.get(reverse("task", args=[task.pk])).status_code == 404


def test_a_missing_task_is_a_404(client_for, labeler) -> None:
    assert client_for(labeler).get(reverse("task", args=[999999])).status_code == 404
    assert _submit(client_for(labeler), Task(pk=999999), document_type="1").status_code == 404


def test_an_admin_sees_a_held_task_read_only(client_for, labeler, admin_user) -> None:
    task = _held(labeler)
    response = client_for(admin_user).get(reverse("task", args=[task.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and response.context["readonly"]
    assert "Read only: held by lena-labeler" in html
    assert 'id="wb-save"' not in html and 'id="wb-skip-form"' not in html


@pytest.mark.parametrize("role", ["uploader", "outsider"])
def test_people_without_the_labeler_role_cannot_label(
    client_for, labeler, role: str, request: pytest.FixtureRequest
) -> None:
    task = _held(labeler)
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("task", args=[task.pk])).status_code == 403
    assert _submit(client, task, document_type=str(_type("invoice").pk)).status_code == 403
    assert client.post(reverse("queue_next")).status_code == 403
    assert not Label.objects.exists()


def test_an_uploader_who_is_also_a_labeler_can_label(client_for, uploader) -> None:
    uploader.groups.add(Group.objects.get_or_create(name=roles.LABELER)[0])
    task = review_task("mine.png")
    client = client_for(uploader)
    assert client.post(reverse("queue_next")).url == reverse("task", args=[task.pk])
    assert _submit(client, task, document_type=str(_type("letter").pk)).status_code == 302
    assert Label.objects.get().labeled_by == uploader


def test_anonymous_visitors_are_sent_to_log_in(client) -> None:
    task = review_task("a.png")
    response = client.get(reverse("task", args=[task.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Which documents a labeler sees ---------------------------------------------------------


def test_a_labeler_sees_only_documents_in_the_queue(
    client_for, labeler, second_labeler, uploader
) -> None:
    waiting = review_task("waiting.png").document
    outside = waiting_document("outside.png", ["PRIVATE"], uploaded_by=uploader)
    Task.objects.filter(document=outside).delete()
    check = waiting_document("check.png", ["CHECK"])
    Task.objects.create(document=check, kind=Task.Kind.QA, priority=3)
    client = client_for(labeler)
    listing = client.get(reverse("documents")).content.decode()
    assert "waiting.png" in listing
    assert "outside.png" not in listing and "check.png" not in listing
    assert client.get(reverse("document", args=[waiting.pk])).status_code == 200
    for hidden in (outside, check):
        assert client.get(reverse("document", args=[hidden.pk])).status_code == 404
        assert client.get(reverse("page_image", args=[hidden.pk, 1])).status_code == 404
    # The uploader still sees their document; an admin sees all.
    assert client_for(uploader).get(reverse("document", args=[outside.pk])).status_code == 200


def test_a_labeler_sees_what_they_hold_and_what_they_labeled(
    client_for, labeler, admin_user
) -> None:
    check = waiting_document("check.png", ["CHECK"])
    Task.objects.create(document=check, kind=Task.Kind.QA, priority=3)
    client = client_for(labeler)
    assert client.get(reverse("document", args=[check.pk])).status_code == 404
    task = queue.claim_next(labeler)
    assert task is not None and task.document_id == check.pk
    assert client.get(reverse("page_image", args=[check.pk, 1])).status_code == 200
    labeled = waiting_document("labeled.png", ["OLD"])
    services.assign_type(labeled, _type("letter"), labeler)
    assert client.get(reverse("document", args=[labeled.pk])).status_code == 200
    someone_elses = waiting_document("theirs.png", ["THEIRS"])
    services.assign_type(someone_elses, _type("letter"), admin_user)
    assert client.get(reverse("document", args=[someone_elses.pk])).status_code == 404


def test_an_uploader_and_labeler_sees_their_uploads_and_the_queue(client_for, uploader) -> None:
    uploader.groups.add(Group.objects.get_or_create(name=roles.LABELER)[0])
    mine = waiting_document("mine.png", ["MINE"], uploaded_by=uploader)
    Task.objects.filter(document=mine).delete()
    queued = review_task("queued.png").document
    private = waiting_document("private.png", ["PRIVATE"])
    client = client_for(uploader)
    assert client.get(reverse("document", args=[mine.pk])).status_code == 200
    assert client.get(reverse("document", args=[queued.pk])).status_code == 200
    assert client.get(reverse("document", args=[private.pk])).status_code == 404


def test_the_old_review_address_leads_to_the_workbench_or_the_queue(client_for, labeler) -> None:
    task = _held(labeler)
    client = client_for(labeler)
    response = client.get(reverse("review", args=[task.document_id]))
    assert response.url == reverse("task", args=[task.pk])
    other = review_task("other.png")
    assert client.get(reverse("review", args=[other.document_id])).url == reverse("queue")


def test_label_it_now_claims_that_document_and_frees_the_one_held(
    client_for, labeler, second_labeler
) -> None:
    first = _held(labeler)
    wanted = review_task("wanted.png")
    client = client_for(labeler)
    page = client.get(reverse("document", args=[wanted.document_id])).text
    assert reverse("review", args=[wanted.document_id]) in page and "Label it now" in page
    response = client.post(reverse("review", args=[wanted.document_id]))
    assert response.url == reverse("task", args=[wanted.pk])
    wanted.refresh_from_db()
    first.refresh_from_db()
    assert wanted.claimed_by == labeler and first.claimed_by is None
    # Held by someone else now: the other labeler is sent to the queue.
    refused = client_for(second_labeler).post(reverse("review", args=[wanted.document_id]))
    assert refused.url == reverse("queue")


def test_admins_edit_a_types_field_schema_and_see_the_queue_in_the_django_admin(
    client_for, admin_user
) -> None:
    client = client_for(admin_user)
    invoice = _type("invoice")
    page = client.get(reverse("admin:classification_documenttype_change", args=[invoice.pk]))
    assert page.status_code == 200 and "invoice_number" in page.text
    review_task("queued.png")
    for name in ("task", "skip", "adjudication"):
        assert client.get(reverse(f"admin:labeling_{name}_changelist")).status_code == 200


def _admin_form_data(page) -> dict[str, str]:
    """The POST the Django admin's change form would send as shown, inlines included."""
    data: dict[str, str] = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += formset.forms
        data |= {
            formset.management_form.add_prefix(name): str(value)
            for name, value in formset.management_form.initial.items()
        }
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = str(value)
    return data


def test_the_admin_refuses_to_delete_a_field_that_holds_values(client_for, admin_user) -> None:
    client = client_for(admin_user)
    invoice = _type("invoice")
    url = reverse("admin:classification_documenttype_change", args=[invoice.pk])
    page = client.get(url)
    formset = page.context["inline_admin_formsets"][0].formset
    forms = {form.instance.name: form for form in formset.forms if form.instance.pk}
    document = waiting_document("held.png", ["INVOICE 4711"])
    FieldValue.objects.create(
        document=document, field=forms["vendor"].instance, value="ACME", source="rule"
    )
    data = _admin_form_data(page)
    data[forms["vendor"].add_prefix("DELETE")] = "on"
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "These fields hold values on documents and cannot be deleted: vendor" in refused.text
    assert FieldValue.objects.filter(document=document, field__name="vendor").exists()
    # Nor may it change kind.
    data = _admin_form_data(page)
    data[forms["vendor"].add_prefix("kind")] = "date"
    refused = client.post(url, data)
    assert "These fields hold values on documents and cannot change kind: vendor" in refused.text
    assert FieldDefinition.objects.get(pk=forms["vendor"].instance.pk).kind == "text"
    # A field nothing refers to goes.
    data = _admin_form_data(page)
    data[forms["due_date"].add_prefix("DELETE")] = "on"
    assert client.post(url, data).status_code == 302
    assert not FieldDefinition.objects.filter(document_type=invoice, name="due_date").exists()
    assert FieldDefinition.objects.filter(document_type=invoice, name="vendor").exists()
