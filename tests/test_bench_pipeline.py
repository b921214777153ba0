"""bench.pipeline on a tiny generated folder: one JSON line, with the right counts.

The bench runs as a subprocess with its own data folder, so it never sees the test database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.pipeline import round_robin
from classification import ocr
from tests import documents

pytestmark = pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")

REPO = Path(__file__).resolve().parent.parent

POSITIVE = [
    "wall_seconds",
    "pages_per_minute",
    "documents_per_minute",
    "page_render_seconds_median",
    "page_render_seconds_p95",
    "page_ocr_seconds_median",
    "page_ocr_seconds_p95",
    "page_save_and_overhead_share_seconds_median",
    "page_save_and_overhead_share_seconds_p95",
    "page_save_seconds_median",
    "document_task_seconds_median",
    "tesseract_alone_wall_seconds",
    "tesseract_alone_pages_per_minute",
    "tesseract_alone_page_seconds_median",
    "tesseract_alone_page_seconds_p95",
    "pipeline_vs_tesseract_alone",
    "total_seconds",
]


def _dataset(root: Path) -> Path:
    (root / "invoice").mkdir(parents=True)
    (root / "contract").mkdir()
    (root / "invoice" / "a.png").write_bytes(documents.png(["INVOICE 4711", "Total 99.00"]))
    (root / "contract" / "b.pdf").write_bytes(
        documents.pdf([["AGREEMENT", "between the parties"], ["SIGNED", "on this day"]])
    )
    (root / "contract" / "b.json").write_text('{"fields": {}}')  # sidecars are not documents
    return root


def _run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "DOCSITE_DATA_DIR", "DOCSITE_MEDIA_ROOT"}
    }
    env["DOCSITE_OCR_PARALLEL"] = "2"
    return subprocess.run(
        [sys.executable, "-m", "bench.pipeline", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_prints_one_json_line_with_the_counts_and_timings(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "dataset")
    keep = tmp_path / "run"
    result = _run_bench("--data", str(data), "--workers", "1", "--keep", str(keep))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    report = json.loads(lines[0])

    assert report["files"] == 2
    assert report["ingest_accepted"] == 2 and report["ingest_rejected"] == 0
    assert report["documents"] == 2 and report["documents_done"] == 2
    assert report["failed_documents"] == 0 and report["failed_reasons"] == {}
    assert report["pages"] == 3
    assert report["tesseract_alone_pages"] == 3
    assert report["tesseract_alone_failed_pages"] == 0
    for key in POSITIVE:
        assert isinstance(report[key], int | float) and report[key] > 0, key
    assert report["document_overhead_seconds_median"] >= 0
    assert (
        report["page_save_and_overhead_share_seconds_median"]
        >= (report["page_save_seconds_median"])
    )

    settings = report["settings"]
    assert settings["workers"] == 1 and settings["ocr_parallel"] == 2
    assert settings["max_concurrent_tesseract"] == 2
    assert report["tesseract_alone_concurrency"] == 2
    assert settings["dpi"] > 0 and settings["cpu_count"] >= 1
    assert settings["tesseract_version"].startswith(("4", "5"))

    # Its own database and media, in the folder it was told to keep.
    assert (keep / "docsite.sqlite3").exists()
    assert any((keep / "media" / "pages").rglob("thumb-0001.jpg"))


def test_limit_takes_files_round_robin_across_type_folders(tmp_path: Path) -> None:
    groups = {
        "receipt": [Path(f"r{i}") for i in range(5)],
        "contract": [Path("c0"), Path("c1")],
        "memo": [Path("m0")],
    }
    chosen = [p.name for p in round_robin(groups, 6)]
    assert chosen == ["c0", "m0", "r0", "c1", "r1", "r2"]
    assert len(round_robin(groups, None)) == 8
