"""Webhooks behind the endpoints: recording events, fanning them out, delivering and retrying.

An event is recorded once it is committed (the classification signals are sent on commit), with
one delivery per active subscription that asked for its type and whose owner may see what it is
about. Each delivery is a task (``deliver``), never run inside a request: it claims the delivery
with a conditional update, POSTs the signed body through ``outbound``, and on failure sets the
next attempt after an exponential backoff; ``deliver_due`` (scheduled every minute) queues the
deliveries whose time has come. After ``DOCSITE_WEBHOOK_MAX_ATTEMPTS`` attempts, or at once when
the target is refused, the delivery is marked failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from classification import access, queue
from classification.models import Document, ModelVersion
from docsite import roles
from docsite.api import outbound
from docsite.api.models import WebhookDelivery, WebhookEvent, WebhookSubscription

log = logging.getLogger(__name__)

DOCUMENT_PROCESSED = "document.processed"
DOCUMENT_NEEDS_REVIEW = "document.needs_review"
DOCUMENT_CLASSIFIED = "document.classified"
DOCUMENT_LABELED = "document.labeled"
DOCUMENT_FAILED = "document.failed"
MODEL_PROMOTED = "model.promoted"
EVENT_TYPES = (
    DOCUMENT_PROCESSED,
    DOCUMENT_NEEDS_REVIEW,
    DOCUMENT_CLASSIFIED,
    DOCUMENT_LABELED,
    DOCUMENT_FAILED,
    MODEL_PROMOTED,
)
# Model versions are the admins' business, as on the web pages.
ADMIN_ONLY_EVENTS = frozenset({MODEL_PROMOTED})
# Sent by POST /webhooks/{id}/test only, to that subscription only.
PING = "ping"

DELIVER_TASK = "docsite.api.delivery.deliver"
DELIVER_DUE_TASK = "docsite.api.delivery.deliver_due"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SIGNATURE_HEADER = "X-Docsite-Signature"
# First retry after 30 s, then 1, 2, 4, 8 minutes...: a receiver that is down for a deploy is
# not hammered, and one that is back gets the event within minutes.
BACKOFF_SECONDS = 30
# A claimed attempt that has not finished by then is taken to have died with its worker.
CLAIM_SECONDS = int(outbound.CONNECT_TIMEOUT + outbound.READ_TIMEOUT) + 60
DUE_BATCH = 500
# Finished deliveries (and events left without any) are kept this long in the log.
LOG_DAYS = 30
MAX_ERROR_LENGTH = 1000


class DocumentResource(TypedDict):
    id: int
    url: str
    original_name: str
    external_id: str
    status: str
    document_type: str | None
    type_confidence: float | None
    routing_reason: str
    error: str


class ModelResource(TypedDict):
    id: int
    url: str
    state: str
    action: str
    promoted_at: str | None
    macro_f1: float | None


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Docsite-Signature`` value: ``t=<unix seconds>,v1=<hex HMAC-SHA256>`` of
    ``"<t>." + body`` with the subscription's secret."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- Recording events -------------------------------------------------------------------------


def document_resource(document: Document) -> DocumentResource:
    return {
        "id": document.pk,
        "url": f"/api/v1/documents/{document.pk}",
        "original_name": document.original_name,
        "external_id": document.external_id,
        "status": document.status,
        "document_type": document.document_type.name if document.document_type else None,
        "type_confidence": document.type_confidence,
        "routing_reason": document.routing_reason,
        "error": document.error_message,
    }


def model_resource(version: ModelVersion, action: str) -> ModelResource:
    macro_f1 = (version.metrics or {}).get("macro_f1")
    return {
        "id": version.pk,
        "url": f"/api/v1/model-versions/{version.pk}",
        "state": version.state,
        "action": action,
        "promoted_at": version.promoted_at.isoformat() if version.promoted_at else None,
        "macro_f1": float(macro_f1) if isinstance(macro_f1, int | float) else None,
    }


def _subscribers(event_type: str) -> list[WebhookSubscription]:
    # JSON containment is not available on SQLite; subscriptions are few, so filter here.
    subscriptions = WebhookSubscription.objects.filter(active=True, owner__is_active=True)
    return [s for s in subscriptions.select_related("owner") if event_type in s.event_types]


def record_document_event(event_type: str, document_id: int) -> WebhookEvent | None:
    """The event and a delivery to each subscriber who may see the document (None: nobody)."""
    document = Document.objects.select_related("document_type").filter(pk=document_id).first()
    if document is None:
        return None
    targets: list[tuple[WebhookSubscription, bool]] = []
    for subscription in _subscribers(event_type):
        owner = subscription.owner
        if access.visible_documents(owner).filter(pk=document.pk).exists():
            targets.append((subscription, access.hides_labels(owner, document)))
    return _record(event_type, {"document": document_resource(document)}, targets)


def record_model_event(model_version_id: int, action: str) -> WebhookEvent | None:
    version = ModelVersion.objects.filter(pk=model_version_id).first()
    if version is None:
        return None
    targets = [
        (s, False) for s in _subscribers(MODEL_PROMOTED) if roles.has_role(s.owner, roles.ADMIN)
    ]
    return _record(MODEL_PROMOTED, {"model_version": model_resource(version, action)}, targets)


def send_test(subscription: WebhookSubscription) -> WebhookDelivery:
    """A ``ping`` event to this subscription only, through the same path as real events."""
    payload = {"subscription": {"id": subscription.pk, "url": subscription.url}}
    event = _record(PING, payload, [(subscription, False)])
    assert event is not None
    return WebhookDelivery.objects.get(event=event, subscription=subscription)


def _record(
    event_type: str, payload: dict[str, Any], targets: list[tuple[WebhookSubscription, bool]]
) -> WebhookEvent | None:
    if not targets:
        return None
    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.create(type=event_type, created_at=now, payload=payload)
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                subscription=subscription, event=event, next_attempt_at=now, hide_labels=hide
            )
            for subscription, hide in targets
        )
        ids = [d.pk for d in deliveries]
        if None in ids:  # a backend that does not return ids from bulk_create
            ids = list(event.deliveries.values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue(ids))
    log.info("webhook event=%s type=%s deliveries=%d", event.event_id, event_type, len(ids))
    return event


def _enqueue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        queue.enqueue(DELIVER_TASK, delivery_id, name=f"webhook delivery {delivery_id}")


# --- Delivering -------------------------------------------------------------------------------


def event_body(delivery: WebhookDelivery) -> bytes:
    """What the receiver gets: the same bytes on every attempt of a delivery."""
    event = delivery.event
    data = event.payload
    if delivery.hide_labels and "document" in data:
        # As the document list hides them from a blind check: the routing reason names the
        # type too ("below threshold for Invoice").
        hidden = {"document_type": None, "type_confidence": None, "routing_reason": ""}
        document = {**data["document"], **hidden}
        data = {**data, "document": document}
    body = {
        "id": str(event.event_id),
        "type": event.type,
        "time": event.created_at.isoformat(),
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return timedelta(seconds=BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


def _claim(delivery_id: int) -> datetime | None:
    """Take a due pending delivery for one attempt; None when it is not due, done or taken."""
    now = timezone.now()
    lease = now + timedelta(seconds=CLAIM_SECONDS)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease, attempts=F("attempts") + 1, updated_at=now)
    return lease if claimed else None


def deliver(delivery_id: int) -> str:
    """One attempt at a delivery (the task); safe to run twice: a second run finds it claimed
    or finished and does nothing."""
    lease = _claim(delivery_id)
    if lease is None:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription", "event").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.active:
        return _finish(delivery, lease, failed=True, error="The subscription is paused.")
    body = event_body(delivery)
    headers = {
        "X-Docsite-Event": delivery.event.type,
        "X-Docsite-Event-Id": str(delivery.event.event_id),
        "X-Docsite-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: signature(subscription.secret, int(timezone.now().timestamp()), body),
    }
    try:
        answer = outbound.post(subscription.url, body, headers)
    except outbound.TargetRefused as exc:
        return _finish(delivery, lease, failed=True, error=str(exc))
    except outbound.OutboundError as exc:
        return _finish(delivery, lease, failed=False, error=str(exc))
    ms = round(answer.seconds * 1000)
    if 200 <= answer.status < 300:
        return _finish(delivery, lease, status_code=answer.status, ms=ms)
    excerpt = answer.body[:300].decode("utf-8", "replace")
    error = f"HTTP {answer.status}" + (f": {excerpt}" if excerpt else "")
    return _finish(delivery, lease, failed=False, error=error, status_code=answer.status, ms=ms)


def _finish(
    delivery: WebhookDelivery,
    lease: datetime,
    *,
    failed: bool | None = None,
    error: str = "",
    status_code: int | None = None,
    ms: int | None = None,
) -> str:
    """Record the attempt. ``failed``: None succeeded, True gave up, False may retry."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": status_code,
        "last_error": error[:MAX_ERROR_LENGTH],
        "response_ms": ms,
        "updated_at": now,
    }
    if failed is None:
        outcome = WebhookDelivery.Status.SUCCEEDED
    elif failed or delivery.attempts >= settings.DOCSITE_WEBHOOK_MAX_ATTEMPTS:
        outcome = WebhookDelivery.Status.FAILED
    else:
        outcome = WebhookDelivery.Status.PENDING
    fields["status"] = outcome
    fields["next_attempt_at"] = (
        now + backoff(delivery.attempts) if outcome == WebhookDelivery.Status.PENDING else None
    )
    # Only while the claim is still ours: a lapsed claim's attempt belongs to another run now.
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=lease
    ).update(**fields)
    log.info(
        "webhook delivery=%s attempt=%d outcome=%s code=%s error=%r",
        delivery.pk,
        delivery.attempts,
        outcome,
        status_code,
        error[:200],
    )
    return str(outcome)


