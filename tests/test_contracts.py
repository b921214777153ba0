"""Contracts: the rules that read parties, effective date, governing law and term from the
first and last pages (``classification.extraction.contracts``), the PDF text layer they are
read from (``classification.pdf``), the pipeline choosing it over Tesseract for a born-digital
page, and the product storing a contract's fields with the page they were found on."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pikepdf
import pytest
from PIL import Image

from classification import fieldstore, ocr, pdf, rendering, services
from classification.extraction import contracts
from classification.extraction.contracts import PageWords, extract_contract_fields
from classification.models import Document, DocumentType, FieldValue
from labeling import workbench
from tests import documents
from tests.workbench_documents import waiting_document

SCHEMA = [
    ("parties", "names"),
    ("effective_date", "date"),
    ("jurisdiction", "text"),
    ("term", "text"),
]

# --------------------------------------------------------------------------------------------
# Pages of words without OCR: each line at its own height, ``RIGHT`` starts a second column.

CHAR, LINE, RIGHT = 10, 30, 600


def _words(rows: Sequence[str | tuple[str, str]]) -> list[dict[str, object]]:
    words: list[dict[str, object]] = []
    for number, row in enumerate(rows):
        columns = [(40, row)] if isinstance(row, str) else [(40, row[0]), (RIGHT, row[1])]
        for left, text in columns:
            x = left
            for word in text.split():
                words.append(
                    {
                        "text": word,
                        "left": x,
                        "top": 50 + LINE * number,
                        "width": CHAR * len(word),
                        "height": 20,
                        "conf": 100.0,
                        "line": number,
                    }
                )
                x += CHAR * (len(word) + 1)
    return words


def _pages(*pages: Sequence[str | tuple[str, str]]) -> list[PageWords]:
    return [PageWords(n, _words(rows), 1000, 1400) for n, rows in enumerate(pages, start=1)]


def _read(*pages: Sequence[str | tuple[str, str]]) -> dict[str, str]:
    found = extract_contract_fields(_pages(*pages), SCHEMA)
    return {name: value.value for name, (_, value) in found.items()}


def _parties(*pages: Sequence[str | tuple[str, str]]) -> set[str]:
    return set(contracts.split_names(_read(*pages).get("parties", "")))


# --------------------------------------------------------------------------------------------
# Preambles


def test_it_reads_the_parties_and_date_of_a_by_and_between_preamble() -> None:
    found = _read(
        [
            "MUTUAL NONDISCLOSURE AGREEMENT",
            "This Mutual Nondisclosure Agreement is made and entered into as of March 3, 2021",
            "by and between Acme Widgets, Inc., a Delaware corporation having its offices at",
            "12 Main Street, Springfield (“Acme”), and Beta Labs, L.P., a Texas limited",
            "partnership (“Beta”). Each of Acme and Beta is a “Party”.",
        ]
    )
    assert set(contracts.split_names(found["parties"])) == {"Acme Widgets Inc.", "Beta Labs LP"}
    assert found["effective_date"] == "2021-03-03"


def test_it_reads_a_list_of_parties_among_several() -> None:
    parties = _parties(
        [
            "This Confidentiality Agreement is entered into by and among Glacier Bancorp, Inc.,",
            "Glacier Bank, Heritage Bancorp and Heritage Bank of Nevada. WHEREAS the parties",
        ]
    )
    assert parties == {
        "Glacier Bancorp Inc.",
        "Glacier Bank",
        "Heritage Bancorp",
        "Heritage Bank of Nevada",
    }


def test_a_parties_heading_lists_the_parties_and_stops_at_the_recitals() -> None:
    parties = _parties(
        [
            "COVENANT NOT TO COMPETE AND NON-DISCLOSURE AGREEMENT",
            "PARTIES:",
            "Eric Dean Sprunk (“EMPLOYEE”)",
            "and",
            "NIKE, Inc., divisions, subsidiaries and affiliates. (“NIKE”):",
            "RECITALS:",
            "A. This Covenant Not to Compete and Non-Disclosure Agreement is executed upon",
        ]
    )
    assert parties == {"Eric Dean Sprunk", "NIKE Inc."}


def test_an_individual_party_keeps_initials_and_loses_a_degree() -> None:
    parties = _parties(
        [
            "This Agreement dated this 6th day of January, 2012 is entered into by and between",
            "Maher J. Albitar, M.D., an individual (“Contractor”) and NeoGenomics Laboratories,",
            "Inc., a Florida corporation (“NeoGenomics”).",
        ]
    )
    assert parties == {"Maher J. Albitar", "NeoGenomics Laboratories Inc."}


def test_numbered_parties_under_a_heading_and_a_dotted_date_read_day_first() -> None:
    found = _read(
        [
            "MUTUAL NON-DISCLOSURE AGREEMENT",
            "THIS AGREEMENT is dated 09.10.2023 (the “Effective Date”).",
            "PARTIES",
            "(1) van den Berg Couriers N.V., a company registered in Nederland, whose office is",
            "at Coolsingel 51, Groningen (the “First Party”)",
            "(2) Blue Consulting GmbH, a company registered in Schweiz (the “Second Party”)",
            "IT IS AGREED as follows:",
            "This Agreement is governed by the laws of the Canton of Geneva.",
        ]
    )
    assert set(contracts.split_names(found["parties"])) == {
        "van den Berg Couriers N.V.",
        "Blue Consulting GmbH",
    }
    assert found["effective_date"] == "2023-10-09"
    assert found["jurisdiction"] == "Geneva"


def test_a_sort_code_does_not_turn_a_contracts_dates_month_first() -> None:
    """A contract's numeric dates are voted on as a page's are (``parsers.day_first_votes``):
    a sort code ("08-92-99", its 92 no day or month) is no month-first date."""
    found = _read(
        [
            "NON-DISCLOSURE AGREEMENT",
            "THIS AGREEMENT is made on 03/04/2020 (the “Effective Date”) between",
            "Acme Widgets Limited, of 1 High Street, London, and Beta Tools Limited.",
            "Payments to account 41234567, sort code 08-92-99.",
            "This Agreement is governed by the laws of England and Wales.",
        ]
    )
    assert found["effective_date"] == "2020-04-03"


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("NIKE, Inc.", "NIKE Inc."),
        ("Leonard Green & Partners, L.P.", "Leonard Green and Partners LP"),
        ("Wynn Resorts, Limited", "Wynn Resorts Ltd."),
        ("SafeNet, Inc", "SafeNet Inc."),
        ("Z Capital Partners, L.L.C.", "Z Capital Partners LLC"),
        ("II-VI Incorporated", "II-VI Inc."),
        ("Sears, Roebuck and Co", "Sears Roebuck and Co."),
    ],
)
def test_party_names_are_written_as_the_ground_truth_writes_them(
    written: str, normalised: str
) -> None:
    assert contracts.normalise_party(written) == normalised


# --------------------------------------------------------------------------------------------
# Signature blocks


def test_without_a_preamble_the_parties_come_from_the_signature_block() -> None:
    letter = [
        "December 28, 2006",
        "Potomac Key Group, LLC",
        "Dear Sir:",
        "You have requested information concerning the Company. You agree as follows.",
    ]
    signatures = [
        "Very truly yours,",
        "COMPUDYNE CORPORATION",
        "By: /s/ Martin Roenigk",
        "Name: Martin Roenigk",
        "Title: Chief Executive Officer",
        "Accepted and agreed:",
        "POTOMAC KEY GROUP, LLC",
        "By: /s/ Stuart Mackiernan",
    ]
    assert _parties(letter, ["1. Confidentiality. The Undersigned shall keep it."], signatures) == {
        "COMPUDYNE CORPORATION",
        "POTOMAC KEY GROUP LLC",
    }


def test_an_individual_signing_beside_a_company_is_a_party_its_officer_is_not() -> None:
    body = ["I agree to keep confidential the information of the company."]
    block = [
        ("IN WITNESS WHEREOF, the parties have signed.", ""),
        ("RUBICON TECHNOLOGY, INC.", "EMPLOYEE"),
        ("/s/ William F. Weissman", "/s/ Hap Hewes"),
        ("William F. Weissman, Chief Financial Officer", "Hap Hewes"),
    ]
    assert _parties(body, block) == {"RUBICON TECHNOLOGY INC.", "Hap Hewes"}


def test_a_signature_block_date_is_read_month_first_in_a_us_contract() -> None:
    found = _read(
        ["CONFIDENTIALITY AGREEMENT", "The parties agree as follows on this date of signature."],
        ["This Agreement shall be governed by the laws of the State of New York.", "Date: 8/11/08"],
    )
    assert found["effective_date"] == "2008-08-11"


# --------------------------------------------------------------------------------------------
# Governing law and term


@pytest.mark.parametrize(
    ("clause", "place"),
    [
        ("This Agreement shall be governed by the laws of the State of New York.", "New York"),
        ("It is construed under the laws of the Commonwealth of Massachusetts.", "Massachusetts"),
        ("THIS AGREEMENT IS GOVERNED BY THE LAWS OF THE STATE OF DELAWARE.", "Delaware"),
        ("This Agreement shall be governed by Delaware law.", "Delaware"),
        ("The parties submit to the courts located in Oregon for any dispute.", "Oregon"),
    ],
)
def test_it_reads_the_jurisdiction_of_a_governing_law_clause(clause: str, place: str) -> None:
    assert _read(["AGREEMENT", clause])["jurisdiction"] == place


def test_a_place_of_incorporation_is_not_the_governing_law() -> None:
    found = _read(
        [
            "This Agreement is made between Acme, Inc., a Delaware corporation, and Beta LLC.",
            "Acme is organized under the laws of the State of Delaware.",
        ],
        ["12. Governing Law. This Agreement shall be governed by the laws of the State of Ohio."],
    )
    assert found["jurisdiction"] == "Ohio"


@pytest.mark.parametrize(
    ("clause", "term"),
    [
        (
            "Each party keeps it confidential for a period of two (2) years from the date hereof.",
            "2 years",
        ),
        ("The term of this Agreement shall be eighteen (18) months.", "18 months"),
        (
            "9. Term. This NDA shall continue in effect until the first anniversary hereof.",
            "1 year",
        ),
        ("This Agreement shall expire three years after the Effective Date.", "3 years"),
    ],
)
def test_it_reads_the_term(clause: str, term: str) -> None:
    assert _read(["AGREEMENT", clause])["term"] == term


def test_a_non_solicitation_period_is_not_the_term() -> None:
    found = _read(
        [
            "5. Non-solicitation. For a period of one (1) year from the date hereof, you will not",
            "solicit for employment any employee of the Company.",
            "18. Term. This Agreement shall expire two (2) years from the date hereof.",
        ]
    )
    assert found["term"] == "2 years"


def test_a_contract_without_these_clauses_gives_no_values() -> None:
    assert _read(["Minutes of the meeting", "The weather was fine."]) == {}
    assert extract_contract_fields([], SCHEMA) == {}


def test_values_carry_their_page_and_the_box_of_their_words() -> None:
    pages = _pages(
        ["AGREEMENT", "Made as of May 2, 2019 between Acme Inc. and Beta LLC."],
        ["1. Nothing here.", "14. This Agreement is governed by the laws of the State of Texas."],
    )
    found = extract_contract_fields(pages, SCHEMA)
    number, jurisdiction = found["jurisdiction"]
    assert number == 2
    texas = next(w for w in pages[1].words if w["text"] == "Texas.")
    assert jurisdiction.bbox is not None
    left, top, right, _ = jurisdiction.bbox
    assert (left, top) == (texas["left"], texas["top"])
    assert right == int(str(texas["left"])) + int(str(texas["width"]))
    assert 0.05 <= jurisdiction.confidence <= 0.99
    assert found["effective_date"][0] == 1


def test_the_pages_read_are_the_first_and_the_last() -> None:
    assert contracts.pages_to_read(4) == [1, 2, 3, 4]
    many = contracts.pages_to_read(30)
    assert many == list(range(1, 11)) + list(range(21, 31))
    assert contracts.is_contract_schema(SCHEMA)
    assert not contracts.is_contract_schema([("vendor", "text"), ("total", "money")])


# --------------------------------------------------------------------------------------------
# The PDF text layer


def _text_pdf(pages: list[list[str]], rotate: int = 0, size: int = 14) -> bytes:
    """A born-digital PDF: the lines in Helvetica (a font every PDF reader has), US letter.
    ``rotate=90``: a landscape page stored upright with /Rotate, its text turned the other way
    so that it reads horizontally once displayed."""
    document = pikepdf.new()
    font = document.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for lines in pages:
        start = "0 1 -1 0 500 72 Tm" if rotate == 90 else "72 700 Td"
        ops = ["BT", f"/F1 {size} Tf", f"{size * 2} TL", start]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        page = document.add_blank_page(page_size=(612, 792))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = document.make_stream("\n".join(ops).encode("latin-1"))
        if rotate:
            page.obj.Rotate = rotate
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _with_scanned_page(born_digital: bytes, lines: list[str]) -> bytes:
    """The born-digital pages followed by a scanned one (an image, no text)."""
    document = pikepdf.open(io.BytesIO(born_digital))
    scan = pikepdf.open(io.BytesIO(documents.pdf([lines])))
    document.pages.extend(scan.pages)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


LINES = ["Mutual Nondisclosure Agreement", "Governed by the laws of Oregon (2 years)."]


def _ink_box(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The bounding box of the dark pixels within ``box`` grown by a margin."""
    margin = 4
    left, top, right, bottom = box
    crop = np.asarray(image.convert("L"))[
        top - margin : bottom + margin, left - margin : right + margin
    ]
    ys, xs = np.nonzero(crop < 160)
    assert len(xs), f"no ink under {box}"
    return (
        left - margin + int(xs.min()),
        top - margin + int(ys.min()),
        left - margin + int(xs.max()) + 1,
        top - margin + int(ys.max()) + 1,
    )


