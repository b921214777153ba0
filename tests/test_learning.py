"""Training in the product: the registry, the gate, the lock, the triggers, promotion and rollback.

Documents are built through the ORM with small generated page images (no OCR), so a training
takes a second or two. The helpers here are shared with test_routing and test_train_command.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from PIL import Image

from classification import learning, services, storage
from classification.ml import artifact, features, versions
from classification.ml import train as ml_train
from classification.ml.model import ModelConfig
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    Label,
    ModelEvent,
    ModelVersion,
    Page,
    Prediction,
    TrainingState,
)
from tests import documents

KINDS = {
    "invoice": ["INVOICE", "Invoice number", "Amount due", "Payment terms net", "VAT total"],
    "receipt": ["RECEIPT", "Cash paid", "Change given", "Thank you for shopping", "Store till"],
    "contract": ["CONTRACT", "Agreement between parties", "Term termination", "Governing law"],
}
_serial = itertools.count(1)
SMALL_MODEL = ModelConfig(use_embedding=False, use_image=False, hash_hidden=16, layout_hidden=4)
FAST_LR = 1e-2


@pytest.fixture(autouse=True)
def learning_settings(
    settings: Any, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Models and features under the test's folder, no sentence encoder (it takes seconds to
    load), short trainings of a small model, no cold start.

    The product's model and its image branch learn these tiny sets slowly and unevenly in a
    few steps; a text-and-layout model at a higher learning rate learns them every time in a
    fraction of a second, which is what tests of the plumbing need. Unless a test asks for
    ``full_training``, training also skips the semi-supervised rounds.
    """
    settings.DOCSITE_MODEL_DIR = tmp_path / "models"
    settings.DOCSITE_FEATURE_CACHE = tmp_path / "features"
    settings.DOCSITE_CLASSIFIER_EMBEDDING = False
    settings.DOCSITE_TRAIN_MAX_STEPS = 20
    settings.DOCSITE_COLD_START_LABELS = 0
    settings.DOCSITE_RETRAIN_EVERY = 1000
    real_config = learning._train_config
    semi_supervised = "full_training" in request.fixturenames

    def test_config() -> ml_train.TrainConfig:
        config = real_config()
        config.lr = FAST_LR
        if not semi_supervised:
            config.self_training_rounds, config.fixmatch = 0, False
        else:
            # Twenty steps leave calibrated confidences on the pool below the product's 0.9.
            config.pseudo_threshold = 0.6
        return config

    monkeypatch.setattr(learning, "_train_config", test_config)
    monkeypatch.setattr(learning, "_model_config", lambda with_embedding: SMALL_MODEL)
    learning._forget_cached_model()
    yield
    learning._forget_cached_model()


@pytest.fixture
def full_training() -> None:
    """Asked for by a test that trains with the product's semi-supervised rounds."""


@pytest.fixture
def test_types(db: None) -> dict[str, DocumentType]:
    """The three kinds of the tests are the only active types. Their pages carry no field
    values, so no field is required: a confident prediction is accepted on its confidence
    (routing on field validation is tested in test_validation)."""
    DocumentType.objects.exclude(name__in=KINDS).update(active=False)
    FieldDefinition.objects.filter(document_type__name__in=KINDS).update(required=False)
    return {t.name: t for t in DocumentType.objects.filter(name__in=KINDS)}


def page_content(kind: str, n: int) -> tuple[Image.Image, list[dict[str, object]], str]:
    """A small page of the kind: image, OCR word boxes (in its pixels), text."""
    lines = [*KINDS[kind], f"Reference {n:05d}"]
    # Each kind has its own layout too (indent), as real types do.
    indent = {"invoice": 20, "receipt": 90, "contract": 40}[kind]
    image = documents.text_page(lines, size=(300, 400), font_size=14)
    words: list[dict[str, object]] = [
        {
            "text": word,
            "left": indent + 40 * i,
            "top": 30 + 25 * row,
            "width": 35,
            "height": 14,
            "conf": 95,
            "line": row,
        }
        for row, line in enumerate(lines)
        for i, word in enumerate(line.split())
    ]
    return image, words, "\n".join(lines)


