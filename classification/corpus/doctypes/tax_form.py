"""Income tax returns: numbered income lines that sum to the total income on the form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .. import names
from ..canvas import Page, barcode, signature
from ..locales import money_str
from .common import DocContext, Document, fade, random_date


@dataclass(frozen=True)
class FormSpec:
    code: str  # form number printed in the corner
    title: str
    id_label: str
    lines: tuple[tuple[str, str, int, int, float], ...]  # (line code, label, min, max, probability)
    total_label: str


FORMS: dict[str, FormSpec] = {
    "US": FormSpec(
        "1040",
        "U.S. Individual Income Tax Return",
        "Your social security number",
        (
            ("1a", "Wages, salaries, tips (Form W-2, box 1)", 24000, 160000, 1.0),
            ("2b", "Taxable interest", 20, 3000, 0.6),
            ("3b", "Ordinary dividends", 50, 6000, 0.4),
            ("4b", "IRA distributions, taxable amount", 500, 12000, 0.15),
            ("5b", "Pensions and annuities, taxable amount", 2000, 30000, 0.15),
            ("7", "Capital gain or (loss)", 100, 15000, 0.3),
            ("8", "Additional income from Schedule 1", 500, 25000, 0.25),
        ),
        "Total income",
    ),
    "GB": FormSpec(
        "SA100",
        "Tax Return",
        "Unique Taxpayer Reference (UTR)",
        (
            ("1", "Pay from all employments", 18000, 120000, 1.0),
            ("2", "Self-employment profits", 2000, 45000, 0.3),
            ("3", "UK property income", 1500, 24000, 0.25),
            ("4", "Taxed UK interest", 20, 2500, 0.6),
            ("5", "Dividends from UK companies", 50, 8000, 0.35),
            ("6", "State Pension", 6000, 11000, 0.1),
        ),
        "Total income",
    ),
    "IE": FormSpec(
        "11",
        "Income Tax Return and Self-Assessment",
        "PPS Number",
        (
            ("201", "Income from employments (PAYE)", 22000, 110000, 1.0),
            ("202", "Profits from trade or profession", 3000, 60000, 0.3),
            ("203", "Rental income (net)", 2000, 26000, 0.25),
            ("204", "Deposit interest", 20, 1500, 0.5),
            ("205", "Foreign income", 500, 9000, 0.15),
        ),
        "Total income",
    ),
    "DE": FormSpec(
        "ESt 1 A",
        "Income Tax Return (Einkommensteuererklärung)",
        "Tax ID (Steuer-ID)",
        (
            ("Anl. N", "Income from employment", 22000, 110000, 1.0),
            ("Anl. S", "Income from self-employment", 2000, 50000, 0.25),
            ("Anl. KAP", "Income from capital assets", 50, 6000, 0.5),
            ("Anl. V", "Income from rental and leasing", 1500, 24000, 0.25),
            ("Anl. SO", "Other income", 200, 5000, 0.15),
        ),
        "Total income (Summe der Einkünfte)",
    ),
    "CH": FormSpec(
        "1",
        "Tax Return for Natural Persons",
        "AHV number",
        (
            ("1.1", "Income from employment, main activity", 45000, 180000, 1.0),
            ("1.2", "Income from secondary employment", 2000, 20000, 0.2),
            ("3", "Pensions and annuities", 6000, 40000, 0.1),
            ("4", "Income from securities and savings", 50, 8000, 0.6),
            ("6", "Income from real estate", 3000, 30000, 0.25),
        ),
        "Total income",
    ),
    "FR": FormSpec(
        "2042",
        "Income Tax Return (Déclaration des revenus)",
        "Tax number (numéro fiscal)",
        (
            ("1AJ", "Salaries of declarant 1", 18000, 95000, 1.0),
            ("1BJ", "Salaries of declarant 2", 15000, 80000, 0.4),
            ("1AS", "Pensions and retirement income", 8000, 35000, 0.1),
            ("2TR", "Interest and other investment income", 20, 3000, 0.5),
            ("4BA", "Net rental income", 1500, 20000, 0.2),
        ),
        "Total gross income",
    ),
    "NL": FormSpec(
        "IB",
        "Income Tax Return (Aangifte inkomstenbelasting)",
        "BSN",
        (
            ("1a", "Box 1: income from employment", 22000, 100000, 1.0),
            ("1b", "Box 1: profit from business", 2000, 45000, 0.25),
            ("1c", "Box 1: other work", 500, 9000, 0.2),
            ("2", "Box 2: substantial interest", 1000, 20000, 0.1),
            ("3", "Box 3: savings and investments", 100, 6000, 0.45),
        ),
        "Total income",
    ),
}


@dataclass(frozen=True)
class TaxReturn:
    spec: FormSpec
    taxpayer: names.Person
    address: names.Address
    year: int
    tax_id: str
    lines: tuple[tuple[str, str, Decimal], ...]
    signed: dt.date
    status: int  # index of the ticked filing-status box

    @property
    def total(self) -> Decimal:
        return sum((amount for _, _, amount in self.lines), Decimal("0.00"))


def _tax_id(ctx: DocContext) -> str:
    rng, d = ctx.rng, names.digits
    shapes = {
        "US": lambda: f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        "GB": lambda: f"{d(rng, 5)} {d(rng, 5)}",
        "IE": lambda: f"{d(rng, 7)}{names.letters(rng, 1, 'ABCDEFGHW')}",
        "DE": lambda: f"{rng.randint(1, 9)}{d(rng, 1)} {d(rng, 3)} {d(rng, 3)} {d(rng, 3)}",
        "CH": lambda: f"756.{d(rng, 4)}.{d(rng, 4)}.{d(rng, 2)}",
        "FR": lambda: (
            f"{rng.randint(1, 3)}{d(rng, 1)} {d(rng, 2)} {d(rng, 3)} {d(rng, 3)} {d(rng, 3)}"
        ),
        "NL": lambda: f"{d(rng, 4)}.{d(rng, 2)}.{d(rng, 3)}",
    }
    return shapes[ctx.locale.country]()


def make_return(ctx: DocContext) -> TaxReturn:
    rng = ctx.rng
    spec = FORMS[ctx.locale.country]
    signed = random_date(rng)
    lines = tuple(
        (code, label, Decimal(rng.randint(lo, hi)))
        for code, label, lo, hi, p in spec.lines
        if p >= 1.0 or rng.random() < p
    )
    return TaxReturn(
        spec=spec,
        taxpayer=names.person(ctx.locale, rng),
        address=names.address(ctx.locale, rng),
        year=signed.year - 1,
        tax_id=_tax_id(ctx),
        lines=lines,
        signed=signed,
        status=rng.randrange(4),
    )


def fields(r: TaxReturn) -> dict[str, str]:
    return {
        "taxpayer": r.taxpayer.full,
        "tax_year": str(r.year),
        "tax_id": r.tax_id,
        "total_income": money_str(r.total),
    }


def _whole(ctx: DocContext, value: Decimal) -> str:
    """Forms round to whole currency units: '85,432' rather than '85,432.00'."""
    return ctx.number(value)[:-3]


STATUSES = ("Single", "Married filing jointly", "Married filing separately", "Head of household")


def _checkbox(page: Page, x: float, y: float, ticked: bool, label: str, size: float) -> None:
    page.rect(x, y, x + 3.5, y + 3.5, outline=page.theme.ink, weight=0.25)
    if ticked:
        page.text(x + 1.75, y + 1.9, "X", size, "bold", anchor="mm")
    page.text(x + 5.5, y + 0.1, label, size - 1)


# --- layouts -----------------------------------------------------------------------------------


def _line_form(ctx: DocContext, r: TaxReturn) -> list[Page]:
    """1040-like: form number box, year box, name grid, filing status, numbered income lines."""
    page, m, t = ctx.page(), ctx.margin - 4, ctx.theme
    w, iw = page.w, page.w - 2 * m
    page.rect(m, m, m + 28, m + 16, outline=t.ink, weight=0.4)
    page.text(m + 2, m + 1.5, "Form", t.size - 3)
    page.text(m + 14, m + 6, r.spec.code, t.size + 5, "bold", "head", anchor="ma")
    page.text(m + 32, m + 2, r.spec.title, t.size + 3, "bold", "head")
    page.text(m + 32, m + 9, f"Tax year {r.year} · please print in capital letters", t.size - 2)
    page.rect(w - m - 26, m, w - m, m + 16, fill=t.ink)
    page.text(w - m - 13, m + 3, str(r.year), t.size + 7, "bold", "head", (255, 255, 255), "ma")
    y = m + 20
    page.hline(m, w - m, y, 0.6)
    grid = [
        ("Your first name and middle initial", r.taxpayer.first, 0.38),
        ("Last name", r.taxpayer.last, 0.32),
        (r.spec.id_label, r.tax_id, 0.30),
    ]
    y = _grid_row(page, m, y, iw, grid)
    y = _grid_row(
        page,
        m,
        y,
        iw,
        [("Home address (number and street)", r.address.lines[0], 0.7), ("Apt. no.", "", 0.3)],
    )
    y = _grid_row(
        page,
        m,
        y,
        iw,
        [("City, town or post office, state, and ZIP code", ", ".join(r.address.lines[1:]), 1.0)],
    )
    y += 4
    page.text(m, y, "Filing Status", t.size, "bold")
    for i, status in enumerate(STATUSES):
        _checkbox(page, m + 30 + (i % 2) * 70, y + (i // 2) * 6, i == r.status, status, t.size)
    y += 16
    page.rect(m, y, w - m, y + 7, fill=t.light)
    page.text(m + 2, y + 1.3, "Income", t.size + 1, "bold")
    y += 10
    step = page.line_h(t.size, 1.9)
    code_w = max(page.width(code, page.font(t.size, "bold")) for code, _, _ in r.lines) + 3
    for code, label, amount in r.lines:
        _amount_line(ctx, page, (m, w - m, code_w), y, code, label, _whole(ctx, amount))
        y += step
    page.rect(m, y - 1, w - m, y + step - 1, fill=t.light)
    _amount_line(
        ctx,
        page,
        (m, w - m, code_w),
        y,
        "",
        f"Add lines above: {r.spec.total_label}",
        _whole(ctx, r.total),
        bold=True,
    )
    y += step + 10
    _sign_here(ctx, page, m, y, iw, r)
    barcode(page, m, page.h - m - 6, 40, 6, ctx.rng)
    page.text(
        w - m, page.h - m - 4, f"Form {r.spec.code} ({r.year})", t.size - 2, "bold", anchor="ra"
    )
    return [page]


def _grid_row(
    page: Page, x: float, y: float, width: float, cells: list[tuple[str, str, float]]
) -> float:
    t = page.theme
    for label, value, frac in cells:
        cw = width * frac
        page.rect(x, y, x + cw, y + 12, outline=t.ink, weight=0.2)
        page.text(x + 1.5, y + 1, label, t.size - 3.5)
        page.text(x + 1.5, y + 5.5, value, t.size + 0.5)
        x += cw
    return y + 12


def _amount_line(
    ctx: DocContext,
    page: Page,
    cols: tuple[float, float, float],
    y: float,
    code: str,
    label: str,
    amount: str,
    bold: bool = False,
) -> None:
    """'code  label . . . . [code][   amount]' -- cols = (left, right, width of the code column)."""
    x1, x2, code_w = cols
    t, style = ctx.theme, "bold" if bold else "regular"
    page.text(x1 + 1, y, code, t.size, "bold")
    label_end = x1 + code_w + page.text(x1 + code_w, y, label, t.size, style)
    box = x2 - 42 - code_w
    if label_end + 5 < box:  # dotted leader to the amount column, as printed forms have
        page.text(label_end + 2, y, " ." * int((box - label_end - 4) / 2.2), t.size - 1)
    page.rect(box, y - 1, x2 - 42, y + page.line_h(t.size), outline=t.ink, weight=0.2)
    page.text(box + code_w / 2, y, code, t.size - 1.5, anchor="ma")
    page.rect(x2 - 42, y - 1, x2, y + page.line_h(t.size), outline=t.ink, weight=0.2)
    page.text(x2 - 2, y, amount, t.size, style, anchor="ra")


def _sign_here(ctx: DocContext, page: Page, x: float, y: float, width: float, r: TaxReturn) -> None:
    t = ctx.theme
    page.text(x, y, "Sign Here", t.size + 2, "bold")
    page.paragraph(
        x + 30,
        y,
        width - 30,
        "Under penalties of perjury, I declare that I have examined this "
        "return and, to the best of my knowledge and belief, it is true, correct, and complete.",
        t.size - 2,
    )
    y += 14
    signature(page, x + 32, y, 55, 10, ctx.rng)
    page.hline(x + 30, x + 100, y + 11, 0.25)
    page.text(x + 30, y + 12, "Your signature", t.size - 3)
    page.text(x + 110, y + 5, ctx.date(r.signed), t.size)
    page.hline(x + 108, x + 150, y + 11, 0.25)
    page.text(x + 108, y + 12, "Date", t.size - 3)


def _comb_form(ctx: DocContext, r: TaxReturn) -> list[Page]:
    """SA100-like: tinted page, white boxes, digits written one per cell ('comb' fields)."""
    tint = fade(ctx.theme.accent, 0.10)
    page, m, t = ctx.page(paper=tint), ctx.margin, ctx.theme
    w = page.w
    page.text(m, m - 4, f"{r.spec.title} {r.year}", t.size + 8, "bold", "head", t.accent)
    page.text(w - m, m - 3, r.spec.code, t.size + 4, "bold", "head", t.accent, "ra")
    page.text(m, m + 7, f"Tax year 1 January {r.year} to 31 December {r.year}", t.size)
    y = m + 18
    y = _comb(page, m, y, r.spec.id_label, r.tax_id, 18)
    y = _comb(page, m, y, "Name", r.taxpayer.full.upper(), 30)
    y = _comb(page, m, y, "Address", r.address.lines[0].upper(), 30)
    y = _comb(page, m, y, "", ", ".join(r.address.lines[1:]).upper(), 30)
    y += 4
    page.rect(m, y, w - m, y + 8, fill=t.accent)
    page.text(m + 3, y + 1.5, "Income", t.size + 1, "bold", fill=(255, 255, 255))
    y += 13
    for i, (code, label, amount) in enumerate(
        [*r.lines, ("", r.spec.total_label, r.total)], start=1
    ):
        box = f"{i}" if code else "T"
        page.text(m, y + 1, box, t.size, "bold", fill=t.accent)
        page.text(m + 8, y + 1, label, t.size - 0.5, "bold" if not code else "regular")
        _money_comb(page, w - m - 70, y - 1, _whole(ctx, amount).replace(ctx.money.group, ""))
        y += 12
    y += 4
    page.paragraph(
        m,
        y,
        w - 2 * m,
        "Declaration: the information I have given on this tax return is "
        "correct and complete to the best of my knowledge and belief.",
        t.size - 1,
    )
    page.rect(m, y + 12, m + 90, y + 30, outline=t.ink, fill=(255, 255, 255))
    signature(page, m + 10, y + 15, 60, 12, ctx.rng)
    page.text(m, y + 31, "Signature", t.size - 2)
    _comb(page, m + 100, y + 10, "Date (DDMMYYYY)", f"{r.signed:%d%m%Y}", 8)
    return [page]


def _comb(page: Page, x: float, y: float, label: str, value: str, cells: int) -> float:
    """A labelled row of character cells with ``value`` written one character per cell."""
    t, cell = page.theme, 5.2
    if label:
        page.text(x, y, label, t.size - 1.5)
        y += 5
    for i in range(cells):
        cx = x + i * cell
        page.rect(cx, y, cx + cell, y + 7, outline=t.ink, fill=(255, 255, 255), weight=0.2)
        if i < len(value):
            page.text(cx + cell / 2, y + 3.6, value[i], t.size, role="mono", anchor="mm")
    return y + 10


def _money_comb(page: Page, x: float, y: float, digits: str) -> None:
    t, cell, n = page.theme, 5.2, 9
    digits = digits.rjust(n)[-n:]
    for i, ch in enumerate(digits):
        cx = x + i * cell
        page.rect(cx, y, cx + cell, y + 7, outline=t.ink, fill=(255, 255, 255), weight=0.2)
        page.text(cx + cell / 2, y + 3.6, ch.strip(), t.size, role="mono", anchor="mm")
    page.text(x + n * cell + 1.5, y + 3.6, ".00", t.size, role="mono", anchor="lm")


def _sectioned(ctx: DocContext, r: TaxReturn) -> list[Page]:
    """Continental form: shaded section bars A/B/C, code column, two-column personal details."""
    page, m, t = ctx.page(), ctx.margin, ctx.theme
    w, iw = page.w, page.w - 2 * m
    page.text(m, m - 4, r.spec.title, t.size + 5, "bold", "head")
    page.text(m, m + 5, f"Tax year {r.year} · Form {r.spec.code}", t.size + 1)
    page.rect(w - m - 45, m - 5, w - m, m + 9, outline=t.ink)
    page.text(w - m - 43, m - 3.5, "Received by tax office", t.size - 3.5)
    y = m + 18

    def bar(letter: str, title: str, y0: float) -> float:
        page.rect(m, y0, w - m, y0 + 7.5, fill=t.light)
        page.text(m + 2, y0 + 1.4, f"{letter}  {title}", t.size + 0.5, "bold")
        return y0 + 11

    y = bar("A", "Personal details", y)
    half = iw / 2
    details = [
        ("Surname", r.taxpayer.last),
        ("First name", r.taxpayer.first),
        (r.spec.id_label, r.tax_id),
    ]
    page.kv(m, y, details, 45, t.size - 0.5, "regular")
    page.lines(m + half, y, ["Address:", *r.address.lines], t.size - 0.5)
    y += 26
    y = bar("B", "Income", y)
    step = page.line_h(t.size, 1.8)
    for code, label, amount in r.lines:
        page.text(m + 2, y, code, t.size - 0.5, "bold", fill=t.accent)
        page.text(m + 24, y, label, t.size)
        page.text(w - m - 2, y, ctx.amount(amount), t.size, anchor="ra")
        page.hline(m, w - m, y + step - 2, 0.1)
        y += step
    page.text(m + 24, y + 1, r.spec.total_label, t.size + 0.5, "bold")
    page.text(w - m - 2, y + 1, ctx.amount(r.total), t.size + 0.5, "bold", anchor="ra")
    page.hline(w - m - 50, w - m, y + step, 0.5)
    y += step + 8
    y = bar("C", "Declaration", y)
    y = page.paragraph(
        m,
        y,
        iw,
        "I confirm that the information provided in this return is true and "
        "complete. I am aware that incorrect statements may be prosecuted.",
        t.size - 1,
    )
    page.text(m, y + 8, f"{r.address.city}, {ctx.date(r.signed)}", t.size)
    signature(page, m + half, y + 2, 55, 12, ctx.rng)
    page.hline(m + half, w - m, y + 15, 0.25)
    page.text(m + half, y + 16, "Signature of taxpayer", t.size - 2.5)
    return [page]


LAYOUTS: dict[str, Callable[[DocContext, TaxReturn], list[Page]]] = {
    "line_form": _line_form,
    "comb_form": _comb_form,
    "sectioned": _sectioned,
}


def build(ctx: DocContext) -> Document:
    r = make_return(ctx)
    name = ctx.rng.choice(sorted(LAYOUTS))
    pages = LAYOUTS[name](ctx, r)
    return Document(fields(r), [p.img for p in pages], "png", name, r.signed)
