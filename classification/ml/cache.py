"""A folder of computed page features, one file per page, keyed by content hash.

The key names the document's content hash, the page number, the feature version and whether
the sentence embedding is included, so a changed feature definition or encoder misses instead of
returning stale arrays. Files are written atomically; an unreadable file is a miss.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from classification.ml import features

log = logging.getLogger(__name__)


def page_key(sha256: str, page: int, with_embedding: bool) -> str:
    suffix = "e" if with_embedding else "n"
    return f"{sha256}-p{page}-f{features.FEATURE_VERSION}{suffix}"


class FeatureCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> features.PageFeatures | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as arrays:
                return features.PageFeatures.from_arrays(dict(arrays))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("feature cache entry %s unreadable, recomputing: %s", path, exc)
            return None

    def put(self, key: str, page: features.PageFeatures) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, **page.to_arrays())  # type: ignore[arg-type]
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def forget(self, sha256: str) -> int:
        """Delete every entry of one document (all pages, versions, with or without the
        embedding): what was derived from a deleted document goes with it. Returns the count."""
        removed = 0
        for path in (self.root / sha256[:2]).glob(f"{sha256}-p*.npz"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed
