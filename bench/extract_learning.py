"""Learning from corrections, measured: ``python -m bench.extract --data DIR --learn K``.

Documents (their first page, as ``bench.extract`` reads receipts and invoices) are grouped by
layout as the product compares them: each joins the earliest group whose first document's
``memory.fingerprint`` is alike enough (``memory.best_match``), in sorted file order. In each
group the first K are corrected the way a labeler would: every field shown wrong (learned values
first, then the rules, as the product extracts them) is picked on the page where its true value
is (``memory.locate``: the words that read as the value, or most like it when OCR misread them;
a value the page does not show cannot be picked and is skipped) and learned, a correction in a
known layout updating that layout's memory as ``classification.fieldmemory`` does. The other
documents of the groups are then extracted twice, ``before`` with the rules only and ``after``
with the learned values first, so the gain is measured on the same documents; ``fixed`` and
``broken`` count the fields learning turned right and wrong. ``grouping`` says how the
fingerprint groups fit the true vendors (exact after keeping letters and digits, so a vendor
the truth spells two ways, or a chain's branches, count as several).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import dataset
from bench.extract import SCHEMAS, _truth, matches, number_words
from classification.extraction import memory
from classification.extraction.fields import Extracted, extract_fields, name_words

Anchors = dict[str, dict[str, Any]]
Counts = dict[str, dict[str, dict[str, int]]]


@dataclass
class _Document:
    item: dataset.Item
    truth: dict[str, Any]
    page: dataset.PageData
    fingerprint: str
    numbers: list[Any] | None  # PP-OCR's words for the rules, with --ppocr

    def extract(self, anchors: Anchors | None) -> dict[str, Extracted]:
        """Learned values first (with ``anchors``), then the rules, as ``fieldstore.extract``."""
        schema = SCHEMAS.get(self.item.label, [])
        words, width, height = self.page.words, self.page.width, self.page.height
        text_words = name_words(words, self.numbers) if self.numbers else None
        learned = memory.apply_all(words, width, height, anchors or {}, schema, text_words)
        # A learned value the page barely supports leaves the field to the rules, if they find it.
        found = memory.ahead_of_rules(learned, dict(schema), bool(self.numbers))
        missing = [(name, kind) for name, kind in schema if name not in found]
        ruled = extract_fields(words, width, height, missing, number_words=self.numbers)
        return {**learned, **ruled, **found}

    def right(self, name: str, kind: str, found: dict[str, Extracted]) -> bool:
        got = found.get(name)
        return matches(self.truth[name], got.value if got else None, kind)


def _documents(data: Path, types: list[str], limit: int | None, ppocr: bool) -> list[_Document]:
    out: list[_Document] = []
    done: Counter[str] = Counter()
    for item in (i for i in dataset.dedupe(dataset.list_items(data)) if i.label in types):
        truth = _truth(item)
        if truth is None or done[item.label] == limit:
            continue
        done[item.label] += 1
        page = dataset.first_page(item)
        fingerprint = memory.fingerprint(page.words, page.width, page.height)
        numbers = number_words(item, page) if ppocr else None
        out.append(_Document(item, truth, page, fingerprint, numbers))
    return out


def _groups(documents: list[_Document]) -> list[list[_Document]]:
    """Documents of one type by layout: each joins the group whose first document's
    fingerprint is most alike, else starts one (a page without a fingerprint is alone)."""
    groups: dict[tuple[str, str], list[_Document]] = {}
    for doc in documents:
        leaders = [fp for label, fp in groups if label == doc.item.label]
        match = memory.best_match(doc.fingerprint, leaders) if doc.fingerprint else None
        key = (doc.item.label, match or doc.fingerprint or str(doc.item.path))
        groups.setdefault(key, []).append(doc)
    return list(groups.values())


def _vendor(truth: dict[str, Any]) -> str:
    return re.sub(r"[^0-9A-Z]+", "", str(truth.get("vendor", "")).upper())


def _grouping(groups: list[list[_Document]]) -> dict[str, Any]:
    """Purity: the share of documents whose group's most common vendor is theirs; together:
    the share whose vendor's most common group is theirs."""
    vendors = [[_vendor(d.truth) for d in g if _vendor(d.truth)] for g in groups]
    documents = sum(len(g) for g in vendors)
    pure = sum(Counter(g).most_common(1)[0][1] for g in vendors if g)
    by_vendor: dict[str, Counter[int]] = {}
    for number, group in enumerate(vendors):
        for vendor in group:
            by_vendor.setdefault(vendor, Counter())[number] += 1
    together = sum(c.most_common(1)[0][1] for c in by_vendor.values())
    return {
        "groups": len(groups),
        "documents_in_groups_of_two_or_more": sum(len(g) for g in groups if len(g) > 1),
        "vendors": len(by_vendor),
        "vendor_purity": round(pure / documents, 4) if documents else None,
        "vendor_together": round(together / documents, 4) if documents else None,
    }


