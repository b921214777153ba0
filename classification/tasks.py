"""django-q2 entry points: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

from classification import pipeline, services


def process_document(document_id: int) -> str:
    return pipeline.process_document(document_id)


def recover_stale_documents() -> dict[str, int]:
    return services.recover_stale_documents()
