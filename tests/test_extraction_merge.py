"""Merging Tesseract's and PP-OCR's readings of a line (classification.extraction.merge), and
the vendor and address rules reading the merged words."""

from __future__ import annotations

from typing import Any

import pytest

from classification.extraction.fields import extract_fields
from classification.extraction.lines import group_lines
from classification.extraction.merge import join_close_words, merge_line, merge_readings
from classification.ppocr import split_lines

CHAR_W = 12


def tesseract(rows: list[tuple[int, str]], height: int = 20) -> list[dict[str, Any]]:
    """Words of rows of (top, text), one word a space-separated token, line ids by row."""
    words = []
    for line, (top, text) in enumerate(rows):
        left = 40
        for token in text.split():
            words.append(
                {
                    "text": token,
                    "left": left,
                    "top": top,
                    "width": CHAR_W * len(token),
                    "height": height,
                    "conf": 60.0,
                    "line": line,
                }
            )
            left += CHAR_W * (len(token) + 1)
    return words


def ppocr(rows: list[tuple[int, str]], height: int = 20, left: int = 42) -> list[dict[str, Any]]:
    """PP-OCR words: one box per row, its text as given (words run together)."""
    return [
        {
            "text": text,
            "left": left,
            "top": top + 1,
            "width": CHAR_W * len(text),
            "height": height,
            "conf": 93.0,
            "line": 100 + n,
        }
        for n, (top, text) in enumerate(rows)
    ]


@pytest.mark.parametrize(
    ("tesseract_line", "ppocr_text", "expected"),
    [
        # PP-OCR's characters, Tesseract's word breaks.
        ("TAMAN DAYA,", "TAMANDAYA,", ["TAMAN", "DAYA,"]),
        ("NO.53 JALAN SAGU 1B,", "NO.53JALANSAGU18,", ["NO.53", "JALAN", "SAGU", "18,"]),
        ("INDAH GIFT & HOME BECO", "INDAHGIFT&HOMEDECO", ["INDAH", "GIFT", "&", "HOME", "DECO"]),
        # Full-width brackets come back as ASCII.
        ("MR D.I.Y. CM) SDN BHD", "MRD.I.Y.\uff08M)SDNBHD", ["MR", "D.I.Y.", "(M)", "SDN", "BHD"]),
        # Tesseract's punctuation where PP-OCR dropped or changed it.
        ("JALAN DEDAP 13,", "JALANDEDAP13", ["JALAN", "DEDAP", "13,"]),
        ("JALAN PUTRA 1,", "JALANPUTRA1.", ["JALAN", "PUTRA", "1,"]),
        # A digit PP-OCR reads inside a word of letters stays Tesseract's letter.
        ("LOT 12, JALAN", "L0T12,JALAN", ["LOT", "12,", "JALAN"]),
        # A letter PP-OCR reads among digits stays Tesseract's digit ("433o0").
        ("43300 SERI", "433o0SERI", ["43300", "SERI"]),
        # A capital PP-OCR reads inside a lower-case word stays Tesseract's small letter.
        ("Taste Of The World", "TasteOfTheWorId", ["Taste", "Of", "The", "World"]),
        # An accent PP-OCR puts on a letter Tesseract read bare goes; one Tesseract read stays.
        ("Alaf Restaurants", "Alaf Restäurants", ["Alaf", "Restaurants"]),
        ("HARDWARE TRADING", "HARDWÀRE TRADING", ["HARDWARE", "TRADING"]),
        ("Café Sdn", "Café Sdn", ["Café", "Sdn"]),
        # PP-OCR's own space inside a word Tesseract ran together stays.
        ("81100 JOHOR BAHRUJOHOR", "81100JOHOR BAHRU JOHOR", ["81100", "JOHOR", "BAHRU JOHOR"]),
        # Readings too different: None, Tesseract's words stay.
        ("Sal MOTOR | SUM Nall", "S.H.H.MOTOR(SUNGAI RENGIT)", None),
        ("SOMETHING", "", None),
    ],
)
def test_merge_line(tesseract_line: str, ppocr_text: str, expected: list[str] | None) -> None:
    line = tesseract([(10, tesseract_line)])
    assert merge_line(line, ppocr_text) == expected


