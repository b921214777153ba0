"""What documents agree on: an address read on one receipt the way other documents read it.

A shop prints the same address on every receipt; OCR misreads a character or a mark on one print
and not on the next ("Tampol" once among "Tampoi", "Kawasan Perindustrlan", "SETAPAK." for
"SETAPAK,"). ``agreed`` takes the reading other documents of the same place share when this
document's reading differs from it only slightly: an OCR slip, not another place; where they
share no whole reading (each branch of a chain prints its own line under the address), it
corrects the runs of words most of them read alike (``_voted``). The readings are the rules'
own, from documents nobody corrected; what a person corrects is learned apart (``memory``,
``classification.fieldmemory``).

Which documents are of the same place (``place_key``): those whose address reads the same
postcode, read more surely than a shop's name (a vendor read "MR. D.I.Y. (M)" on one receipt and
"MR.DIY (M)" on the next is two vendors); without one, those of the same vendor. Documents of
one postcode but another address (two shops of a mall) are told apart by how alike the readings
are, and by their digits: a digit read otherwise is another unit or branch, never a slip.

Plain functions, no Django: ``classification.fieldstore`` keeps each document's reading with its
key (``FieldValue.group_key``), ``bench.extract`` keeps them in memory in the same order.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from difflib import SequenceMatcher

from classification.extraction.fields import KNOWN_WORDS, POSTCODE, Extracted, names_issuer

# A reading another one replaces is at least this alike to it (``SequenceMatcher`` ratio of the
# two, case-folded, spaces collapsed): a few characters of an address, not another branch.
MIN_RATIO = 0.95
# Characters (replaced, added or dropped) a reading may differ by from the one it gives way to:
# a few slips, not a branch's name ("(TESCO)" and "(AEON)" are four apart).
MAX_CHANGED = 3
# Documents that must have read the agreed value, the same way, before it replaces a reading.
MIN_DOCUMENTS = 2
# Distinct readings of a place's documents counted, the most frequent first.
READINGS = 50
# Longest key kept (``FieldValue.group_key``).
KEY_LENGTH = 64


def applies(name: str, kind: str) -> bool:
    """Whether a field is one a vendor prints the same on every document: an address."""
    return kind == "text" and "address" in name.casefold()


def vendor_key(vendor: str | None) -> str:
    """The key a vendor's documents share: its name case-folded, without spaces and marks
    ("SDN. BHD." and "SDN BHD" alike); '' for none."""
    return re.sub(r"[\W_]+", "", (vendor or "").casefold())[:KEY_LENGTH]


def _most_common(counts: Counter[str]) -> list[tuple[str, int]]:
    """``counts`` most frequent first, then in text order: the database's order."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _loses_a_word(ours: str, theirs: str) -> bool:
    """Whether ``theirs`` lacks an address word ``ours`` has ("JALAN" where most prints of a
    shop were misread "JAAN"): a misreading many documents share is not what a word is
    corrected to."""
    words = set(re.findall(r"[^\W\d_]+", theirs.casefold()))
    return any(
        w in KNOWN_WORDS and w not in words for w in re.findall(r"[^\W\d_]+", ours.casefold())
    )


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


# Readings of the place's documents that vote on a reading's words are at least this alike to
# it as a whole: the same address, give or take a branch's line.
SAME_ADDRESS = 0.8


# A run of words is a slip away from the others' reading of it when they differ by this many
# characters at most and are this alike: "7/1188" and "7/118B", not "Dinar" and "Olnar" (a
# misreading most prints share) or "3 FLOOR" and "3RD FLR" (another print).
SLIP = 2
SLIP_ALIKE = 0.75


def _changed(a: str, b: str) -> int:
    """Characters changed between ``a`` and ``b`` (each replaced, added or dropped one)."""
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")


def _in_case_of(text: str, model: str) -> str:
    """``text`` in the case ``model`` is written in (capitals, small letters), else as it is."""
    if model.isupper():
        return text.upper()
    if model.islower():
        return text.lower()
    return text


