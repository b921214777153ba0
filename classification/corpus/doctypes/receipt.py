"""Till receipts: narrow, tall, item prices that add up to the total paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image

from .. import names
from ..canvas import barcode, logo
from ..locales import money, money_str
from .common import DocContext, Document, initials, random_date

# category -> (store name patterns, items as (name, min cents, max cents, max qty))
SHOPS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, int, int, int], ...]]] = {
    "grocery": (
        (
            "FreshMart",
            "{last}'s Grocery",
            "Corner Market",
            "Metro Supermarket",
            "BioMarkt {city}",
            "Green Basket",
            "Marché {last}",
            "Daily Fresh",
        ),
        (
            ("Milk 1L", 89, 149, 3),
            ("Wholemeal bread", 129, 329, 2),
            ("Bananas 1kg", 99, 219, 2),
            ("Free range eggs x6", 189, 349, 2),
            ("Cheddar 400g", 279, 499, 1),
            ("Coffee beans 500g", 499, 1199, 1),
            ("Spaghetti 500g", 79, 199, 4),
            ("Tomatoes 500g", 129, 299, 2),
            ("Olive oil 750ml", 449, 999, 1),
            ("Greek yoghurt", 99, 249, 3),
            ("Apples 1kg", 149, 349, 2),
            ("Chicken breast", 399, 899, 1),
            ("Orange juice 1L", 129, 299, 2),
            ("Butter 250g", 169, 329, 2),
            ("Basmati rice 1kg", 189, 399, 1),
            ("Toilet paper 8 rolls", 279, 599, 1),
            ("Dish soap", 99, 249, 1),
            ("Dark chocolate", 99, 289, 3),
            ("Sparkling water 6x1.5L", 219, 449, 1),
            ("Muesli 750g", 249, 499, 1),
        ),
    ),
    "cafe": (
        (
            "Café Luna",
            "The Daily Grind",
            "Bean There",
            "Kaffeehaus {last}",
            "Brew & Co.",
            "Espresso Bar {city}",
        ),
        (
            ("Cappuccino", 280, 450, 2),
            ("Caffè latte", 300, 480, 2),
            ("Espresso", 180, 300, 2),
            ("Flat white", 300, 420, 2),
            ("Croissant", 150, 290, 2),
            ("Blueberry muffin", 220, 350, 2),
            ("Bagel cream cheese", 350, 590, 1),
            ("Earl Grey tea", 220, 350, 2),
            ("Hot chocolate", 290, 450, 2),
            ("Club sandwich", 590, 990, 1),
            ("Fresh orange juice", 350, 550, 1),
        ),
    ),
    "restaurant": (
        (
            "Trattoria Roma",
            "Pizzeria Napoli",
            "The Red Lion",
            "Noodle House",
            "Bistro {last}",
            "Gasthaus zur Linde",
            "Brasserie du Port",
        ),
        (
            ("Pizza Margherita", 850, 1400, 2),
            ("Caesar salad", 890, 1390, 1),
            ("Burger & fries", 1190, 1790, 2),
            ("Spaghetti carbonara", 1050, 1590, 1),
            ("Soup of the day", 550, 890, 2),
            ("Tiramisu", 550, 850, 2),
            ("House wine 0.2l", 490, 790, 3),
            ("Draught beer 0.5l", 420, 650, 4),
            ("Sparkling water 0.75l", 390, 650, 1),
            ("Espresso", 220, 350, 2),
            ("Steak frites", 1890, 2890, 1),
            ("Fish & chips", 1290, 1790, 2),
        ),
    ),
    "pharmacy": (
        (
            "Green Cross Pharmacy",
            "Apotheke am Markt",
            "Pharmacie Centrale",
            "HealthPlus Chemist",
            "{last} Pharmacy",
        ),
        (
            ("Ibuprofen 400mg 20 tabs", 299, 699, 1),
            ("Paracetamol 500mg", 199, 499, 2),
            ("Vitamin C 1000mg", 499, 999, 1),
            ("Sunscreen SPF 50", 899, 1699, 1),
            ("Plasters assorted", 199, 449, 1),
            ("Throat lozenges", 399, 799, 1),
            ("Hand cream", 299, 799, 1),
            ("Toothpaste", 149, 399, 2),
            ("Nasal spray", 349, 699, 1),
        ),
    ),
    "hardware": (
        (
            "Hardware Haven",
            "{last} Baumarkt",
            "DIY Depot",
            "Toolbox & Timber",
            "Quincaillerie {last}",
        ),
        (
            ("Screws 4x40 (200)", 399, 899, 2),
            ("Wood glue 250g", 349, 699, 1),
            ("Wall paint white 2.5L", 1999, 3999, 2),
            ("Paint brush set", 599, 1299, 1),
            ("Sandpaper assorted", 299, 699, 2),
            ("Extension cable 5m", 899, 1799, 1),
            ("LED bulb E27", 249, 599, 4),
            ("Masking tape", 199, 449, 3),
            ("Drill bit set", 999, 2499, 1),
            ("Wall plugs (50)", 199, 399, 2),
        ),
    ),
    "books": (
        (
            "The Book Nook",
            "Buchhandlung {last}",
            "Librairie du Centre",
            "Chapter & Verse",
            "Page Turner Books",
        ),
        (
            ("Paperback novel", 899, 1299, 2),
            ("Notebook A5 dotted", 499, 1299, 2),
            ("Greeting card", 250, 450, 3),
            ("Wall calendar", 999, 1699, 1),
            ("Children's picture book", 799, 1499, 2),
            ("City travel guide", 1299, 2199, 1),
            ("Cookbook hardback", 1999, 3499, 1),
        ),
    ),
}


# Shop names in a local language only appear in that language's countries.
_LOCAL_WORDS = {
    "de": ("Apotheke", "Baumarkt", "Buchhandlung", "Kaffeehaus", "Gasthaus", "BioMarkt"),
    "fr": ("Marché", "Pharmacie", "Librairie", "Quincaillerie", "Brasserie"),
}


def _shop_names(patterns: tuple[str, ...], lang: str) -> tuple[str, ...]:
    foreign = [w for other, words in _LOCAL_WORDS.items() if other != lang for w in words]
    return tuple(p for p in patterns if not any(w in p for w in foreign))


@dataclass(frozen=True)
class Line:
    name: str
    qty: int
    price: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.price * self.qty)


@dataclass(frozen=True)
class Receipt:
    vendor: str
    category: str
    address: names.Address
    phone: str
    tax_id: str
    when: dt.datetime
    lines: tuple[Line, ...]
    tax_rate: Decimal
    tax_included: bool  # European receipts show VAT contained in prices; US ones add tax
    card: str | None  # masked card number, or None for cash
    number: str

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        if self.tax_included:
            return money(self.subtotal * self.tax_rate / (100 + self.tax_rate))
        return money(self.subtotal * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.subtotal if self.tax_included else self.subtotal + self.tax


def _fuel_line(ctx: DocContext) -> Line:
    litres = Decimal(ctx.rng.randint(1500, 6500)) / 100
    per_litre = Decimal(ctx.rng.randint(1459, 1999)) / 1000
    return Line(
        f"{ctx.rng.choice(('Unleaded 95', 'Diesel', 'Super E10'))} {litres} l",
        1,
        money(litres * per_litre),
    )


def make_receipt(ctx: DocContext) -> Receipt:
    loc, rng = ctx.locale, ctx.rng
    category = rng.choice(sorted(SHOPS))
    patterns, catalogue = SHOPS[category]
    address = names.address(loc, rng)
    last = rng.choice(names.LAST_NAMES[loc.lang])
    vendor = rng.choice(_shop_names(patterns, loc.lang)).format(
        last=last, city=address.city.split(" ")[0]
    )
    picks = rng.sample(catalogue, k=rng.randint(1, min(9, len(catalogue))))
    lines = [
        Line(n, rng.randint(1, q), Decimal(rng.randint(lo, hi)) / 100) for n, lo, hi, q in picks
    ]
    if category == "grocery" and rng.random() < 0.15:
        lines.insert(0, _fuel_line(ctx))
    when = dt.datetime.combine(random_date(rng), dt.time(rng.randint(7, 21), rng.randint(0, 59)))
    rate = Decimal(rng.choice(loc.tax_rates))
    return Receipt(
        vendor=vendor,
        category=category,
        address=address,
        phone=names.phone(loc, rng),
        tax_id=names.tax_id(loc, rng),
        when=when,
        lines=tuple(lines),
        tax_rate=rate,
        tax_included=loc.country != "US",
        card=f"**** **** **** {names.digits(rng, 4)}" if rng.random() < 0.65 else None,
        number=f"{rng.randint(1, 9)}{names.digits(rng, 5)}",
    )


def fields(r: Receipt) -> dict[str, str]:
    return {
        "vendor": r.vendor,
        "date": r.when.date().isoformat(),
        "address": r.address.one_line(),
        "total": money_str(r.total),
    }


# --- layouts -----------------------------------------------------------------------------------


class Strip:
    """A receipt being printed: fixed width, grows downwards, cropped at the end."""

    def __init__(self, ctx: DocContext, width: float, role: str) -> None:
        self.page = ctx.page((width, 420), paper=(252, 252, 249))
        self.ctx, self.role, self.y = ctx, role, 5.0
        self.size = ctx.theme.size
        self.m = 4.0 if width > 60 else 3.0

    def center(self, text: str, size: float | None = None, style: str = "regular") -> None:
        size = size or self.size
        for line in self.page.wrap(text, self.page.w - 2 * self.m, size, style, self.role):
            self.page.text(self.page.w / 2, self.y, line, size, style, self.role, anchor="ma")
            self.y += self.page.line_h(size, 1.25)

    def row(self, left: str, right: str, size: float | None = None, style: str = "regular") -> None:
        size = size or self.size
        p = self.page
        right_w = p.text(p.w - self.m, self.y, right, size, style, self.role, anchor="ra")
        left = p.fit(left, p.w - 2 * self.m - right_w - 2, p.font(size, style, self.role))
        p.text(self.m, self.y, left, size, style, self.role)
        self.y += p.line_h(size, 1.25)

    def rule(self, dashed: bool = True) -> None:
        self.y += 1
        if dashed:
            self.page.dashed(self.m, self.page.w - self.m, self.y)
        else:
            self.page.hline(self.m, self.page.w - self.m, self.y, 0.3)
        self.y += 2

    def gap(self, mm: float = 2.0) -> None:
        self.y += mm

    def image(self) -> Image.Image:
        # Printers feed a minimum length of paper, so even a one-item receipt is tall and narrow.
        length = max(self.y + 6, self.page.w * 2.2)
        return self.page.img.crop((0, 0, self.page.img.width, self.page.px(length)))


def _header(s: Strip, r: Receipt, with_logo: bool) -> None:
    if with_logo:
        logo(s.page, s.page.w / 2 - 6, s.y, 12, s.ctx.rng, s.ctx.theme.accent, initials(r.vendor))
        s.gap(15)
    s.center(r.vendor, s.size + 3, "bold")
    for line in r.address.lines:
        s.center(line)
    s.center(f"Tel. {r.phone}")
    if s.ctx.chance(0.6):
        s.center(r.tax_id, s.size - 1)
    s.gap()


def _when(s: Strip, r: Receipt) -> str:
    return f"{s.ctx.date(r.when.date())} {r.when:%H:%M}"


def _tax_lines(s: Strip, r: Receipt) -> None:
    rate = f"{r.tax_rate.normalize():f}%"
    if r.tax_included:
        s.row(f"incl. VAT {rate}", s.ctx.number(r.tax), s.size - 1)
        s.row(f"Net {rate}", s.ctx.number(r.total - r.tax), s.size - 1)
    else:
        s.row("Subtotal", s.ctx.number(r.subtotal))
        s.row(f"Sales tax {rate}", s.ctx.number(r.tax))


def _payment(s: Strip, r: Receipt) -> None:
    if r.card:
        s.row(
            s.ctx.rng.choice(("VISA", "Mastercard", "Debit card", "Maestro")), s.ctx.number(r.total)
        )
        s.row(r.card, "", s.size - 1)
        s.row(f"Auth. code {names.digits(s.ctx.rng, 6)}", "", s.size - 1)
    else:
        given = money((r.total / 5 + 1).to_integral_value() * 5)
        s.row("Cash", s.ctx.number(given))
        s.row("Change", s.ctx.number(given - r.total))


def _thermal(ctx: DocContext, r: Receipt, width: float) -> Image.Image:
    """Classic monospace till roll."""
    s = Strip(ctx, width, "mono")
    s.size = 8.5 if width > 60 else 7.5
    _header(s, r, with_logo=False)
    s.row(_when(s, r), f"No. {r.number}")
    s.rule()
    for line in r.lines:
        s.row(line.name.upper(), ctx.number(line.amount))
        if line.qty > 1:
            s.row(f"  {line.qty} x {ctx.number(line.price)}", "")
    s.rule()
    if not r.tax_included:
        _tax_lines(s, r)
    s.row("TOTAL", ctx.amount(r.total), s.size + 2.5, "bold")
    s.rule()
    _payment(s, r)
    if r.tax_included:
        _tax_lines(s, r)
    s.gap(3)
    s.center(
        ctx.rng.choice(
            ("THANK YOU FOR SHOPPING WITH US", "THANK YOU - PLEASE COME AGAIN", "KEEP YOUR RECEIPT")
        )
    )
    s.gap(2)
    barcode(s.page, s.m + 6, s.y, s.page.w - 2 * s.m - 12, 9, ctx.rng)
    s.gap(11)
    return s.image()


def _modern(ctx: DocContext, r: Receipt, width: float) -> Image.Image:
    """Sans-serif receipt with a logo, a qty/item/price grid and a VAT table."""
    s = Strip(ctx, width, "body")
    s.size = 8.5 if width > 60 else 7.5
    _header(s, r, with_logo=True)
    s.row(f"Receipt {r.number}", _when(s, r), s.size - 0.5)
    s.rule(dashed=False)
    s.row("Qty  Item", "Amount", style="bold")
    for line in r.lines:
        s.row(f"{line.qty}  {line.name}", ctx.number(line.amount))
    s.rule(dashed=False)
    if not r.tax_included:
        _tax_lines(s, r)
    top = s.y
    s.gap(1)
    s.row("TOTAL " + ctx.locale.currency, ctx.number(r.total), s.size + 2, "bold")
    s.page.rect(s.m - 1, top - 0.5, s.page.w - s.m + 1, s.y, outline=ctx.theme.ink, weight=0.35)
    s.gap(2)
    _payment(s, r)
    if r.tax_included:
        s.gap(1)
        _tax_lines(s, r)
    s.gap(3)
    s.center("Thank you for your visit!", style="italic")
    return s.image()


def _bill(ctx: DocContext, r: Receipt, width: float) -> Image.Image:
    """Restaurant / café bill: table and server, tip line, signature line."""
    s = Strip(ctx, width, ctx.rng.choice(("body", "mono")))
    s.size = 8.5 if width > 60 else 7.5
    _header(s, r, with_logo=ctx.chance(0.4))
    rng = ctx.rng
    s.row(f"Table {rng.randint(1, 40)}", f"Guests {rng.randint(1, 6)}")
    s.row(f"Server: {rng.choice(names.FIRST_NAMES[ctx.locale.lang])}", _when(s, r))
    s.rule()
    for line in r.lines:
        s.row(f"{line.qty} {line.name}", ctx.number(line.amount))
    s.rule()
    if not r.tax_included:
        _tax_lines(s, r)
    s.row("Total", ctx.amount(r.total), s.size + 2, "bold")
    if r.tax_included:
        _tax_lines(s, r)
    s.gap(2)
    _payment(s, r)
    s.gap(4)
    s.row("Tip: ____________", "")
    s.gap(3)
    s.row("Signature: ______________", "")
    s.gap(2)
    s.center("Grazie! Merci! Thank you!")
    return s.image()


LAYOUTS: dict[str, Callable[[DocContext, Receipt, float], Image.Image]] = {
    "thermal": _thermal,
    "modern": _modern,
    "bill": _bill,
}


def build(ctx: DocContext) -> Document:
    r = make_receipt(ctx)
    # Only cafés and restaurants hand out bills with table and tip lines.
    food = r.category in ("cafe", "restaurant")
    name = ctx.rng.choice(("bill", "bill", "thermal", "modern") if food else ("thermal", "modern"))
    width = ctx.rng.choice((80.0, 80.0, 76.0, 58.0))
    img = LAYOUTS[name](ctx, r, width)
    fmt = "jpeg" if ctx.chance(0.35) else "png"
    return Document(fields(r), [img], fmt, name, r.when.date())
