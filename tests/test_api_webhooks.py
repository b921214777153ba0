"""Webhooks: the endpoints, signing, retries with backoff, refused targets, visibility, and the
events real product actions send, delivered to a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from classification import learning, ocr, pipeline, services, signals, storage
from classification.models import Document, DocumentType, ModelVersion
from docsite.api import delivery, outbound
from docsite.api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from tests import documents
from tests.test_learning import install_model, trained_artifact  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

ALL_DOCUMENT_EVENTS = [t for t in delivery.EVENT_TYPES if t.startswith("document.")]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records each POST and answers from a script."""

    url: str
    requests: list[Received] = field(default_factory=list)
    # (status, seconds to wait first, extra headers) per request; the last one repeats.
    script: list[tuple[int, float, dict[str, str]]] = field(default_factory=list)

    def answer(self) -> tuple[int, float, dict[str, str]]:
        if not self.script:
            return 200, 0.0, {}
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.requests]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status, wait, headers = state.answer()
            time.sleep(wait)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    settings.DOCSITE_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    yield state
    server.shutdown()
    server.server_close()


def documented_verify() -> Callable[..., bool]:
    """The verification snippet exactly as docs/api.md shows it."""
    text = (Path(django_settings.BASE_DIR) / "docs" / "api.md").read_text()
    section = text.split("### Verifying the signature", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "docs/api.md lost its verification snippet"
    namespace: dict[str, Any] = {}
    exec(match.group(1), namespace)  # noqa: S102  (our own documentation)
    return namespace["verify"]


def subscribe(owner: User, url: str, events: list[str], **fields: Any) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        owner=owner, url=url, event_types=events, secret=delivery.new_secret(), **fields
    )


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def make_due(*deliveries: WebhookDelivery) -> None:
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    pending.filter(pk__in=[d.pk for d in deliveries]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


# --- Endpoints --------------------------------------------------------------------------------


def test_a_subscription_is_created_with_a_secret_shown_to_its_owner_and_never_in_lists(
    api_client_for: Callable[[User], APIClient], uploader: User, other_uploader: User
) -> None:
    client = api_client_for(uploader)
    response = client.post(
        "/api/v1/webhooks",
        {"url": "https://hooks.example.com/docsite", "event_types": ["document.failed"] * 2},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["event_types"] == ["document.failed"] and body["active"] is True
    assert body["owner"] == uploader.username
    stored = WebhookSubscription.objects.get()
    assert stored.secret == body["secret"] and stored.owner == uploader
    listed = client.get("/api/v1/webhooks").json()
    assert [s["id"] for s in listed["results"]] == [stored.pk]
    assert "secret" not in listed["results"][0]
    assert client.get(f"/api/v1/webhooks/{stored.pk}").json()["secret"] == stored.secret
    assert api_client_for(other_uploader).get("/api/v1/webhooks").json()["results"] == []
    # A given secret is kept; PATCH changes fields and rotates it.
    given = client.post(
        "/api/v1/webhooks",
        {"url": "http://8.8.8.8/x", "event_types": ["document.labeled"], "secret": "s" * 20},
        format="json",
    )
    assert given.status_code == 201 and given.json()["secret"] == "s" * 20
    patched = client.patch(
        f"/api/v1/webhooks/{stored.pk}",
        {"active": False, "secret": "rotated-secret-123", "event_types": ALL_DOCUMENT_EVENTS},
        format="json",
    )
    assert patched.status_code == 200
    stored.refresh_from_db()
    assert not stored.active and stored.secret == "rotated-secret-123"
    assert stored.event_types == ALL_DOCUMENT_EVENTS and stored.url.endswith("/docsite")
    assert client.delete(f"/api/v1/webhooks/{stored.pk}").status_code == 204
    assert not WebhookSubscription.objects.filter(pk=stored.pk).exists()


def test_an_admin_sees_and_manages_everyones_subscriptions(
    api_client_for: Callable[[User], APIClient], uploader: User, admin_user: User
) -> None:
    mine = subscribe(uploader, "https://a.example.com/", ["document.failed"])
    admin = api_client_for(admin_user)
    assert [s["id"] for s in admin.get("/api/v1/webhooks").json()["results"]] == [mine.pk]
    assert admin.get(f"/api/v1/webhooks/{mine.pk}").json()["secret"] == mine.secret
    assert admin.patch(f"/api/v1/webhooks/{mine.pk}", {"active": False}).status_code == 200
    mine.refresh_from_db()
    assert mine.active is False


def test_every_endpoint_needs_credentials_and_a_role(
    api_client_for: Callable[[User], APIClient], uploader: User, outsider: User
) -> None:
    hook = subscribe(uploader, "https://a.example.com/", ["document.failed"])
    calls = [
        ("get", "/api/v1/webhooks"),
        ("post", "/api/v1/webhooks"),
        ("get", f"/api/v1/webhooks/{hook.pk}"),
        ("patch", f"/api/v1/webhooks/{hook.pk}"),
        ("delete", f"/api/v1/webhooks/{hook.pk}"),
        ("get", f"/api/v1/webhooks/{hook.pk}/deliveries"),
        ("post", f"/api/v1/webhooks/{hook.pk}/test"),
    ]
    no_role = api_client_for(outsider)
    for method, url in calls:
        assert_error(getattr(APIClient(), method)(url), 401, "not_authenticated")
        assert_error(getattr(no_role, method)(url, {}, format="json"), 403, "permission_denied")
    assert WebhookSubscription.objects.filter(pk=hook.pk).exists()
    assert not WebhookDelivery.objects.exists()


def test_another_users_subscription_is_not_found(
    api_client_for: Callable[[User], APIClient], uploader: User, other_uploader: User
) -> None:
    hook = subscribe(uploader, "https://a.example.com/", ["document.failed"])
    other = api_client_for(other_uploader)
    for method, url in [
        ("get", f"/api/v1/webhooks/{hook.pk}"),
        ("patch", f"/api/v1/webhooks/{hook.pk}"),
        ("delete", f"/api/v1/webhooks/{hook.pk}"),
        ("get", f"/api/v1/webhooks/{hook.pk}/deliveries"),
        ("post", f"/api/v1/webhooks/{hook.pk}/test"),
        ("get", "/api/v1/webhooks/999999"),
    ]:
        assert_error(
            getattr(other, method)(url, {"active": False}, format="json"), 404, "not_found"
        )
    hook.refresh_from_db()
    assert hook.active and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://files.example.com/in", "event_types": ["document.failed"]}, "url"),
        ({"url": "file:///etc/passwd", "event_types": ["document.failed"]}, "url"),
        ({"url": "javascript:alert(1)", "event_types": ["document.failed"]}, "url"),
        ({"url": "https://", "event_types": ["document.failed"]}, "url"),
        ({"url": "https://u:p@example.com/", "event_types": ["document.failed"]}, "url"),
        ({"url": "http://10.1.2.3/hook", "event_types": ["document.failed"]}, "url"),
        ({"url": "http://169.254.169.254/latest", "event_types": ["document.failed"]}, "url"),
        ({"url": "http://[::1]:8000/", "event_types": ["document.failed"]}, "url"),
        ({"url": "https://a.example.com/", "event_types": ["document.eaten"]}, "event_types"),
        ({"url": "https://a.example.com/", "event_types": []}, "event_types"),
        ({"url": "https://a.example.com/", "event_types": "document.failed"}, "event_types"),
        ({"url": "https://a.example.com/", "event_types": ["model.promoted"]}, "event_types"),
        ({"event_types": ["document.failed"]}, "url"),
        (
            {"url": "https://a.example.com/", "event_types": ["document.failed"], "secret": "x"},
            "secret",
        ),
    ],
)
def test_bad_subscriptions_are_refused_with_the_reason(
    api_client_for: Callable[[User], APIClient],
    uploader: User,
    payload: dict[str, Any],
    field: str,
) -> None:
    client = api_client_for(uploader)
    error = assert_error(client.post("/api/v1/webhooks", payload, format="json"), 400, "invalid")
    assert field in error["details"]
    assert not WebhookSubscription.objects.exists()
    if field not in payload:
        return  # a PATCH may leave any field out
    hook = subscribe(uploader, "https://a.example.com/", ["document.failed"])
    response = client.patch(f"/api/v1/webhooks/{hook.pk}", payload, format="json")
    assert_error(response, 400, "invalid")
    hook.refresh_from_db()
    assert hook.url == "https://a.example.com/" and hook.event_types == ["document.failed"]


