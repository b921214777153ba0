"""One log line per pipeline step, and the JSON log format that carries its fields."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from classification import ocr, pipeline, services
from docsite.logging import JsonFormatter
from tests import documents

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("document", "step", "duration", "outcome")


def _steps(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "classification.pipeline" and hasattr(r, "step")]


def _check_fields(record: logging.LogRecord, document_id: int, step: str, outcome: str) -> None:
    fields = record.__dict__
    assert (fields["document"], fields["step"], fields["outcome"]) == (document_id, step, outcome)
    assert isinstance(fields["duration"], float) and fields["duration"] >= 0
    assert record.getMessage().startswith(
        f"document={document_id} step={step} duration={fields['duration']:.3f} outcome={outcome}"
    )


@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
def test_processing_a_document_logs_one_line_per_step(caplog: pytest.LogCaptureFixture) -> None:
    document = services.ingest_upload(documents.png(["LOGGED 1"]), "a.png", None).document
    with caplog.at_level(logging.INFO, logger="classification"):
        assert pipeline.process_document(document.pk) == "done"
    steps = _steps(caplog)
    assert [r.__dict__["step"] for r in steps] == ["process", "classify"]
    _check_fields(steps[0], document.pk, "process", "done")
    assert steps[0].__dict__["pages"] == 1
    _check_fields(steps[1], document.pk, "classify", "review")
    assert steps[0].__dict__["duration"] > 0


def test_a_skipped_document_logs_its_step(caplog: pytest.LogCaptureFixture) -> None:
    document = services.ingest_upload(documents.png(["SKIPPED"]), "s.png", None).document
    services.claim_for_processing(document.pk)  # another worker has it
    with caplog.at_level(logging.INFO, logger="classification"):
        assert pipeline.process_document(document.pk) == "skipped"
    (step,) = _steps(caplog)
    _check_fields(step, document.pk, "process", "skipped")


def test_a_failed_step_logs_its_outcome_and_error(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = services.ingest_upload(documents.png(["BROKEN"]), "b.png", None).document

    def broken(*args: object, **kwargs: object) -> None:
        raise ocr.OcrError("Tesseract failed: simulated")

    monkeypatch.setattr(ocr, "recognise", broken)
    with caplog.at_level(logging.INFO, logger="classification"):
        assert pipeline.process_document(document.pk) == "failed"
    (step,) = _steps(caplog)
    _check_fields(step, document.pk, "process", "failed")
    assert step.levelno == logging.WARNING
    assert step.__dict__["error"] == "Tesseract failed: simulated"


def test_a_classification_error_is_a_logged_step(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(document_id: int) -> str:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(pipeline.learning, "classify_document", broken)
    with caplog.at_level(logging.INFO, logger="classification"):
        assert pipeline.classify(12345) == "review"
    (step,) = _steps(caplog)
    _check_fields(step, 12345, "classify", "error")


def _record(**extra: object) -> logging.LogRecord:
    record = logging.getLogger("classification.pipeline").makeRecord(
        "classification.pipeline", logging.INFO, __file__, 1, "document=%s done", (7,), None
    )
    record.__dict__.update(extra)
    return record


def test_the_json_formatter_writes_one_object_per_line() -> None:
    fields = {"document": 7, "step": "process", "duration": 1.25, "outcome": "done", "pages": 3}
    line = JsonFormatter().format(_record(**fields))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "document=7 done"
    assert entry["level"] == "INFO" and entry["logger"] == "classification.pipeline"
    assert entry["time"].endswith("+00:00")
    for key, value in fields.items():
        assert entry[key] == value
    assert "args" not in entry and "msg" not in entry and "levelno" not in entry


def test_the_json_formatter_keeps_tracebacks_on_one_line() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    record.__dict__["path"] = Path("/tmp/x")  # not JSON: written as text
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert "ValueError: bad" in entry["exception"] and entry["path"] == "/tmp/x"


def test_docsite_log_json_selects_the_json_format() -> None:
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('classification.pipeline').warning("
        "'document=5 step=process', extra={'document': 5, 'step': 'process', "
        "'duration': 0.5, 'outcome': 'failed'})"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "docsite.settings", "DOCSITE_LOG_JSON": "true"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    entry = json.loads(out.stderr.strip().splitlines()[-1])
    assert {k: entry[k] for k in (*FIELDS, "level")} == {
        "document": 5,
        "step": "process",
        "duration": 0.5,
        "outcome": "failed",
        "level": "WARNING",
    }
    env["DOCSITE_LOG_JSON"] = "false"
    plain = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "WARNING classification.pipeline document=5 step=process" in plain.stderr
