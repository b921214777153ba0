"""Writing documents so that one seed always gives byte-identical files.

PNG: fixed compression level and no metadata chunks (Pillow writes no tIME chunk).
JPEG: fixed quality, no EXIF, no optimisation pass.
PDF: Pillow's PDF writer stamps the *current* time as CreationDate/ModDate unless told
otherwise, so both are pinned to the document's own issue date.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from PIL import Image

EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "pdf": ".pdf"}
PDF_PRODUCERS = ("ScanSnap Manager", "Canon iR-ADV C5535", "HP Scan", "Epson Scan 2", "NAPS2")


def write_pages(
    pages: list[Image.Image],
    fmt: str,
    path: Path,
    dpi: float,
    issued: dt.datetime,
    producer: str,
) -> Path:
    """Write ``pages`` as one file at ``path`` (extension chosen from ``fmt``)."""
    target = path.with_suffix(EXTENSIONS[fmt])
    resolution = (round(dpi), round(dpi))
    if fmt == "png":
        pages[0].save(target, "PNG", compress_level=6, optimize=False, dpi=resolution)
    elif fmt == "jpeg":
        pages[0].save(target, "JPEG", quality=88, optimize=False, dpi=resolution)
    else:
        stamp = issued.timetuple()
        pages[0].save(
            target,
            "PDF",
            save_all=True,
            append_images=pages[1:],
            resolution=float(round(dpi)),
            quality=85,
            title=path.stem,
            producer=producer,
            creator=producer,
            creationDate=stamp,
            modDate=stamp,
        )
    return target


def write_sidecar(path: Path, fields: dict[str, Any], meta: dict[str, Any]) -> Path:
    target = path.with_suffix(".json")
    payload = {"fields": fields, "meta": meta}
    target.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target
