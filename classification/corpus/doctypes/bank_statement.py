"""Bank statements: transactions that take the opening balance exactly to the closing balance."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .. import names
from ..canvas import Col, Flow, Page, logo
from ..locales import format_month, money, money_str
from .common import DocContext, Document, flow_table, images, initials, page_numbers, random_date

MULTI_PAGE_SHARE = 0.35
NUMERIC_DATE_STYLES = (
    "iso",
    "dmy_slash",
    "mdy_slash",
    "mdy_short",
    "dmy_dot",
    "dmy_dot_short",
    "dmy_dash",
)

# Merchants per country for card payments and direct debits; generic ones fill the rest.
MERCHANTS: dict[str, tuple[str, ...]] = {
    "GB": ("TESCO STORES", "SAINSBURYS", "PRET A MANGER", "TFL TRAVEL", "BOOTS", "ARGOS", "COSTA"),
    "IE": ("DUNNES STORES", "SUPERVALU", "LUAS", "TESCO IRELAND", "INSOMNIA COFFEE"),
    "DE": ("REWE SAGT DANKE", "EDEKA", "DM DROGERIE", "DB VERTRIEB", "ALDI SUED", "LIDL"),
    "CH": ("MIGROS", "COOP", "SBB CFF FFS", "MANOR", "DENNER"),
    "FR": ("CARREFOUR", "MONOPRIX", "SNCF", "FNAC", "BOULANGERIE PAUL", "FRANPRIX"),
    "NL": ("ALBERT HEIJN", "JUMBO", "NS REIZIGERS", "HEMA", "KRUIDVAT"),
}
GENERIC = (
    "AMAZON MARKETPLACE",
    "NETFLIX.COM",
    "SPOTIFY",
    "SHELL",
    "IKEA",
    "APPLE.COM/BILL",
    "UBER TRIP",
    "ZARA",
    "H&M",
    "DECATHLON",
)
DEBITS = (
    "ELECTRICITY",
    "MOBILE PHONE",
    "INTERNET",
    "HOME INSURANCE",
    "GYM MEMBERSHIP",
    "COUNCIL TAX",
    "WATER",
)


@dataclass(frozen=True)
class Txn:
    date: dt.date
    text: str
    amount: Decimal  # positive = credit


@dataclass(frozen=True)
class Statement:
    bank: str
    bic: str
    holder: names.Person
    address: names.Address
    iban: str
    start: dt.date
    end: dt.date
    opening: Decimal
    txns: tuple[Txn, ...]
    number: int

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((t.amount for t in self.txns), Decimal("0.00"))

    @property
    def credits(self) -> Decimal:
        return sum((t.amount for t in self.txns if t.amount > 0), Decimal("0.00"))

    @property
    def debits(self) -> Decimal:
        return sum((-t.amount for t in self.txns if t.amount < 0), Decimal("0.00"))


def _cents(ctx: DocContext, lo: int, hi: int) -> Decimal:
    return Decimal(ctx.rng.randint(lo * 100, hi * 100)) / 100


def _transactions(
    ctx: DocContext, start: dt.date, end: dt.date, count: int, opening: Decimal
) -> list[Txn]:
    rng, country = ctx.rng, ctx.locale.country
    days = (end - start).days
    employer = names.company_name(ctx.locale, rng, rng.choice(sorted(names.TRADES)))
    landlord = names.person(ctx.locale, rng).full
    txns = [
        Txn(
            start + dt.timedelta(days=min(days, 24)),
            f"SALARY {employer.upper()}",
            _cents(ctx, 1800, 5200),
        ),
        Txn(start, f"STANDING ORDER RENT {landlord.upper()}", -_cents(ctx, 600, 1800)),
    ]
    shops = MERCHANTS.get(country, ()) + GENERIC
    for _ in range(count - 2):
        day = start + dt.timedelta(days=rng.randint(0, days))
        kind = rng.random()
        if kind < 0.6:
            txns.append(
                Txn(
                    day,
                    f"CARD PAYMENT {rng.choice(shops)} {names.digits(rng, 4)}",
                    -_cents(ctx, 2, 140),
                )
            )
        elif kind < 0.75:
            txns.append(Txn(day, f"DIRECT DEBIT {rng.choice(DEBITS)}", -_cents(ctx, 15, 160)))
        elif kind < 0.85:
            txns.append(Txn(day, "CASH WITHDRAWAL ATM", -Decimal(rng.choice((20, 50, 100, 200)))))
        else:
            other = names.person(ctx.locale, rng).full.upper()
            amount = _cents(ctx, 10, 400) * rng.choice((1, -1))
            text = f"TRANSFER {'FROM' if amount > 0 else 'TO'} {other}"
            txns.append(Txn(day, text, amount))
    txns.append(Txn(end, "ACCOUNT FEE", -Decimal(rng.choice(("4.95", "6.90", "9.00", "0.00")))))
    shortfall = -sum((t.amount for t in txns), Decimal("0.00")) - opening
    if shortfall > 0:  # busy months are topped up from savings rather than deep in overdraft
        mid = start + dt.timedelta(days=days // 2)
        txns.append(
            Txn(mid, "TRANSFER FROM SAVINGS ACCOUNT", money(shortfall + _cents(ctx, 50, 900)))
        )
    txns = [t for t in txns if t.amount != 0]
    txns.sort(key=lambda t: (t.date, t.text))
    return txns


def make_statement(ctx: DocContext, count: int) -> Statement:
    rng, loc = ctx.rng, ctx.locale
    first = random_date(rng).replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    bank, code = rng.choice(names.BANKS[loc.country])
    opening = money(_cents(ctx, 150, 14000))
    return Statement(
        bank=bank,
        bic=names.bic(code, loc.country, rng),
        holder=names.person(loc, rng, with_title=rng.random() < 0.4),
        address=names.address(loc, rng),
        iban=names.iban(loc.country, code, rng),
        start=first,
        end=last,
        opening=opening,
        txns=tuple(_transactions(ctx, first, last, count, opening)),
        number=first.month,
    )


def fields(s: Statement) -> dict[str, str]:
    return {
        "bank": s.bank,
        "account_number": s.iban,
        "period_start": s.start.isoformat(),
        "period_end": s.end.isoformat(),
        "opening_balance": money_str(s.opening),
        "closing_balance": money_str(s.closing),
    }


def _running(s: Statement) -> list[tuple[Txn, Decimal]]:
    balance, out = s.opening, []
    for t in s.txns:
        balance += t.amount
        out.append((t, balance))
    return out


def _short_date(ctx: DocContext, d: dt.date) -> str:
    """Statement tables use compact numeric dates even when the header spells them out."""
    if ctx.locale.country == "US":
        return f"{d.month:02d}/{d.day:02d}"
    return (
        f"{d.day:02d}.{d.month:02d}." if ctx.locale.lang == "de" else f"{d.day:02d}/{d.month:02d}"
    )


# --- layouts -----------------------------------------------------------------------------------


def _period(ctx: DocContext, s: Statement) -> str:
    return f"{ctx.date(s.start)} \u2013 {ctx.date(s.end)}"


def _classic(ctx: DocContext, s: Statement) -> list[Page]:
    """Logo header, boxed account summary, Date/Description/Debit/Credit/Balance table."""
    m, t = ctx.margin, ctx.theme

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        logo(page, m, m - 6, 13, ctx.rng, t.accent, initials(s.bank))
        page.text(m + 17, m - 4, s.bank, t.size + 5, "bold", "head", t.accent)
        page.text(page.w - m, m - 4, "Account Statement", t.size + 3, "bold", anchor="ra")
        page.text(page.w - m, m + 3, _period(ctx, s), t.size - 0.5, anchor="ra")
        page.hline(m, page.w - m, m + 11, 0.4, t.accent)
        return page, m + 16

    flow = Flow(start, ctx.page_h - m - 8)
    page, w, y = flow.page, flow.page.w, flow.y
    page.lines(m, y + 4, [s.holder.formal, *s.address.lines], t.size)
    box_x = w - m - 88
    page.rect(box_x, y, w - m, y + 30, outline=t.ink, fill=t.light)
    page.kv(
        box_x + 3,
        y + 3,
        [
            ("IBAN", names.group4(s.iban)),
            ("BIC", s.bic),
            ("Statement no.", f"{s.number}/{s.end.year}"),
            ("Period", format_month(s.start, ctx.locale.lang)),
        ],
        26,
        t.size - 1.5,
    )
    flow.y = y + 38
    iw = w - 2 * m
    cols = [
        Col("Date", 18),
        Col("Description", iw - 108),
        Col("Debit", 30, "r"),
        Col("Credit", 30, "r"),
        Col("Balance", 30, "r"),
    ]
    rows = [["", "Opening balance", "", "", ctx.number(s.opening)]]
    for txn, bal in _running(s):
        debit = ctx.number(-txn.amount) if txn.amount < 0 else ""
        credit = ctx.number(txn.amount) if txn.amount > 0 else ""
        rows.append([_short_date(ctx, txn.date), txn.text, debit, credit, ctx.number(bal)])
    rows.append(
        ["", "Closing balance", ctx.number(s.debits), ctx.number(s.credits), ctx.number(s.closing)]
    )
    flow_table(flow, m, cols, rows, "lines", t.size - 1)
    page_numbers(flow.pages, 10, margin=m)
    return flow.pages


def _summary(ctx: DocContext, s: Statement) -> list[Page]:
    """Summary panel (opening / in / out / closing) then a signed-amount table."""
    m, t = ctx.margin, ctx.theme

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        page.rect(0, 0, page.w, 24, fill=t.accent)
        page.text(m, 8, s.bank.upper(), t.size + 5, "bold", "head", (255, 255, 255))
        page.text(
            page.w - m,
            9,
            f"Statement of account · IBAN {names.group4(s.iban)}",
            t.size - 1,
            fill=(255, 255, 255),
            anchor="ra",
        )
        return page, 32

    flow = Flow(start, ctx.page_h - m - 6)
    page, w, y = flow.page, flow.page.w, flow.y
    page.lines(m, y, [s.holder.full, *s.address.lines], t.size)
    page.kv(
        w - m - 80,
        y,
        [
            ("Statement period", ""),
            ("From", ctx.date(s.start)),
            ("To", ctx.date(s.end)),
            ("BIC", s.bic),
        ],
        28,
        t.size - 0.5,
        value_align_right=w - m,
    )
    y += 30
    panel = [
        ("Opening balance", s.opening),
        ("Money in", s.credits),
        ("Money out", -s.debits),
        ("Closing balance", s.closing),
    ]
    cell = (w - 2 * m) / 4
    for i, (label, value) in enumerate(panel):
        x = m + i * cell
        page.rect(x + 1, y, x + cell - 1, y + 20, outline=t.accent, weight=0.4)
        page.text(x + cell / 2, y + 3, label, t.size - 1.5, anchor="ma")
        page.text(x + cell / 2, y + 10, ctx.amount(value), t.size + 1.5, "bold", anchor="ma")
    flow.y = y + 28
    iw = w - 2 * m
    cols = [Col("Booking", 25), Col("Value", 18), Col("Details", iw - 83), Col("Amount", 40, "r")]
    numeric = ctx.date_style in NUMERIC_DATE_STYLES
    rows = [
        [
            ctx.date(txn.date) if numeric else _short_date(ctx, txn.date),
            _short_date(ctx, txn.date),
            txn.text,
            ctx.number(txn.amount),
        ]
        for txn in s.txns
    ]
    flow_table(flow, m, cols, rows, "zebra", t.size - 1)
    flow.ensure(10)
    flow.page.text(w - m - 45, flow.y + 3, "Closing balance", t.size, "bold", anchor="ra")
    flow.page.text(w - m, flow.y + 3, ctx.amount(s.closing), t.size, "bold", anchor="ra")
    page_numbers(flow.pages, 10, template="{i}/{n}", margin=m)
    return flow.pages


def _ledger(ctx: DocContext, s: Statement) -> list[Page]:
    """Monospaced ledger print-out with a running balance, as older core-banking systems emit."""
    m, t = ctx.margin, ctx.theme
    size = t.size - 1

    def start(i: int) -> tuple[Page, float]:
        page = ctx.page()
        page.text(m, m - 5, s.bank, t.size + 2, "bold", "mono")
        page.text(m, m + 1, f"BIC {s.bic}", size, role="mono")
        page.text(page.w - m, m - 5, f"STATEMENT {s.number:03d}", size, "bold", "mono", anchor="ra")
        page.text(page.w - m, m + 1, f"SHEET {i + 1}", size, role="mono", anchor="ra")
        return page, m + 12

    flow = Flow(start, ctx.page_h - m)
    page, w = flow.page, flow.page.w
    y = page.lines(
        m,
        flow.y,
        [
            f"ACCOUNT HOLDER  {s.holder.full.upper()}",
            f"ACCOUNT (IBAN)  {names.group4(s.iban)}",
            f"PERIOD          {ctx.date(s.start)} - {ctx.date(s.end)}",
        ],
        size,
        role="mono",
    )
    page.dashed(m, w - m, y + 2)
    flow.y = y + 5
    step = page.line_h(size, 1.35)

    def ledger_row(date: str, text: str, amount: str, balance: str) -> None:
        flow.ensure(step)
        p = flow.page
        p.text(m, flow.y, date, size, role="mono")
        p.text(
            m + 18,
            flow.y,
            p.fit(text, w - 2 * m - 88, p.font(size, role="mono")),
            size,
            role="mono",
        )
        p.text(w - m - 36, flow.y, amount, size, role="mono", anchor="ra")
        p.text(w - m, flow.y, balance, size, role="mono", anchor="ra")
        flow.y += step

    ledger_row("", "BALANCE BROUGHT FORWARD", "", ctx.number(s.opening))
    for txn, bal in _running(s):
        sign = "+" if txn.amount > 0 else ""
        ledger_row(
            _short_date(ctx, txn.date), txn.text, sign + ctx.number(txn.amount), ctx.number(bal)
        )
    flow.ensure(step * 3)
    flow.page.dashed(m, w - m, flow.y + 1)
    flow.y += 3
    ledger_row("", "NEW BALANCE", "", ctx.amount(s.closing))
    return flow.pages


LAYOUTS: dict[str, Callable[[DocContext, Statement], list[Page]]] = {
    "classic": _classic,
    "summary": _summary,
    "ledger": _ledger,
}


def build(ctx: DocContext) -> Document:
    multi = ctx.chance(MULTI_PAGE_SHARE)
    s = make_statement(ctx, ctx.rng.randint(45, 80) if multi else ctx.rng.randint(8, 16))
    name = ctx.rng.choice(sorted(LAYOUTS))
    pages = LAYOUTS[name](ctx, s)
    fmt = "pdf" if len(pages) > 1 else "png"
    return Document(fields(s), images(pages), fmt, name, s.end + dt.timedelta(days=1))
