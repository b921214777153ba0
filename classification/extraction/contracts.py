"""Contract fields from long multi-page text: the parties, the effective date, the governing law's
jurisdiction and the term, read from the first pages (the preamble) and the last pages (the
governing-law clause and the signature block).

Plain functions, no Django. Input: the chosen pages' words (as ``classification.ocr`` or the
PDF text layer gives them) with their page numbers; output: ``{field name: (page number,
Extracted)}`` with the box of the words a value was read from. The pages are read as one text
(lines in reading order, pages in order) so that a sentence may run over a line or page break.

A ``names`` value (the parties) is one string, the names joined by ``NAMES_SEPARATOR``, each
written the way the ground truth of Kleister-NDA writes it ("NIKE, Inc." -> "NIKE Inc.",
"Leonard Green & Partners, L.P." -> "Leonard Green and Partners LP"); ``split_names`` reads it
back. Confidence is a heuristic as in ``extraction.fields``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classification.extraction.fields import Box, Extracted, Line, group_lines
from classification.extraction.fields import confidence as bounded_confidence
from classification.extraction.parsers import day_first_votes, find_dates

# Pages read of a contract: the preamble and definitions on the first pages, the governing law,
# the term and the signature block on the last ones. Measured on Kleister-NDA (bench.extract):
# see docs/extraction.md.
FIRST_PAGES = 10
LAST_PAGES = 10

NAMES_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class PageWords:
    number: int  # 1-based
    words: Sequence[Mapping[str, Any]]
    width: int
    height: int


def is_contract_schema(fields: Iterable[tuple[str, str]]) -> bool:
    """A type whose fields the contract rules read: a list of names (the parties), or a
    governing-law jurisdiction."""
    return any(
        kind == "names" or re.search(r"jurisdiction|governing", name) for name, kind in fields
    )


def pages_to_read(page_count: int) -> list[int]:
    """The page numbers a contract's fields are read from: the first and the last pages."""
    first = list(range(1, min(page_count, FIRST_PAGES) + 1))
    last = range(max(FIRST_PAGES + 1, page_count - LAST_PAGES + 1), page_count + 1)
    return first + list(last)


def split_names(value: str) -> list[str]:
    return [part.strip() for part in value.split(NAMES_SEPARATOR.strip()) if part.strip()]


# --------------------------------------------------------------------------------------------
# The pages as one text


@dataclass(slots=True)
class _Piece:
    start: int  # of the line in the document text
    page: int
    line: Line


_SPACED_ORDINAL = re.compile(r"(?<=\d) (st|nd|rd|th)\b ?,")


def _close_ordinal(m: re.Match[str]) -> str:
    return f"{m[1]},".ljust(len(m.group()))


# Words further apart than this many word heights are in different columns (two signature
# blocks side by side), which an OCR or a PDF line may join.
_COLUMN_GAP = 3.0


def _columns(line: Line) -> list[Line]:
    """A line cut where a gap between words is wide enough to part two columns."""
    parts: list[list[Mapping[str, Any]]] = [[line.words[0]]]
    for before, word in zip(line.words, line.words[1:], strict=False):
        gap = int(word["left"]) - (int(before["left"]) + int(before["width"]))
        if gap > _COLUMN_GAP * max(line.height, 1):
            parts.append([])
        parts[-1].append(word)
    if len(parts) == 1:
        return [line]
    return [group_lines([{**w, "line": 0} for w in part])[0] for part in parts]


class _Document:
    def __init__(self, pages: Sequence[PageWords]) -> None:
        parts: list[str] = []
        self.pieces: list[_Piece] = []
        self.page_spans: dict[int, tuple[int, int]] = {}
        pos = 0
        for page in sorted(pages, key=lambda p: p.number):
            first = pos
            for line in (part for whole in group_lines(page.words) for part in _columns(whole)):
                self.pieces.append(_Piece(pos, page.number, line))
                parts.append(line.text)
                pos += len(line.text) + 1
            self.page_spans[page.number] = (first, pos)
        self.text = "\n".join(parts)
        # Line breaks as spaces for patterns that run across lines, and "9 th , 2014" as
        # "9th,   2014" (offsets kept: a value's box is found from them).
        self.flat = _SPACED_ORDINAL.sub(_close_ordinal, self.text.replace("\n", " "))
        self.numbers = sorted(self.page_spans)

    def page_at(self, offset: int) -> int:
        for number in self.numbers:
            start, end = self.page_spans[number]
            if start <= offset < end:
                return number
        return self.numbers[-1] if self.numbers else 1

    def lines_on(self, numbers: Iterable[int]) -> list[_Piece]:
        wanted = set(numbers)
        return [p for p in self.pieces if p.page in wanted]

    def where(self, start: int, end: int) -> tuple[int, Box | None]:
        """The page of ``start`` and the union of the boxes of the words in [start, end) on it."""
        page = self.page_at(start)
        boxes = [
            box
            for p in self.pieces
            if p.page == page and p.start < end and p.start + len(p.line.text) > start
            for box in [p.line.bbox(max(0, start - p.start), end - p.start)]
            if box is not None
        ]
        if not boxes:
            return page, None
        return page, (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def found(self, value: str, start: int, end: int, confidence: float) -> tuple[int, Extracted]:
        page, box = self.where(start, end)
        raw = self.flat[start:end].strip()
        return page, Extracted(value, raw, box, bounded_confidence(confidence))


def _sentence(text: str, start: int, end: int, reach: int = 400) -> tuple[int, int]:
    """The bounds of the sentence around [start, end): from after the previous full stop (or a
    blank line) to the next one, at most ``reach`` characters either side."""
    low = max(0, start - reach)
    before = text[low:start]
    stops = [m.end() for m in re.finditer(r"(?<![A-Z]\w)(?<!\b\w)[.;:]\s+(?=[A-Z(\d])", before)]
    left = low + stops[-1] if stops else low
    after = re.search(r"(?<![A-Z]\w)(?<!\b\w)\.(?:\s|$)", text[end : end + reach])
    right = end + after.end() if after else min(len(text), end + reach)
    return left, right


# --------------------------------------------------------------------------------------------
# Numbers written as words

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty)[\s-](?:one|two|three|four|five|six|seven|eight|nine)"
    r"|" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
)


