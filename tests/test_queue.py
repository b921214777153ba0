"""The labeling queue: claims and leases, skips, submits, undo, second opinions, checks, and
labelers pressing Next at the same instant on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

from classification import learning, services
from classification.models import (
    Document,
    DocumentType,
    FieldCorrection,
    FieldDefinition,
    FieldValue,
    Label,
)
from docsite import roles
from labeling import agreement, priority, queue
from labeling.models import Adjudication, Skip, Task
from labeling.queue import QueueError
from tests.postgres import fresh_database
from tests.test_learning import make_document, test_types, trainings
from tests.test_routing import FakeModel, fake

# Fixtures from other modules: pytest finds them by name in this one.
SHARED_FIXTURES = (fake, test_types, trainings)

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def queue_settings(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain margin order, no sampling unless a test asks, nothing trained, no feature cache
    or per-process memo carried over from another test."""
    settings.DOCSITE_FEATURE_CACHE = tmp_path / "features"
    settings.DOCSITE_MODEL_DIR = tmp_path / "models"
    settings.DOCSITE_QUEUE_STRATEGY = "margin"
    settings.DOCSITE_QUEUE_TYPE_QUOTA = 0
    settings.DOCSITE_QA_SHARE = 0.0
    settings.DOCSITE_OVERLAP_SHARE = 0.0
    settings.DOCSITE_LEASE_MINUTES = 10
    settings.DOCSITE_UNDO_MINUTES = 5
    settings.DOCSITE_COLD_START_LABELS = 0
    settings.DOCSITE_RETRAIN_EVERY = 100_000
    monkeypatch.setattr(priority, "_memo", {})
    monkeypatch.setattr(priority, "_misses", {})
    monkeypatch.setattr(priority, "_quota_counts", (0.0, {}))


def _make_labeler(name: str) -> User:
    user = User.objects.create_user(name)
    user.groups.add(Group.objects.get_or_create(name=roles.LABELER)[0])
    return user


@pytest.fixture
def second_labeler(db: None) -> User:
    return _make_labeler("sam-second")


@pytest.fixture
def types(db: None) -> dict[str, DocumentType]:
    return {
        t.name: t for t in DocumentType.objects.filter(name__in=["invoice", "receipt", "contract"])
    }


def documents(
    n: int = 1,
    status: str = Document.Status.NEEDS_REVIEW,
    document_type: DocumentType | None = None,
    prefix: str = "",
) -> list[Document]:
    """Bare documents (no file, no pages). Their content hashes come from a counter, or with
    ``prefix`` from the prefix and the position: the same on every run, so are the draws."""
    names = (
        [f"{prefix}-{i}" for i in range(n)]
        if prefix
        else [f"doc-{next(_serial)}" for _ in range(n)]
    )
    return Document.objects.bulk_create(
        Document(
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            original_name=f"{name}.png",
            original_path=f"originals/{name}.png",
            mime_type="image/png",
            size_bytes=100,
            page_count=1,
            status=status,
            document_type=document_type,
            routing_reason="confidence 0.600 below threshold 0.900 for Invoice",
            type_confidence=0.6 if document_type is None else 0.99,
        )
        for name in names
    )


def review_task(score: float = 0.5, document: Document | None = None, **fields: Any) -> Task:
    document = document or documents()[0]
    return Task.objects.create(document=document, kind=Task.Kind.REVIEW, priority=score, **fields)


def held(task: Task, user: User, now: datetime) -> Task:
    """``task`` claimed by ``user`` at ``now``, as Next would have left it."""
    Task.objects.filter(pk=task.pk).update(
        claimed_by=user, claimed_at=now, lease_until=now + queue.lease()
    )
    task.refresh_from_db()
    return task


# --- Claims ----------------------------------------------------------------------------------


