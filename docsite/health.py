"""``/healthz`` for load balancers and ``/metrics`` for Prometheus.

``/healthz`` needs no login and says only what an outsider may know: each check's verdict, the
worker's last heartbeat and the active model's id; a failing check names the exception's class,
never its message (a connection error can carry a URL with a password). ``/metrics`` answers
only to ``Authorization: Bearer <DOCSITE_METRICS_TOKEN>``, and not at all (404) while no token
is configured. Every figure is counted by the database: a scrape costs a handful of queries,
whatever the number of documents.
"""

from __future__ import annotations

import hmac
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from classification import learning, workers
from classification.models import Document, ModelVersion, Page
from labeling.stats import queue_figures

log = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.0
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Check = dict[str, Any]


# --- /healthz ----------------------------------------------------------------------------------


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_broker() -> Check:
    """The task broker answers: the django-q2 queue table (ORM broker) or a Redis PING with a
    one-second timeout, so an unreachable Redis cannot hold the health check up."""
    if settings.DOCSITE_BROKER == "redis":
        import redis

        client = redis.Redis.from_url(
            str(settings.Q_CLUSTER["redis"]),
            socket_timeout=BROKER_TIMEOUT_SECONDS,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        )
        try:
            return {"ok": bool(client.ping()), "broker": "redis"}
        finally:
            client.close()
    from django_q.models import OrmQ

    OrmQ.objects.using(str(settings.Q_CLUSTER["orm"])).exists()
    return {"ok": True, "broker": "orm"}


def check_worker() -> Check:
    """A running cluster wrote its heartbeat within DOCSITE_WORKER_STALE_SECONDS."""
    seen = workers.last_seen()
    if seen is None:
        return {"ok": False, "last_seen": None, "age_seconds": None}
    age = max(0.0, (timezone.now() - seen).total_seconds())
    return {
        "ok": age <= settings.DOCSITE_WORKER_STALE_SECONDS,
        "last_seen": seen.isoformat(),
        "age_seconds": round(age, 1),
    }


def check_model() -> Check:
    """The active version's artifact is there, unchanged and of this code's format: what a
    worker needs to load it. Checked without loading it (``learning.artifact_problem``: no
    torch in a web process, and a hash only when the file changed).

    No active version at all is healthy: a new site has no model until people have labeled
    enough, and meanwhile every document goes to review by design. A version that is active
    but whose artifact cannot load is not: nothing is auto-accepted although it should be.
    """
    version = ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE).first()
    if version is None:
        return {"ok": True, "version": None, "artifact": None, "detail": "no model yet"}
    problem = learning.artifact_problem(version)
    return {"ok": problem is None, "version": version.pk, "artifact": problem or "intact"}


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "broker": check_broker,
    "worker": check_worker,
    "model": check_model,
}


def run_checks() -> dict[str, Check]:
    """Every check's verdict; one that raises is a failure named by its exception class."""
    results: dict[str, Check] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:
            log.warning("health check %s failed", name, exc_info=True)
            results[name] = {"ok": False, "error": type(exc).__name__}
    return results


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )


# --- /metrics ----------------------------------------------------------------------------------


def escape_label(value: object) -> str:
    """A label value as the text format wants it: backslash, quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    if isinstance(value, int) or (math.isfinite(value) and value == int(value)):
        return str(int(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


class Exposition:
    """Metric families in the Prometheus text format 0.0.4."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self,
        name: str,
        kind: str,
        help_text: str,
        samples: Iterable[tuple[dict[str, object], float]],
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            rendered = ",".join(f'{key}="{escape_label(v)}"' for key, v in labels.items())
            label_part = "{" + rendered + "}" if rendered else ""
            self.lines.append(f"{name}{label_part} {format_value(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _counts(rows: Iterable[tuple[str, int]], every: Iterable[str]) -> list[tuple[str, int]]:
    """Counts for every known value, zero included (a series must not vanish when it is 0)."""
    found = dict(rows)
    names = list(every) + sorted(set(found) - set(every))
    return [(name, found.get(name, 0)) for name in names]


def metrics_text() -> str:
    now = timezone.now()
    out = Exposition()
    documents = Document.objects.order_by().values_list("status").annotate(n=Count("pk"))
    out.family(
        "docsite_documents",
        "gauge",
        "Documents by processing status.",
        (({"status": s}, n) for s, n in _counts(documents, Document.Status.values)),
    )
    queue = queue_figures(now)
    out.family(
        "docsite_queue_depth",
        "gauge",
        "Open review-queue tasks by kind.",
        (({"kind": kind}, n) for kind, n in queue["by_kind"].items()),
    )
    out.family(
        "docsite_queue_oldest_seconds",
        "gauge",
        "Seconds the oldest open review task has waited (0 when the queue is empty).",
        [({}, queue["oldest_waiting_seconds"] or 0)],
    )
    pages = Page.objects.aggregate(n=Count("pk"), ocr=Sum("ocr_seconds"))
    out.family(
        "docsite_pages_processed_total",
        "counter",
        "Pages rendered and read (OCR or text layer).",
        [({}, pages["n"])],
    )
    out.family(
        "docsite_ocr_seconds_total",
        "counter",
        "Seconds spent reading pages' text (OCR or text layer).",
        [({}, float(pages["ocr"] or 0.0))],
    )
    runs = ModelVersion.objects.order_by().values_list("state").annotate(n=Count("pk"))
    out.family(
        "docsite_training_runs_total",
        "counter",
        "Trained model versions by state.",
        (({"state": s}, n) for s, n in _counts(runs, ModelVersion.State.values)),
    )
    active = (
        ModelVersion.objects.filter(state=ModelVersion.State.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    out.family(
        "docsite_active_model_version",
        "gauge",
        "Id of the active model version (0 when there is none).",
        [({}, active or 0)],
    )
    out.family(
        "docsite_worker_last_seen_seconds",
        "gauge",
        "Seconds since each worker cluster's last heartbeat.",
        (
            (
                {"cluster": c.cluster_id, "name": c.name, "host": c.host, "status": c.status},
                round(max(0.0, (now - c.last_seen).total_seconds()), 3),
            )
            for c in workers.clusters()
        ),
    )
    return out.text()


def _unauthorized() -> JsonResponse:
    response = JsonResponse({"detail": "A valid metrics token is required."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.DOCSITE_METRICS_TOKEN
    if not token:
        return JsonResponse({"detail": "Not found."}, status=404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        return _unauthorized()
    return HttpResponse(metrics_text(), content_type=METRICS_CONTENT_TYPE)