def _number(text: str) -> int | None:
    text = text.strip().casefold()
    if text.isdigit():
        return int(text)
    if text in _UNITS:
        return _UNITS[text]
    parts = re.split(r"[\s-]", text)
    if len(parts) == 2 and parts[0] in _UNITS and parts[1] in _UNITS:
        return _UNITS[parts[0]] + _UNITS[parts[1]]
    return None


# --------------------------------------------------------------------------------------------
# Term

_DURATION = re.compile(
    rf"(?i)\b(?P<word>{_NUMBER_WORD}|\d{{1,3}})(?:\s*\(\s*(?P<digits>\d{{1,3}})\s*\))?"
    r"[\s-]*(?:calendar\s+|full\s+)?(?P<unit>years?|months?|days?)(?:[\s-]+period)?\b"
    r"|\b(?:the\s+)?(?P<ordinal>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
    r"tenth|\d(?:st|nd|rd|th))\s*(?:\(\s*\d+(?:st|nd|rd|th)?\s*\)\s*)?anniversary"
)
_TERM_CLAUSE = re.compile(
    r"(?i)\bterm\s+of\s+(?:this|the)\s+(?:letter\s+)?agreement|\bhave\s+a\s+term\b|"
    r"\bagreement\s+(?:shall|will)\s+(?:\w+\s+){0,3}?(?:expire|terminate|cease|remain|continue|"
    r"be\s+(?:effective|in\s+effect))|\b(?:expire|terminate|cease\s+to\s+be\s+effective|"
    r"remain\s+in\s+(?:full\s+force\s+and\s+)?effect|continue\s+in\s+(?:full\s+force\s+and\s+)?"
    r"(?:effect|force)|initial\s+term)\b|\bagreement\b[^.]{0,80}\bexpire"
)
_TERM_HEADING = re.compile(r"(?:^|\n)\s*(?:\d+(?:\.\d+)?\.?\s+)?(?:Term|TERM)(?:\s+of\s+\w+)?\.?\s")
_TERM_ANCHOR = re.compile(
    r"(?i)^\W*(?:from|after|following|of|(?:beginning|commencing|starting)(?:\s+(?:on|as\s+of|from))?)"
    r"\s+(?:the\s+)?"
    r"(?:date\s+(?:hereof|of\s+this|first)|effective\s+date|execution|signing)"
)
_DISTRACTOR = re.compile(
    r"(?i)solicit|standstill|hire|employ|acquir|purchas|tender\s+offer|proxy|voting|business\s+days?"
    r"|vacation|salary|within\s+$|\bno\s+(?:more|less)\s+than\b"
)


def _extract_term(doc: _Document) -> tuple[int, Extracted] | None:
    text = doc.flat
    scored: list[tuple[float, int, tuple[int, Extracted]]] = []
    for m in _DURATION.finditer(text):
        count: int | None
        if m["ordinal"]:
            ordinal = m["ordinal"].casefold()
            count = _ORDINALS.get(ordinal) or int(ordinal[:-2])
            unit = "year"  # "the second anniversary"
        else:
            count = _number(m["digits"] or m["word"])  # the figure in brackets wins
            unit = m["unit"].casefold().rstrip("s")
        if not count or count > (60 if unit == "month" else 20 if unit == "year" else 365):
            continue
        left, right = _sentence(text, m.start(), m.end())
        sentence = text[left:right]
        before = text[max(left, m.start() - 120) : m.start()]
        after = text[m.end() : m.end() + 80]
        score = 0.0
        score += 2.5 * bool(_TERM_CLAUSE.search(sentence))
        score += 2.0 * bool(_TERM_HEADING.search(doc.text[max(0, left - 30) : m.start()]))
        score += 1.5 * bool(_TERM_ANCHOR.search(after))
        score += 1.0 * bool(re.search(r"(?i)for\s+a\s+period\s+of\s*$", before))
        # "for a term of three (3) years": the duration is the term, said so.
        score += 2.0 * bool(re.search(r"(?i)\bfor\s+(?:a|an\s+initial)\s+term\s+of\s*$", before))
        score += 1.0 * bool(re.search(r"(?i)\bconfidential", sentence))
        score -= 2.0 * bool(_DISTRACTOR.search(sentence))
        score -= 1.5 * bool(re.search(r"(?i)thereafter|prior\s+to|preceding", after[:40]))
        if unit == "day":
            score -= 1.5
        if score < 1.5:
            continue
        value = f"{count} {unit}{'s' if count != 1 else ''}"
        confidence = 0.3 + 0.08 * score
        scored.append((score, -m.start(), doc.found(value, m.start(), m.end(), confidence)))
    return _best(scored)


