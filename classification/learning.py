"""The classifier in the product: the active model, routing, training, promotion, re-scoring.

This is the one seam between ``classification.ml`` (arrays, no Django) and the rows. Views and
tasks call these functions; torch is imported only where a model is loaded or trained, so a web
process that never classifies never pays for it.

Routing of a processed document without a human label:

- cold start (an active type has fewer than ``DOCSITE_COLD_START_LABELS`` human labels),
  no usable model, or a predicted type that is not an active type: review;
- calibrated confidence at or above the model's threshold for the predicted type: its fields
  are extracted and validated (``extraction.validation``: required fields present, values
  readable, the schema's checks pass); classified with an auto label when they pass, else
  review with the problems in the reason;
- otherwise: review, with the top confidence kept on the document.

A document a person labeled is never re-routed.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from classification import featurestore, fieldstore, queue, signals
from classification.ml import features
from classification.ml.versions import FORMAT_VERSION
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    FieldValue,
    Label,
    ModelEvent,
    ModelVersion,
    Prediction,
    TrainingState,
)

if TYPE_CHECKING:
    import numpy as np

    from classification.ml.artifact import LoadedModel
    from classification.ml.features import PageFeatures
    from classification.ml.model import ModelConfig
    from classification.ml.train import TrainConfig, TrainResult

log = logging.getLogger(__name__)

TRAIN_TASK = "classification.tasks.train_model"
RESCORE_TASK = "classification.tasks.rescore_documents"
PROCESSED = (Document.Status.NEEDS_REVIEW, Document.Status.CLASSIFIED)
RESCORE_BATCH = 256
NO_MODEL_REASON = "no model yet"

User = AbstractBaseUser | AnonymousUser


# --- The active model -------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cached_key: tuple[int, str] | None = None
_cached_model: LoadedModel | None = None


def active_model() -> tuple[ModelVersion, LoadedModel] | None:
    """The active version and its loaded model, or None (no active version, or its artifact is
    missing, changed or unreadable: logged once per process).

    One query per call; the artifact is loaded again only when the active version changes.
    """
    global _cached_key, _cached_model
    version = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    if version is None:
        return None
    key = (version.pk, version.artifact_sha256)
    with _cache_lock:
        if _cached_key != key:
            _cached_model = load_version(version)
            _cached_key = key
            if _cached_model is None:
                log.error("model v%s is active but its artifact is unusable: no model", version.pk)
        loaded = _cached_model
    return None if loaded is None else (version, loaded)


def has_active_model() -> bool:
    """Whether a version is active, without loading it (for web requests: no torch import)."""
    return ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).exists()


def artifact_file(version: ModelVersion) -> Path:
    path = Path(version.artifact_path)
    return path if path.is_absolute() else Path(settings.DOCSITE_MODEL_DIR) / path


def load_version(version: ModelVersion) -> LoadedModel | None:
    """The version's artifact, checked against its recorded hash; None (logged) when unusable."""
    if not version.artifact_path or not version.artifact_sha256:
        log.warning("model v%s has no artifact", version.pk)
        return None
    from classification.ml import artifact

    return artifact.load(artifact_file(version), version.artifact_sha256)


# (version id, recorded SHA-256, file size, mtime) -> the artifact's problem, or None when intact.
_intact: dict[tuple[int, str, int, int], str | None] = {}


def artifact_problem(version: ModelVersion) -> str | None:
    """What keeps the version's artifact from loading, found without loading it (no torch, so
    a web process can ask): ``missing``, ``changed`` (its SHA-256 is not the recorded one) or
    ``incompatible`` (trained on another artifact format or feature version than this code's,
    as the version recorded them). None when intact. The file is hashed once per process and
    again only when its size or time changes."""
    if not version.artifact_path or not version.artifact_sha256:
        return "missing"
    recorded = version.metrics or {}
    if (
        recorded.get("format_version", FORMAT_VERSION) != FORMAT_VERSION
        or recorded.get("feature_version", features.FEATURE_VERSION) != features.FEATURE_VERSION
    ):
        return "incompatible"
    path = artifact_file(version)
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    key = (version.pk, version.artifact_sha256, stat.st_size, stat.st_mtime_ns)
    if key not in _intact:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return "missing"
        if len(_intact) > 100:
            _intact.clear()
        _intact[key] = None if digest == version.artifact_sha256 else "changed"
    return _intact[key]


def _forget_cached_model() -> None:
    global _cached_key, _cached_model
    with _cache_lock:
        _cached_key, _cached_model = None, None


# --- Human labels and cold start --------------------------------------------------------------


