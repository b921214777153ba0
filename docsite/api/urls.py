"""``/api/v1/`` endpoints, the OpenAPI schema and its Swagger UI, and the token page."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from docsite.api import errors, web
from docsite.api.me import MeView

v1 = [
    path("me", MeView.as_view(), name="me"),
]

urlpatterns = [
    path("api/v1/", include((v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", errors.not_found),
    path("account/tokens/", web.token_list, name="api_tokens"),
    path("account/tokens/<int:token_id>/revoke", web.token_revoke, name="api_token_revoke"),
]
