"""The 'API tokens' page: each person makes, sees and revokes their own keys; an admin sees
and revokes everyone's. A new key is shown once, on the page that made it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from docsite import roles
from docsite.api import tokens


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    new_key = ""
    error = ""
    name = ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            _, new_key = tokens.create(request.user, name)
        except tokens.TokenError as exc:
            error = str(exc)
        else:
            name = ""
    status = 400 if error else 200
    context = {
        "tokens": tokens.manageable(request.user)[:500],  # type: ignore[arg-type]
        "new_key": new_key,
        "error": error,
        "name": name,
        "everyone": roles.has_role(request.user, roles.ADMIN),
    }
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = tokens.revoke(request.user, token_id)  # type: ignore[arg-type]
    except tokens.TokenError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Revoked {token.name} ({token.prefix}…).")
    return redirect("api_tokens")
