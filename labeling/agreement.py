"""What the checks measure: agreement between labelers (Cohen's kappa) from second opinions,
and the real precision of auto-acceptance from the QA sample."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from labeling.models import Task


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters over the same items: (p_o - p_e) / (1 - p_e).

    None with no items. When chance agreement is already certain (both raters always said the
    same single type), kappa is undefined; it is 1.0 if they agreed on everything, else 0.0.
    """
    if len(first) != len(second):
        raise ValueError("both raters must rate the same items")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[k] * count_b.get(k, 0) for k in count_a) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True)
class PairAgreement:
    labelers: tuple[int, int]  # user ids, smaller first
    items: int
    agreed: int
    kappa: float | None


@dataclass(frozen=True)
class Agreement:
    items: int
    agreed: int
    kappa: float | None  # all second opinions pooled: first label vs second label
    pairs: list[PairAgreement]


def agreement() -> Agreement:
    """Kappa per labeler pair and overall, from every completed second opinion."""
    rows = (
        Task.objects.filter(
            kind=Task.Kind.OVERLAP,
            state=Task.State.DONE,
            label__isnull=False,
            reference_label__isnull=False,
        )
        .values_list(
            "reference_label__labeled_by_id",
            "reference_label__document_type_id",
            "label__labeled_by_id",
            "label__document_type_id",
        )
        .order_by("pk")
    )
    firsts: list[int] = []
    seconds: list[int] = []
    by_pair: dict[tuple[int, int], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for first_user, first_type, second_user, second_type in rows:
        firsts.append(first_type)
        seconds.append(second_type)
        if first_user is None or second_user is None:
            continue
        # Order the pair by user id, and each rating with its rater: kappa is symmetric.
        if first_user <= second_user:
            key, a, b = (first_user, second_user), first_type, second_type
        else:
            key, a, b = (second_user, first_user), second_type, first_type
        by_pair[key][0].append(a)
        by_pair[key][1].append(b)
    pairs = [
        PairAgreement(
            labelers=key,
            items=len(a),
            agreed=sum(x == y for x, y in zip(a, b, strict=True)),
            kappa=cohen_kappa(a, b),
        )
        for key, (a, b) in sorted(by_pair.items())
    ]
    return Agreement(
        items=len(firsts),
        agreed=sum(x == y for x, y in zip(firsts, seconds, strict=True)),
        kappa=cohen_kappa(firsts, seconds),
        pairs=pairs,
    )


@dataclass(frozen=True)
class QaPrecision:
    checked: int
    correct: int
    precision: float | None
    low: float | None  # 95% Wilson interval
    high: float | None


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def qa_checks() -> QuerySet[Task]:
    """The quality checks people completed (each says whether they confirmed the type)."""
    return Task.objects.filter(kind=Task.Kind.QA, state=Task.State.DONE, agreed__isnull=False)


def precision_of(correct: int, checked: int) -> QaPrecision:
    """``correct`` of ``checked`` as a precision with its Wilson 95% interval."""
    if not checked:
        return QaPrecision(0, 0, None, None, None)
    low, high = wilson(correct, checked)
    return QaPrecision(checked, correct, correct / checked, round(low, 4), round(high, 4))


def qa_precision() -> QaPrecision:
    """Of the auto-accepted documents people checked, the share whose type they confirmed."""
    done = qa_checks()
    return precision_of(done.filter(agreed=True).count(), done.count())