@dataclass(frozen=True)
class ColdStart:
    ready: bool
    short: dict[str, int]  # type label -> human labels still missing
    needed: int  # human labels each active type needs

    @property
    def reason(self) -> str:
        n = len(self.short)
        return (
            f"cold start: {n} type{'s' if n != 1 else ''} "
            f"{'have' if n != 1 else 'has'} fewer than {self.needed} human labels"
        )


def latest_human_labels() -> list[Label]:
    """Each human-labeled document's latest human label, in the order the labels were made."""
    latest = Label.objects.human().values("document_id").annotate(last=Max("id")).values("last")
    return list(
        Label.objects.filter(pk__in=latest)
        .select_related("document_type")
        .order_by("created_at", "pk")
    )


def _human_counts() -> Counter[int]:
    latest = Label.objects.human().values("document_id").annotate(last=Max("id")).values("last")
    return Counter(Label.objects.filter(pk__in=latest).values_list("document_type_id", flat=True))


def cold_start_status() -> ColdStart:
    """Until every active type has K human labels (documents, counted by their latest human
    label), no prediction is trusted and everything goes to review."""
    needed = int(settings.DOCSITE_COLD_START_LABELS)
    counts = _human_counts()
    short = {
        t.label: needed - counts[t.pk]
        for t in DocumentType.objects.filter(active=True)
        if counts[t.pk] < needed
    }
    return ColdStart(ready=not short, short=short, needed=needed)


def label_fingerprint(labels: Sequence[Label] | None = None) -> str:
    """A hash of the current human label set: which document has which type."""
    labels = latest_human_labels() if labels is None else labels
    lines = sorted(f"{label.document_id}:{label.document_type.name}" for label in labels)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _has_human_label() -> Exists:
    return Exists(Label.objects.human().filter(document_id=OuterRef("pk")))


def unlabeled_documents() -> QuerySet[Document]:
    """Processed documents no person has labeled: what the model routes and re-scores."""
    return Document.objects.filter(status__in=PROCESSED).filter(~_has_human_label())


# --- Predictions for the UI -------------------------------------------------------------------


def top_predictions(document: Document, k: int = 3) -> list[tuple[str, float]]:
    """(type label, probability) of the latest prediction's k most likely types."""
    prediction = document.predictions.first()
    if prediction is None or not prediction.probabilities:
        return []
    ranked = sorted(prediction.probabilities.items(), key=lambda item: -float(item[1]))[:k]
    labels = dict(
        DocumentType.objects.filter(name__in=[n for n, _ in ranked]).values_list("name", "label")
    )
    return [(labels.get(name, name), float(p)) for name, p in ranked]


# --- Classification and routing ---------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    accept: bool
    reason: str
    document_type: DocumentType | None = None
    confidence: float | None = None
    # In review because the confident type's fields failed validation (its values are kept).
    fields_failed: bool = False


def classify_document(document_id: int) -> str:
    """Predict and route one processed document; safe to run twice.

    Returns the outcome for the task log: classified, review, labeled (a person decided;
    untouched), skipped (gone or not processed).
    """
    document = Document.objects.filter(pk=document_id, status__in=PROCESSED).first()
    if document is None:
        return "skipped"
    if Label.objects.human().filter(document=document).exists():
        return "labeled"
    current = active_model()
    if current is None:
        _warm_feature_cache(document)
        return _apply(document_id, Route(False, _no_model_reason()))
    version, model = current
    prediction = _predictions_of(version, [document_id]).get(document_id)
    if prediction is None:
        page = featurestore.document_features(document, with_embedding=model.uses_embedding)
        if page is None:
            return _apply(document_id, Route(False, "no page to classify"))
        probs, _ = model.predict([page])
        prediction = _store_predictions(version, model.classes, [document_id], probs)[0]
    return _apply(document_id, _decide(prediction, version, model, cold_start_status()), version)


def mark_unclassified(document_id: int, reason: str) -> None:
    """A document whose classification failed waits for a person (never 'failed')."""
    changed = (
        Document.objects.filter(pk=document_id, status__in=PROCESSED)
        .filter(~_has_human_label())
        .update(
            status=Document.Status.NEEDS_REVIEW,
            document_type=None,
            routing_reason=reason[:2000],
            updated_at=timezone.now(),
        )
    )
    if changed:
        transaction.on_commit(lambda: signals.send_routed(document_id, "review"))


def _no_model_reason() -> str:
    version = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    if version is None:
        return NO_MODEL_REASON
    return f"no usable model: the artifact of model v{version.pk} cannot be loaded"


def _warm_feature_cache(document: Document) -> None:
    """Features now, for the review order and the first training. Without the embedding:
    training adds the embeddings of many documents in one batch, and processing does not
    load the sentence encoder before any model needs it."""
    try:
        featurestore.document_features(document, with_embedding=False)
    except Exception:  # a cache warm-up must never hold up routing
        log.exception("document=%s features not computed", document.pk)


