"""Business and personal letters: letterhead or sender block, recipient, date, subject, body."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .. import names
from ..canvas import Page, logo, signature
from ..text import CLOSINGS, LETTER_TOPICS, SALUTATIONS
from .common import DocContext, Document, initials, random_date


@dataclass(frozen=True)
class Letter:
    sender: str
    sender_lines: tuple[str, ...]  # address and contact lines under the sender name
    company: names.Company | None  # set when a firm writes (letterhead layouts need it)
    city: str
    signatory: str
    recipient: names.Person
    recipient_address: names.Address
    date: dt.date
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str


def _facts(ctx: DocContext, date: dt.date) -> dict[str, str]:
    rng = ctx.rng
    later = date + dt.timedelta(days=rng.randint(7, 60))
    return {
        "date2": ctx.date(later),
        "ref": f"{names.letters(rng, 2)}-{rng.randint(10000, 999999)}",
        "amount": ctx.amount(
            Decimal(rng.randint(20, 5000)) + Decimal(rng.choice((0, 50, 99))) / 100
        ),
        "new_address": names.address(ctx.locale, rng).one_line(),
        "time": f"{rng.randint(8, 17)}:{rng.choice(('00', '15', '30', '45'))}",
    }


def make_letter(ctx: DocContext) -> Letter:
    rng, loc = ctx.rng, ctx.locale
    topic = rng.choice(sorted(LETTER_TOPICS))
    subject, body = LETTER_TOPICS[topic]
    date = random_date(rng)
    facts = _facts(ctx, date)
    private = topic in ("address", "complaint", "cancellation") and rng.random() < 0.7
    recipient = names.person(loc, rng, with_title=True)
    if private:
        writer = names.person(loc, rng)
        address = names.address(loc, rng)
        sender, lines, company, signatory = writer.full, address.lines, None, writer.full
        city = address.city
    else:
        company = names.company(loc, rng)
        signatory = names.person(loc, rng).full
        sender, lines = company.name, (*company.address.lines, company.phone, company.email)
        city = company.address.city
    salutation = rng.choice(SALUTATIONS).format(
        formal=recipient.formal if recipient.title else recipient.full, first=recipient.first
    )
    return Letter(
        sender=sender,
        sender_lines=tuple(lines),
        company=company,
        city=city,
        signatory=signatory,
        recipient=recipient,
        recipient_address=names.address(loc, rng),
        date=date,
        subject=subject.format(**facts),
        salutation=salutation,
        paragraphs=tuple(p.format(**facts) for p in body),
        closing=rng.choice(CLOSINGS),
    )


def fields(letter: Letter) -> dict[str, str]:
    return {
        "sender": letter.sender,
        "recipient": letter.recipient.full,
        "date": letter.date.isoformat(),
    }


# --- shared pieces -----------------------------------------------------------------------------


def _recipient_lines(letter: Letter) -> list[str]:
    return [letter.recipient.formal, *letter.recipient_address.lines]


def _body(
    ctx: DocContext, page: Page, x: float, y: float, width: float, letter: Letter, gap: float = 4.0
) -> float:
    """Salutation, paragraphs, closing, signature and typed name; returns the y below."""
    t = ctx.theme
    y = page.paragraph(x, y, width, letter.salutation, t.size) + gap
    for para in letter.paragraphs:
        y = page.paragraph(x, y, width, para, t.size, justify=ctx.chance(0.4)) + gap
    y = page.paragraph(x, y + 2, width, letter.closing, t.size)
    signature(page, x + 2, y + 1, 45, 12, ctx.rng)
    y += 15
    page.text(x, y, letter.signatory, t.size)
    if letter.company:
        page.text(x, y + page.line_h(t.size), letter.company.name, t.size - 0.5)
    return y + 10


# --- layouts -----------------------------------------------------------------------------------


def _window(ctx: DocContext, letter: Letter) -> list[Page]:
    """Continental window-envelope letter: return line, address field, date right, subject bold."""
    page, t = ctx.page(), ctx.theme
    m, w = 24.0, ctx.page_w
    if letter.company:
        logo(page, w - 20 - 16, 12, 16, ctx.rng, t.accent, initials(letter.sender))
        page.text(w - 40, 14, letter.sender, t.size + 4, "bold", "head", anchor="ra")
        page.lines(w - 40, 22, letter.sender_lines[-2:], t.size - 2, anchor="ra")
    else:
        page.text(w - 20, 14, letter.sender, t.size + 2, "bold", anchor="ra")
    sender = ", ".join([letter.sender, *letter.sender_lines[:2]])
    page.text(m, 47, sender, t.size - 3)
    page.lines(m, 53, _recipient_lines(letter), t.size)
    # Continental letters often open the date line with the place: "Berlin, 2. Januar 2024".
    date_text = ctx.date(letter.date)
    if ctx.chance(0.5):
        date_text = f"{letter.city}, {date_text}"
    page.text(w - 20, 92, date_text, t.size, anchor="ra")
    page.text(m, 102, letter.subject, t.size + 0.5, "bold")
    _body(ctx, page, m, 112, w - m - 20, letter)
    if letter.company:
        page.hline(m, w - 20, page.h - 22, 0.2)
        page.text(m, page.h - 19, " · ".join(letter.sender_lines), t.size - 3)
    return [page]


def _block(ctx: DocContext, letter: Letter) -> list[Page]:
    """US block style: sender block top-left, date, inside address, 'Re:' line, flush-left body."""
    page, t, m = ctx.page(), ctx.theme, ctx.margin + 5
    w = ctx.page_w
    y = page.lines(m, m, [letter.sender, *letter.sender_lines], t.size)
    y += 10
    page.text(m, y, ctx.date(letter.date), t.size)
    y = page.lines(m, y + 12, _recipient_lines(letter), t.size) + 8
    page.text(m, y, f"Re: {letter.subject}", t.size, "bold")
    _body(ctx, page, m, y + 10, w - 2 * m, letter, gap=5)
    return [page]


def _letterhead(ctx: DocContext, letter: Letter) -> list[Page]:
    """Centred letterhead with logo and accent rule; footer with contact details."""
    page, t, m = ctx.page(), ctx.theme, ctx.margin + 2
    w = ctx.page_w
    logo(page, w / 2 - 8, 10, 16, ctx.rng, t.accent, initials(letter.sender))
    page.text(w / 2, 29, letter.sender, t.size + 5, "bold", "head", t.accent, "ma")
    page.hline(m, w - m, 39, 0.6, t.accent)
    page.text(w - m, 46, ctx.date(letter.date), t.size, anchor="ra")
    y = page.lines(m, 50, _recipient_lines(letter), t.size) + 10
    y = page.paragraph(m, y, w - 2 * m, letter.subject.upper(), t.size, "bold") + 5
    _body(ctx, page, m, y, w - 2 * m, letter, gap=3)
    page.hline(m, w - m, page.h - 18, 0.3, t.accent)
    page.text(w / 2, page.h - 15, " | ".join(letter.sender_lines), t.size - 3, anchor="ma")
    return [page]


LAYOUTS: dict[str, Callable[[DocContext, Letter], list[Page]]] = {
    "window": _window,
    "block": _block,
    "letterhead": _letterhead,
}


def build(ctx: DocContext) -> Document:
    letter = make_letter(ctx)
    options = sorted(LAYOUTS) if letter.company else ["block", "window"]  # no letterhead at home
    name = ctx.rng.choice(options)
    pages = LAYOUTS[name](ctx, letter)
    return Document(fields(letter), [p.img for p in pages], "png", name, letter.date)
