"""Contracts: numbered clauses over 2-4 pages, a signature block, always written as PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .. import names
from ..canvas import Col, Flow, Page, logo, signature
from ..locales import money
from ..text import (
    CONTRACT_KINDS,
    TERMS_SENTENCES,
    Clause,
    ContractFacts,
    contract_clauses,
    governing_law_clause,
    term_text,
    with_article,
)
from .common import DocContext, Document, initials, page_numbers, random_date

MIN_PAGES, MAX_PAGES = 2, 4


@dataclass(frozen=True)
class Party:
    name: str
    description: str  # "a company registered in ... whose registered office is at ..."
    address: str
    signatory: str
    role_title: str  # "Managing Director", or "" for a private individual


@dataclass(frozen=True)
class Contract:
    title: str
    parties: tuple[Party, Party]
    roles: tuple[str, str]
    effective: dt.date
    jurisdiction: str
    term: str  # canonical, e.g. "24 months"
    facts: ContractFacts
    clauses: tuple[Clause, ...]  # without the governing-law clause
    law: Clause
    fee: Decimal
    schedule: tuple[tuple[str, Decimal], ...]  # monthly fee broken down by service


def _company_party(ctx: DocContext) -> Party:
    c = names.company(ctx.locale, ctx.rng)
    reg = f"{ctx.locale.country}{names.digits(ctx.rng, 8)}"
    desc = (
        f"a company registered in {ctx.locale.country_name} under number {reg}, whose "
        f"registered office is at {c.address.one_line()}"
    )
    title = ctx.rng.choice(
        ("Managing Director", "Chief Executive Officer", "Director", "Authorised Signatory")
    )
    return Party(c.name, desc, c.address.one_line(), names.person(ctx.locale, ctx.rng).full, title)


def _person_party(ctx: DocContext) -> Party:
    p = names.person(ctx.locale, ctx.rng)
    home = names.address(ctx.locale, ctx.rng).one_line()
    return Party(p.full, f"residing at {home}", home, p.full, "")


def make_contract(ctx: DocContext) -> Contract:
    rng = ctx.rng
    title, role_a, role_b = rng.choice(CONTRACT_KINDS)
    first = _company_party(ctx)
    second = (
        _person_party(ctx) if "Consult" in title and rng.random() < 0.5 else _company_party(ctx)
    )
    months = rng.choice((6, 12, 12, 18, 24, 24, 36, 48, 60))
    canonical, printed = term_text(months, rng)
    fee = Decimal(rng.randint(8, 400) * 50)
    jurisdiction = rng.choice(ctx.locale.jurisdictions)
    services = rng.sample(names.TRADES[rng.choice(sorted(names.TRADES))][1], k=3)
    split = sorted(rng.sample(range(1, 100), k=len(services) - 1))
    shares = [b - a for a, b in zip([0, *split], [*split, 100], strict=True)]
    parts = [money(fee * share / 100) for share in shares[:-1]]
    schedule = tuple(zip([s[0] for s in services], [*parts, fee - sum(parts)], strict=True))
    facts = ContractFacts(
        role_a, role_b, jurisdiction, printed, rng.choice((30, 60, 90)), ctx.amount(fee)
    )
    return Contract(
        title=title,
        parties=(first, second),
        roles=(role_a, role_b),
        effective=random_date(rng),
        jurisdiction=jurisdiction,
        term=canonical,
        facts=facts,
        clauses=tuple(contract_clauses(rng, facts)),
        law=governing_law_clause(rng, facts),
        fee=fee,
        schedule=schedule,
    )


def fields(c: Contract) -> dict[str, object]:
    return {
        "parties": [p.name for p in c.parties],
        "effective_date": c.effective.isoformat(),
        "jurisdiction": c.jurisdiction,
        "term": c.term,
    }


def _cap(role: str) -> str:
    return role.replace("the ", "", 1).title()


def _party_paragraph(c: Contract, i: int) -> str:
    p = c.parties[i]
    return f"({i + 1}) {p.name}, {p.description} (the \u201c{_cap(c.roles[i])}\u201d)"


# --- shared blocks -----------------------------------------------------------------------------


def _signatures(ctx: DocContext, flow: Flow, c: Contract, x: float, width: float) -> None:
    """Two signature columns: scribble, line, name, title, date."""
    flow.ensure(58)
    page, t = flow.page, ctx.theme
    y = page.paragraph(
        x,
        flow.y + 4,
        width,
        "IN WITNESS WHEREOF the parties have executed this Agreement on the dates set out below.",
        t.size,
    )
    y += 8
    col = width / 2
    for i, party in enumerate(c.parties):
        cx = x + i * col
        page.text(cx, y, f"For {_cap(c.roles[i])}:", t.size, "bold")
        signature(page, cx + 4, y + 6, col * 0.55, 14, ctx.rng)
        page.hline(cx, cx + col - 10, y + 21, 0.25)
        lines = [party.signatory, party.role_title or "", f"Date: {ctx.date(c.effective)}"]
        page.lines(cx, y + 23, [ln for ln in lines if ln], t.size - 1)
    flow.y = y + 45


def _schedule(ctx: DocContext, flow: Flow, c: Contract, x: float, width: float) -> None:
    """'Schedule 1' on a page of its own: the services and how the monthly fee splits."""
    flow.y = flow.bottom + 1
    flow.ensure(10)
    page, t = flow.page, ctx.theme
    page.text(x, flow.y, "SCHEDULE 1 \u2013 SERVICES AND FEES", t.size + 2, "bold", "head")
    provider = c.roles[1][0].upper() + c.roles[1][1:]
    intro = (
        f"{provider} shall provide the following services to {c.roles[0]} throughout the term "
        f"of this Agreement, commencing on {ctx.date(c.effective)}."
    )
    y = page.paragraph(x, flow.y + 12, width, intro, t.size) + 6
    cols = [Col("Service", width - 75), Col("Frequency", 35), Col("Fee per month", 40, "r")]
    rows = [
        [desc, ctx.rng.choice(("monthly", "as required", "weekly", "quarterly")), ctx.number(fee)]
        for desc, fee in c.schedule
    ]
    rows.append(["Total", "", ctx.amount(c.fee)])
    flow.y = page.table(x, y, cols, rows, "grid", t.size) + 8
    for sentence in TERMS_SENTENCES[1:4]:
        flow.y = page.paragraph(x, flow.y, width, sentence, t.size - 1) + 2


def _clause_count(pages_for: Callable[[int], int], total: int, target: int) -> int:
    """How many clauses to keep so the contract lands on ``target`` pages (2-4).

    Page count grows with the clause count, so a binary search needs ~4 layouts, not ~12.
    """
    lo, hi = 3, total  # the fewest clauses that reach the target page count
    while lo < hi:
        mid = (lo + hi) // 2
        if pages_for(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    while pages_for(lo) > MAX_PAGES and lo > 3:  # the signature block spilled onto a 5th page
        lo -= 1
    return lo


# --- layouts -----------------------------------------------------------------------------------


def _classic(ctx: DocContext, c: Contract, n: int, schedule: bool) -> list[Page]:
    """Solicitor style: centred title, BETWEEN (1)...(2), numbered clauses with sub-clauses."""
    m, t = ctx.margin + 5, ctx.theme
    flow = Flow(lambda i: (ctx.page(), m), ctx.page_h - m - 6)
    page, w = flow.page, flow.page.w
    iw = w - 2 * m
    page.text(w / 2, flow.y, c.title.upper(), t.size + 6, "bold", "head", anchor="ma")
    y = flow.y + 16
    y = page.paragraph(
        m,
        y,
        iw,
        f"THIS AGREEMENT is dated {ctx.date(c.effective)} (the \u201cEffective Date\u201d).",
        t.size,
    )
    page.text(m, y + 4, "PARTIES", t.size, "bold")
    y += 11
    for i in range(2):
        y = page.paragraph(m, y, iw, _party_paragraph(c, i), t.size, justify=True) + 2
    y = page.paragraph(m, y + 3, iw, "IT IS AGREED as follows:", t.size, "bold") + 4
    flow.y = y
    for number, clause in enumerate((*c.clauses[: n - 1], c.law), start=1):
        flow.ensure(page.line_h(t.size) * 4)
        flow.page.text(m, flow.y, f"{number}.", t.size, "bold")
        flow.page.text(m + 10, flow.y, clause.heading.upper(), t.size, "bold")
        flow.y += flow.page.line_h(t.size) * 1.6
        for sub, sentence in enumerate(clause.sentences, start=1):
            height = len(flow.page.wrap(sentence, iw - 10, t.size)) * flow.page.line_h(t.size)
            flow.ensure(height)
            flow.page.text(m, flow.y, f"{number}.{sub}", t.size)
            flow.y = (
                flow.page.paragraph(m + 10, flow.y, iw - 10, sentence, t.size, justify=True) + 1.5
            )
        flow.y += 3
    _signatures(ctx, flow, c, m, iw)
    if schedule:
        _schedule(ctx, flow, c, m, iw)
    page_numbers(flow.pages, 12, align="c")
    return flow.pages


def _modern(ctx: DocContext, c: Contract, n: int, schedule: bool) -> list[Page]:
    """Header band with logo, parties and key-terms tables, 'Article N' headings."""
    m, t = ctx.margin, ctx.theme
    first = c.parties[0]

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        logo(page, m, 10, 10, ctx.rng, t.accent, initials(first.name))
        page.text(m + 14, 12, first.name, t.size, "bold", fill=t.accent)
        page.text(page.w - m, 12, c.title, t.size - 1, anchor="ra")
        page.hline(m, page.w - m, 23, 0.3, t.accent)
        page.text(m, page.h - 12, "Initials: ______  ______", t.size - 2)
        return page, 30

    flow = Flow(start, ctx.page_h - 22)
    page, w = flow.page, flow.page.w
    iw = w - 2 * m
    page.text(m, flow.y, c.title, t.size + 9, "bold", "head")
    y = flow.y + 14
    cols = [Col("", 30), Col("Name", iw * 0.33), Col("Address / details", iw - 30 - iw * 0.33)]
    rows = [[_cap(c.roles[i]), c.parties[i].name, c.parties[i].address] for i in range(2)]
    y = page.table(m, y, cols, rows, "grid", t.size - 1.5) + 5
    terms = [
        ("Effective date", ctx.date(c.effective)),
        ("Term", c.facts.term_text),
        ("Notice period", f"{c.facts.notice} days"),
        ("Governing law", with_article(c.jurisdiction)),
    ]
    box_h = len(terms) * page.line_h(t.size - 0.5, 1.45) + 5
    page.rect(m, y, w - m, y + box_h, fill=t.light)
    y = page.kv(m + 3, y + 3, terms, 40, t.size - 0.5) + 8
    flow.y = y
    for number, clause in enumerate((*c.clauses[: n - 1], c.law), start=1):
        text = " ".join(clause.sentences)
        height = len(page.wrap(text, iw, t.size)) * page.line_h(t.size) + 10
        flow.ensure(min(height, 40))
        flow.page.text(
            m,
            flow.y,
            f"Article {number} \u2013 {clause.heading}",
            t.size + 1,
            "bold",
            "head",
            t.accent,
        )
        flow.y += page.line_h(t.size + 1) * 1.4
        for sentence in clause.sentences:
            flow.ensure(len(page.wrap(sentence, iw, t.size)) * page.line_h(t.size))
            flow.y = flow.page.paragraph(m, flow.y, iw, sentence, t.size) + 1
        flow.y += 4
    _signatures(ctx, flow, c, m, iw)
    if schedule:
        _schedule(ctx, flow, c, m, iw)
    page_numbers(flow.pages, 12, template="{i}/{n}", margin=m)
    return flow.pages


def _pleading(ctx: DocContext, c: Contract, n: int, schedule: bool) -> list[Page]:
    """US pleading-paper look: line numbers in a ruled left margin, inline section headings."""
    m, t = ctx.margin, ctx.theme
    left = m + 14
    step = t.size * 0.3528 * 1.9  # double-spaced lines, numbered in the margin

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        page.vline(left - 3, 0, page.h, 0.25)
        page.vline(left - 4, 0, page.h, 0.25)
        page.vline(page.w - m + 3, 0, page.h, 0.25)
        for k, yy in enumerate(_frange(m, page.h - m, step), start=1):
            page.text(left - 6, yy, str(k), t.size - 2, anchor="ra", fill=(120, 120, 120))
        return page, m

    flow = Flow(start, ctx.page_h - m - step)
    page, w = flow.page, flow.page.w
    iw = w - m - left

    def para(text: str, style: str = "regular", indent: float = 0) -> None:
        for line in page.wrap(text, iw - indent, t.size, style):
            flow.ensure(step)
            flow.page.text(left + indent, flow.y, line, t.size, style)
            flow.y += step

    para(c.title.upper(), "bold")
    para(
        f"This {c.title} (the \u201cAgreement\u201d) is entered into as of {ctx.date(c.effective)} "
        f"by and between {c.parties[0].name} (\u201c{_cap(c.roles[0])}\u201d) and "
        f"{c.parties[1].name} (\u201c{_cap(c.roles[1])}\u201d).",
    )
    para(
        "NOW, THEREFORE, in consideration of the mutual covenants contained herein, the parties "
        "agree as follows:"
    )
    for number, clause in enumerate((*c.clauses[: n - 1], c.law), start=1):
        para(f"Section {number}. {clause.heading}. " + " ".join(clause.sentences))
    flow.y += step
    _signatures(ctx, flow, c, left, iw)
    if schedule:
        _schedule(ctx, flow, c, left, iw)
    page_numbers(flow.pages, 8, align="c")
    return flow.pages


def _frange(start: float, stop: float, step: float) -> list[float]:
    out, v = [], start
    while v < stop:
        out.append(v)
        v += step
    return out


LAYOUTS: dict[str, Callable[[DocContext, Contract, int, bool], list[Page]]] = {
    "classic": _classic,
    "modern": _modern,
    "pleading": _pleading,
}


def build(ctx: DocContext) -> Document:
    c = make_contract(ctx)
    name = ctx.rng.choice(sorted(LAYOUTS))
    target = ctx.rng.randint(MIN_PAGES, MAX_PAGES)
    total = len(c.clauses) + 1
    layout = LAYOUTS[name]
    ctx.dry = True
    # A schedule page is common anyway, and the only way short-clause layouts reach 4 pages.
    schedule = ctx.chance(0.3) or len(layout(ctx, c, total, False)) < target
    count = _clause_count(lambda n: len(layout(ctx, c, n, schedule)), total, target)
    ctx.dry = False
    pages = layout(ctx, c, count, schedule)
    return Document(fields(c), [p.img for p in pages], "pdf", name, c.effective)