def test_next_serves_the_highest_priority_first(labeler: User, second_labeler: User) -> None:
    low, high, middle = review_task(0.2), review_task(0.9), review_task(0.5)
    now = timezone.now()
    assert queue.claim_next(labeler, now) == high
    assert queue.claim_next(second_labeler, now) == middle
    assert queue.claim_next(_make_labeler("third"), now) == low
    assert queue.claim_next(_make_labeler("fourth"), now) is None
    high.refresh_from_db()
    assert high.claimed_by == labeler and high.claimed_at == now
    assert high.lease_until == now + timedelta(minutes=10)


def test_a_type_under_its_quota_is_served_first_however_far_down_it_waits(
    labeler: User,
    second_labeler: User,
    types: dict[str, DocumentType],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoice, contract = types["invoice"], types["contract"]
    # A model is active and past its cold start; invoices have their 3 labels, contracts none.
    monkeypatch.setattr(queue.learning, "has_active_model", lambda: True)
    monkeypatch.setattr(priority, "_human_counts", lambda: {invoice.pk: 3})
    unsure_invoices = [
        review_task(0.9, suggested_type=invoice) for _ in range(priority.CANDIDATES + 5)
    ]
    rare = review_task(0.1, suggested_type=contract)  # below every invoice
    settings.DOCSITE_QUEUE_TYPE_QUOTA = 0
    assert queue.claim_next(labeler) == unsure_invoices[0]  # off: the priority order alone
    settings.DOCSITE_QUEUE_TYPE_QUOTA = 3
    assert queue.claim_next(second_labeler) == rare
    # With the quota met by every type, back to the priority order.
    monkeypatch.setattr(priority, "_human_counts", lambda: {invoice.pk: 3, contract.pk: 3})
    assert queue.claim_next(_make_labeler("third")) == unsure_invoices[1]


def test_checks_and_documents_without_probabilities_come_before_uncertain_ones(
    labeler: User, second_labeler: User
) -> None:
    assert priority.score(None, "key", "margin") == priority.UNKNOWN
    assert priority.score([0.45, 0.5, 0.05], "key", "margin") == pytest.approx(0.95)
    assert priority.score([0.9, 0.1], "key", "least_confidence") == pytest.approx(0.1)
    assert priority.score([0.5, 0.5], "key", "entropy") == pytest.approx(1.0)
    assert priority.score([1.0, 0.0], "key", "entropy") == pytest.approx(0.0, abs=1e-6)
    assert 0 <= priority.score(None, "key", "random") < 1
    assert priority.score(None, "key", "random") == priority.score([0.9, 0.1], "key", "random")
    torn = review_task(priority.score([0.45, 0.5, 0.05], "a"))
    unknown = review_task(priority.score(None, "b"))
    check = Task.objects.create(document=documents()[0], kind=Task.Kind.QA, priority=priority.CHECK)
    order = [queue.claim_next(u) for u in (labeler, second_labeler, _make_labeler("third"))]
    assert order == [check, unknown, torn]


def test_a_sure_type_whose_fields_failed_is_served_mid_queue_not_last() -> None:
    sure = [0.99, 0.01]
    assert priority.score(sure, "key", "margin") == pytest.approx(0.02)
    assert priority.score(sure, "key", "margin", fields_failed=True) == priority.FIELDS_FAILED
    # Never lowered: an unsure type whose fields also failed keeps its own, higher score.
    assert priority.score([0.5, 0.5], "key", "margin", fields_failed=True) == pytest.approx(1.0)
    assert priority.score(None, "key", "margin", fields_failed=True) == priority.UNKNOWN


def test_next_does_not_look_for_missing_features_again_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[int] = []

    def cached_features(documents: list[Document]) -> list[None]:
        looked_up.extend(d.pk for d in documents)
        return [None] * len(documents)

    monkeypatch.setattr(priority.featurestore, "cached_features", cached_features)
    (document,) = documents()
    assert priority._vectors([document], hot=True) == [None]
    assert priority._vectors([document], hot=True) == [None]
    assert looked_up == [document.pk]  # the second call remembered the miss
    assert priority._vectors([document]) == [None]  # the workbench looks every time
    assert looked_up == [document.pk, document.pk]


def test_a_labeler_gets_back_the_task_they_hold(labeler: User, second_labeler: User) -> None:
    first = review_task(0.5)
    now = timezone.now()
    assert queue.claim_next(labeler, now) == first
    review_task(0.9)  # more useful, but the labeler is still on the first
    assert queue.claim_next(labeler, now + timedelta(minutes=1)) == first
    assert queue.held_by(labeler, now) == first
    assert queue.claim_next(second_labeler, now) != first


def test_release_gives_the_task_back_to_the_queue(labeler: User, second_labeler: User) -> None:
    task = review_task()
    assert queue.claim_next(labeler) == task
    with pytest.raises(QueueError):
        queue.release(task.pk, second_labeler)
    queue.release(task.pk, labeler)
    task.refresh_from_db()
    assert task.claimed_by is None and task.lease_until is None and task.state == Task.State.OPEN
    assert queue.claim_next(second_labeler) == task


def test_a_skipped_task_goes_to_the_others_but_not_back_to_the_skipper(
    labeler: User, second_labeler: User
) -> None:
    first, other = review_task(0.9), review_task(0.5)
    now = timezone.now()
    assert queue.claim_next(labeler, now) == first
    with pytest.raises(QueueError):
        queue.skip(first.pk, labeler, "bored")
    with pytest.raises(QueueError):
        queue.skip(first.pk, second_labeler, Skip.Reason.UNSURE)
    made = queue.skip(
        first.pk, labeler, Skip.Reason.UNREADABLE, "blurred", now + timedelta(seconds=30)
    )
    assert (made.task, made.user, made.reason, made.note) == (
        first,
        labeler,
        "unreadable",
        "blurred",
    )
    assert made.seconds_spent == pytest.approx(30)
    first.refresh_from_db()
    assert first.claimed_by is None and first.state == Task.State.OPEN
    assert queue.claim_next(labeler, now) == other
    assert queue.claim_next(second_labeler, now) == first


def test_an_expired_lease_frees_the_task_for_someone_else(
    labeler: User, second_labeler: User
) -> None:
    task = review_task()
    now = timezone.now()
    lease = timedelta(minutes=10)
    assert queue.claim_next(labeler, now) == task
    assert queue.claim_next(second_labeler, now + lease - timedelta(seconds=1)) is None
    later = now + lease + timedelta(seconds=1)
    assert queue.held_by(labeler, later) is None
    assert queue.claim_next(second_labeler, later) == task
    with pytest.raises(QueueError, match="not yours"):
        queue.submit(task.pk, labeler, DocumentType.objects.get(name="invoice"), now=later)


def test_a_labeler_may_finish_an_expired_task_nobody_took(
    labeler: User, types: dict[str, DocumentType]
) -> None:
    task = review_task()
    now = timezone.now()
    assert queue.claim_next(labeler, now) == task
    done = queue.submit(task.pk, labeler, types["invoice"], now=now + timedelta(minutes=30))
    assert done.task.state == Task.State.DONE
    assert done.label.seconds_spent == pytest.approx(1800)


def test_a_review_task_of_a_document_labeled_elsewhere_is_cancelled_not_served(
    labeler: User, types: dict[str, DocumentType]
) -> None:
    stale, waiting = review_task(0.9), review_task(0.5)
    services.assign_type(stale.document, types["receipt"], labeler)  # e.g. on the document page
    assert queue.claim_next(labeler) == waiting
    stale.refresh_from_db()
    assert stale.state == Task.State.CANCELLED


# --- Submitting and undoing ------------------------------------------------------------------


def test_submit_is_refused_unless_the_labeler_holds_the_task(
    labeler: User, second_labeler: User, types: dict[str, DocumentType]
) -> None:
    task = review_task()
    with pytest.raises(QueueError):
        queue.submit(task.pk, labeler, types["invoice"])  # nobody holds it
    held(task, second_labeler, timezone.now())
    with pytest.raises(QueueError, match="not yours"):
        queue.submit(task.pk, labeler, types["invoice"])
    retired = DocumentType.objects.create(name="retired", label="Retired", active=False)
    with pytest.raises(QueueError, match="not an active type"):
        queue.submit(task.pk, second_labeler, retired)
    queue.submit(task.pk, second_labeler, types["invoice"])
    with pytest.raises(QueueError, match="no longer in the queue"):
        queue.submit(task.pk, second_labeler, types["receipt"])
    assert Label.objects.filter(document=task.document).count() == 1
    task.document.refresh_from_db()
    assert task.document.document_type == types["invoice"]


def test_submit_labels_the_document_and_records_time_and_suggestion(
    labeler: User, types: dict[str, DocumentType]
) -> None:
    task = review_task(suggested_type=types["invoice"])
    other = Task.objects.create(document=task.document, kind=Task.Kind.QA, priority=3.0)
    now = timezone.now()
    held(task, labeler, now)
    done = queue.submit(task.pk, labeler, types["receipt"], now=now + timedelta(seconds=12))
    assert done.task.state == Task.State.DONE and done.task.completed_by == labeler
    assert done.task.label == done.label and done.task.completed_at == now + timedelta(seconds=12)
    assert (done.label.seconds_spent, done.label.suggested_type) == (12.0, types["invoice"])
    assert done.label.suggestion_accepted is False and done.label.second_opinion is False
    task.document.refresh_from_db()
    assert task.document.status == Document.Status.CLASSIFIED
    assert task.document.document_type == types["receipt"]
    other.refresh_from_db()
    assert other.state == Task.State.CANCELLED  # the person's label settles it


@pytest.fixture
def invoice_number(types: dict[str, DocumentType]) -> FieldDefinition:
    return FieldDefinition.objects.get(document_type=types["invoice"], name="invoice_number")


def test_undo_within_the_window_restores_the_document_and_gives_the_task_back(
    labeler: User, types: dict[str, DocumentType], invoice_number: FieldDefinition
) -> None:
    task = review_task()
    document = task.document
    FieldValue.objects.create(
        document=document,
        field=invoice_number,
        value="INV-1",
        raw="INV-1",
        source=FieldValue.Source.RULE,
        confidence=0.8,
        page_number=1,
        bbox=[1, 2, 3, 4],
        group_key="vendor:acme",
    )
    now = timezone.now()
    assert queue.claim_next(labeler, now) == task
    queue.submit(
        task.pk,
        labeler,
        types["invoice"],
        {invoice_number: services.FieldInput("INV-2", page_number=1)},
        now=now,
    )
    assert FieldValue.objects.get(document=document).source == FieldValue.Source.HUMAN
    assert FieldCorrection.objects.count() == 1

    undone = queue.undo(labeler, now + timedelta(minutes=4))

    assert undone == task and undone.state == Task.State.OPEN and undone.label is None
    assert undone.claimed_by == labeler and undone.completed_by is None and undone.undo is None
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW and document.document_type is None
    assert document.type_confidence == 0.6
    assert document.routing_reason == "confidence 0.600 below threshold 0.900 for Invoice"
    value = FieldValue.objects.get(document=document)
    assert (value.value, value.source, value.confidence, value.bbox, value.group_key) == (
        "INV-1",
        FieldValue.Source.RULE,
        0.8,
        [1, 2, 3, 4],
        "vendor:acme",
    )
    assert not Label.objects.filter(document=document).exists()
    assert not FieldCorrection.objects.exists()
    assert queue.claim_next(labeler, now + timedelta(minutes=4)) == task
    with pytest.raises(QueueError):
        queue.undo(labeler, now + timedelta(minutes=4))  # nothing left to undo


def test_undo_is_refused_after_the_window(labeler: User, types: dict[str, DocumentType]) -> None:
    task = review_task()
    now = timezone.now()
    held(task, labeler, now)
    queue.submit(task.pk, labeler, types["invoice"], now=now)
    with pytest.raises(QueueError):
        queue.undo(labeler, now + timedelta(minutes=5, seconds=1))
    task.document.refresh_from_db()
    assert task.document.status == Document.Status.CLASSIFIED
    assert Label.objects.filter(document=task.document).count() == 1


def test_a_document_being_processed_again_cannot_be_labeled_until_it_is_done(
    labeler: User, types: dict[str, DocumentType]
) -> None:
    task = review_task()
    now = timezone.now()
    held(task, labeler, now)
    Document.objects.filter(pk=task.document_id).update(status=Document.Status.NEEDS_REVIEW)
    assert services.reprocess_document(Document.objects.get(pk=task.document_id))
    with pytest.raises(QueueError, match="being processed again"):
        queue.submit(task.pk, labeler, types["invoice"], now=now)
    assert not Label.objects.filter(document=task.document_id).exists()
    task.refresh_from_db()
    assert task.state == Task.State.OPEN and task.claimed_by == labeler


def test_undo_is_refused_once_someone_labeled_the_document_after(
    labeler: User, admin_user: User, types: dict[str, DocumentType]
) -> None:
    task = review_task()
    now = timezone.now()
    held(task, labeler, now)
    queue.submit(task.pk, labeler, types["invoice"], now=now)
    services.assign_type(task.document, types["receipt"], admin_user)
    with pytest.raises(QueueError, match="Someone labeled this document after you"):
        queue.undo(labeler, now + timedelta(minutes=1))


def test_undo_says_so_when_the_labeler_labeled_the_document_again(
    labeler: User, types: dict[str, DocumentType]
) -> None:
    task = review_task()
    now = timezone.now()
    held(task, labeler, now)
    queue.submit(task.pk, labeler, types["invoice"], now=now)
    services.assign_type(task.document, types["receipt"], labeler)  # the API, say
    with pytest.raises(QueueError, match="You labeled this document again since"):
        queue.undo(labeler, now + timedelta(minutes=1))


# --- Second opinions and checks --------------------------------------------------------------


def _labeled_with_second_opinion(
    labeler: User, types: dict[str, DocumentType], settings: Any
) -> tuple[queue.Submitted, Task]:
    settings.DOCSITE_OVERLAP_SHARE = 1.0
    task = review_task(suggested_type=types["invoice"])
    held(task, labeler, timezone.now())
    first = queue.submit(task.pk, labeler, types["invoice"])
    assert first.follow_up is not None
    return first, first.follow_up


def test_a_second_opinion_is_served_to_anyone_but_the_first_labeler(
    labeler: User, second_labeler: User, types: dict[str, DocumentType], settings: Any
) -> None:
    first, follow_up = _labeled_with_second_opinion(labeler, types, settings)
    assert follow_up.kind == Task.Kind.OVERLAP and follow_up.exclude_user == labeler
    assert follow_up.reference_label == first.label and follow_up.priority == priority.CHECK
    assert queue.claim_next(labeler) is None
    assert queue.claim_next(second_labeler) == follow_up


def test_an_agreeing_second_opinion_is_recorded_and_changes_nothing(
    labeler: User, second_labeler: User, types: dict[str, DocumentType], settings: Any
) -> None:
    _, follow_up = _labeled_with_second_opinion(labeler, types, settings)
    held(follow_up, second_labeler, timezone.now())
    second = queue.submit(follow_up.pk, second_labeler, types["invoice"])
    assert second.task.agreed is True and second.adjudication is None
    assert second.label.second_opinion and second.follow_up is None
    assert not Adjudication.objects.exists()


def test_a_disagreeing_second_opinion_goes_to_an_admin_and_keeps_the_type(
    labeler: User,
    second_labeler: User,
    admin_user: User,
    types: dict[str, DocumentType],
    settings: Any,
) -> None:
    first, follow_up = _labeled_with_second_opinion(labeler, types, settings)
    held(follow_up, second_labeler, timezone.now())
    second = queue.submit(follow_up.pk, second_labeler, types["receipt"])
    assert second.task.agreed is False and second.label.second_opinion
    item = second.adjudication
    assert item is not None and (item.first, item.second) == (first.label, second.label)
    document = Document.objects.get(pk=follow_up.document_id)
    assert document.document_type == types["invoice"]
    assert list(Label.objects.human().filter(document=document)) == [first.label]

    settled = queue.adjudicate(item.pk, admin_user, types["contract"])

    assert settled.resolved_type == types["contract"] and settled.resolved_by == admin_user
    assert settled.resolved_at is not None
    document.refresh_from_db()
    assert document.document_type == types["contract"]
    latest = Label.objects.human().filter(document=document).first()
    assert latest is not None and latest.labeled_by == admin_user
    with pytest.raises(QueueError):
        queue.adjudicate(item.pk, admin_user, types["invoice"])


def test_undoing_a_label_removes_its_second_opinion_task(
    labeler: User, types: dict[str, DocumentType], settings: Any
) -> None:
    first, follow_up = _labeled_with_second_opinion(labeler, types, settings)
    queue.undo(labeler)
    assert not Task.objects.filter(pk=follow_up.pk).exists()
    assert Task.objects.get(pk=first.task.pk).state == Task.State.OPEN


def test_undoing_a_second_opinion_removes_its_disagreement_and_keeps_the_type(
    labeler: User, second_labeler: User, types: dict[str, DocumentType], settings: Any
) -> None:
    _, follow_up = _labeled_with_second_opinion(labeler, types, settings)
    held(follow_up, second_labeler, timezone.now())
    queue.submit(follow_up.pk, second_labeler, types["receipt"])
    assert Adjudication.objects.count() == 1

    reopened = queue.undo(second_labeler)

    assert reopened == follow_up and reopened.state == Task.State.OPEN
    assert reopened.claimed_by == second_labeler and reopened.agreed is None
    assert not Adjudication.objects.exists()
    assert not Label.objects.filter(second_opinion=True).exists()
    document = Document.objects.get(pk=follow_up.document_id)
    assert document.document_type == types["invoice"]
    assert document.status == Document.Status.CLASSIFIED


def test_a_quality_check_records_whether_the_person_confirmed_the_accepted_type(
    labeler: User, types: dict[str, DocumentType], settings: Any
) -> None:
    settings.DOCSITE_QA_SHARE = 1.0
    right, wrong = documents(2, Document.Status.CLASSIFIED, types["invoice"])
    checks = [queue.maybe_enqueue_check(d) for d in (right, wrong)]
    assert all(c is not None and c.kind == Task.Kind.QA for c in checks)
    assert all(c.reference_type == types["invoice"] for c in checks if c is not None)
    assert queue.maybe_enqueue_check(right) is None  # drawn once, never twice
    for document, answer in ((right, "invoice"), (wrong, "receipt")):
        task = queue.claim_next(labeler)
        assert task is not None and task.document == document
        queue.submit(task.pk, labeler, types[answer])
    assert [t.agreed for t in Task.objects.filter(kind=Task.Kind.QA).order_by("pk")] == [
        True,
        False,
    ]
    wrong.refresh_from_db()
    assert wrong.document_type == types["receipt"]  # a person's label wins over the model's
    measured = agreement.qa_precision()
    assert (measured.checked, measured.correct, measured.precision) == (2, 1, 0.5)


def test_the_queue_settings_ship_with_the_issues_defaults() -> None:
    """2% of auto-accepted documents checked, 5% served twice, 10-minute leases: read from a
    fresh interpreter with no DOCSITE_ variable set, as a new installation would."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DOCSITE_")}
    code = (
        "import docsite.settings as s; print(s.DOCSITE_QA_SHARE, s.DOCSITE_OVERLAP_SHARE, "
        "s.DOCSITE_LEASE_MINUTES, s.DOCSITE_QUEUE_STRATEGY, s.DOCSITE_QUEUE_TYPE_QUOTA)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=environment, capture_output=True, text=True
    )
    assert shown.stdout.split() == ["0.02", "0.05", "10", "entropy", "0"], shown.stderr


@pytest.mark.parametrize(
    ("qa_share", "overlap_share", "accepted_n", "labeled_n"),
    [(0.02, 0.05, 3000, 800), (0.05, 0.2, 2000, 400)],
    ids=["defaults", "raised"],
)
def test_the_sampled_shares_of_checks_and_second_opinions_match_the_settings(
    labeler: User,
    types: dict[str, DocumentType],
    settings: Any,
    qa_share: float,
    overlap_share: float,
    accepted_n: int,
    labeled_n: int,
) -> None:
    """Each draw is fixed by the content hash, so the shares below are the same on every run;
    the tolerances are about three standard deviations of a binomial draw of that size."""
    settings.DOCSITE_QA_SHARE = qa_share
    accepted = documents(
        accepted_n, Document.Status.CLASSIFIED, types["invoice"], prefix=f"qa-{qa_share}"
    )
    checks = sum(queue.maybe_enqueue_check(d) is not None for d in accepted)
    assert abs(checks / accepted_n - qa_share) < 3 * (qa_share / accepted_n) ** 0.5
    assert sum(queue.maybe_enqueue_check(d) is not None for d in accepted) == 0

    settings.DOCSITE_OVERLAP_SHARE = overlap_share
    waiting = documents(labeled_n, prefix=f"overlap-{overlap_share}")
    now = timezone.now()
    tasks = Task.objects.bulk_create(
        Task(document=d, claimed_by=labeler, claimed_at=now, lease_until=now + queue.lease())
        for d in waiting
    )
    follow_ups = sum(
        queue.submit(t.pk, labeler, types["invoice"], now=now).follow_up is not None for t in tasks
    )
    assert abs(follow_ups / labeled_n - overlap_share) < 3 * (overlap_share / labeled_n) ** 0.5
    assert Task.objects.filter(kind=Task.Kind.OVERLAP).count() == follow_ups


def test_labels_given_in_the_workbench_count_toward_retraining(
    labeler: User,
    types: dict[str, DocumentType],
    settings: Any,
    trainings: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DOCSITE_RETRAIN_EVERY = 2
    for _ in range(2):
        review_task()
    seen = []
    for _ in range(2):
        task = queue.claim_next(labeler)
        assert task is not None
        with django_capture_on_commit_callbacks(execute=True):
            queue.submit(task.pk, labeler, types["invoice"])
        seen.append(len(trainings))
    assert seen == [0, 1] and trainings == ["new labels"]


# --- Keeping the queue in step with routing --------------------------------------------------


def test_routing_to_review_makes_a_task_and_auto_acceptance_cancels_it(
    fake: FakeModel,
    labeler: User,
    types: dict[str, DocumentType],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DOCSITE_QA_SHARE = 1.0
    fake.row, fake.thresholds = [0.3, 0.6, 0.1], {"global": 0.9, "per_class": {}}
    document = make_document("invoice")
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.classify_document(document.pk) == "review"
    task = Task.objects.get(document=document)
    assert task.kind == Task.Kind.REVIEW and task.state == Task.State.OPEN
    assert task.priority == pytest.approx(0.7) and task.suggested_type == types["invoice"]
    assert queue.claim_next(labeler) == task

    fake.thresholds = {"global": 0.5, "per_class": {}}
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.classify_document(document.pk) == "classified"
    task.refresh_from_db()
    assert task.state == Task.State.CANCELLED and task.claimed_by is None
    check = Task.objects.get(document=document, kind=Task.Kind.QA)
    assert check.reference_type == types["invoice"] and check.state == Task.State.OPEN


def test_a_late_signal_follows_the_document_not_the_outcome_it_carries(
    labeler: User, types: dict[str, DocumentType], settings: Any
) -> None:
    settings.DOCSITE_QA_SHARE = 1.0
    # Accepted, then sent back to review by a re-scoring whose signal arrived first.
    waiting = review_task()
    queue.document_routed(waiting.document_id, "classified")
    assert Task.objects.get(pk=waiting.pk).state == Task.State.OPEN
    assert not Task.objects.filter(kind=Task.Kind.QA).exists()
    # Labeled by a person before the acceptance's signal arrived: nothing to check.
    (labeled,) = documents(1, Document.Status.CLASSIFIED, types["invoice"])
    services.assign_type(labeled, types["invoice"], labeler)
    queue.document_routed(labeled.pk, "classified")
    assert not Task.objects.filter(document=labeled).exists()


def test_sync_makes_missing_tasks_and_cancels_stale_ones(types: dict[str, DocumentType]) -> None:
    untasked = documents(3)
    stale = review_task(document=documents(1, Document.Status.CLASSIFIED, types["invoice"])[0])
    queued = review_task()
    out = io.StringIO()
    call_command("sync_queue", stdout=out)
    assert out.getvalue().strip() == "Review tasks created: 3; cancelled: 1."
    assert {t.document for t in queue.open_tasks()} == {*untasked, queued.document}
    assert Task.objects.get(pk=stale.pk).state == Task.State.CANCELLED
    assert queue.sync() == {"created": 0, "cancelled": 0}


# --- Labelers at the same instant ------------------------------------------------------------


def _module(env: dict[str, str], *args: str) -> list[str]:
    """``python -m <args>`` in a child process from the repository; its stdout lines."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout.strip().splitlines()


def _race(env: dict[str, str]) -> dict[str, Any]:
    """``tests/queue_race.py`` in a child process: 8 labelers, 40 tasks."""
    lines = _module(env, "tests.queue_race", "--threads", "8", "--tasks", "40")
    return dict(json.loads(lines[-1]))


def _assert_each_task_claimed_once_and_every_label_stored(result: dict[str, Any]) -> None:
    assert result["errors"] == []
    first = result["first_claims"]
    assert None not in first and len(set(first)) == len(first) == 8
    assert result["claims"] == list(range(1, 41))  # every task once: none twice, none left
    assert result["done"] == result["labels"] == result["labeled_documents"] == 40
    assert result["mismatched"] == 0


def test_labelers_pressing_next_at_once_on_sqlite_never_share_a_task() -> None:
    # The test database is SQLite in memory with a shared cache, whose table locks fail at
    # once ("database table is locked") instead of waiting: the child uses the product's
    # SQLite configuration on a file (WAL, IMMEDIATE transactions, busy timeout).
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_URL_FILE")}
    result = _race(env)
    assert result["vendor"] == "sqlite"
    _assert_each_task_claimed_once_and_every_label_stored(result)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    with fresh_database("docsite_queue_race") as url:
        yield url


@pytest.mark.postgres
def test_labelers_pressing_next_at_once_on_postgresql_never_share_a_task(
    postgres_database: str,
) -> None:
    result = _race({**os.environ, "DATABASE_URL": postgres_database})
    assert result["vendor"] == "postgresql"
    _assert_each_task_claimed_once_and_every_label_stored(result)


def test_the_queue_bench_prints_one_json_line_with_its_keys() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_URL_FILE")}
    lines = _module(
        env, "bench.queue", "--documents", "40", "--calls", "5", "--databases", "sqlite"
    )
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert (report["benchmark"], report["documents"], report["calls"]) == ("queue", 40, 5)
    sqlite = report["sqlite"]
    assert sqlite["vendor"] == "sqlite" and "error" not in sqlite
    for key in ("next_median_ms", "next_p95_ms", "submit_median_ms", "submit_p95_ms"):
        assert 0 < sqlite[key] < 10_000
    assert sqlite["next_p95_ms"] >= sqlite["next_median_ms"]
    assert sqlite["target_met"] == (sqlite["next_p95_ms"] <= 100 and sqlite["submit_p95_ms"] <= 100)
    assert report["target_met"] == sqlite["target_met"]
