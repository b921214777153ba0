"""bench/active_learning.py on a tiny synthetic feature set: curve shape, no double labels,
strategies that differ, and the JSON line's keys. No OCR, no real data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import active_learning as al
from classification.ml import encoder, features
from classification.ml.model import ModelConfig
from classification.ml.train import TrainConfig

CLASSES = ["contract", "invoice", "receipt"]
# Tiny and quick: no image branch, a handful of steps.
MODEL = ModelConfig(use_image=False, hash_hidden=8, embedding_hidden=8, layout_hidden=4)
TRAIN = TrainConfig(
    min_steps=5, max_steps=5, batch_size=16, fixmatch=False, self_training_rounds=0, seed=0
)


def _page(rng: np.random.Generator, label: int, centres: np.ndarray) -> features.PageFeatures:
    # A few n-grams typical of the type plus a few random ones.
    typical = rng.choice(np.arange(label * 50, label * 50 + 50), size=10, replace=False)
    noise = rng.integers(1000, features.HASH_DIM, size=5)
    index = np.unique(np.concatenate([typical, noise])).astype(np.int64)
    value = rng.normal(1.0, 0.3, size=len(index)).astype(np.float32)
    value /= np.linalg.norm(value)
    embedding = centres[label] + rng.normal(0, 0.6, size=encoder.DIM)
    embedding /= np.linalg.norm(embedding)
    layout = np.clip(rng.normal(0.2 + 0.3 * label, 0.1, size=features.LAYOUT_DIM), 0, 1)
    return features.PageFeatures(
        image=np.zeros(features.IMAGE_SIZE, dtype=np.uint8),
        hash_index=index,
        hash_value=value,
        layout=layout.astype(np.float32),
        embedding=embedding.astype(np.float32),
    )


def _data(n_pool: int = 36, n_test: int = 12, seed: int = 0) -> al.Data:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(CLASSES), encoder.DIM))
    # Imbalanced, like real-dev: mostly receipts.
    weights = np.array([0.25, 0.15, 0.6])
    pool_y = rng.choice(len(CLASSES), size=n_pool, p=weights)
    pool_y[: len(CLASSES)] = np.arange(len(CLASSES))  # every type in the pool
    test_y = np.arange(n_test) % len(CLASSES)
    return al.Data(
        pool=[_page(rng, int(y), centres) for y in pool_y],
        pool_labels=[CLASSES[int(y)] for y in pool_y],
        test=[_page(rng, int(y), centres) for y in test_y],
        test_labels=[CLASSES[int(y)] for y in test_y],
        classes=CLASSES,
    )


@pytest.fixture(scope="module")
def data() -> al.Data:
    return _data()


@pytest.fixture(scope="module")
def runs(data: al.Data) -> dict[str, dict]:
    return {
        name: al.simulate(
            data, name, budget=14, step=5, seed=3, model_config=MODEL, train_config=TRAIN
        )
        for name in al.STRATEGIES
    }


def test_curve_grows_by_step_to_the_budget(runs: dict[str, dict]) -> None:
    for name, run in runs.items():
        curve = run["curve"]
        assert [p["labels"] for p in curve] == [5, 10, 14], name  # the last round fills the budget
        for point in curve:
            assert 0.0 <= point["accuracy"] <= 1.0
            assert 0.0 <= point["macro_f1"] <= 1.0
            assert point["n_train"] + point["n_validation"] == point["labels"]
            assert 1 <= point["classes_labeled"] <= len(CLASSES)


def test_nothing_labeled_twice(runs: dict[str, dict], data: al.Data) -> None:
    for name, run in runs.items():
        order = run["order"]
        assert len(order) == 14, name
        assert len(set(order)) == len(order), name
        assert all(0 <= i < len(data.pool) for i in order), name
        assert sum(run["labeled_per_type"].values()) == len(order), name


def test_strategies_differ(runs: dict[str, dict]) -> None:
    orders = {name: tuple(run["order"]) for name, run in runs.items()}
    assert orders["random"] != orders["margin"]
    # Cold start: random draws, the others share k-center diversity on text vectors.
    assert orders["random"][:5] != orders["least_confidence"][:5]
    assert orders["least_confidence"][:5] == orders["margin"][:5] == orders["entropy"][:5]
    assert len(set(orders.values())) >= 3


def test_cold_start_is_diverse(runs: dict[str, dict], data: al.Data) -> None:
    # k-center on well-separated types covers them all in the first round.
    first = runs["margin"]["order"][:5]
    assert {data.pool_labels[i] for i in first} == set(CLASSES)


def test_random_is_reproducible(data: al.Data, runs: dict[str, dict]) -> None:
    again = al.simulate(data, "random", 14, 5, 3, MODEL, TRAIN)
    assert again["order"] == runs["random"]["order"]


def test_budget_beyond_the_pool_stops_at_the_pool() -> None:
    small = _data(n_pool=9, n_test=6, seed=1)
    run = al.simulate(small, "entropy", 50, 4, 0, MODEL, TRAIN)
    assert [p["labels"] for p in run["curve"]] == [4, 8, 9]
    assert sorted(run["order"]) == list(range(9))


def test_unknown_strategy(data: al.Data) -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        al.simulate(data, "nope", 10, 5, 0, MODEL, TRAIN)


def test_labels_to_reach_and_compare() -> None:
    def curve(*f1: float) -> list[dict]:
        return [{"labels": 10 * (i + 1), "accuracy": v, "macro_f1": v} for i, v in enumerate(f1)]

    assert al.labels_to_reach(curve(0.2, 0.5, 0.4, 0.6), 0.45) == 20
    assert al.labels_to_reach(curve(0.2, 0.3), 0.9) is None
    runs = {
        "random": {"curve": curve(0.1, 0.3, 0.4, 0.5), "seconds": 1.0},
        "margin": {"curve": curve(0.2, 0.5, 0.6, 0.6), "seconds": 1.0},
        "entropy": {"curve": curve(0.1, 0.2, 0.3, 0.5), "seconds": 1.0},
    }
    out = al.compare(runs, budget=40, reach=0.3)
    assert out["random_final_macro_f1"] == 0.5
    assert out["strategies"]["random"]["labels_to_reach_random_final"] == 40
    assert out["strategies"]["margin"]["labels_to_reach_random_final"] == 20
    assert out["strategies"]["margin"]["ratio_to_random_budget"] == 0.5
    assert out["strategies"]["entropy"]["labels_to_reach"] == 30
    assert out["best_strategy"] == "margin"
    assert out["best_ratio_to_random_budget"] == 0.5
    assert out["target_met"] is True
    # Two strategies there as soon: the one with more area under its curve is the best.
    runs["diverse_margin"] = {"curve": curve(0.2, 0.5, 0.7, 0.7), "seconds": 1.0}
    tied = al.compare(runs, budget=40, reach=None)
    assert tied["strategies"]["diverse_margin"]["labels_to_reach_random_final"] == 20
    assert tied["best_strategy"] == "diverse_margin"
    assert tied["best_labels_to_reach_random_final"] == 20


def test_fast_config_is_smaller() -> None:
    base = TrainConfig()
    fast = al.fast_config(base)
    assert not fast.fixmatch
    assert fast.self_training_rounds == min(1, base.self_training_rounds)
    assert fast.max_steps <= base.max_steps and fast.min_steps <= base.min_steps
    assert fast.lr == base.lr


@pytest.fixture
def _quick_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """--fast with even fewer steps, so main() runs the product's config shape in seconds."""
    monkeypatch.setattr(al, "FAST_MAX_STEPS", 3)


