"""Field extraction: the rule-based extractor against the ground-truth fields of real documents.

    .venv/bin/python -m bench.extract --data DIR [--types receipt,invoice] [--limit N]

Every document of the chosen types with a ground-truth ``<name>.json`` in ``DIR/<type>/`` has its
first page rendered and OCR'd as the pipeline does (``bench.dataset``, cached by content hash);
the type's seeded fields are extracted from the OCR words by
``classification.extraction.fields`` and compared with the truth after normalisation (dates to
ISO, money to a two-place decimal, text and identifiers case-folded with whitespace collapsed, a
list as a set of normalised strings). A contract (a schema ``extraction.contracts`` reads) is
read instead from the pages the product reads (its first and last pages,
``contracts.pages_to_read``), words from the PDF's text layer as the pipeline takes them (no OCR,
so no cache; a page without usable text is OCR'd), by ``classification.extraction.contracts``.
Any other PDF has its later pages read too, up to the product's ``fields.PAGES_READ``, the
same way: a field the first page lacks is taken from the next page that has it, and a total the
rules were unsure of (``fields.WEAK_TOTAL``) gives way to a surer one, as the product does.
A field counts for a document when its truth is present; a field the extractor leaves out
counts as wrong.

One JSON line goes to stdout: per type and field ``n``, ``correct`` and ``accuracy``;
``overall_mean`` (the mean of the per-field accuracies), ``ms_per_page_median`` (extraction
only, OCR excluded) and the arguments; ``ms_per_document`` the same per type (a contract is
several pages, its text reading excluded).

``--learn K`` adds ``learn``: the same documents extracted before and after learning from the
corrections of K documents per vendor or layout (``bench/extract_learning.py``).

Documents are read in order, each type's sorted by file name, and an address read slightly
differently from how earlier documents of the same place (postcode, else vendor) read it takes
their reading, as the product does (``classification.extraction.consensus``); ``consensus``
counts the values it changed. ``--no-consensus`` reads every document on its own.

``--ppocr`` reads the dates and amounts of OCR'd first pages from PP-OCR's words as the product
does (``classification/ppocr.py``; readings cached by content hash and ``ppocr.VERSION``) and adds
``ppocr``: the pages read and the seconds a page; ``--workers N`` reads uncached pages in N
processes, ``--every N`` takes every Nth document of each type.

``--validate`` adds ``validation``: per type, what the product's routing would do with a
confidently (and correctly) classified document of it: the extracted values are checked against
the seeded schema (``classification.extraction.validation``, required fields included) and a
document with a problem goes to review. ``to_review`` / ``to_review_share``, the problems by
``field:code``, and against the truth: ``to_review_justified`` (a required field extracted
wrongly, or missing where the document has it), ``accepted_with_a_wrong_required_field`` (what
validation lets through).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import io
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from bench import dataset  # noqa: E402
from classification import intake, ocr, pdf, ppocr, rendering  # noqa: E402
from classification.extraction import (  # noqa: E402
    consensus,
    contracts,
    parsers,
    validation,
)
from classification.extraction.fields import (  # noqa: E402
    PAGES_READ,
    Extracted,
    extract_fields,
    read_on,
)

log = logging.getLogger("bench.extract")

# The seeded schemas: read from the migrations that seed them (0005, then 0014's fields and
# its dates that may not lie in the future), so the bench measures exactly the fields a new
# deployment has.
_SEED = importlib.import_module("classification.migrations.0005_seed_field_schemas")
_SEED_MORE = importlib.import_module("classification.migrations.0014_seed_subtotal_and_past_dates")
SEED_SPECS: dict[str, list[validation.FieldSpec]] = {
    type_name: [
        validation.FieldSpec(
            name,
            kind,
            required,
            not_in_future=kind == "date" and name in _SEED_MORE.PAST_DATES.get(type_name, ()),
        )
        for name, _label, kind, required in [*fields, *_SEED_MORE.ADDED_FIELDS.get(type_name, [])]
    ]
    for type_name, fields in _SEED.SEED_FIELDS.items()
}
# As (name, kind).
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    type_name: [(spec.name, spec.kind) for spec in specs] for type_name, specs in SEED_SPECS.items()
}


def normalise(value: Any, kind: str) -> Any:
    """A field value (true or extracted) in the form both are compared in; None if unreadable."""
    if value is None:
        return None
    if kind == "names":
        items = value if isinstance(value, list) else contracts.split_names(str(value))
        return frozenset(parsers.normalise_names(str(v) for v in items)) or None
    text = str(value)
    if kind == "date":
        parsed = parsers.parse_date(text)
        return parsed.iso if parsed else None
    if kind in ("money", "percentage"):
        if isinstance(value, int | float):
            return Decimal(str(value)).quantize(Decimal("0.01"))
        money = parsers.parse_money(text)
        if money is not None:
            return money.amount
        try:
            return Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation:
            return None
    if kind == "currency":
        return parsers.normalise_currency(text) or text.strip().upper() or None
    if kind == "account":
        return parsers.parse_iban(text) or parsers.normalise_text(text) or None
    return parsers.normalise_text(text) or None


def matches(expected: Any, extracted: Any, kind: str) -> bool:
    """Whether an extracted value equals the truth after normalisation."""
    truth = normalise(expected, kind)
    return truth is not None and truth == normalise(extracted, kind)


def matches_ignoring_punctuation(expected: Any, extracted: Any) -> bool:
    """A text value equal to the truth once spaces and punctuation are dropped as well: not the
    measure (exact match is), but how many misses are only "SDN. BHD." against "SDN BHD" or
    "BAHRU,JOHOR" against "BAHRU, JOHOR", which the truth itself writes both ways."""
    if expected is None or extracted is None:
        return False
    bare = [re.sub(r"[\W_]+", "", str(v)).casefold() for v in (expected, extracted)]
    return bool(bare[0]) and bare[0] == bare[1]


def _truth(item: dataset.Item) -> dict[str, Any] | None:
    path = item.path.with_suffix(".json")
    if not path.exists():
        return None
    fields = json.loads(path.read_text()).get("fields")
    return fields if isinstance(fields, dict) else None


def _new_slot() -> dict[str, Any]:
    counts = ("documents", "to_review", "to_review_justified")
    return {
        **dict.fromkeys(counts, 0),
        "accepted_with_a_wrong_required_field": 0,
        "problems": Counter(),
    }


def _validate(
    label: str, truth: dict[str, Any], found: dict[str, Any], slot: dict[str, Any]
) -> None:
    """Count what routing on field validation does with one correctly classified document."""
    specs = SEED_SPECS.get(label, [])
    values = {name: (e.value, e.raw) for name, e in found.items()}
    problems = validation.validate(values, specs, date.today())
    wrong = [
        s.name
        for s in specs
        if s.required
        and truth.get(s.name) not in (None, "", [])
        and not matches(truth[s.name], found[s.name].value if s.name in found else None, s.kind)
    ]
    slot["documents"] += 1
    slot["to_review"] += bool(problems)
    slot["to_review_justified"] += bool(problems) and bool(wrong)
    slot["accepted_with_a_wrong_required_field"] += not problems and bool(wrong)
    slot["problems"].update(f"{p.field}:{p.code}" for p in problems)


def _stored_size(width: int, height: int) -> tuple[int, int]:
    """The size of a page image of ``width`` x ``height`` once stored (``fit_within``)."""
    longest = max(width, height)
    if longest <= dataset.PAGE_MAX_SIDE:
        return width, height
    scale = dataset.PAGE_MAX_SIDE / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def contract_pages(item: dataset.Item) -> list[contracts.PageWords]:
    """The pages of a PDF the contract rules read, with words as the pipeline stores them:
    the text layer when it is usable, else Tesseract; boxes in stored-image pixels."""
    return pdf_pages(item, contracts.pages_to_read)


def pdf_pages(
    item: dataset.Item, choose: Callable[[int], Iterable[int]]
) -> list[contracts.PageWords]:
    """The pages ``choose(page count)`` of a PDF, read as the pipeline stores them (the text
    layer when it is usable, else Tesseract), boxes in stored-image pixels."""
    data = item.path.read_bytes()
    layers = list(pdf.iter_text_layers(data, dataset.OCR_DPI, dataset.OCR_MAX_SIDE, 10_000))
    pages = []
    for number in choose(len(layers)):
        layer = layers[number - 1]
        words: list[Any] = layer.words
        source_width, size = layer.width, (layer.width, layer.height)
        if not rendering.usable_text_layer(layer):
            image = pdf.render_page(data, number - 1, dataset.OCR_DPI, dataset.OCR_MAX_SIDE)
            ocr_image = rendering.prepare_for_ocr(image, dataset.OCR_MIN_SIDE)
            words, source_width = ocr.recognise(ocr_image).words, ocr_image.width
            size = image.size
        width, height = _stored_size(*size)
        scaled = [rendering.scale_word(w, width / source_width) for w in words]
        pages.append(contracts.PageWords(number, scaled, width, height))
    return pages


def _ppocr_path(sha256: str) -> Path:
    return dataset.cache_root() / f"ppocr-v{ppocr.VERSION}" / sha256[:2] / f"{sha256}-p1.json"


def number_words(item: dataset.Item, page: dataset.PageData) -> list[Any] | None:
    """PP-OCR's words on the first page as the product stores it (``fit_within``, encoded),
    cached by content hash and ``ppocr.VERSION``; None for a page read from its text layer (the
    product reads only OCR'd pages twice) or when the engine is unavailable."""
    if not ppocr.worth_reading(page.words):
        return None
    path = _ppocr_path(item.sha256)
    if path.exists():
        cached: dict[str, Any] = json.loads(path.read_text())
        return list(cached["words"])
    data = item.path.read_bytes()
    sniffed = intake.sniff(data)
    if sniffed is None:
        return None
    options = rendering.RenderOptions(dataset.OCR_DPI, dataset.OCR_MAX_SIDE, max_pages=1)
    image = next(rendering.iter_pages(data, sniffed[0], options)).image
    encoded, _ = rendering.encode_page(rendering.fit_within(image, dataset.PAGE_MAX_SIDE))
    with Image.open(io.BytesIO(encoded)) as stored:
        started = time.perf_counter()
        words = ppocr.recognise(stored)
        seconds = time.perf_counter() - started
    if words is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"words": words, "seconds": round(seconds, 3)}))
    tmp.replace(path)
    return list(words)


