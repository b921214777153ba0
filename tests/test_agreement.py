"""What the checks measure: Cohen's kappa between labelers, and the Wilson interval of the
precision of auto-acceptance."""

from __future__ import annotations

import hashlib
import itertools
import random

import pytest
from django.contrib.auth.models import User
from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]  # no type hints

from classification.models import Document, DocumentType, Label
from labeling import agreement
from labeling.agreement import cohen_kappa, wilson
from labeling.models import Task

_serial = itertools.count(1)


# --- Cohen's kappa ---------------------------------------------------------------------------


def test_kappa_of_a_two_by_two_table_computed_by_hand() -> None:
    #              B: yes   B: no
    #   A: yes        20       5      A says yes 25/50 = 0.5
    #   A: no         10      15      B says yes 30/50 = 0.6
    # observed p_o = (20 + 15) / 50 = 0.7
    # chance   p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    first, second = zip(*pairs, strict=True)
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa(second, first) == pytest.approx(0.4)  # symmetric


def test_kappa_matches_scikit_learn_on_many_types() -> None:
    rng = random.Random(3)
    kinds = ["invoice", "receipt", "contract", "letter"]
    first = [rng.choice(kinds) for _ in range(300)]
    # The second rater agrees two times in three, else answers at random.
    second = [a if rng.random() < 2 / 3 else rng.choice(kinds) for a in first]
    assert cohen_kappa(first, second) == pytest.approx(cohen_kappa_score(first, second))


def test_kappa_in_the_degenerate_cases() -> None:
    assert cohen_kappa([], []) is None
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])
    # Both always said the same single type: chance agreement is certain, kappa undefined.
    assert cohen_kappa(["a"] * 5, ["a"] * 5) == 1.0
    assert cohen_kappa(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)  # always opposite
    assert cohen_kappa(["a"] * 4, ["b"] * 4) == 0.0  # p_o = p_e = 0


# --- Agreement from second opinions ----------------------------------------------------------


def _document() -> Document:
    name = f"agreement-{next(_serial)}"
    return Document.objects.create(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        original_name=f"{name}.png",
        original_path=f"originals/{name}.png",
        mime_type="image/png",
        size_bytes=100,
        status=Document.Status.CLASSIFIED,
    )


def _second_opinion(
    first: tuple[User, str], second: tuple[User, str], state: str = Task.State.DONE
) -> Task:
    """A document labeled by ``first``, then blind by ``second`` through an overlap task."""
    document = _document()
    types = {t.name: t for t in DocumentType.objects.all()}
    made = [
        Label.objects.create(
            document=document,
            document_type=types[kind],
            provenance=Label.Provenance.HUMAN,
            labeled_by=user,
            second_opinion=i == 1,
        )
        for i, (user, kind) in enumerate((first, second))
    ]
    return Task.objects.create(
        document=document,
        kind=Task.Kind.OVERLAP,
        state=state,
        reference_label=made[0],
        label=made[1] if state == Task.State.DONE else None,
    )


@pytest.mark.django_db
def test_agreement_per_labeler_pair_and_overall() -> None:
    a, b, c = (User.objects.create_user(name) for name in ("ann", "ben", "cat"))
    for first, second in [
        ((a, "invoice"), (b, "invoice")),
        ((a, "invoice"), (b, "invoice")),
        ((a, "receipt"), (b, "invoice")),
        ((b, "receipt"), (a, "receipt")),
        ((b, "receipt"), (a, "invoice")),
        ((a, "contract"), (c, "contract")),
    ]:
        _second_opinion(first, second)
    _second_opinion((a, "invoice"), (c, "receipt"), state=Task.State.OPEN)  # not answered yet

    measured = agreement.agreement()

    # Pair (ann, ben), each rating with its rater whoever labeled first:
    #   ann: invoice invoice receipt receipt invoice     (3 invoice, 2 receipt)
    #   ben: invoice invoice invoice receipt receipt     (3 invoice, 2 receipt)
    #   p_o = 3/5 = 0.6; p_e = 0.6 * 0.6 + 0.4 * 0.4 = 0.52; kappa = 0.08 / 0.48 = 1/6
    # (first labels against second ones would give 0.2857: the pairing must follow the raters)
    ab, ac = measured.pairs
    assert ab.labelers == (a.pk, b.pk) and (ab.items, ab.agreed) == (5, 3)
    assert ab.kappa == pytest.approx(1 / 6)
    # Pair (ann, cat): one document, both said contract: chance agreement certain, kappa 1.
    assert ac.labelers == (a.pk, c.pk) and (ac.items, ac.agreed, ac.kappa) == (1, 1, 1.0)
    # Overall, first label against second over the six answered documents:
    #   first:  invoice invoice receipt receipt receipt contract   (2, 3, 1)
    #   second: invoice invoice invoice receipt invoice contract   (4, 1, 1)
    #   p_o = 4/6; p_e = (2*4 + 3*1 + 1*1) / 36 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5
    assert (measured.items, measured.agreed) == (6, 4)
    assert measured.kappa == pytest.approx(0.5)


@pytest.mark.django_db
def test_agreement_with_no_second_opinions_is_empty() -> None:
    measured = agreement.agreement()
    assert (measured.items, measured.agreed, measured.kappa, measured.pairs) == (0, 0, None, [])


# --- Precision of auto-acceptance ------------------------------------------------------------


def test_wilson_interval_known_values() -> None:
    # (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.96; 8 of 10: 0.490 to 0.943
    assert wilson(8, 10) == pytest.approx((0.49016, 0.94332), abs=1e-5)
    assert wilson(0, 10) == pytest.approx((0.0, 0.27754), abs=1e-5)
    assert wilson(10, 10) == pytest.approx((0.72246, 1.0), abs=1e-5)
    assert wilson(45, 50) == pytest.approx((0.78640, 0.95652), abs=1e-5)
    assert wilson(0, 0) == (0.0, 1.0)  # nothing known
    low, high = wilson(0, 10)
    assert low >= 0.0 and high <= 1.0


def _checked(agreed: bool | None, state: str = Task.State.DONE) -> Task:
    return Task.objects.create(document=_document(), kind=Task.Kind.QA, state=state, agreed=agreed)


@pytest.mark.django_db
def test_qa_precision_counts_answered_checks_only() -> None:
    assert agreement.qa_precision() == agreement.QaPrecision(0, 0, None, None, None)
    for i in range(10):
        _checked(agreed=i < 8)
    _checked(agreed=None, state=Task.State.OPEN)
    _checked(agreed=False, state=Task.State.CANCELLED)
    measured = agreement.qa_precision()
    assert (measured.checked, measured.correct, measured.precision) == (10, 8, 0.8)
    assert (measured.low, measured.high) == (0.4902, 0.9433)
