"""Document-type classification: the product's semi-supervised model against supervised-only
and the Paperless-ngx baseline, on the same labels and test set, in one run.

    .venv/bin/python -m bench.classify --train DIR [--test DIR] [--labels-per-class N]
        [--seed S] [--no-ssl] [--no-image] [--no-hash] [--no-embedding] [--no-layout]

Each document's first page is rendered and OCR'd as the pipeline does (``bench.dataset``, cached
by content hash); features are computed by ``classification.ml.features`` (cached too). From
``--train``, N human labels per class are drawn with ``--seed`` (all when N is omitted); the rest
of ``--train`` is the unlabeled pool. The product's hold-out rule (every 5th label of a class)
splits the drawn labels into training and validation, as the product would; the model is trained,
calibrated and given thresholds exactly as ``manage.py train`` does, then evaluated on ``--test``.
When ``--test`` is omitted or is the same folder, ``--train`` is split by type with ``--seed``
(``--test-share`` of each type to test).

One JSON line goes to stdout: the product model's keys, ``supervised_only`` (the same model on
the human labels alone: no pseudo-labels, no consistency loss) unless ``--no-ssl``, and
``baseline`` (CountVectorizer(ngram_range=(1, 2), min_df=0.01) into MLPClassifier(tol=0.01),
as Paperless-ngx classifies, on the same N labels per class).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import dataset  # noqa: E402
from classification.ml import calibration, encoder, features  # noqa: E402
from classification.ml.cache import FeatureCache, page_key  # noqa: E402
from classification.ml.model import ModelConfig  # noqa: E402
from classification.ml.train import TrainConfig, holdout_mask, predict, train  # noqa: E402

log = logging.getLogger("bench.classify")


def feature_cache() -> FeatureCache:
    return FeatureCache(dataset.cache_root() / "features")


def load_features(
    items: list[dataset.Item], with_embedding: bool
) -> tuple[list[features.PageFeatures], list[str]]:
    """Features and OCR text of each item's first page (computed once, then cached)."""
    cache = feature_cache()
    out: list[features.PageFeatures | None] = []
    texts: list[str] = []
    missing: list[int] = []
    for i, item in enumerate(items):
        page = dataset.first_page(item)
        texts.append(page.text)
        cached = cache.get(page_key(item.sha256, 1, with_embedding))
        out.append(cached)
        if cached is None:
            missing.append(i)
    if missing:
        log.info("computing features of %d pages", len(missing))
        vectors = (
            encoder.encode([texts[i] for i in missing]) if with_embedding else [None] * len(missing)
        )
        for vector, i in zip(vectors, missing, strict=True):
            page = dataset.first_page(items[i])
            computed = features.compute(
                page.image, page.words, page.width, page.height, page.text, embedding=vector
            )
            cache.put(page_key(items[i].sha256, 1, with_embedding), computed)
            out[i] = computed
    return [f for f in out if f is not None], texts


def draw_labels(
    items: list[dataset.Item], per_class: int | None, seed: int
) -> tuple[list[int], list[int]]:
    """(labeled indices in labeling order, unlabeled indices)."""
    rng = random.Random(seed)
    by_type: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_type[item.label].append(i)
    labeled: list[int] = []
    for label in sorted(by_type):
        group = by_type[label][:]
        rng.shuffle(group)
        labeled.extend(group if per_class is None else group[:per_class])
    # People label in no particular type order: interleave, as the product's queue would.
    rng.shuffle(labeled)
    chosen = set(labeled)
    return labeled, [i for i in range(len(items)) if i not in chosen]


def evaluate(
    probs: np.ndarray, truth: np.ndarray, classes: list[str], thresholds: dict[str, Any]
) -> dict[str, Any]:
    metrics = calibration.classification_metrics(probs, truth, classes)
    return {
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "ece": round(calibration.ece(probs, truth), 4),
        "ece_noise_floor": calibration.ece_noise_floor(probs),
        **calibration.auto_accept_figures(probs, truth, classes, thresholds),
    }


