"""The REST API under load: upload and list over HTTP against the server `make run` starts.

    .venv/bin/python -m bench.api [--uploads 500] [--clients 8] [--documents 10000] [--port 0]
                                  [--list-requests 800] [--no-worker]

In a fresh data folder (its own SQLite database and media, removed afterwards) the bench runs
``migrate``, makes an admin and an API key, and fills the database with generated document rows
(no files, no pages: the list reads rows only) until it holds ``--documents``. Then it starts
``manage.py serve`` as ``make run`` does (waitress with 8 threads and a django-q2 worker cluster
beside it, ``--no-worker`` for the web server alone) on ``--port`` (0: a free one) and waits for
it to answer.

1. **Upload**: ``--clients`` threads, each with its own keep-alive HTTP connection, POST
   ``--uploads`` small generated PNGs (200x100, a distinct line of text each, so no upload is a
   duplicate) one per request to ``/api/v1/documents`` (multipart ``files``), and expect 202.
   The call returns before processing; the worker cluster starts on the documents meanwhile.
2. **List**: the same number of clients make ``--list-requests`` GET ``/api/v1/documents``
   calls between them: every third one follows the previous answer's ``next`` cursor, the
   others ask for the first page (50 rows, newest first). The worker keeps processing uploads
   meanwhile, as it would on a real site.
3. **List alone**: one client makes 100 such calls, one after another (``list_1client_*``):
   the time the server needs for a page when no other request waits for the CPU.

The API rate limit (``DOCSITE_API_RATE``, 1200/minute per key by default) is raised for the
server, or the clients would measure 429s. One JSON line goes to stdout; logs to stderr.
Targets (issue 6): upload p95 at most 300 ms and list p95 at most 150 ms with 10,000 documents.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import logging
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.pipeline import percentile  # noqa: E402

log = logging.getLogger("bench.api")

UPLOAD_TARGET_MS = 300.0
LIST_TARGET_MS = 150.0
BATCH = 5000
SINGLE_CLIENT_LISTS = 100
API_RATE = "1000000/minute"
# Variables that would point the server at another database, media folder or broker.
_FOREIGN_ENV = ("DATABASE_URL", "DATABASE_URL_FILE", "DOCSITE_MEDIA_ROOT", "DOCSITE_BROKER")


# --- The site --------------------------------------------------------------------------------


def site_environment(data_dir: Path) -> dict[str, str]:
    """The environment of the server and of this process: the fresh data folder, the ORM
    broker, tasks queued (never run inline) and a rate limit the clients do not reach."""
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_ENV}
    env.update(
        DOCSITE_DATA_DIR=str(data_dir),
        DOCSITE_TASKS_SYNC="0",
        DOCSITE_API_RATE=API_RATE,
        DJANGO_SETTINGS_MODULE="docsite.settings",
    )
    return env


def prepare(data_dir: Path, documents: int, seed: int) -> str:
    """Migrate, make an admin and their key, fill the database; the key."""
    env = site_environment(data_dir)
    subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "migrate", "--noinput"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connections

    from docsite import roles
    from docsite.api import tokens

    admin = User.objects.create_superuser("bench-admin", password=uuid.uuid4().hex)
    admin.groups.add(Group.objects.get_or_create(name=roles.ADMIN)[0])
    fill_documents(documents, admin, seed)
    key = tokens.create(admin, "bench")[1]
    connections.close_all()
    return key


def fill_documents(documents: int, uploader: Any, seed: int) -> None:
    """``documents`` generated rows (no files, no pages), as processing would leave them: about
    two thirds classified with a type and a confidence, the rest waiting for review."""
    from classification.models import Document, DocumentType

    types = list(DocumentType.objects.filter(active=True).order_by("pk"))
    rng = random.Random(seed)
    for start in range(0, documents, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, documents)):
            classified = rng.random() < 0.67
            rows.append(
                Document(
                    sha256=f"{seed:08x}{i:056x}",
                    original_name=f"generated-{i}.png",
                    original_path=f"originals/generated-{i}.png",
                    mime_type="image/png",
                    size_bytes=1000 + i % 5000,
                    page_count=1,
                    uploaded_by=uploader,
                    status=(
                        Document.Status.CLASSIFIED if classified else Document.Status.NEEDS_REVIEW
                    ),
                    document_type=rng.choice(types) if classified and types else None,
                    type_confidence=round(rng.uniform(0.9, 1.0), 4) if classified else None,
                    routing_reason="generated for a benchmark",
                    external_id=f"BENCH-{i}",
                )
            )
        Document.objects.bulk_create(rows)
    log.info("filled the database with %d documents", documents)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(data_dir: Path, port: int, worker: bool) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(REPO / "manage.py"), "serve", "--port", str(port)]
    if not worker:
        command.append("--no-worker")
    # Its own session, so that stopping it reaches the worker cluster it starts too.
    return subprocess.Popen(
        command,
        env=site_environment(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as Ctrl-C would be; serve stops its worker cluster, then itself."""
    if server.poll() is None:
        server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)
        server.wait()