def test_merge_readings_keeps_boxes_and_uncovered_lines() -> None:
    words = tesseract([(10, "BOOK TA .K SDN BHO"), (40, "TAMAN DAYA,"), (70, "Tel 07-123")])
    words[-1]["conf"] = 85.0  # Tesseract is sure of a word of the line PP-OCR did not read
    numbers = ppocr([(10, "BOOKTA.K SDNBHD"), (40, "TAMANDAYA,")])
    merged = merge_readings(words, numbers)
    assert [w["text"] for w in merged] == [
        "BOOK",
        "TA",
        ".K",
        "SDN",
        "BHD",
        "TAMAN",
        "DAYA,",
        "Tel",
        "07-123",
    ]
    # Boxes and line ids stay Tesseract's; a word of a line the two readings agree on is as
    # sure as PP-OCR's reading of it (60 -> 93), one PP-OCR did not read keeps its own.
    for before, after in zip(words, merged, strict=True):
        assert {k: v for k, v in before.items() if k not in ("text", "conf")} == {
            k: v for k, v in after.items() if k not in ("text", "conf")
        }
    assert [w["conf"] for w in merged] == [93.0] * 7 + [60.0, 85.0]
    # The caller's own grouping of the same words gives the same merge.
    assert merge_readings(words, numbers, grouped=group_lines(words)) == merged


def test_where_the_readings_disagree_a_confident_ppocr_line_replaces_tesseracts() -> None:
    # A stamp: Tesseract's letters ("3 12 Ol OIF") are no name above the real one.
    words = tesseract([(10, "3 12 Ol OIF"), (60, "SYARIKAT PERNIAGAAN GIN KEE")])
    numbers = ppocr([(10, "L1010818"), (60, "SYARIKATPERNIAGAANGINKEE")])
    merged = merge_readings(words, numbers)
    assert [w["text"] for w in merged if w["line"] == 0] == ["L1010818"]
    found = extract_fields(words, 600, 800, FIELDS, number_words=numbers)
    assert found["vendor"].value == "SYARIKAT PERNIAGAAN GIN KEE"
    # An unsure PP-OCR reading leaves Tesseract's words as they were.
    unsure = [{**w, "conf": 60.0} for w in numbers]
    assert [w["text"] for w in merge_readings(words, unsure) if w["line"] == 0] == [
        "3",
        "12",
        "Ol",
        "OIF",
    ]
    # Letters too: a faint line Tesseract read as noise, PP-OCR (sure of it) as words, its
    # own word breaks kept.
    faint = tesseract([(10, "OSA, NO.23 BATU 1O ANGOR.")])
    text = "NO.23 BATU 10, TAMAN SENTOSA,"
    read = split_lines([([[42, 11], [42 + CHAR_W * len(text), 11], [42, 31]], text, 0.93)])
    assert [w["text"] for w in merge_readings(faint, read)] == [
        "NO.23",
        "BATU",
        "10,",
        "TAMAN",
        "SENTOSA,",
    ]
    assert merge_readings(faint, [{**w, "conf": 79.0} for w in read]) == faint


def test_merge_readings_ignores_ppocr_lines_elsewhere_on_the_page() -> None:
    words = [{**w, "conf": 90.0} for w in tesseract([(10, "TAMAN DAYA,")])]
    unsure = [{**w, "conf": 60.0} for w in ppocr([(300, "TAMANDAYO,")])]  # far below
    assert merge_readings(words, unsure) == words
    assert merge_readings(words, []) == words


def test_a_line_only_one_reading_has_is_kept_where_that_reading_is_sure_of_it() -> None:
    # Tesseract missed a heavy first line PP-OCR read surely, and read specks PP-OCR saw no
    # text in ("F +)", at 40) as a line of its own, sure of none of it.
    words = tesseract([(40, "F +)"), (70, "TAMAN DAYA,"), (100, "81100 JOHOR")])
    for w in words:
        w["conf"] = 90.0 if w["line"] == 2 else 40.0
    numbers = ppocr([(10, "NO.53, JALAN BESAR,"), (70, "TAMANDAYA,")])
    lines = group_lines(merge_readings(words, numbers))
    assert [line.text for line in lines] == ["NO.53, JALAN BESAR,", "TAMAN DAYA,", "81100 JOHOR"]
    # Where PP-OCR is unsure of the line only it read, it stays out.
    unsure = [{**w, "conf": 60.0} if w["top"] < 40 else w for w in numbers]
    lines = group_lines(merge_readings(words, unsure))
    assert [line.text for line in lines] == ["TAMAN DAYA,", "81100 JOHOR"]


