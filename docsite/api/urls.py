"""``/api/v1/`` endpoints, the OpenAPI schema and its Swagger UI, and the token page."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from docsite.api import (
    documents,
    errors,
    exports,
    labels,
    model_versions,
    review,
    stats,
    types,
    web,
)
from docsite.api.me import MeView
from docsite.api.webhooks import (
    WebhookDeliveriesView,
    WebhookDetailView,
    WebhookListView,
    WebhookTestView,
)

v1 = [
    path("me", MeView.as_view(), name="me"),
    path("webhooks", WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:webhook_id>", WebhookDetailView.as_view(), name="webhook"),
    path(
        "webhooks/<int:webhook_id>/deliveries",
        WebhookDeliveriesView.as_view(),
        name="webhook-deliveries",
    ),
    path("webhooks/<int:webhook_id>/test", WebhookTestView.as_view(), name="webhook-test"),
    path("documents", documents.DocumentListView.as_view(), name="document-list"),
    path("documents/<int:document_id>", documents.DocumentView.as_view(), name="document"),
    path(
        "documents/<int:document_id>/reprocess",
        documents.ReprocessView.as_view(),
        name="document-reprocess",
    ),
    path(
        "documents/<int:document_id>/file",
        documents.DocumentFileView.as_view(),
        name="document-file",
    ),
    path(
        "documents/<int:document_id>/pages/<int:number>/image",
        documents.PageImageView.as_view(),
        name="document-page-image",
    ),
    path("document-types", types.DocumentTypeListView.as_view(), name="document-types"),
    path(
        "document-types/<int:type_id>", types.DocumentTypeDetailView.as_view(), name="document-type"
    ),
    path(
        "documents/<int:document_id>/labels",
        labels.DocumentLabelsView.as_view(),
        name="document-labels",
    ),
    path("review-queue/next", review.NextView.as_view(), name="review-queue-next"),
    path("review-queue/submit", review.SubmitView.as_view(), name="review-queue-submit"),
    path("review-queue/skip", review.SkipView.as_view(), name="review-queue-skip"),
    path("review-queue/release", review.ReleaseView.as_view(), name="review-queue-release"),
    path("review-queue/undo", review.UndoView.as_view(), name="review-queue-undo"),
    path("model-versions", model_versions.ModelVersionListView.as_view(), name="model-versions"),
    path("model-versions/train", model_versions.TrainView.as_view(), name="model-versions-train"),
    path(
        "model-versions/rollback",
        model_versions.RollbackView.as_view(),
        name="model-versions-rollback",
    ),
    path(
        "model-versions/<int:version_id>",
        model_versions.ModelVersionDetailView.as_view(),
        name="model-version",
    ),
    path(
        "model-versions/<int:version_id>/promote",
        model_versions.PromoteView.as_view(),
        name="model-version-promote",
    ),
    path("exports", exports.ExportView.as_view(), name="exports"),
    path("stats", stats.StatsView.as_view(), name="stats"),
]

urlpatterns = [
    path("api/v1/", include((v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", errors.not_found),
    path("account/tokens/", web.token_list, name="api_tokens"),
    path("account/tokens/<int:token_id>/revoke", web.token_revoke, name="api_token_revoke"),
]
