"""Classifier features of documents' first pages, computed once and kept in the feature cache.

The cache (``DOCSITE_FEATURE_CACHE``) is keyed by the document's content hash, so a document
uploaded again, retrained on or re-scored never has its page image decoded twice. Features are
computed from what processing stored: the page image, the OCR word boxes and the text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from django.conf import settings
from PIL import Image

from classification import storage
from classification.ml import encoder, features
from classification.ml.cache import FeatureCache, page_key
from classification.models import Document, Page

log = logging.getLogger(__name__)

FIRST_PAGE = 1


def cache() -> FeatureCache:
    return FeatureCache(settings.DOCSITE_FEATURE_CACHE)


def embedding_enabled() -> bool:
    """Whether new models use the sentence-embedding branch (setting on and encoder installed).

    The first call loads the encoder (a few seconds); web requests should not need it.
    """
    return bool(settings.DOCSITE_CLASSIFIER_EMBEDDING) and encoder.available()


def document_features(
    document: Document, with_embedding: bool | None = None
) -> features.PageFeatures | None:
    """Features of the document's first page; None when it has no readable page."""
    return documents_features([document], with_embedding)[0]


def documents_features(
    documents: Sequence[Document], with_embedding: bool | None = None
) -> list[features.PageFeatures | None]:
    """Features of each document's first page, in order (None where there is no usable page).

    Cached features are read; the missing ones are computed, with all their embeddings encoded
    in one ``encoder.encode`` call, and stored. ``with_embedding`` defaults to
    ``embedding_enabled()``; asking for embeddings while the encoder is unavailable gives
    features without them (the model then sees zeros on that branch).
    """
    if with_embedding is None:
        with_embedding = embedding_enabled()
    elif with_embedding and not encoder.available():
        with_embedding = False
    store = cache()
    out: list[features.PageFeatures | None] = [None] * len(documents)
    missing: list[int] = []
    for i, document in enumerate(documents):
        out[i] = _cached(store, document.sha256, with_embedding)
        if out[i] is None:
            missing.append(i)
    if not missing:
        return out
    pages = _first_pages([documents[i].pk for i in missing])
    computable = [i for i in missing if documents[i].pk in pages]
    texts = [pages[documents[i].pk].text for i in computable]
    vectors: list[np.ndarray | None] = [None] * len(computable)
    if with_embedding and computable:
        vectors = list(encoder.encode(texts))
    for i, vector in zip(computable, vectors, strict=True):
        document = documents[i]
        computed = _compute(pages[document.pk], vector, store, document.sha256, with_embedding)
        out[i] = computed
    return out


def cached_features(
    documents: Sequence[Document],
) -> list[features.PageFeatures | None]:
    """Only what the cache already holds (either variant), never computing: for web requests."""
    store = cache()
    out: list[features.PageFeatures | None] = []
    for document in documents:
        found = store.get(page_key(document.sha256, FIRST_PAGE, True))
        if found is None:
            found = store.get(page_key(document.sha256, FIRST_PAGE, False))
        out.append(found)
    return out


def _cached(store: FeatureCache, sha256: str, with_embedding: bool) -> features.PageFeatures | None:
    found = store.get(page_key(sha256, FIRST_PAGE, with_embedding))
    if found is not None or with_embedding:
        return found
    # The variant with an embedding holds everything the one without needs.
    richer = store.get(page_key(sha256, FIRST_PAGE, True))
    return None if richer is None else replace(richer, embedding=None)


def _first_pages(document_ids: list[int]) -> dict[int, Page]:
    return {
        page.document_id: page
        for page in Page.objects.filter(document_id__in=document_ids, number=FIRST_PAGE)
    }


def _compute(
    page: Page,
    embedding: np.ndarray | None,
    store: FeatureCache,
    sha256: str,
    with_embedding: bool,
) -> features.PageFeatures | None:
    plain = store.get(page_key(sha256, FIRST_PAGE, False)) if with_embedding else None
    if plain is not None:
        # Only the embedding was missing: no need to decode the image again.
        computed = replace(plain, embedding=embedding)
    else:
        try:
            with Image.open(storage.absolute(page.image_path)) as image:
                computed = features.compute(
                    image, page.ocr_words, page.width, page.height, page.text, embedding=embedding
                )
        except (OSError, ValueError) as exc:
            log.warning("document=%s page image unreadable, no features: %s", page.document_id, exc)
            return None
    try:
        store.put(page_key(sha256, FIRST_PAGE, with_embedding), computed)
    except OSError as exc:  # a full or read-only cache slows things down; it breaks nothing
        log.warning("feature cache not written for document=%s: %s", page.document_id, exc)
    return computed
