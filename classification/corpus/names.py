"""Plausible people, companies, addresses and identifiers, built from in-code word lists.

Nothing here is downloaded: the lists are short but combine into many thousands of names, and
every identifier that has a real checksum (IBAN, MRZ, French RIB key) gets a correct one, so
validators downstream can be exercised on the corpus.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from .locales import Locale

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "James", "Oliver", "Emily", "Sophie", "Michael", "Sarah", "David", "Laura", "Daniel",
        "Jessica", "Thomas", "Hannah", "Robert", "Charlotte", "William", "Amelia", "Jack",
        "Grace", "Matthew", "Olivia", "Christopher", "Rachel", "Andrew", "Megan", "Benjamin",
        "Chloe", "Samuel", "Lucy", "Joseph", "Emma", "Ryan", "Katherine", "Patrick", "Aoife",
        "Sean", "Ciaran", "Tyler", "Ashley", "Brandon", "Jennifer", "Kevin", "Marcus", "Maria",
        "Carlos", "Priya", "Aisha", "Noah", "Ethan", "Isabella", "Harper", "Liam", "Zoe",
    ),
    "de": (
        "Lukas", "Anna", "Felix", "Lena", "Jonas", "Marie", "Maximilian", "Sophie", "Paul",
        "Laura", "Tobias", "Katharina", "Stefan", "Julia", "Andreas", "Sabine", "Jürgen",
        "Ursula", "Matthias", "Claudia", "Florian", "Franziska", "Sebastian", "Johanna", "Lars",
        "Nina", "Reto", "Beat", "Corinne", "Urs", "Heidi", "Markus", "Petra", "Jörg", "Anja",
    ),
    "fr": (
        "Julien", "Camille", "Nicolas", "Léa", "Antoine", "Manon", "Mathieu", "Chloé", "Pierre",
        "Élodie", "Guillaume", "Sophie", "François", "Aurélie", "Thomas", "Céline", "Étienne",
        "Margaux", "Hugo", "Inès", "Benoît", "Hélène", "Olivier", "Nathalie", "Rémi", "Amélie",
    ),
    "nl": (
        "Daan", "Sanne", "Bram", "Lotte", "Jeroen", "Femke", "Joost", "Anouk", "Sven",
        "Marloes", "Pieter", "Eva", "Ruben", "Iris", "Thijs", "Fleur", "Wouter", "Maaike",
    ),
}  # fmt: skip

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Smith", "Johnson", "Williams", "Brown", "Taylor", "Davies", "Evans", "Wilson",
        "Thomas", "Roberts", "Walker", "Wright", "Thompson", "White", "Hughes", "Edwards",
        "Green", "Hall", "Wood", "Harris", "Clarke", "Jackson", "Turner", "Hill", "Moore",
        "Cooper", "Ward", "Morris", "King", "Baker", "Murphy", "O'Brien", "Kelly", "Byrne",
        "Walsh", "Ryan", "Gallagher", "Miller", "Anderson", "Martinez", "Garcia", "Rodriguez",
        "Lee", "Nguyen", "Patel", "Kim", "Robinson", "Carter", "Mitchell", "Foster", "Bennett",
        "Hayes", "Sullivan", "Fletcher", "Harrington", "Whitfield", "Cunningham", "Donnelly",
    ),
    "de": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange",
        "Werner", "Krause", "Lehmann", "Köhler", "Maier", "Huber", "Keller", "Brunner",
        "Gerber", "Frei", "Baumann", "Steiner", "Moser", "Widmer", "Vogel", "Graf",
    ),
    "fr": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
        "Dupont", "Lambert", "Bonnet", "François", "Rousseau", "Fontaine", "Chevalier",
        "Gauthier", "Lemaire", "Perrin", "Masson", "Barbier",
    ),
    "nl": (
        "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker",
        "Brouwer", "van Leeuwen",
    ),
}  # fmt: skip

COMPANY_PREFIXES = (
    "North", "Blue", "Silver", "Bright", "Green", "Red Oak", "Summit", "Harbour", "Pioneer",
    "Apex", "Crest", "Sterling", "Meridian", "Vertex", "Evergreen", "Falcon", "Granite",
    "Horizon", "Keystone", "Lakeside", "Maple", "Nova", "Orion", "Pinnacle", "Quantum",
    "Riverside", "Sapphire", "Trident", "Unity", "Vista", "Westbrook", "Alder", "Beacon",
    "Cobalt", "Driftwood", "Elmstead", "Foxglove", "Hawthorn", "Ironbridge",
    "Kestrel", "Larkspur", "Millbrook", "Northgate", "Oakridge", "Redwood", "Stonegate",
)  # fmt: skip

COMPANY_SUFFIXES: dict[str, tuple[str, ...]] = {
    "US": ("Inc.", "LLC", "Corp.", "Co.", "Inc."),
    "GB": ("Ltd", "Ltd.", "PLC", "LLP", "Limited"),
    "IE": ("Ltd", "DAC", "Limited"),
    "DE": ("GmbH", "AG", "GmbH & Co. KG", "e.K.", "GmbH"),
    "CH": ("AG", "GmbH", "SA", "Sàrl"),
    "FR": ("SARL", "SAS", "SA", "EURL"),
    "NL": ("B.V.", "N.V.", "B.V."),
}

# Trade -> words used in company names and the goods/services such a company bills for.
# Each item: (description, unit, min price, max price, max quantity).
TRADES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, int, int, int], ...]]] = {
    "it": (
        ("IT Services", "Software", "Systems", "Digital", "Netcom", "Tech"),
        (
            ("Software development", "h", 75, 160, 40),
            ("Server maintenance (monthly)", "", 180, 900, 1),
            ('Laptop 14" i7 / 16 GB', "pc", 900, 1800, 5),
            ("Cloud hosting, Business plan", "mo", 40, 400, 12),
            ("Network switch 24-port", "pc", 180, 650, 3),
            ("On-site support", "h", 65, 120, 16),
            ("Microsoft 365 licences", "user", 10, 22, 25),
            ("Backup storage 2 TB", "mo", 15, 60, 12),
            ("Firewall configuration", "flat", 250, 900, 1),
            ("USB-C docking station", "pc", 120, 260, 6),
            ('Monitor 27" QHD', "pc", 220, 480, 6),
            ("Domain renewal .com", "yr", 12, 25, 3),
        ),
    ),
    "consulting": (
        ("Consulting", "Advisory", "Partners", "Management", "Strategy Group"),
        (
            ("Strategy workshop", "day", 900, 2400, 3),
            ("Management consulting", "h", 120, 280, 30),
            ("Market analysis report", "flat", 1500, 6500, 1),
            ("Project management", "h", 85, 160, 40),
            ("Travel expenses", "flat", 80, 650, 1),
            ("Interim CFO services", "day", 800, 1600, 8),
            ("Process review", "day", 700, 1500, 5),
            ("Training session", "session", 400, 1200, 4),
        ),
    ),
    "trades": (
        ("Plumbing & Heating", "Electrical", "Building Services", "Construction", "Roofing"),
        (
            ("Labour", "h", 45, 95, 24),
            ("Copper pipe 15 mm", "m", 4, 12, 40),
            ("Boiler service", "flat", 90, 220, 1),
            ("Radiator valve", "pc", 12, 45, 8),
            ("Call-out charge", "flat", 45, 120, 1),
            ("Cable NYM 3x1.5", "m", 1, 3, 100),
            ("Consumer unit replacement", "flat", 380, 900, 1),
            ("Skip hire", "flat", 180, 380, 1),
            ("Plasterboard 12.5 mm", "sheet", 7, 16, 30),
            ("Waste disposal", "flat", 40, 150, 1),
            ("Thermostat, programmable", "pc", 60, 190, 2),
            ("Sealant and fixings", "flat", 8, 40, 1),
        ),
    ),
    "office": (
        ("Office Supplies", "Stationery", "Office Solutions", "Business Supplies"),
        (
            ("Copy paper A4 80 g, box of 5 reams", "box", 18, 35, 20),
            ("Toner cartridge black", "pc", 45, 140, 6),
            ("Ballpoint pens, pack of 50", "pack", 8, 22, 5),
            ("Lever arch files", "pc", 2, 6, 40),
            ("Desk chair, ergonomic", "pc", 150, 480, 4),
            ("Sticky notes 76x76", "pack", 3, 9, 20),
            ("Whiteboard markers, set", "set", 6, 15, 10),
            ("Shredder cross-cut", "pc", 90, 320, 1),
            ("Envelopes C4, box of 250", "box", 14, 32, 6),
            ("Desk lamp LED", "pc", 25, 80, 5),
        ),
    ),
    "catering": (
        ("Catering", "Events", "Kitchen", "Fine Foods"),
        (
            ("Buffet lunch", "person", 14, 38, 80),
            ("Coffee and pastries", "person", 5, 12, 60),
            ("Canapés selection", "tray", 35, 90, 12),
            ("Service staff", "h", 22, 40, 24),
            ("Soft drinks", "case", 12, 30, 10),
            ("Wine, house selection", "bottle", 9, 28, 30),
            ("Tableware hire", "flat", 60, 240, 1),
            ("Delivery and setup", "flat", 40, 150, 1),
        ),
    ),
    "marketing": (
        ("Marketing", "Design Studio", "Media", "Creative", "Communications"),
        (
            ("Logo and brand guidelines", "flat", 900, 4500, 1),
            ("Social media management", "mo", 400, 1800, 3),
            ("Copywriting", "h", 55, 120, 20),
            ("Photography, half day", "flat", 350, 950, 1),
            ("Flyer printing A5, 1000 pcs", "order", 60, 220, 3),
            ("Google Ads management", "mo", 250, 900, 3),
            ("Website design", "flat", 1800, 7500, 1),
            ("Video editing", "h", 50, 110, 16),
        ),
    ),
    "logistics": (
        ("Logistics", "Freight", "Transport", "Couriers", "Shipping"),
        (
            ("Pallet transport", "pallet", 45, 180, 20),
            ("Express courier", "parcel", 12, 60, 15),
            ("Warehousing", "pallet/mo", 8, 25, 40),
            ("Fuel surcharge", "flat", 20, 140, 1),
            ("Customs clearance", "flat", 45, 160, 2),
            ("Loading assistance", "h", 30, 60, 8),
            ("Packaging material", "flat", 15, 90, 1),
            ("Insurance cover", "flat", 10, 75, 1),
        ),
    ),
    "cleaning": (
        ("Cleaning Services", "Facility Services", "Property Care"),
        (
            ("Office cleaning", "h", 22, 45, 60),
            ("Window cleaning", "flat", 80, 350, 2),
            ("Carpet deep clean", "m²", 3, 9, 120),
            ("Sanitary supplies", "flat", 25, 120, 1),
            ("Waste management", "mo", 40, 160, 1),
            ("Floor polishing", "m²", 2, 6, 200),
        ),
    ),
}


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    title: str = ""

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def formal(self) -> str:
        return f"{self.title} {self.full}".strip()


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]
    city: str
    country: str

    def one_line(self) -> str:
        return ", ".join(self.lines)

    def with_country(self) -> tuple[str, ...]:
        return (*self.lines, self.country)


@dataclass(frozen=True)
class Company:
    name: str
    trade: str
    address: Address
    phone: str
    email: str
    website: str
    tax_id: str


def _name_lang(loc: Locale, rng: random.Random) -> str:
    # Mixed populations: an English-speaking minority in every country, and vice versa.
    if rng.random() < 0.15:
        return rng.choice(("en", "de", "fr", "nl"))
    return loc.lang


def person(loc: Locale, rng: random.Random, with_title: bool = False) -> Person:
    lang = _name_lang(loc, rng)
    first = rng.choice(FIRST_NAMES[lang])
    last = rng.choice(LAST_NAMES[lang])
    # Only the gender-neutral "Dr": the name lists carry no gender to match Mr/Ms against.
    title = "Dr" if with_title and rng.random() < 0.3 else ""
    return Person(first, last, title)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def letters(rng: random.Random, n: int, alphabet: str = string.ascii_uppercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


# --- addresses ---------------------------------------------------------------------------------

_US_CITIES = (
    ("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Boston", "MA", "021"),
    ("Chicago", "IL", "606"), ("Austin", "TX", "787"), ("Houston", "TX", "770"),
    ("Seattle", "WA", "981"), ("Portland", "OR", "972"), ("Denver", "CO", "802"),
    ("Atlanta", "GA", "303"), ("Phoenix", "AZ", "850"), ("San Diego", "CA", "921"),
    ("San Francisco", "CA", "941"), ("Philadelphia", "PA", "191"), ("Columbus", "OH", "432"),
    ("Minneapolis", "MN", "554"), ("Nashville", "TN", "372"), ("Raleigh", "NC", "276"),
)  # fmt: skip
_US_STREETS = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Pine",
    "Church", "Market", "Broad", "Mill", "Spring", "Highland", "Sunset", "Franklin", "Lincoln",
    "Jefferson", "Madison", "River", "Forest", "Willow", "Grand", "Commerce",
)  # fmt: skip
_US_TYPES = ("Street", "Avenue", "Road", "Drive", "Lane", "Boulevard", "St", "Ave", "Blvd")

_GB_CITIES = (
    ("London", ("EC1A", "SW1A", "N1", "E2", "SE1", "W1D", "WC2H")),
    ("Manchester", ("M1", "M2", "M4")),
    ("Leeds", ("LS1", "LS2", "LS6")), ("Bristol", ("BS1", "BS8")), ("Birmingham", ("B1", "B3")),
    ("Edinburgh", ("EH1", "EH3")), ("Glasgow", ("G1", "G2")), ("Cardiff", ("CF10",)),
    ("Liverpool", ("L1", "L3")), ("Sheffield", ("S1",)), ("Nottingham", ("NG1",)),
    ("Oxford", ("OX1", "OX2")), ("Cambridge", ("CB1", "CB2")), ("York", ("YO1",)),
    ("Brighton", ("BN1",)),
)  # fmt: skip
_GB_STREETS = (
    "High", "Church", "Station", "Victoria", "Mill", "Queen's", "King", "Park", "London",
    "Albert", "Castle", "Manor", "Green", "Bridge", "New", "North", "Chapel", "Windsor",
)  # fmt: skip
_GB_TYPES = ("Street", "Road", "Lane", "Avenue", "Close", "Way", "Crescent", "Terrace")

_IE_CITIES = (
    ("Dublin 1", "D01"), ("Dublin 2", "D02"), ("Dublin 4", "D04"), ("Dublin 8", "D08"),
    ("Cork", "T12"), ("Galway", "H91"), ("Limerick", "V94"), ("Waterford", "X91"),
)  # fmt: skip
_IE_STREETS = (
    "O'Connell Street", "Grafton Street", "Dame Street", "Baggot Street Lower", "Patrick Street",
    "Shop Street", "Camden Street", "Harcourt Road", "Merrion Square", "Leeson Street",
)  # fmt: skip

_DE_CITIES = (
    ("Berlin", 10115, 14199), ("Hamburg", 20095, 22769), ("München", 80331, 81929),
    ("Köln", 50667, 51149), ("Frankfurt am Main", 60306, 60599), ("Stuttgart", 70173, 70629),
    ("Düsseldorf", 40210, 40629), ("Leipzig", 4103, 4357), ("Dresden", 1067, 1328),
    ("Hannover", 30159, 30659), ("Nürnberg", 90402, 90491), ("Bremen", 28195, 28779),
)  # fmt: skip
_DE_STREETS = (
    "Haupt", "Bahnhof", "Schiller", "Goethe", "Garten", "Berg", "Linden", "Kirch", "Wald",
    "Mozart", "Friedrich", "Schul", "Rosen", "Birken", "Industrie", "Markt",
)  # fmt: skip

_CH_CITIES = (
    ("Zürich", 8001, 8057), ("Bern", 3001, 3027), ("Basel", 4001, 4059), ("Luzern", 6002, 6006),
    ("St. Gallen", 9000, 9016), ("Winterthur", 8400, 8411), ("Zug", 6300, 6300),
)  # fmt: skip
_CH_STREETS = (
    "Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Hauptstrasse", "Kirchgasse", "Limmatquai",
    "Freiestrasse", "Industriestrasse", "Zürcherstrasse", "Poststrasse",
)  # fmt: skip

_FR_CITIES = (
    ("Paris", 75001, 75020), ("Lyon", 69001, 69009), ("Marseille", 13001, 13016),
    ("Toulouse", 31000, 31500), ("Nice", 6000, 6300), ("Nantes", 44000, 44300),
    ("Bordeaux", 33000, 33800), ("Lille", 59000, 59800), ("Strasbourg", 67000, 67200),
    ("Montpellier", 34000, 34090),
)  # fmt: skip
_FR_STREETS = (
    "rue de la République", "avenue Victor Hugo", "boulevard Haussmann", "rue Nationale",
    "place de la Bourse", "rue des Lilas", "avenue Jean Jaurès", "rue Pasteur", "rue de la Paix",
    "rue du Faubourg Saint-Antoine", "quai des Chartrons", "rue Sainte-Catherine",
)  # fmt: skip

_NL_CITIES = (
    ("Amsterdam", 1011, 1109), ("Rotterdam", 3011, 3089), ("Utrecht", 3511, 3585),
    ("Den Haag", 2511, 2597), ("Eindhoven", 5611, 5658), ("Groningen", 9711, 9747),
)  # fmt: skip
_NL_STREETS = (
    "Keizersgracht", "Herengracht", "Kerkstraat", "Dorpsstraat", "Stationsplein", "Molenweg",
    "Prinsengracht", "Oudegracht", "Coolsingel", "Stratumseind",
)  # fmt: skip


def _address_us(rng: random.Random) -> tuple[tuple[str, ...], str]:
    city, state, zip3 = rng.choice(_US_CITIES)
    street = f"{rng.randint(10, 9899)} {rng.choice(_US_STREETS)} {rng.choice(_US_TYPES)}"
    if rng.random() < 0.3:
        street += f", Suite {rng.randint(1, 19)}{rng.choice('0123')}{rng.randint(0, 9)}"
    return (street, f"{city}, {state} {zip3}{digits(rng, 2)}"), city


def _address_gb(rng: random.Random) -> tuple[tuple[str, ...], str]:
    city, outward = rng.choice(_GB_CITIES)
    postcode = f"{rng.choice(outward)} {rng.randint(1, 9)}{letters(rng, 2, 'ABDEFGHJLNPQRSTUWXYZ')}"
    street = f"{rng.randint(1, 240)} {rng.choice(_GB_STREETS)} {rng.choice(_GB_TYPES)}"
    return (street, city, postcode), city


def _address_ie(rng: random.Random) -> tuple[tuple[str, ...], str]:
    city, key = rng.choice(_IE_CITIES)
    eircode = f"{key} {letters(rng, 1, 'ACDEFHKNPRTVWXY')}{digits(rng, 2)}{letters(rng, 1)}"
    return (f"{rng.randint(1, 120)} {rng.choice(_IE_STREETS)}", city, eircode), city


def _address_de(rng: random.Random) -> tuple[tuple[str, ...], str]:
    city, lo, hi = rng.choice(_DE_CITIES)
    kind = rng.choice(("straße", "straße", "weg", "allee", "platz"))
    street = f"{rng.choice(_DE_STREETS)}{kind} {rng.randint(1, 140)}{rng.choice(('', '', 'a'))}"
    return (street, f"{rng.randint(lo, hi):05d} {city}"), city


def _address_ch(rng: random.Random) -> tuple[tuple[str, ...], str]:
    city, lo, hi = rng.choice(_CH_CITIES)
    return (
        f"{rng.choice(_CH_STREETS)} {rng.randint(1, 120)}",
        f"{rng.randint(lo, hi)} {city}",
    ), city


def _address_fr(rng: random.Random) -> tuple[tuple[str, ...], str]:
    city, lo, hi = rng.choice(_FR_CITIES)
    number = f"{rng.randint(1, 180)}{rng.choice(('', '', '', ' bis'))}"
    return (f"{number} {rng.choice(_FR_STREETS)}", f"{rng.randint(lo, hi):05d} {city}"), city


def _address_nl(rng: random.Random) -> tuple[tuple[str, ...], str]:
    city, lo, hi = rng.choice(_NL_CITIES)
    postcode = f"{rng.randint(lo, hi)} {letters(rng, 2, 'ABCDEGHJKLMNPRSTVWXZ')}"
    return (f"{rng.choice(_NL_STREETS)} {rng.randint(1, 400)}", f"{postcode} {city}"), city


_ADDRESS_BUILDERS = {
    "US": _address_us, "GB": _address_gb, "IE": _address_ie, "DE": _address_de,
    "CH": _address_ch, "FR": _address_fr, "NL": _address_nl,
}  # fmt: skip


def address(loc: Locale, rng: random.Random) -> Address:
    lines, city = _ADDRESS_BUILDERS[loc.country](rng)
    return Address(lines, city, loc.country_name)


def phone(loc: Locale, rng: random.Random) -> str:
    if loc.country == "US":
        return f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{digits(rng, 4)}"
    if rng.random() < 0.5:
        return f"{loc.phone_prefix} {rng.randint(20, 99)} {digits(rng, 3)} {digits(rng, 4)}"
    return f"0{rng.randint(20, 99)} {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}"


def tax_id(loc: Locale, rng: random.Random) -> str:
    """A VAT / company tax number in the country's usual shape."""
    shapes = {
        "US": lambda: f"EIN {rng.randint(10, 99)}-{digits(rng, 7)}",
        "GB": lambda: f"GB {digits(rng, 3)} {digits(rng, 4)} {digits(rng, 2)}",
        "IE": lambda: f"IE{digits(rng, 7)}{letters(rng, 1)}",
        "DE": lambda: f"DE{digits(rng, 9)}",
        "CH": lambda: f"CHE-{digits(rng, 3)}.{digits(rng, 3)}.{digits(rng, 3)} MWST",
        "FR": lambda: f"FR{digits(rng, 2)} {digits(rng, 9)}",
        "NL": lambda: f"NL{digits(rng, 9)}B01",
    }
    return shapes[loc.country]()