def make_document(kind: str, status: str = Document.Status.NEEDS_REVIEW) -> Document:
    """A processed one-page document of the kind, with its page image and word boxes."""
    n = next(_serial)
    image, words, text = page_content(kind, n)
    sha256 = hashlib.sha256(f"{kind}-{n}-{uuid.uuid4()}".encode()).hexdigest()
    image_path = f"{storage.page_dir(sha256)}/page-0001.png"
    storage.write_atomic(image_path, documents.encode(image, "PNG"))
    document = Document.objects.create(
        sha256=sha256,
        original_name=f"{kind}-{n}.png",
        original_path=f"originals/{sha256[:2]}/{sha256}.png",
        mime_type="image/png",
        size_bytes=100,
        page_count=1,
        status=status,
        processed_at=timezone.now(),
    )
    Page.objects.create(
        document=document,
        number=1,
        image_path=image_path,
        thumbnail_path=image_path,
        width=300,
        height=400,
        ocr_words=words,
        text=text,
    )
    return document


@pytest.fixture(scope="session")
def trained_artifact(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One real artifact, trained once (without the database) on pages like make_document's,
    for the tests that need models but not a training: (path, sha256)."""
    classes = sorted(KINDS)
    rows = [(c, i) for i in range(12) for c in range(len(classes))]
    pages = []
    for c, i in rows:
        image, words, text = page_content(classes[c], 90_000 + 10 * i + c)
        pages.append(features.compute(image, words, 300, 400, text))
    config = ml_train.TrainConfig(
        max_steps=30, min_steps=30, self_training_rounds=0, fixmatch=False, lr=FAST_LR
    )
    labels = [c for c, _ in rows]
    result = ml_train.train(
        pages[3:],
        labels[3:],
        classes,
        pages[:3],
        labels[:3],
        model_config=SMALL_MODEL,
        config=config,
    )
    path = tmp_path_factory.mktemp("artifact") / "model.pt"
    return path, artifact.save(result, path, {"note": "test fixture"})


def install_model(
    trained: tuple[Path, str], state: str = ModelVersion.State.ACTIVE, **fields: Any
) -> ModelVersion:
    """A model version whose artifact is a copy of the fixture's, as a training would write."""
    version = ModelVersion.objects.create(state=state, **fields)
    target = Path(settings.DOCSITE_MODEL_DIR) / f"model-{version.pk}.pt"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(trained[0], target)
    version.artifact_path, version.artifact_sha256 = target.name, trained[1]
    version.save()
    return version


def label(document: Document, kind: str, user: User) -> Label:
    return services.assign_type(document, DocumentType.objects.get(name=kind), user)


def labeled_set(user: User, per_kind: int = 6, kinds: tuple[str, ...] = tuple(KINDS)) -> None:
    """per_kind human-labeled documents of each kind, labeled in interleaved order."""
    for _ in range(per_kind):
        for kind in kinds:
            label(make_document(kind), kind, user)


def unlabeled_set(per_kind: int = 3) -> list[Document]:
    return [make_document(kind) for _ in range(per_kind) for kind in KINDS]


# --- Training and the registry ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_training_is_promoted_and_records_everything(
    test_types: dict[str, DocumentType], labeler: User, full_training: None
) -> None:
    labeled_set(labeler)
    pool = unlabeled_set()
    outcome = learning.train_model("test")
    assert outcome.outcome == "promoted", outcome.message
    version = ModelVersion.objects.get()
    assert version == outcome.version and version.state == ModelVersion.State.ACTIVE
    assert version.promoted_at is not None
    path = learning.artifact_file(version)
    assert path.name == f"model-{version.pk}.pt" and path.exists()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == version.artifact_sha256
    assert version.label_fingerprint == learning.label_fingerprint()
    train_config = version.training_args["train_config"]
    assert train_config["max_steps"] == 20 and train_config["target_precision"] == 0.98
    defaults = ml_train.TrainConfig()
    assert train_config["self_training_rounds"] == defaults.self_training_rounds > 0
    assert version.training_args["model_config"]["use_embedding"] is False
    # Every 5th label of each type is held out: 6 per type -> 5 train, 1 held out.
    assert version.counts["human_train"] == 15 and version.counts["validation"] == 3
    assert version.counts["unlabeled"] == len(pool)
    assert version.counts["human_per_class"] == {"contract": 5, "invoice": 5, "receipt": 5}
    metrics = version.metrics
    assert metrics["classes"] == ["contract", "invoice", "receipt"]
    for key in ("accuracy", "per_class_f1", "confusion", "ece", "ece_before", "reliability"):
        assert key in metrics
    assert metrics["macro_f1"] == 1.0  # three very different kinds of page
    assert version.duration_seconds is not None and version.duration_seconds > 0
    actions = ModelEvent.objects.filter(model_version=version).values_list("action", flat=True)
    assert sorted(actions) == ["promoted", "trained"]
    current = learning.active_model()
    assert current is not None and current[0] == version
    assert current[1].classes == ["contract", "invoice", "receipt"]
    # What the health check compares without loading the artifact.
    assert learning.artifact_problem(version) is None
    assert metrics["feature_version"] == features.FEATURE_VERSION
    assert metrics["format_version"] == versions.FORMAT_VERSION
    # The pseudo-labels it used are stored, on the right documents: an easy pool gives
    # confident ones, and each is its document's real kind.
    pseudo = list(Label.objects.filter(provenance=Label.Provenance.PSEUDO))
    assert pseudo and len(pseudo) == version.counts["pseudo_labels"]
    kind_of = {d.pk: d.original_name.split("-")[0] for d in pool}
    for row in pseudo:
        assert kind_of[row.document_id] == row.document_type.name
        assert row.model_version == version and row.confidence is not None


