"""Drift figures: how recent predictions differ from what the model was trained on.

Pure numbers, no Django: the Drift dashboard reads the counts from the database and hands
them here, so the math is tested on hand-computed values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from classification.ml import selection

# Differences are compared after rounding, so 0.3 - 0.2 is not "more than 0.1".
_DIGITS = 9


@dataclass(frozen=True)
class ShareShift:
    name: str
    recent: float
    training: float

    @property
    def shift(self) -> float:
        return round(self.recent - self.training, _DIGITS)


def shares(counts: Mapping[str, float]) -> dict[str, float]:
    """Each key's share of the total (empty when the total is 0 or negative)."""
    total = float(sum(max(0.0, float(v)) for v in counts.values()))
    if total <= 0:
        return {}
    return {name: max(0.0, float(v)) / total for name, v in counts.items()}


def share_shifts(recent: Mapping[str, float], training: Mapping[str, float]) -> list[ShareShift]:
    """Recent against training share per type, for every type in either (0 where absent),
    in name order."""
    names = sorted(set(recent) | set(training))
    return [ShareShift(n, recent.get(n, 0.0), training.get(n, 0.0)) for n in names]


def share_alerts(shifts: Sequence[ShareShift], limit: float) -> list[ShareShift]:
    """The shifts beyond ``limit`` (absolute), largest first."""
    beyond = [s for s in shifts if abs(s.shift) > limit]
    return sorted(beyond, key=lambda s: (-abs(s.shift), s.name))


def confidence_moved(recent: float | None, training: float | None, limit: float) -> bool:
    """Whether the recent mean confidence lies more than ``limit`` from the training mean."""
    if recent is None or training is None:
        return False
    return abs(round(recent - training, _DIGITS)) > limit


def mean_confidence(reliability: Sequence[Mapping[str, Any]] | None) -> float | None:
    """Mean calibrated confidence on validation from ``calibration.reliability`` bins:
    sum(count x bin mean confidence) / sum(count); None without counted bins."""
    total, weighted = 0, 0.0
    for row in reliability or ():
        count, confidence = row.get("count"), row.get("confidence")
        if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
            continue
        if not isinstance(confidence, int | float) or isinstance(confidence, bool):
            continue
        total += count
        weighted += count * float(confidence)
    return weighted / total if total else None


def nearest_similarity(candidates: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine similarity of each candidate to its nearest reference vector (0 when there is
    no reference): 1 minus ``selection.distance_to_nearest``."""
    return 1.0 - selection.distance_to_nearest(candidates, reference)


def least_similar(similarities: Sequence[float], threshold: float, limit: int) -> list[int]:
    """Indices of the similarities below ``threshold``, least similar first (ties keep their
    order), at most ``limit``."""
    values = np.asarray(similarities, dtype=np.float64)
    below = np.flatnonzero(values < threshold)
    order = below[np.argsort(values[below], kind="stable")]
    return [int(i) for i in order[: max(0, limit)]]