def _store_predictions(
    version: ModelVersion, classes: list[str], document_ids: list[int], probs: np.ndarray
) -> list[Prediction | None]:
    """One Prediction per document (None where the top type is not a DocumentType row)."""
    types = DocumentType.objects.in_bulk(classes, field_name="name")
    rows: list[Prediction | None] = []
    for document_id, row in zip(document_ids, probs, strict=True):
        top = int(row.argmax())
        document_type = types.get(classes[top])
        if document_type is None:
            rows.append(None)
            continue
        rows.append(
            Prediction(
                document_id=document_id,
                model_version=version,
                document_type=document_type,
                confidence=round(float(row[top]), 6),
                probabilities={c: round(float(p), 6) for c, p in zip(classes, row, strict=True)},
            )
        )
    Prediction.objects.bulk_create([r for r in rows if r is not None])
    return rows


def _decide(
    prediction: Prediction | None, version: ModelVersion, model: LoadedModel, cold: ColdStart
) -> Route:
    if prediction is None:
        return Route(False, f"model v{version.pk} predicted a type that no longer exists")
    document_type, confidence = prediction.document_type, prediction.confidence
    shown = probability_text(confidence)
    if not cold.ready:
        return Route(False, cold.reason, confidence=confidence)
    if not document_type.active:
        reason = f"predicted type {document_type.label} is inactive ({shown})"
        return Route(False, reason, confidence=confidence)
    threshold = model.threshold(document_type.name)
    if threshold > 1:
        reason = (
            f"confidence {shown} for {document_type.label}; model v{version.pk} auto-accepts "
            "none of this type yet (too few held-out labels at the target precision)"
        )
        return Route(False, reason, confidence=confidence)
    limit = probability_text(threshold)
    if confidence >= threshold:
        reason = f"auto-accepted: {shown} >= {limit} (model v{version.pk})"
        return Route(True, reason, document_type, confidence)
    reason = f"confidence {shown} below threshold {limit} for {document_type.label}"
    return Route(False, reason, confidence=confidence)


def probability_text(probability: float) -> str:
    """A probability for a reason: 3 decimals, more when 3 would round it up to 1.000."""
    for digits in (3, 4, 5, 6):
        text = f"{probability:.{digits}f}"
        if probability >= 1 or not text.startswith("1."):
            return text
    return f"{math.floor(probability * 1e6) / 1e6:.6f}"


def _apply(document_id: int, route: Route, version: ModelVersion | None = None) -> str:
    """Write the routing decision, unless a person labeled the document meanwhile."""
    now = timezone.now()
    if route.accept and route.document_type is not None:
        # Seconds a scanned page: done before the transaction, which holds the write lock.
        fieldstore.prepare(document_id, route.document_type)
    with transaction.atomic():
        # The row lock orders this against assign_type's update of the same row (PostgreSQL);
        # SQLite's IMMEDIATE transactions are serialised anyway.
        document = (
            Document.objects.select_for_update()
            .filter(pk=document_id, status__in=PROCESSED)
            .first()
        )
        if document is None:
            return "skipped"
        labels = Label.objects.filter(document_id=document_id)
        if labels.human().exists():
            return "labeled"
        auto = labels.filter(provenance=Label.Provenance.AUTO)
        if route.accept:
            route = _check_fields(document_id, route)
        if route.accept:
            assert route.document_type is not None
            assert version is not None, "only a model accepts a document"
            # Accepted again by the same model: keep its label (running twice changes nothing).
            keep = auto.filter(document_type=route.document_type, model_version=version).first()
            (auto if keep is None else auto.exclude(pk=keep.pk)).delete()
            if keep is None:
                Label.objects.create(
                    document_id=document_id,
                    document_type=route.document_type,
                    provenance=Label.Provenance.AUTO,
                    model_version=version,
                    confidence=route.confidence,
                )
            Document.objects.filter(pk=document_id).update(
                status=Document.Status.CLASSIFIED,
                document_type=route.document_type,
                type_confidence=route.confidence,
                routing_reason=route.reason,
                updated_at=now,
            )
            transaction.on_commit(
                lambda: signals.send_routed(document_id, "classified", version.pk)
            )
            return "classified"
        auto.delete()
        if not route.fields_failed:
            # Extracted values belong to the type in force, or to the type whose fields failed;
            # a document in review for another reason keeps only people's values.
            FieldValue.objects.filter(document_id=document_id).exclude(
                source=FieldValue.Source.HUMAN
            ).delete()
        Document.objects.filter(pk=document_id).update(
            status=Document.Status.NEEDS_REVIEW,
            document_type=None,
            type_confidence=route.confidence,
            routing_reason=route.reason,
            updated_at=now,
        )
        transaction.on_commit(
            lambda: signals.send_routed(document_id, "review", version.pk if version else None)
        )
    return "review"


