"""django-q2 entry points: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from classification import learning, pipeline, services


def process_document(document_id: int) -> str:
    return pipeline.process_document(document_id)


def recover_stale_documents() -> dict[str, int]:
    return services.recover_stale_documents()


def refresh_statistics() -> str:
    return services.refresh_statistics()


def classify_document(document_id: int) -> str:
    return pipeline.classify(document_id)


def train_model(trigger: str, user_id: int | None = None, force: bool = False) -> str:
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    outcome = learning.train_model(trigger, user, force=force)
    return f"{outcome.outcome}: {outcome.message}"


def rescore_documents() -> dict[str, int]:
    return learning.rescore_documents()