def _best(
    scored: list[tuple[float, int, tuple[int, Extracted]]],
) -> tuple[int, Extracted] | None:
    """The top candidate; its confidence rises when the runners-up agree or none comes close."""
    if not scored:
        return None
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    top_score, _, (page, top) = scored[0]
    rivals = [s for s in scored[1:] if s[2][1].value != top.value and s[0] > top_score - 1.0]
    bonus = 0.0 if rivals else 0.1
    confidence = round(min(0.99, top.confidence + bonus), 3)
    return page, Extracted(top.value, top.raw, top.bbox, confidence)


# --------------------------------------------------------------------------------------------
# Jurisdiction

_STATES = [
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
    "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota",
    "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "Ohio", "Oklahoma", "Oregon",
    "Pennsylvania", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington",
    "Wisconsin", "Wyoming", "New Hampshire", "New Jersey", "New Mexico", "New York",
    "North Carolina", "North Dakota",
    "Rhode Island", "South Carolina", "South Dakota", "West Virginia", "District of Columbia",
    "Puerto Rico",
]  # fmt: skip
_PLACES = [
    "England and Wales", "England", "Scotland", "Ireland", "Ontario", "British Columbia",
    "Alberta", "Quebec", "Hong Kong", "Singapore", "Israel", "Switzerland", "Germany", "France",
    "the Netherlands", "Japan", "Bermuda", "the Cayman Islands", "Luxembourg", "Canada",
]  # fmt: skip
_PLACE = "|".join(re.escape(p) for p in sorted(_STATES + _PLACES, key=len, reverse=True))
_CANONICAL_PLACE = {p.casefold(): p for p in _STATES + _PLACES}
_STATE_WORD = r"(?:state|commonwealth)"
_JURISDICTION_PATTERNS: tuple[tuple[float, re.Pattern[str]], ...] = (
    (4.0, re.compile(rf"(?i)laws?\s+of\s+(?:the\s+)?{_STATE_WORD}\s+of\s+(?P<place>{_PLACE})\b")),
    (
        3.8,  # a place not in the lists: "the laws of the Canton of Geneva"
        re.compile(
            r"(?i)laws?\s+of\s+the\s+(?:state|commonwealth|province|canton)\s+of\s+"
            r"(?P<place>(?-i:[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?))"
        ),
    ),
    (3.5, re.compile(rf"(?i)laws?\s+of\s+(?P<place>{_PLACE})\b")),
    (3.0, re.compile(rf"(?i)\b(?P<place>{_PLACE})\s+law\b")),
    (
        2.0,
        re.compile(
            rf"(?i)courts?\b[^.;]{{0,80}}?\b(?:in|of|for)\s+(?:the\s+)?(?:{_STATE_WORD}\s+of\s+)?"
            rf"(?P<place>{_PLACE})\b"
        ),
    ),
    (1.0, re.compile(rf"(?i)\b{_STATE_WORD}\s+of\s+(?P<place>{_PLACE})\b")),
)
_GOVERNING = re.compile(r"(?i)govern|constru|interpret|enforc|applicable\s+law|choice\s+of\s+law")


# Where a jurisdiction pattern can match: near these words (the patterns' alternation of place
# names is slow to run over a whole contract).
_PLACE_CONTEXT = re.compile(r"(?i)\blaws?\b|\bcourts?\b|\bstate\s+of\b|\bcommonwealth\s+of\b")


def _windows(text: str, pattern: re.Pattern[str], reach: int) -> list[tuple[int, int]]:
    """The stretches of ``text`` within ``reach`` characters of a match, merged."""
    out: list[tuple[int, int]] = []
    for m in pattern.finditer(text):
        low, high = max(0, m.start() - reach), min(len(text), m.end() + reach)
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return out


def _extract_jurisdiction(doc: _Document) -> tuple[int, Extracted] | None:
    text = doc.flat
    best: dict[str, tuple[float, int, tuple[int, Extracted]]] = {}
    seen: dict[str, int] = {}
    taken: set[int] = set()
    windows = _windows(text, _PLACE_CONTEXT, 120)
    for weight, pattern in _JURISDICTION_PATTERNS:
        for m in (m for low, high in windows for m in pattern.finditer(text, low, high)):
            start = m.start("place")
            if start in taken and weight < 4.0:
                continue  # already counted by a stronger pattern
            taken.add(start)
            written = re.sub(r"(?i)^the\s+", "", " ".join(m["place"].split()))
            if not written[0].isupper():
                continue  # "the laws of new york" is no place name; "NEW YORK" is
            place = _CANONICAL_PLACE.get(f"the {written}".casefold()) or _CANONICAL_PLACE.get(
                written.casefold(), written.title() if written.isupper() else written
            )
            place = re.sub(r"^the\s+", "", place)
            left, right = _sentence(text, m.start(), m.end())
            score = weight + 1.5 * bool(_GOVERNING.search(text[left:right]))
            if re.search(
                r"(?i)incorporated|organized|corporation|formed|resid", text[left : m.start()][-60:]
            ):
                score -= 2.5  # "a Delaware corporation", "organized under the laws of"
            seen[place] = seen.get(place, 0) + 1
            confidence = 0.3 + 0.08 * score
            candidate = (score, -m.start(), doc.found(place, start, m.end("place"), confidence))
            if place not in best or candidate[:2] > best[place][:2]:
                best[place] = candidate
    scored = [(s + 0.2 * min(seen[p], 5), order, found) for p, (s, order, found) in best.items()]
    return _best(scored)


