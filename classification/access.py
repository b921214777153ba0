"""Who may see which documents. Views ask here; the rule lives in one place."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from classification.models import Document
from docsite import roles

User = AbstractBaseUser | AnonymousUser


def visible_documents(user: User) -> QuerySet[Document]:
    """Admins and labelers see every document; uploaders see the ones they uploaded."""
    if roles.has_role(user, roles.ADMIN, roles.LABELER):
        return Document.objects.all()
    if roles.has_role(user, roles.UPLOADER):
        return Document.objects.filter(uploaded_by=user.pk)
    return Document.objects.none()


def get_visible_document(user: User, document_id: int) -> Document:
    """The document, or 404 (not 403, so ids of other people's documents are not confirmed)."""
    try:
        return visible_documents(user).get(pk=document_id)
    except Document.DoesNotExist as exc:
        raise Http404("No such document.") from exc


def can_retry(user: User, document: Document) -> bool:
    return roles.has_role(user, roles.ADMIN) or (
        roles.has_role(user, roles.UPLOADER) and document.uploaded_by_id == user.pk
    )
