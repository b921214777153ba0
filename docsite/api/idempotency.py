"""``Idempotency-Key``: a retried request with the same key gets the first answer again.

The key is remembered per user for ``DOCSITE_API_IDEMPOTENCY_HOURS``. The same key on a
different request (another endpoint, other files or metadata) is refused with 422; a retry that
arrives while the first request is still running gets 409 and should be retried. A request that
failed with a server error is forgotten, so its retry runs again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from docsite.api.errors import ApiError
from docsite.api.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def fingerprint(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            "invalid_idempotency_key",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
        )
    return key


def run_once(request: Request, parts: Iterable[str], run: Callable[[], Response]) -> Response:
    """``run()``, or the stored answer of the first request with this key."""
    key = _key(request)
    if key is None:
        return run()
    endpoint = f"{request.method} {request.path}"
    print_ = fingerprint(parts)
    window = timedelta(hours=settings.DOCSITE_API_IDEMPOTENCY_HOURS)
    IdempotentRequest.objects.filter(
        user=request.user.pk, created_at__lt=timezone.now() - window
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotentRequest.objects.create(
                user_id=request.user.pk or 0, key=key, endpoint=endpoint, fingerprint=print_
            )
    except IntegrityError:
        first = IdempotentRequest.objects.get(user=request.user.pk, key=key)
        if first.endpoint != endpoint or first.fingerprint != print_:
            raise ApiError(
                "idempotency_key_reused",
                f"This {HEADER} was used for a different request.",
                status.HTTP_422_UNPROCESSABLE_ENTITY,
            ) from None
        if first.status_code is None:
            raise ApiError(
                "idempotency_in_progress",
                f"The first request with this {HEADER} is still running; retry shortly.",
                status.HTTP_409_CONFLICT,
            ) from None
        return Response(
            first.body, status=first.status_code, headers={"Idempotent-Replayed": "true"}
        )
    try:
        response = run()
    except BaseException:
        record.delete()
        raise
    if response.status_code >= 500:
        record.delete()
    else:
        record.status_code = response.status_code
        record.body = response.data
        record.save(update_fields=["status_code", "body"])
    return response
