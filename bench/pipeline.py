"""Pipeline throughput on a folder of real documents, against Tesseract alone.

    .venv/bin/python -m bench.pipeline --data DIR --workers W [--limit N] [--keep DIR]

Every document file under ``DIR/<type>/`` goes through the real code: ``services.ingest_upload``
into a fresh SQLite database and media folder, then ``pipeline.process_document`` in W worker
processes (as W django-q2 workers would run it). Afterwards the same pages are rendered again
at OCR resolution and given to Tesseract (``classification.ocr.recognise``) with the same total
parallelism, W x DOCSITE_OCR_PARALLEL at once, so the two rates can be compared.

Exactly one JSON line goes to stdout; logs go to stderr. See bench/README.md for the keys.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

log = logging.getLogger("bench.pipeline")

# Variables that would point the bench at another database or media folder than its own.
_FOREIGN_ENV = ("DATABASE_URL", "DATABASE_URL_FILE", "DOCSITE_MEDIA_ROOT")


# --- Statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def summary(values: Sequence[float]) -> tuple[float | None, float | None]:
    return _round(percentile(values, 0.5)), _round(percentile(values, 0.95))


def per_minute(count: int, seconds: float) -> float | None:
    return round(count * 60.0 / seconds, 2) if seconds > 0 else None


# --- CPU accounting --------------------------------------------------------------------------


def own_cpu_seconds() -> float:
    """User+system CPU of this process (all threads) and of its children already waited for."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def machine_busy_cpu_seconds() -> float | None:
    """CPU seconds every process on the machine has used since boot (Linux); None elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if fields[0] != "cpu":
        return None
    ticks = [int(value) for value in fields[1:9]]  # user nice system idle iowait irq softirq steal
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Machine-wide busy CPU over a phase, to tell how much of it others used meanwhile."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.busy = machine_busy_cpu_seconds()

    def report(self, prefix: str, own_cpu: float) -> dict[str, Any]:
        wall = time.perf_counter() - self.started
        busy_now = machine_busy_cpu_seconds()
        busy = None if self.busy is None or busy_now is None else busy_now - self.busy
        others = None if busy is None else max(0.0, busy - own_cpu)
        cores = os.cpu_count() or 1
        return {
            f"{prefix}_cpu_seconds": round(own_cpu, 2),
            f"{prefix}_machine_busy_cpu_seconds": _round(busy, 2),
            f"{prefix}_others_cpu_share": _round(others / (wall * cores), 3)
            if others is not None and wall > 0
            else None,
        }


# --- Choosing the files ----------------------------------------------------------------------


def round_robin(groups: dict[str, list[Path]], limit: int | None) -> list[Path]:
    """Take files one per group in turn (groups and files in sorted order) up to ``limit``."""
    queues = [list(files) for _, files in sorted(groups.items())]
    chosen: list[Path] = []
    index = 0
    while any(queues) and (limit is None or len(chosen) < limit):
        queue = queues[index % len(queues)]
        if queue:
            chosen.append(queue.pop(0))
        index += 1
    return chosen


def select_files(folder: Path, limit: int | None) -> list[Path]:
    from classification.management.commands.ingest_folder import document_files

    groups: dict[str, list[Path]] = {}
    for path in document_files(folder):
        relative = path.relative_to(folder)
        group = relative.parts[0] if len(relative.parts) > 1 else "."
        groups.setdefault(group, []).append(path)
    if limit is None:
        return [path for _, files in sorted(groups.items()) for path in files]
    return round_robin(groups, limit)


# --- Worker processes ------------------------------------------------------------------------


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings")
    django.setup()


def _worker_init() -> None:
    _setup_django()


def _worker_process(document_id: int) -> dict[str, Any]:
    """Run one document as the django-q2 task would, timing it from the outside."""
    from django.db import close_old_connections

    from classification import pipeline

    close_old_connections()
    cpu_before = own_cpu_seconds()
    started_at = time.time()
    started = time.perf_counter()
    error = ""
    try:
        outcome = pipeline.process_document(document_id)
    except Exception as exc:  # the task itself crashed: reported, not fatal to the bench
        logging.getLogger("bench.pipeline").exception("document=%s task crashed", document_id)
        outcome, error = "crashed", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    return {
        "cpu": own_cpu_seconds() - cpu_before,
        "id": document_id,
        "outcome": outcome,
        "error": error,
        "start": started_at,
        "end": started_at + seconds,
        "seconds": seconds,
        "pid": os.getpid(),
    }


def _render_for_ocr(
    document_id: int, source: str, mime_type: str, options: tuple[int, int, int], out_dir: str
) -> list[str]:
    """Render a document's pages as the pipeline does and store them, grayscale, as PNG."""
    from classification import rendering

    data = Path(source).read_bytes()
    render_options = rendering.RenderOptions(
        dpi=options[0], ocr_max_side=options[1], max_pages=options[2]
    )
    paths = []
    for number, image in enumerate(rendering.iter_page_images(data, mime_type, render_options), 1):
        path = Path(out_dir) / f"{document_id:06d}-{number:04d}.png"
        image.convert("L").save(path, format="PNG", compress_level=1)
        paths.append(str(path))
    return paths