# --------------------------------------------------------------------------------------------
# Effective date

_DATE_CUE = re.compile(
    r"(?i)(?:effective|dated|made|entered\s+into|executed|signed|commenc\w*|as\s+of|date:?|"
    r"executed\s+(?:this|the)\s+(?:\w+\s+)?agreement|"
    r"effective\s+date:?|made\s+and\s+entered\s+into)\s*(?:as\s+of|on|this|the|:)?\s*"
    r"(?:the\s+)?(?:this\s+)?$"
)
_DEFINED_EFFECTIVE = re.compile(r"(?i)^\W{0,4}\(?\s*(?:the|this)?\s*[\"“”']?\s*effective\s+date")
_NOT_START = re.compile(
    r"(?i)(?:until|before|prior\s+to|through|ending|expir\w*|terminat\w*|after|by|later\s+than)"
    r"\s+(?:on\s+)?(?:the\s+)?$"
)


_DAY_MONTH = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\b"
)
_MONTH_DAY = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
)


_US = re.compile(r"\b(?:United\s+States|U\.S\.|" + "|".join(_STATES) + r")\b")


def _day_first(text: str) -> bool:
    """Whether the document writes numeric dates day first: from its unambiguous numeric dates,
    else from dotted dates (European), else from the order of its written dates ("2 May 2005"
    or "May 2, 2005"); otherwise month first in a US contract (a state named), day first
    elsewhere."""
    votes = day_first_votes(text)
    if votes:
        return votes > 0
    if re.search(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b", text):
        return True
    day_month, month_day = len(_DAY_MONTH.findall(text)), len(_MONTH_DAY.findall(text))
    if day_month != month_day:
        return day_month > month_day
    return not _US.search(text)


def _extract_effective_date(doc: _Document) -> tuple[int, Extracted] | None:
    text = doc.flat
    scored: list[tuple[float, int, tuple[int, Extracted]]] = []
    first = doc.numbers[0] if doc.numbers else 1
    last_pages = set(doc.numbers[-LAST_PAGES:]) - set(doc.numbers[:FIRST_PAGES])
    for d in find_dates(text, day_first=_day_first(text)):
        start, end = d.span
        page = doc.page_at(start)
        before = text[max(0, start - 60) : start]
        after = text[end : end + 60]
        score = 0.0
        cue = _DATE_CUE.search(before)
        if cue:
            score += 3.0 if re.search(r"(?i)effective|dated|made|entered|as\s+of", cue[0]) else 2.0
        if _DEFINED_EFFECTIVE.search(after) or re.search(r"(?i)effective\s+date\W*$", before):
            score += 3.0
        if _NOT_START.search(before):
            score -= 3.0
        line_text = _line_around(doc.text, start)
        if line_text.strip() == d.raw.strip() or re.fullmatch(
            r"[A-Z][\w. ]{0,30},\s*" + re.escape(d.raw), line_text.strip()
        ):
            score += 2.0  # a dated letter: the date alone on its line
        if page == first or start < 3000:
            score += 1.0 + (1.0 if start < 1500 else 0.0)
        elif page in last_pages and re.search(r"(?i)date[d]?\s*:?\s*$", before):
            score += 1.5  # the signature block's date
        if score < 2.0:
            continue
        confidence = 0.25 + 0.08 * score - 0.1 * d.ambiguous
        scored.append((score, -start, doc.found(d.iso, start, end, confidence)))
    return _best(scored)


def _line_around(text: str, offset: int) -> str:
    left = text.rfind("\n", 0, offset) + 1
    right = text.find("\n", offset)
    return text[left : right if right >= 0 else len(text)]


# --------------------------------------------------------------------------------------------
# Parties

_SUFFIX = (
    r"(?:Inc|Incorporated|Corp|Corporation|Co|Company|Ltd|Limited|LLC|L\.L\.C|LLP|L\.L\.P|LP|L\.P|"
    r"PLC|N\.A|S\.A|AG|A\.G|ASA|AB|B\.V|N\.V|GmbH|S\.p\.A|SE|Pty|Pte|S\.A\.R\.L)"
)
_SUFFIX_WORD = re.compile(rf"(?i)^{_SUFFIX}\.?$")
_AFTER_COMMA = re.compile(rf"(?i),\s*(?={_SUFFIX}\b\.?(?!\w))")
_CORPORATE = re.compile(
    r"(?i)\b(?:Inc|Incorporated|Corp|Corporation|Co|Company|Ltd|Limited|LLC|L\.L\.C|LLP|LP|L\.P|"
    r"PLC|N\.A|S\.A|AG|ASA|B\.V|N\.V|GmbH|Pty|Pte|Bancorp|Bank|Trust|Partners|Holdings|Group)\b\.?"
)
_PARTICLES = {"de", "du", "la", "le", "von", "van", "der", "den", "di", "da", "ter"}
_CONNECTORS = {"&", "and", "of", "the", "y", "et", "for"} | _PARTICLES
_ROLES = (
    r"the|this|that|each|such|said|any|all|its|his|her|their|our|your|you|we|us|i|me|my|"
    r"company|corporation|employee|employer|executive|consultant|contractor|director|officer|"
    r"party|parties|recipient|discloser|disclosing|receiving|distributor|licensee|licensor|"
    r"buyer|seller|purchaser|investor|counterparty|undersigned|agreement|confidential\w*|"
    r"whereas|recitals?|witnesseth|now|therefore|in|as|by|for|with|between|among|dated|"
    r"effective|date|name|title|signature|witness|associate|parent|subsidiary"
)
_NOT_NAMES = re.compile(rf"(?i)^(?:{_ROLES})$")
_NOT_IN_NAMES = re.compile(
    r"(?i)\b(?:agreement|exhibit|section|schedule|page|dated?|confidential\w*|party|parties|"
    r"whereas|recitals?|signature|witness|hereof|hereto|herein|by|name|title|its|directors?|"
    r"officers?|president|from|at|any|time)\b|[-\u2013]\d|\d+-"
)
_TOKEN = re.compile(r"[^\s,;:()\[\]“”\"_]+")
_ABBREVIATED = re.compile(r"(?i)^(?:[a-z]|[a-z]\.[a-z]|inc|co|corp|ltd|st|jr|sr|mr|mrs|ms|dr|no)$")


def _is_name_token(token: str) -> bool:
    first = token.lstrip("'\u2019\u2018.-")[:1]
    return bool(first) and (first.isupper() or first.isdigit() or first in "¢$")


def _parse_name(text: str, pos: int, stop: int | None = None) -> tuple[str, int, int] | None:
    """The party name that starts at ``pos`` (before ``stop``): capitalised words, with
    connectors (``&``, ``of``...) between capitalised words, a corporate suffix after a comma
    ("Acme, Inc."), a full stop only after an initial or an abbreviation. Returns (name, start,
    end) or None."""
    stop = len(text) if stop is None else stop
    while pos < stop and text[pos].isspace():
        pos += 1
    start = end = pos
    words: list[str] = []
    while pos < stop:
        comma = _AFTER_COMMA.match(text, pos)
        if comma and words:
            pos = comma.end()
            continue
        m = _TOKEN.match(text, pos)
        if not m or m.end() > stop:
            break
        token = m.group()
        low = token.casefold().rstrip(".")
        suffix = bool(_SUFFIX_WORD.match(token))
        particle = low in _PARTICLES and _particles_then_name(text, m.end())
        if not (_is_name_token(token) or suffix or (words and low in _CONNECTORS) or particle):
            break  # "van den Berg Couriers N.V." starts with its particles
        if low == "and" and words:
            nxt = _TOKEN.match(text, _skip_space(text, m.end()))
            if not (
                nxt and re.match(r"(?i)^(?:co|company|sons|partners|associates)\b", nxt.group())
            ):
                break  # "and" joins two parties, unless "and Co." or "and Partners" follows
        if not words and low in _CONNECTORS - _PARTICLES - {"the"}:
            return None
        # "The Coca-Cola Company" keeps its article; "the Company" is no name.
        if (
            not words
            and _NOT_NAMES.match(token.rstrip(".,"))
            and (token.casefold() != "the" or not _starts_name(text, _skip_space(text, m.end())))
        ):
            return None
        words.append(token)
        pos = m.end()
        if _is_name_token(token) or suffix:
            end = pos
        if token.endswith(".") and not _ABBREVIATED.match(token.rstrip(".").split(".")[-1] or "x"):
            end = pos - 1  # "Enterprises. Collectively": the sentence ends with the name
            break
        if suffix and not (
            _AFTER_COMMA.match(text, pos) or _SUFFIX_WORD.match(_next_token(text, pos, stop))
        ):
            break  # "Acme Inc. 1 Main Street": a corporate suffix ends the name
        while pos < stop and text[pos] in " \t\n":
            pos += 1
    return _checked_name(text, start, end)


def _particles_then_name(text: str, pos: int) -> bool:
    """Whether a capitalised name follows ``pos`` after any particles ("den Berg")."""
    for m in _TOKEN.finditer(text, _skip_space(text, pos), pos + 60):
        if m.group().casefold() not in _PARTICLES:
            return _is_name_token(m.group())
    return False


def _next_token(text: str, pos: int, stop: int) -> str:
    m = _TOKEN.match(text, _skip_space(text, pos))
    return m.group() if m and m.end() <= stop else ""


def _checked_name(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    name = text[start:end].strip()
    words = name.split()
    while words and words[-1].casefold() in _CONNECTORS:
        words.pop()
    name = " ".join(words)
    if len(name) < 2 or not re.search(r"[^\W\d_]{2}", name) or _NOT_IN_NAMES.search(name):
        return None
    if len(words) == 1 and (_NOT_NAMES.match(name) or re.search(r"[\u2019']s$", name)):
        return None
    if len(words) > 9:
        return None
    return name, start, start + len(text[start:end].strip())


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


_NORMAL_SUFFIXES = (
    (re.compile(r"(?i)\bL\.P\.?(?=\s|$)"), "LP"),
    (re.compile(r"(?i)\bL\.L\.C\.?(?=\s|$)"), "LLC"),
    (re.compile(r"(?i)\bIncorporated$"), "Inc."),
    (re.compile(r"(?i)\bLimited$"), "Ltd."),
    (re.compile(r"(?i)\b(Inc|Corp|Co|Ltd)(?=\s|$)"), r"\1."),
)


def normalise_party(name: str) -> str:
    """A party's name as Kleister-NDA's ground truth writes it: no commas, ``&`` as ``and``,
    ``L.P.`` as ``LP``, "Incorporated" as "Inc.", "Limited" as "Ltd.", ``Inc``, ``Corp``,
    ``Co`` and ``Ltd`` with their full stop."""
    name = name.replace("&", " and ")
    name = re.sub(r"\s*,\s*", " ", name)
    name = re.sub(r"\s+", " ", name).strip(" ;:")
    for pattern, replacement in _NORMAL_SUFFIXES:
        name = pattern.sub(replacement, name)
    return name


def _key(name: str) -> str:
    """What two spellings of one party share: "NIKE, Inc." and "Nike Inc" -> "nike"."""
    words = re.sub(r"[^\w\s]", " ", normalise_party(name).casefold()).split()
    while len(words) > 1 and _SUFFIX_WORD.match(words[-1]):
        words.pop()
    return " ".join(words)


_PREAMBLE = re.compile(r"(?i)\b(?:by\s+and\s+)?(?:between|among|amongst)\b[:\s]|\bparties\s*:")
_LIST_END = re.compile(
    r"(?i)\b(?:recitals?|whereas|witnesseth|now,?\s+therefore|agree\s+as\s+follows|background|"
    r"it\s+is\s+agreed)\b"
)
_ABBREVIATION = re.compile(
    r"(?i)(?:\b|^)(?:inc|co|ltd|corp|no|st|jr|sr|mr|mrs|ms|dr|l\.p|n\.a|s\.a|u\.s|[a-z])$"
)


def _sentence_ends(text: str, i: int) -> bool:
    """Whether the full stop at ``i`` ends a sentence (not "Inc.", "M.D.", "U.S.")."""
    if not re.compile(r"\.\s+(?=[A-Z(])").match(text, i):
        return False
    word = re.search(r"[\w.]*$", text[max(0, i - 12) : i])
    return not (word and _ABBREVIATION.search(word.group()))


def _preamble_parties(doc: _Document, limit: int) -> list[tuple[str, int, int]]:
    text = doc.flat
    for m in _PREAMBLE.finditer(text, 0, limit):
        parties = _party_list(text, m.end())
        if len(parties) >= 2:
            return parties
    return _numbered_parties(doc, limit)


_PARTIES_HEADING = re.compile(r"(?im)^\W*(?:the\s+)?parties\W*$")
_PARTY_NUMBER = re.compile(r"(?m)^\s*(?:\(\d{1,2}\)|\d{1,2}\.|\([a-z]\))\s+")


def _numbered_parties(doc: _Document, limit: int) -> list[tuple[str, int, int]]:
    """A "PARTIES" heading over numbered entries, each starting with a party's name:
    "(1) Hughes Freight Co., a company registered in ..." (British and European style)."""
    heading = _PARTIES_HEADING.search(doc.text, 0, limit)
    if heading is None:
        return []
    stop = _LIST_END.search(doc.text, heading.end(), heading.end() + 1500)
    end = stop.start() if stop else min(len(doc.text), heading.end() + 1500)
    found = []
    for m in _PARTY_NUMBER.finditer(doc.text, heading.end(), end):
        name = _parse_name(doc.flat, m.end(), end)
        if name:
            found.append(name)
    return found if len(found) >= 2 else []


def _party_list(text: str, pos: int) -> list[tuple[str, int, int]]:
    """Names in "A, a Delaware corporation ("A"), and B (...)" from ``pos`` to the end of the
    sentence."""
    found: list[tuple[str, int, int]] = []
    stop = _LIST_END.search(text, pos, pos + 900)
    end = stop.start() if stop else min(len(text), pos + 900)
    while pos < end and len(found) < 10:
        name = _parse_name(text, pos, end)
        if name is None:
            break
        found.append(name)
        nxt = _next_party(text, name[2], end)
        if nxt is None:
            break
        pos = nxt
    return found


_DIRECT_NEXT = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|;\s*(?:and\s+)?)(?=[A-Z0-9])")
_NEXT_AFTER_DESCRIPTION = re.compile(
    r"(?:,?\s+and\s+|;\s*(?:and\s+)?|(?<=\)),\s+(?:and\s+)?)(?=\S)"
)


def _next_party(text: str, pos: int, end: int) -> int | None:
    """Where the next name of a party list starts after ``pos``, skipping descriptions and
    brackets: after a top-level "and", or a comma directly after a name."""
    direct = _DIRECT_NEXT.match(text, pos)
    if direct and _starts_name(text, direct.end()):
        return direct.end()
    depth = 0
    quote = False
    i = pos
    while i < end:
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch in '“”"':
            quote = not quote if ch == '"' else ch == "“"
        if depth == 0 and not quote:
            if ch == "." and _sentence_ends(text, i):
                return None
            m = _NEXT_AFTER_DESCRIPTION.match(text, i)
            if m:
                if _starts_name(text, m.end()):
                    return m.end()
                i = m.end()
                continue
        i += 1
    return None


_PERSONAL_SUFFIX = re.compile(r"(?i)^(?:M\.D|Ph\.D|J\.D|Jr|Sr|Esq|CPA|II|III|IV)\.?,?$")


def _starts_name(text: str, pos: int) -> bool:
    word = text[pos : pos + 60].split(maxsplit=1)
    return (
        bool(word)
        and _is_name_token(word[0])
        and not _NOT_NAMES.match(word[0].rstrip(",."))
        and not _PERSONAL_SUFFIX.match(word[0])  # "Maher Albitar, M.D., an individual"
    )


_SIGNATURE_CUE = re.compile(r"(?i)^\W*(?:by\b|name\b|title\b|its\b|/s/|signature|signed)")
_SIGNATURE_LEAD = re.compile(
    r"(?i)^(?:(?:very\s+)?truly\s+yours|sincerely|accepted(?:\s+and\s+agreed)?(?:\s+to)?|"
    r"agreed(?:\s+and\s+accepted)?(?:\s+to)?|acknowledged(?:\s+and\s+agreed)?|"
    r"in\s+witness\s+whereof|employee|executive|associate|company|consultant|director|"
    r"the\s+undersigned)\b[\s:,]*(?:(?:as\s+of\s+)?the\s+date\s+first\s+(?:above\s+)?written)?[\s:,]*"
)
_OFFICER = re.compile(
    r"(?i)\btitle\b|\b(?:president|officer|director|secretary|counsel|manager|partner|"
    r"chairman|treasurer|member|ceo|cfo|principal|authori[sz]ed)\b"
)
_SIGNED = re.compile(r"^\W*(?P<by>by\s*:?\s*)?/s/\s*(?P<name>.+)$", re.I)
# The caption under a printed name in a signature block: "(Print Name)", "Printed Name".
_PRINT_NAME = re.compile(r"(?i)^\W*print(?:ed)?\s+name\W*$")


def _signature_companies(doc: _Document, pieces: list[_Piece]) -> list[tuple[str, int, int]]:
    """Company names in the signature block: a line with a corporate suffix followed within
    a few lines (or on the same line) by "By:", "Name:" or "/s/"."""
    found: list[tuple[str, int, int]] = []
    for i, piece in enumerate(pieces):
        text = piece.line.text
        following = [p.line.text for p in pieces[i + 1 : i + 4]]
        same_line = re.search(r"(?i)\bby\s*:", text)
        if not (same_line or any(_SIGNATURE_CUE.match(t) for t in following)):
            continue
        if _SIGNATURE_CUE.match(text) or not _CORPORATE.search(text):
            continue
        lead = _SIGNATURE_LEAD.match(text)
        offset = lead.end() if lead else 0
        rest = text[offset:].split(" By", 1)[0].split(" BY", 1)[0]
        if len(rest) > 70:
            continue  # a sentence, not a name above a signature
        for m in re.finditer(r"\S+", rest):
            name = _parse_name(doc.flat, piece.start + offset + m.start(), piece.start + len(text))
            if name and _CORPORATE.search(name[0].split()[-1]):
                found.append(name)
                break
    return found


def _column(
    pieces: list[_Piece], i: int, below: bool, count: int = 3, leftwards: bool = False
) -> list[_Piece]:
    """The ``count`` lines nearest line ``i`` above or below it in its column (boxes that
    overlap horizontally on the same page): two signature blocks side by side stay apart.
    ``leftwards``: the column reaches the left margin (a block's heading sits left of it)."""
    here = pieces[i]
    left, top, right, bottom = here.line.box
    left = 0 if leftwards else left
    out = [
        p
        for p in pieces
        if p.page == here.page
        and p is not here
        and min(right, p.line.box[2]) > max(left, p.line.box[0])
        and (p.line.box[1] >= bottom - 2 if below else p.line.box[3] <= top + 2)
    ]
    out.sort(key=lambda p: p.line.box[1], reverse=not below)
    return out[:count]


def _overlap(a: _Piece, b: _Piece) -> bool:
    return min(a.line.box[2], b.line.box[2]) > max(a.line.box[0], b.line.box[0])


def _heading_lines(pieces: list[_Piece], i: int) -> list[_Piece]:
    """The lines above line ``i`` nearest first: the nearest row first, and within a row the
    line whose left edge is nearest (the heading of its own signature block)."""
    here = pieces[i]
    above = _column(pieces, i, below=False, count=6, leftwards=True)
    height = max(here.line.height, 1.0)
    return sorted(
        above,
        key=lambda p: (
            round((here.line.box[1] - p.line.box[3]) / (2 * height)),
            abs(p.line.box[0] - here.line.box[0]),
        ),
    )


def _signature_people(doc: _Document, pieces: list[_Piece]) -> list[tuple[str, int, int]]:
    """Individuals who sign for themselves: "/s/ Name" without "By:" before it, not a
    witness and not an officer (a title below, a company above); the printed name below wins
    when it is the same person written in full."""
    found: list[tuple[str, int, int]] = []
    for i, piece in enumerate(pieces):
        text = piece.line.text
        signed = _SIGNED.match(text)
        if not signed:
            continue
        above = _heading_lines(pieces, i)
        if above and re.search(r"(?i)\b(?:by|witness\w*)\s*:?\s*$", above[0].line.text):
            continue
        if signed["by"] and (
            any(_CORPORATE.search(p.line.text) and len(p.line.text) < 60 for p in above[:3])
            or any(_OFFICER.search(p.line.text) for p in _column(pieces, i, below=True))
        ):
            continue  # "By: /s/" under a company's name or over a title: an officer
        below = _column(pieces, i, below=True)
        if any(re.match(r"(?i)\W*(?:title|its)\b", p.line.text) for p in below[:2]) or any(
            _CORPORATE.search(p.line.text) and len(p.line.text) < 60
            for p in above[:1] + [p for p in above[1:2] if _overlap(p, piece)]
        ):
            continue  # an officer signing for a company
        start = piece.start + signed.start("name")
        name = _parse_name(doc.flat, start, piece.start + len(text))
        if name is None or _CORPORATE.search(name[0]) or len(name[0].split()) < 2:
            continue
        last = name[0].split()[-1].casefold()
        for p in below:
            full = _parse_name(doc.flat, p.start, p.start + len(p.line.text))
            if full and full[0].split()[-1].casefold() == last and len(full[0]) > len(name[0]):
                name = full
                break
        found.append(name)
    # A name printed above its caption ("Adrian Adams" over "(Print Name)").
    for i, piece in enumerate(pieces):
        if not _PRINT_NAME.match(piece.line.text):
            continue
        for p in _column(pieces, i, below=False, count=1):
            name = _parse_name(doc.flat, p.start, p.start + len(p.line.text))
            if name and not _CORPORATE.search(name[0]) and len(name[0].split()) >= 2:
                found.append(name)
    return found


_DEFINED_COMPANY = re.compile(
    r"\((?:[^()]{0,40}?)[“\"]\s*(?:Company|Employer|Corporation|Bank)\s*[”\"]\s*\)"
)


def _defined_company(doc: _Document, limit: int) -> list[tuple[str, int, int]]:
    """The company an agreement with one named party defines as "the Company" (employee
    agreements: "my employment with Dolby Laboratories, Inc. (the “Company”)")."""
    text = doc.flat
    for m in _DEFINED_COMPANY.finditer(text, 0, limit):
        window_start = max(0, m.start() - 200)
        for suffix in reversed(list(_CORPORATE.finditer(text, window_start, m.start()))):
            tokens = list(re.finditer(r"\S+", text[window_start : suffix.start()]))
            walked = []
            for t in reversed(tokens):
                word = t.group().rstrip(",")
                if not (_is_name_token(word) or word.casefold() in _CONNECTORS):
                    break
                walked.append(t)
            if not walked:
                continue
            starts = [window_start + t.start() for t in reversed(walked)]
            if re.search(r"(?i)\ban?\s+$", text[max(0, starts[0] - 4) : starts[0]]):
                continue  # "a Delaware corporation" describes the company named before it
            # The longest name that reads as one, beginning with a word of its own, not "of":
            # "an associate of Ann Taylor, Inc.", "the Board of Directors of Interactive Data
            # Corporation" (no company is named "Directors of ...").
            for start, t in zip(starts, reversed(walked), strict=True):
                if t.group().rstrip(",").casefold() in _CONNECTORS:
                    continue
                name = _parse_name(text, start, suffix.end() + 2)
                if name and _CORPORATE.search(name[0]):
                    return [name]
    return []


def _extract_parties(doc: _Document) -> tuple[int, Extracted] | None:
    first_end = doc.page_spans[doc.numbers[min(len(doc.numbers), FIRST_PAGES) - 1]][1]
    names = _preamble_parties(doc, min(first_end, 6000))
    confidence = 0.6
    if len(names) < 2:
        signature = doc.lines_on(doc.numbers[-2:])
        names = _defined_company(doc, min(first_end, 4000))
        names += _signature_companies(doc, signature) + _signature_people(doc, signature)
        confidence = 0.35
    unique: dict[str, tuple[str, int, int]] = {}
    for name, start, end in names:
        key = _key(name)
        longer = [k for k in unique if f" {key}" in f" {k}"]
        if longer:
            continue  # "Equity Partners LLC" after "Providence Equity Partners LLC"
        for shorter in [k for k in unique if f" {k}" in f" {key}"]:
            del unique[shorter]
        unique[key] = (normalise_party(name), start, end)
    if not unique:
        return None
    values = list(unique.values())
    page = doc.page_at(values[0][1])
    on_page = [v for v in values if doc.page_at(v[1]) == page]
    page, box = doc.where(min(v[1] for v in on_page), max(v[2] for v in on_page))
    value = NAMES_SEPARATOR.join(v[0] for v in values)
    raw = " / ".join(doc.flat[v[1] : v[2]] for v in values)
    return page, Extracted(value, raw, box, confidence)


# --------------------------------------------------------------------------------------------
# Entry point


def _rule(name: str, kind: str) -> str | None:
    key = name.casefold()
    if kind == "names":
        return "parties"
    if kind == "date":
        return "effective_date" if not re.search(r"due|expir|end|terminat", key) else None
    if kind == "text" and re.search(r"jurisdiction|governing|law", key):
        return "jurisdiction"
    if kind == "text" and re.search(r"term|duration|period", key):
        return "term"
    return None


def reads(name: str, kind: str) -> bool:
    """Whether a contract rule fills this field (the others are left to the page rules)."""
    return _rule(name, kind) is not None


def extract_contract_fields(
    pages: Sequence[PageWords], fields: Iterable[tuple[str, str]]
) -> dict[str, tuple[int, Extracted]]:
    """The fields the contract rules find on ``pages`` (the first and last pages of the
    document, in any order): ``{name: (page number, value)}``; a field without a candidate
    is absent, as is a field no contract rule reads."""
    doc = _Document(pages)
    if not doc.pieces:
        return {}
    rules = {
        "parties": _extract_parties,
        "effective_date": _extract_effective_date,
        "jurisdiction": _extract_jurisdiction,
        "term": _extract_term,
    }
    out: dict[str, tuple[int, Extracted]] = {}
    for name, kind in fields:
        rule = _rule(name, str(kind))
        found = rules[rule](doc) if rule else None
        if found is not None:
            out[name] = found
    return out


__all__ = [
    "FIRST_PAGES",
    "LAST_PAGES",
    "NAMES_SEPARATOR",
    "PageWords",
    "extract_contract_fields",
    "is_contract_schema",
    "normalise_party",
    "pages_to_read",
    "reads",
    "split_names",
]
