"""Where originals and page images live on disk: the only module that touches MEDIA_ROOT.

Originals are content-addressed (``originals/ab/<sha256>.<ext>``), so the same bytes are stored
once; page images sit under ``pages/<sha256>/`` and are rewritten when a document is processed
again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings


def _root() -> Path:
    return Path(settings.MEDIA_ROOT)


def absolute(relative: str) -> Path:
    path = (_root() / relative).resolve()
    if _root().resolve() not in path.parents:
        raise ValueError(f"{relative!r} is outside the media root")
    return path


def original_path(sha256: str, extension: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}.{extension}"


def page_dir(sha256: str) -> str:
    return f"pages/{sha256[:2]}/{sha256}"


def beside(relative: str, suffix: str) -> str:
    """A file kept next to a stored file and deleted with its folder:
    ``beside("pages/ab/<sha>/page-0001.png", "ppocr-v1.json")`` is
    ``"pages/ab/<sha>/page-0001.ppocr-v1.json"``."""
    return f"{relative.rsplit('.', 1)[0]}.{suffix}"


def write_atomic(relative: str, data: bytes) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    target = absolute(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(relative: str) -> bytes:
    return absolute(relative).read_bytes()


def exists(relative: str) -> bool:
    return bool(relative) and absolute(relative).exists()


def delete(relative: str) -> None:
    if relative:
        absolute(relative).unlink(missing_ok=True)


def delete_tree(relative: str) -> None:
    shutil.rmtree(absolute(relative), ignore_errors=True)