# --- The steps -------------------------------------------------------------------------------


def _prepare_environment(data_dir: Path) -> None:
    for name in _FOREIGN_ENV:
        if os.environ.pop(name, None) is not None:
            log.warning("ignoring %s: the bench uses its own SQLite database and media", name)
    os.environ["DOCSITE_DATA_DIR"] = str(data_dir)
    os.environ["DOCSITE_TASKS_SYNC"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "docsite.settings"
    os.environ["OMP_THREAD_LIMIT"] = "1"


def ingest(files: Iterable[Path]) -> tuple[list[int], dict[str, Any]]:
    """Upload each file as the upload page would; return the ids to process, and counts."""
    from classification import intake, services

    queued: list[int] = []
    original = services.enqueue_processing
    # ingest_upload enqueues on commit, and with DOCSITE_TASKS_SYNC the task would run inline
    # here: collect the ids instead and let the worker processes run them.
    services.enqueue_processing = queued.append  # type: ignore[assignment]
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    started = time.perf_counter()
    try:
        for path in files:
            try:
                result = services.ingest_upload(path.read_bytes(), path.name, None)
            except intake.RejectedUpload as exc:
                rejected[exc.code] += 1
                log.warning("%s rejected: %s", path, exc.message)
                continue
            counts[result.outcome] += 1
    finally:
        services.enqueue_processing = original
    return queued, {
        "accepted": counts["accepted"],
        "duplicates": counts["duplicate"],
        "rejected": sum(rejected.values()),
        "rejected_reasons": dict(rejected),
        "seconds": round(time.perf_counter() - started, 3),
    }


def run_pipeline(
    document_ids: list[int], workers: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Process the documents in ``workers`` processes; the task records and the CPU figures."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_init
    ) as pool:
        # Start every worker (and its django.setup()) before the clock starts.
        for _ in range(10):
            if len(set(pool.map(_noop, range(workers)))) == workers:
                break
        meter = CpuMeter()
        results = []
        for result in pool.map(_worker_process, document_ids, chunksize=1):
            results.append(result)
            if len(results) % 50 == 0:
                log.info("pipeline: %d of %d documents", len(results), len(document_ids))
        cpu = meter.report("pipeline", sum(task["cpu"] for task in results))
    return results, cpu


def _noop(_: int) -> int:
    time.sleep(1.0)  # long enough that a worker still starting up takes one too
    return os.getpid()


def tesseract_alone(
    document_ids: list[int], concurrency: int, out_dir: Path, render_processes: int
) -> dict[str, Any]:
    """Render the processed pages again (untimed), then time Tesseract on them alone."""
    from django.conf import settings

    from classification import ocr, storage
    from classification.models import Document

    options = (settings.DOCSITE_OCR_DPI, settings.DOCSITE_OCR_MAX_SIDE, settings.DOCSITE_MAX_PAGES)
    documents = list(Document.objects.filter(pk__in=document_ids).order_by("pk"))
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=render_processes, mp_context=context) as pool:
        futures = [
            pool.submit(
                _render_for_ocr,
                doc.pk,
                str(storage.absolute(doc.original_path)),
                doc.mime_type,
                options,
                str(out_dir),
            )
            for doc in documents
        ]
        pages = [path for future in futures for path in future.result()]
    log.info(
        "rendered %d pages for Tesseract alone in %.1fs", len(pages), time.perf_counter() - started
    )

    from PIL import Image

    from classification import rendering

    lang, timeout = settings.DOCSITE_OCR_LANG, settings.DOCSITE_OCR_TIMEOUT
    spans: list[tuple[float, float]] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()

    def one(path: str) -> None:
        with Image.open(path) as stored:
            # Exactly the image the pipeline gives Tesseract (grayscale, small scans enlarged).
            image = rendering.prepare_for_ocr(stored, settings.DOCSITE_OCR_MIN_SIDE)
        begin = time.perf_counter()
        try:
            ocr.recognise(image, lang=lang, timeout=timeout)
        except ocr.OcrError as exc:
            with lock:
                errors[str(exc)[:200]] += 1
            return
        with lock:
            spans.append((begin, time.perf_counter()))
            if len(spans) % 100 == 0:
                log.info("Tesseract alone: %d of %d pages", len(spans), len(pages))

    meter, cpu_before = CpuMeter(), own_cpu_seconds()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="alone") as threads:
        list(threads.map(one, pages))
    cpu = meter.report("tesseract_alone", own_cpu_seconds() - cpu_before)
    seconds = [end - begin for begin, end in spans]
    wall = (max(end for _, end in spans) - min(begin for begin, _ in spans)) if spans else 0.0
    median, p95 = summary(seconds)
    return {
        "tesseract_alone_pages": len(spans),
        "tesseract_alone_failed_pages": sum(errors.values()),
        "tesseract_alone_concurrency": concurrency,
        "tesseract_alone_wall_seconds": round(wall, 3),
        "tesseract_alone_pages_per_minute": per_minute(len(spans), wall),
        "tesseract_alone_page_seconds_median": median,
        "tesseract_alone_page_seconds_p95": p95,
        **cpu,
        "tesseract_alone_cpu_seconds_per_page": round(
            cpu["tesseract_alone_cpu_seconds"] / len(spans), 3
        )
        if spans
        else None,
    }


