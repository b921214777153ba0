"""``manage.py make_corpus``: write a deterministic synthetic document corpus for training/tests."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from classification.corpus import CORPUS_TYPES, SMALL_PAGE_SIZE, generate_corpus


class Command(BaseCommand):
    help = (
        "Write synthetic document images (PNG/JPEG and multi-page PDF) with json ground truth "
        "to OUT/<type>/<name>.<ext> + OUT/<type>/<name>.json. The same seed gives the same bytes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="output folder")
        parser.add_argument("--per-type", type=int, default=10, help="documents per type")
        parser.add_argument("--seed", type=int, default=0, help="random seed")
        parser.add_argument(
            "--types",
            default="",
            help=f"comma-separated subset of: {', '.join(CORPUS_TYPES)} (default: all)",
        )
        parser.add_argument(
            "--small",
            action="store_true",
            help=f"small pages ({SMALL_PAGE_SIZE[0]}x{SMALL_PAGE_SIZE[1]} px) for fast tests",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        types = [t.strip() for t in options["types"].split(",") if t.strip()] or list(CORPUS_TYPES)
        unknown = sorted(set(types) - set(CORPUS_TYPES))
        if unknown:
            raise CommandError(
                f"unknown type(s) {', '.join(unknown)}; choose from {', '.join(CORPUS_TYPES)}"
            )
        if options["per_type"] < 1:
            raise CommandError("--per-type must be at least 1")
        started = time.monotonic()
        paths = generate_corpus(
            options["out"],
            per_type=options["per_type"],
            seed=options["seed"],
            types=types,
            page_size=SMALL_PAGE_SIZE if options["small"] else None,
        )
        formats = Counter(p.suffix.lstrip(".").upper() for p in paths)
        by_format = ", ".join(f"{n} {fmt}" for fmt, n in sorted(formats.items()))
        self.stdout.write(
            f"Wrote {len(paths)} documents ({by_format}) of {len(types)} types to "
            f"{options['out']} in {time.monotonic() - started:.1f}s (seed {options['seed']})."
        )
