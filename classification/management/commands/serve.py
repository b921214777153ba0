"""Run the web server and one django-q2 worker cluster together, in the foreground.

Ctrl-C (or SIGTERM) stops both; if the worker cluster dies, the web server stops too, so the
site is never up with nobody processing uploads.
"""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections


class Command(BaseCommand):
    help = "Serve Docsite on HOST:PORT with a worker cluster beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("DOCSITE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DOCSITE_PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8, help="Web server threads")
        parser.add_argument("--no-worker", action="store_true", help="Web server only")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from docsite.wsgi import application

        # A process started in the background inherits SIGINT as ignored, and then neither
        # Ctrl-C nor interrupt_main() from the watcher would stop the server: install both.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: _thread.interrupt_main())
        stopping = threading.Event()
        worker = None if options["no_worker"] else self._start_worker(stopping)
        host, port = options["host"], options["port"]
        workers = "off" if worker is None else f"{settings.Q_CLUSTER['workers']} workers"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDocsite is running at http://{host}:{port}/\n"
                f"Log in as '{os.environ.get('DOCSITE_ADMIN_USER') or 'admin'}' with the password "
                "printed when the account was created (or DOCSITE_ADMIN_PASSWORD).\n"
                f"Worker cluster: {workers}"
                f" · data in {settings.DATA_DIR} · press Ctrl-C to stop.\n"
            )
        )
        try:
            serve(
                application,
                host=host,
                port=port,
                threads=options["threads"],
                ident="docsite",
                _quiet=True,
            )
        except KeyboardInterrupt:
            pass
        finally:
            stopping.set()
            if worker is not None:
                self._stop_worker(worker)
            self.stdout.write("Docsite stopped.")
            self._exit_now()

    def _exit_now(self) -> None:
        """Exit now, without waiting for interpreter shutdown.

        Everything the site started has stopped by here. Seen intermittently with PostgreSQL +
        Redis: the process then still waited at exit (a library's thread or exit hook), so
        Ctrl-C seemed to hang the site. Name any non-daemon thread, then leave.
        """
        lingering = [
            t.name
            for t in threading.enumerate()
            if not t.daemon and t is not threading.main_thread()
        ]
        if lingering:
            self.stderr.write(f"Exiting with threads still running: {', '.join(lingering)}")
        connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    def _start_worker(self, stopping: threading.Event) -> subprocess.Popen[bytes]:
        manage = Path(settings.BASE_DIR) / "manage.py"
        # Its own process group: Ctrl-C reaches only this process, which then sends the
        # cluster exactly one SIGTERM. A SIGINT from the terminal plus our SIGTERM sometimes
        # left django-q2's shutdown hanging.
        worker = subprocess.Popen([sys.executable, str(manage), "qcluster"], start_new_session=True)

        def watch() -> None:
            code = worker.wait()
            if not stopping.is_set():
                self.stderr.write(f"The worker cluster exited (code {code}); stopping the site.")
                _thread.interrupt_main()

        threading.Thread(target=watch, daemon=True, name="watch-qcluster").start()
        return worker

    def _stop_worker(self, worker: subprocess.Popen[bytes]) -> None:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Kill the whole group, so no worker process outlives the cluster's main process.
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