def _check_fields(document_id: int, route: Route) -> Route:
    """An accepted route, or review when the fields of the accepted type fail validation.

    The fields are extracted and stored now, inside the routing transaction (the rules take a
    few ms a page, on the pages ``fieldstore.pages_for`` reads), so the decision and the values
    it rests on are committed together; running it again recomputes the same rule values and
    decision. A failing rule is rolled back to its savepoint and logged, and the document goes
    to review: a type whose fields were never checked is not accepted."""
    document_type = route.document_type
    assert document_type is not None
    if not FieldDefinition.objects.filter(document_type=document_type).exists():
        fieldstore.extract_document(document_id, document_type)  # the old type's values go
        return route
    confident = f"confident {document_type.label} ({probability_text(route.confidence or 0.0)})"
    try:
        with transaction.atomic():
            fieldstore.extract_document(document_id, document_type)
            document = Document.objects.get(pk=document_id)
            problems = fieldstore.problems(document, document_type)
    except Exception:
        log.exception("document=%s fields of %s not checked", document_id, document_type.name)
        reason = f"{confident} but its fields could not be checked (extraction failed)"
        return Route(False, reason, confidence=route.confidence)
    if not problems:
        return route
    reason = f"{confident} but fields failed: " + "; ".join(p.message for p in problems)
    log.info("document=%s to review: %s", document_id, reason)
    return Route(False, reason[:2000], confidence=route.confidence, fields_failed=True)


def rescore_documents() -> dict[str, int]:
    """Predict every processed document without a human label again with the active model and
    route it again (an auto-accepted one may go back to review, and the other way round)."""
    current = active_model()
    if current is None:
        log.info("rescore: no usable model, nothing re-scored")
        return {"rescored": 0, "classified": 0, "review": 0}
    version, model = current
    cold = cold_start_status()
    outcomes: Counter[str] = Counter()
    ids = list(unlabeled_documents().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), RESCORE_BATCH):
        chunk = ids[start : start + RESCORE_BATCH]
        predictions = _predictions_of(version, chunk)
        # A duplicate delivery of this task finds the predictions made and only re-routes.
        todo = list(Document.objects.filter(pk__in=[pk for pk in chunk if pk not in predictions]))
        pages = featurestore.documents_features(todo, with_embedding=model.uses_embedding)
        usable = [(d.pk, p) for d, p in zip(todo, pages, strict=True) if p is not None]
        if usable:
            probs, _ = model.predict([p for _, p in usable])
            made = _store_predictions(version, model.classes, [pk for pk, _ in usable], probs)
            predictions.update(zip([pk for pk, _ in usable], made, strict=True))
        for pk in chunk:
            if pk in predictions:
                route = _decide(predictions[pk], version, model, cold)
            else:
                route = Route(False, "no page to classify")
            outcomes[_apply(pk, route, version)] += 1
    result = {
        "rescored": sum(outcomes.values()),
        "classified": outcomes["classified"],
        "review": outcomes["review"],
    }
    log.info("rescore model=v%s %s", version.pk, result)
    return result


def _predictions_of(version: ModelVersion, document_ids: list[int]) -> dict[int, Prediction | None]:
    """The documents whose latest prediction is ``version``'s, with it: what a second run of
    the same routing reuses. One of ``version`` behind another model's (v1's, after v2 was
    promoted and then rolled back) is not reused: the document is predicted again, so its
    latest prediction, the one every page shows, is the active model's."""
    found: dict[int, Prediction | None] = {}
    latest: set[int] = set()
    rows = (
        Prediction.objects.filter(document_id__in=document_ids)
        .select_related("document_type")
        .order_by("document_id", "-created_at", "-pk")
    )
    for prediction in rows:
        if prediction.document_id in latest:
            continue
        latest.add(prediction.document_id)
        if prediction.model_version_id == version.pk:
            found[prediction.document_id] = prediction
    return found


# --- Training ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingOutcome:
    outcome: str  # promoted, rejected, unchanged, busy, not enough labels
    message: str
    version: ModelVersion | None = None

    @property
    def trained(self) -> bool:
        return self.outcome in ("promoted", "rejected")


def _state() -> TrainingState:
    try:
        state, _ = TrainingState.objects.get_or_create(pk=1)
    except IntegrityError:  # created by another process between the get and the create
        state = TrainingState.objects.get(pk=1)
    return state


def _lock_stale_before() -> datetime:
    # django-q kills a task after DOCSITE_TASK_TIMEOUT, so a lock older than that (plus slack)
    # belongs to a training that died without releasing it.
    return timezone.now() - timedelta(seconds=settings.DOCSITE_TASK_TIMEOUT + 60)


