"""Which waiting document a labeler should get next.

Two parts, so that Next stays fast with a hundred thousand documents waiting:

- ``score``: when a document is routed to review, its task gets a stored priority from the
  model's calibrated probabilities (higher first). ``entropy`` (the default: the best area under
  the learning curve in ``bench.active_learning`` on real-dev, seeds 0 and 1): normalised
  entropy; ``margin`` / ``diverse_margin``: 1 minus the gap between the two likeliest types
  (the same here: the queue lowers near-copies under every score, see below);
  ``least_confidence``: 1 minus the top probability; ``random``: a uniform draw from the
  content hash. Documents with no probabilities (no model yet, nothing to classify) score
  ``UNKNOWN``, above any uncertainty. Checks (QA) and second opinions score ``CHECK``, above
  that: they are few and their value decays with waiting. A document the model was sure of but
  whose fields failed validation scores at least ``FIELDS_FAILED``: its type teaches the model
  little, so its score would put it last, yet it waits only for a person to fix a field and
  holds up what comes after.
- ``rerank``: Next reads only the ``CANDIDATES`` free tasks with the highest stored priority
  and orders those. Every strategy but ``random`` lowers a candidate by its similarity to the
  documents served most recently and, in the cold start (when the priorities say nothing), to
  the human-labeled ones: ten near-identical documents in a row teach less than ten different
  ones, and tire the labeler. With ``DOCSITE_QUEUE_TYPE_QUOTA``, documents predicted as a type
  with fewer human labels than the quota come first, so rare types get labels (Next then also
  reads the best free tasks of those types, wherever they wait).

Similarity uses the hashed-text vectors of the first pages (``selection.hashed_vectors``), from
the feature cache only (a request never decodes a page or loads the encoder) and memoised per
process; a document without cached features is simply not moved.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count, Exists, OuterRef

from classification import featurestore
from classification.ml import features, selection
from classification.models import Document, Label

STRATEGIES = ("entropy", "margin", "diverse_margin", "least_confidence", "random")
UNKNOWN = 2.0
CHECK = 3.0
# As unsure as a 50/50 margin: in the middle of the review order, not at its end.
FIELDS_FAILED = 0.5
# Free tasks Next orders in Python; the rest wait in the database's priority order.
CANDIDATES = 30
# How much one unit of cosine similarity to a recent document lowers a priority (the value
# bench.active_learning measures diverse_margin with).
DIVERSITY_WEIGHT = selection.DIVERSITY_WEIGHT
# Documents served most recently that candidates are kept apart from.
RECENT_LIMIT = 50
# The most recent human-labeled documents compared with during the cold start.
REFERENCE_LIMIT = 2000
VECTOR_DIM = selection.HASHED_DIM
# Vectors kept per process (4 KB each).
MEMO_SIZE = 20_000
_memo: dict[str, np.ndarray] = {}
# Documents found without cached features, and when: not looked up again for MISS_TTL seconds
# (two file lookups each; in the cold start Next compares with up to REFERENCE_LIMIT labeled
# documents, and features appear when a document is processed, rarely later).
MISS_TTL = 60.0
_misses: dict[str, float] = {}
# Human labels per type, for the quota: counted at most every QUOTA_TTL seconds per process.
QUOTA_TTL = 30.0
_quota_counts: tuple[float, dict[int, int]] = (0.0, {})


@dataclass(frozen=True)
class Candidate:
    task_id: int
    priority: float
    document_id: int
    sha256: str
    suggested_type_id: int | None


def strategy() -> str:
    return str(settings.DOCSITE_QUEUE_STRATEGY)


def score(
    probabilities: Sequence[float] | None,
    key: str,
    name: str | None = None,
    fields_failed: bool = False,
) -> float:
    """The stored priority of a review task (higher first); ``key`` seeds ``random``."""
    name = name or strategy()
    if name == "random":
        return uniform("priority", key)
    if fields_failed:
        return max(FIELDS_FAILED, score(probabilities, key, name))
    probs = sorted((float(p) for p in probabilities or ()), reverse=True)
    if len(probs) < 2:
        return UNKNOWN
    if name in ("margin", "diverse_margin"):
        return round(1.0 - (probs[0] - probs[1]), 6)
    if name == "least_confidence":
        return round(1.0 - probs[0], 6)
    if name == "entropy":
        p = np.clip(np.asarray(probs), 1e-12, 1.0)
        return round(float(-(p * np.log(p)).sum() / math.log(len(p))), 6)
    raise ValueError(f"unknown queue strategy {name!r}")


def uniform(purpose: str, key: str) -> float:
    """A number in [0, 1) fixed by ``purpose`` and ``key`` (e.g. a content hash): a draw that
    comes out the same when a task runs twice, uniform across keys."""
    digest = hashlib.sha256(f"{purpose}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def rerank(
    candidates: Sequence[Candidate],
    recent: Sequence[Document],
    cold: bool,
    name: str | None = None,
) -> list[int]:
    """Task ids of ``candidates`` in the order to serve them."""
    name = name or strategy()
    if not candidates or name == "random":
        return [c.task_id for c in candidates]
    adjusted = [c.priority for c in candidates]
    full = types_at_quota()
    if full is not None and not cold:
        for i, c in enumerate(candidates):
            if c.suggested_type_id is not None and c.suggested_type_id not in full:
                adjusted[i] += 1.0
    references = list(recent)
    if cold:
        references += list(_labeled_documents())
    similarity = _max_similarity(candidates, references)
    adjusted = [a - DIVERSITY_WEIGHT * s for a, s in zip(adjusted, similarity, strict=True)]
    order = sorted(range(len(candidates)), key=lambda i: (-adjusted[i], i))
    return [candidates[i].task_id for i in order]


def types_at_quota() -> set[int] | None:
    """Types with at least ``DOCSITE_QUEUE_TYPE_QUOTA`` human labels (None when quotas are off):
    documents predicted as any other type come first."""
    quota = int(settings.DOCSITE_QUEUE_TYPE_QUOTA)
    if not quota:
        return None
    return {type_id for type_id, n in _human_counts().items() if n >= quota}


def _human_counts() -> dict[int, int]:
    global _quota_counts
    taken, counts = _quota_counts
    if time.monotonic() - taken > QUOTA_TTL:
        rows = Label.objects.human().values("document_type").annotate(n=Count("id"))
        counts = {row["document_type"]: row["n"] for row in rows}
        _quota_counts = (time.monotonic(), counts)
    return counts


def _labeled_documents() -> list[Document]:
    return list(
        Document.objects.filter(status=Document.Status.CLASSIFIED)
        .filter(Exists(Label.objects.human().filter(document=OuterRef("pk"))))
        .only("pk", "sha256")
        .order_by("-pk")[:REFERENCE_LIMIT]
    )


def _max_similarity(candidates: Sequence[Candidate], references: Sequence[Document]) -> list[float]:
    """Per candidate, its highest cosine similarity to a reference other than its own document
    (0 without vectors). A candidate can be a reference too: a lease that ran out leaves its
    document among the recently served, and a second opinion's document is a labeled one."""
    vectors = _vectors([Document(pk=c.document_id, sha256=c.sha256) for c in candidates], hot=True)
    known = [
        (d.pk, v)
        for d, v in zip(references, _vectors(list(references), hot=True), strict=True)
        if v is not None
    ]
    if not known:
        return [0.0] * len(candidates)
    matrix = np.stack([v for _, v in known])
    ids = np.array([pk for pk, _ in known])
    out = []
    for candidate, vector in zip(candidates, vectors, strict=True):
        others = ids != candidate.document_id
        if vector is None or not others.any():
            out.append(0.0)
            continue
        out.append(float(max(0.0, (matrix[others] @ vector).max())))
    return out


