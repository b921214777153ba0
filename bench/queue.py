"""Next and submit with a long queue: the time a labeler waits for the next document and for
their label to be stored, through the Django test client, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.queue [--documents 100000] [--calls 200] [--databases sqlite,postgres]

For each database a child process (``--worker``) gets a fresh database (SQLite: the product's
own configuration on a file in a temporary data folder; PostgreSQL: a new database on
127.0.0.1:5432, dropped afterwards), migrates it, and fills it with ``--documents`` generated
documents waiting for review, each with its open review task (random stored priority and
suggested type; no files, no pages). A labeler then makes ``--calls`` rounds of POST
``queue_next`` (claims; its 302 is not followed, so only the claim is timed) and POST
``task_submit`` with a type, each request timed on its own. The workbench's submit also claims
the labeler's next task before it redirects (so that time is in the submit figure); the bench
releases that task, untimed, so that every Next makes a real claim. Five rounds before them warm
the process up (imports, URL resolver, connection) and are not timed; the last of them counts
the SQL queries of each request.

One JSON line goes to stdout; logs to stderr. Target (issue 4): p95 at most 100 ms for both
requests on each database.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Run as a file (python bench/queue.py), this folder would come first on the path and this
# module would stand in for the standard library's ``queue``.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.pipeline import percentile  # noqa: E402

log = logging.getLogger("bench.queue")

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASES = ("sqlite", "postgres")
TARGET_MS = 100.0
WARMUP = 5
BATCH = 5000
# Variables that would point a worker at another database or media folder than its own.
_FOREIGN_ENV = ("DATABASE_URL", "DATABASE_URL_FILE", "DOCSITE_MEDIA_ROOT", "DOCSITE_BROKER")


# --- Rows ------------------------------------------------------------------------------------


def fill_queue(documents: int, seed: int = 0) -> None:
    """``documents`` generated documents waiting for review, each with an open review task of a
    random stored priority (as ``priority.score`` gives) and suggested type."""
    from classification.models import Document, DocumentType
    from labeling.models import Task

    types = list(DocumentType.objects.filter(active=True).order_by("pk"))
    rng = random.Random(seed)
    for start in range(0, documents, BATCH):
        made = Document.objects.bulk_create(
            Document(
                sha256=f"{seed:08x}{i:056x}",
                original_name=f"generated-{i}.png",
                original_path=f"originals/generated-{i}.png",
                mime_type="image/png",
                size_bytes=1000,
                page_count=1,
                status=Document.Status.NEEDS_REVIEW,
                routing_reason="generated for a benchmark",
            )
            for i in range(start, min(start + BATCH, documents))
        )
        Task.objects.bulk_create(
            Task(
                document=document,
                kind=Task.Kind.REVIEW,
                priority=round(rng.random(), 6),
                suggested_type=rng.choice(types),
            )
            for document in made
        )


def setup_django(data_dir: Path, database_url: str | None) -> None:
    """Settings for a worker: its own data folder, the given database (SQLite in the data
    folder when None), tasks queued on the ORM broker and never run inline."""
    for name in _FOREIGN_ENV:
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["DOCSITE_DATA_DIR"] = str(data_dir)
    os.environ["DOCSITE_TASKS_SYNC"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings")
    import django

    django.setup()


# --- One database (the child process) --------------------------------------------------------


def _task_id(location: str) -> int:
    found = re.search(r"/task/(\d+)/", location)
    if found is None:
        raise RuntimeError(f"Next redirected to {location!r}, not to a task")
    return int(found.group(1))


def _post(
    client: Any, url: str, data: dict[str, Any], count_queries: bool
) -> tuple[Any, float, int | None]:
    """The response, its time in seconds, and its SQL queries when counted (not when timed:
    recording them costs a little)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not count_queries:
        started = time.perf_counter()
        response = client.post(url, data)
        return response, time.perf_counter() - started, None
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.post(url, data)
        elapsed = time.perf_counter() - started
    return response, elapsed, len(captured)


