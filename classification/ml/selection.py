"""Which unlabeled documents to ask people about first.

Uncertainty scores come from calibrated probabilities; diversity from feature vectors (text
features, or the model's fused embeddings). Higher score = ask sooner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from classification.ml.features import PageFeatures

STRATEGIES = ("random", "least_confidence", "margin", "entropy", "diverse_margin", "diversity")
# diverse_margin: how much one unit of cosine similarity to a document already labeled, served
# or chosen lowers a candidate's margin score. The review queue and the benchmark share it.
DIVERSITY_WEIGHT = 0.5
# Width of the hashed-text vectors the review queue compares documents with.
HASHED_DIM = 1024


def least_confidence(probs: np.ndarray) -> np.ndarray:
    return 1.0 - probs.max(axis=1)


def margin(probs: np.ndarray) -> np.ndarray:
    """1 - (top1 - top2): high when the two best types are close."""
    if probs.shape[1] < 2:
        return np.zeros(len(probs))
    top = np.sort(probs, axis=1)[:, -2:]
    return 1.0 - (top[:, 1] - top[:, 0])


def entropy(probs: np.ndarray) -> np.ndarray:
    p = np.clip(probs, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def text_vectors(pages: Sequence[PageFeatures], dim: int = 4096) -> np.ndarray:
    """Dense L2-normalised vectors for diversity when no model exists yet.

    The sentence embedding when present, else the hashed n-grams folded into ``dim`` buckets.
    """
    if pages and all(p.embedding is not None for p in pages):
        vectors = np.stack([p.embedding for p in pages]).astype(np.float32)  # type: ignore[misc]
    else:
        vectors = np.zeros((len(pages), dim), dtype=np.float32)
        for row, page in enumerate(pages):
            np.add.at(vectors[row], page.hash_index % dim, page.hash_value)
    return normalise(vectors)


def hashed_vectors(pages: Sequence[PageFeatures], dim: int = HASHED_DIM) -> np.ndarray:
    """The hashed n-grams alone folded into ``dim`` buckets, L2-normalised (never the sentence
    embedding): what the review queue compares documents with, since during the cold start most
    pages have no embedding and all vectors must be of one kind."""
    return text_vectors([replace(page, embedding=None) for page in pages], dim)


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def distance_to_nearest(candidates: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine distance from each candidate to its nearest reference vector (1 when none)."""
    if len(reference) == 0 or len(candidates) == 0:
        return np.ones(len(candidates))
    similarity = normalise(candidates) @ normalise(reference).T
    return 1.0 - similarity.max(axis=1)


def k_center_order(
    candidates: np.ndarray,
    reference: np.ndarray,
    k: int,
    weights: np.ndarray | None = None,
) -> list[int]:
    """Greedy k-center: repeatedly take the candidate farthest from everything chosen or labeled.

    With ``weights`` (e.g. uncertainty), the candidate maximising distance x weight is taken, so
    an uncertain document in an unexplored region comes first. Returns candidate indices.
    """
    n = len(candidates)
    if n == 0 or k <= 0:
        return []
    vectors = normalise(candidates)
    nearest = distance_to_nearest(vectors, reference)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    order: list[int] = []
    taken = np.zeros(n, dtype=bool)
    for _ in range(min(k, n)):
        score = np.where(taken, -np.inf, nearest * w)
        pick = int(np.argmax(score))
        order.append(pick)
        taken[pick] = True
        nearest = np.minimum(nearest, 1.0 - vectors @ vectors[pick])
    return order


def penalised_order(
    score: np.ndarray,
    candidates: np.ndarray,
    reference: np.ndarray,
    k: int,
    weight: float = DIVERSITY_WEIGHT,
) -> list[int]:
    """Greedy: repeatedly take the candidate with the highest ``score`` minus ``weight`` times
    its highest cosine similarity (at least 0) to a reference vector or to a candidate already
    taken. Returns candidate indices: ten near-identical uncertain documents are not all asked
    about before a different one."""
    n = len(candidates)
    if n == 0 or k <= 0:
        return []
    vectors = normalise(candidates)
    # distance_to_nearest is 1 without a reference: similarity 0.
    similar = np.maximum(0.0, 1.0 - distance_to_nearest(vectors, reference))
    score = np.asarray(score, dtype=np.float64)
    order: list[int] = []
    taken = np.zeros(n, dtype=bool)
    for _ in range(min(k, n)):
        pick = int(np.argmax(np.where(taken, -np.inf, score - weight * similar)))
        order.append(pick)
        taken[pick] = True
        similar = np.maximum(similar, vectors @ vectors[pick])
    return order


def choose(
    strategy: str,
    k: int,
    probs: np.ndarray | None,
    candidates: np.ndarray,
    reference: np.ndarray,
    rng: np.random.Generator,
) -> list[int]:
    """The next ``k`` candidates to label under ``strategy`` (cold start when ``probs`` is None).

    Without a model every strategy but ``random`` falls back to diversity (k-center);
    ``diversity`` stays there (the baseline that tells what uncertainty adds to it).
    """
    n = len(candidates)
    k = min(k, n)
    if strategy == "random":
        return [int(i) for i in rng.permutation(n)[:k]]
    if probs is None or strategy == "diversity":
        return k_center_order(candidates, reference, k)
    if strategy == "least_confidence":
        score = least_confidence(probs)
    elif strategy == "margin":
        score = margin(probs)
    elif strategy == "entropy":
        score = entropy(probs)
    elif strategy == "diverse_margin":
        return penalised_order(margin(probs), candidates, reference, k)
    else:
        raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    return [int(i) for i in np.argsort(-score, kind="stable")[:k]]
