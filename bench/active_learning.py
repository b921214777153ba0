"""Active learning: how many labels each review-order strategy needs, as a learning curve.

    .venv/bin/python -m bench.active_learning --pool DIR [--test DIR]
        --strategy {random,least_confidence,margin,entropy,diverse_margin,diversity,all}
        --budget B --step K [--seed S] [--reach F] [--fast] [--threads T]
        [--no-image] [--no-hash] [--no-embedding] [--no-layout] [--fixmatch] [--rounds N]

Simulates the labeling loop on a labeled folder whose labels are hidden until "asked for":

1. Cold start: K documents of the pool, chosen by the strategy without a model
   (``selection.choose`` with ``probs=None``: random for ``random``, k-center diversity on
   ``selection.text_vectors`` for the others).
2. Train as the product does (``train.train`` with the product's default ``ModelConfig`` and
   ``TrainConfig``, or ``--fast``'s smaller one): the product's hold-out rule
   (``train.holdout_mask``) over the labels in the order they were given, the rest of the pool as
   the unlabeled set for pseudo-labels. Measure accuracy and macro-F1 on ``--test``.
3. Ask for K more: ``selection.choose`` with the model's calibrated probabilities on the rest of
   the pool (``diverse_margin`` is the review queue's rule: the margin score lowered by
   ``selection.DIVERSITY_WEIGHT`` times the highest cosine similarity, on the hashed-text
   vectors the queue uses, to the labeled documents and to those already chosen this round;
   ``diversity`` ignores the model and keeps choosing by k-center on the text vectors, the
   baseline that shows what uncertainty adds); retrain; measure. Until ``--budget`` labels.

When ``--test`` is omitted or is ``--pool``, the pool is split by type with ``dataset.split``
(30 % of each type to test) and ``--seed``, as ``bench.classify`` does. The pool is put in an
order drawn with ``--seed`` (the folder order is grouped by type, which tie-breaks would leak).

One JSON line goes to stdout: the curve (one point per round), and the fewest labels at which
macro-F1 reaches ``--reach``. ``--strategy all`` runs every strategy on the same split and seed
and adds, per strategy, the labels it needed to reach random sampling's final macro-F1 and their
ratio to the budget (the issue's target: the best strategy at most 0.5).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import dataset  # noqa: E402
from bench.classify import add_branch_arguments  # noqa: E402
from classification.ml import calibration, selection  # noqa: E402
from classification.ml.features import PageFeatures  # noqa: E402
from classification.ml.model import ModelConfig  # noqa: E402
from classification.ml.train import TrainConfig, holdout_mask, predict, train  # noqa: E402

log = logging.getLogger("bench.active_learning")

STRATEGIES = selection.STRATEGIES
# --fast: what changes from the product's TrainConfig (the rest stays the product's default).
# Steps per fit at most this (the product's cap is 600 for large label sets). Fewer starve the
# rare types: on real-dev (180 random labels, seed 0, supervised only) 80 steps gave test
# macro-F1 0.17 where the product's 150 gave 0.40.
FAST_MAX_STEPS = 150


@dataclass
class Data:
    """A labeled pool whose labels the loop reveals one by one, and a labeled test set."""

    pool: list[PageFeatures]
    pool_labels: list[str]
    test: list[PageFeatures]
    test_labels: list[str]
    classes: list[str]


def fast_config(base: TrainConfig) -> TrainConfig:
    """At most FAST_MAX_STEPS steps a fit, no FixMatch, one self-training round."""
    return TrainConfig(
        **{
            **base.to_dict(),
            "min_steps": min(base.min_steps, FAST_MAX_STEPS),
            "max_steps": min(base.max_steps, FAST_MAX_STEPS),
            "fixmatch": False,
            "self_training_rounds": min(base.self_training_rounds, 1),
        }
    )


def labels_to_reach(curve: Sequence[dict[str, Any]], target: float) -> int | None:
    """Labels at the first point of the curve whose macro-F1 is at least ``target``."""
    for point in curve:
        if point["macro_f1"] >= target:
            return int(point["labels"])
    return None


def _select(
    strategy: str,
    k: int,
    data: Data,
    labeled: list[int],
    remaining: list[int],
    model: Any,
    temperature: float,
    text: np.ndarray | None,
    hashed: np.ndarray | None,
    rng: np.random.Generator,
) -> list[int]:
    """Pool indices of the next ``k`` documents to label."""
    if strategy == "random":
        placeholder = np.zeros((len(remaining), 1), dtype=np.float32)
        picks = selection.choose(strategy, k, None, placeholder, placeholder[:0], rng)
    elif model is None or strategy == "diversity":
        assert text is not None
        picks = selection.choose(strategy, k, None, text[remaining], text[labeled], rng)
    else:
        probs, vectors = predict(model, temperature, [data.pool[i] for i in remaining])
        reference = vectors[:0]
        if strategy == "diverse_margin":
            # The review queue's own rule: margin lowered by similarity, on hashed text.
            assert hashed is not None
            vectors, reference = hashed[remaining], hashed[labeled]
        picks = selection.choose(strategy, k, probs, vectors, reference, rng)
    return [remaining[p] for p in picks]


def simulate(
    data: Data,
    strategy: str,
    budget: int,
    step: int,
    seed: int,
    model_config: ModelConfig,
    train_config: TrainConfig,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One strategy's labeling loop: ``{"strategy", "curve", "order", "labeled_per_type",
    "seconds"}``.

    ``order`` is the pool indices in the order they were labeled; ``curve`` has one point per
    round (after each retraining) measured on the test set.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    if step <= 0 or budget <= 0:
        raise ValueError("budget and step must be positive")
    note = progress or (lambda message: log.info("%s", message))
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    index = {name: i for i, name in enumerate(data.classes)}
    test_truth = np.array([index[name] for name in data.test_labels], dtype=np.int64)
    text = selection.text_vectors(data.pool) if strategy != "random" else None
    hashed = selection.hashed_vectors(data.pool) if strategy == "diverse_margin" else None
    labeled: list[int] = []
    remaining = list(range(len(data.pool)))
    model: Any = None
    temperature = 1.0
    curve: list[dict[str, Any]] = []
    while True:
        k = min(step, budget - len(labeled), len(remaining))
        if k <= 0:
            break
        select_started = time.perf_counter()
        new = _select(strategy, k, data, labeled, remaining, model, temperature, text, hashed, rng)
        select_seconds = time.perf_counter() - select_started
        chosen = set(new)
        if len(chosen) != len(new) or chosen & set(labeled):
            raise RuntimeError(f"{strategy} chose a document twice: {new}")
        labeled.extend(new)
        remaining = [i for i in remaining if i not in chosen]

        names = [data.pool_labels[i] for i in labeled]
        held = holdout_mask(names)
        fit_rows = [row for row, h in zip(labeled, held, strict=True) if not h]
        val_rows = [row for row, h in zip(labeled, held, strict=True) if h]
        train_started = time.perf_counter()
        result = train(
            [data.pool[i] for i in fit_rows],
            [index[data.pool_labels[i]] for i in fit_rows],
            data.classes,
            [data.pool[i] for i in val_rows],
            [index[data.pool_labels[i]] for i in val_rows],
            unlabeled=[data.pool[i] for i in remaining],
            model_config=model_config,
            config=train_config,
            progress=lambda message: log.debug("%s", message),
        )
        train_seconds = time.perf_counter() - train_started
        model, temperature = result.model, result.temperature
        probs, _ = predict(model, temperature, data.test)
        metrics = calibration.classification_metrics(probs, test_truth, data.classes)
        point = {
            "labels": len(labeled),
            "accuracy": metrics["accuracy"],
            "macro_f1": metrics["macro_f1"],
            "classes_labeled": len(set(names)),
            "n_train": len(fit_rows),
            "n_validation": len(val_rows),
            "pseudo_labels": result.counts["pseudo_labels"],
            "temperature": round(temperature, 4),
            "train_seconds": round(train_seconds, 2),
            "select_seconds": round(select_seconds, 3),
        }
        curve.append(point)
        note(
            f"{strategy}: {point['labels']} labels ({point['classes_labeled']} types), "
            f"accuracy {point['accuracy']:.4f}, macro-F1 {point['macro_f1']:.4f}, "
            f"{point['pseudo_labels']} pseudo-labels, train {train_seconds:.1f} s"
        )
    per_type: dict[str, int] = {}
    for i in labeled:
        per_type[data.pool_labels[i]] = per_type.get(data.pool_labels[i], 0) + 1
    return {
        "strategy": strategy,
        "curve": curve,
        "order": labeled,
        "labeled_per_type": dict(sorted(per_type.items())),
        "seconds": round(time.perf_counter() - started, 2),
    }


def summarise(run: dict[str, Any], reach: float | None) -> dict[str, Any]:
    """A strategy's curve with its final and mean scores (and ``labels_to_reach``)."""
    curve = run["curve"]
    out: dict[str, Any] = {
        "curve": curve,
        "final_accuracy": curve[-1]["accuracy"] if curve else None,
        "final_macro_f1": curve[-1]["macro_f1"] if curve else None,
        # Area under the learning curve over its points: higher = better all along the way.
        "mean_macro_f1": round(float(np.mean([p["macro_f1"] for p in curve])), 4)
        if curve
        else None,
        "labels_used": curve[-1]["labels"] if curve else 0,
        "labeled_per_type": run.get("labeled_per_type", {}),
        "seconds": run["seconds"],
    }
    if reach is not None:
        out["labels_to_reach"] = labels_to_reach(curve, reach)
    return out


