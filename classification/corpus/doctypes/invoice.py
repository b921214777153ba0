"""Invoices: line items that sum to the subtotal, tax on the subtotal, total = subtotal + tax."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .. import names
from ..canvas import Col, Flow, Page, logo, stamp
from ..locales import money, money_str
from ..text import TERMS_SENTENCES
from .common import DocContext, Document, flow_table, images, initials, page_numbers, random_date

MULTI_PAGE_SHARE = 0.25


@dataclass(frozen=True)
class LineItem:
    description: str
    unit: str
    qty: int
    price: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.price * self.qty)


@dataclass(frozen=True)
class Invoice:
    vendor: names.Company
    customer_name: str
    customer_address: names.Address
    number: str
    customer_no: str
    date: dt.date
    due: dt.date
    items: tuple[LineItem, ...]
    tax_rate: Decimal
    bank: str
    iban: str
    bic: str

    @property
    def subtotal(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return money(self.subtotal * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


def _invoice_number(ctx: DocContext, vendor: str, year: int) -> str:
    rng = ctx.rng
    n = rng.randint(1, 9999)
    patterns = (
        f"INV-{year}-{n:04d}",
        f"{year}{n:05d}",
        f"RE-{rng.randint(10000, 99999)}",
        f"F{year}-{n:04d}",
        f"{initials(vendor)}{rng.randint(1, 999999):06d}",
        f"{year}/{n:04d}",
        f"{rng.randint(100000, 999999)}",
    )
    return rng.choice(patterns)


def _price(ctx: DocContext, lo: int, hi: int) -> Decimal:
    cents = ctx.rng.choice((0, 0, 50, 90, 95, 99, ctx.rng.randint(0, 99)))
    return Decimal(ctx.rng.randint(lo, hi)) + Decimal(cents) / 100


def _items(ctx: DocContext, trade: str, count: int) -> tuple[LineItem, ...]:
    rng = ctx.rng
    catalogue = rng.sample(names.TRADES[trade][1], len(names.TRADES[trade][1]))
    items = []
    for i in range(count):
        desc, unit, lo, hi, max_qty = catalogue[i % len(catalogue)]
        if i >= len(catalogue):
            # Long invoices repeat goods per order or week, as real ones do; say which.
            desc = f"{desc} ({rng.choice(('order', 'week', 'ref.'))} {rng.randint(1, 52)})"
        items.append(LineItem(desc, unit, rng.randint(1, max_qty), _price(ctx, lo, hi)))
    return tuple(items)


def make_invoice(ctx: DocContext, item_count: int) -> Invoice:
    loc, rng = ctx.locale, ctx.rng
    vendor = names.company(loc, rng)
    if rng.random() < 0.7:
        customer_name = names.company_name(loc, rng, rng.choice(sorted(names.TRADES)))
    else:
        customer_name = names.person(loc, rng, with_title=rng.random() < 0.5).formal
    date = random_date(rng)
    bank, bank_code = rng.choice(names.BANKS[loc.country])
    country = loc.country if loc.has_iban else "GB"
    return Invoice(
        vendor=vendor,
        customer_name=customer_name,
        customer_address=names.address(loc, rng),
        number=_invoice_number(ctx, vendor.name, date.year),
        customer_no=f"{rng.randint(10000, 99999)}",
        date=date,
        due=date + dt.timedelta(days=rng.choice((7, 10, 14, 14, 30, 30, 30, 45, 60))),
        items=_items(ctx, vendor.trade, item_count),
        tax_rate=Decimal(rng.choice(loc.tax_rates)),
        bank=bank,
        iban=names.iban(country, bank_code, rng),
        bic=names.bic(bank_code, country, rng),
    )


def fields(inv: Invoice, currency: str) -> dict[str, str]:
    return {
        "vendor": inv.vendor.name,
        "invoice_number": inv.number,
        "date": inv.date.isoformat(),
        "due_date": inv.due.isoformat(),
        "total": money_str(inv.total),
        "currency": currency,
        "tax": money_str(inv.tax),
    }


# --- shared pieces -----------------------------------------------------------------------------


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _item_rows(ctx: DocContext, inv: Invoice, numbered: bool, with_unit: bool) -> list[list[str]]:
    rows = []
    for pos, item in enumerate(inv.items, start=1):
        row = [item.description, str(item.qty)]
        if with_unit:
            row.append(item.unit or "-")
        row += [ctx.number(item.price), ctx.number(item.amount)]
        rows.append([str(pos), *row] if numbered else row)
    return rows


def _totals(
    ctx: DocContext, flow: Flow, inv: Invoice, right: float, width: float, boxed: bool = False
) -> None:
    """Subtotal / tax / total block, right-aligned; starts a page if it would not fit."""
    flow.ensure(32)
    page, size = flow.page, ctx.theme.size
    y, left = flow.y + 4, right - width
    tax_label = f"{ctx.locale.tax_label} {_rate(inv.tax_rate)}"
    for label, value in (("Subtotal", inv.subtotal), (tax_label, inv.tax)):
        page.text(left, y, label, size)
        page.text(right, y, ctx.amount(value), size, anchor="ra")
        y += page.line_h(size, 1.5)
    if boxed:
        page.rect(
            left - 2, y - 1, right + 1.5, y + page.line_h(size + 2, 1.6), fill=ctx.theme.light
        )
    else:
        page.hline(left, right, y - 0.5, 0.35)
    page.text(left, y + 0.5, "Total due" if ctx.chance(0.4) else "Total", size + 2, "bold")
    page.text(right, y + 0.5, ctx.amount(inv.total), size + 2, "bold", anchor="ra")
    y += page.line_h(size + 2, 1.6)
    if not boxed:
        page.hline(left, right, y, 0.25)
        page.hline(left, right, y + 0.8, 0.25)
    flow.y = y + 4


def _bank_lines(ctx: DocContext, inv: Invoice) -> list[str]:
    if ctx.locale.country == "US":
        return [
            f"Bank: {inv.bank}",
            f"Routing no. {names.digits(ctx.rng, 9)}",
            f"Account no. {names.digits(ctx.rng, 10)}",
        ]
    return [inv.bank, f"IBAN {names.group4(inv.iban)}", f"BIC {inv.bic}"]


def _payment_note(ctx: DocContext, inv: Invoice) -> str:
    return ctx.rng.choice(
        (
            f"Please pay {ctx.amount(inv.total)} by {ctx.date(inv.due)}, quoting invoice number "
            f"{inv.number}.",
            f"Payment terms: {(inv.due - inv.date).days} days net. Please quote the invoice "
            "number with your payment.",
            f"Please transfer the total amount to the account below by {ctx.date(inv.due)}.",
        )
    )


def _terms_page(ctx: DocContext, flow: Flow) -> None:
    """The 'terms and conditions overleaf' page that many multi-page invoices carry."""
    flow.y = flow.bottom + 1
    flow.ensure(10)
    page, m = flow.page, ctx.margin
    page.text(m, flow.y, "General Terms and Conditions", ctx.theme.size + 3, "bold", "head")
    y = flow.y + 12
    sentences = list(TERMS_SENTENCES)
    ctx.rng.shuffle(sentences)
    for i, sentence in enumerate(sentences, start=1):
        y = page.paragraph(m, y, page.w - 2 * m, f"{i}. {sentence}", ctx.theme.size - 1.5) + 2
    flow.y = y


def _finish(ctx: DocContext, flow: Flow, inv: Invoice, with_terms: bool) -> None:
    if with_terms:
        _terms_page(ctx, flow)
    if len(flow.pages) > 1:
        page_numbers(flow.pages, 8, margin=ctx.margin)
    if ctx.chance(0.08):
        stamp(flow.pages[0], flow.page.w * 0.6, flow.page.h * 0.35, "PAID", (170, 30, 30), ctx.rng)


# --- layouts -----------------------------------------------------------------------------------


def _modern(ctx: DocContext, inv: Invoice, with_terms: bool) -> list[Page]:
    """Logo top-left, big INVOICE top-right, zebra table, three-column footer."""
    m, t = ctx.margin, ctx.theme
    footer_h = 24

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        w = page.w
        size = logo(page, m, m - 4, 14, ctx.rng, t.accent, initials(inv.vendor.name))
        page.text(m + size + 4, m - 3, inv.vendor.name, t.size + 4, "bold", "head")
        page.lines(m + size + 4, m + 4, inv.vendor.address.lines, t.size - 1.5)
        page.text(w - m, m - 4, "INVOICE", t.size + 14, "bold", "head", t.accent, "ra")
        fy = page.h - m - footer_h + 6
        page.hline(m, w - m, fy - 3, 0.3, t.accent)
        third = (w - 2 * m) / 3
        page.lines(m, fy, [inv.vendor.name, *inv.vendor.address.lines], t.size - 2.5)
        page.lines(
            m + third,
            fy,
            [inv.vendor.phone, inv.vendor.email, inv.vendor.website, inv.vendor.tax_id],
            t.size - 2.5,
        )
        page.lines(m + 2 * third, fy, _bank_lines(ctx, inv), t.size - 2.5)
        return page, (m + 30 if i == 0 else m + 22)

    flow = Flow(start, ctx.page_h - m - footer_h)
    page, w, y = flow.page, flow.page.w, flow.y
    page.text(m, y, "BILL TO", t.size - 1, "bold", fill=t.accent)
    page.lines(m, y + 6, [inv.customer_name, *inv.customer_address.lines], t.size)
    meta = [
        ("Invoice No.", inv.number),
        ("Invoice Date", ctx.date(inv.date)),
        ("Due Date", ctx.date(inv.due)),
        ("Customer No.", inv.customer_no),
    ]
    page.kv(w - m - 75, y, meta, 35, t.size, value_align_right=w - m)
    flow.y = y + 38
    iw = w - 2 * m
    cols = [
        Col("Description", iw - 95),
        Col("Qty", 15, "r"),
        Col("Unit price", 40, "r"),
        Col("Amount", 40, "r"),
    ]
    flow_table(flow, m, cols, _item_rows(ctx, inv, False, False), "zebra", t.size)
    _totals(ctx, flow, inv, w - m, 85, boxed=True)
    flow.ensure(12)
    flow.y = flow.page.paragraph(m, flow.y + 4, iw * 0.7, _payment_note(ctx, inv), t.size - 1)
    _finish(ctx, flow, inv, with_terms)
    return flow.pages


def _window(ctx: DocContext, inv: Invoice, with_terms: bool) -> list[Page]:
    """European business letter style: return-address line, window address, info block."""
    m, t = 22.0, ctx.theme
    footer_h = 22

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        w = page.w
        page.text(w - m - 18, 14, inv.vendor.name, t.size + 6, "bold", "head", anchor="ra")
        logo(page, w - m - 14, 10, 14, ctx.rng, t.accent, initials(inv.vendor.name))
        fy = page.h - footer_h - 4
        page.hline(m, w - m, fy - 2, 0.2)
        blocks = [
            [inv.vendor.name, *inv.vendor.address.lines],
            [f"Tel. {inv.vendor.phone}", inv.vendor.email, inv.vendor.website],
            _bank_lines(ctx, inv),
            [inv.vendor.tax_id, "Managing director:", names.person(ctx.locale, ctx.rng).full],
        ]
        x = m
        for share, block in zip((0.22, 0.25, 0.31, 0.22), blocks, strict=True):
            page.lines(x, fy, block, t.size - 3)
            x += (w - 2 * m) * share
        return page, (95 if i == 0 else 35)

    flow = Flow(start, ctx.page_h - footer_h - 8)
    page, w = flow.page, flow.page.w
    sender = " · ".join([inv.vendor.name, *inv.vendor.address.lines])
    page.text(m, 45, sender, t.size - 3)
    page.hline(m, m + page.width(sender, page.font(t.size - 3)), 48.5, 0.15)
    page.lines(m, 52, [inv.customer_name, *inv.customer_address.lines], t.size + 0.5)
    meta = [
        ("Invoice no.", inv.number),
        ("Customer no.", inv.customer_no),
        ("Date", ctx.date(inv.date)),
        ("Due", ctx.date(inv.due)),
    ]
    page.kv(w - m - 62, 50, meta, 26, t.size - 1, "regular")
    y = page.paragraph(m, 98, 150, f"Invoice {inv.number}", t.size + 2, "bold") + 3
    y = page.paragraph(
        m,
        y,
        w - 2 * m,
        "Dear Sir or Madam, we hereby invoice you for the following goods and services:",
        t.size,
    )
    flow.y = y + 3
    iw = w - 2 * m
    cols = [
        Col("Pos.", 11, "c"),
        Col("Description", iw - 104),
        Col("Qty", 13, "r"),
        Col("Unit", 16, "c"),
        Col("Price", 30, "r"),
        Col("Total", 34, "r"),
    ]
    flow_table(flow, m, cols, _item_rows(ctx, inv, True, True), "grid", t.size - 0.5)
    _totals(ctx, flow, inv, w - m, 80)
    flow.ensure(25)
    y = flow.page.paragraph(m, flow.y + 2, iw, _payment_note(ctx, inv), t.size)
    y = flow.page.paragraph(m, y + 4, iw, "Kind regards", t.size)
    flow.page.text(m, y + 1, inv.vendor.name, t.size)
    flow.y = y + 8
    _finish(ctx, flow, inv, with_terms)
    return flow.pages


def _classic(ctx: DocContext, inv: Invoice, with_terms: bool) -> list[Page]:
    """Centred serif letterhead, FROM/TO boxes, a meta grid, ruled table."""
    m, t = ctx.margin, ctx.theme

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        cx = page.w / 2
        page.text(cx, m - 5, inv.vendor.name.upper(), t.size + 8, "bold", "head", anchor="ma")
        page.text(cx, m + 6, " | ".join(inv.vendor.address.lines), t.size - 1, anchor="ma")
        page.text(cx, m + 11, f"{inv.vendor.phone}  ·  {inv.vendor.email}", t.size - 1, anchor="ma")
        page.hline(m, page.w - m, m + 17, 0.5)
        page.hline(m, page.w - m, m + 18.2, 0.2)
        return page, (m + 24 if i == 0 else m + 26)

    flow = Flow(start, ctx.page_h - m - 8)
    page, w, y = flow.page, flow.page.w, flow.y
    title = ctx.rng.choice(("INVOICE", "TAX INVOICE", "INVOICE"))
    page.text(w / 2, y, title, t.size + 6, "bold", "head", anchor="ma")
    y += 12
    half = (w - 2 * m - 6) / 2
    for x0, label, lines in (
        (m, "FROM", [inv.vendor.name, *inv.vendor.address.lines, inv.vendor.tax_id]),
        (m + half + 6, "TO", [inv.customer_name, *inv.customer_address.lines]),
    ):
        page.rect(x0, y, x0 + half, y + 30, outline=t.ink)
        page.text(x0 + 3, y + 2, label, t.size - 1.5, "bold")
        page.lines(x0 + 3, y + 7, lines, t.size - 0.5)
    y += 36
    iw = w - 2 * m
    meta_cols = [
        Col(h, iw / 4, "c") for h in ("Invoice Number", "Invoice Date", "Due Date", "Terms")
    ]
    terms = f"Net {(inv.due - inv.date).days} days"
    row = [inv.number, ctx.date(inv.date), ctx.date(inv.due), terms]
    flow.y = page.table(m, y, meta_cols, [row], "grid", t.size - 0.5) + 8
    cols = [
        Col("Item", iw - 100),
        Col("Quantity", 22, "r"),
        Col("Rate", 38, "r"),
        Col("Line total", 40, "r"),
    ]
    flow_table(flow, m, cols, _item_rows(ctx, inv, False, False), "lines", t.size)
    _totals(ctx, flow, inv, w - m, 80)
    flow.ensure(30)
    y = flow.page.lines(m, flow.y + 2, ["Payment details:", *_bank_lines(ctx, inv)], t.size - 1)
    flow.page.text(w / 2, y + 6, "Thank you for your business!", t.size + 1, "italic", anchor="ma")
    flow.y = y + 14
    _finish(ctx, flow, inv, with_terms)
    return flow.pages


def _listing(ctx: DocContext, inv: Invoice, with_terms: bool) -> list[Page]:
    """A freelancer's invoice: no table rules, items as a list with a detail line each."""
    m, t = ctx.margin + 5, ctx.theme

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        page.rect(0, 0, 6, page.h, fill=t.accent)  # coloured spine
        return page, m

    flow = Flow(start, ctx.page_h - m)
    page, w, y = flow.page, flow.page.w, flow.y
    page.text(m, y, "Invoice", t.size + 16, "bold", "head", t.accent)
    y += 18
    y = page.lines(
        m,
        y,
        [
            f"Invoice number: {inv.number}",
            f"Date of issue: {ctx.date(inv.date)}",
            f"Payment due: {ctx.date(inv.due)}",
        ],
        t.size,
    )
    y += 6
    half = (w - 2 * m) / 2
    page.text(m, y, "From", t.size - 1, "bold", fill=t.accent)
    page.text(m + half, y, "Billed to", t.size - 1, "bold", fill=t.accent)
    page.lines(m, y + 6, [inv.vendor.name, *inv.vendor.address.lines, inv.vendor.email], t.size)
    y = page.lines(m + half, y + 6, [inv.customer_name, *inv.customer_address.lines], t.size)
    flow.y = y + 14
    for pos, item in enumerate(inv.items, start=1):
        flow.ensure(14)
        p = flow.page
        p.text(m, flow.y, f"{pos}. {item.description}", t.size, "bold")
        p.text(w - m, flow.y, ctx.number(item.amount), t.size, anchor="ra")
        detail = f"{item.qty} {item.unit or 'x'} \u00d7 {ctx.number(item.price)}"
        p.text(m + 5, flow.y + p.line_h(t.size), detail, t.size - 1.5, fill=(110, 110, 110))
        flow.y += p.line_h(t.size) * 2 + 2
    flow.page.hline(m, w - m, flow.y, 0.3)
    _totals(ctx, flow, inv, w - m, 90)
    flow.ensure(30)
    y = flow.page.lines(m, flow.y + 2, _bank_lines(ctx, inv), t.size - 1)
    flow.page.paragraph(m, y + 4, w - 2 * m, _payment_note(ctx, inv), t.size - 1, "italic")
    flow.y = y + 12
    _finish(ctx, flow, inv, with_terms)
    return flow.pages


LAYOUTS: dict[str, Callable[[DocContext, Invoice, bool], list[Page]]] = {
    "modern": _modern,
    "window": _window,
    "classic": _classic,
    "listing": _listing,
}


def build(ctx: DocContext) -> Document:
    multi = ctx.chance(MULTI_PAGE_SHARE)
    long_items = multi and ctx.chance(0.6)
    inv = make_invoice(ctx, ctx.rng.randint(26, 40) if long_items else ctx.rng.randint(2, 8))
    name = ctx.rng.choice(sorted(LAYOUTS))
    pages = LAYOUTS[name](ctx, inv, multi and not long_items)
    fmt = "pdf" if len(pages) > 1 else "png"
    return Document(fields(inv, ctx.locale.currency), images(pages), fmt, name, inv.date)