def _slug(name: str) -> str:
    ascii_name = name.lower().translate(str.maketrans("äöüéèàçß&", "aoueeacs-"))
    return "".join(ch for ch in ascii_name if ch.isalnum())[:18] or "mail"


def company_name(loc: Locale, rng: random.Random, trade: str) -> str:
    words = TRADES[trade][0]
    suffix = rng.choice(COMPANY_SUFFIXES[loc.country])
    last = rng.choice(LAST_NAMES[loc.lang])
    patterns = (
        lambda: f"{rng.choice(COMPANY_PREFIXES)} {rng.choice(words)} {suffix}",
        lambda: f"{rng.choice(COMPANY_PREFIXES)} {rng.choice(words)} {suffix}",
        lambda: f"{last} {rng.choice(words)} {suffix}",
        lambda: f"{last} & {rng.choice(LAST_NAMES[loc.lang])} {suffix}",
        lambda: (
            f"{rng.choice(COMPANY_PREFIXES)}{rng.choice(('', ' '))}"
            f"{rng.choice(('Works', 'Line', 'Point', 'Field'))} {suffix}"
        ),
    )
    return rng.choice(patterns)()


def company(loc: Locale, rng: random.Random, trade: str | None = None) -> Company:
    trade = trade or rng.choice(sorted(TRADES))
    name = company_name(loc, rng, trade)
    tld = {"US": "com", "GB": "co.uk", "IE": "ie", "DE": "de", "CH": "ch", "FR": "fr", "NL": "nl"}
    domain = f"{_slug(name.rsplit(' ', 1)[0])}.{tld[loc.country]}"
    return Company(
        name=name,
        trade=trade,
        address=address(loc, rng),
        phone=phone(loc, rng),
        email=f"{rng.choice(('info', 'accounts', 'billing', 'office', 'hello'))}@{domain}",
        website=f"www.{domain}",
        tax_id=tax_id(loc, rng),
    )


