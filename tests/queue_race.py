"""Labelers pressing Next at the same instant, each in a thread with its own connection, then
labeling until the queue is empty. Run in a child process on a fresh database by
``tests/test_queue.py``:

    DATABASE_URL=postgres://... python -m tests.queue_race --threads 8 --tasks 40
    python -m tests.queue_race --threads 8 --tasks 40   # SQLite, the product's configuration

Without ``DATABASE_URL`` the database is the product's SQLite file (WAL, IMMEDIATE
transactions) in a temporary data folder. Prints one JSON line: the tasks each labeler
claimed (the first claim of all at once, behind a barrier), errors, and what was stored.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.queue import fill_queue, setup_django  # noqa: E402


def race(threads: int, tasks: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.models import F

    from classification.models import DocumentType, Label
    from labeling import queue
    from labeling.models import Task

    fill_queue(tasks)
    users = [User.objects.create_user(f"racer-{i}") for i in range(threads)]
    invoice = DocumentType.objects.get(name="invoice")
    start, first_round_done = threading.Barrier(threads), threading.Barrier(threads)
    first: dict[str, int | None] = {}
    claims: dict[str, list[int]] = {}
    errors: list[str] = []

    def label_until_empty(user: User) -> None:
        mine: list[int] = []
        claims[user.username] = mine
        try:
            start.wait()
            # All at once; with more tasks than threads everyone must get one.
            task = queue.claim_next(user)
            first[user.username] = None if task is None else task.pk
            first_round_done.wait()
            while task is not None:
                mine.append(task.pk)
                queue.submit(task.pk, user, invoice)
                task = queue.claim_next(user)
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"{user.username}: {exc!r}")
            start.abort()
            first_round_done.abort()
        finally:
            connection.close()

    workers = [threading.Thread(target=label_until_empty, args=(u,)) for u in users]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    labels = Label.objects.filter(provenance=Label.Provenance.HUMAN)
    return {
        "vendor": connection.vendor,
        "tasks": tasks,
        "first_claims": [first.get(user.username) for user in users],
        "claims": sorted(pk for mine in claims.values() for pk in mine),
        "errors": errors,
        "done": Task.objects.filter(state=Task.State.DONE).count(),
        "labels": labels.count(),
        "labeled_documents": labels.values("document").distinct().count(),
        # Every done task's label is on the task's own document.
        "mismatched": Task.objects.filter(state=Task.State.DONE)
        .exclude(label__document=F("document"))
        .count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=40)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="docsite-queue-race-"))
    try:
        os.environ["DOCSITE_OVERLAP_SHARE"] = "0"  # every submit ends a task; none are added
        os.environ["DOCSITE_RETRAIN_EVERY"] = "100000"
        setup_django(data_dir, os.environ.get("DATABASE_URL"))
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
        print(json.dumps(race(args.threads, args.tasks)), flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