def ppocr_seconds(items: list[dataset.Item]) -> list[float]:
    """The PP-OCR seconds of each cached reading of ``items``."""
    paths = (_ppocr_path(item.sha256) for item in items)
    return [json.loads(p.read_text())["seconds"] for p in paths if p.exists()]


def _index_in_type(items: list[dataset.Item], n: int) -> int:
    """The position of ``items[n]`` among the items of its type."""
    return sum(1 for other in items[:n] if other.label == items[n].label)


def _warm_ppocr(item: dataset.Item) -> None:
    number_words(item, dataset.first_page(item))


def _extract(
    item: dataset.Item, schema: list[tuple[str, str]], use_ppocr: bool = False
) -> tuple[dict[str, Extracted], float, int]:
    """The fields the product's rules find in one document, the milliseconds they took
    (reading the text excluded) and the pages they read."""
    if contracts.is_contract_schema(schema) and item.path.suffix.lower() == ".pdf":
        pages = contract_pages(item)
        started = time.perf_counter()
        found = contracts.extract_contract_fields(pages, schema)
        ms = (time.perf_counter() - started) * 1000
        return {name: value for name, (_, value) in found.items()}, ms, max(1, len(pages))
    page = dataset.first_page(item)
    numbers = number_words(item, page) if use_ppocr else None
    started = time.perf_counter()
    extracted = extract_fields(page.words, page.width, page.height, schema, number_words=numbers)
    ms, read = (time.perf_counter() - started) * 1000, 1

    # What the next page is read for, as the product reads it (``fieldstore.extract``).
    if read_on(schema, extracted) and item.path.suffix.lower() == ".pdf":
        # A later page without a usable text layer is read by Tesseract alone here, where the
        # product would read its numbers with PP-OCR too.
        later = pdf_pages(item, lambda count: range(2, min(count, PAGES_READ) + 1))
        for other in later:
            missing = read_on(schema, extracted)
            if not missing:
                break
            started = time.perf_counter()
            more = extract_fields(other.words, other.width, other.height, missing)
            ms, read = ms + (time.perf_counter() - started) * 1000, read + 1
            for name, value in more.items():
                if name not in extracted or value.confidence > extracted[name].confidence:
                    extracted[name] = value
    return extracted, ms, read


