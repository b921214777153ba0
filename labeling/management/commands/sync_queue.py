"""Make the labeling queue agree with the documents (``labeling.queue.sync``); safe any time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from labeling import queue


class Command(BaseCommand):
    help = (
        "Give every document waiting for review an open review task, and cancel the open review "
        "tasks of documents that no longer wait."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = queue.sync()
        self.stdout.write(
            f"Review tasks created: {counts['created']}; cancelled: {counts['cancelled']}."
        )
