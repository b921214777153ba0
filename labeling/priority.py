"""The order of the review queue: which waiting document a person should label next.

- Cold start (or no active model): documents unlike anything labeled so far come first. Greedy
  k-center over text vectors of their first pages (``selection.text_vectors``) against the
  human-labeled documents, for the oldest ``DIVERSITY_CANDIDATES`` waiting documents; the rest,
  and documents without cached features, follow oldest first.
- With a model: the least certain first (margin between the two most likely types, from the
  latest prediction; the stored top confidence when there are no probabilities). Documents
  without a prediction come first: nothing is known about them.

Only cached features are read (``featurestore.cached_features``): a request never decodes page
images or loads the sentence encoder (processing fills the cache), and vectors are memoised
per process.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from django.db.models import Exists, OuterRef, QuerySet

from classification import featurestore, learning
from classification.ml import features, selection
from classification.models import Document, Label, Prediction

# Greedy k-center is O(candidates^2 x dims): 500 candidates against 1,000 labeled documents in
# 1024 dims took 0.2 s on 2 cores (2.3 s in 4096 dims); the next document needs one step only.
DIVERSITY_CANDIDATES = 500
VECTOR_DIM = 1024
# The most recent human-labeled documents the candidates are compared with.
REFERENCE_LIMIT = 2000
# Vectors kept per process (4 KB each).
MEMO_SIZE = 20_000
_memo: dict[str, np.ndarray] = {}


def waiting() -> QuerySet[Document]:
    return Document.objects.filter(status=Document.Status.NEEDS_REVIEW).order_by("created_at", "pk")


def review_order(exclude: int | None = None, limit: int | None = None) -> list[int]:
    """Ids of the documents waiting for review, the one to label first at the front.

    With ``limit``, only that many are placed by diversity (the rest follow oldest first):
    the next document needs one step of k-center, not hundreds.
    """
    documents = waiting()
    if exclude is not None:
        documents = documents.exclude(pk=exclude)
    # Whether a model is active, not whether it loads: a request must not import torch.
    if learning.has_active_model() and learning.cold_start_status().ready:
        return _by_uncertainty(documents)
    return _by_diversity(documents, limit)


def next_for_review(exclude: int | None = None) -> Document | None:
    order = review_order(exclude, limit=1)
    return Document.objects.filter(pk=order[0]).first() if order else None


def _by_uncertainty(documents: QuerySet[Document]) -> list[int]:
    rows = list(documents.values_list("pk", "type_confidence"))
    probabilities = _latest_probabilities([pk for pk, _ in rows])
    scored: list[tuple[float, int]] = []
    for rank, (pk, confidence) in enumerate(rows):
        probs = probabilities.get(pk)
        if probs and len(probs) >= 2:
            top, second = sorted(probs, reverse=True)[:2]
            certainty = top - second
        elif confidence is not None:
            certainty = confidence
        else:
            certainty = -1.0  # never predicted: ask first
        scored.append((certainty, rank))
    # Stable on the age rank, so equally uncertain documents stay oldest first.
    return [rows[rank][0] for _, rank in sorted(scored)]


def _latest_probabilities(document_ids: list[int]) -> dict[int, list[float]]:
    latest: dict[int, list[float]] = {}
    rows = (
        Prediction.objects.filter(document_id__in=document_ids)
        .order_by("document_id", "-created_at", "-pk")
        .values_list("document_id", "probabilities")
    )
    for document_id, probabilities in rows:
        if document_id not in latest:
            latest[document_id] = [float(p) for p in (probabilities or {}).values()]
    return latest


def _by_diversity(documents: QuerySet[Document], limit: int | None) -> list[int]:
    ids = list(documents.values_list("pk", flat=True))
    head = list(documents.only("pk", "sha256")[:DIVERSITY_CANDIDATES])
    labeled = (
        Document.objects.filter(status=Document.Status.CLASSIFIED)
        .filter(
            Exists(Label.objects.filter(document=OuterRef("pk"), provenance=Label.Provenance.HUMAN))
        )
        .only("pk", "sha256")
        .order_by("-pk")[:REFERENCE_LIMIT]
    )
    known = [(d.pk, v) for d, v in zip(head, _vectors(head), strict=True) if v is not None]
    if not known:
        return ids
    reference = [v for v in _vectors(list(labeled)) if v is not None]
    candidates = np.stack([v for _, v in known])
    references = np.stack(reference) if reference else np.zeros((0, VECTOR_DIM), np.float32)
    k = len(known) if limit is None else min(limit, len(known))
    first = [known[i][0] for i in selection.k_center_order(candidates, references, k)]
    chosen = set(first)
    return first + [pk for pk in ids if pk not in chosen]


def _vectors(documents: list[Document]) -> list[np.ndarray | None]:
    """Hashed-text vectors of the documents' first pages, from a per-process memo (features
    depend only on the content hash) filled from the feature cache; None where not cached.

    Always the hashed n-grams, never the sentence embedding: during the cold start most cached
    features have none, and candidates and references must be vectors of the same kind.
    """
    missing = [d for d in documents if _memo_key(d) not in _memo]
    for document, page in zip(missing, featurestore.cached_features(missing), strict=True):
        if page is None:
            continue
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()  # crude, and rare: a full memo is rebuilt from the cache
        vector = selection.text_vectors([replace(page, embedding=None)], VECTOR_DIM)[0]
        _memo[_memo_key(document)] = vector
    return [_memo.get(_memo_key(d)) for d in documents]


def _memo_key(document: Document) -> str:
    return f"{document.sha256}-f{features.FEATURE_VERSION}"
