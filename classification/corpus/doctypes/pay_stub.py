"""Pay stubs / payslips: earnings sum to gross, net = gross - deductions, country-specific lines."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .. import names
from ..canvas import Col, Page, logo
from ..locales import format_month, money, money_str
from .common import DocContext, Document, initials, random_date

# country -> deductions as (label, percent of gross); percent ranges are drawn per document.
DEDUCTIONS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "US": (
        ("Federal income tax", 9, 17),
        ("Social Security", 6.2, 6.2),
        ("Medicare", 1.45, 1.45),
        ("State income tax", 0, 6),
        ("401(k) contribution", 3, 6),
    ),
    "GB": (
        ("Income tax (PAYE)", 12, 20),
        ("National Insurance", 6, 8),
        ("Pension (employee)", 3, 5),
    ),
    "IE": (("PAYE", 14, 22), ("USC", 2, 4), ("PRSI", 4, 4.1)),
    "DE": (
        ("Income tax (Lohnsteuer)", 10, 20),
        ("Solidarity surcharge", 0, 1),
        ("Health insurance", 8.15, 8.6),
        ("Pension insurance", 9.3, 9.3),
        ("Unemployment insurance", 1.3, 1.3),
        ("Care insurance", 1.7, 2.3),
    ),
    "CH": (
        ("AHV/IV/EO", 5.3, 5.3),
        ("ALV", 1.1, 1.1),
        ("NBU accident insurance", 0.8, 1.6),
        ("BVG pension fund", 5, 9),
    ),
    "FR": (
        ("Social security", 6.9, 7.3),
        ("CSG/CRDS", 9.2, 9.7),
        ("Supplementary pension", 3.2, 4.0),
        ("Income tax withheld at source", 2, 11),
    ),
    "NL": (("Wage tax (loonheffing)", 18, 30), ("Pension contribution", 4, 7)),
}


@dataclass(frozen=True)
class Line:
    label: str
    amount: Decimal
    detail: str = ""  # rate x hours, or the percentage applied


@dataclass(frozen=True)
class PayStub:
    employer: names.Company
    employee: names.Person
    employee_address: names.Address
    employee_id: str
    personal_id: str
    start: dt.date
    end: dt.date
    pay_date: dt.date
    period_no: int
    earnings: tuple[Line, ...]
    deductions: tuple[Line, ...]
    iban: str

    @property
    def gross(self) -> Decimal:
        return sum((e.amount for e in self.earnings), Decimal("0.00"))

    @property
    def total_deductions(self) -> Decimal:
        return sum((d.amount for d in self.deductions), Decimal("0.00"))

    @property
    def net(self) -> Decimal:
        return self.gross - self.total_deductions


def _period(ctx: DocContext) -> tuple[dt.date, dt.date, dt.date, int]:
    """(start, end, pay date, period number in the year): biweekly in the US, else monthly."""
    day = random_date(ctx.rng)
    if ctx.locale.country == "US" and ctx.chance(0.6):
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=13)
        return start, end, end + dt.timedelta(days=5), min(26, end.timetuple().tm_yday // 14 + 1)
    start = day.replace(day=1)
    end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    pay = end.replace(day=ctx.rng.choice((25, 28, end.day)))
    while pay.weekday() >= 5:  # salaries are paid on business days
        pay -= dt.timedelta(days=1)
    return start, end, pay, start.month


def _earnings(ctx: DocContext, monthly: bool) -> list[Line]:
    rng = ctx.rng
    base = Decimal(rng.randint(2200, 7800) if monthly else rng.randint(1300, 4200))
    lines = [Line("Basic salary" if monthly else "Regular pay", money(base))]
    if rng.random() < 0.35:
        hours = rng.randint(2, 18)
        rate = money(base / (160 if monthly else 80) * Decimal("1.5"))
        lines.append(Line("Overtime", money(rate * hours), f"{hours} h x {rate}"))
    if rng.random() < 0.15:
        lines.append(Line("Bonus", money(Decimal(rng.randint(100, 1500)))))
    if rng.random() < 0.2:
        lines.append(Line("Travel allowance", money(Decimal(rng.randint(30, 180)))))
    return lines


def _deductions(ctx: DocContext, gross: Decimal) -> list[Line]:
    out = []
    for label, lo, hi in DEDUCTIONS[ctx.locale.country]:
        pct = Decimal(str(round(ctx.rng.uniform(lo, hi), 2)))
        if pct > 0:
            out.append(Line(label, money(gross * pct / 100), f"{pct.normalize():f}%"))
    if ctx.locale.country == "US" and ctx.chance(0.6):
        out.append(Line("Health insurance", money(Decimal(ctx.rng.randint(60, 260)))))
    return out


def _personal_id(ctx: DocContext) -> str:
    rng = ctx.rng
    shapes = {
        "US": lambda: f"XXX-XX-{names.digits(rng, 4)}",
        "GB": lambda: (
            f"{names.letters(rng, 2, 'ABCEGHJKLMNPRSTWXYZ')} {names.digits(rng, 2)} "
            f"{names.digits(rng, 2)} {names.digits(rng, 2)} {rng.choice('ABCD')}"
        ),
        "IE": lambda: f"{names.digits(rng, 7)}{names.letters(rng, 1)}",
        "DE": lambda: (
            f"{names.digits(rng, 2)} {names.digits(rng, 6)} "
            f"{names.letters(rng, 1)} {names.digits(rng, 3)}"
        ),
        "CH": lambda: f"756.{names.digits(rng, 4)}.{names.digits(rng, 4)}.{names.digits(rng, 2)}",
        "FR": lambda: (
            f"{rng.choice('12')} {names.digits(rng, 2)} {names.digits(rng, 2)} "
            f"{names.digits(rng, 2)} "
            f"{names.digits(rng, 3)} {names.digits(rng, 3)} {names.digits(rng, 2)}"
        ),
        "NL": lambda: names.digits(rng, 9),
    }
    return shapes[ctx.locale.country]()


def make_stub(ctx: DocContext) -> PayStub:
    rng, loc = ctx.rng, ctx.locale
    start, end, pay_date, period_no = _period(ctx)
    earnings = _earnings(ctx, monthly=(end - start).days > 20)
    gross = sum((e.amount for e in earnings), Decimal("0.00"))
    _, code = rng.choice(names.BANKS[loc.country])
    return PayStub(
        employer=names.company(loc, rng),
        employee=names.person(loc, rng),
        employee_address=names.address(loc, rng),
        employee_id=f"{rng.choice(('E', 'EMP', 'P', ''))}{rng.randint(1000, 99999)}",
        personal_id=_personal_id(ctx),
        start=start,
        end=end,
        pay_date=pay_date,
        period_no=period_no,
        earnings=tuple(earnings),
        deductions=tuple(_deductions(ctx, gross)),
        iban=names.iban(loc.country if loc.has_iban else "GB", code, rng),
    )


def fields(p: PayStub) -> dict[str, str]:
    return {
        "employer": p.employer.name,
        "employee": p.employee.full,
        "pay_date": p.pay_date.isoformat(),
        "gross_pay": money_str(p.gross),
        "net_pay": money_str(p.net),
    }


# --- layouts -----------------------------------------------------------------------------------


def _ytd(p: PayStub, amount: Decimal) -> Decimal:
    return money(amount * p.period_no)


def _id_label(ctx: DocContext) -> str:
    return {
        "US": "SSN",
        "GB": "NI number",
        "IE": "PPS number",
        "DE": "Social insurance no.",
        "CH": "AHV no.",
        "FR": "Social security no.",
        "NL": "BSN",
    }[ctx.locale.country]


def _earnings_statement(ctx: DocContext, p: PayStub) -> list[Page]:
    """US-style: earnings and deductions side by side, summary bar, detachable pay advice."""
    page, m, t = ctx.page(), ctx.margin, ctx.theme
    w = page.w
    logo(page, m, m - 6, 12, ctx.rng, t.accent, initials(p.employer.name))
    page.text(m + 16, m - 5, p.employer.name, t.size + 3, "bold", "head")
    page.text(m + 16, m + 1.5, p.employer.address.one_line(), t.size - 2)
    page.text(w - m, m - 5, "EARNINGS STATEMENT", t.size + 3, "bold", "head", t.accent, "ra")
    y = m + 12
    info = [
        ["Employee", "Employee ID", _id_label(ctx), "Pay period", "Pay date"],
        [
            p.employee.full,
            p.employee_id,
            p.personal_id,
            f"{ctx.date(p.start)} - {ctx.date(p.end)}",
            ctx.date(p.pay_date),
        ],
    ]
    iw = w - 2 * m
    widths = (0.24, 0.14, 0.18, 0.29, 0.15)
    cols = [Col(h, iw * f) for h, f in zip(info[0], widths, strict=True)]
    y = page.table(m, y, cols, [info[1]], "grid", t.size - 1.5) + 8
    half = (iw - 6) / 2
    e_rows = [
        [e.label, e.detail, ctx.number(e.amount), ctx.number(_ytd(p, e.amount))] for e in p.earnings
    ]
    d_rows = [[d.label, ctx.number(d.amount), ctx.number(_ytd(p, d.amount))] for d in p.deductions]
    e_cols = [
        Col("Earnings", half * 0.38),
        Col("Rate/Hours", half * 0.2),
        Col("Current", half * 0.21, "r"),
        Col("YTD", half * 0.21, "r"),
    ]
    d_cols = [
        Col("Deductions", half * 0.5),
        Col("Current", half * 0.25, "r"),
        Col("YTD", half * 0.25, "r"),
    ]
    y1 = page.table(m, y, e_cols, e_rows, "boxed", t.size - 1.5)
    y2 = page.table(m + half + 6, y, d_cols, d_rows, "boxed", t.size - 1.5)
    y = max(y1, y2) + 8
    cell = iw / 3
    for i, (label, value) in enumerate(
        (("Gross pay", p.gross), ("Total deductions", p.total_deductions), ("Net pay", p.net))
    ):
        x = m + i * cell
        page.rect(x, y, x + cell - 2, y + 16, fill=t.light if i < 2 else t.accent)
        ink = t.ink if i < 2 else (255, 255, 255)
        page.text(x + 3, y + 2, label, t.size - 1, fill=ink)
        page.text(x + cell - 5, y + 8, ctx.amount(value), t.size + 2, "bold", fill=ink, anchor="ra")
    y += 30
    page.dashed(m, w - m, y)
    page.text(w / 2, y + 1.5, "detach here", t.size - 3, "italic", anchor="ma")
    y += 10
    page.text(m, y, p.employer.name, t.size, "bold")
    page.text(w - m, y, f"Date {ctx.date(p.pay_date)}", t.size, anchor="ra")
    page.text(m, y + 12, "Pay to the order of", t.size - 1)
    page.text(m + 40, y + 12, p.employee.full, t.size + 1, "bold")
    page.rect(w - m - 45, y + 9, w - m, y + 18, outline=t.ink)
    page.text(w - m - 2, y + 11, ctx.amount(p.net), t.size + 1, "bold", anchor="ra")
    page.hline(m + 40, w - m - 50, y + 18, 0.2)
    page.text(m, y + 24, "NON-NEGOTIABLE - DIRECT DEPOSIT ADVICE", t.size - 1, "bold")
    return [page]


def _payslip_grid(ctx: DocContext, p: PayStub) -> list[Page]:
    """UK-style payslip: boxed header fields, payments and deductions in one ruled grid."""
    page, m, t = ctx.page(), ctx.margin, ctx.theme
    w, iw = page.w, page.w - 2 * m
    page.text(m, m - 4, "PAYSLIP", t.size + 8, "bold", "head")
    page.text(w - m, m - 3, p.employer.name, t.size + 2, "bold", anchor="ra")
    page.text(w - m, m + 3, p.employer.address.one_line(), t.size - 2, anchor="ra")
    y = m + 14
    boxes = [
        ("Employee", p.employee.full),
        ("Employee no.", p.employee_id),
        (_id_label(ctx), p.personal_id),
        ("Pay date", ctx.date(p.pay_date)),
        ("Period", f"{p.period_no:02d}"),
    ]
    widths = (0.3, 0.15, 0.22, 0.2, 0.13)
    x = m
    for (label, value), f in zip(boxes, widths, strict=True):
        bw = iw * f
        page.rect(x, y, x + bw, y + 15, outline=t.ink)
        page.text(x + 2, y + 1.5, label, t.size - 2.5, fill=(90, 90, 90))
        page.text(
            x + 2, y + 7, page.fit(value, bw - 4, page.font(t.size - 0.5)), t.size - 0.5, "bold"
        )
        x += bw
    y += 22
    half = iw / 2
    rows_n = max(len(p.earnings), len(p.deductions), 5)
    rows = []
    for i in range(rows_n):
        e = p.earnings[i] if i < len(p.earnings) else None
        d = p.deductions[i] if i < len(p.deductions) else None
        rows.append(
            [
                e.label if e else "",
                ctx.number(e.amount) if e else "",
                d.label if d else "",
                ctx.number(d.amount) if d else "",
            ]
        )
    cols = [
        Col("Payments", half * 0.65),
        Col("Amount", half * 0.35, "r"),
        Col("Deductions", half * 0.65),
        Col("Amount", half * 0.35, "r"),
    ]
    y = page.table(m, y, cols, rows, "grid", t.size - 0.5) + 6
    totals = [("Total payments", p.gross), ("Total deductions", p.total_deductions)]
    y = page.kv(m, y, [(a, ctx.number(b)) for a, b in totals], 50, t.size, "regular", m + half - 2)
    page.rect(m + half + 10, y - 14, w - m, y, outline=t.ink, weight=0.6)
    page.text(m + half + 13, y - 10.5, "NET PAY", t.size + 1, "bold")
    page.text(w - m - 3, y - 10.5, ctx.amount(p.net), t.size + 3, "bold", anchor="ra")
    y += 8
    page.text(m, y, "Year to date", t.size, "bold")
    y = page.kv(
        m,
        y + 6,
        [
            ("Taxable gross", ctx.number(_ytd(p, p.gross))),
            ("Deductions", ctx.number(_ytd(p, p.total_deductions))),
        ],
        50,
        t.size - 1,
        "regular",
        m + half - 2,
    )
    page.paragraph(
        m, y + 6, iw, f"Paid by bank transfer to account {names.group4(p.iban)}.", t.size - 1
    )
    return [page]


def _continental(ctx: DocContext, p: PayStub) -> list[Page]:
    """Letter-like salary statement with percentage rates and bank transfer details."""
    page, m, t = ctx.page(), ctx.margin + 2, ctx.theme
    w, iw = page.w, page.w - 2 * m
    page.text(w - m, 15, p.employer.name, t.size + 4, "bold", "head", t.accent, anchor="ra")
    page.lines(w - m - 70, 24, [*p.employer.address.lines, p.employer.phone], t.size - 2)
    page.text(m, 45, f"{p.employer.name} · {p.employer.address.one_line()}", t.size - 3)
    page.lines(m, 50, [p.employee.full, *p.employee_address.lines], t.size)
    y = 85.0
    month = format_month(p.start, ctx.locale.lang)
    page.text(m, y, f"Salary statement {month}", t.size + 4, "bold", "head")
    y = page.kv(
        m,
        y + 10,
        [
            ("Personnel no.", p.employee_id),
            (_id_label(ctx), p.personal_id),
            ("Pay date", ctx.date(p.pay_date)),
        ],
        45,
        t.size - 0.5,
        "regular",
    )
    y += 5
    cols = [Col("Item", iw * 0.55), Col("Rate", iw * 0.2, "r"), Col("Amount", iw * 0.25, "r")]
    rows = [[e.label, e.detail, ctx.number(e.amount)] for e in p.earnings]
    rows.append(["Gross salary", "", ctx.number(p.gross)])
    rows += [[d.label, d.detail, "-" + ctx.number(d.amount)] for d in p.deductions]
    y = page.table(m, y, cols, rows, ctx.rng.choice(("plain", "lines", "zebra")), t.size)
    page.hline(m, w - m, y + 1, 0.5)
    page.text(m + 1.4, y + 3, "Net pay", t.size + 2, "bold")
    page.text(w - m - 1.4, y + 3, ctx.amount(p.net), t.size + 2, "bold", anchor="ra")
    y += 16
    text = (
        f"The net amount will be transferred on {ctx.date(p.pay_date)} to IBAN "
        f"{names.group4(p.iban)}. Please check this statement and report any discrepancies "
        "to the payroll office within 14 days."
    )
    page.paragraph(m, y, iw, text, t.size - 1)
    return [page]


LAYOUTS: dict[str, Callable[[DocContext, PayStub], list[Page]]] = {
    "earnings_statement": _earnings_statement,
    "payslip_grid": _payslip_grid,
    "continental": _continental,
}


def build(ctx: DocContext) -> Document:
    p = make_stub(ctx)
    name = ctx.rng.choice(sorted(LAYOUTS))
    pages = LAYOUTS[name](ctx, p)
    return Document(fields(p), [pg.img for pg in pages], "png", name, p.pay_date)