def pipeline_report(tasks: list[dict[str, Any]]) -> tuple[dict[str, Any], list[int]]:
    """The pipeline's half of the report, and the ids of the documents processed fine."""
    from classification.models import Document, Page

    by_id = {task["id"]: task for task in tasks}
    documents = Document.objects.filter(pk__in=by_id).prefetch_related("pages")
    failed: Counter[str] = Counter()
    render: list[float] = []
    ocr_times: list[float] = []
    save: list[float] = []
    rest: list[float] = []
    overheads: list[float] = []
    done: list[int] = []
    for document in documents:
        task = by_id[document.pk]
        if document.status == Document.Status.FAILED:
            failed[document.error_message[:200] or "(no message)"] += 1
            continue
        if task["outcome"] != "done":
            failed[f"task outcome {task['outcome']}: {task['error']}"[:200]] += 1
            continue
        pages: list[Page] = list(document.pages.all())
        if not pages:
            failed["processed but no pages stored"] += 1
            continue
        done.append(document.pk)
        # What the task spent outside render+OCR+store of the pages: claim, loading the row,
        # storing the results in one transaction, logging.
        overhead = max(0.0, task["seconds"] - (document.processing_seconds or 0.0))
        overheads.append(overhead)
        for page in pages:
            render.append(page.render_seconds)
            ocr_times.append(page.ocr_seconds)
            save.append(page.save_seconds)
            rest.append(page.save_seconds + overhead / len(pages))
    wall = max(t["end"] for t in tasks) - min(t["start"] for t in tasks) if tasks else 0.0
    page_count = len(render)
    render_median, render_p95 = summary(render)
    ocr_median, ocr_p95 = summary(ocr_times)
    save_median, save_p95 = summary(save)
    rest_median, rest_p95 = summary(rest)
    doc_median, doc_p95 = summary([t["seconds"] for t in tasks])
    overhead_median, overhead_p95 = summary(overheads)
    return {
        "documents": len(tasks),
        "documents_done": len(done),
        "failed_documents": sum(failed.values()),
        "failed_reasons": dict(failed.most_common()),
        "pages": page_count,
        "wall_seconds": round(wall, 3),
        "pages_per_minute": per_minute(page_count, wall),
        "documents_per_minute": per_minute(len(tasks), wall),
        "page_render_seconds_median": render_median,
        "page_render_seconds_p95": render_p95,
        "page_ocr_seconds_median": ocr_median,
        "page_ocr_seconds_p95": ocr_p95,
        "page_save_and_overhead_share_seconds_median": rest_median,
        "page_save_and_overhead_share_seconds_p95": rest_p95,
        "page_save_seconds_median": save_median,
        "page_save_seconds_p95": save_p95,
        "document_overhead_seconds_median": overhead_median,
        "document_overhead_seconds_p95": overhead_p95,
        "document_task_seconds_median": doc_median,
        "document_task_seconds_p95": doc_p95,
    }, sorted(done)