@pytest.mark.django_db
def test_it_does_not_retrain_when_no_label_changed(
    test_types: dict[str, DocumentType], labeler: User
) -> None:
    labeled_set(labeler, per_kind=5)
    first = learning.train_model("test")
    assert first.version is not None
    again = learning.train_model("test")
    assert again.outcome == "unchanged" and again.version == first.version
    assert ModelVersion.objects.count() == 1
    # A new label moves the fingerprint.
    label(make_document("invoice"), "invoice", labeler)
    assert learning.label_fingerprint() != first.version.label_fingerprint
    assert learning.train_model("test").trained
    assert ModelVersion.objects.count() == 2


@pytest.mark.django_db
def test_retraining_replaces_the_pseudo_labels(
    test_types: dict[str, DocumentType], labeler: User, trained_artifact: tuple[Path, str]
) -> None:
    old = install_model(trained_artifact)
    stale = make_document("invoice")
    Label.objects.create(
        document=stale,
        document_type=test_types["invoice"],
        provenance=Label.Provenance.PSEUDO,
        model_version=old,
        confidence=0.99,
    )
    labeled_set(labeler, per_kind=5)
    version = learning.train_model("test").version
    assert not Label.objects.filter(provenance=Label.Provenance.PSEUDO).exclude(
        model_version=version
    )


@pytest.mark.django_db
def test_relabeling_a_document_counts_its_latest_label_only(
    test_types: dict[str, DocumentType], labeler: User
) -> None:
    document = make_document("invoice")
    label(document, "receipt", labeler)
    label(document, "invoice", labeler)
    latest = learning.latest_human_labels()
    assert [(row.document_id, row.document_type.name) for row in latest] == [
        (document.pk, "invoice")
    ]


@pytest.mark.django_db
def test_one_type_only_is_not_enough_to_train(
    test_types: dict[str, DocumentType], labeler: User
) -> None:
    labeled_set(labeler, per_kind=5, kinds=("invoice",))
    outcome = learning.train_model("test")
    assert outcome.outcome == "not enough labels" and "two" in outcome.message
    assert not ModelVersion.objects.exists()
    assert TrainingState.objects.get().running_since is None  # the lock was released


@pytest.mark.django_db
def test_a_second_training_is_refused_while_one_runs(
    test_types: dict[str, DocumentType], labeler: User
) -> None:
    labeled_set(labeler, per_kind=5)
    assert learning._take_lock("someone else") is not None
    outcome = learning.train_model("test")
    assert outcome.outcome == "busy" and not ModelVersion.objects.exists()
    assert learning.training_running()
    # A lock older than a task may live belongs to a dead training: it is taken over, and the
    # candidate the dead one left behind is closed.
    TrainingState.objects.filter(pk=1).update(
        running_since=timezone.now() - timedelta(seconds=10_000)
    )
    orphan = ModelVersion.objects.create(state=ModelVersion.State.CANDIDATE)
    assert not learning.training_running()
    assert learning.train_model("test").outcome == "promoted"
    assert TrainingState.objects.get().running_since is None
    orphan.refresh_from_db()
    assert orphan.state == ModelVersion.State.REJECTED and "did not finish" in orphan.reason