def compare(runs: dict[str, dict[str, Any]], budget: int, reach: float | None) -> dict[str, Any]:
    """Every strategy against random sampling's final macro-F1 (the issue's figure)."""
    strategies = {name: summarise(run, reach) for name, run in runs.items()}
    target = strategies["random"]["final_macro_f1"] if "random" in strategies else None
    # Fewest labels to reach random's final macro-F1; on a tie (the non-random strategies share
    # their cold start, which often gets there alone) the larger area under the curve.
    best: tuple[int, float, str] | None = None
    for name, summary in strategies.items():
        needed = labels_to_reach(summary["curve"], target) if target is not None else None
        summary["labels_to_reach_random_final"] = needed
        summary["ratio_to_random_budget"] = (
            round(needed / budget, 4) if needed is not None else None
        )
        if name == "random" or needed is None:
            continue
        key = (needed, -(summary["mean_macro_f1"] or 0.0), name)
        if best is None or key[:2] < best[:2]:
            best = key
    return {
        "random_final_macro_f1": target,
        "strategies": strategies,
        "best_strategy": best[2] if best else None,
        "best_labels_to_reach_random_final": best[0] if best else None,
        "best_ratio_to_random_budget": round(best[0] / budget, 4) if best else None,
        # The target: the best strategy gets there with at most half random's labels.
        "target_met": bool(best is not None and best[0] <= budget / 2),
    }