# --- Entry point -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="DIR/<type>/<files>")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--limit", type=int, default=None, help="at most N files, taken round-robin across types"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="data folder to use and keep (must be empty)"
    )
    parser.add_argument(
        "--no-tesseract-alone", action="store_true", help="skip the Tesseract-alone comparison"
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"--data {args.data} is not a folder")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep} is not empty: the bench needs a fresh database")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    total_started = time.perf_counter()
    load_at_start = os.getloadavg()
    data_dir = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="docsite-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    _prepare_environment(data_dir)
    try:
        _setup_django()
        from django.conf import settings
        from django.core.management import call_command

        from classification import ocr

        if not ocr.available():
            raise SystemExit("Tesseract is not installed (apt-get install tesseract-ocr)")
        call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
        files = select_files(args.data.resolve(), args.limit)
        log.info("%d files from %s into %s", len(files), args.data, data_dir)
        document_ids, ingested = ingest(files)
        log.info("ingested: %s", ingested)

        parallel = int(settings.DOCSITE_OCR_PARALLEL)
        tasks, cpu = run_pipeline(document_ids, args.workers)
        report: dict[str, Any] = {"benchmark": "pipeline", "data": str(args.data.resolve())}
        report["files"] = len(files)
        report.update({f"ingest_{key}": value for key, value in ingested.items()})
        pipeline_part, done_ids = pipeline_report(tasks)
        report.update(pipeline_part)
        report.update(cpu)
        report["pipeline_cpu_seconds_per_page"] = (
            round(cpu["pipeline_cpu_seconds"] / report["pages"], 3) if report["pages"] else None
        )

        if args.no_tesseract_alone:
            report["tesseract_alone_pages"] = None
        else:
            with tempfile.TemporaryDirectory(prefix="docsite-bench-ocr-") as out_dir:
                report.update(
                    tesseract_alone(
                        done_ids,
                        args.workers * parallel,
                        Path(out_dir),
                        render_processes=os.cpu_count() or 1,
                    )
                )
            alone = report["tesseract_alone_pages_per_minute"]
            ours = report["pages_per_minute"]
            report["pipeline_vs_tesseract_alone"] = (
                round(ours / alone, 3) if alone and ours else None
            )
        report["settings"] = {
            "workers": args.workers,
            "ocr_parallel": parallel,
            "max_concurrent_tesseract": args.workers * parallel,
            "dpi": settings.DOCSITE_OCR_DPI,
            "ocr_max_side": settings.DOCSITE_OCR_MAX_SIDE,
            "ocr_min_side": settings.DOCSITE_OCR_MIN_SIDE,
            "page_max_side": settings.DOCSITE_PAGE_MAX_SIDE,
            "thumb_max_side": settings.DOCSITE_THUMB_MAX_SIDE,
            "ocr_lang": settings.DOCSITE_OCR_LANG,
            "max_pages": settings.DOCSITE_MAX_PAGES,
            "limit": args.limit,
            "tesseract_version": ocr.version(),
            "cpu_count": os.cpu_count(),
            "load_average_at_start": [round(value, 2) for value in load_at_start],
            "python": platform.python_version(),
            "data_dir": str(data_dir) if args.keep else None,
        }
        report["total_seconds"] = round(time.perf_counter() - total_started, 3)
    finally:
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