def _take_lock(trigger: str) -> datetime | None:
    """Claim the training lock with one conditional UPDATE; the claim's time, or None."""
    _state()
    now = timezone.now()
    free = Q(running_since__isnull=True) | Q(running_since__lt=_lock_stale_before())
    taken = TrainingState.objects.filter(free, pk=1).update(
        running_since=now, trigger=trigger[:64], last_started_at=now
    )
    return now if taken else None


def _release_lock(claim: datetime, outcome: str) -> None:
    TrainingState.objects.filter(pk=1, running_since=claim).update(
        running_since=None, last_finished_at=timezone.now(), last_outcome=outcome[:2000]
    )


def training_running() -> bool:
    state = _state()
    return state.running_since is not None and state.running_since >= _lock_stale_before()


def human_labels_since_last_training() -> int:
    started = _state().last_started_at
    labels = Label.objects.human()
    return (labels.filter(created_at__gt=started) if started else labels).count()


def train_model(trigger: str, user: User | None = None, force: bool = False) -> TrainingOutcome:
    """Train a candidate on the human labels, gate it against the active model, promote it or
    reject it. Only one training runs at a time (``busy`` otherwise); nothing is trained when
    the labels did not change since the last training, unless ``force``."""
    claim = _take_lock(trigger)
    if claim is None:
        return TrainingOutcome("busy", "A training is already running; try again when it ends.")
    outcome = TrainingOutcome("failed", "training failed")
    try:
        outcome = _train_locked(trigger, _user(user), force)
    finally:
        _release_lock(claim, f"{outcome.outcome}: {outcome.message}")
    log.info("training trigger=%s outcome=%s %s", trigger, outcome.outcome, outcome.message)
    return outcome


def _user(user: User | None) -> AuthUser | None:
    return cast(AuthUser, user) if user is not None and user.is_authenticated else None


@dataclass
class _Dataset:
    train_labels: list[Label]
    validation_labels: list[Label]
    train_pages: list[PageFeatures]
    validation_pages: list[PageFeatures]
    classes: list[str]
    unlabeled_ids: list[int]
    unlabeled_pages: list[PageFeatures]


def _train_locked(trigger: str, user: AuthUser | None, force: bool) -> TrainingOutcome:
    # Only the lock holder creates candidates: any left now belong to a training that died.
    ModelVersion.objects.filter(state=ModelVersion.State.CANDIDATE).update(
        state=ModelVersion.State.REJECTED,
        reason="The training did not finish (its worker stopped or timed out).",
    )
    labels = latest_human_labels()
    fingerprint = label_fingerprint(labels)
    # Compared with the last training that finished: a failed one must not block a retry.
    last = (
        ModelVersion.objects.exclude(artifact_sha256="")
        .exclude(label_fingerprint="")
        .order_by("-created_at", "-pk")
        .first()
    )
    if not force and last is not None and last.label_fingerprint == fingerprint:
        return TrainingOutcome(
            "unchanged", f"The labels have not changed since model v{last.pk}.", last
        )
    with_embedding = featurestore.embedding_enabled()
    data = _dataset(labels, with_embedding)
    if len(data.classes) < 2:
        return TrainingOutcome(
            "not enough labels",
            "Training needs human labels of at least two document types "
            f"(has {len(data.classes)}).",
        )
    from classification.ml import artifact
    from classification.ml import train as ml_train

    model_config = _model_config(with_embedding)
    train_config = _train_config()
    training_args = {
        "model_config": model_config.to_dict(),
        "train_config": train_config.to_dict(),
        "trigger": trigger,
    }
    version = ModelVersion.objects.create(
        state=ModelVersion.State.CANDIDATE,
        label_fingerprint=fingerprint,
        training_args=training_args,
    )
    try:
        index = {name: i for i, name in enumerate(data.classes)}
        result = ml_train.train(
            data.train_pages,
            [index[label.document_type.name] for label in data.train_labels],
            data.classes,
            data.validation_pages,
            [index[label.document_type.name] for label in data.validation_labels],
            data.unlabeled_pages,
            model_config,
            train_config,
        )
        filename = f"model-{version.pk}.pt"
        sha256 = artifact.save(result, Path(settings.DOCSITE_MODEL_DIR) / filename, training_args)
    except Exception as exc:
        log.exception("training of model v%s failed", version.pk)
        _reject(version, user, f"Training failed: {exc}")
        raise
    _record_training(version, result, data, filename, sha256)
    ModelEvent.objects.create(
        model_version=version,
        action=ModelEvent.Action.TRAINED,
        user=user,
        message=(
            f"Trained ({trigger}) on {len(data.train_labels)} human labels of "
            f"{len(data.classes)} types, {result.counts.get('pseudo_labels', 0)} pseudo-labels; "
            f"held-out macro-F1 {result.metrics.get('macro_f1', 0):.3f} "
            f"on {len(data.validation_labels)} documents, {result.seconds:.0f} s."
        ),
    )
    _store_pseudo_labels(version, result, data)
    accepted, reason = _gate(result, data)
    if accepted:
        activate(version, user, ModelEvent.Action.PROMOTED, reason)
        return TrainingOutcome("promoted", f"Model v{version.pk} is active. {reason}", version)
    _reject(version, user, reason)
    return TrainingOutcome("rejected", f"Model v{version.pk} was rejected. {reason}", version)