def test_an_admin_may_subscribe_to_model_promotions(
    api_client_for: Callable[[User], APIClient], admin_user: User
) -> None:
    response = api_client_for(admin_user).post(
        "/api/v1/webhooks",
        {"url": "https://a.example.com/", "event_types": ["model.promoted"]},
        format="json",
    )
    assert response.status_code == 201 and response.json()["event_types"] == ["model.promoted"]


def test_the_endpoints_are_described_in_the_openapi_schema(client: Any) -> None:
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert set(paths["/api/v1/webhooks"]) >= {"get", "post"}
    assert set(paths["/api/v1/webhooks/{webhook_id}"]) >= {"get", "patch", "delete"}
    assert "post" in paths["/api/v1/webhooks/{webhook_id}/test"]
    listed = paths["/api/v1/webhooks/{webhook_id}/deliveries"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(listed)


# --- Delivery: signing, retries, refusals -----------------------------------------------------


def test_a_test_ping_arrives_signed_and_verifies_with_the_documented_snippet(
    api_client_for: Callable[[User], APIClient],
    uploader: User,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    hook = subscribe(uploader, receiver.url, ["document.failed"])
    client = api_client_for(uploader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhooks/{hook.pk}/test")
    assert response.status_code == 202, response.content
    [request] = receiver.requests
    event = WebhookEvent.objects.get()
    sent = WebhookDelivery.objects.get()
    assert response.json()["delivery"]["id"] == sent.pk
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Docsite-Event"] == "ping"
    assert request.headers["X-Docsite-Event-Id"] == str(event.event_id)
    assert request.headers["X-Docsite-Delivery"] == str(sent.pk)
    body = json.loads(request.body)
    assert body["id"] == str(event.event_id) and body["type"] == "ping"
    assert body["data"] == {"subscription": {"id": hook.pk, "url": hook.url}}
    assert abs(datetime.fromisoformat(body["time"]) - timezone.now()).total_seconds() < 60
    verify = documented_verify()
    header = request.headers["X-Docsite-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify(hook.secret, request.body, header)
    assert not verify("another-secret-entirely", request.body, header)
    assert not verify(hook.secret, request.body.replace(b"ping", b"pong"), header)
    assert not verify(hook.secret, request.body, "v1=" + header.split("v1=")[1])
    # A signature from 10 minutes ago is refused: it may be a replay.
    old = int(time.time()) - 600
    assert not verify(hook.secret, request.body, delivery.signature(hook.secret, old, request.body))
    sent.refresh_from_db()
    assert sent.status == "succeeded" and sent.attempts == 1 and sent.last_status_code == 200
    assert sent.response_ms is not None and sent.next_attempt_at is None
    log = client.get(f"/api/v1/webhooks/{hook.pk}/deliveries").json()["results"]
    assert log[0]["status"] == "succeeded" and log[0]["event"]["type"] == "ping"


def test_a_paused_subscription_cannot_be_tested(
    api_client_for: Callable[[User], APIClient], uploader: User
) -> None:
    hook = subscribe(uploader, "https://a.example.com/", ["document.failed"], active=False)
    response = api_client_for(uploader).post(f"/api/v1/webhooks/{hook.pk}/test")
    assert_error(response, 400, "inactive")
    assert not WebhookDelivery.objects.exists()


def test_failures_are_retried_with_exponential_backoff_and_the_same_event_id(
    uploader: User, receiver: Receiver
) -> None:
    receiver.script = [(500, 0, {}), (503, 0, {}), (200, 0, {})]
    hook = subscribe(uploader, receiver.url, ["document.failed"])
    sent = delivery.send_test(hook)  # the on-commit enqueue does not fire in a test
    assert delivery.deliver(sent.pk) == "pending"
    sent.refresh_from_db()
    assert sent.attempts == 1 and sent.last_status_code == 500 and "HTTP 500" in sent.last_error
    wait = (sent.next_attempt_at - timezone.now()).total_seconds()  # type: ignore[operator]
    assert 25 < wait <= 30
    # Not due yet: neither the task nor the sweep sends it again.
    assert delivery.deliver(sent.pk) == "skipped" and delivery.deliver_due() == 0
    assert len(receiver.requests) == 1
    make_due(sent)
    assert delivery.deliver_due() == 1  # queues it; tasks run inline in tests
    sent.refresh_from_db()
    assert sent.attempts == 2 and sent.last_status_code == 503 and sent.status == "pending"
    wait = (sent.next_attempt_at - timezone.now()).total_seconds()  # type: ignore[operator]
    assert 55 < wait <= 60
    make_due(sent)
    assert delivery.deliver(sent.pk) == "succeeded"
    assert delivery.deliver(sent.pk) == "skipped"  # running it twice changes nothing
    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.last_status_code, sent.last_error) == (
        "succeeded",
        3,
        200,
        "",
    )
    assert len(receiver.requests) == 3
    # The receiver can tell a retry from a new event: same id, same body.
    assert len({r.headers["X-Docsite-Event-Id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [
        30,
        60,
        120,
        240,
        480,
    ]


def test_a_delivery_is_marked_failed_after_the_last_attempt(
    api_client_for: Callable[[User], APIClient],
    settings: Any,
    uploader: User,
    receiver: Receiver,
) -> None:
    settings.DOCSITE_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.script = [(500, 0, {})]
    hook = subscribe(uploader, receiver.url, ["document.failed"])
    sent = delivery.send_test(hook)
    outcomes = []
    for _ in range(4):
        make_due(sent)
        outcomes.append(delivery.deliver(sent.pk))
    assert outcomes == ["pending", "pending", "failed", "skipped"]
    assert len(receiver.requests) == 3
    log = api_client_for(uploader).get(f"/api/v1/webhooks/{hook.pk}/deliveries").json()
    [entry] = log["results"]
    assert entry["status"] == "failed" and entry["attempts"] == 3
    assert entry["last_status_code"] == 500 and entry["next_attempt_at"] is None
    assert entry["last_error"].startswith("HTTP 500")


def test_the_log_forgets_finished_deliveries_after_30_days(
    monkeypatch: pytest.MonkeyPatch, uploader: User
) -> None:
    hook = subscribe(uploader, "https://a.example.com/", ["document.failed"])
    old, recent, waiting = (delivery.send_test(hook) for _ in range(3))
    long_ago = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.filter(pk__in=[old.pk, recent.pk]).update(status="succeeded")
    WebhookDelivery.objects.filter(pk__in=[old.pk, waiting.pk]).update(updated_at=long_ago)
    WebhookEvent.objects.filter(pk=old.event_id).update(created_at=long_ago)
    WebhookDelivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    monkeypatch.setattr(delivery, "_enqueue", lambda ids: None)
    assert delivery.deliver_due() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not WebhookEvent.objects.filter(pk=old.event_id).exists()
    assert WebhookEvent.objects.count() == 2


def test_a_slow_receiver_times_out_and_is_retried(
    monkeypatch: pytest.MonkeyPatch, uploader: User, receiver: Receiver
) -> None:
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.5)
    receiver.script = [(200, 2.0, {})]
    hook = subscribe(uploader, receiver.url, ["document.failed"])
    sent = delivery.send_test(hook)
    started = time.monotonic()
    assert delivery.deliver(sent.pk) == "pending"
    assert time.monotonic() - started < 1.8
    sent.refresh_from_db()
    assert "0.5 s" in sent.last_error and sent.last_status_code is None
    assert sent.attempts == 1 and sent.next_attempt_at is not None


def test_a_redirect_is_not_followed(uploader: User, receiver: Receiver) -> None:
    receiver.script = [(302, 0, {"Location": "file:///etc/passwd"})]
    hook = subscribe(uploader, receiver.url, ["document.failed"])
    sent = delivery.send_test(hook)
    assert delivery.deliver(sent.pk) == "pending"
    sent.refresh_from_db()
    assert sent.last_status_code == 302 and len(receiver.requests) == 1


def test_targets_outside_the_allow_list_are_refused_without_a_request(
    settings: Any, uploader: User, receiver: Receiver
) -> None:
    local = receiver.url.replace("127.0.0.1", "localhost")
    for allowed, debug in ([], False), (["10.0.0.0/8", "hooks.example.com"], True), (["*"], False):
        settings.DOCSITE_WEBHOOK_ALLOWED_HOSTS = allowed
        settings.DEBUG = debug
        hook = subscribe(uploader, local, ["document.failed"])
        sent = delivery.send_test(hook)
        assert delivery.deliver(sent.pk) == "failed"  # at once: a retry cannot help
        sent.refresh_from_db()
        assert sent.attempts == 1 and "DOCSITE_WEBHOOK_ALLOWED_HOSTS" in sent.last_error
    assert receiver.requests == []
    # Loopback is allowed when DEBUG is on and nothing is listed, or when listed by name.
    for allowed, debug in ([], True), (["localhost"], False), (["127.0.0.0/8", "::1"], False):
        settings.DOCSITE_WEBHOOK_ALLOWED_HOSTS = allowed
        settings.DEBUG = debug
        hook = subscribe(uploader, local, ["document.failed"])
        assert delivery.deliver(delivery.send_test(hook).pk) == "succeeded"
    assert len(receiver.requests) == 3


def test_only_http_urls_are_ever_requested(settings: Any) -> None:
    for url in ("file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.com/", "x"):
        with pytest.raises(outbound.TargetRefused, match="Only http"):
            outbound.post(url, b"{}", {})
    settings.DOCSITE_WEBHOOK_ALLOWED_HOSTS = []
    settings.DEBUG = False
    ip = outbound.ipaddress.ip_address
    assert outbound.allowed("example.com", ip("93.184.216.34"))
    for address in ("127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "::1", "fc00::1"):
        assert not outbound.allowed("example.com", ip(address)), address
    with pytest.raises(outbound.TargetRefused):
        outbound.check_host("::ffff:127.0.0.1")
    settings.DOCSITE_WEBHOOK_ALLOWED_HOSTS = ["*.example.com"]
    assert outbound.allowed("hooks.example.com", ip("10.0.0.1"))
    assert not outbound.allowed("example.org", ip("93.184.216.34"))


def test_a_paused_subscription_gets_no_events_and_its_retries_fail(
    uploader: User, receiver: Receiver
) -> None:
    document = services.ingest_upload(documents.png(), "a.png", uploader).document
    hook = subscribe(uploader, receiver.url, ["document.labeled"])
    sent = delivery.send_test(hook)
    WebhookSubscription.objects.filter(pk=hook.pk).update(active=False)
    assert delivery.record_document_event("document.labeled", document.pk) is None
    assert delivery.deliver(sent.pk) == "failed" and receiver.requests == []


# --- Events from the product ------------------------------------------------------------------


@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
def test_processing_and_labeling_send_events_only_to_those_who_may_see_the_document(
    uploader: User,
    other_uploader: User,
    admin_user: User,
    labeler: User,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mine = subscribe(uploader, receiver.url + "/mine", ALL_DOCUMENT_EVENTS)
    theirs = subscribe(other_uploader, receiver.url + "/theirs", ALL_DOCUMENT_EVENTS)
    admin = subscribe(admin_user, receiver.url + "/admin", ["document.processed"])
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_upload(
            documents.png(["INVOICE 4711", "Total 99.00"]), "a.png", uploader
        ).document
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW
    by_path = {
        path: [(b["type"], b["data"]["document"]["id"]) for b in bodies]
        for path, bodies in _bodies_by_path(receiver).items()
    }
    assert by_path == {
        "/hook/mine": [
            ("document.needs_review", document.pk),
            ("document.processed", document.pk),
        ],
        "/hook/admin": [("document.processed", document.pk)],
    }
    processed = _bodies_by_path(receiver)["/hook/mine"][1]["data"]["document"]
    assert processed["status"] == "needs_review" and processed["url"] == (
        f"/api/v1/documents/{document.pk}"
    )
    assert processed["routing_reason"] == "no model yet" and processed["document_type"] is None
    assert not WebhookDelivery.objects.filter(subscription=theirs).exists()
    assert WebhookDelivery.objects.filter(subscription=mine, status="succeeded").count() == 2
    assert WebhookDelivery.objects.filter(subscription=admin, status="succeeded").count() == 1

    receiver.requests.clear()
    invoice = DocumentType.objects.get(name="invoice")
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_type(document, invoice, labeler)
    [labeled] = _bodies_by_path(receiver)["/hook/mine"]
    assert labeled["type"] == "document.labeled"
    assert labeled["data"]["document"]["document_type"] == "invoice"
    assert labeled["data"]["document"]["status"] == "classified"
    assert len(receiver.requests) == 1


@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
def test_a_document_that_fails_processing_sends_document_failed(
    uploader: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(uploader, receiver.url, ["document.failed", "document.processed"])
    # Without a committed transaction the upload is not processed yet.
    document = services.ingest_upload(documents.png(), "a.png", uploader).document
    storage.delete(document.original_path)
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.process_document(document.pk) == "failed"
    [body] = receiver.bodies()
    assert body["type"] == "document.failed"
    assert body["data"]["document"]["status"] == "failed" and body["data"]["document"]["error"]


def test_auto_accepted_documents_send_document_classified(
    uploader: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(uploader, receiver.url, ["document.classified"])
    document = services.ingest_upload(documents.png(), "a.png", uploader).document
    with django_capture_on_commit_callbacks(execute=True):
        signals.send_routed(document.pk, "review")  # not subscribed
        signals.send_routed(document.pk, "classified", None)
    assert [b["type"] for b in receiver.bodies()] == ["document.classified"]


def test_a_promoted_model_is_announced_to_admins_only(
    settings: Any,
    tmp_path: Path,
    admin_user: User,
    uploader: User,
    receiver: Receiver,
    trained_artifact: tuple[Path, str],  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DOCSITE_MODEL_DIR = tmp_path / "models"
    learning._forget_cached_model()
    subscribe(admin_user, receiver.url + "/admin", ["model.promoted"])
    # Made through the ORM: the endpoint refuses model.promoted to a non-admin.
    subscribe(uploader, receiver.url + "/uploader", ["model.promoted"])
    version = install_model(
        trained_artifact, state=ModelVersion.State.REJECTED, metrics={"macro_f1": 0.9}
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            learning.promote(version, admin_user)
    finally:
        learning._forget_cached_model()
    [request] = receiver.requests
    assert request.path == "/hook/admin"
    body = json.loads(request.body)
    assert body["type"] == "model.promoted"
    assert body["data"]["model_version"] == {
        "id": version.pk,
        "url": f"/api/v1/model-versions/{version.pk}",
        "state": "active",
        "action": "promoted",
        "promoted_at": body["data"]["model_version"]["promoted_at"],
        "macro_f1": 0.9,
    }
    assert body["data"]["model_version"]["promoted_at"] is not None


def test_a_delivery_for_someone_on_a_blind_check_omits_the_type(uploader: User) -> None:
    document = services.ingest_upload(documents.png(), "a.png", uploader).document
    Document.objects.filter(pk=document.pk).update(
        document_type=DocumentType.objects.get(name="invoice"),
        type_confidence=0.97,
        routing_reason="confident Invoice (0.970)",
    )
    hook = subscribe(uploader, "https://a.example.com/", ["document.classified"])
    event = delivery.record_document_event("document.classified", document.pk)
    assert event is not None
    sent = WebhookDelivery.objects.get(subscription=hook)
    assert json.loads(delivery.event_body(sent))["data"]["document"]["document_type"] == "invoice"
    sent.hide_labels = True
    hidden = json.loads(delivery.event_body(sent))["data"]["document"]
    assert hidden["document_type"] is None and hidden["type_confidence"] is None
    assert hidden["routing_reason"] == ""


def _bodies_by_path(receiver: Receiver) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for request in receiver.requests:
        grouped.setdefault(request.path, []).append(json.loads(request.body))
    return grouped
