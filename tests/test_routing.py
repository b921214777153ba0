"""Routing a processed document with the active model, the cold start, and the review order
(the labeling queue's stored priorities and the order Next serves them in)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from classification import featurestore, learning, pipeline
from classification.ml.features import PageFeatures
from classification.models import Document, DocumentType, Label, ModelVersion, Prediction
from labeling import priority, queue
from tests.test_learning import (
    install_model,
    label,
    learning_settings,
    make_document,
    test_types,
    trained_artifact,
)

# Fixtures shared with test_learning: pytest finds them by name in this module.
SHARED_FIXTURES = (learning_settings, test_types, trained_artifact)

CLASSES = ["contract", "invoice", "receipt"]
pytestmark = pytest.mark.django_db


class FakeModel:
    """Stands in for a LoadedModel: says ``row`` for every page, with set thresholds."""

    uses_embedding = False

    def __init__(self, row: list[float], thresholds: dict[str, Any] | None = None) -> None:
        self.classes = CLASSES
        self.row = row
        self.thresholds = thresholds or {"global": 0.97, "per_class": {}}
        self.pages_seen = 0

    def predict(self, pages: list[PageFeatures]) -> tuple[np.ndarray, np.ndarray]:
        self.pages_seen += len(pages)
        return np.array([self.row] * len(pages)), np.zeros((len(pages), 4))

    def threshold(self, class_name: str) -> float:
        per_class = self.thresholds.get("per_class") or {}
        return float(per_class.get(class_name, self.thresholds["global"]))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, test_types: dict[str, DocumentType]) -> FakeModel:
    """An active version whose model is a FakeModel (tests change ``row`` and thresholds)."""
    version = ModelVersion.objects.create(state=ModelVersion.State.ACTIVE)
    model = FakeModel([0.004, 0.995, 0.001])
    monkeypatch.setattr(learning, "active_model", lambda: (version, model))
    return model


def _classified(document: Document) -> Document:
    learning.classify_document(document.pk)
    document.refresh_from_db()
    return document


# --- Thresholds -------------------------------------------------------------------------------


def test_it_accepts_a_prediction_at_or_above_the_threshold(fake: FakeModel) -> None:
    document = _classified(make_document("invoice"))
    assert document.status == Document.Status.CLASSIFIED
    assert document.document_type is not None and document.document_type.name == "invoice"
    assert document.type_confidence == pytest.approx(0.995)
    version = ModelVersion.objects.get()
    assert document.routing_reason == f"auto-accepted: 0.995 >= 0.970 (model v{version.pk})"
    auto = Label.objects.get(document=document)
    assert (auto.provenance, auto.model_version, auto.confidence) == ("auto", version, 0.995)
    prediction = Prediction.objects.get(document=document)
    assert prediction.document_type.name == "invoice" and prediction.model_version == version
    assert prediction.probabilities == {"contract": 0.004, "invoice": 0.995, "receipt": 0.001}


def test_it_routes_low_confidence_documents_to_review(fake: FakeModel) -> None:
    fake.row = [0.2, 0.7, 0.1]
    document = _classified(make_document("invoice"))
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.document_type is None and document.type_confidence == pytest.approx(0.7)
    assert document.routing_reason == "confidence 0.700 below threshold 0.970 for Invoice"
    assert not Label.objects.filter(document=document).exists()


def test_a_per_type_threshold_overrides_the_global_one(fake: FakeModel) -> None:
    fake.thresholds = {"global": 0.97, "per_class": {"invoice": 0.999}}
    document = _classified(make_document("invoice"))
    assert document.status == Document.Status.NEEDS_REVIEW
    assert "below threshold 0.999 for Invoice" in document.routing_reason


def test_a_model_that_accepts_nothing_says_so(fake: FakeModel) -> None:
    fake.thresholds = {"global": 1.000001, "per_class": {}}
    document = _classified(make_document("invoice"))
    assert document.status == Document.Status.NEEDS_REVIEW
    assert "auto-accepts none of this type yet" in document.routing_reason


def test_a_prediction_of_an_inactive_type_goes_to_review(
    fake: FakeModel, test_types: dict[str, DocumentType]
) -> None:
    DocumentType.objects.filter(name="invoice").update(active=False)
    document = _classified(make_document("invoice"))
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason == "predicted type Invoice is inactive (0.995)"


def test_classifying_twice_changes_nothing(fake: FakeModel) -> None:
    document = make_document("invoice")
    assert learning.classify_document(document.pk) == "classified"
    assert learning.classify_document(document.pk) == "classified"
    assert Prediction.objects.filter(document=document).count() == 1
    assert Label.objects.filter(document=document).count() == 1
    assert fake.pages_seen == 1  # the stored prediction of this version is reused


def test_a_document_a_person_labeled_is_never_rerouted(fake: FakeModel, labeler: User) -> None:
    fake.row = [0.995, 0.004, 0.001]
    document = make_document("invoice")
    label(document, "invoice", labeler)
    assert learning.classify_document(document.pk) == "labeled"
    assert learning.rescore_documents()["rescored"] == 0
    document.refresh_from_db()
    assert document.status == Document.Status.CLASSIFIED
    assert document.document_type is not None and document.document_type.name == "invoice"
    assert document.routing_reason == "labeled by a person"
    assert not Label.objects.filter(document=document, provenance="auto").exists()


def test_rescoring_moves_documents_between_review_and_accepted(fake: FakeModel) -> None:
    accepted = _classified(make_document("invoice"))
    assert accepted.status == Document.Status.CLASSIFIED
    fake.thresholds = {"global": 0.999, "per_class": {}}
    assert learning.rescore_documents() == {"rescored": 1, "classified": 0, "review": 1}
    accepted.refresh_from_db()
    assert accepted.status == Document.Status.NEEDS_REVIEW and accepted.document_type is None
    assert not Label.objects.filter(document=accepted).exists()  # the auto label went
    fake.thresholds = {"global": 0.9, "per_class": {}}
    assert learning.rescore_documents()["classified"] == 1
    accepted.refresh_from_db()
    assert accepted.status == Document.Status.CLASSIFIED
    assert Label.objects.filter(document=accepted, provenance="auto").count() == 1


def test_no_model_means_review(test_types: dict[str, DocumentType]) -> None:
    document = _classified(make_document("invoice"))
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason == "no model yet"
    assert not Prediction.objects.exists()
    # Its features were cached meanwhile, for the review order and the first training.
    assert featurestore.cached_features([document]) != [None]


def test_a_real_model_routes_by_its_own_thresholds(
    test_types: dict[str, DocumentType], trained_artifact: tuple[Path, str]
) -> None:
    version = install_model(trained_artifact)
    current = learning.active_model()
    assert current is not None
    model = current[1]
    for kind in CLASSES:
        document = _classified(make_document(kind))
        prediction = Prediction.objects.get(document=document)
        assert prediction.model_version == version
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
        accepted = prediction.confidence >= model.threshold(prediction.document_type.name)
        expected = Document.Status.CLASSIFIED if accepted else Document.Status.NEEDS_REVIEW
        assert document.status == expected
        assert prediction.document_type.name == kind  # an easy page


# --- Cold start -------------------------------------------------------------------------------


def test_cold_start_sends_confident_predictions_to_review_until_every_type_has_labels(
    fake: FakeModel, labeler: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DOCSITE_COLD_START_LABELS = 2
    status = learning.cold_start_status()
    assert not status.ready
    assert status.short == {"Contract": 2, "Invoice": 2, "Receipt": 2}
    waiting = _classified(make_document("invoice"))
    assert waiting.status == Document.Status.NEEDS_REVIEW
    assert waiting.routing_reason == "cold start: 3 types have fewer than 2 human labels"
    assert waiting.type_confidence == pytest.approx(0.995)
    for kind in CLASSES[:2]:
        for _ in range(2):
            label(make_document(kind), kind, labeler)
    assert learning.cold_start_status().short == {"Receipt": 2}
    label(make_document("receipt"), "receipt", labeler)
    assert learning.cold_start_status().short == {"Receipt": 1}
    assert learning.cold_start_status().reason == (
        "cold start: 1 type has fewer than 2 human labels"
    )
    # The label that ends the cold start re-scores the waiting documents.
    with django_capture_on_commit_callbacks(execute=True):
        label(make_document("receipt"), "receipt", labeler)
    assert learning.cold_start_status().ready
    waiting.refresh_from_db()
    assert waiting.status == Document.Status.CLASSIFIED


def test_relabeled_documents_count_once_toward_the_cold_start(
    test_types: dict[str, DocumentType], labeler: User, settings: Any
) -> None:
    settings.DOCSITE_COLD_START_LABELS = 2
    document = make_document("invoice")
    label(document, "invoice", labeler)
    label(document, "invoice", labeler)
    assert learning.cold_start_status().short["Invoice"] == 1


# --- In processing ----------------------------------------------------------------------------


def test_a_classification_failure_leaves_the_document_in_review(
    fake: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = make_document("invoice")

    def broken(pages: list[PageFeatures]) -> None:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(fake, "predict", broken)
    assert pipeline.classify(document.pk) == "review"
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason == "classification failed: model exploded"


# --- For the UI -------------------------------------------------------------------------------


def test_top_predictions_come_from_the_latest_prediction(fake: FakeModel) -> None:
    document = _classified(make_document("invoice"))
    assert learning.top_predictions(document, k=2) == [("Invoice", 0.995), ("Contract", 0.004)]
    assert learning.top_predictions(make_document("receipt")) == []


# --- Review order: the queue's stored priorities and Next --------------------------------------


def _labelers(n: int) -> list[User]:
    return [User.objects.create_user(f"labeler-{i}") for i in range(n)]


def _served(users: list[User], now: Any = None) -> list[int]:
    """The documents Next gives each user in turn (each keeps what they got)."""
    served = []
    for user in users:
        task = queue.claim_next(user, now)
        assert task is not None
        served.append(task.document_id)
    return served


def test_with_a_model_the_least_certain_come_first(
    fake: FakeModel, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DOCSITE_QUEUE_STRATEGY = "margin"
    margins = {"sure": [0.05, 0.9, 0.05], "torn": [0.45, 0.5, 0.05], "fair": [0.2, 0.7, 0.1]}
    fake.thresholds = {"global": 0.999, "per_class": {}}
    ids = {}
    with django_capture_on_commit_callbacks(execute=True):  # the routing signal makes the tasks
        for name, row in margins.items():
            fake.row = row
            ids[name] = _classified(make_document("invoice")).pk
    unpredicted = make_document("receipt")  # never classified: nothing known
    assert queue.sync() == {"created": 1, "cancelled": 0}
    stored = {t.document_id: t.priority for t in queue.open_tasks()}
    assert stored == {
        unpredicted.pk: priority.UNKNOWN,
        ids["torn"]: pytest.approx(0.95),
        ids["fair"]: pytest.approx(0.5),
        ids["sure"]: pytest.approx(0.15),
    }
    assert _served(_labelers(4)) == [unpredicted.pk, ids["torn"], ids["fair"], ids["sure"]]


def test_in_cold_start_documents_unlike_the_labeled_ones_come_first(
    test_types: dict[str, DocumentType], labeler: User, settings: Any
) -> None:
    settings.DOCSITE_COLD_START_LABELS = 5
    for _ in range(2):
        labeled = make_document("invoice")
        learning.classify_document(labeled.pk)  # caches its features
        label(labeled, "invoice", labeler)
    like_labeled = [_classified(make_document("invoice")).pk for _ in range(2)]
    unlike = _classified(make_document("contract")).pk
    queue.sync()  # no model: every waiting document has the same stored priority
    assert {t.priority for t in queue.open_tasks()} == {priority.UNKNOWN}
    assert _served(_labelers(3)) == [unlike, *like_labeled]


def test_after_an_invoice_next_serves_a_different_kind_before_another_invoice(
    test_types: dict[str, DocumentType], labeler: User, settings: Any
) -> None:
    # No second opinion on the labeled invoice: drawn by its (random) content hash, one in 20
    # runs would serve it to the next labeler before the second invoice.
    settings.DOCSITE_OVERLAP_SHARE = 0.0
    first = _classified(make_document("invoice")).pk
    second = _classified(make_document("invoice")).pk
    unlike = _classified(make_document("contract")).pk
    queue.sync()
    task = queue.claim_next(labeler)
    assert task is not None and task.document_id == first  # nothing to tell them apart yet
    queue.submit(task.pk, labeler, test_types["invoice"])
    following = queue.claim_next(labeler)
    # The second invoice is like the one just labeled; the contract is not.
    assert following is not None and following.document_id == unlike
    assert _served(_labelers(1)) == [second]


def test_a_document_whose_lease_ran_out_is_not_kept_back_by_its_own_likeness(
    test_types: dict[str, DocumentType], labeler: User
) -> None:
    abandoned = _classified(make_document("invoice")).pk
    _classified(make_document("contract"))
    queue.sync()
    started = timezone.now()
    assert _served([labeler], started) == [abandoned]
    # Served a moment ago, but only like itself: it keeps its place at the head.
    assert _served(_labelers(1), started + timedelta(minutes=11)) == [abandoned]


def test_reasons_never_show_a_probability_below_one_as_one() -> None:
    assert (
        learning.probability_text(0.995) == "0.995" and learning.probability_text(0.97) == "0.970"
    )
    assert learning.probability_text(0.9999246) == "0.9999"
    assert (
        learning.probability_text(0.99999999) == "0.999999"
        and learning.probability_text(1.0) == "1.000"
    )