def wait_until_up(port: int, key: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = Client(port, key).request("GET", "/api/v1/me")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer on port {port} within {timeout:.0f} s")


# --- Clients ---------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection with the API key; reconnects when the server closed it."""

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Token {key}"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body, {**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def png_documents(count: int, seed: int) -> list[bytes]:
    """``count`` distinct small PNGs with a line of text."""
    from PIL import Image, ImageDraw

    made = []
    for i in range(count):
        image = Image.new("L", (200, 100), "white")
        draw = ImageDraw.Draw(image)
        draw.text((10, 20), f"INVOICE {seed}-{i}", fill="black")
        draw.text((10, 50), f"Total {i % 977}.{i % 100:02d}", fill="black")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        made.append(buffer.getvalue())
    return made


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def run_clients(
    clients: int, jobs: list[Any], port: int, key: str, call: Callable[[Client, Any], bool]
) -> tuple[list[float], int, float]:
    """Run ``call(client, job)`` for every job on ``clients`` threads; (latencies in ms of the
    calls that succeeded, failures, wall seconds)."""
    pending = list(reversed(jobs))
    lock = threading.Lock()
    latencies: list[float] = []
    failures = [0]

    def work() -> None:
        client = Client(port, key)
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            started = time.perf_counter()
            try:
                ok = call(client, job)
            except OSError as error:
                log.warning("request failed: %s", error)
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=work, name=f"client-{i}") for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0], time.perf_counter() - started


def upload_call(client: Client, job: tuple[int, bytes]) -> bool:
    index, data = job
    body, content_type = multipart(f"bench-{index}.png", data)
    status, answer = client.request(
        "POST", "/api/v1/documents", body, {"Content-Type": content_type}
    )
    if status != 202:
        log.warning("upload %d answered %d: %s", index, status, answer[:200])
    return status == 202


class ListCalls:
    """First pages, and every third call the next page after the last one this client read."""

    def __init__(self) -> None:
        self.next_path: dict[int, str] = {}

    def __call__(self, client: Client, job: int) -> bool:
        path = "/api/v1/documents"
        if job % 3 == 2 and id(client) in self.next_path:
            path = self.next_path[id(client)]
        status, answer = client.request("GET", path)
        if status != 200:
            log.warning("list %s answered %d: %s", path, status, answer[:200])
            return False
        page = json.loads(answer)
        if len(page["results"]) == 0:
            return False
        if page["next"]:
            parts = urlsplit(page["next"])
            self.next_path[id(client)] = f"{parts.path}?{parts.query}"
        return True


def summary(name: str, latencies: list[float], failures: int, seconds: float) -> dict[str, Any]:
    return {
        f"{name}_requests": len(latencies) + failures,
        f"{name}_errors": failures,
        f"{name}_requests_per_s": round((len(latencies) + failures) / seconds, 1),
        f"{name}_p50_ms": round(percentile(latencies, 0.5) or 0.0, 1),
        f"{name}_p95_ms": round(percentile(latencies, 0.95) or 0.0, 1),
        f"{name}_max_ms": round(max(latencies, default=0.0), 1),
    }


def document_counts() -> dict[str, int]:
    from django.db import connections
    from django.db.models import Count

    from classification.models import Document

    counts = dict(Document.objects.values_list("status").annotate(n=Count("id")).order_by("status"))
    connections.close_all()
    return {str(status): int(n) for status, n in counts.items()}


# --- Main ------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    key = prepare(data_dir, args.documents, args.seed)
    port = args.port or free_port()
    scans = png_documents(args.uploads, args.seed)
    server = start_server(data_dir, port, worker=not args.no_worker)
    try:
        wait_until_up(port, key)
        warm = Client(port, key)
        for _ in range(5):  # imports, URL resolver, connections: not timed
            warm.request("GET", "/api/v1/documents")
        log.info("uploading %d documents with %d clients", args.uploads, args.clients)
        uploads = run_clients(args.clients, list(enumerate(scans)), port, key, upload_call)
        at_list = document_counts()
        log.info("listing %d times with %d clients", args.list_requests, args.clients)
        lists = run_clients(args.clients, list(range(args.list_requests)), port, key, ListCalls())
        # One client alone: the server's own time for a page, without the other clients' queue.
        alone = run_clients(1, list(range(SINGLE_CLIENT_LISTS)), port, key, ListCalls())
        after = document_counts()
    finally:
        stop_server(server)
    from django.conf import settings

    result: dict[str, Any] = {
        "uploads": args.uploads,
        "clients": args.clients,
        "documents_at_list": sum(at_list.values()),
        "statuses_at_list": at_list,
        "statuses_at_end": after,
        "worker": None if args.no_worker else settings.Q_CLUSTER["workers"],
        "server_threads": 8,
        "api_rate": API_RATE,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        **summary("upload", *uploads),
        **summary("list", *lists),
        **summary("list_1client", *alone),
    }
    result["target_met"] = (
        result["upload_errors"] == 0
        and result["list_errors"] == 0
        and result["upload_p95_ms"] <= UPLOAD_TARGET_MS
        and result["list_p95_ms"] <= LIST_TARGET_MS
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--uploads", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--documents", type=int, default=10_000, help="Rows before the uploads")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--list-requests", type=int, default=800)
    parser.add_argument("--no-worker", action="store_true", help="Serve without a worker cluster")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    data_dir = Path(tempfile.mkdtemp(prefix="docsite-bench-api-"))
    try:
        result = measure(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