def _main(capsys: pytest.CaptureFixture[str], data: al.Data, *args: str) -> dict:
    argv = ["--pool", "unused", "--budget", "8", "--step", "4", "--seed", "1", "--fast"]
    assert al.main([*argv, "--no-image", *args], data=data) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


@pytest.mark.usefixtures("_quick_fast")
def test_main_one_strategy_json(capsys: pytest.CaptureFixture[str], data: al.Data) -> None:
    report = _main(capsys, data, "--strategy", "diverse_margin", "--reach", "0.0")
    for key in (
        "benchmark", "strategy", "seed", "budget", "step", "reach", "n_pool", "n_test",
        "n_classes", "config", "train_config", "branches", "curve", "final_accuracy",
        "final_macro_f1", "mean_macro_f1", "labels_used", "labeled_per_type", "labels_to_reach",
        "total_seconds",
    ):  # fmt: skip
        assert key in report, key
    assert report["benchmark"] == "active_learning"
    assert report["strategy"] == "diverse_margin"
    assert (report["budget"], report["step"], report["seed"]) == (8, 4, 1)
    assert report["config"] == "fast"
    assert report["train_config"]["fixmatch"] is False
    assert report["train_config"]["max_steps"] == 3
    assert report["branches"] == {"image": False, "hash": True, "embedding": True, "layout": True}
    assert [p["labels"] for p in report["curve"]] == [4, 8]
    assert set(report["curve"][0]) >= {"labels", "accuracy", "macro_f1"}
    assert report["labels_to_reach"] == 4  # any curve reaches macro-F1 0


@pytest.mark.usefixtures("_quick_fast")
def test_main_all_json(capsys: pytest.CaptureFixture[str], data: al.Data) -> None:
    report = _main(capsys, data, "--strategy", "all", "--no-hash")  # no big n-gram table: quick
    assert report["strategy"] == "all"
    assert report["branches"]["hash"] is False
    assert set(report["strategies"]) == set(al.STRATEGIES)
    for name, summary in report["strategies"].items():
        assert [p["labels"] for p in summary["curve"]] == [4, 8], name
        assert "labels_to_reach_random_final" in summary
        assert "ratio_to_random_budget" in summary
    assert report["strategies"]["random"]["labels_to_reach_random_final"] is not None
    assert report["random_final_macro_f1"] == report["strategies"]["random"]["final_macro_f1"]
    for key in ("best_strategy", "best_labels_to_reach_random_final", "target_met"):
        assert key in report
