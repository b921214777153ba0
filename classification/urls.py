from django.urls import path
from django.views.generic import RedirectView

from classification.views import documents, files, models, upload

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="documents"), name="home"),
    path("upload/", upload.upload, name="upload"),
    path("documents/", documents.document_list, name="documents"),
    path("documents/export/", documents.export_documents, name="document_export"),
    path("documents/statuses/", documents.statuses, name="document_statuses"),
    path("documents/<int:document_id>/", documents.document_detail, name="document"),
    path("documents/<int:document_id>/retry/", documents.retry, name="document_retry"),
    path("documents/<int:document_id>/original/", files.original, name="document_original"),
    path(
        "documents/<int:document_id>/pages/<int:number>/image/", files.page_image, name="page_image"
    ),
    path(
        "documents/<int:document_id>/pages/<int:number>/thumbnail/",
        files.page_thumbnail,
        name="page_thumbnail",
    ),
    path("models/", models.model_list, name="models"),
    path("models/train/", models.train, name="model_train"),
    path("models/rollback/", models.rollback, name="model_rollback"),
    path("models/<int:version_id>/", models.model_detail, name="model"),
    path("models/<int:version_id>/promote/", models.promote, name="model_promote"),
]
