"""Who may see which documents. Views ask here; the rule lives in one place.

- Admins see every document.
- Uploaders see the documents they uploaded.
- Labelers see the documents of the labeling queue. What "the queue" is belongs to the
  labeling app, which depends on classification and never the other way round, so it
  registers its rule here at start-up (``register_labeler_scope``); a labeler also sees the
  documents they labeled themselves. Without a registered scope a labeler sees only those.

A person with several roles sees the union.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from classification.models import Document, Label
from docsite import roles

User = AbstractBaseUser | AnonymousUser
# fn(user) -> a Q on Document: the documents a labeler may see because of queue work.
LabelerScope = Callable[[User], Q]
_labeler_scopes: list[LabelerScope] = []


# fn(user) -> a Q on Document: the documents whose type, labels and predictions the user must
# not see now (a labeler holding a blind check of them).
BlindScope = Callable[[User], Q]
_blind_scopes: list[BlindScope] = []


def register_blind_scope(scope: BlindScope) -> None:
    """Hide the type, labels and predictions of the documents ``scope(user)`` selects from
    that user (idempotent)."""
    if scope not in _blind_scopes:
        _blind_scopes.append(scope)


def blind_documents(user: User) -> Q | None:
    """The documents whose type, labels and predictions ``user`` must not see now, as a filter
    for a queryset of documents; None when there can be none (an admin, or no rule)."""
    if roles.has_role(user, roles.ADMIN) or not _blind_scopes:
        return None
    hidden = Q(pk__in=[])
    for scope in _blind_scopes:
        hidden |= scope(user)
    return hidden


def hides_labels(user: User, document: Document) -> bool:
    """Whether ``user`` must not see the document's type, labels and predictions now."""
    return bool(hidden_among(user, [document.pk]))


def hidden_among(user: User, document_ids: list[int]) -> set[int]:
    """Which of ``document_ids`` ``user`` must not see the type of, in one query."""
    hidden = blind_documents(user)
    if hidden is None or not document_ids:
        return set()
    return set(Document.objects.filter(hidden, pk__in=document_ids).values_list("pk", flat=True))


def register_labeler_scope(scope: LabelerScope) -> None:
    """Add the documents ``scope(user)`` selects to what a labeler may see (idempotent)."""
    if scope not in _labeler_scopes:
        _labeler_scopes.append(scope)


def _labeler_documents(user: User) -> Q:
    labeled = Label.objects.filter(provenance=Label.Provenance.HUMAN, labeled_by=user.pk)
    scope = Q(pk__in=labeled.values("document_id"))
    for extra in _labeler_scopes:
        scope |= extra(user)
    return scope


def visible_documents(user: User) -> QuerySet[Document]:
    if roles.has_role(user, roles.ADMIN):
        return Document.objects.all()
    scopes: list[Q] = []
    if roles.has_role(user, roles.UPLOADER):
        again = Document.also_uploaded_by.through.objects.filter(user_id=user.pk or 0)
        scopes.append(Q(uploaded_by=user.pk) | Q(pk__in=again.values("document_id")))
    if roles.has_role(user, roles.LABELER):
        scopes.append(_labeler_documents(user))
    if not scopes:
        return Document.objects.none()
    combined = scopes[0]
    for scope in scopes[1:]:
        combined |= scope
    return Document.objects.filter(combined)


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