def _voted(reading: str, others: list[str], min_documents: int) -> str | None:
    """``reading`` with each run of its words that most of the other documents read
    otherwise, the same way ("7/1188" where they read "7/118B", "SETAPAK." for "SETAPAK,"),
    replaced by their reading when it is a slip away (``_same_numbers``); None when nothing
    changes. Documents whose reading is another address do not vote."""
    words = reading.split()
    folded = [w.casefold() for w in words]
    plain = _plain(reading)
    shares: list[set[int]] = []  # for each document, the positions of our words it read alike
    votes: dict[tuple[int, int], Counter[str]] = {}
    for other in others:
        if SequenceMatcher(None, _plain(other), plain, autojunk=False).ratio() < SAME_ADDRESS:
            continue
        theirs = other.split()
        ops = SequenceMatcher(None, folded, [w.casefold() for w in theirs], autojunk=False)
        shared: set[int] = set()
        for op, i1, i2, j1, j2 in ops.get_opcodes():
            if op == "equal":
                shared.update(range(i1, i2))
            elif op == "replace":
                votes.setdefault((i1, i2), Counter())[" ".join(theirs[j1:j2])] += 1
        shares.append(shared)
    out: list[str] = list(words)
    taken: set[int] = set()
    for (i1, i2), counted in sorted(votes.items(), key=lambda kv: -max(kv[1].values())):
        span = set(range(i1, i2))
        (other, count), *rest = counted.most_common()
        ours = 1 + sum(span <= shared for shared in shares)  # this document reads it so
        if span & taken or count < min_documents or count <= ours:
            continue
        if rest and rest[0][1] == count:
            continue
        mine = " ".join(words[i1:i2])
        a, b = mine.casefold(), other.casefold()
        alike = SequenceMatcher(None, a, b, autojunk=False).ratio()
        if alike < SLIP_ALIKE or _changed(a, b) > SLIP:
            continue
        if not _same_numbers(a, b) or _loses_a_word(a, b):
            continue
        out[i1:i2] = [_in_case_of(other, mine)] + [""] * (i2 - i1 - 1)
        taken |= span
    return " ".join(w for w in out if w) if taken else None


def agreed(
    reading: str,
    others: Iterable[str],
    min_ratio: float = MIN_RATIO,
    min_documents: int = MIN_DOCUMENTS,
) -> str | None:
    """The value the other documents of a place agree on (their readings, ``others``), for a
    document that read ``reading``; None when ``reading`` stands.

    The reading most of them share, by ``min_documents`` or more and more than share
    ``reading`` itself, when ``reading`` differs from it only by OCR slips (``min_ratio``
    alike, ``MAX_CHANGED`` characters at most, the same digits).
    Else ``reading`` with each run of its words that most of them read otherwise, alike,
    corrected (``_voted``: their readings differ elsewhere, a branch's line)."""
    counts = Counter(text for text in others if text)
    if not reading or not counts:
        return None
    # The most frequent readings only, as many times as they were read: what the database
    # hands over (``fieldstore``) and what the bench keeps alike.
    others = [text for text, n in _most_common(counts)[:READINGS] for _ in range(n)]
    counts = Counter(others)
    counts[reading] += 1
    (best, count), *rest = _most_common(counts)
    if best != reading and count >= min_documents and not (rest and rest[0][1] == count):
        a, b = _plain(best), _plain(reading)
        alike = SequenceMatcher(None, a, b, autojunk=False).ratio()
        slips = alike >= min_ratio and _changed(a, b) <= MAX_CHANGED
        if slips and _same_numbers(a, b) and not _loses_a_word(b, a):
            return best
    return _voted(reading, others, min_documents)


def _vendor(found: Mapping[str, Extracted], fields: Iterable[tuple[str, str]]) -> str:
    """The vendor key of one document: from the value of its issuer field (``names_issuer``)
    the rules or a person's lesson found; '' when it has none."""
    for name, kind in fields:
        if names_issuer(name, kind) and name in found:
            return vendor_key(found[name].value)
    return ""


def place_key(reading: str, vendor: str) -> str:
    """The documents an address reading is counted with: ``postcode:<code>`` for the last
    five-digit number in it (a lot's number may come first: "LOT 34817 JALAN ... 51200"), else
    ``vendor:<vendor key>``; '' with neither."""
    codes = POSTCODE.findall(reading)
    if codes:
        return f"postcode:{codes[-1]}"
    return f"vendor:{vendor}"[:KEY_LENGTH] if vendor else ""


def keys(found: Mapping[str, Extracted], fields: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each address field's key (``place_key``) for one document's rule values, by name: what
    its reading is kept under for the next documents."""
    fields = list(fields)
    vendor = _vendor(found, fields)
    out = {}
    for name, kind in fields:
        value = found.get(name)
        if value is not None and value.source == "rule" and applies(name, kind):
            key = place_key(value.raw, vendor)
            if key:
                out[name] = key
    return out


def apply(
    found: dict[str, Extracted],
    keyed: Mapping[str, str],
    readings: Callable[[str, str], Iterable[str]],
) -> dict[str, Extracted]:
    """``found`` (one document's values) with each address field of ``keyed`` (its ``keys``)
    as the documents of its place agree on it (``agreed``): ``readings(field name, key)`` gives
    what the rules read on other documents with that key. The value changes, its ``raw`` stays
    the page's reading and its place on the page stays, so the keys stay what the next
    documents count it under."""
    out = dict(found)
    for name, key in keyed.items():
        value = found[name]
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
    "keys",
    "place_key",
    "vendor_key",
]
