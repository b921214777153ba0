"""Temperature scaling, calibration error, routing thresholds and classification metrics.

All functions take numpy arrays: ``logits`` (n, k), ``probs`` (n, k), ``labels`` (n,) ints.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ECE_BINS = 15
NEVER = 1.000001  # a threshold no probability reaches


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)
    return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, 1.0)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, prior_items: float = 10.0) -> float:
    """The temperature minimising held-out NLL, shrunk towards 1 when there are few labels.

    A one-dimensional search (a grid on log T, then a finer grid around the best) is exact
    enough and, unlike LBFGS, cannot diverge. With n held-out labels the fitted log T is
    multiplied by n / (n + ``prior_items``): eight labels cannot tell a temperature apart from
    noise, a few hundred can. With no held-out labels, or none the model gets wrong while the
    fit would sharpen, the temperature stays 1.
    """
    n = len(labels)
    if n == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    losses = [nll(logits, labels, t) for t in grid]
    best = int(np.argmin(losses))
    low, high = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    fine = np.exp(np.linspace(np.log(low), np.log(high), 41))
    losses = [nll(logits, labels, t) for t in fine]
    fitted = float(fine[int(np.argmin(losses))])
    if fitted < 1.0 and bool((np.asarray(logits).argmax(axis=1) == labels).all()):
        # Held-out labels without a single error pull the NLL optimum towards T -> 0 (ever
        # sharper probabilities) however few they are: no evidence to sharpen on, so don't.
        return 1.0
    return float(np.exp(np.log(fitted) * n / (n + prior_items)))


def reliability(
    probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS
) -> list[dict[str, Any]]:
    """Per confidence bin: count, mean confidence, accuracy (equal-width bins on [0, 1])."""
    confidence = probs.max(axis=1) if len(probs) else np.zeros(0)
    correct = (probs.argmax(axis=1) == labels) if len(probs) else np.zeros(0, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for i in range(bins):
        low, high = edges[i], edges[i + 1]
        inside = (confidence > low) & (confidence <= high) if i else (confidence <= high)
        n = int(inside.sum())
        rows.append(
            {
                "low": round(float(low), 4),
                "high": round(float(high), 4),
                "count": n,
                "confidence": round(float(confidence[inside].mean()), 4) if n else None,
                "accuracy": round(float(correct[inside].mean()), 4) if n else None,
            }
        )
    return rows


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: sum over bins of |accuracy - confidence| x share of items."""
    if len(labels) == 0:
        return 0.0
    correct = probs.argmax(axis=1) == labels
    return float(_binned_ece(probs.max(axis=1), correct[None, :], bins)[0])


def _binned_ece(confidence: np.ndarray, correct: np.ndarray, bins: int) -> np.ndarray:
    """ECE of each row of ``correct`` (draws x items) against the same ``confidence`` (items),
    with the equal-width bins of ``reliability``."""
    n = len(confidence)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin i holds (edges[i], edges[i + 1]]; the first also holds 0.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    confidence_sums = np.bincount(which, weights=confidence, minlength=bins)
    hits = np.zeros((correct.shape[0], bins))
    for b in np.flatnonzero(counts):
        hits[:, b] = correct[:, which == b].sum(axis=1)
    return np.asarray(np.abs(hits - confidence_sums[None, :]).sum(axis=1) / n)


def ece_noise_floor(
    probs: np.ndarray, bins: int = ECE_BINS, draws: int = 2000, seed: int = 0
) -> dict[str, float]:
    """The ECE a perfectly calibrated model would show with these confidences on this many
    items: each item is drawn right with probability equal to its confidence.

    A 15-bin ECE is biased upwards on a small set (every bin's accuracy is a noisy estimate):
    on ~190 test documents a model whose confidences are exactly right still measures about
    0.03-0.05. ``mean`` is that expectation, ``p95`` the value such a model stays under 19
    times in 20; a measured ECE below ``p95`` is as calibrated as the set can tell.
    """
    if len(probs) == 0:
        return {"mean": 0.0, "p95": 0.0}
    confidence = probs.max(axis=1)
    rng = np.random.default_rng(seed)
    simulated = rng.random((draws, len(confidence))) < confidence[None, :]
    values = _binned_ece(confidence, simulated, bins)
    return {
        "mean": round(float(values.mean()), 4),
        "p95": round(float(np.quantile(values, 0.95)), 4),
    }


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> float:
    """The lowest confidence threshold at which auto-accepting keeps precision >= target.

    Precision of the held-out items at or above the threshold is estimated with Laplace's rule
    of succession, (correct + 1) / (n + 2), which asks for evidence: at a target of 0.98, at
    least 49 held-out documents at or above the threshold, all correct. A small held-out set
    that happens to be right cannot switch automation on. Returns a value above 1 (never) when
    no threshold qualifies.
    """
    if len(confidence) == 0:
        return NEVER
    order = np.argsort(-confidence, kind="stable")
    conf = confidence[order]
    hits = correct[order].astype(np.float64)
    precision = (np.cumsum(hits) + 1) / (np.arange(1, len(hits) + 1) + 2)
    best = NEVER
    for i in range(len(conf)):
        # Only cut between distinct confidences: ties are accepted or refused together.
        if i + 1 < len(conf) and conf[i + 1] == conf[i]:
            continue
        if precision[i] >= target:
            best = float(conf[i])
    return best