def test_a_tesseract_line_ppocr_read_with_its_neighbour_is_not_read_twice() -> None:
    # Tesseract read "Malaysia" apart from the rest of its row; PP-OCR read the row as one line,
    # which the longer Tesseract line took: "Malaysia" once, not again after it.
    words = tesseract([(10, "56000 Kuala Lumpur,")])
    words.append({**words[-1], "text": "Malaysia", "left": 280, "width": 96, "conf": 91.0})
    words[-1]["line"] = 1
    numbers = ppocr([(10, "56000KualaLumpur, Malaysia")])
    lines = group_lines(merge_readings(words, numbers))
    assert [line.text for line in lines] == ["56000 Kuala Lumpur, Malaysia"]


def test_ppocr_lines_one_above_another_over_one_tesseract_line_stay_two_lines() -> None:
    # A skewed receipt: Tesseract read two printed lines as one ("LOT KAWASAN 1851-A ..."),
    # PP-OCR read them apart, surely: each is a line again, not their words interleaved.
    words = tesseract([(10, "LOT KAWASAN 1851-A PERINDUSTRIAN & 1851-B, BALAKONG, 6,")], height=40)
    numbers = ppocr([(8, "LOT 1851-A & 1851-B, JALAN KPB 6,"), (30, "KAWASAN PERINDUSTRIAN")])
    lines = group_lines(merge_readings(words, numbers))
    assert [line.text for line in lines] == [
        "LOT 1851-A & 1851-B, JALAN KPB 6,",
        "KAWASAN PERINDUSTRIAN",
    ]
    # Side by side (a label and its amount) they stay one line.
    words = tesseract([(10, "Total (RM): 112.4G")])
    numbers = ppocr([(10, "Tota1 (RM) :")]) + ppocr([(10, "112.46")], left=400)
    lines = group_lines(merge_readings(words, numbers))
    assert len(lines) == 1


RECEIPT = [
    (30, "tan woon yann"),
    (60, "PASARAYA BORONG PlNTAR"),
    (90, "SDN BHD (124525-H)"),
    (120, "NO.2&4, JALAN HARMONT 3/2,"),
    (150, "TAMAN DESA HARMONI,"),
    (180, "81100 JOHOR BAHRU"),
    (210, "Tel: 07-355 2616"),
    (240, "Date: 09/01/2019"),
    (270, "TOTAL 12.50"),
]
NUMBERS = [
    (30, "tanwoonyann"),
    (60, "PASARAYABORONGPINTAR"),
    (90, "SDNBHD(124525-H)"),
    (120, "No.2&4,JALANHARMONI3/2,"),
    (150, "TAMANDESAHARMONI,"),
    (180, "81100JOHORBAHRU"),
    (210, "Tel:07-3552616"),
    (240, "Date:09/01/2019"),
    (270, "TOTAL12.50"),
]
FIELDS = [("vendor", "text"), ("address", "text"), ("total", "money")]


def test_vendor_and_address_read_the_merged_words() -> None:
    words = tesseract(RECEIPT)
    found = extract_fields(words, 600, 800, FIELDS, number_words=ppocr(NUMBERS))
    # The name wraps: the suffix line joins the line above; the registration number goes.
    assert found["vendor"].value == "PASARAYA BORONG PINTAR SDN BHD"
    assert (
        found["address"].value == "No.2&4, JALAN HARMONI 3/2, TAMAN DESA HARMONI, 81100 JOHOR BAHRU"
    )
    assert found["total"].value == "12.50"


def test_without_a_second_reading_the_text_is_tesseracts() -> None:
    found = extract_fields(tesseract(RECEIPT), 600, 800, FIELDS)
    assert found["vendor"].value == "PASARAYA BORONG PlNTAR SDN BHD"
    assert (
        found["address"].value == "NO.2&4, JALAN HARMONT 3/2, TAMAN DESA HARMONI, 81100 JOHOR BAHRU"
    )