def _model_config(with_embedding: bool) -> ModelConfig:
    from classification.ml import model

    return model.ModelConfig(use_embedding=with_embedding)


def _train_config() -> TrainConfig:
    from classification.ml import train

    config = train.TrainConfig(target_precision=float(settings.DOCSITE_TARGET_PRECISION))
    steps = int(settings.DOCSITE_TRAIN_MAX_STEPS)
    if steps:
        config.max_steps = steps
        config.min_steps = min(config.min_steps, steps)
    return config


def _dataset(labels: list[Label], with_embedding: bool) -> _Dataset:
    from classification.ml.train import holdout_mask

    documents = Document.objects.in_bulk([label.document_id for label in labels])
    pages = featurestore.documents_features(
        [documents[label.document_id] for label in labels], with_embedding
    )
    usable = [(label, page) for label, page in zip(labels, pages, strict=True) if page is not None]
    if len(usable) < len(labels):
        log.warning("training: %d labeled documents have no features", len(labels) - len(usable))
    held = holdout_mask([label.document_type.name for label, _ in usable])
    train_rows = [row for row, h in zip(usable, held, strict=True) if not h]
    classes = sorted({label.document_type.name for label, _ in train_rows})
    # A held-out label of a type with no training label cannot be scored by the model.
    validation_rows = [
        row
        for row, h in zip(usable, held, strict=True)
        if h and row[0].document_type.name in classes
    ]
    pool = list(
        unlabeled_documents().order_by("-created_at", "-pk")[: settings.DOCSITE_UNLABELED_POOL]
    )
    pool_pages = featurestore.documents_features(pool, with_embedding) if pool else []
    unlabeled = [(d.pk, p) for d, p in zip(pool, pool_pages, strict=True) if p is not None]
    return _Dataset(
        train_labels=[label for label, _ in train_rows],
        validation_labels=[label for label, _ in validation_rows],
        train_pages=[page for _, page in train_rows],
        validation_pages=[page for _, page in validation_rows],
        classes=classes,
        unlabeled_ids=[pk for pk, _ in unlabeled],
        unlabeled_pages=[page for _, page in unlabeled],
    )


def _record_training(
    version: ModelVersion, result: TrainResult, data: _Dataset, filename: str, sha256: str
) -> None:
    version.artifact_path = filename
    version.artifact_sha256 = sha256
    version.counts = {
        **result.counts,
        "validation_documents": [label.document_id for label in data.validation_labels],
    }
    version.metrics = {
        **result.metrics,
        "classes": list(result.classes),
        "rounds": result.rounds,
        # What the artifact was written as: the health check compares without loading it.
        "format_version": FORMAT_VERSION,
        "feature_version": features.FEATURE_VERSION,
    }
    version.duration_seconds = result.seconds
    version.save(
        update_fields=["artifact_path", "artifact_sha256", "counts", "metrics", "duration_seconds"]
    )


def _store_pseudo_labels(version: ModelVersion, result: TrainResult, data: _Dataset) -> None:
    """The pseudo-labels this training used, replacing those of earlier trainings."""
    types = DocumentType.objects.in_bulk(result.classes, field_name="name")
    rows = [
        Label(
            document_id=data.unlabeled_ids[index],
            document_type=types[result.classes[class_index]],
            provenance=Label.Provenance.PSEUDO,
            model_version=version,
            confidence=round(float(confidence), 6),
        )
        for index, class_index, confidence in result.pseudo
        if result.classes[class_index] in types
    ]
    with transaction.atomic():
        Label.objects.filter(provenance=Label.Provenance.PSEUDO).delete()
        Label.objects.bulk_create(rows)


# --- Gate, promotion, rollback ----------------------------------------------------------------


@dataclass(frozen=True)
class _Scores:
    macro_f1: float
    accepted: int
    precision: float | None  # of the auto-accepted held-out documents