@pytest.mark.parametrize("rotate", [0, 90])
def test_text_layer_words_match_the_text_and_sit_on_the_rendered_glyphs(rotate: int) -> None:
    data = _text_pdf([LINES], rotate=rotate)
    ((image, layer),) = list(pdf.iter_pages_with_text(data, dpi=200, max_side=3000, limit=5))
    assert image.size == (layer.width, layer.height)
    assert [w["text"] for w in layer.words] == " ".join(LINES).split()
    assert layer.text == "\n".join(LINES)
    assert {w["conf"] for w in layer.words} == {100.0}
    lines = [[w["text"] for w in layer.words if w["line"] == n] for n in (0, 1)]
    assert lines == [LINES[0].split(), LINES[1].split()]
    for word in layer.words:
        box = (
            word["left"],
            word["top"],
            word["left"] + word["width"],
            word["top"] + word["height"],
        )
        ink = _ink_box(image, box)
        assert all(abs(a - b) <= 3 for a, b in zip(ink, box, strict=True)), (word, ink)
    assert rendering.usable_text_layer(layer)


def test_text_layers_are_read_without_rendering_at_the_rendered_scale() -> None:
    data = _text_pdf([LINES, ["Second page"]])
    rendered = [layer for _, layer in pdf.iter_pages_with_text(data, 300, 2000, 5)]
    read = list(pdf.iter_text_layers(data, 300, 2000, 5))
    assert [r.words for r in read] == [r.words for r in rendered]
    assert (read[0].width, read[0].height) == (1546, 2000)  # 612 x 792 pt fitted into 2000 px