def similar_documents(document: Document, pool: Sequence[Document], k: int = 3) -> list[int]:
    """Ids of the ``k`` documents of ``pool`` whose first page reads most like ``document``'s."""
    (vector,) = _vectors([document])
    if vector is None:
        return []
    known = [(d.pk, v) for d, v in zip(pool, _vectors(list(pool)), strict=True) if v is not None]
    known = [(pk, v) for pk, v in known if pk != document.pk]
    if not known:
        return []
    sims = np.stack([v for _, v in known]) @ vector
    return [known[i][0] for i in np.argsort(-sims, kind="stable")[:k]]


def _vectors(documents: list[Document], hot: bool = False) -> list[np.ndarray | None]:
    """Hashed-text vectors of the documents' first pages, from a per-process memo (features
    depend only on the content hash) filled from the feature cache; None where not cached.

    ``hot`` (Next): documents found without features in the last ``MISS_TTL`` seconds are not
    looked up again. Elsewhere (the workbench's similar documents) every miss is looked up, so
    features computed meanwhile show at once.

    Always the hashed n-grams, never the sentence embedding: during the cold start most cached
    features have none, and candidates and references must be vectors of the same kind.
    """
    now = time.monotonic()
    missing = [
        d
        for d in documents
        if _memo_key(d) not in _memo
        and not (hot and now - _misses.get(_memo_key(d), -MISS_TTL) < MISS_TTL)
    ]
    for document, page in zip(missing, featurestore.cached_features(missing), strict=True):
        if page is None:
            if len(_misses) >= MEMO_SIZE:
                _misses.clear()
            _misses[_memo_key(document)] = now
            continue
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()  # crude, and rare: a full memo is rebuilt from the cache
        vector = selection.hashed_vectors([page], VECTOR_DIM)[0]
        _memo[_memo_key(document)] = vector
    return [_memo.get(_memo_key(d)) for d in documents]


def _memo_key(document: Document) -> str:
    return f"{document.sha256}-f{features.FEATURE_VERSION}"
