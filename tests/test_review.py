"""The review queue around the workbench: the overview, Next, skip, release, undo, and the
admin's disagreements with the agreement numbers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from classification.models import Document, DocumentType, Label
from labeling import queue
from labeling.models import Adjudication, Skip, Task
from tests.workbench_documents import review_task, second_opinion, waiting_document

pytestmark = pytest.mark.django_db


def _type(name: str) -> DocumentType:
    return DocumentType.objects.get(name=name)


def _prioritised(name: str, priority: float) -> Task:
    task = review_task(name)
    Task.objects.filter(pk=task.pk).update(priority=priority)
    return task


# --- The overview and Next ------------------------------------------------------------------


def test_the_queue_lists_open_tasks_by_priority_with_counts_by_kind(client_for, labeler) -> None:
    low, high = _prioritised("low.png", 0.1), _prioritised("high.png", 0.9)
    check = waiting_document("check.png", ["CHECK"])
    Task.objects.create(document=check, kind=Task.Kind.QA, priority=3)
    done = _prioritised("done.png", 0.5)
    Task.objects.filter(pk=done.pk).update(state=Task.State.DONE)
    response = client_for(labeler).get(reverse("queue"))
    rows = list(response.context["page"].object_list)
    assert [t.document.original_name for t in rows] == ["check.png", "high.png", "low.png"]
    assert response.context["counts"] == [
        ("Review", 2),
        ("Quality check", 1),
        ("Second opinion", 0),
    ]
    html = response.content.decode()
    assert "3 open" in html and "Start labeling" in html
    assert f'data-task="{high.pk}"' in html and f'data-task="{low.pk}"' in html


def test_the_queue_is_paginated(client_for, labeler) -> None:
    for i in range(52):
        Task.objects.create(document=waiting_document(f"d{i}.png", ["X"]), priority=i)
    client = client_for(labeler)
    first = list(client.get(reverse("queue")).context["page"].object_list)
    second = list(client.get(reverse("queue"), {"page": 2}).context["page"].object_list)
    assert len(first) == 50 and len(second) == 2
    assert first[0].priority == 51 and second[-1].priority == 0


def test_next_claims_the_best_free_task_and_opens_it(client_for, labeler, second_labeler) -> None:
    _prioritised("low.png", 0.1)
    high = _prioritised("high.png", 0.9)
    response = client_for(labeler).post(reverse("queue_next"))
    assert response.status_code == 302 and response.url == reverse("task", args=[high.pk])
    high.refresh_from_db()
    assert high.claimed_by == labeler and high.lease_until is not None
    # Pressing Next again returns the held task; another labeler gets another one.
    assert client_for(labeler).post(reverse("queue_next")).url == response.url
    assert client_for(second_labeler).post(reverse("queue_next")).url != response.url
    html = client_for(labeler).get(reverse("queue")).content.decode()
    assert "Continue labeling" in html and "Yours" in html


def test_next_with_nothing_left_returns_to_the_queue(client_for, labeler) -> None:
    client = client_for(labeler)
    response = client.post(reverse("queue_next"))
    assert response.url == reverse("queue")
    html = client.get(response.url).content.decode()
    assert "Nothing left to label for now." in html and "Nothing needs review" in html


def test_next_must_be_posted(client_for, labeler) -> None:
    assert client_for(labeler).get(reverse("queue_next")).status_code == 405


def test_only_labelers_and_admins_reach_the_queue(
    client_for, labeler, admin_user, uploader, outsider
) -> None:
    for user, expected in ((labeler, 200), (admin_user, 200), (uploader, 403), (outsider, 403)):
        assert client_for(user).get(reverse("queue")).status_code == expected


# --- Skip, release, undo --------------------------------------------------------------------


def _held(user: User, name: str = "bill.png") -> Task:
    task = review_task(name)
    claimed = queue.claim_next(user)
    assert claimed is not None and claimed.pk == task.pk
    return claimed


def test_skipping_records_the_reason_and_moves_on(client_for, labeler) -> None:
    task = _held(labeler)
    following = review_task("next.png")
    response = client_for(labeler).post(
        reverse("task_skip", args=[task.pk]), {"reason": "unreadable", "note": "too dark"}
    )
    assert response.url == reverse("task", args=[following.pk])
    skip = Skip.objects.get()
    assert (skip.task, skip.user, skip.reason, skip.note) == (
        task,
        labeler,
        "unreadable",
        "too dark",
    )
    assert skip.seconds_spent is not None and skip.seconds_spent >= 0
    task.refresh_from_db()
    assert task.state == Task.State.OPEN and task.claimed_by is None
    # Not served to the same labeler again.
    assert client_for(labeler).post(reverse("queue_next")).url == response.url


def test_a_skip_without_a_reason_is_other(client_for, labeler) -> None:
    task = _held(labeler)
    assert client_for(labeler).post(reverse("task_skip", args=[task.pk])).status_code == 302
    assert Skip.objects.get().reason == Skip.Reason.OTHER


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": "bored"}, "Choose one of the reasons"),
        ({"reason": "other", "note": "x" * 201}, "at most 200 characters"),
    ],
)
def test_a_refused_skip_is_a_400_that_stores_nothing(
    client_for, labeler, data: dict[str, str], error: str
) -> None:
    task = _held(labeler)
    response = client_for(labeler).post(reverse("task_skip", args=[task.pk]), data)
    assert response.status_code == 400 and error in response.content.decode()
    assert not Skip.objects.exists()
    task.refresh_from_db()
    assert task.claimed_by == labeler


def test_releasing_gives_the_task_back(client_for, labeler, second_labeler) -> None:
    task = _held(labeler)
    response = client_for(labeler).post(reverse("task_release", args=[task.pk]))
    assert response.url == reverse("queue")
    task.refresh_from_db()
    assert task.claimed_by is None and task.state == Task.State.OPEN
    assert client_for(second_labeler).post(reverse("queue_next")).url == reverse(
        "task", args=[task.pk]
    )
    again = client_for(labeler).post(reverse("task_release", args=[task.pk]))
    assert again.status_code == 400 and "not yours to release" in again.content.decode()


def test_undo_takes_back_the_last_label_and_reopens_it(client_for, labeler) -> None:
    task = _held(labeler)
    client = client_for(labeler)
    client.post(reverse("task_submit", args=[task.pk]), {"document_type": _type("letter").pk})
    assert Label.objects.count() == 1
    page = client.get(reverse("queue")).content.decode()
    assert "Undo my last label" in page
    response = client.post(reverse("queue_undo"))
    assert response.url == reverse("task", args=[task.pk])
    assert not Label.objects.exists()
    task.refresh_from_db()
    assert task.state == Task.State.OPEN and task.claimed_by == labeler
    assert Document.objects.get(pk=task.document_id).status == Document.Status.NEEDS_REVIEW
    assert client.get(response.url).status_code == 200


def test_undo_with_nothing_to_undo_is_a_400(client_for, labeler, settings) -> None:
    response = client_for(labeler).post(reverse("queue_undo"))
    assert response.status_code == 400
    assert "no label of yours to undo" in response.content.decode()
    settings.DOCSITE_UNDO_MINUTES = 0
    task = _held(labeler)
    client = client_for(labeler)
    client.post(reverse("task_submit", args=[task.pk]), {"document_type": _type("letter").pk})
    assert client.post(reverse("queue_undo")).status_code == 400
    assert Label.objects.count() == 1


def test_the_workbench_offers_undo_only_while_possible(client_for, labeler) -> None:
    first = _held(labeler, "first.png")
    second = review_task("second.png")
    client = client_for(labeler)
    before = client.get(reverse("task", args=[first.pk])).content.decode()
    assert 'id="wb-undo"' not in before
    client.post(reverse("task_submit", args=[first.pk]), {"document_type": _type("letter").pk})
    after = client.get(reverse("task", args=[second.pk])).content.decode()
    assert 'id="wb-undo"' in after


# --- Adjudication and agreement -------------------------------------------------------------


def _disagreement(first_user: User, second_user: User) -> Adjudication:
    task = second_opinion(first_user, second_user, "torn.png", "invoice")
    done = queue.submit(task.pk, second_user, _type("receipt"))
    assert done.adjudication is not None
    return done.adjudication


def test_admins_see_disagreements_and_the_agreement(
    client_for, admin_user, labeler, second_labeler
) -> None:
    item = _disagreement(labeler, second_labeler)
    response = client_for(admin_user).get(reverse("adjudications"))
    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [item]
    row = html[html.index(f'id="adjudication-{item.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Invoice" in row and "by lena-labeler" in row
    assert "Receipt" in row and "by lars-labeler" in row
    assert reverse("page_thumbnail", args=[item.document_id, 1]) in row
    assert "Over 1 second opinion: 0 agreed" in html
    assert "lena-labeler and lars-labeler" in html
    assert "No quality checks done yet." in html


def test_an_admin_settles_a_disagreement(client_for, admin_user, labeler, second_labeler) -> None:
    item = _disagreement(labeler, second_labeler)
    client = client_for(admin_user)
    receipt = _type("receipt")
    response = client.post(
        reverse("adjudications"), {"adjudication": item.pk, "document_type": receipt.pk}
    )
    assert response.url == reverse("adjudications")
    item.refresh_from_db()
    assert item.resolved_type == receipt and item.resolved_by == admin_user
    assert Document.objects.get(pk=item.document_id).document_type == receipt
    html = client.get(reverse("adjudications")).content.decode()
    assert "No open disagreements." in html and "Recently decided" in html
    again = client.post(
        reverse("adjudications"), {"adjudication": item.pk, "document_type": receipt.pk}
    )
    assert again.status_code == 400 and "settled already" in again.content.decode()


@pytest.mark.parametrize("bad", ["", "abc", "999999"])
def test_a_bad_adjudication_is_a_400_and_settles_nothing(
    client_for, admin_user, labeler, second_labeler, bad: str
) -> None:
    item = _disagreement(labeler, second_labeler)
    response = client_for(admin_user).post(
        reverse("adjudications"), {"adjudication": item.pk, "document_type": bad}
    )
    assert response.status_code == 400
    assert "Choose one of the document types" in response.content.decode()
    item.refresh_from_db()
    assert item.resolved_at is None
    missing = client_for(admin_user).post(
        reverse("adjudications"), {"adjudication": "999999", "document_type": _type("letter").pk}
    )
    assert missing.status_code == 400


def test_the_qa_precision_is_shown_with_its_interval(client_for, admin_user, labeler) -> None:
    for name, answer in (("a.png", "receipt"), ("b.png", "receipt"), ("c.png", "letter")):
        document = waiting_document(name, ["RECEIPT"])
        Task.objects.create(
            document=document, kind=Task.Kind.QA, priority=3, reference_type=_type("receipt")
        )
        task = queue.claim_next(labeler)
        assert task is not None
        queue.submit(task.pk, labeler, _type(answer))
    html = client_for(admin_user).get(reverse("adjudications")).content.decode()
    assert "confirmed 2 of 3 checked documents: precision <strong>67%</strong>" in html
    assert "95% interval 21\u201394%" in html


@pytest.mark.parametrize("role", ["labeler", "uploader", "outsider"])
def test_only_admins_reach_the_disagreements(
    client_for, role: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("adjudications")).status_code == 403
    assert client.post(reverse("adjudications"), {"adjudication": 1}).status_code == 403
    # Nor the Django admin, where labels and field memories could be edited: its login page.
    response = client.get("/admin/classification/label/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_seeded_types_exist() -> None:
    names = set(DocumentType.objects.values_list("name", flat=True))
    assert names >= {
        "invoice",
        "receipt",
        "bank_statement",
        "pay_stub",
        "contract",
        "tax_form",
        "id_document",
        "letter",
        "form",
        "other",
    }
