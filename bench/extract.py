"""Field extraction: the rule-based extractor against the ground-truth fields of real documents.

    .venv/bin/python -m bench.extract --data DIR [--types receipt,invoice] [--limit N]

Every document of the chosen types with a ground-truth ``<name>.json`` in ``DIR/<type>/`` has its
first page rendered and OCR'd as the pipeline does (``bench.dataset``, cached by content hash);
the type's seeded fields are extracted from the OCR words by
``classification.extraction.fields`` and compared with the truth after normalisation (dates to
ISO, money to a two-place decimal, text and identifiers case-folded with whitespace collapsed, a
list as a set of normalised strings). A field counts for a document when its truth is present;
a field the extractor leaves out counts as wrong.

One JSON line goes to stdout: per type and field ``n``, ``correct`` and ``accuracy``;
``overall_mean`` (the mean of the per-field accuracies), ``ms_per_page_median`` (extraction
only, OCR excluded) and the arguments.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import statistics
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import dataset  # noqa: E402
from classification.extraction import parsers  # noqa: E402
from classification.extraction.fields import extract_fields  # noqa: E402

log = logging.getLogger("bench.extract")

# The seeded schemas, as (name, kind): read from the migration that seeds them, so the bench
# measures exactly the fields a new deployment has.
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    type_name: [(name, kind) for name, _label, kind, _required in fields]
    for type_name, fields in importlib.import_module(
        "classification.migrations.0005_seed_field_schemas"
    ).SEED_FIELDS.items()
}


def normalise(value: Any, kind: str) -> Any:
    """A field value (true or extracted) in the form both are compared in; None if unreadable."""
    if value is None:
        return None
    if kind == "names":
        items = value if isinstance(value, list) else [value]
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


def _truth(item: dataset.Item) -> dict[str, Any] | None:
    path = item.path.with_suffix(".json")
    if not path.exists():
        return None
    fields = json.loads(path.read_text()).get("fields")
    return fields if isinstance(fields, dict) else None


def run(data: Path, types: list[str], limit: int | None) -> dict[str, Any]:
    items = [i for i in dataset.dedupe(dataset.list_items(data)) if i.label in types]
    counts: dict[str, dict[str, dict[str, int]]] = {}
    timings: list[float] = []
    done: dict[str, int] = {}
    for item in items:
        truth = _truth(item)
        if truth is None or done.get(item.label, 0) == limit:
            continue
        done[item.label] = done.get(item.label, 0) + 1
        schema = SCHEMAS.get(item.label, [])
        page = dataset.first_page(item)
        started = time.perf_counter()
        found = extract_fields(page.words, page.width, page.height, schema)
        timings.append((time.perf_counter() - started) * 1000)
        per_type = counts.setdefault(item.label, {})
        for name, kind in schema:
            if truth.get(name) in (None, "", []):
                continue
            slot = per_type.setdefault(name, {"n": 0, "correct": 0})
            slot["n"] += 1
            got = found.get(name)
            slot["correct"] += matches(truth[name], got.value if got else None, kind)
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
    report["documents"] = sum(done.values())
    report["overall_mean"] = round(statistics.fmean(accuracies), 4) if accuracies else None
    report["ms_per_page_median"] = round(statistics.median(timings), 3) if timings else None
    report["ms_per_page_max"] = round(max(timings), 3) if timings else None
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--types", default="receipt,invoice", help="comma-separated type folders")
    parser.add_argument("--limit", type=int, default=None, help="documents per type at most")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    report = run(args.data, types, args.limit)
    report["args"] = {"data": str(args.data), "types": types, "limit": args.limit}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