def deliver_due() -> int:
    """Queue every pending delivery whose next attempt is due (scheduled every minute); also
    picks up an attempt whose worker died once its claim lapses, and forgets finished
    deliveries older than ``LOG_DAYS``."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:DUE_BATCH])
    _enqueue(ids)
    cutoff = now - timedelta(days=LOG_DAYS)
    WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING).filter(
        updated_at__lt=cutoff
    ).delete()
    WebhookEvent.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return len(ids)


def ensure_schedule(**kwargs: Any) -> None:
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        func=DELIVER_DUE_TASK,
        defaults={
            "name": "Deliver due webhooks",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )


# --- Signal receivers (connected in apps.py) --------------------------------------------------

ROUTED_EVENTS = {"classified": DOCUMENT_CLASSIFIED, "review": DOCUMENT_NEEDS_REVIEW}
CHANGED_EVENTS = {
    "processed": DOCUMENT_PROCESSED,
    "failed": DOCUMENT_FAILED,
    "labeled": DOCUMENT_LABELED,
}


def on_document_routed(document_id: int, outcome: str, **kwargs: Any) -> None:
    event_type = ROUTED_EVENTS.get(outcome)
    if event_type is not None:
        _safely(record_document_event, event_type, document_id)


def on_document_changed(document_id: int, event: str, **kwargs: Any) -> None:
    event_type = CHANGED_EVENTS.get(event)
    if event_type is not None:
        _safely(record_document_event, event_type, document_id)


def on_model_activated(model_version_id: int, action: str, **kwargs: Any) -> None:
    _safely(record_model_event, model_version_id, action)


def _safely(record: Any, *args: Any) -> None:
    """A webhook problem is logged; it never breaks the processing or labeling that sent it."""
    try:
        record(*args)
    except Exception:
        log.exception("webhook event %r not recorded", args)


def manageable(user: AbstractBaseUser) -> QuerySet[WebhookSubscription]:
    """The subscriptions ``user`` may see and change: their own; an admin's, everyone's."""
    subscriptions = WebhookSubscription.objects.select_related("owner")
    if roles.has_role(user, roles.ADMIN):
        return subscriptions
    return subscriptions.filter(owner=user.pk)