def _readings(of_type: dict[tuple[str, str], list[str]], name: str, key: str) -> list[str]:
    return of_type.get((name, key), [])


def run(
    data: Path,
    types: list[str],
    limit: int | None,
    validate: bool = False,
    use_ppocr: bool = False,
    workers: int = 1,
    every: int = 1,
    agree: bool = True,
) -> dict[str, Any]:
    items = [i for i in dataset.dedupe(dataset.list_items(data)) if i.label in types]
    items = [i for n, i in enumerate(items) if _index_in_type(items, n) % every == 0]
    if use_ppocr and workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done_count, _ in enumerate(pool.map(_warm_ppocr, items, chunksize=1), 1):
                if done_count % 25 == 0:
                    log.info("PP-OCR: %d/%d pages", done_count, len(items))
    counts: dict[str, dict[str, dict[str, int]]] = {}
    checked: dict[str, dict[str, Any]] = {}
    timings: list[float] = []
    per_type_ms: dict[str, list[float]] = {}
    done: dict[str, int] = {}
    # What the rules read of each place's documents so far: type -> (field, key) -> readings,
    # as the product's FieldValue rows keep them (``fieldstore.agree``).
    readings: dict[str, dict[tuple[str, str], list[str]]] = {}
    agreed = 0
    for item in items:
        truth = _truth(item)
        if truth is None or done.get(item.label, 0) == limit:
            continue
        done[item.label] = done.get(item.label, 0) + 1
        schema = SCHEMAS.get(item.label, [])
        found, ms, pages_read = _extract(item, schema, use_ppocr)
        if agree:
            of_type = readings.setdefault(item.label, {})
            before = found
            started = time.perf_counter()  # part of extracting the page, as in the product
            keyed = consensus.keys(found, schema)
            found = consensus.apply(found, keyed, functools.partial(_readings, of_type))
            ms += (time.perf_counter() - started) * 1000
            agreed += sum(found[name] is not before[name] for name in found)
            for name, key in keyed.items():
                of_type.setdefault((name, key), []).append(found[name].raw)
        timings.append(ms / pages_read)  # a contract's rules read several pages
        per_type_ms.setdefault(item.label, []).append(ms)
        per_type = counts.setdefault(item.label, {})
        for name, kind in schema:
            if truth.get(name) in (None, "", []):
                continue
            slot = per_type.setdefault(name, {"n": 0, "correct": 0})
            slot["n"] += 1
            got = found.get(name)
            slot["correct"] += matches(truth[name], got.value if got else None, kind)
            if kind == "text":
                slot["correct_ignoring_punctuation"] = slot.get(
                    "correct_ignoring_punctuation", 0
                ) + matches_ignoring_punctuation(truth[name], got.value if got else None)
        if validate:
            _validate(item.label, truth, found, checked.setdefault(item.label, _new_slot()))
        if sum(done.values()) % 50 == 0:
            log.info("%d documents", sum(done.values()))
    report: dict[str, Any] = {"benchmark": "extract"}
    accuracies = []
    for label, per_field in sorted(counts.items()):
        report[label] = {}
        for name, slot in per_field.items():
            accuracy = round(slot["correct"] / slot["n"], 4)
            accuracies.append(accuracy)
            report[label][name] = {**slot, "accuracy": accuracy}
            if "correct_ignoring_punctuation" in slot:
                report[label][name]["accuracy_ignoring_punctuation"] = round(
                    slot["correct_ignoring_punctuation"] / slot["n"], 4
                )
    if validate:
        report["validation"] = {
            label: {
                **{k: v for k, v in slot.items() if k != "problems"},
                "to_review_share": round(slot["to_review"] / slot["documents"], 4),
                "problems": dict(slot["problems"].most_common()),
            }
            for label, slot in sorted(checked.items())
        }
    report["documents"] = sum(done.values())
    report["consensus"] = {"values_changed": agreed} if agree else None
    if use_ppocr:
        seconds = ppocr_seconds(items)
        report["ppocr"] = {
            "pages": len(seconds),
            "seconds_per_page_median": round(statistics.median(seconds), 3) if seconds else None,
            "seconds_per_page_mean": round(statistics.fmean(seconds), 3) if seconds else None,
        }
    report["overall_mean"] = round(statistics.fmean(accuracies), 4) if accuracies else None
    report["ms_per_page_median"] = round(statistics.median(timings), 3) if timings else None
    report["ms_per_page_max"] = round(max(timings), 3) if timings else None
    report["ms_per_document"] = {
        label: {"median": round(statistics.median(ms), 3), "max": round(max(ms), 3)}
        for label, ms in sorted(per_type_ms.items())
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--types", default="receipt,invoice", help="comma-separated type folders")
    parser.add_argument("--limit", type=int, default=None, help="documents per type at most")
    parser.add_argument(
        "--validate", action="store_true", help="also count what field validation sends to review"
    )
    parser.add_argument(
        "--learn",
        type=int,
        metavar="K",
        help="also learn from corrections of K documents per layout and measure the rest "
        "before and after (bench/extract_learning.py)",
    )
    parser.add_argument(
        "--ppocr",
        action="store_true",
        help="also read the number fields of OCR'd pages from PP-OCR's words, as the product "
        "does (cached under the bench cache; classification/ppocr.py)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="processes reading uncached pages with PP-OCR"
    )
    parser.add_argument(
        "--every", type=int, default=1, metavar="N", help="only every Nth document of each type"
    )
    parser.add_argument(
        "--no-consensus",
        action="store_true",
        help="read every document on its own, not as earlier documents of its place read it",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    report = run(
        args.data,
        types,
        args.limit,
        validate=args.validate,
        use_ppocr=args.ppocr,
        workers=args.workers,
        every=args.every,
        agree=not args.no_consensus,
    )
    report["args"] = {
        "data": str(args.data),
        "types": types,
        "limit": args.limit,
        "validate": args.validate,
        "ppocr": args.ppocr,
        "every": args.every,
        "consensus": not args.no_consensus,
    }
    if args.learn is not None:
        from bench import extract_learning  # it imports this module

        report["learn"] = extract_learning.run(
            args.data, types, args.limit, args.learn, use_ppocr=args.ppocr
        )
        report["args"]["learn"] = args.learn
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
