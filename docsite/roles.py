"""The three roles, as Django groups. A superuser holds every role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ADMIN = "admin"
UPLOADER = "uploader"
LABELER = "labeler"
ALL_ROLES = (ADMIN, UPLOADER, LABELER)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    if getattr(user, "is_superuser", False):
        return frozenset(ALL_ROLES)
    cached = getattr(user, "_docsite_roles", None)
    if cached is None:
        names = user.groups.values_list("name", flat=True)  # type: ignore[attr-defined]
        cached = frozenset(names) & frozenset(ALL_ROLES)
        user._docsite_roles = cached  # type: ignore[attr-defined]  # per-request cache
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


View = Callable[..., HttpResponse]


def role_required(*roles: str) -> Callable[[View], View]:
    """Log in first; then 403 unless the user holds one of ``roles`` (admins always pass)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, ADMIN, *roles):
                raise PermissionDenied("Your account does not have the role for this page.")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