def _score(
    probs: np.ndarray, classes: list[str], thresholds: dict[str, Any], truth: list[str]
) -> _Scores:
    from classification.ml import calibration

    predicted = [classes[int(i)] for i in probs.argmax(axis=1)] if len(probs) else []
    accepted = calibration.auto_accept(probs, classes, thresholds)
    hits = [p == t for p, t, a in zip(predicted, truth, accepted, strict=True) if a]
    return _Scores(
        macro_f1=macro_f1(truth, predicted),
        accepted=len(hits),
        precision=(sum(hits) / len(hits)) if hits else None,
    )


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the types present in ``truth`` (as ``calibration.classification_metrics``),
    on type names, so two models with different class lists are scored alike."""
    scores = []
    for name in sorted(set(truth)):
        tp = sum(t == name and p == name for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != name and p == name for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == name and p != name for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def _gate(result: TrainResult, data: _Dataset) -> tuple[bool, str]:
    """Promote when there is no usable active model, or when the candidate is at most the
    tolerance worse in held-out macro-F1 than the active model and its auto-accepted held-out
    documents reach the target precision.

    Only honest figures are compared. The candidate's are those of the model measured before
    any refit on all labels (``TrainResult.validation_probs``). The active model is scored on
    the held-out documents it never trained on: all of them, unless it was refit, in which case
    those labeled after it was trained. When there are none, its own recorded held-out
    macro-F1 stands in.
    """
    truth = [label.document_type.name for label in data.validation_labels]
    probs = result.validation_probs
    if probs is None or len(probs) != len(truth):
        from classification.ml.train import predict

        probs, _ = predict(result.model, result.temperature, data.validation_pages)
    candidate = _score(probs, result.classes, result.thresholds, truth)
    target = float(settings.DOCSITE_TARGET_PRECISION)
    tolerance = float(settings.DOCSITE_PROMOTION_TOLERANCE)
    summary = (
        f"Held-out macro-F1 {candidate.macro_f1:.3f} on {len(truth)} documents, "
        f"{candidate.accepted} auto-accepted"
        + (f" at precision {candidate.precision:.3f}" if candidate.precision is not None else "")
        + "."
    )
    current = active_model()
    if current is None:
        return True, f"{summary} No usable active model to compare with."
    active_version, active = current
    compared = _unseen_by(active_version, data.validation_labels)
    if compared:
        subset = [truth[i] for i in compared]
        challenger = _score(probs[compared], result.classes, result.thresholds, subset).macro_f1
        incumbent = _score_model(active, [data.validation_labels[i] for i in compared], subset)
        comparison = (
            f"On the {len(compared)} held-out documents active model v{active_version.pk} did "
            f"not train on: candidate {challenger:.3f}, active {incumbent:.3f}."
        )
    elif active_version.metrics.get("macro_f1") is not None:
        challenger = candidate.macro_f1
        incumbent = float(active_version.metrics["macro_f1"])
        comparison = (
            f"Active model v{active_version.pk} trained on every held-out document; "
            f"its own held-out macro-F1 was {incumbent:.3f}."
        )
    else:
        return True, f"{summary} Active model v{active_version.pk} has no figures to compare."
    if challenger < incumbent - tolerance:
        return False, (
            f"{summary} {comparison} The candidate is worse by more than the tolerance "
            f"{tolerance:.3f} (DOCSITE_PROMOTION_TOLERANCE)."
        )
    if candidate.precision is not None and candidate.precision < target:
        return False, (
            f"{summary} {comparison} Its auto-accepted precision is below the target "
            f"{target:.3f} (DOCSITE_TARGET_PRECISION)."
        )
    return True, f"{summary} {comparison}"


def _unseen_by(version: ModelVersion, labels: list[Label]) -> list[int]:
    """Indices of the held-out labels ``version`` did not train on. Held-out documents stay
    held out as labels arrive, so only a refit (training on every label once measured) puts
    them into a model: then the labels made before its training are the ones it saw."""
    if not version.metrics.get("refit"):
        return list(range(len(labels)))
    return [i for i, label in enumerate(labels) if label.created_at >= version.created_at]


def _score_model(model: LoadedModel, labels: list[Label], truth: list[str]) -> float:
    documents = Document.objects.in_bulk([label.document_id for label in labels])
    pages = featurestore.documents_features(
        [documents[label.document_id] for label in labels], model.uses_embedding
    )
    kept = [(page, name) for page, name in zip(pages, truth, strict=True) if page is not None]
    probs, _ = model.predict([page for page, _ in kept])
    return macro_f1([name for _, name in kept], [model.classes[int(i)] for i in probs.argmax(1)])


def _reject(version: ModelVersion, user: AuthUser | None, reason: str) -> None:
    version.state = ModelVersion.State.REJECTED
    version.reason = reason
    version.save(update_fields=["state", "reason"])
    ModelEvent.objects.create(
        model_version=version, action=ModelEvent.Action.REJECTED, user=user, message=reason
    )
    log.warning("model v%s rejected: %s", version.pk, reason)


def activate(
    version: ModelVersion, user: AuthUser | None, action: str, message: str
) -> ModelVersion:
    """Make ``version`` the active model (the active one retires), log it, queue re-scoring."""
    now = timezone.now()
    with transaction.atomic():
        previous = list(
            ModelVersion.objects.select_for_update()
            .filter(state=ModelVersion.State.ACTIVE)
            .exclude(pk=version.pk)
        )
        for old in previous:
            old.state = ModelVersion.State.RETIRED
            old.retired_at = now
            old.reason = f"Replaced by model v{version.pk}."
            old.save(update_fields=["state", "retired_at", "reason"])
            ModelEvent.objects.create(
                model_version=old,
                action=ModelEvent.Action.RETIRED,
                user=user,
                message=old.reason,
            )
        version.state = ModelVersion.State.ACTIVE
        version.promoted_at = now
        version.retired_at = None
        version.reason = message
        version.save(update_fields=["state", "promoted_at", "retired_at", "reason"])
        ModelEvent.objects.create(model_version=version, action=action, user=user, message=message)
        signals.send_model_activated(version.pk, action)
        # The task must see the new active version: queue it once this is committed.
        transaction.on_commit(enqueue_rescore)
    _forget_cached_model()
    log.info(
        "model v%s %s by=%s replacing=%s: %s",
        version.pk,
        action,
        user.pk if user else None,
        ",".join(f"v{old.pk}" for old in previous) or "none",
        message,
    )
    return version


def enqueue_rescore() -> None:
    queue.enqueue(RESCORE_TASK, name="re-score documents with the active model")


def promote(version: ModelVersion, user: User | None) -> ModelVersion:
    """An admin makes a version active; ValueError when it is active or cannot be loaded."""
    if version.state == ModelVersion.State.ACTIVE:
        raise ValueError(f"Model v{version.pk} is already active.")
    if load_version(version) is None:
        raise ValueError(
            f"Model v{version.pk} cannot be made active: its artifact is missing, changed "
            "or unreadable."
        )
    who = _user(user)
    message = f"Promoted by {who.get_username() if who else 'the system'}."
    return activate(version, who, ModelEvent.Action.PROMOTED, message)


def rollback(user: User | None) -> ModelVersion:
    """Make the most recently retired version active again (the active one retires)."""
    previous = (
        ModelVersion.objects.filter(state=ModelVersion.State.RETIRED)
        .order_by(F("retired_at").desc(nulls_last=True), "-pk")
        .first()
    )
    if previous is None:
        raise ValueError("There is no retired model to roll back to.")
    if load_version(previous) is None:
        raise ValueError(
            f"Cannot roll back to model v{previous.pk}: its artifact is missing, changed "
            "or unreadable."
        )
    who = _user(user)
    current = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    message = f"Rolled back by {who.get_username() if who else 'the system'}" + (
        f" from model v{current.pk}." if current else "."
    )
    return activate(previous, who, ModelEvent.Action.ROLLED_BACK, message)


# --- Triggers ---------------------------------------------------------------------------------


def request_training(trigger: str, user: User | None) -> str:
    """Queue a training (the admin's button); returns a short message for a flash.

    Training never runs in the web request: it goes through the task queue (inline only with
    DOCSITE_TASKS_SYNC, in tests and scripts).
    """
    if training_running():
        return "A training is already running; its result will appear in the model list."
    who = _user(user)
    _mark_requested()
    queue.enqueue(TRAIN_TASK, trigger, who.pk if who else None, name=f"train ({trigger})")
    if settings.DOCSITE_TASKS_SYNC:
        return _state().last_outcome or "Training finished."
    return (
        "Training queued. It is skipped if no label changed since the last model; "
        "the model list shows the result."
    )


def _mark_requested() -> bool:
    """Note that a training is queued; False when one is queued and not started yet, so a
    burst of labels queues one task. A request older than a task's lifetime is forgotten."""
    _state()
    now = timezone.now()
    open_request = (
        Q(requested_at__isnull=True)
        | Q(requested_at__lte=F("last_started_at"))
        | Q(requested_at__lt=_lock_stale_before())
    )
    return bool(TrainingState.objects.filter(open_request, pk=1).update(requested_at=now))


def note_human_label(document_type: DocumentType) -> None:
    """After a person labeled a document: queue a retraining once enough labels arrived, and a
    re-scoring when this label ended the cold start (waiting documents can now be accepted)."""
    if human_labels_since_last_training() >= settings.DOCSITE_RETRAIN_EVERY:
        if _mark_requested():
            queue.enqueue(TRAIN_TASK, "new labels", None, name="train (new labels)")
        return
    needed = int(settings.DOCSITE_COLD_START_LABELS)
    if (
        needed
        and _human_counts()[document_type.pk] == needed
        and cold_start_status().ready
        and has_active_model()
    ):
        enqueue_rescore()