# --- Command line -----------------------------------------------------------------------------


def load(args: argparse.Namespace, with_embedding: bool) -> Data:
    """The pool and test features of the folders (OCR and features cached, as bench.classify)."""
    from bench.classify import load_features

    if args.test is None or args.test.resolve() == args.pool.resolve():
        pool_items, test_items = dataset.split(
            dataset.dedupe(dataset.list_items(args.pool)), args.test_share, args.seed
        )
    else:
        pool_items = dataset.dedupe(dataset.list_items(args.pool))
        known = {i.sha256 for i in pool_items}
        test_items = [
            i for i in dataset.dedupe(dataset.list_items(args.test)) if i.sha256 not in known
        ]
    # dataset.split and list_items group the pool by type; a seeded order keeps that out of the
    # strategies' tie-breaks (k-center's first pick, stable sorts).
    order = np.random.default_rng(args.seed).permutation(len(pool_items))
    pool_items = [pool_items[i] for i in order]
    dataset.warm_cache(pool_items + test_items, args.workers)
    classes = sorted({i.label for i in pool_items})
    unknown = sorted({i.label for i in test_items} - set(classes))
    if unknown:
        raise SystemExit(f"--test has types --pool lacks: {', '.join(unknown)}")
    pool_feats, _ = load_features(pool_items, with_embedding)
    test_feats, _ = load_features(test_items, with_embedding)
    return Data(
        pool=pool_feats,
        pool_labels=[i.label for i in pool_items],
        test=test_feats,
        test_labels=[i.label for i in test_items],
        classes=classes,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pool", type=Path, required=True, help="labeled folder to draw from")
    parser.add_argument("--test", type=Path, help="labeled test folder (default: split --pool)")
    parser.add_argument("--strategy", choices=[*STRATEGIES, "all"], required=True)
    parser.add_argument("--budget", type=int, required=True, help="labels in all")
    parser.add_argument("--step", type=int, required=True, help="labels per round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reach", type=float, help="report the labels to reach this macro-F1")
    parser.add_argument("--test-share", type=float, default=0.3)
    parser.add_argument("--fast", action="store_true", help="smaller TrainConfig (see README)")
    add_branch_arguments(parser)
    parser.add_argument(
        "--fixmatch", action="store_true", help="add the FixMatch loss (off in the product)"
    )
    parser.add_argument("--rounds", type=int, help="self-training rounds (default: the config's)")
    parser.add_argument(
        "--threads", type=int, help="torch threads (default: TrainConfig's, else torch's)"
    )
    parser.add_argument("--workers", type=int, default=2, help="OCR processes for uncached pages")
    args = parser.parse_args(argv)
    if args.budget <= 0 or args.step <= 0:
        parser.error("--budget and --step must be positive")
    return args


def main(argv: list[str] | None = None, data: Data | None = None) -> int:
    """Run the bench; ``data`` replaces loading the folders (for tests)."""
    started = time.perf_counter()
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    np.random.seed(args.seed)

    want_embedding = not args.no_embedding
    if want_embedding and data is None:
        from classification.ml import encoder

        want_embedding = encoder.available()
    if data is None:
        data = load(args, want_embedding)
    else:
        want_embedding = want_embedding and all(p.embedding is not None for p in data.pool)
    model_config = ModelConfig(
        use_image=not args.no_image,
        use_hash=not args.no_hash,
        use_embedding=want_embedding,
        use_layout=not args.no_layout,
    )
    train_config = TrainConfig(seed=args.seed)
    if args.fast:
        train_config = fast_config(train_config)
    if args.fixmatch:
        train_config.fixmatch = True
    if args.rounds is not None:
        train_config.self_training_rounds = args.rounds
    if args.threads is not None:  # TrainConfig.threads, where the product's config has it
        train_config = TrainConfig.from_dict({**train_config.to_dict(), "threads": args.threads})
    # Predictions for selection and scoring run outside train(): the same threads as training.
    threads = int(train_config.to_dict().get("threads") or args.threads or 0)
    if threads > 0:
        import torch

        torch.set_num_threads(threads)

    names = list(STRATEGIES) if args.strategy == "all" else [args.strategy]
    runs = {
        name: simulate(data, name, args.budget, args.step, args.seed, model_config, train_config)
        for name in names
    }
    report: dict[str, Any] = {
        "benchmark": "active_learning",
        "strategy": args.strategy,
        "seed": args.seed,
        "budget": args.budget,
        "step": args.step,
        "reach": args.reach,
        "n_pool": len(data.pool),
        "n_test": len(data.test),
        "n_classes": len(data.classes),
        "config": "fast" if args.fast else "default",
        "train_config": train_config.to_dict(),
        "branches": {
            "image": model_config.use_image,
            "hash": model_config.use_hash,
            "embedding": model_config.use_embedding,
            "layout": model_config.use_layout,
        },
    }
    if args.strategy == "all":
        report.update(compare(runs, args.budget, args.reach))
    else:
        report.update(summarise(runs[args.strategy], args.reach))
        if args.reach is None:
            report["labels_to_reach"] = None
    report["total_seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