def _accuracies(counts: Counts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    accuracies = []
    for label, per_field in sorted(counts.items()):
        out[label] = {}
        for name, slot in per_field.items():
            accuracy = round(slot["correct"] / slot["n"], 4) if slot["n"] else None
            if accuracy is not None:
                accuracies.append(accuracy)
            out[label][name] = {**slot, "accuracy": accuracy}
    out["overall_mean"] = round(statistics.fmean(accuracies), 4) if accuracies else None
    return out


class _Store:
    """Memories as the product keeps them: anchors per layout (the fingerprint of the first
    document corrected in it) and field; a page uses the layout most alike to its own."""

    def __init__(self) -> None:
        self.layouts: dict[tuple[str, str], Anchors] = {}

    def layout(self, doc: _Document) -> tuple[str, str] | None:
        known = [fp for label, fp in self.layouts if label == doc.item.label]
        match = memory.best_match(doc.fingerprint, known) if doc.fingerprint else None
        return (doc.item.label, match) if match is not None else None

    def anchors(self, doc: _Document) -> Anchors:
        key = self.layout(doc)
        return self.layouts[key] if key else {}

    def learn(self, doc: _Document, name: str, anchor: dict[str, Any]) -> None:
        key = self.layout(doc) or (doc.item.label, doc.fingerprint)
        layout = self.layouts.setdefault(key, {})
        layout[name] = memory.merge(layout.get(name), anchor)


def run(
    data: Path, types: list[str], limit: int | None, k: int, use_ppocr: bool = False
) -> dict[str, Any]:
    """Correct the first ``k`` documents of each layout, then measure the rest before and
    after learning (see the module's doc)."""
    groups = _groups(_documents(data, types, limit, use_ppocr))
    store = _Store()
    learned = not_on_page = corrected = 0
    for doc in (d for group in groups for d in group[:k]):
        corrected += 1
        shown = doc.extract(store.anchors(doc))
        page = doc.page
        for name, kind in SCHEMAS.get(doc.item.label, []):
            truth = doc.truth.get(name)
            if truth in (None, "", []) or doc.right(name, kind, shown) or not doc.fingerprint:
                continue
            picked = memory.locate(page.words, page.width, page.height, kind, str(truth))
            anchor = memory.learn(
                page.words, page.width, page.height, kind, str(truth), indices=picked
            )
            if not picked or anchor is None:
                not_on_page += 1
                continue
            store.learn(doc, name, anchor)
            learned += 1
    before: Counts = {}
    after: Counts = {}
    rest = [doc for group in groups for doc in group[k:]]
    for doc in rest:
        rules, taught = doc.extract(None), doc.extract(store.anchors(doc))
        for name, kind in SCHEMAS.get(doc.item.label, []):
            if doc.truth.get(name) in (None, "", []):
                continue
            was, now = doc.right(name, kind, rules), doc.right(name, kind, taught)
            for counts, right in ((before, was), (after, now)):
                slot = counts.setdefault(doc.item.label, {}).setdefault(
                    name, {"n": 0, "correct": 0}
                )
                slot["n"] += 1
                slot["correct"] += right
            slot = after[doc.item.label][name]
            slot["learned"] = slot.get("learned", 0) + (
                name in taught and taught[name].source == memory.SOURCE
            )
            slot["fixed"] = slot.get("fixed", 0) + (now and not was)
            slot["broken"] = slot.get("broken", 0) + (was and not now)
    return {
        "k": k,
        "grouping": _grouping(groups),
        "corrected_documents": corrected,
        "corrections_learned": learned,
        "corrections_not_on_page": not_on_page,
        "layouts_learned": len(store.layouts),
        "documents": len(rest),
        "before": _accuracies(before),
        "after": _accuracies(after),
    }
