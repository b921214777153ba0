"""Semi-supervised training of the fused classifier, calibration and thresholds.

One training run:

1. Round 0 trains on the human labels of the training split. With ``fixmatch`` on, each step
   also takes a batch of unlabeled pages: the prediction on a weakly augmented view becomes the
   target for a strongly augmented view when it is confident (FixMatch's consistency loss).
2. Each self-training round scores the unlabeled pool with the previous round's calibrated
   model, keeps predictions above ``pseudo_threshold`` as pseudo-labels (weighted
   ``pseudo_weight`` against 1 for a human label, at most ``pseudo_cap`` times a class's human
   count, then each class's weights scaled to add up to its human count so the class balance
   stays the people's), and trains a fresh model on both. Pseudo-labels are recomputed every
   round.
3. The final model gets a temperature fitted on the held-out human labels, routing thresholds for
   the target precision, and its metrics on that held-out set.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from classification.ml import calibration
from classification.ml.features import PageFeatures
from classification.ml.model import Batch, FusedClassifier, ModelConfig, make_batch, subset

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    epochs: int = 30
    min_steps: int = 150
    # Caps a fit at 12 epochs of 1,000 documents: measured here, a whole training on 1,000
    # documents (a third labeled, two self-training rounds, refit) took 108.7 s on 2 cores.
    max_steps: int = 360
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    self_training_rounds: int = 2
    pseudo_threshold: float = 0.9
    pseudo_weight: float = 0.5
    pseudo_cap: float = 10.0
    fixmatch: bool = False
    fixmatch_threshold: float = 0.95
    fixmatch_weight: float = 1.0
    unlabeled_ratio: int = 2
    target_precision: float = 0.98
    min_per_class_threshold: int = 20
    # After measuring on the held-out labels, train once more on every human label (held-out
    # ones included) with the same recipe and keep the measured temperature and thresholds.
    # Measured on real-dev at 5 labels per class, training on the held-out fifth too raised
    # test macro-F1 from 0.387 to 0.434 (mean of 3 seeds, supervised).
    refit: bool = True
    seed: int = 0
    # Torch threads while training; 0 keeps torch's default (one per core). On a machine that
    # is also running OCR, 1 avoids OpenMP threads spinning against busy cores: measured here,
    # a step took 4 s with 2 threads under contention against 0.09 s with 1.
    threads: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class TrainResult:
    model: FusedClassifier
    classes: list[str]
    temperature: float
    thresholds: dict[str, Any]
    metrics: dict[str, Any]
    counts: dict[str, Any]
    seconds: float
    rounds: list[dict[str, Any]] = field(default_factory=list)
    # The last round's pseudo-labels: (index into ``unlabeled``, class index, confidence).
    pseudo: list[tuple[int, int, float]] = field(default_factory=list)
    # Calibrated probabilities on the validation pages from the model measured there (before
    # any refit), so a later candidate can be compared with this model on held-out labels only.
    validation_probs: np.ndarray | None = None


# --- Augmentation -----------------------------------------------------------------------------


def _affine(
    images: torch.Tensor, shift: float, scale: float, generator: torch.Generator
) -> torch.Tensor:
    n = images.shape[0]
    s = 1.0 + (torch.rand(n, generator=generator) * 2 - 1) * scale
    tx = (torch.rand(n, generator=generator) * 2 - 1) * shift * 2
    ty = (torch.rand(n, generator=generator) * 2 - 1) * shift * 2
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = s
    theta[:, 1, 1] = s
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, padding_mode="zeros", align_corners=False)
    return out.contiguous(memory_format=torch.channels_last)


def weak_view(batch: Batch, generator: torch.Generator) -> Batch:
    if batch.image is None:
        return batch
    view = Batch(**{**batch.__dict__})
    view.image = _affine(batch.image, 0.04, 0.04, generator)
    return view


def strong_view(batch: Batch, generator: torch.Generator) -> Batch:
    view = Batch(**{**batch.__dict__})
    if batch.image is not None:
        image = _affine(batch.image, 0.08, 0.1, generator)
        n, _, h, w = image.shape
        contrast = 0.6 + 0.8 * torch.rand(n, 1, 1, 1, generator=generator)
        image = (image * contrast).clamp(0, 1)
        for _ in range(2):  # two erased rectangles per page
            eh = (torch.rand(n, generator=generator) * 0.4 * h).long() + 1
            ew = (torch.rand(n, generator=generator) * 0.4 * w).long() + 1
            top = (torch.rand(n, generator=generator) * (h - eh)).long()
            left = (torch.rand(n, generator=generator) * (w - ew)).long()
            rows = torch.arange(h).view(1, h, 1)
            cols = torch.arange(w).view(1, 1, w)
            mask = (
                (rows >= top.view(n, 1, 1))
                & (rows < (top + eh).view(n, 1, 1))
                & (cols >= left.view(n, 1, 1))
                & (cols < (left + ew).view(n, 1, 1))
            )
            image = image.masked_fill(mask.unsqueeze(1), 0.0)
        view.image = image.contiguous(memory_format=torch.channels_last)
    if batch.hash_value is not None:
        keep = (torch.rand(len(batch.hash_value), generator=generator) > 0.3).float()
        view.hash_value = batch.hash_value * keep / 0.7
    if batch.embedding is not None:
        noise = torch.randn(batch.embedding.shape, generator=generator) * 0.02
        view.embedding = batch.embedding + noise
    return view


# --- Training ---------------------------------------------------------------------------------


def predict_logits(
    model: FusedClassifier, pages: Sequence[PageFeatures], batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """(logits, fused embeddings) for pages, in eval mode."""
    model.eval()
    logits, embeddings = [], []
    with torch.inference_mode():
        for start in range(0, len(pages), batch_size):
            batch = make_batch(pages[start : start + batch_size], model.config)
            embedded = model.embed(batch)
            logits.append(model.head(embedded).numpy())
            embeddings.append(embedded.numpy())
    if not logits:
        n_classes = model.head.out_features
        return np.zeros((0, n_classes), np.float32), np.zeros((0, model.width), np.float32)
    return np.concatenate(logits), np.concatenate(embeddings)


def _fit(
    pages: Sequence[PageFeatures],
    targets: np.ndarray,
    weights: np.ndarray,
    unlabeled: Sequence[PageFeatures],
    n_classes: int,
    model_config: ModelConfig,
    config: TrainConfig,
    seed: int,
) -> tuple[FusedClassifier, dict[str, Any]]:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = FusedClassifier(n_classes, model_config).to(memory_format=torch.channels_last)

    data = make_batch(pages, model_config)
    pool = make_batch(unlabeled, model_config) if (config.fixmatch and unlabeled) else None
    # Classes weighted by 1/sqrt(frequency): rare types matter for macro-F1 without the
    # few examples of a rare type dominating the loss.
    counts = np.bincount(targets, weights=weights, minlength=n_classes).astype(np.float64)
    class_weight = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1)), 0.0)
    class_weight *= n_classes / max(1e-9, class_weight[counts > 0].sum())
    sample_weight = torch.tensor(weights * class_weight[targets], dtype=torch.float32)
    y = torch.tensor(targets, dtype=torch.int64)
    n = len(pages)
    batches_per_epoch = math.ceil(n / config.batch_size)
    steps = int(np.clip(config.epochs * batches_per_epoch, config.min_steps, config.max_steps))
    sparse = [p for name, p in model.named_parameters() if name == "hash.weight"]
    dense = [p for name, p in model.named_parameters() if name != "hash.weight"]
    optimisers: list[torch.optim.Optimizer] = [
        torch.optim.AdamW(dense, lr=config.lr, weight_decay=config.weight_decay)
    ]
    if sparse:
        optimisers.append(torch.optim.SparseAdam(sparse, lr=config.lr))
    warmup = max(1, steps // 10)
    order = rng.permutation(n)
    cursor = 0
    masked_total = 0
    model.train()
    for step in range(steps):
        # Linear warm-up, then cosine decay to zero.
        if step < warmup:
            factor = (step + 1) / warmup
        else:
            factor = 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        for optimiser in optimisers:
            for group in optimiser.param_groups:
                group["lr"] = config.lr * factor
        if cursor + config.batch_size > n:
            order = rng.permutation(n)
            cursor = 0
        rows = order[cursor : cursor + config.batch_size]
        cursor += config.batch_size
        batch = weak_view(subset(data, rows), generator)
        logits = model(batch)
        per_item = F.cross_entropy(logits, y[rows], reduction="none")
        w = sample_weight[rows]
        loss = (per_item * w).sum() / w.sum().clamp_min(1e-9)
        if pool is not None:
            picked = rng.choice(
                pool.size,
                size=min(pool.size, config.batch_size * config.unlabeled_ratio),
                replace=False,
            )
            unlabeled_batch = subset(pool, picked)
            with torch.no_grad():
                weak_probs = torch.softmax(model(weak_view(unlabeled_batch, generator)), dim=1)
            confidence, pseudo = weak_probs.max(dim=1)
            mask = (confidence >= config.fixmatch_threshold).float()
            masked_total += int(mask.sum())
            if mask.sum() > 0:
                strong_logits = model(strong_view(unlabeled_batch, generator))
                unsup = (F.cross_entropy(strong_logits, pseudo, reduction="none") * mask).sum()
                loss = loss + config.fixmatch_weight * unsup / mask.numel()
        for optimiser in optimisers:
            optimiser.zero_grad(set_to_none=True)
        loss.backward()
        for optimiser in optimisers:
            optimiser.step()
    model.eval()
    return model, {"steps": steps, "fixmatch_targets": masked_total}


def train(
    labeled: Sequence[PageFeatures],
    labels: Sequence[int],
    classes: list[str],
    validation: Sequence[PageFeatures],
    validation_labels: Sequence[int],
    unlabeled: Sequence[PageFeatures] = (),
    model_config: ModelConfig | None = None,
    config: TrainConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train, self-train, calibrate and measure; see the module docstring."""
    config = config or TrainConfig()
    previous_threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        return _train(
            labeled,
            labels,
            classes,
            validation,
            validation_labels,
            unlabeled,
            model_config or ModelConfig(),
            config,
            progress,
        )
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    labeled: Sequence[PageFeatures],
    labels: Sequence[int],
    classes: list[str],
    validation: Sequence[PageFeatures],
    validation_labels: Sequence[int],
    unlabeled: Sequence[PageFeatures],
    model_config: ModelConfig,
    config: TrainConfig,
    progress: Callable[[str], None] | None,
) -> TrainResult:
    started = time.perf_counter()
    if len(labeled) == 0:
        raise ValueError("no labeled pages to train on")
    n_classes = len(classes)
    y = np.asarray(labels, dtype=np.int64)
    y_val = np.asarray(validation_labels, dtype=np.int64)
    human_counts = np.bincount(y, minlength=n_classes)
    note = progress or (lambda message: log.info("%s", message))

    rounds: list[dict[str, Any]] = []
    pages: list[PageFeatures] = list(labeled)
    targets, weights = y, np.ones(len(y))
    pseudo_used = 0
    pseudo: list[tuple[int, int, float]] = []
    model: FusedClassifier | None = None
    temperature = 1.0
    total_rounds = 1 + (config.self_training_rounds if unlabeled else 0)
    for round_index in range(total_rounds):
        if round_index > 0:
            assert model is not None
            logits, _ = predict_logits(model, unlabeled)
            probs = calibration.softmax(logits, temperature)
            chosen = _pick_pseudo(probs, human_counts, config)
            pseudo_used = len(chosen)
            pseudo = [(i, int(probs[i].argmax()), float(probs[i].max())) for i in chosen]
            pages = list(labeled) + [unlabeled[i] for i in chosen]
            targets = np.concatenate([y, probs[chosen].argmax(axis=1)])
            weights = np.concatenate([np.ones(len(y)), np.full(len(chosen), config.pseudo_weight)])
            weights = keep_class_totals(targets, weights, human_counts)
        round_started = time.perf_counter()
        model, info = _fit(
            pages,
            targets,
            weights,
            unlabeled,
            n_classes,
            model_config,
            config,
            seed=config.seed + round_index,
        )
        val_logits, _ = predict_logits(model, validation)
        temperature = calibration.fit_temperature(val_logits, y_val)
        info.update(
            round=round_index,
            pseudo_labels=pseudo_used if round_index else 0,
            seconds=round(time.perf_counter() - round_started, 2),
            temperature=round(temperature, 4),
        )
        if len(y_val):
            info["val_accuracy"] = round(float((val_logits.argmax(axis=1) == y_val).mean()), 4)
        rounds.append(info)
        note(f"training round {round_index}: {info}")

    assert model is not None
    val_logits, _ = predict_logits(model, validation)
    raw = calibration.softmax(val_logits)
    calibrated = calibration.softmax(val_logits, temperature)
    routing = calibration.thresholds(
        calibrated, y_val, classes, config.target_precision, config.min_per_class_threshold
    )
    metrics = calibration.classification_metrics(calibrated, y_val, classes)
    metrics.update(
        ece_before=round(calibration.ece(raw, y_val), 4),
        ece=round(calibration.ece(calibrated, y_val), 4),
        temperature=round(temperature, 4),
        thresholds=routing,
        **calibration.auto_accept_figures(calibrated, y_val, classes, routing),
        reliability=calibration.reliability(calibrated, y_val),
        # What the auto-accepted share would be at other targets (the Automation dashboard).
        coverage=calibration.coverage_curve(
            calibrated,
            y_val,
            classes,
            calibration.COVERAGE_TARGETS,
            config.min_per_class_threshold,
        ),
    )
    measured_model = model
    if config.refit and len(y_val):
        refit_started = time.perf_counter()
        model, info = _fit(
            pages + list(validation),
            np.concatenate([targets, y_val]),
            np.concatenate([weights, np.ones(len(y_val))]),
            unlabeled,
            n_classes,
            model_config,
            config,
            seed=config.seed + 100,
        )
        info.update(round="refit", seconds=round(time.perf_counter() - refit_started, 2))
        rounds.append(info)
        note(f"training refit on all human labels: {info}")
    metrics["refit"] = model is not measured_model
    counts = {
        "human_per_class": {classes[i]: int(c) for i, c in enumerate(human_counts)},
        "human_train": len(y),
        "validation": len(y_val),
        "unlabeled": len(unlabeled),
        "pseudo_labels": pseudo_used,
    }
    return TrainResult(
        model=model,
        classes=list(classes),
        temperature=temperature,
        thresholds=routing,
        metrics=metrics,
        counts=counts,
        seconds=round(time.perf_counter() - started, 2),
        rounds=rounds,
        pseudo=pseudo,
        validation_probs=calibrated,
    )


