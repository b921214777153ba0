"""The classifier core (classification/ml): features, calibration, thresholds, training,
artifacts and selection, without Django."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from classification.ml import artifact, calibration, features, selection
from classification.ml.model import ModelConfig
from classification.ml.train import (
    TrainConfig,
    holdout_mask,
    keep_class_totals,
    predict,
    train,
)

WORDS = {
    0: "invoice number total amount due vendor tax subtotal payment terms",
    1: "receipt cashier change cash thank you visit again item qty",
    2: "agreement party parties hereby term governing law confidential whereas",
}


def _page(kind: int, rng: np.random.Generator) -> features.PageFeatures:
    image = Image.new("L", (300, 400), 255)
    draw = ImageDraw.Draw(image)
    for row in range(8):
        left = 20 + kind * 60
        draw.rectangle([left, 30 + row * 45, left + 120, 42 + row * 45], fill=0)
    text = " ".join(rng.choice(WORDS[kind].split(), 25))
    words = [
        {"text": t, "left": 10 * i, "top": 12 * i, "width": 40, "height": 10, "conf": 90, "line": i}
        for i, t in enumerate(text.split())
    ]
    return features.compute(image, words, 300, 400, text)


def _data(n: int, seed: int = 0) -> tuple[list[features.PageFeatures], list[int]]:
    rng = np.random.default_rng(seed)
    labels = [i % 3 for i in range(n)]
    return [_page(k, rng) for k in labels], labels


FAST = TrainConfig(min_steps=30, max_steps=30, lr=1e-2, self_training_rounds=1)
SMALL = ModelConfig(use_embedding=False, image_channels=(4, 8))


# --- Features ---------------------------------------------------------------------------------


def test_hashed_text_is_deterministic_normalised_and_sorted() -> None:
    index, value = features.hashed_text("Invoice No 1234 Total 56.00 total")
    again = features.hashed_text("Invoice No 1234 Total 56.00 total")
    assert np.array_equal(index, again[0]) and np.array_equal(value, again[1])
    assert np.all(np.diff(index) > 0)
    assert index.max() < features.HASH_DIM
    assert float(np.linalg.norm(value)) == pytest.approx(1.0, abs=1e-5)
    # Digits share a shape: two invoice numbers give the same features.
    assert np.array_equal(features.hashed_text("No 9999")[0], features.hashed_text("No 1234")[0])
    assert len(features.hashed_text("")[0]) == 0


def test_page_features_have_fixed_shapes_and_round_trip() -> None:
    page = _page(0, np.random.default_rng(0))
    assert page.image.shape == features.IMAGE_SIZE and page.image.dtype == np.uint8
    assert page.layout.shape == (features.LAYOUT_DIM,)
    assert np.all((page.layout >= 0) & (page.layout <= 1))
    back = features.PageFeatures.from_arrays(page.to_arrays())
    assert np.array_equal(back.hash_index, page.hash_index) and back.embedding is None


# --- Calibration and thresholds ---------------------------------------------------------------


def test_ece_matches_a_hand_computed_value() -> None:
    # Two items at 0.9 (one right), two at 0.6 (both right): |0.5-0.9|*2/4 + |1-0.6|*2/4 = 0.4
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    labels = np.array([0, 1, 0, 0])
    assert calibration.ece(probs, labels) == pytest.approx(0.4)
    bins = calibration.reliability(probs, labels)
    assert len(bins) == calibration.ECE_BINS and sum(b["count"] for b in bins) == 4


def test_the_ece_noise_floor_shrinks_with_more_items_and_sits_under_a_miscalibrated_model() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, 4)) * 2.0
    probs = calibration.softmax(logits)
    labels = np.array([rng.choice(4, p=p) for p in probs])
    small = calibration.ece_noise_floor(probs[:190])
    large = calibration.ece_noise_floor(probs)
    # The floor falls roughly as one over the square root of the number of items.
    assert 0.02 < small["mean"] < 0.08 and small["mean"] < small["p95"]
    assert large["mean"] < small["mean"] / 3
    # A calibrated model measures near its floor; an overconfident one far above it.
    assert calibration.ece(probs, labels) < large["p95"] * 1.5
    sharp = calibration.softmax(logits * 3.0)
    assert calibration.ece(sharp, labels) > 3 * calibration.ece_noise_floor(sharp)["p95"]
    assert calibration.ece_noise_floor(np.zeros((0, 4))) == {"mean": 0.0, "p95": 0.0}


def test_temperature_scaling_recovers_an_overconfident_scale() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(2000, 4)) * 1.5
    labels = np.array([rng.choice(4, p=p) for p in calibration.softmax(true_logits)])
    fitted = calibration.fit_temperature(true_logits * 3.0, labels)
    assert fitted == pytest.approx(3.0, rel=0.15)
    before = calibration.ece(calibration.softmax(true_logits * 3.0), labels)
    after = calibration.ece(calibration.softmax(true_logits * 3.0, fitted), labels)
    assert after < before / 2
    # Few labels: the fitted temperature is shrunk towards 1.
    assert abs(np.log(calibration.fit_temperature(true_logits[:5] * 3, labels[:5]))) < abs(
        np.log(fitted)
    )
    assert calibration.fit_temperature(np.zeros((0, 4)), np.zeros(0, dtype=int)) == 1.0


def test_a_threshold_needs_evidence_at_the_target_precision() -> None:
    confidence = np.linspace(0.99, 0.5, 100)
    all_right = np.ones(100, dtype=bool)
    # 100 correct held-out items support accepting from the lowest one.
    assert calibration.choose_threshold(confidence, all_right, 0.98) == pytest.approx(0.5)
    # Ten correct items are not evidence of 98% precision.
    assert calibration.choose_threshold(confidence[:10], all_right[:10], 0.98) > 1
    # Mistakes at 0.6 and 0.55 (about 80 correct items above them) move the threshold above.
    wrong = all_right.copy()
    wrong[np.argmin(np.abs(confidence - 0.6))] = False
    wrong[np.argmin(np.abs(confidence - 0.55))] = False
    threshold = calibration.choose_threshold(confidence, wrong, 0.98)
    assert 0.6 < threshold <= 1


def test_types_without_evidence_are_accepted_only_at_the_target() -> None:
    rng = np.random.default_rng(1)
    n = 80
    labels = np.zeros(n, dtype=int)
    labels[-5:] = 1  # a rare type
    probs = np.zeros((n, 2))
    probs[np.arange(n), labels] = rng.uniform(0.6, 1.0, n)
    probs[np.arange(n), 1 - labels] = 1 - probs[np.arange(n), labels]
    routing = calibration.thresholds(probs, labels, ["common", "rare"], 0.98, min_per_class=20)
    assert routing["per_class"]["common"] < 0.98  # 75 right: its own, lower threshold
    assert routing["per_class"]["rare"] == pytest.approx(0.98)
    assert calibration.threshold_for(routing, "unknown") > 1
    accepted = calibration.auto_accept(
        np.array([[0.1, 0.97], [0.7, 0.3]]), ["common", "rare"], routing
    )
    assert accepted.tolist() == [False, True]


def test_metrics_count_only_types_present_in_the_truth() -> None:
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0]])
    metrics = calibration.classification_metrics(probs, np.array([0, 1, 1]), ["a", "b", "c"])
    assert metrics["accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert set(metrics["per_class_f1"]) == {"a", "b"}
    assert metrics["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]


def test_the_holdout_is_every_fifth_label_of_each_type_and_stable() -> None:
    names = ["a", "b"] * 10
    mask = holdout_mask(names)
    assert mask.sum() == 4
    assert [i for i in range(20) if mask[i]] == [8, 9, 18, 19]
    assert np.array_equal(holdout_mask([*names, "a", "b"])[:20], mask)


# --- Training and artifacts -------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained() -> tuple:
    pages, labels = _data(60)
    result = train(
        pages[:24],
        labels[:24],
        ["invoice", "receipt", "contract"],
        pages[24:36],
        labels[24:36],
        unlabeled=pages[36:],
        model_config=SMALL,
        config=FAST,
    )
    return result, pages, labels


def test_training_learns_separable_types_with_pseudo_labels(trained: tuple) -> None:
    result, pages, labels = trained
    probs, embeddings = predict(result.model, result.temperature, pages[36:])
    assert (probs.argmax(axis=1) == np.array(labels[36:])).mean() == 1.0
    assert embeddings.shape == (24, result.model.width)
    assert result.counts["pseudo_labels"] > 0
    assert len(result.pseudo) == result.counts["pseudo_labels"]
    assert result.metrics["refit"] is True
    assert [r["round"] for r in result.rounds] == [0, 1, "refit"]
    assert result.validation_probs is not None and len(result.validation_probs) == 12


def test_an_artifact_round_trips_and_a_tampered_one_is_refused(
    trained: tuple, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result, pages, _ = trained
    path = tmp_path / "model.pt"
    sha = artifact.save(result, path, {"note": "test"})
    loaded = artifact.load(path, sha)
    assert loaded is not None and loaded.classes == result.classes
    expected, _ = predict(result.model, result.temperature, pages[:5])
    got, _ = loaded.predict(pages[:5])
    assert np.allclose(expected, got, atol=1e-3)
    assert loaded.training_args == {"note": "test"}

    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert artifact.load(path, sha) is None
    assert "does not match" in caplog.text
    assert artifact.load(tmp_path / "missing.pt") is None


def test_an_artifact_with_code_or_another_format_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple:
            return (print, ("executed",))

    buffer = io.BytesIO()
    torch.save({"format_version": artifact.FORMAT_VERSION, "x": Evil()}, buffer)
    (tmp_path / "evil.pt").write_bytes(buffer.getvalue())
    assert artifact.load(tmp_path / "evil.pt") is None  # weights_only refuses the object

    buffer = io.BytesIO()
    torch.save({"format_version": artifact.FORMAT_VERSION + 1}, buffer)
    (tmp_path / "future.pt").write_bytes(buffer.getvalue())
    assert artifact.load(tmp_path / "future.pt") is None


def test_an_artifact_trained_on_other_features_is_refused(
    trained: tuple, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result, _, _ = trained
    path = tmp_path / "model.pt"
    artifact.save(result, path, {})
    payload = torch.load(path, weights_only=True)
    payload["feature_version"] = features.FEATURE_VERSION - 1
    torch.save(payload, path)
    assert artifact.load(path) is None
    assert "feature version" in caplog.text


# --- Selection --------------------------------------------------------------------------------


def test_k_center_takes_the_unexplored_region_first() -> None:
    labeled = np.array([[1.0, 0.0, 0.0]])
    candidates = np.array([[0.99, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.9, 0.1]])
    order = selection.k_center_order(candidates, labeled, 3)
    assert order[0] in (1, 2) and set(order[:2]) == {1, 2}


def test_uncertainty_scores_rank_close_calls_first() -> None:
    probs = np.array([[0.98, 0.01, 0.01], [0.5, 0.45, 0.05], [0.4, 0.3, 0.3]])
    assert selection.margin(probs).argmax() == 1
    assert selection.entropy(probs).argmax() == 2
    assert selection.least_confidence(probs).argmax() == 2
    rng = np.random.default_rng(0)
    chosen = selection.choose("margin", 2, probs, np.eye(3), np.zeros((0, 3)), rng)
    assert chosen == [1, 2]
    with pytest.raises(ValueError):
        selection.choose("nope", 1, probs, np.eye(3), np.zeros((0, 3)), rng)


def test_diverse_margin_asks_about_a_different_document_before_a_second_near_copy() -> None:
    # Two near-identical torn documents, a third almost as torn but different, one sure.
    probs = np.array([[0.5, 0.5], [0.51, 0.49], [0.55, 0.45], [0.99, 0.01]])
    vectors = np.array([[1.0, 0.0, 0.0], [0.99, 0.05, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(0)
    none = np.zeros((0, 3))
    assert selection.choose("margin", 3, probs, vectors, none, rng) == [0, 1, 2]
    assert selection.choose("diverse_margin", 3, probs, vectors, none, rng) == [0, 2, 1]
    # A labeled document like the first two pushes both behind the different one.
    labeled = np.array([[1.0, 0.02, 0.0]])
    assert selection.choose("diverse_margin", 2, probs, vectors, labeled, rng) == [2, 0]
    # The score the queue computes for one candidate is the first greedy pick's.
    score = selection.margin(probs)
    similar = np.maximum(0, 1 - selection.distance_to_nearest(vectors, labeled))
    first = int(np.argmax(score - selection.DIVERSITY_WEIGHT * similar))
    assert selection.penalised_order(score, vectors, labeled, 1) == [first]


def test_an_error_free_held_out_set_never_sharpens_the_probabilities() -> None:
    logits = np.array([[2.0, 0.0], [0.0, 1.5], [1.0, 0.0]])
    assert calibration.fit_temperature(logits, np.array([0, 1, 0])) == 1.0


def test_pseudo_labels_never_change_how_much_a_type_weighs() -> None:
    # Two types with 4 human labels each; type 0 also got 40 pseudo-labels at weight 0.5.
    targets = np.array([0] * 4 + [1] * 4 + [0] * 40)
    weights = np.concatenate([np.ones(8), np.full(40, 0.5)])
    scaled = keep_class_totals(targets, weights, np.array([4, 4]))
    assert np.isclose(scaled[targets == 0].sum(), 4) and np.isclose(scaled[targets == 1].sum(), 4)
    # Within type 0 a pseudo-label still weighs half a human label; type 1 is untouched.
    assert np.isclose(scaled[8] / scaled[0], 0.5) and np.allclose(scaled[4:8], 1.0)
