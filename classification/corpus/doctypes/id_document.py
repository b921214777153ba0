"""Identity documents: passport data pages, ID cards (front and back), driving licences.

Each is drawn as a card (gradient, guilloche lines, photo silhouette, fields, a machine-readable
zone with valid ICAO check digits) and then either photocopied onto a page or photographed on a
desk. Every card says SPECIMEN: these are training images, not convincing fakes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageOps

from .. import names
from ..canvas import Page, signature
from ..locales import MONTHS_ABBR
from .common import DocContext, Document, random_date

ISO3 = {"US": "USA", "GB": "GBR", "IE": "IRL", "DE": "D<<", "CH": "CHE", "FR": "FRA", "NL": "NLD"}
STATE = {
    "US": "UNITED STATES OF AMERICA", "GB": "UNITED KINGDOM", "IE": "IRELAND · ÉIRE",
    "DE": "BUNDESREPUBLIK DEUTSCHLAND", "CH": "SCHWEIZ · SUISSE · SVIZZERA",
    "FR": "RÉPUBLIQUE FRANÇAISE", "NL": "KONINKRIJK DER NEDERLANDEN",
}  # fmt: skip
NATIONALITY = {
    "US": "USA",
    "GB": "BRITISH CITIZEN",
    "IE": "IRISH",
    "DE": "DEUTSCH",
    "CH": "SCHWEIZ",
    "FR": "FRANÇAISE",
    "NL": "NEDERLANDSE",
}
TITLES = {
    "passport": {
        "DE": "REISEPASS / PASSPORT",
        "FR": "PASSEPORT / PASSPORT",
        "NL": "PASPOORT / PASSPORT",
        "CH": "PASS / PASSEPORT / PASSPORT",
        "IE": "PAS / PASSPORT",
    },
    "id_card": {
        "DE": "PERSONALAUSWEIS / IDENTITY CARD",
        "FR": "CARTE NATIONALE D'IDENTITÉ",
        "NL": "IDENTITEITSKAART / IDENTITY CARD",
        "CH": "IDENTITÄTSKARTE / IDENTITY CARD",
        "US": "PASSPORT CARD",
        "IE": "PASSPORT CARD",
        "GB": "RESIDENCE CARD",
    },
    "licence": {
        "DE": "FÜHRERSCHEIN / DRIVING LICENCE",
        "FR": "PERMIS DE CONDUIRE",
        "NL": "RIJBEWIJS",
        "CH": "FÜHRERAUSWEIS / DRIVING LICENCE",
        "US": "DRIVER LICENSE",
    },
}
AUTHORITY = {
    "US": "U.S. DEPARTMENT OF STATE",
    "GB": "HMPO",
    "IE": "DFA DUBLIN",
    "DE": "STADT {city}",
    "CH": "{city}",
    "FR": "PRÉFECTURE {city}",
    "NL": "BURG. VAN {city}",
}
_NUM_ALPHABET = (
    "CFGHJKLMNPRTVWXYZ0123456789"  # German document numbers avoid vowels and look-alikes
)


@dataclass(frozen=True)
class IdDoc:
    kind: str  # "passport", "id_card" or "licence"
    country: str
    person: names.Person
    sex: str
    born: dt.date
    birthplace: str
    issued: dt.date
    expiry: dt.date
    number: str
    authority: str
    address: names.Address


def _number(ctx: DocContext, kind: str, person: names.Person) -> str:
    rng, c = ctx.rng, ctx.locale.country
    d, letters = names.digits, names.letters
    if kind == "licence":
        shapes = {
            "US": lambda: f"{letters(rng, 1)}{d(rng, 3)}-{d(rng, 4)}-{d(rng, 4)}",
            "GB": lambda: (
                f"{names.mrz_name(person.last)[:5].ljust(5, '9')}{d(rng, 6)}"
                f"{names.mrz_name(person.first)[:1]}{letters(rng, 1)}{d(rng, 1)}{letters(rng, 2)}"
            ),
            "DE": lambda: (
                f"{letters(rng, 1)}{d(rng, 3)}{letters(rng, 3, _NUM_ALPHABET)}{d(rng, 4)}"
            ),
            "FR": lambda: d(rng, 12),
            "NL": lambda: d(rng, 10),
        }
        return shapes.get(c, lambda: d(rng, 9))()
    if c == "DE":
        return ("C" if kind == "passport" else "L") + letters(rng, 8, _NUM_ALPHABET)
    shapes = {
        "US": lambda: ("C" if kind == "id_card" else "") + d(rng, 8 if kind == "id_card" else 9),
        "GB": lambda: d(rng, 9),
        "IE": lambda: f"{letters(rng, 2)}{d(rng, 7)}",
        "CH": lambda: f"{letters(rng, 1)}{d(rng, 7)}",
        "FR": lambda: f"{d(rng, 2)}{letters(rng, 2)}{d(rng, 5)}",
        "NL": lambda: f"{letters(rng, 2)}{letters(rng, 6, _NUM_ALPHABET)}{d(rng, 1)}",
    }
    return shapes[c]()


def _kind(ctx: DocContext) -> str:
    options = ["passport", "id_card", "licence"]
    if ctx.locale.country in ("GB", "IE"):
        options.remove("licence" if ctx.locale.country == "IE" else "id_card")
    return ctx.rng.choice(options)


def make_id(ctx: DocContext) -> IdDoc:
    rng, loc = ctx.rng, ctx.locale
    kind = _kind(ctx)
    person = names.person(loc, rng)
    today = random_date(rng)
    issued = today - dt.timedelta(days=rng.randint(30, 9 * 365))
    years = 10 if kind != "licence" or loc.country != "US" else 8
    expiry = issued.replace(year=issued.year + years, day=min(issued.day, 28)) - dt.timedelta(
        days=1
    )
    born = today.replace(year=today.year - rng.randint(19, 78), day=min(today.day, 28))
    born -= dt.timedelta(days=rng.randint(0, 360))
    address = names.address(loc, rng)
    return IdDoc(
        kind=kind,
        country=loc.country,
        person=person,
        sex=rng.choice("FM"),
        born=born,
        birthplace=names.address(loc, rng).city.upper(),
        issued=issued,
        expiry=expiry,
        number=_number(ctx, kind, person),
        authority="DVLA"
        if (kind, loc.country) == ("licence", "GB")
        else AUTHORITY[loc.country].format(city=address.city.upper()),
        address=address,
    )


def fields(doc: IdDoc) -> dict[str, str]:
    return {
        "name": doc.person.full,
        "date_of_birth": doc.born.isoformat(),
        "document_number": doc.number,
        "expiry_date": doc.expiry.isoformat(),
    }


# --- printed conventions -----------------------------------------------------------------------


def id_date(doc: IdDoc, d: dt.date) -> str:
    """Passports print '02 JAN 1985'; US cards month first; European cards '02.01.1985'."""
    if doc.kind == "passport":
        return f"{d.day:02d} {MONTHS_ABBR['en'][d.month - 1].upper()} {d.year}"
    if doc.country == "US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    return f"{d.day:02d} {d.month:02d} {d.year}" if doc.country == "FR" else f"{d:%d.%m.%Y}"


def _yymmdd(d: dt.date) -> str:
    return f"{d.year % 100:02d}{d.month:02d}{d.day:02d}"


def mrz_td3(doc: IdDoc) -> tuple[str, str]:
    """Passport machine-readable zone, two lines of 44 characters, ICAO 9303."""
    c3, check = ISO3[doc.country], names.mrz_check
    name = f"{names.mrz_name(doc.person.last)}<<{names.mrz_name(doc.person.first)}"
    line1 = f"P<{c3}{name}".ljust(44, "<")[:44]
    number = doc.number.replace("-", "")[:9].ljust(9, "<")
    personal = "<" * 14
    parts = [
        number + check(number),
        _yymmdd(doc.born) + check(_yymmdd(doc.born)),
        _yymmdd(doc.expiry) + check(_yymmdd(doc.expiry)),
        personal + check(personal),
    ]
    composite = check("".join(parts))
    line2 = f"{parts[0]}{c3}{parts[1]}{doc.sex}{parts[2]}{parts[3]}{composite}"
    return line1, line2


def mrz_td1(doc: IdDoc) -> tuple[str, str, str]:
    """ID-card machine-readable zone, three lines of 30 characters."""
    c3, check = ISO3[doc.country], names.mrz_check
    number = doc.number[:9].ljust(9, "<")
    line1 = f"I<{c3}{number}{check(number)}".ljust(30, "<")
    born, expiry = _yymmdd(doc.born), _yymmdd(doc.expiry)
    line2 = f"{born}{check(born)}{doc.sex}{expiry}{check(expiry)}{c3}".ljust(29, "<")
    composite = check(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    line2 += composite
    line3 = f"{names.mrz_name(doc.person.last)}<<{names.mrz_name(doc.person.first)}".ljust(30, "<")[
        :30
    ]
    return line1, line2, line3


# --- card drawing ------------------------------------------------------------------------------

PALETTES = (
    ((225, 236, 246), (246, 226, 236)), ((232, 244, 228), (250, 240, 215)),
    ((246, 228, 230), (228, 232, 248)), ((240, 238, 226), (220, 238, 240)),
)  # fmt: skip


def _card(ctx: DocContext, size_mm: tuple[float, float], k: float) -> Page:
    """Blank card: two-colour gradient plus guilloche waves, on which fields are drawn."""
    page = Page((round(size_mm[0] * k), round(size_mm[1] * k)), k, ctx.theme)
    top, bottom = ctx.rng.choice(PALETTES)
    ramp = Image.linear_gradient("L").resize(page.img.size)
    page.img.paste(ImageOps.colorize(ramp, top, bottom))
    line = tuple(max(0, c - 28) for c in bottom)
    phase = ctx.rng.uniform(0, math.tau)
    for i in range(14):
        amp, freq = page.h * 0.08, 2 + i % 4
        pts = [
            (
                x,
                page.h * (0.12 + i * 0.06)
                + amp * math.sin(freq * x / page.w * math.tau + phase + i),
            )
            for x in _steps(page.w, 2.0)
        ]
        page.draw.line([(page.px(x), page.px(y)) for x, y in pts], fill=line, width=1)
    page.draw.rounded_rectangle(
        (0, 0, page.img.width - 1, page.img.height - 1),
        radius=page.px(3),
        outline=(150, 150, 150),
        width=1,
    )
    return page


def _steps(stop: float, step: float) -> list[float]:
    return [i * step for i in range(int(stop / step) + 2)]


def _photo(page: Page, x: float, y: float, w: float, h: float) -> None:
    """Portrait placeholder: grey field with a head-and-shoulders silhouette."""
    page.rect(x, y, x + w, y + h, fill=(214, 214, 210))
    d, px = page.draw, page.px
    d.ellipse(
        (px(x + w * 0.3), px(y + h * 0.14), px(x + w * 0.7), px(y + h * 0.56)), fill=(120, 120, 118)
    )
    d.chord(
        (px(x + w * 0.08), px(y + h * 0.6), px(x + w * 0.92), px(y + h * 1.35)),
        180,
        360,
        fill=(120, 120, 118),
    )


def _field(page: Page, x: float, y: float, label: str, value: str, size: float = 7.5) -> float:
    page.text(x, y, label, 4.8, fill=(90, 90, 110))
    page.text(x, y + 2.2, page.fit(value, page.w - x - 2, page.font(size, "bold")), size, "bold")
    return y + 6.2


def _specimen(page: Page, y: float) -> None:
    page.text(page.w - 3, y, "SPECIMEN", 9, "bold", fill=(200, 60, 60), anchor="ra")


def _mrz(page: Page, lines: tuple[str, ...], size: float) -> None:
    """Machine-readable lines at the bottom in a monospaced font, on a white band."""
    step = size * 0.3528 * 1.25
    top = page.h - 2.5 - step * len(lines)
    page.rect(0, top - 1.5, page.w, page.h, fill=(250, 250, 250))
    for i, line in enumerate(lines):
        page.text(page.w / 2, top + i * step, line, size, "bold", "mono", (20, 20, 20), "ma")


def passport_page(ctx: DocContext, doc: IdDoc, k: float) -> Image.Image:
    page = _card(ctx, (125.0, 88.0), k)
    page.text(4, 3, STATE[doc.country], 8, "bold", "head")
    page.text(
        page.w - 4, 3, TITLES["passport"].get(doc.country, "PASSPORT"), 7, "bold", anchor="ra"
    )
    _photo(page, 4, 12, 30, 38)
    x, y = 39.0, 11.0
    pairs = [
        ("Type / Code", f"P   {ISO3[doc.country].strip('<')}"),
        ("Passport No.", doc.number),
        ("Surname", doc.person.last.upper()),
        ("Given names", doc.person.first.upper()),
        ("Nationality", NATIONALITY[doc.country]),
        ("Date of birth", id_date(doc, doc.born)),
    ]
    for label, value in pairs:
        y = _field(page, x, y, label, value)
    y = 11.0
    for label, value in (
        ("Sex", doc.sex),
        ("Place of birth", doc.birthplace),
        ("Date of issue", id_date(doc, doc.issued)),
        ("Date of expiry", id_date(doc, doc.expiry)),
        ("Authority", doc.authority),
    ):
        y = _field(page, 85, y, label, value, 7)
    signature(page, 6, 52, 26, 7, ctx.rng)
    _specimen(page, 56)
    _mrz(page, mrz_td3(doc), 9.5)
    return page.img


def id_card(ctx: DocContext, doc: IdDoc, k: float) -> tuple[Image.Image, Image.Image]:
    front = _card(ctx, (85.6, 54.0), k)
    front.text(3, 2.5, STATE[doc.country], 6, "bold", "head")
    front.text(
        3, 6, TITLES["id_card"].get(doc.country, "IDENTITY CARD"), 5.5, fill=ctx.theme.accent
    )
    front.text(front.w - 3, 2.5, doc.number, 7.5, "bold", anchor="ra")
    _photo(front, 3, 11, 24, 31)
    y = 10.0
    for label, value in (
        ("Surname", doc.person.last.upper()),
        ("Given names", doc.person.first.upper()),
        ("Date of birth", id_date(doc, doc.born)),
        ("Nationality", NATIONALITY[doc.country]),
        ("Date of expiry", id_date(doc, doc.expiry)),
    ):
        y = _field(front, 30, y, label, value, 7)
    signature(front, 30, y + 0.5, 28, 6, ctx.rng)
    _specimen(front, front.h - 7)
    back = _card(ctx, (85.6, 54.0), k)
    y = _field(back, 3, 3, "Address", ", ".join(doc.address.lines), 6.5)
    y = _field(back, 3, y, "Place of birth", doc.birthplace, 6.5)
    _field(
        back, 3, y, "Date of issue / Authority", f"{id_date(doc, doc.issued)}  {doc.authority}", 6.5
    )
    _mrz(back, mrz_td1(doc), 8.5)
    return front.img, back.img


def licence(ctx: DocContext, doc: IdDoc, k: float) -> tuple[Image.Image, Image.Image]:
    """EU-style numbered fields (1. surname, 2. given names, 4b. expiry, 5. number...)."""
    front = _card(ctx, (85.6, 54.0), k)
    title = TITLES["licence"].get(doc.country, "DRIVING LICENCE")
    front.rect(0, 0, front.w, 8, fill=ctx.theme.accent)
    front.text(3, 1.8, title, 7, "bold", fill=(255, 255, 255))
    if doc.country == "US":
        front.text(
            front.w - 3,
            1.8,
            doc.address.lines[-1].split(",")[-1].split()[0],
            7,
            "bold",
            fill=(255, 255, 255),
            anchor="ra",
        )
    _photo(front, 3, 11, 23, 30)
    rows = [
        ("1.", doc.person.last.upper()),
        ("2.", doc.person.first.upper()),
        ("3.", f"{id_date(doc, doc.born)}  {doc.birthplace}"),
        ("4a.", id_date(doc, doc.issued)),
        ("4b.", id_date(doc, doc.expiry)),
        ("4c.", doc.authority),
        ("5.", doc.number),
        ("9.", "AM/A1/B/BE"),
    ]
    y = 10.5
    for key, value in rows:
        front.text(29, y, key, 6, "bold", fill=(60, 60, 90))
        front.text(35, y, front.fit(value, front.w - 38, front.font(6.5)), 6.5)
        y += 4.6
    signature(front, 4, 43, 20, 6, ctx.rng)
    _specimen(front, front.h - 6)
    back = _card(ctx, (85.6, 54.0), k)
    categories = ("AM", "A1", "A2", "A", "B1", "B", "C1", "C", "D1", "D", "BE", "CE")
    for i, cat in enumerate(categories):
        y = 4 + i * 3.8
        back.hline(3, back.w - 3, y + 3.4, 0.1)
        back.text(4, y, cat, 6, "bold")
        held = cat in ("AM", "A1", "B", "BE")
        back.text(20, y, id_date(doc, doc.issued) if held else "", 6)
        back.text(45, y, id_date(doc, doc.expiry) if held else "", 6)
    return front.img, back.img


# --- presentations -----------------------------------------------------------------------------


def _photocopy(ctx: DocContext, cards: list[Image.Image]) -> Image.Image:
    """Cards laid on a copier glass: placed on a white page, one below the other."""
    page = ctx.page()
    y = ctx.rng.uniform(18, 35)
    for card in cards:
        x = page.px(ctx.rng.uniform(18, 40))
        page.img.paste(card, (x, page.px(y)))
        y += card.height / page.k + ctx.rng.uniform(8, 20)
    return page.img


def _photographed(ctx: DocContext, card: Image.Image) -> Image.Image:
    """A phone photo of the card on a desk: darker surround, card roughly centred."""
    desk = tuple(ctx.rng.randint(60, 150) for _ in range(3))
    margin_x = round(card.width * ctx.rng.uniform(0.05, 0.14))
    margin_y = round(card.height * ctx.rng.uniform(0.06, 0.16))
    canvas = Image.new("RGB", (card.width + 2 * margin_x, card.height + 2 * margin_y), desk)
    canvas.paste(card, (margin_x, margin_y))
    return canvas


RENDERERS: dict[str, Callable[[DocContext, IdDoc, float], list[Image.Image]]] = {
    "passport": lambda ctx, doc, k: [passport_page(ctx, doc, k)],
    "id_card": lambda ctx, doc, k: list(id_card(ctx, doc, k)),
    "licence": lambda ctx, doc, k: list(licence(ctx, doc, k)),
}


def build(ctx: DocContext) -> Document:
    doc = make_id(ctx)
    photographed = ctx.chance(0.45)
    # A phone photo fills the frame with the card, so it is captured at higher resolution.
    k = ctx.px_per_mm * (1.9 if photographed else 1.0)
    cards = RENDERERS[doc.kind](ctx, doc, k)
    image = _photographed(ctx, cards[0]) if photographed else _photocopy(ctx, cards)
    template = f"{doc.kind}_{'photo' if photographed else 'copy'}"
    return Document(fields(doc), [image], "png", template, doc.issued)
