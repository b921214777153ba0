"""/healthz and /metrics: each check's states, the token, and the text format's lines."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db.utils import OperationalError
from django.test import Client
from django.utils import timezone

from classification import learning
from classification.ml import features, versions
from classification.models import Document, ModelVersion, Page, WorkerHeartbeat
from docsite import health
from labeling.models import Task
from tests.postgres import reachable

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture(autouse=True)
def _model_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Artifacts in a folder of the test's own; nothing hashed by an earlier test is known."""
    settings.DOCSITE_MODEL_DIR = tmp_path
    monkeypatch.setattr(learning, "_intact", {})


def _heartbeat(age_seconds: float = 2, status: str = "Idle", **fields: Any) -> WorkerHeartbeat:
    values: dict[str, Any] = {
        "cluster_id": uuid.uuid4().hex,
        "name": "docsite",
        "host": "worker-1",
        "pid": 4242,
        "status": status,
        "workers": 2,
        "started_at": timezone.now() - timedelta(hours=1),
        "last_seen": timezone.now() - timedelta(seconds=age_seconds),
    }
    values.update(fields)
    return WorkerHeartbeat.objects.create(**values)


def _active_version(artifact: bytes | None = b"model weights") -> ModelVersion:
    """An active version whose artifact file holds ``artifact`` (none when None), under the
    model folder the ``_model_dir`` fixture points at."""
    version = ModelVersion.objects.create(
        state=ModelVersion.State.ACTIVE,
        artifact_path="v.pt",
        artifact_sha256=hashlib.sha256(artifact or b"").hexdigest(),
    )
    if artifact is not None:
        (Path(django_settings.DOCSITE_MODEL_DIR) / "v.pt").write_bytes(artifact)
    return version


def _health(client: Client | None = None) -> tuple[int, dict[str, Any]]:
    response = (client or Client()).get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_healthy_site_answers_200_without_login(monkeypatch: pytest.MonkeyPatch) -> None:
    _heartbeat(age_seconds=3)
    version = _active_version()
    code, body = _health()
    assert code == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "broker", "worker", "model"}
    assert checks["database"] == {"ok": True}
    assert checks["broker"] == {"ok": True, "broker": "orm"}
    assert checks["worker"]["ok"] is True
    assert 2 <= checks["worker"]["age_seconds"] <= 10
    assert checks["worker"]["last_seen"].startswith(str(timezone.now().year))
    assert checks["model"] == {"ok": True, "version": version.pk, "artifact": "intact"}


def test_healthz_is_not_cached_and_only_answers_reads() -> None:
    response = Client().get("/healthz")
    assert "no-store" in response["Cache-Control"]
    assert Client().post("/healthz").status_code == 405


class _BrokenConnection:
    """A database connection whose every query fails, with a password in the message."""

    def cursor(self) -> Any:
        raise OperationalError("could not connect to postgres://docsite:s3cret-pw@db:5432/x")


def test_database_down_is_503_and_leaks_no_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    _heartbeat()
    monkeypatch.setattr(health, "connection", _BrokenConnection())
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["worker"]["ok"] is True
    text = response.content.decode()
    assert "s3cret-pw" not in text and "Traceback" not in text and "postgres://" not in text


