"""Management commands, and the site as `make run` starts it: web server + worker cluster."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from classification import ocr
from classification.models import Document
from tests import documents
from tests.postgres import fresh_database, reachable

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_ensure_admin_creates_one_admin_once_with_a_generated_password(
    monkeypatch,
    capsys,
) -> None:
    monkeypatch.delenv("DOCSITE_ADMIN_USER", raising=False)
    monkeypatch.delenv("DOCSITE_ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    printed = capsys.readouterr().out
    password = printed.split("password: ")[1].split()[0]
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    assert admin.groups.filter(name="admin").exists()
    call_command("ensure_admin")
    assert capsys.readouterr().out == "" and User.objects.count() == 1


@pytest.mark.django_db
def test_ensure_admin_takes_credentials_from_the_environment(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DOCSITE_ADMIN_USER", "boss")
    monkeypatch.setenv("DOCSITE_ADMIN_PASSWORD", "correct horse battery")
    call_command("ensure_admin")
    assert "correct horse" not in capsys.readouterr().out
    assert User.objects.get(username="boss").check_password("correct horse battery")


@pytest.mark.django_db
def test_ingest_folder_uploads_every_document_file(tmp_path, capsys) -> None:
    (tmp_path / "invoice").mkdir()
    (tmp_path / "invoice" / "a.png").write_bytes(documents.png(["A"]))
    (tmp_path / "invoice" / "a.json").write_text("{}")
    (tmp_path / "invoice" / "b.pdf").write_bytes(documents.pdf([["B"]]))
    (tmp_path / "invoice" / "bad.pdf").write_bytes(b"<html></html>")
    call_command("ingest_folder", str(tmp_path))
    assert "2 accepted, 0 duplicates, 1 rejected" in capsys.readouterr().out


@pytest.mark.django_db
def test_ingest_folder_applies_the_upload_size_limit_unless_told_otherwise(
    tmp_path, capsys, settings
) -> None:
    settings.DOCSITE_MAX_UPLOAD_MB = 1
    folder = tmp_path / "scans"
    folder.mkdir()
    big = documents.png(["BIG"]) + b"\0" * (1024 * 1024)  # trailing bytes after the image's end
    (folder / "big.png").write_bytes(big)
    (folder / "small.png").write_bytes(documents.png(["SMALL"]))
    call_command("ingest_folder", str(folder))
    out = capsys.readouterr()
    assert "1 accepted, 0 duplicates, 1 rejected" in out.out
    assert "big.png" in out.err and "limit is 1 MB" in out.err
    assert Document.objects.count() == 1
    call_command("ingest_folder", str(folder), "--max-mb", "2")
    assert "1 accepted, 1 duplicates, 0 rejected" in capsys.readouterr().out
    assert Document.objects.count() == 2
    with pytest.raises(CommandError, match="--max-mb"):
        call_command("ingest_folder", str(folder), "--max-mb", "0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return bool(response.status)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


STATUS_SQL = "select status from classification_document"


def _sqlite_status(db: Path) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(STATUS_SQL).fetchone()
    return row[0] if row else None


def _postgres_status(url: str) -> str | None:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(STATUS_SQL).fetchone()
    return row[0] if row else None


@pytest.fixture
def scaleout_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one run of the site, dropped afterwards."""
    if not reachable(6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    with fresh_database("docsite_scaleout") as url:
        yield url


@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
def test_serve_runs_web_and_worker_processes_a_document_and_stops_both_on_ctrl_c(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "DOCSITE_DATA_DIR": str(tmp_path),
        "DOCSITE_WORKERS": "1",
        "DOCSITE_ADMIN_PASSWORD": "a long test password",
        "DOCSITE_BROKER_POLL": "0.2",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DOCSITE_BROKER", None)
    _run_site_and_process_one_document(
        tmp_path, env, lambda: _sqlite_status(tmp_path / "docsite.sqlite3")
    )


@pytest.mark.postgres
@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
def test_the_scaleout_configuration_works_on_postgresql_and_redis(
    tmp_path: Path, scaleout_database: str
) -> None:
    env = {
        **os.environ,
        "DOCSITE_DATA_DIR": str(tmp_path),
        "DOCSITE_WORKERS": "1",
        "DATABASE_URL": scaleout_database,
        "DOCSITE_BROKER": "redis",
        "DOCSITE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "DOCSITE_CLUSTER_NAME": f"docsite-test-{os.getpid()}",
    }
    _run_site_and_process_one_document(tmp_path, env, lambda: _postgres_status(scaleout_database))


def _run_site_and_process_one_document(
    tmp_path: Path, env: dict[str, str], status: Callable[[], str | None]
) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    port = _free_port()
    server = subprocess.Popen(
        [*manage, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert _wait(lambda: _answers(f"http://127.0.0.1:{port}/login/"), 30)
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "scan.png").write_bytes(documents.png(["SERVED"]))
        subprocess.run([*manage, "ingest_folder", str(folder)], env=env, check=True, cwd=ROOT)
        assert _wait(lambda: status() == "needs_review", 60), status()
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        output = server.communicate(timeout=40)[0].decode()
    assert server.returncode == 0, output
    assert "Docsite is running at http://127.0.0.1:" in output
    assert "Docsite stopped." in output
    leftover = subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "a process of the site outlived Ctrl-C"


@pytest.mark.django_db
def test_the_admin_role_opens_the_django_admin(client_for, outsider) -> None:
    from django.contrib.auth.models import Group

    assert client_for(outsider).get("/admin/").status_code == 302
    outsider.groups.add(Group.objects.get(name="admin"))
    outsider.refresh_from_db()
    assert outsider.is_staff
    client = client_for(outsider)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/classification/documenttype/").status_code == 200