def measure(calls: int, seed: int) -> dict[str, Any]:
    """Time ``calls`` rounds of Next and submit by one labeler (after ``WARMUP`` untimed)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from classification.models import DocumentType
    from docsite import roles
    from labeling.models import Task

    user = User.objects.create_user("bench-labeler")
    user.groups.add(Group.objects.get_or_create(name=roles.LABELER)[0])
    client = Client()
    client.force_login(user)
    types = list(DocumentType.objects.filter(active=True).values_list("pk", flat=True))
    rng = random.Random(seed)
    times: dict[str, list[float]] = {"next": [], "submit": []}
    queries: dict[str, int | None] = {}
    counts: dict[str, int | None] = {}
    for i in range(WARMUP + calls):
        timed, counted = i >= WARMUP, i == WARMUP - 1
        response, seconds, queries["next"] = _post(client, reverse("queue_next"), {}, counted)
        if response.status_code != 302:
            raise RuntimeError(f"Next answered {response.status_code}")
        if timed:
            times["next"].append(seconds)
        submit_url = reverse("task_submit", args=[_task_id(response["Location"])])
        answer = {"document_type": rng.choice(types)}
        response, seconds, queries["submit"] = _post(client, submit_url, answer, counted)
        if response.status_code >= 400:
            raise RuntimeError(f"submit answered {response.status_code}")
        if timed:
            times["submit"].append(seconds)
        if "/task/" in response.get("Location", ""):
            # The workbench claims the next task with the submit: give it back (untimed), so
            # that the next Next claims one rather than returning the one held.
            release = reverse("task_release", args=[_task_id(response["Location"])])
            if client.post(release).status_code >= 400:
                raise RuntimeError("release refused")
        if counted:
            counts = dict(queries)
    done = Task.objects.filter(state=Task.State.DONE, completed_by=user).count()
    if done != WARMUP + calls:
        raise RuntimeError(f"{done} tasks done after {WARMUP + calls} submits")
    result: dict[str, Any] = {}
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        result[f"{name}_median_ms"] = round(percentile(ms, 0.5) or 0.0, 2)
        result[f"{name}_p95_ms"] = round(percentile(ms, 0.95) or 0.0, 2)
        result[f"{name}_max_ms"] = round(max(ms), 2)
        result[f"{name}_queries"] = counts[name]
    result["target_met"] = (
        result["next_p95_ms"] <= TARGET_MS and result["submit_p95_ms"] <= TARGET_MS
    )
    return result


def worker(database: str, documents: int, calls: int, seed: int) -> dict[str, Any]:
    """Fill a fresh database and measure; ``database`` is ``sqlite`` or a PostgreSQL URL."""
    data_dir = Path(tempfile.mkdtemp(prefix="docsite-bench-queue-"))
    try:
        setup_django(data_dir, None if database == "sqlite" else database)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import setup_test_environment

        setup_test_environment(debug=False)  # lets the test client's host in
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
        fill_queue(documents, seed)
        if connection.vendor == "postgresql":
            # What autovacuum does within a minute of a bulk load: the planner's statistics.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        log.info(
            "%s: %d documents queued in %.1f s",
            connection.vendor,
            documents,
            time.perf_counter() - started,
        )
        load = os.getloadavg()[0]
        result = measure(calls, seed)
        result["vendor"] = connection.vendor
        result["load_average_1min"] = [round(load, 2), round(os.getloadavg()[0], 2)]
        connection.close()
        return result
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# --- The parent: one child per database ------------------------------------------------------


def _postgres_reachable() -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def run_module_worker(module: str, database: str, arguments: list[str]) -> dict[str, Any]:
    """Run ``python -m module --worker database *arguments`` and read its one JSON line (its
    log passes through to stderr); shared by the benches that fill a database per child."""
    command = [sys.executable, "-m", module, "--worker", database, *arguments]
    done = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"the worker exited with {done.returncode} (its log is above)"}
    return dict(json.loads(lines[-1]))


def run_child(database: str, args: argparse.Namespace) -> dict[str, Any]:
    arguments = ["--documents", str(args.documents), "--calls", str(args.calls)]
    return run_module_worker("bench.queue", database, [*arguments, "--seed", str(args.seed)])


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new database ``<prefix>_<pid>`` on 127.0.0.1:5432, dropped afterwards."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    if not _postgres_reachable():
        return {"error": "PostgreSQL is not running on 127.0.0.1:5432"}
    with postgres_database("docsite_bench_queue") as url:
        return run_child(url, args)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000, help="documents waiting")
    parser.add_argument("--calls", type=int, default=200, help="timed rounds of Next + submit")
    parser.add_argument(
        "--databases", default=",".join(DATABASES), help="comma-separated: sqlite,postgres"
    )
    parser.add_argument("--seed", type=int, default=0, help="priorities, types, answers")
    parser.add_argument("--worker", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.calls < 1 or args.documents < args.calls + WARMUP:
        parser.error(f"need --calls >= 1 and --documents >= calls + {WARMUP}")
    args.databases = database_names(parser, args.databases)
    return args


def database_names(parser: argparse.ArgumentParser, value: str) -> list[str]:
    """``--databases``: a comma-separated choice among DATABASES (an error otherwise)."""
    names = [d.strip() for d in value.split(",") if d.strip()]
    if not names or set(names) - set(DATABASES):
        parser.error(f"--databases: choose from {', '.join(DATABASES)}")
    return names


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    if args.worker:
        report = worker(args.worker, args.documents, args.calls, args.seed)
    else:
        report = {"benchmark": "queue", "documents": args.documents, "calls": args.calls}
        # The machine may be shared: what else ran shows in the load (cores: cpu_count).
        report["cpu_count"] = os.cpu_count()
        report["load_average_at_start"] = [round(v, 2) for v in os.getloadavg()]
        for database in args.databases:
            started = time.perf_counter()
            report[database] = (
                run_postgres(args) if database == "postgres" else run_child("sqlite", args)
            )
            report[database]["seconds"] = round(time.perf_counter() - started, 1)
        measured = [report[d].get("target_met") for d in args.databases]
        report["target_met"] = None if None in measured else all(measured)
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