def test_orm_broker_down_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    from django_q.models import OrmQ

    _heartbeat()

    def broken(*args: object) -> Any:
        raise OperationalError("no such table: django_q_ormq")

    monkeypatch.setattr(OrmQ.objects, "using", broken)
    code, body = _health()
    assert code == 503
    assert body["checks"]["broker"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["database"]["ok"] is True


def test_unreachable_redis_is_503_within_the_timeout(settings: Any) -> None:
    """A real connection to a port nobody listens on: refused fast, reported without the URL."""
    _heartbeat()
    settings.DOCSITE_BROKER = "redis"
    settings.Q_CLUSTER = {**django_settings.Q_CLUSTER, "redis": "redis://:hunter2@127.0.0.1:9/0"}
    started = time.monotonic()
    response = Client().get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert "hunter2" not in response.content.decode()


@pytest.mark.skipif(not reachable(6379), reason="Redis is not running on 127.0.0.1:6379")
def test_reachable_redis_is_ok(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _heartbeat()
    _active_version()
    settings.DOCSITE_BROKER = "redis"
    settings.Q_CLUSTER = {**django_settings.Q_CLUSTER, "redis": "redis://127.0.0.1:6379/0"}
    code, body = _health()
    assert body["checks"]["broker"] == {"ok": True, "broker": "redis"}
    assert code == 200


def test_no_worker_ever_is_503() -> None:
    code, body = _health()
    assert code == 503
    assert body["checks"]["worker"] == {"ok": False, "last_seen": None, "age_seconds": None}


def test_a_stale_worker_is_503(settings: Any) -> None:
    settings.DOCSITE_WORKER_STALE_SECONDS = 60
    _heartbeat(age_seconds=75)
    code, body = _health()
    assert code == 503
    worker = body["checks"]["worker"]
    assert worker["ok"] is False and 75 <= worker["age_seconds"] < 90


def test_a_worker_that_stopped_cleanly_is_not_alive() -> None:
    _heartbeat(age_seconds=1, status="Stopped")
    code, body = _health()
    assert code == 503 and body["checks"]["worker"]["last_seen"] is None


def test_the_freshest_running_cluster_counts() -> None:
    _heartbeat(age_seconds=600)
    _heartbeat(age_seconds=5, host="worker-2")
    code, body = _health()
    assert code == 200
    assert body["checks"]["worker"]["ok"] is True
    assert body["checks"]["worker"]["age_seconds"] >= 5


def test_no_model_yet_is_reported_but_healthy() -> None:
    _heartbeat()
    code, body = _health()
    assert code == 200
    assert body["checks"]["model"] == {
        "ok": True,
        "version": None,
        "artifact": None,
        "detail": "no model yet",
    }


def test_an_active_model_whose_artifact_is_missing_changed_or_incompatible_is_503() -> None:
    _heartbeat()
    version = _active_version(artifact=None)
    code, body = _health()
    assert code == 503
    assert body["checks"]["model"] == {"ok": False, "version": version.pk, "artifact": "missing"}

    (Path(django_settings.DOCSITE_MODEL_DIR) / "v.pt").write_bytes(b"tampered")
    assert _health()[1]["checks"]["model"]["artifact"] == "changed"

    version.delete()
    version = _active_version()
    assert _health()[0] == 200
    # Trained before this code's feature version changed: the workers would refuse it.
    version.metrics = {"feature_version": features.FEATURE_VERSION - 1}
    version.save(update_fields=["metrics"])
    code, body = _health()
    assert code == 503 and body["checks"]["model"]["artifact"] == "incompatible"
    version.metrics = {"format_version": versions.FORMAT_VERSION + 1}
    version.save(update_fields=["metrics"])
    assert _health()[1]["checks"]["model"]["artifact"] == "incompatible"


def test_the_model_check_loads_nothing_and_hashes_the_file_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No model (so no torch) in the web process, and the artifact hashed once per process
    until the file changes."""
    _heartbeat()
    _active_version()

    def no_loading(version: ModelVersion) -> None:
        raise AssertionError("the health check loaded the model")

    monkeypatch.setattr(learning, "load_version", no_loading)
    path = Path(django_settings.DOCSITE_MODEL_DIR) / "v.pt"
    reads: list[Path] = []
    read_bytes = Path.read_bytes

    def counting(self: Path) -> bytes:
        if self == path:
            reads.append(self)
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    assert _health()[0] == 200
    assert _health()[0] == 200
    assert len(reads) == 1
    path.write_bytes(b"model weights, retrained in place")
    assert _health()[1]["checks"]["model"]["artifact"] == "changed"
    assert len(reads) == 2


# --- /metrics ----------------------------------------------------------------------------------

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse(text: str) -> dict[str, dict[frozenset[tuple[str, str]], float]]:
    """Every sample of the exposition, checking each line's shape on the way."""
    assert text.endswith("\n")
    samples: dict[str, dict[frozenset[tuple[str, str]], float]] = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            name, kind = line[len("# TYPE ") :].split(" ")
            assert kind in {"gauge", "counter"}
            typed.add(name)
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels_text, value = match.groups()
        assert name in typed, f"{name} has no TYPE line before it"
        labels: list[tuple[str, str]] = []
        if labels_text:
            consumed = 0
            for label in LABEL.finditer(labels_text):
                assert label.start() == consumed, f"bad labels in {line!r}"
                labels.append((label.group(1), _unescape(label.group(2))))
                consumed = label.end()
            assert consumed == len(labels_text), f"bad labels in {line!r}"
        samples.setdefault(name, {})[frozenset(labels)] = float(value)
    return samples


def _metrics(token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return Client().get("/metrics", headers=headers)


def test_metrics_are_off_without_a_configured_token(settings: Any) -> None:
    settings.DOCSITE_METRICS_TOKEN = ""
    assert _metrics().status_code == 404
    assert _metrics(token="").status_code == 404


def test_metrics_need_the_token(settings: Any) -> None:
    settings.DOCSITE_METRICS_TOKEN = TOKEN
    missing = _metrics(token=None)
    assert missing.status_code == 401 and missing.json()["detail"]
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert _metrics(token="wrong").status_code == 401
    assert _metrics(token=TOKEN + "x").status_code == 401
    basic = Client().get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    response = _metrics()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"


def _document(n: int, status: str) -> Document:
    return Document.objects.create(
        sha256=f"{n:064x}",
        original_name=f"d{n}.png",
        original_path=f"originals/{n}",
        mime_type="image/png",
        size_bytes=100,
        status=status,
    )


def test_metric_values_match_the_rows(settings: Any) -> None:
    settings.DOCSITE_METRICS_TOKEN = TOKEN
    statuses = ["queued"] * 2 + ["needs_review"] * 3 + ["classified"] * 4 + ["failed"]
    docs = [_document(i, status) for i, status in enumerate(statuses)]
    for doc, seconds in zip(docs[2:5], (1.5, 2.25, 0.25), strict=True):
        Page.objects.create(
            document=doc,
            number=1,
            image_path="p",
            thumbnail_path="t",
            width=1,
            height=1,
            ocr_seconds=seconds,
        )
    Page.objects.create(
        document=docs[2],
        number=2,
        image_path="p",
        thumbnail_path="t",
        width=1,
        height=1,
        ocr_seconds=1.0,
    )
    Task.objects.create(document=docs[2], kind=Task.Kind.REVIEW)
    Task.objects.create(document=docs[3], kind=Task.Kind.REVIEW)
    Task.objects.create(document=docs[5], kind=Task.Kind.QA)
    Task.objects.create(document=docs[6], kind=Task.Kind.REVIEW, state=Task.State.DONE)
    oldest = Task.objects.create(document=docs[4], kind=Task.Kind.OVERLAP)
    Task.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(seconds=300))
    ModelVersion.objects.create(state=ModelVersion.State.REJECTED)
    ModelVersion.objects.create(state=ModelVersion.State.RETIRED)
    ModelVersion.objects.create(state=ModelVersion.State.REJECTED)
    active = ModelVersion.objects.create(state=ModelVersion.State.ACTIVE)
    beat = _heartbeat(age_seconds=12, host='rack "7"\\a\nb')

    samples = parse(_metrics().content.decode())

    assert samples["docsite_documents"] == {
        frozenset({("status", "queued")}): 2,
        frozenset({("status", "processing")}): 0,
        frozenset({("status", "needs_review")}): 3,
        frozenset({("status", "classified")}): 4,
        frozenset({("status", "failed")}): 1,
    }
    assert samples["docsite_queue_depth"] == {
        frozenset({("kind", "review")}): 2,
        frozenset({("kind", "qa")}): 1,
        frozenset({("kind", "overlap")}): 1,
    }
    assert 300 <= samples["docsite_queue_oldest_seconds"][frozenset()] < 330
    assert samples["docsite_pages_processed_total"] == {frozenset(): 4}
    assert samples["docsite_ocr_seconds_total"] == {frozenset(): 5.0}
    assert samples["docsite_training_runs_total"] == {
        frozenset({("state", "candidate")}): 0,
        frozenset({("state", "active")}): 1,
        frozenset({("state", "rejected")}): 2,
        frozenset({("state", "retired")}): 1,
    }
    assert samples["docsite_active_model_version"] == {frozenset(): active.pk}
    ((labels, age),) = samples["docsite_worker_last_seen_seconds"].items()
    assert dict(labels) == {
        "cluster": beat.cluster_id,
        "name": "docsite",
        "host": 'rack "7"\\a\nb',
        "status": "Idle",
    }
    assert 12 <= age < 30


def test_an_empty_site_has_every_family(settings: Any) -> None:
    settings.DOCSITE_METRICS_TOKEN = TOKEN
    text = _metrics().content.decode()
    samples = parse(text)
    assert samples["docsite_active_model_version"] == {frozenset(): 0}
    assert samples["docsite_queue_oldest_seconds"] == {frozenset(): 0}
    assert samples["docsite_pages_processed_total"] == {frozenset(): 0}
    assert samples["docsite_ocr_seconds_total"] == {frozenset(): 0}
    assert set(samples["docsite_documents"].values()) == {0}
    assert "# TYPE docsite_worker_last_seen_seconds gauge" in text
    for name in samples:
        assert f"# HELP {name} " in text


def test_metrics_cost_a_fixed_number_of_queries(
    settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.DOCSITE_METRICS_TOKEN = TOKEN
    for i in range(30):
        _document(i, "classified")
        _heartbeat()
    with django_assert_max_num_queries(12):
        assert _metrics().status_code == 200


def test_label_values_are_escaped() -> None:
    assert health.escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert health.format_value(3) == "3"
    assert health.format_value(2.5) == "2.5"
    assert health.format_value(float("inf")) == "+Inf"
