"""What a vendor's documents agree on: an address read on one receipt the way it was read on the
vendor's others.

A shop prints the same address on every receipt; OCR misreads a character or a mark on one print
and not on the next ("Tampol" once among "Tampoi", "Kawasan Perindustrlan", "SETAPAK." for
"SETAPAK,"). ``agreed`` takes the reading the vendor's other documents share when this
document's reading differs from it only slightly: an OCR slip, not another place. The readings
are the rules' own, from documents nobody corrected; what a person corrects is learned apart
(``memory``, ``classification.fieldmemory``).

Plain functions, no Django: ``classification.fieldstore`` keeps each document's reading with its
vendor's key (``FieldValue.group_key``), ``bench.extract`` keeps them in memory in the same order.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from difflib import SequenceMatcher

from classification.extraction.fields import Extracted, names_issuer

# A reading another one replaces is at least this alike to it (``SequenceMatcher`` ratio of the
# two, case-folded, spaces collapsed): a few characters of an address, not another branch.
MIN_RATIO = 0.95
# Documents that must have read the agreed value, the same way, before it replaces a reading.
MIN_DOCUMENTS = 2
# Longest key kept (``FieldValue.group_key``).
KEY_LENGTH = 64


def applies(name: str, kind: str) -> bool:
    """Whether a field is one a vendor prints the same on every document: an address."""
    return kind == "text" and "address" in name.casefold()


def vendor_key(vendor: str | None) -> str:
    """The key a vendor's documents share: its name case-folded, without spaces and marks
    ("SDN. BHD." and "SDN BHD" alike); '' for none."""
    return re.sub(r"[\W_]+", "", (vendor or "").casefold())[:KEY_LENGTH]


def _plain(text: str) -> str:
    return " ".join(text.casefold().split())


def _same_numbers(a: str, b: str) -> bool:
    """No digit of one is another digit, or missing, in the other: "1214-JINJANG" and
    "1217-JINJANG" are two branches of a chain, however alike the rest."""
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = a[i1:i2], b[j1:j2]
        if op == "replace" and any(c.isdigit() for c in left) and any(c.isdigit() for c in right):
            return False
        if op in ("insert", "delete") and any(c.isdigit() for c in left + right):
            return False
    return True


def agreed(
    reading: str,
    others: Iterable[str],
    min_ratio: float = MIN_RATIO,
    min_documents: int = MIN_DOCUMENTS,
) -> str | None:
    """The value the vendor's other documents' readings (``others``) agree on, for a document
    that read ``reading``: the reading most of them share, by ``min_documents`` or more and
    more than share ``reading`` itself, when ``reading`` differs from it only by an OCR slip
    (``min_ratio`` alike, the same digits). None when ``reading`` stands: nothing agreed on,
    the same, or another place."""
    counts = Counter(text for text in others if text)
    if not reading or not counts:
        return None
    counts[reading] += 1
    (best, count), *rest = counts.most_common()
    if best == reading or count < min_documents or (rest and rest[0][1] == count):
        return None
    a, b = _plain(best), _plain(reading)
    if SequenceMatcher(None, a, b, autojunk=False).ratio() < min_ratio:
        return None
    return best if _same_numbers(a, b) else None


def group_key(found: Mapping[str, Extracted], fields: Iterable[tuple[str, str]]) -> str:
    """The vendor key of one document: from the value of its issuer field (``names_issuer``)
    the rules or a person's lesson found; '' when it has none."""
    for name, kind in fields:
        if names_issuer(name, kind) and name in found:
            return vendor_key(found[name].value)
    return ""


def apply(
    found: dict[str, Extracted],
    fields: Iterable[tuple[str, str]],
    readings: Callable[[str, str], Iterable[str]],
) -> dict[str, Extracted]:
    """``found`` (one document's values) with each rule value of an address field
    (``applies``) the vendor's documents agree on (``agreed``): ``readings(field name, vendor
    key)`` gives what the rules read on the vendor's other documents. The value changes, its
    ``raw`` stays the page's reading (what the next documents count) and its place stays."""
    fields = list(fields)
    key = group_key(found, fields)
    if not key:
        return found
    out = dict(found)
    for name, kind in fields:
        value = found.get(name)
        if value is None or value.source != "rule" or not applies(name, kind):
            continue
        better = agreed(value.raw, readings(name, key))
        if better is not None:
            out[name] = dataclasses.replace(value, value=better)
    return out


__all__ = [
    "MIN_DOCUMENTS",
    "MIN_RATIO",
    "agreed",
    "applies",
    "apply",
    "group_key",
    "vendor_key",
]