def test_a_scan_or_garbage_is_not_a_usable_text_layer() -> None:
    ((_, scanned),) = list(pdf.iter_pages_with_text(documents.pdf([["SCANNED"]]), 200, 2000, 1))
    assert scanned.words == [] and not rendering.usable_text_layer(scanned)

    def layer(**changes: object) -> pdf.TextLayer:
        fields: dict[str, object] = {
            "words": [],
            "text": "",
            "width": 100,
            "height": 100,
            "alnum": 400,
            "unmapped": 0,
            "chars": 420,
            "image_cover": 0.0,
            "seconds": 0.0,
        }
        return pdf.TextLayer(**{**fields, **changes})  # type: ignore[arg-type]

    assert rendering.usable_text_layer(layer())
    assert not rendering.usable_text_layer(layer(alnum=12, chars=14))  # a page number
    assert not rendering.usable_text_layer(layer(unmapped=300))  # no ToUnicode map
    assert not rendering.usable_text_layer(layer(alnum=40, chars=45, image_cover=1.0))  # a stamp
    assert rendering.usable_text_layer(layer(image_cover=1.0))  # a scan with its OCR layer


# --------------------------------------------------------------------------------------------
# The product


@pytest.mark.django_db
@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
def test_the_pipeline_reads_a_born_digital_page_from_its_text_layer_and_ocrs_a_scan(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.DOCSITE_PAGE_MAX_SIDE = 1000
    data = _with_scanned_page(_text_pdf([LINES]), ["SCANNED PAGE BRAVO"])
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_upload(data, "nda.pdf", None).document
    first, second = document.pages.order_by("number")
    assert first.mean_confidence == 100.0
    assert [w["text"] for w in first.ocr_words] == " ".join(LINES).split()
    assert first.text == "\n".join(LINES)
    assert max(first.width, first.height) == 1000
    for word in first.ocr_words:
        assert word["left"] >= 0 and word["left"] + word["width"] <= first.width
        assert word["top"] >= 0 and word["top"] + word["height"] <= first.height
    # The boxes of the page as rendered for OCR, scaled to the stored image.
    (layer,) = pdf.iter_text_layers(
        data, settings.DOCSITE_OCR_DPI, settings.DOCSITE_OCR_MAX_SIDE, 1
    )
    scale = first.width / layer.width
    assert first.ocr_words == [rendering.scale_word(w, scale) for w in layer.words]
    assert 0 < first.ocr_seconds < 1.0
    assert second.mean_confidence is not None and second.mean_confidence < 100
    assert "BRAVO" in second.text


CONTRACT_FIRST = [
    "NON-DISCLOSURE AGREEMENT",
    "Made as of June 1, 2020 by and",
    "between Acme Widgets, Inc. and",
    "Beta Labs LLC. WHEREAS:",
]
CONTRACT_LAST = [
    "12. This Agreement is governed",
    "by the laws of the State of",
    "Oregon. It shall expire two (2)",
    "years after the Effective Date.",
]


@pytest.mark.django_db
def test_a_contract_stores_its_fields_with_the_page_they_were_found_on(labeler) -> None:
    middle = [["Section text"] for _ in range(3)]
    document = waiting_document("nda.png", CONTRACT_FIRST, *middle, CONTRACT_LAST)
    services.assign_type(document, DocumentType.objects.get(name="contract"), labeler)
    stored = {v.field.name: v for v in FieldValue.objects.filter(document=document)}
    assert set(contracts.split_names(stored["parties"].value)) == {
        "Acme Widgets Inc.",
        "Beta Labs LLC",
    }
    assert (stored["effective_date"].value, stored["effective_date"].page_number) == (
        "2020-06-01",
        1,
    )
    assert (stored["jurisdiction"].value, stored["jurisdiction"].page_number) == ("Oregon", 5)
    assert (stored["term"].value, stored["term"].page_number) == ("2 years", 5)
    assert all(v.bbox and v.source == "rule" for v in stored.values())


@pytest.mark.django_db
def test_a_long_contract_is_read_from_its_first_and_last_pages_only() -> None:
    pages = [[f"Page {n} clause"] for n in range(2, 30)]
    document = waiting_document("long.png", CONTRACT_FIRST, *pages, CONTRACT_LAST)
    definitions = list(DocumentType.objects.get(name="contract").fields.all())
    numbers = [p.number for p in fieldstore.pages_for(document, definitions)]
    assert numbers == contracts.pages_to_read(30)
    found = fieldstore.extract(fieldstore.pages_for(document, definitions), definitions)
    assert found["jurisdiction"][0] == 30
    # Another type's schema reads the first pages, as before.
    receipt = list(DocumentType.objects.get(name="receipt").fields.all())
    assert [p.number for p in fieldstore.pages_for(document, receipt)] == [1, 2, 3]
    assert Document.objects.get(pk=document.pk).page_count == 30


@pytest.mark.django_db
def test_the_workbench_pre_fills_a_contracts_fields_from_its_last_page() -> None:
    middle = [["Section text"] for _ in range(4)]
    document = waiting_document("nda2.png", CONTRACT_FIRST, *middle, CONTRACT_LAST)
    choices = workbench.type_choices(document, suggested={}, with_fields=True)
    contract = next(c for c in choices if c.document_type.name == "contract")
    rows = {row.definition.name: row for row in contract.fields}
    assert (rows["jurisdiction"].value, rows["jurisdiction"].page) == ("Oregon", 6)
    assert rows["jurisdiction"].source == "extracted" and rows["jurisdiction"].bbox
    assert (rows["effective_date"].value, rows["effective_date"].page) == ("2020-06-01", 1)


def test_the_company_an_agreement_defines_is_named_without_the_words_before_it() -> None:
    associate = _parties(
        [
            "CONFIDENTIALITY AND NON-COMPETITION AGREEMENT",
            "As an associate of Ann Taylor, Inc. (the “Company”), you will have access to",
            "trade secrets and other confidential information of the Company.",
        ],
        ["/s/ Christine Beauchamp", "Christine Beauchamp"],
    )
    assert "Ann Taylor Inc." in associate
    director = _parties(
        [
            "CONFIDENTIALITY AGREEMENT",
            "As a condition of my becoming a member of the Board of Directors of Interactive",
            "Data Corporation, a Delaware corporation (the “Company”), I agree as follows:",
        ],
        ["/s/ Andrew Prozes", "Andrew Prozes"],
    )
    assert "Interactive Data Corporation" in director


def test_a_person_signing_by_themselves_and_a_name_over_its_caption_are_parties() -> None:
    preamble = [
        "CONFIDENTIAL INFORMATION AGREEMENT",
        "In consideration of my relationship with Control4 Corporation (the “Company”),",
        "I agree to the following terms.",
    ]
    by_themselves = _parties(
        preamble,
        [
            "IN WITNESS WHEREOF, the undersigned has executed this Agreement.",
            "By: /s/ William B. West",
            "Name: William B. West",
            "Witness",
            "By: /s/ W. Eric Smith",
            "Name: W. Eric Smith",
        ],
    )
    assert by_themselves == {"Control4 Corporation", "William B. West"}  # not the witness
    captioned = _parties(
        preamble,
        [
            "IN WITNESS WHEREOF, the parties have executed this Agreement.",
            "EMPLOYEE:",
            "Adrian Adams",
            "(Print Name)",
        ],
    )
    assert captioned == {"Control4 Corporation", "Adrian Adams"}


def test_an_officer_signing_by_over_a_title_is_no_party() -> None:
    parties = _parties(
        [
            "AGREEMENT",
            "As an associate of Ann Taylor, Inc. (the “Company”), you will have access to",
            "confidential information of the Company.",
        ],
        [
            ("ANN TAYLOR:", "ASSOCIATE:"),
            ("BY: /s/ Mark G. Morrison", "/s/ Christine Beauchamp"),
            ("Mark G. Morrison", "Christine Beauchamp"),
            ("Executive Vice President, Human Resources", "Store Manager"),
        ],
    )
    assert parties == {"Ann Taylor Inc.", "Christine Beauchamp"}