# --- bank identifiers --------------------------------------------------------------------------

BANKS: dict[str, tuple[tuple[str, str], ...]] = {
    # Fictional banks with plausible 4-letter BIC prefixes (so no real institution is implied).
    "GB": (
        ("Albion Savings Bank", "ALSB"),
        ("Northern Counties Bank", "NCBK"),
        ("Thameside Bank", "THBK"),
    ),
    "IE": (("Liffey Bank", "LIFB"), ("Atlantic Irish Bank", "AIRB")),
    "DE": (
        ("Stadtsparkasse Nordhafen", "SPNH"),
        ("Rheinische Volksbank", "RHVB"),
        ("Hanse Direktbank", "HDBK"),
    ),
    "CH": (("Alpina Kantonalbank", "ALKB"), ("Helvetia Privatbank", "HEPB")),
    "FR": (("Banque Rhône-Alpes", "BRAL"), ("Crédit du Littoral", "CRLI")),
    "NL": (("Polderbank", "PLDB"), ("Grachten Spaarbank", "GRSB")),
    "US": (("Lakeshore National Bank", "LKNB"), ("Pioneer Federal Credit Union", "PFCU")),
}


def _ibandigits(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def iban_check(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 - (BBAN + country + '00' as digits) mod 97."""
    return f"{98 - int(_ibandigits(bban + country + '00')) % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    return len(compact) > 4 and int(_ibandigits(compact[4:] + compact[:4])) % 97 == 1


def _rib_key(bank: str, branch: str, account: str) -> str:
    """French RIB key, so the French BBAN is internally consistent too."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _bban(country: str, bic: str, rng: random.Random) -> str:
    if country in ("GB", "IE"):
        return bic + digits(rng, 14)
    if country == "DE":
        return digits(rng, 18)
    if country == "CH":
        return digits(rng, 17)
    if country == "NL":
        return bic + digits(rng, 10)
    if country == "FR":
        bank, branch, account = digits(rng, 5), digits(rng, 5), digits(rng, 11)
        return bank + branch + account + _rib_key(bank, branch, account)
    raise ValueError(f"no IBAN format for {country}")


def iban(country: str, bic: str, rng: random.Random) -> str:
    """A compact IBAN with correct mod-97 check digits."""
    bban = _bban(country, bic, rng)
    return f"{country}{iban_check(country, bban)}{bban}"


def group4(text: str) -> str:
    """IBANs are printed in groups of four."""
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def bic(bank_code: str, country: str, rng: random.Random) -> str:
    return f"{bank_code}{country}{letters(rng, 2, string.ascii_uppercase + string.digits)}"


# --- machine-readable zone ---------------------------------------------------------------------


def mrz_check(text: str) -> str:
    """ICAO 9303 check digit (weights 7-3-1, '<' = 0, letters A=10)."""
    total = 0
    for i, ch in enumerate(text):
        value = 0 if ch == "<" else int(ch, 36)
        total += value * (7, 3, 1)[i % 3]
    return str(total % 10)


def mrz_name(text: str) -> str:
    table = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "É": "E", "È": "E"})
    upper = text.upper().translate(table)
    return "".join(ch if ch.isalpha() and ch.isascii() else "<" for ch in upper)