def run_model(
    train_feats: list[features.PageFeatures],
    train_items: list[dataset.Item],
    labeled: list[int],
    unlabeled: list[int],
    test_feats: list[features.PageFeatures],
    test_truth: np.ndarray,
    classes: list[str],
    model_config: ModelConfig,
    train_config: TrainConfig,
    ssl: bool,
    pool_test: bool = False,
) -> dict[str, Any]:
    """Train as the product does on ``labeled`` (with pseudo-labels of ``unlabeled``, and of
    the test pages too with ``pool_test``, when ``ssl``) and evaluate on the test pages."""
    index = {name: i for i, name in enumerate(classes)}
    names = [train_items[i].label for i in labeled]
    held = holdout_mask(names)
    fit_rows = [labeled[i] for i in range(len(labeled)) if not held[i]]
    val_rows = [labeled[i] for i in range(len(labeled)) if held[i]]
    config = (
        train_config
        if ssl
        else TrainConfig(**{**train_config.to_dict(), "fixmatch": False, "self_training_rounds": 0})
    )
    started = time.perf_counter()
    result = train(
        [train_feats[i] for i in fit_rows],
        [index[train_items[i].label] for i in fit_rows],
        classes,
        [train_feats[i] for i in val_rows],
        [index[train_items[i].label] for i in val_rows],
        unlabeled=(
            [train_feats[i] for i in unlabeled] + (list(test_feats) if pool_test else [])
            if ssl
            else []
        ),
        model_config=model_config,
        config=config,
    )
    seconds = time.perf_counter() - started
    probs, _ = predict(result.model, result.temperature, test_feats)
    raw, _ = predict(result.model, 1.0, test_feats)
    out = evaluate(probs, test_truth, classes, result.thresholds)
    out.update(
        ece_before_calibration=round(calibration.ece(raw, test_truth), 4),
        train_seconds=round(seconds, 2),
        temperature=round(result.temperature, 4),
        threshold=result.thresholds["global"],
        per_class_thresholds=len(result.thresholds["per_class"]),
        pseudo_labels=result.counts["pseudo_labels"],
        n_validation=len(val_rows),
        validation=_short(result.metrics),
    )
    out["_model"] = result
    out["_probs"] = probs
    out["_raw"] = raw
    return out


def _short(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "accuracy",
        "macro_f1",
        "ece_before",
        "ece",
        "auto_accept_rate",
        "auto_accept_precision",
    )
    return {k: metrics.get(k) for k in keys}


def baseline(
    train_texts: list[str],
    train_labels: list[int],
    test_texts: list[str],
    test_truth: np.ndarray,
    classes: list[str],
    seed: int,
) -> dict[str, Any]:
    """Paperless-ngx's document-type classifier on the same labels."""
    from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped]
    from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

    started = time.perf_counter()
    vectorizer = CountVectorizer(ngram_range=(1, 2), min_df=0.01)
    x_train = vectorizer.fit_transform(train_texts)
    classifier = MLPClassifier(tol=0.01, random_state=seed)
    classifier.fit(x_train, train_labels)
    seconds = time.perf_counter() - started
    probs_known = classifier.predict_proba(vectorizer.transform(test_texts))
    probs = np.zeros((len(test_texts), len(classes)))
    probs[:, classifier.classes_] = probs_known
    metrics = calibration.classification_metrics(probs, test_truth, classes)
    return {
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "ece": round(calibration.ece(probs, test_truth), 4),
        "train_seconds": round(seconds, 2),
    }


def inference_ms_per_page(
    result: Any, items: list[dataset.Item], with_embedding: bool, warm_up: int = 5
) -> float:
    """One page at a time, from cached OCR to probabilities: features (image resize, hashing,
    layout, sentence embedding) plus the forward pass, as the pipeline does per document.

    The median over every test page; the first ``warm_up`` pages run untimed first (a worker
    that has classified anything has loaded the encoder and warmed its kernels)."""
    pages = [dataset.first_page(item) for item in items]
    timings = []
    for i, page in enumerate(pages[:warm_up] + pages):
        started = time.perf_counter()
        vector = encoder.encode([page.text])[0] if with_embedding else None
        feats = features.compute(
            page.image, page.words, page.width, page.height, page.text, embedding=vector
        )
        predict(result.model, result.temperature, [feats])
        if i >= warm_up:
            timings.append(time.perf_counter() - started)
    return round(1000 * float(np.median(timings)), 2)


