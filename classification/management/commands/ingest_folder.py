"""Upload every document file under a folder, as the upload page would (used by `make demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classification import intake, services

EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def document_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)


class Command(BaseCommand):
    help = "Ingest all PDF/PNG/JPEG/TIFF files under DIR; the worker cluster processes them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--user", default="", help="Username recorded as the uploader")
        parser.add_argument(
            "--max-mb",
            type=int,
            default=None,
            help="Largest file taken, in MB (default DOCSITE_MAX_UPLOAD_MB, as the upload page)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}")
        max_mb = options["max_mb"]
        if max_mb is not None and max_mb < 1:
            raise CommandError("--max-mb must be 1 or more")
        limit_mb = max_mb if max_mb is not None else int(settings.DOCSITE_MAX_UPLOAD_MB)
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        for path in document_files(folder):
            try:
                size = path.stat().st_size
                if size > limit_mb * 1024 * 1024:
                    raise intake.RejectedUpload(
                        "file_too_large",
                        f"The file is {size / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB "
                        "(--max-mb, else DOCSITE_MAX_UPLOAD_MB).",
                    )
                result = services.ingest_upload(path.read_bytes(), path.name, user)
                counts[result.outcome] += 1
            except intake.RejectedUpload as exc:
                counts["rejected"] += 1
                self.stderr.write(f"{path}: {exc.message}")
        self.stdout.write(
            f"{counts['accepted']} accepted, {counts['duplicate']} duplicates, "
            f"{counts['rejected']} rejected from {folder}"
        )
