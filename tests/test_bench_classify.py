"""bench/classify.py's training step on a tiny synthetic feature set: what goes into the
unlabeled pool (the train side's rest, and with ``--pool-test`` the test pages too) and the
keys it reports. No OCR, no real data."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from bench import classify
from tests.test_bench_active_learning import CLASSES, MODEL, TRAIN, _data


@pytest.mark.parametrize(("ssl", "pool_test"), [(True, False), (True, True), (False, True)])
def test_the_unlabeled_pool_holds_the_test_pages_only_with_pool_test(
    monkeypatch: pytest.MonkeyPatch, ssl: bool, pool_test: bool
) -> None:
    data = _data(n_pool=60, n_test=9)
    items: list[Any] = [SimpleNamespace(label=label) for label in data.pool_labels]
    labeled = [i for c in CLASSES for i in [n for n, x in enumerate(items) if x.label == c][:5]]
    unlabeled = [i for i in range(len(items)) if i not in labeled]
    pools: list[list[Any]] = []
    real_train = classify.train

    def spy(*args: Any, **kwargs: Any) -> Any:
        pools.append(kwargs["unlabeled"])
        return real_train(*args, **kwargs)

    monkeypatch.setattr(classify, "train", spy)
    truth = np.array([CLASSES.index(label) for label in data.test_labels])
    out = classify.run_model(
        data.pool,
        items,
        labeled,
        unlabeled,
        data.test,
        truth,
        CLASSES,
        MODEL,
        TRAIN,
        ssl=ssl,
        pool_test=pool_test,
    )
    (pool,) = pools
    expected = (len(unlabeled) + (len(data.test) if pool_test else 0)) if ssl else 0
    assert len(pool) == expected
    if ssl and pool_test:
        assert pool[-len(data.test) :] == data.test  # the test pages themselves, no labels
    assert all(sum(items[i].label == c for i in labeled) == 5 for c in CLASSES)
    assert 0 <= out["macro_f1"] <= 1 and out["n_validation"] == 3  # every 5th label held out