def time_training(
    train_feats: list[features.PageFeatures],
    train_items: list[dataset.Item],
    classes: list[str],
    n: int,
    model_config: ModelConfig,
    train_config: TrainConfig,
) -> dict[str, Any]:
    """Wall time of one training as the product runs it on ``n`` documents with cached features.

    Training time depends on how many documents there are, not on what they say, so the train
    pages are reused cyclically to reach ``n``: every third one human-labeled (its type from the
    folder), the rest the unlabeled pool for self-training.
    """
    index = {name: i for i, name in enumerate(classes)}
    rows = [i % len(train_feats) for i in range(n)]
    labeled = rows[::3]
    unlabeled = [r for i, r in enumerate(rows) if i % 3]
    names = [train_items[r].label for r in labeled]
    held = holdout_mask(names)
    fit = [r for r, h in zip(labeled, held, strict=True) if not h]
    val = [r for r, h in zip(labeled, held, strict=True) if h]
    started = time.perf_counter()
    result = train(
        [train_feats[r] for r in fit],
        [index[train_items[r].label] for r in fit],
        classes,
        [train_feats[r] for r in val],
        [index[train_items[r].label] for r in val],
        unlabeled=[train_feats[r] for r in unlabeled],
        model_config=model_config,
        config=train_config,
    )
    return {
        "documents": n,
        "labeled": len(labeled),
        "unlabeled": len(unlabeled),
        "seconds": round(time.perf_counter() - started, 2),
        "rounds": [r["seconds"] for r in result.rounds],
    }


def add_branch_arguments(parser: argparse.ArgumentParser) -> None:
    """--no-image, --no-hash, --no-embedding, --no-layout: switch a model branch off."""
    for branch in ("image", "hash", "embedding", "layout"):
        parser.add_argument(
            f"--no-{branch}", action="store_true", help=f"without the {branch} branch"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--labels-per-class", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seeds",
        help="comma-separated seeds: one run each, then means and pooled calibration figures",
    )
    parser.add_argument("--test-share", type=float, default=0.3)
    parser.add_argument("--no-ssl", action="store_true", help="supervised only, no comparison")
    parser.add_argument(
        "--pool-test",
        action="store_true",
        help="the test documents join the unlabeled pool too (their types unseen), as uploads "
        "awaiting classification do in the product, which pseudo-labels every unlabeled "
        "document and then scores the same documents",
    )
    add_branch_arguments(parser)
    parser.add_argument(
        "--fixmatch",
        action="store_true",
        help="add the FixMatch consistency loss (off in the product)",
    )
    parser.add_argument("--rounds", type=int, help="self-training rounds (default: product's)")
    parser.add_argument(
        "--no-refit",
        action="store_true",
        help="keep the measured model instead of refitting on every human label",
    )
    parser.add_argument(
        "--timing-docs",
        type=int,
        help="also time one product training on this many documents (the train pages reused "
        "cyclically, one in three labeled, the rest unlabeled); key train_seconds_at_n",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0 = all cores)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="for OCR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    if not args.seeds:
        report = run(args, args.seed)
        report.pop("_pooled")
        print(json.dumps(report))
        return 0
    seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    reports = [run(args, seed) for seed in seeds]
    print(json.dumps(summarise(seeds, reports)))
    return 0