@pytest.mark.django_db
def test_a_failed_training_releases_the_lock_and_rejects_the_candidate(
    test_types: dict[str, DocumentType], labeler: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    labeled_set(labeler, per_kind=5)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory")

    real_train = ml_train.train
    monkeypatch.setattr(ml_train, "train", broken)
    with pytest.raises(RuntimeError):
        learning.train_model("test")
    version = ModelVersion.objects.get()
    assert version.state == ModelVersion.State.REJECTED and "out of memory" in version.reason
    assert TrainingState.objects.get().running_since is None
    # The same labels are tried again: a failure is not a finished training.
    monkeypatch.setattr(ml_train, "train", real_train)
    assert learning.train_model("test").outcome == "promoted"


# --- Artifacts --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_tampered_artifact_means_no_model_and_cannot_be_promoted(
    test_types: dict[str, DocumentType], admin_user: User, trained_artifact: tuple[Path, str]
) -> None:
    version = install_model(trained_artifact)
    assert learning.active_model() is not None
    path = learning.artifact_file(version)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    learning._forget_cached_model()  # as in a process started after the change
    assert learning.active_model() is None
    document = make_document("invoice")
    assert learning.classify_document(document.pk) == "review"
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW
    assert document.routing_reason == (
        f"no usable model: the artifact of model v{version.pk} cannot be loaded"
    )
    version.state = ModelVersion.State.RETIRED
    version.save()
    with pytest.raises(ValueError, match="cannot be made active"):
        learning.promote(version, admin_user)


@pytest.mark.django_db
def test_a_corrupt_or_missing_artifact_is_refused_without_a_crash(
    test_types: dict[str, DocumentType], trained_artifact: tuple[Path, str]
) -> None:
    version = install_model(trained_artifact)
    path = learning.artifact_file(version)
    garbage = b"not a torch file at all"
    path.write_bytes(garbage)
    # Even with a matching hash, an unreadable file is no model.
    ModelVersion.objects.filter(pk=version.pk).update(
        artifact_sha256=hashlib.sha256(garbage).hexdigest()
    )
    assert learning.active_model() is None
    path.unlink()
    learning._forget_cached_model()
    assert learning.active_model() is None


# --- The gate ---------------------------------------------------------------------------------


def _degrade(result: ml_train.TrainResult) -> ml_train.TrainResult:
    """The same result with a head that says the first type for every page (and measured so
    on the held-out pages)."""
    with torch.no_grad():
        result.model.head.weight.zero_()
        result.model.head.bias.zero_()
        result.model.head.bias[0] = 10.0
    assert result.validation_probs is not None
    result.validation_probs = np.zeros_like(result.validation_probs)
    result.validation_probs[:, 0] = 1.0
    return result


