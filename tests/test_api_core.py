"""The API's ground floor: tokens (hashed, shown once, revocable), auth schemes, the one error
format, throttling, idempotency keys and the OpenAPI schema."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from docsite.api import idempotency, tokens
from docsite.api.models import ApiToken, IdempotentRequest

pytestmark = pytest.mark.django_db


def assert_error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_a_token_is_stored_hashed_and_authenticates_with_either_scheme(uploader: User) -> None:
    token, key = tokens.create(uploader, "  ERP   sync ")
    assert token.name == "ERP sync" and key.startswith("dst_") and len(key) > 40
    assert key not in token.key_hash and token.key_hash == tokens.hash_key(key)
    assert key.startswith(token.prefix) and len(token.prefix) < len(key) / 3
    for scheme in ("Token", "Bearer"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
        body = client.get("/api/v1/me").json()
        assert body == {
            "id": uploader.pk,
            "username": uploader.username,
            "roles": ["uploader"],
            "auth": "token",
            "token_name": "ERP sync",
        }
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_missing_unknown_and_revoked_keys_get_401_in_the_error_format(uploader: User) -> None:
    error = assert_error(APIClient().get("/api/v1/me"), 401, "not_authenticated")
    assert error["details"] is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token dst_not-a-key")
    assert_error(client.get("/api/v1/me"), 401, "authentication_failed")
    client.credentials(HTTP_AUTHORIZATION="Token two parts")
    assert_error(client.get("/api/v1/me"), 401, "authentication_failed")
    token, key = tokens.create(uploader, "old")
    tokens.revoke(uploader, token.pk)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    error = assert_error(client.get("/api/v1/me"), 401, "authentication_failed")
    assert "revoked" in str(error["message"])
    uploader.is_active = False
    uploader.save()
    _, fresh = tokens.create(uploader, "new")
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert_error(client.get("/api/v1/me"), 401, "authentication_failed")


def test_the_browser_session_works_too(client_for: Callable[[User], Client], labeler: User) -> None:
    body = client_for(labeler).get("/api/v1/me").json()
    assert body["auth"] == "session" and body["roles"] == ["labeler"]


def test_unknown_api_urls_answer_json_404(uploader: User) -> None:
    assert_error(APIClient().get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(APIClient().post("/api/nothing/here"), 404, "not_found")


def test_people_make_see_and_revoke_their_own_tokens_on_the_web_page(
    client_for: Callable[[User], Client], uploader: User, other_uploader: User, admin_user: User
) -> None:
    client = client_for(uploader)
    page = client.post("/account/tokens/", {"name": "Nightly import"})
    key = page.context["new_key"]
    assert page.status_code == 200 and key.encode() in page.content
    token = ApiToken.objects.get(user=uploader)
    assert token.name == "Nightly import" and token.key_hash == tokens.hash_key(key)
    # Shown once: the list afterwards shows the prefix only.
    again = client.get("/account/tokens/")
    assert key.encode() not in again.content and token.prefix.encode() in again.content
    refused = client.post("/account/tokens/", {"name": "   "})
    assert refused.status_code == 400 and b"Give the token a name" in refused.content
    assert ApiToken.objects.count() == 1
    # Someone else can neither see nor revoke it; an admin can do both.
    other = client_for(other_uploader)
    assert token.prefix.encode() not in other.get("/account/tokens/").content
    other.post(f"/account/tokens/{token.pk}/revoke")
    token.refresh_from_db()
    assert token.active
    admin = client_for(admin_user)
    assert token.prefix.encode() in admin.get("/account/tokens/").content
    admin.post(f"/account/tokens/{token.pk}/revoke")
    token.refresh_from_db()
    assert not token.active and token.revoked_by == admin_user
    assert client.get(f"/account/tokens/{token.pk}/revoke").status_code == 405
    assert Client().get("/account/tokens/").status_code == 302


def test_requests_are_throttled_per_token(
    settings: object, api_client_for: Callable[[User], APIClient], uploader: User
) -> None:
    cache.clear()
    settings.DOCSITE_API_RATE = "3/minute"  # type: ignore[attr-defined]
    try:
        first, second = api_client_for(uploader), api_client_for(uploader)
        assert [first.get("/api/v1/me").status_code for _ in range(3)] == [200] * 3
        error = assert_error(first.get("/api/v1/me"), 429, "throttled")
        assert isinstance(error["details"], dict) and error["details"]["retry_after"] > 0
        # Another token has its own allowance.
        assert second.get("/api/v1/me").status_code == 200
    finally:
        cache.clear()


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_request(
    uploader: User,
) -> None:

    runs: list[int] = []

    class Create(APIView):
        def post(self, request: Request) -> Response:
            def work() -> Response:
                runs.append(1)
                return Response({"id": len(runs)}, status=202)

            return idempotency.run_once(request, [str(request.data.get("name"))], work)

    view = Create.as_view()
    factory = APIRequestFactory()

    def call(name: str, key: str | None) -> Response:
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
        request = factory.post("/api/v1/things", {"name": name}, format="json", **headers)
        force_authenticate(request, user=uploader)
        return view(request)

    first = call("a", "k-1")
    replay = call("a", "k-1")
    assert (first.status_code, first.data) == (202, {"id": 1})
    assert (replay.status_code, replay.data) == (202, {"id": 1}) and len(runs) == 1
    assert replay.headers["Idempotent-Replayed"] == "true"
    reused = call("b", "k-1")
    assert reused.status_code == 422 and reused.data["error"]["code"] == "idempotency_key_reused"
    assert call("a", "k-2").data == {"id": 2}
    assert call("a", None).data == {"id": 3}
    assert call("a", "x" * 300).status_code == 400
    # A key whose first request is still running.
    IdempotentRequest.objects.create(
        user=uploader,
        key="busy",
        endpoint="POST /api/v1/things",
        fingerprint=idempotency.fingerprint(["a"]),
    )
    assert call("a", "busy").status_code == 409
    assert len(runs) == 3


def test_the_openapi_schema_and_its_ui_are_served_without_a_cdn(client: Client) -> None:
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.") and "/api/v1/me" in body["paths"]
    assert "tokenAuth" in body["components"]["securitySchemes"]
    assert "Error" in body["components"]["schemas"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    # Every script and stylesheet from this server: no address with a host ("https://cdn...",
    # "//unpkg.com/..."). Not "cdn" anywhere: the page's random token once held those letters.
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert sources and not [s for s in sources if re.match(r"(?:[a-z]+:)?//", s)]
    assert not re.search(r"(?:https?:)?//(?:cdn|unpkg)", html, re.IGNORECASE)
