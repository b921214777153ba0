"""Creating, finding and revoking API tokens. A key is shown once, when it is made; only its
sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from docsite import roles
from docsite.api.models import ApiToken

KEY_PREFIX = "dst_"
SHOWN_CHARACTERS = 12
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
MAX_NAME_LENGTH = 100


class TokenError(ValueError):
    """A request about tokens that cannot be done; the message says why."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create(user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: (the stored token, the key to show once)."""
    name = " ".join(name.split())
    if not name:
        raise TokenError("Give the token a name, e.g. what it is for.")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"A token name has at most {MAX_NAME_LENGTH} characters.")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:SHOWN_CHARACTERS], key_hash=hash_key(key)
    )
    return token, key


def find(key: str) -> ApiToken | None:
    """The token a key belongs to, revoked or not (None when no token has that key)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()


def touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def manageable(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The tokens ``user`` may list and revoke: their own; an admin's, everyone's."""
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    if roles.has_role(user, roles.ADMIN):
        return tokens
    return tokens.filter(user=user.pk)


def revoke(user: AbstractBaseUser, token_id: int) -> ApiToken:
    """Revoke a token ``user`` may manage (a second revoke changes nothing)."""
    token = manageable(user).filter(pk=token_id).first()
    if token is None:
        raise TokenError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by_id = user.pk
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token
