"""Role checks for API views: the same roles (and admins pass everything) as the web UI."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from docsite import roles


class HasRole(BasePermission):
    """Allows a view's ``required_roles`` (any of them; admins always); none listed: any
    signed-in user. ``write_roles``, when set, apply to unsafe methods instead."""

    message = "Your account does not have the role for this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        wanted: tuple[str, ...] = getattr(view, "required_roles", ())
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            wanted = getattr(view, "write_roles", wanted)
        return not wanted or roles.has_role(request.user, roles.ADMIN, *wanted)