def thresholds(
    probs: np.ndarray, labels: np.ndarray, classes: list[str], target: float, min_per_class: int
) -> dict[str, Any]:
    """Routing thresholds for a target precision, from held-out labels.

    ``global`` is chosen on all held-out items together. A type whose own held-out items
    (those predicted as it, ``min_per_class`` at least) support a threshold gets its own, which
    may be lower than the target: a type the model never gets wrong is accepted at modest
    confidence. Every other type is accepted only at ``max(target, global)``: without evidence
    of its own, a document must be at least as likely right as the target by its calibrated
    confidence. When the pooled evidence supports no threshold at all, nothing is accepted.
    """
    confidence = probs.max(axis=1) if len(probs) else np.zeros(0)
    predicted = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    correct = predicted == labels
    global_t = choose_threshold(confidence, correct, target)
    per_class: dict[str, float] = {}
    for index, name in enumerate(classes):
        mask = predicted == index
        own = NEVER
        if global_t <= 1 and int(mask.sum()) >= min_per_class:
            own = choose_threshold(confidence[mask], correct[mask], target)
        per_class[name] = own if own <= 1 else (max(target, global_t) if global_t <= 1 else NEVER)
    return {"target_precision": target, "global": global_t, "per_class": per_class}


def threshold_for(thresholds_: dict[str, Any], class_name: str) -> float:
    per_class = thresholds_.get("per_class") or {}
    return float(per_class.get(class_name, NEVER))


def auto_accept(probs: np.ndarray, classes: list[str], thresholds_: dict[str, Any]) -> np.ndarray:
    """Boolean per item: would routing accept the top prediction without a person?"""
    if len(probs) == 0:
        return np.zeros(0, dtype=bool)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    limits = np.array([threshold_for(thresholds_, classes[i]) for i in predicted])
    return confidence >= limits


def auto_accept_figures(
    probs: np.ndarray, labels: np.ndarray, classes: list[str], thresholds_: dict[str, Any]
) -> dict[str, float | None]:
    """Share of items routing would accept, and the precision among them (None when none)."""
    accepted = auto_accept(probs, classes, thresholds_)
    correct = probs.argmax(axis=1) == labels if len(labels) else np.zeros(0, dtype=bool)
    return acceptance_figures(accepted, correct)


def acceptance_figures(accepted: np.ndarray, correct: np.ndarray) -> dict[str, float | None]:
    """``auto_accept_rate`` and ``auto_accept_precision`` from per-item booleans."""
    return {
        "auto_accept_rate": round(float(accepted.mean()), 4) if len(accepted) else 0.0,
        "auto_accept_precision": (
            round(float(correct[accepted].mean()), 4) if accepted.any() else None
        ),
    }


COVERAGE_TARGETS = (0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def coverage_curve(
    probs: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    targets: tuple[float, ...] | list[float] = COVERAGE_TARGETS,
    min_per_class: int = 20,
) -> list[dict[str, float | None]]:
    """For each target precision, the share of held-out items routing would accept and the
    precision measured among them, with the thresholds ``thresholds`` would choose there: what
    raising or lowering the target would cost or gain in automation, without retraining.

    ``precision`` is None where nothing would be accepted."""
    curve: list[dict[str, float | None]] = []
    for target in targets:
        routing = thresholds(probs, labels, classes, float(target), min_per_class)
        figures = auto_accept_figures(probs, labels, classes, routing)
        curve.append(
            {
                "target": round(float(target), 4),
                "share": figures["auto_accept_rate"],
                "precision": figures["auto_accept_precision"],
            }
        )
    return curve


def classification_metrics(
    probs: np.ndarray, labels: np.ndarray, classes: list[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1 over the classes present in ``labels``, per-class F1, confusion."""
    k = len(classes)
    predicted = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    confusion = np.zeros((k, k), dtype=int)
    for truth, guess in zip(labels, predicted, strict=True):
        confusion[int(truth), int(guess)] += 1
    per_class: dict[str, float] = {}
    present = []
    for i, name in enumerate(classes):
        tp = confusion[i, i]
        fp = confusion[:, i].sum() - tp
        fn = confusion[i, :].sum() - tp
        if confusion[i, :].sum() == 0:
            continue  # no held-out item of this class: its F1 says nothing
        present.append(i)
        denominator = 2 * tp + fp + fn
        per_class[name] = round(float(2 * tp / denominator) if denominator else 0.0, 4)
    macro = float(np.mean([per_class[classes[i]] for i in present])) if present else 0.0
    accuracy = float((predicted == labels).mean()) if len(labels) else 0.0
    return {
        "n": len(labels),
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro, 4),
        "per_class_f1": per_class,
        "confusion": confusion.tolist(),
    }
