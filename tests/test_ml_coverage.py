"""The coverage curve: the auto-accepted share and its precision at other target precisions,
recorded with each training for the Automation dashboard."""

from __future__ import annotations

import numpy as np

from classification.ml import calibration, features
from classification.ml.model import ModelConfig
from classification.ml.train import TrainConfig, train

# Ten held-out items, all predicted "a", most confident first; the two least confident are wrong.
CONFIDENCE = np.array([0.99, 0.97, 0.95, 0.93, 0.91, 0.89, 0.87, 0.85, 0.83, 0.81])
PROBS = np.stack([CONFIDENCE, 1 - CONFIDENCE], axis=1)
LABELS = np.array([0] * 8 + [1, 1])


def test_coverage_curve_matches_hand_computed_thresholds() -> None:
    curve = calibration.coverage_curve(PROBS, LABELS, ["a", "b"], (0.8, 0.9, 0.95), 100)
    # Laplace precision of the top k items: (k + 1) / (k + 2) for k <= 8, then 9/11, 9/12.
    # 0.8: the top 9 (9/11 = 0.818) -> threshold 0.83 -> 9 accepted, 8 right.
    # 0.9: the top 8 (9/10) -> global 0.85, but "a" has too few items of its own, so it is
    #      accepted at max(target, global) = 0.9 -> the 5 items at 0.91 and above, all right.
    # 0.95: would need 18 right in a row -> nothing accepted.
    assert curve == [
        {"target": 0.8, "share": 0.9, "precision": round(8 / 9, 4)},
        {"target": 0.9, "share": 0.5, "precision": 1.0},
        {"target": 0.95, "share": 0.0, "precision": None},
    ]


def test_coverage_curve_uses_a_types_own_threshold_when_it_has_the_evidence() -> None:
    # With 5 items of its own required, "a" (10 items) gets its own threshold at 0.9: 0.85.
    curve = calibration.coverage_curve(PROBS, LABELS, ["a", "b"], (0.9,), 5)
    assert curve == [{"target": 0.9, "share": 0.8, "precision": 1.0}]


def test_coverage_curve_values_are_plain_floats_and_empty_input_accepts_nothing() -> None:
    curve = calibration.coverage_curve(np.zeros((0, 2)), np.zeros(0, dtype=int), ["a", "b"])
    assert [row["target"] for row in curve] == list(calibration.COVERAGE_TARGETS)
    assert all(row["share"] == 0.0 and row["precision"] is None for row in curve)
    full = calibration.coverage_curve(PROBS, LABELS, ["a", "b"])
    assert all(type(v) is float for row in full for v in row.values() if v is not None)
    shares = [float(row["share"] or 0.0) for row in full]
    assert shares == sorted(shares, reverse=True)  # a stricter target never accepts more


def _page(kind: int, rng: np.random.Generator) -> features.PageFeatures:
    from PIL import Image, ImageDraw

    words = {0: "invoice total amount due vendor tax", 1: "receipt cashier change cash item"}
    image = Image.new("L", (200, 260), 255)
    draw = ImageDraw.Draw(image)
    for row in range(6):
        left = 20 + kind * 60
        draw.rectangle([left, 20 + row * 40, left + 80, 30 + row * 40], fill=0)
    text = " ".join(rng.choice(words[kind].split(), 20))
    boxes = [
        {"text": t, "left": 8 * i, "top": 10 * i, "width": 30, "height": 9, "conf": 90, "line": i}
        for i, t in enumerate(text.split())
    ]
    return features.compute(image, boxes, 200, 260, text)


def test_training_records_the_coverage_curve_of_its_calibrated_validation_probabilities() -> None:
    rng = np.random.default_rng(3)
    labels = [i % 2 for i in range(30)]
    pages = [_page(k, rng) for k in labels]
    config = TrainConfig(
        min_steps=20,
        max_steps=20,
        lr=1e-2,
        self_training_rounds=0,
        min_per_class_threshold=3,
        refit=False,
    )
    result = train(
        pages[:20],
        labels[:20],
        ["invoice", "receipt"],
        pages[20:],
        labels[20:],
        unlabeled=[],
        model_config=ModelConfig(use_embedding=False, image_channels=(4, 8)),
        config=config,
    )
    assert result.validation_probs is not None
    expected = calibration.coverage_curve(
        result.validation_probs, np.array(labels[20:]), ["invoice", "receipt"], min_per_class=3
    )
    assert result.metrics["coverage"] == expected
    assert [row["target"] for row in expected] == [0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]