def keep_class_totals(
    targets: np.ndarray, weights: np.ndarray, human_counts: np.ndarray
) -> np.ndarray:
    """Scale each type's weights so that they add up to its number of human labels.

    Pseudo-labels then add examples of a type, never weight: self-training cannot tilt the
    model towards the types that are easy to pseudo-label. Measured on real-dev at 5 labels per
    type, every pseudo-label of seed 1 was a receipt or a contract (40 each, all right) and,
    unscaled, they pulled the rare types' documents over to those two: macro-F1 0.325 against
    0.471 for the same model without pseudo-labels.
    """
    totals = np.bincount(targets, weights=weights, minlength=len(human_counts))
    scale = np.where(totals > 0, human_counts / np.maximum(totals, 1e-12), 0.0)
    return np.asarray(weights * scale[targets], dtype=np.float64)


def _pick_pseudo(probs: np.ndarray, human_counts: np.ndarray, config: TrainConfig) -> list[int]:
    """Confident unlabeled items, most confident first, capped per class."""
    if len(probs) == 0:
        return []
    confidence = probs.max(axis=1)
    predicted = probs.argmax(axis=1)
    chosen: list[int] = []
    for c in range(probs.shape[1]):
        candidates = np.where((predicted == c) & (confidence >= config.pseudo_threshold))[0]
        if human_counts[c] == 0 or len(candidates) == 0:
            continue
        cap = max(1, int(config.pseudo_cap * human_counts[c]))
        best = candidates[np.argsort(-confidence[candidates], kind="stable")][:cap]
        chosen.extend(int(i) for i in best)
    return sorted(chosen)


def predict(
    model: FusedClassifier, temperature: float, pages: Sequence[PageFeatures]
) -> tuple[np.ndarray, np.ndarray]:
    """(calibrated probabilities, fused embeddings), on one torch thread: prediction runs in
    workers beside Tesseract, where a second OpenMP thread spins against busy cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        logits, embeddings = predict_logits(model, pages)
    finally:
        torch.set_num_threads(previous)
    return calibration.softmax(logits, temperature), embeddings


def holdout_mask(labels_in_order: Sequence[str], every: int = 5) -> np.ndarray:
    """Which labels are held out for validation: the every-th of each class, in label order.

    The rule depends only on a label's rank within its class, so a held-out label stays held
    out as more labels arrive, and every model is compared on the same documents.
    """
    seen: dict[str, int] = {}
    mask = np.zeros(len(labels_in_order), dtype=bool)
    for i, name in enumerate(labels_in_order):
        rank = seen.get(name, 0)
        seen[name] = rank + 1
        mask[i] = every > 0 and rank % every == every - 1
    return mask