@pytest.mark.django_db
def test_a_worse_candidate_is_rejected_and_the_active_model_stays(
    test_types: dict[str, DocumentType],
    labeler: User,
    trained_artifact: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    good = install_model(trained_artifact)
    labeled_set(labeler, per_kind=5)
    real_train = ml_train.train
    monkeypatch.setattr(ml_train, "train", lambda *a, **k: _degrade(real_train(*a, **k)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = learning.train_model("test")
    assert outcome.outcome == "rejected", outcome.message
    assert not callbacks  # nothing queued: no re-scoring
    bad = outcome.version
    assert bad is not None
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.state == ModelVersion.State.REJECTED
    assert good.state == ModelVersion.State.ACTIVE
    assert "Held-out macro-F1 0.167 on 3 documents" in bad.reason  # (1/2 + 0 + 0) / 3
    assert (
        f"On the 3 held-out documents active model v{good.pk} did not train on: "
        "candidate 0.167, active 1.000." in bad.reason
    )
    assert "worse by more than the tolerance" in bad.reason
    assert ModelEvent.objects.filter(
        model_version=bad, action=ModelEvent.Action.REJECTED, message=bad.reason
    ).exists()
    current = learning.active_model()
    assert current is not None and current[0] == good


@pytest.mark.django_db
def test_a_candidate_as_good_within_the_tolerance_replaces_the_active_one(
    test_types: dict[str, DocumentType], labeler: User, trained_artifact: tuple[Path, str]
) -> None:
    first = install_model(trained_artifact)
    labeled_set(labeler, per_kind=5)
    second = learning.train_model("test").version
    assert second is not None
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.state == ModelVersion.State.ACTIVE
    assert "candidate 1.000, active 1.000." in second.reason
    assert first.state == ModelVersion.State.RETIRED and first.retired_at is not None
    assert ModelEvent.objects.filter(model_version=first, action="retired").exists()


@pytest.mark.django_db
def test_a_refit_model_is_compared_only_on_documents_it_did_not_train_on(
    test_types: dict[str, DocumentType], labeler: User
) -> None:
    labeled_set(labeler, per_kind=5)
    first = learning.train_model("test").version
    assert first is not None and first.metrics["refit"] is True
    # One more label, not held out: every held-out document was in the refit first model.
    label(make_document("invoice"), "invoice", labeler)
    second = learning.train_model("test").version
    assert second is not None
    assert f"Active model v{first.pk} trained on every held-out document" in second.reason
    # Five more of each: the 10th of each type is held out, and new to the active model.
    labeled_set(labeler, per_kind=5)
    third = learning.train_model("test").version
    assert third is not None and second.state == ModelVersion.State.ACTIVE
    assert f"On the 3 held-out documents active model v{second.pk} did not train on" in (
        third.reason
    )


def test_macro_f1_scores_type_names_present_in_the_truth() -> None:
    assert learning.macro_f1(["a", "a", "b"], ["a", "a", "b"]) == 1.0
    # a: tp 1, fn 1 -> 2/3; b: tp 1, fp 1 -> 2/3; c is predicted but absent from the truth.
    assert learning.macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx(2 / 3)
    assert learning.macro_f1(["a"], ["c"]) == 0.0
    assert learning.macro_f1([], []) == 0.0


# --- Promotion, rollback, re-scoring ----------------------------------------------------------


@pytest.mark.django_db
def test_promotion_rescores_every_unlabeled_document(
    test_types: dict[str, DocumentType],
    labeler: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    waiting = [make_document(kind) for kind in KINDS]
    for document in waiting:
        learning.classify_document(document.pk)
    reasons = Document.objects.filter(pk__in=[d.pk for d in waiting]).values_list(
        "routing_reason", flat=True
    )
    assert set(reasons) == {"no model yet"}
    labeled_set(labeler, per_kind=5)
    with django_capture_on_commit_callbacks(execute=True):
        version = learning.train_model("test").version
    assert version is not None
    for document in waiting:
        document.refresh_from_db()
        prediction = Prediction.objects.get(document=document)
        assert prediction.model_version == version
        assert set(prediction.probabilities) == {"contract", "invoice", "receipt"}
        assert document.routing_reason != "no model yet"
        assert document.type_confidence == pytest.approx(prediction.confidence)
    # Human-labeled documents are not predicted again.
    assert not Prediction.objects.filter(document__labels__provenance="human").exists()


@pytest.mark.django_db
def test_rollback_reactivates_the_previous_model_and_rescores(
    test_types: dict[str, DocumentType],
    admin_user: User,
    trained_artifact: tuple[Path, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with pytest.raises(ValueError, match="no retired model"):
        learning.rollback(admin_user)
    first = install_model(trained_artifact, ModelVersion.State.RETIRED, retired_at=timezone.now())
    second = install_model(trained_artifact)
    waiting = make_document("receipt")
    with django_capture_on_commit_callbacks(execute=True):
        restored = learning.rollback(admin_user)
    assert restored == first
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == ModelVersion.State.ACTIVE and second.state == ModelVersion.State.RETIRED
    event = ModelEvent.objects.get(model_version=first, action=ModelEvent.Action.ROLLED_BACK)
    assert event.user == admin_user and f"from model v{second.pk}" in event.message
    assert ModelEvent.objects.filter(
        model_version=second, action=ModelEvent.Action.RETIRED, user=admin_user
    ).exists()
    current = learning.active_model()
    assert current is not None and current[0] == first
    assert Prediction.objects.get(document=waiting).model_version == first
    # Rolling back again goes back to the one just retired.
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.rollback(admin_user) == second
    assert waiting.predictions.first().model_version == second  # type: ignore[union-attr]
    # And back once more: the document is predicted again, not left showing the retired
    # model's prediction above the active one's.
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.rollback(admin_user) == first
    latest = waiting.predictions.first()
    assert latest is not None and latest.model_version == first
    assert Prediction.objects.filter(document=waiting, model_version=first).count() == 2
    waiting.refresh_from_db()
    assert f"model v{first.pk}" in waiting.routing_reason


@pytest.mark.django_db
def test_rollback_refuses_a_model_whose_artifact_is_gone(
    test_types: dict[str, DocumentType], admin_user: User, trained_artifact: tuple[Path, str]
) -> None:
    first = install_model(trained_artifact, ModelVersion.State.RETIRED, retired_at=timezone.now())
    second = install_model(trained_artifact)
    learning.artifact_file(first).unlink()
    with pytest.raises(ValueError, match=f"Cannot roll back to model v{first.pk}"):
        learning.rollback(admin_user)
    second.refresh_from_db()
    assert second.state == ModelVersion.State.ACTIVE
    assert not ModelEvent.objects.exists()


@pytest.mark.django_db
def test_an_admin_promotes_a_rejected_version(
    test_types: dict[str, DocumentType], admin_user: User, trained_artifact: tuple[Path, str]
) -> None:
    active = install_model(trained_artifact)
    rejected = install_model(trained_artifact, ModelVersion.State.REJECTED)
    assert learning.promote(rejected, admin_user) == rejected
    rejected.refresh_from_db()
    active.refresh_from_db()
    assert rejected.state == ModelVersion.State.ACTIVE and rejected.promoted_at is not None
    assert active.state == ModelVersion.State.RETIRED
    event = ModelEvent.objects.get(model_version=rejected)
    assert event.action == "promoted" and event.user == admin_user
    assert "alice-admin" in event.message
    with pytest.raises(ValueError, match="already active"):
        learning.promote(rejected, admin_user)


# --- Triggers ---------------------------------------------------------------------------------


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The triggers of the trainings started (none runs: each finds nothing changed)."""
    calls: list[str] = []

    def fake_train(trigger: str, user: Any = None, force: bool = False) -> Any:
        calls.append(trigger)
        return learning.TrainingOutcome("unchanged", "")

    monkeypatch.setattr(learning, "train_model", fake_train)
    return calls


@pytest.mark.django_db
def test_enough_new_labels_queue_one_training(
    test_types: dict[str, DocumentType],
    labeler: User,
    settings: Any,
    trainings: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DOCSITE_RETRAIN_EVERY = 3
    calls = trainings
    seen = []
    for kind in ["invoice", "receipt", "contract", "invoice"]:
        with django_capture_on_commit_callbacks(execute=True):
            label(make_document(kind), kind, labeler)
        seen.append(len(calls))
    # Queued at the third label; the fourth finds a training queued and not started yet.
    assert seen == [0, 0, 1, 1] and calls == ["new labels"]


@pytest.mark.django_db
def test_labels_after_a_training_started_count_toward_the_next(
    test_types: dict[str, DocumentType],
    labeler: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DOCSITE_RETRAIN_EVERY = 6
    for document, kind in [(make_document(kind), kind) for _ in range(2) for kind in KINDS]:
        with django_capture_on_commit_callbacks(execute=True):
            label(document, kind, labeler)
    # The sixth label trained a model inline (DOCSITE_TASKS_SYNC): the count starts over.
    assert ModelVersion.objects.count() == 1
    assert learning.human_labels_since_last_training() == 0
    with django_capture_on_commit_callbacks(execute=True):
        label(make_document("invoice"), "invoice", labeler)
    assert learning.human_labels_since_last_training() == 1
    assert ModelVersion.objects.count() == 1


@pytest.mark.django_db
def test_request_training_runs_through_the_queue(
    test_types: dict[str, DocumentType], labeler: User, admin_user: User
) -> None:
    labeled_set(labeler, per_kind=5)
    message = learning.request_training("admin", admin_user)
    version = ModelVersion.objects.get()
    assert message.startswith(f"promoted: Model v{version.pk} is active.")
    assert ModelEvent.objects.get(model_version=version, action="trained").user == admin_user
    assert version.training_args["trigger"] == "admin"
    learning._take_lock("other")
    assert "already running" in learning.request_training("admin", admin_user)
    assert ModelVersion.objects.count() == 1


@pytest.mark.django_db
def test_request_training_in_async_mode_only_queues(
    test_types: dict[str, DocumentType],
    admin_user: User,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.DOCSITE_TASKS_SYNC = False
    queued: list[tuple[object, ...]] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: queued.append(args))
    message = learning.request_training("admin", admin_user)
    assert "queued" in message
    assert queued == [(learning.TRAIN_TASK, "admin", admin_user.pk)]
    assert not ModelVersion.objects.exists()