def summarise(seeds: list[int], reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Several seeds in one line: each run, the means, and the calibration and auto-accept
    figures over all seeds' test predictions pooled (a test split of real-dev holds ~190
    documents, too few for a 15-bin ECE to be much better than +-0.01)."""
    pooled = [r.pop("_pooled") for r in reports]
    probs = np.concatenate([p["probs"] for p in pooled])
    raw = np.concatenate([p["raw"] for p in pooled])
    truth = np.concatenate([p["truth"] for p in pooled])
    # Every seed's thresholds were applied to its own test set.
    accepted = np.concatenate([p["accepted"] for p in pooled])
    correct = probs.argmax(axis=1) == truth

    def mean(key: str, part: str | None = None) -> float | None:
        found = [(r[part] if part else r).get(key) for r in reports if not part or part in r]
        values = [float(v) for v in found if v is not None]
        return round(float(np.mean(values)), 4) if values else None

    return {
        "benchmark": "classify",
        "seeds": seeds,
        "runs": reports,
        "mean": {
            "macro_f1": mean("macro_f1"),
            "supervised_only_macro_f1": mean("macro_f1", "supervised_only"),
            "baseline_macro_f1": mean("macro_f1", "baseline"),
            "ece": mean("ece"),
            "auto_accept_rate": mean("auto_accept_rate"),
            "auto_accept_precision": mean("auto_accept_precision"),
            "infer_ms_per_page": mean("infer_ms_per_page"),
        },
        "pooled": {
            "n_test": len(truth),
            "ece": round(calibration.ece(probs, truth), 4),
            "ece_noise_floor": calibration.ece_noise_floor(probs),
            "ece_before_calibration": round(calibration.ece(raw, truth), 4),
            **calibration.acceptance_figures(accepted, correct),
        },
    }


def run(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """One seed's report (with ``_pooled``: the product model's test predictions)."""
    np.random.seed(seed)
    args.seed = seed
    if args.test is None or args.test.resolve() == args.train.resolve():
        train_items, test_items = dataset.split(
            dataset.dedupe(dataset.list_items(args.train)), args.test_share, args.seed
        )
    else:
        train_items = dataset.dedupe(dataset.list_items(args.train))
        test_items = dataset.dedupe(dataset.list_items(args.test))
        known = {i.sha256 for i in train_items}
        test_items = [i for i in test_items if i.sha256 not in known]
    dataset.warm_cache(train_items + test_items, args.workers)
    classes = sorted({i.label for i in train_items})
    unknown = sorted({i.label for i in test_items} - set(classes))
    if unknown:
        raise SystemExit(f"--test has types --train lacks: {', '.join(unknown)}")
    index = {name: i for i, name in enumerate(classes)}

    model_config = ModelConfig(
        use_image=not args.no_image,
        use_hash=not args.no_hash,
        use_embedding=not args.no_embedding and encoder.available(),
        use_layout=not args.no_layout,
    )
    train_config = TrainConfig(
        seed=args.seed,
        fixmatch=args.fixmatch,
        threads=args.threads,
        refit=not args.no_refit,
    )
    if args.rounds is not None:
        train_config.self_training_rounds = args.rounds
    with_embedding = model_config.use_embedding
    train_feats, train_texts = load_features(train_items, with_embedding)
    test_feats, test_texts = load_features(test_items, with_embedding)
    test_truth = np.array([index[i.label] for i in test_items])
    labeled, unlabeled = draw_labels(train_items, args.labels_per_class, args.seed)

    product = run_model(
        train_feats,
        train_items,
        labeled,
        unlabeled,
        test_feats,
        test_truth,
        classes,
        model_config,
        train_config,
        ssl=not args.no_ssl,
        pool_test=args.pool_test,
    )
    result = product.pop("_model")
    probs, raw = product.pop("_probs"), product.pop("_raw")
    report: dict[str, Any] = {
        "benchmark": "classify",
        **product,
        "infer_ms_per_page": inference_ms_per_page(result, test_items, with_embedding),
        "n_labeled": len(labeled),
        "n_unlabeled": len(unlabeled),
        "n_test": len(test_items),
        "pool_test": args.pool_test,
        "n_classes": len(classes),
        "labels_per_class": args.labels_per_class,
        "seed": args.seed,
        "ssl": not args.no_ssl,
        "branches": {
            "image": model_config.use_image,
            "hash": model_config.use_hash,
            "embedding": model_config.use_embedding,
            "layout": model_config.use_layout,
        },
        "fixmatch": train_config.fixmatch and not args.no_ssl,
        "refit": train_config.refit,
    }
    if not args.no_ssl and (unlabeled or args.pool_test):
        supervised = run_model(
            train_feats,
            train_items,
            labeled,
            [],
            test_feats,
            test_truth,
            classes,
            model_config,
            train_config,
            ssl=False,
        )
        for key in ("_model", "_probs", "_raw"):
            supervised.pop(key)
        report["supervised_only"] = supervised
    report["baseline"] = baseline(
        [train_texts[i] for i in labeled],
        [index[train_items[i].label] for i in labeled],
        test_texts,
        test_truth,
        classes,
        args.seed,
    )
    if args.timing_docs:
        report["train_seconds_at_n"] = time_training(
            train_feats, train_items, classes, args.timing_docs, model_config, train_config
        )
    report["_pooled"] = {
        "probs": probs,
        "raw": raw,
        "truth": test_truth,
        "accepted": calibration.auto_accept(probs, classes, result.thresholds),
    }
    return report


if __name__ == "__main__":
    raise SystemExit(main())
