"""A fresh PostgreSQL database on 127.0.0.1:5432 for one test, dropped afterwards."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG = "postgres://postgres@127.0.0.1:5432"


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """The URL of a new database ``<prefix>_<pid>``; the test is skipped without the server."""
    if not reachable(5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{PG}/{name}"
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
