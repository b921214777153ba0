"""Saving and loading a trained classifier.

An artifact is one ``torch.save`` file holding only tensors and plain data (so it loads with
``weights_only=True``): the state_dict, the model config, the class list, the temperature, the
routing thresholds, the training arguments, the metrics, FORMAT_VERSION and the FEATURE_VERSION
of the features it was trained on (a model never sees features that mean something else). It
is written to a temporary file and renamed into place, and its SHA-256 is returned so the
registry can refuse a file that changed afterwards. ``load`` never raises for a missing,
corrupt, tampered or incompatible file: it logs why and returns None, which the product treats
as "no model".
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from classification.ml import calibration
from classification.ml.features import FEATURE_VERSION, PageFeatures
from classification.ml.model import FusedClassifier, ModelConfig
from classification.ml.train import TrainResult, predict
from classification.ml.versions import FORMAT_VERSION

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    model: FusedClassifier
    classes: list[str]
    temperature: float
    thresholds: dict[str, Any]
    config: ModelConfig
    metrics: dict[str, Any]
    training_args: dict[str, Any]
    sha256: str

    def predict(self, pages: Sequence[PageFeatures]) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated probabilities (n, k), fused embeddings (n, d))."""
        return predict(self.model, self.temperature, pages)

    def threshold(self, class_name: str) -> float:
        return calibration.threshold_for(self.thresholds, class_name)

    @property
    def uses_embedding(self) -> bool:
        return self.config.use_embedding


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save(result: TrainResult, path: Path, training_args: dict[str, Any]) -> str:
    """Write the artifact atomically; returns its SHA-256."""
    payload = {
        "format_version": FORMAT_VERSION,
        "feature_version": FEATURE_VERSION,
        "config": result.model.config.to_dict(),
        "classes": list(result.classes),
        "temperature": float(result.temperature),
        "thresholds": result.thresholds,
        "training_args": training_args,
        "metrics": result.metrics,
        # The hashed n-gram table is most of the model (2^18 x 64 weights): stored in half
        # precision it takes 34 MB instead of 67; the loss of precision is below training noise.
        "state_dict": {
            name: (tensor.half() if name == "hash.weight" else tensor)
            for name, tensor in result.model.state_dict().items()
        },
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()


def load(path: Path, expected_sha256: str | None = None) -> LoadedModel | None:
    """The model in ``path``, or None (logged) when it is missing, changed or unusable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("model artifact %s unreadable, no model: %s", path, exc)
        return None
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and digest != expected_sha256:
        log.warning("model artifact %s does not match its recorded hash, no model", path)
        return None
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        if not isinstance(payload, dict):
            raise ValueError("not a model artifact")
        version = payload.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"format version {version!r}, this code reads {FORMAT_VERSION}")
        trained_on = payload.get("feature_version", 1)
        if trained_on != FEATURE_VERSION:
            raise ValueError(
                f"trained on feature version {trained_on!r}, this code computes "
                f"{FEATURE_VERSION}: train a new model"
            )
        classes = [str(c) for c in payload["classes"]]
        config = ModelConfig.from_dict(dict(payload["config"]))
        model = FusedClassifier(len(classes), config)
        state = {
            name: (tensor.float() if name == "hash.weight" else tensor)
            for name, tensor in payload["state_dict"].items()
        }
        model.load_state_dict(state, strict=True)
        model.eval()
        return LoadedModel(
            model=model,
            classes=classes,
            temperature=float(payload["temperature"]),
            thresholds=dict(payload["thresholds"]),
            config=config,
            metrics=dict(payload.get("metrics") or {}),
            training_args=dict(payload.get("training_args") or {}),
            sha256=digest,
        )
    except Exception as exc:  # any unreadable artifact means "no model", never a crash
        log.warning("model artifact %s refused, no model: %s", path, exc)
        return None