def test_words_closer_than_a_third_of_a_character_run_together() -> None:
    def word(text: str, left: int) -> dict[str, Any]:
        return {"text": text, "left": left, "top": 10, "width": CHAR_W * len(text), "height": 20}

    # "BAKE RIES": Tesseract split one word; the gap is 2 px of 12 px characters.
    words = [word("GARDENIA", 40), word("BAKE", 148), word("RIES", 148 + 48 + 2)]
    joined = join_close_words(words)
    assert [w["text"] for w in joined] == ["GARDENIA", "BAKERIES"]
    assert joined[1]["left"] == 148 and joined[1]["width"] == 48 + 2 + 48
    assert "conf" not in joined[1]
    # A gap of a character or more is a space.
    spaced = [word("JALAN", 40), word("KPB", 40 + 60 + CHAR_W)]
    assert [w["text"] for w in join_close_words(spaced)] == ["JALAN", "KPB"]
    confident = [{**word("SDN", 40), "conf": 90.0}, {**word("BHD", 40 + 36 + 1), "conf": 40.0}]
    assert join_close_words(confident)[0]["conf"] == 40.0


def test_a_gap_well_under_the_lines_usual_one_is_no_space() -> None:
    def row(*pieces: tuple[str, int]) -> list[dict[str, Any]]:
        """Words with the given gaps (px) before each; 12 px characters."""
        out, left = [], 40
        for text, gap in pieces:
            left += gap
            out.append({"text": text, "left": left, "top": 10, "width": CHAR_W * len(text)})
            out[-1]["height"] = 20
            left += CHAR_W * len(text)
        return out

    # 5 px (0.42 of a character) among gaps of 9 px: "GARDENI A" is one word.
    line = row(("GARDENI", 0), ("A", 5), ("BAKERIES", 9), ("(KL)", 9), ("SDN", 9), ("BHD", 9))
    assert [w["text"] for w in join_close_words(line)] == [
        "GARDENIA",
        "BAKERIES",
        "(KL)",
        "SDN",
        "BHD",
    ]
    # The same 5 px where the line's words are that close, or with too few gaps to tell.
    even = row(("JALAN", 0), ("SS", 5), ("21/39", 5), ("PETALING", 5))
    assert len(join_close_words(even)) == 4
    assert len(join_close_words(row(("NO", 0), ("5", 5), ("JALAN", 9)))) == 3


def test_where_tesseract_read_almost_nothing_the_names_come_from_ppocr() -> None:
    words = tesseract([(300, "TOTAL 12.50")])
    numbers = ppocr(
        [
            (30, "HAI-O RAYA BHD"),
            (60, "LOT 11995,BATU 2,JALAN KAPAR"),
            (90, "41400 KLANG,SELANGOR"),
            (120, "TEL:03-62636977"),
            (300, "TOTAL12.50"),
        ]
    )
    found = extract_fields(words, 600, 800, FIELDS, number_words=numbers)
    assert found["vendor"].value == "HAI-O RAYA BHD"
    assert found["address"].value == "LOT 11995, BATU 2, JALAN KAPAR 41400 KLANG, SELANGOR"
    # With Tesseract's words read, they stay the ground where PP-OCR is unsure of its own.
    unsure = [{**w, "conf": 60.0} for w in numbers]
    found = extract_fields(tesseract(RECEIPT), 600, 800, FIELDS, number_words=unsure)
    assert found["vendor"].value == "PASARAYA BORONG PlNTAR SDN BHD"


def test_a_comma_run_on_into_the_next_word_where_the_print_sets_commas_tight() -> None:
    # The print sets its commas with no space after them ("Tampoi,81200", read so by Tesseract
    # too): where PP-OCR reads "Bahru,Johor" run on, Tesseract's two words are one.
    words = tesseract([(10, "Tampoi,81200 Johor Bahru, Johor")])
    numbers = ppocr([(10, "Tampoi,81200 Johor Bahru,Johor")])
    lines = group_lines(merge_readings(words, numbers))
    assert [line.text for line in lines] == ["Tampoi,81200 Johor Bahru,Johor"]
    # Not on a line without such a comma: PP-OCR leaves out a space after a comma as often as
    # the print has none ("Shah Alam,Selangor" where it prints "Shah Alam, Selangor").
    words = tesseract([(10, "40300 Shah Alam, Selangor.")])
    numbers = ppocr([(10, "40300 Shah Alam,Selangor.")])
    lines = group_lines(merge_readings(words, numbers))
    assert [line.text for line in lines] == ["40300 Shah Alam, Selangor."]
    # Nor where PP-OCR put the space in.
    words = tesseract([(10, "Tampoi,81200 Johor Bahru, Johor")])
    numbers = ppocr([(10, "Tampoi,81200 Johor Bahru, Johor")])
    assert [line.text for line in group_lines(merge_readings(words, numbers))] == [
        "Tampoi,81200 Johor Bahru, Johor"
    ]
