"""The task queue (django-q2): the only module that enqueues work.

With ``DOCSITE_TASKS_SYNC`` the task runs inline in the caller, which tests and one-off scripts
use; otherwise it goes to the configured broker (the ORM by default, Redis when scaled out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import import_module

from django.conf import settings

log = logging.getLogger(__name__)


def _resolve(func_path: str) -> Callable[..., object]:
    module, _, name = func_path.rpartition(".")
    return getattr(import_module(module), name)


def enqueue(func_path: str, *args: object, name: str = "") -> None:
    if settings.DOCSITE_TASKS_SYNC:
        _resolve(func_path)(*args)
        return
    from django_q.tasks import async_task

    async_task(func_path, *args, task_name=name or None)
    log.info("queued %s%r", func_path, args)
