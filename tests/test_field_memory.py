"""Learning fields from corrections: layout fingerprints, learning where a field is from the
words a person picked and finding it again on another document of the layout, and the product
path: a correction in the workbench teaches the next document of the same layout."""

from __future__ import annotations

from typing import Any

import pytest

from classification import fieldmemory, fieldstore, services
from classification.extraction import memory
from classification.extraction.lines import group_lines
from classification.models import (
    DocumentType,
    FieldCorrection,
    FieldDefinition,
    FieldMemory,
    FieldValue,
    Page,
)
from labeling import queue
from tests.workbench_documents import review_task, waiting_document

WIDTH, HEIGHT = 1000, 1400
CHAR, LINE = 12, 30


def _page(
    lines: list[str], *, dx: int = 0, dy: int = 0, typos: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """OCR words as Tesseract gives them, for lines of text written from (40 + dx, 40 + dy);
    ``typos`` replaces words the way OCR misreads them. A line may put a column far right
    after a ``|``."""
    words: list[dict[str, Any]] = []
    for number, line in enumerate(lines):
        top = 40 + dy + LINE * number
        for column, part in enumerate(line.split("|")):
            x = 40 + dx + column * 600
            for text in part.split():
                shown = (typos or {}).get(text, text)
                words.append(
                    {
                        "text": shown,
                        "left": x,
                        "top": top,
                        "width": CHAR * len(shown),
                        "height": 20,
                        "conf": 91,
                        "line": number * 10 + column,
                    }
                )
                x += CHAR * (len(shown) + 1)
    return words


def _receipt(
    vendor: str, items: list[tuple[str, str]], total: str, date: str, street: str
) -> list[str]:
    return [
        vendor,
        street,
        "81100 JOHOR BAHRU",
        "TEL 07-3507405",
        f"Date: {date}",
        *[f"{name} | {price}" for name, price in items],
        "Subtotal | 1.00",
        f"TO PAY RM | {total}",
        "Thank you, come again",
    ]


ACME = "ACME HARDWARE TRADING"
ACME_STREET = "NO 53 JALAN SAGU 18 TAMAN DAYA"
STAR = "BRIGHT STAR BOOKS STATIONERY"
STAR_STREET = "LOT 1851 KAWASAN PERINDUSTRIAN BALAKONG"


def _indices(words: list[dict[str, Any]], *texts: str, after: int = 0) -> list[int]:
    """Where the words ``texts`` are (the first run of them at or after word ``after``)."""
    n = len(texts)
    for i in range(after, len(words) - n + 1):
        if tuple(str(w["text"]) for w in words[i : i + n]) == texts:
            return list(range(i, i + n))
    raise AssertionError(f"{texts} not on the page")


# --- Fingerprints ---------------------------------------------------------------------------


def test_the_fingerprint_survives_small_ocr_noise_and_shifts() -> None:
    first = _receipt(ACME, [("NAIL", "3.00")], "3.00", "25/12/2018", ACME_STREET)
    second = _receipt(
        ACME, [("SCREW", "2.00"), ("GLUE", "4.50")], "6.50", "02/01/2019", ACME_STREET
    )
    clean = memory.fingerprint(_page(first), WIDTH, HEIGHT)
    noisy = memory.fingerprint(
        _page(second, dx=14, dy=-9, typos={"HARDWARE": "HARDWAR3", "SAGU": "5AGU"}),
        WIDTH,
        HEIGHT,
    )
    assert "ACME" in clean and "HARDWARE" in clean
    assert clean != noisy  # OCR read it differently...
    assert memory.similarity(clean, noisy) >= memory.SAME_LAYOUT  # ...the layout is the same
    assert memory.best_match(noisy, [clean]) == clean


def test_the_fingerprint_tells_vendors_apart() -> None:
    acme = memory.fingerprint(
        _page(_receipt(ACME, [], "3.00", "25/12/2018", ACME_STREET)), WIDTH, HEIGHT
    )
    star = memory.fingerprint(
        _page(_receipt(STAR, [], "3.00", "25/12/2018", STAR_STREET)), WIDTH, HEIGHT
    )
    assert memory.similarity(acme, star) < memory.SAME_LAYOUT
    assert memory.best_match(star, [acme]) is None
    assert memory.best_match(star, [acme, star]) == star


def test_handwriting_and_generic_words_are_not_the_layout() -> None:
    # SROIE's scans carry the annotator's name in lower case above every vendor's header.
    words = _page(["tan woon yann", "SIMPLIFIED TAX INVOICE", ACME, ACME_STREET])
    fingerprint = memory.fingerprint(words, WIDTH, HEIGHT)
    assert fingerprint.split()[:2] == ["ACME", "HARDWARE"]
    assert "TAN" not in fingerprint and "INVOICE" not in fingerprint
    assert len(fingerprint) <= 64
    assert memory.fingerprint([], WIDTH, HEIGHT) == ""
    assert memory.similarity("", fingerprint) == 0.0


# --- Learning and applying ------------------------------------------------------------------


def _learn(lines: list[str], kind: str, value: str, *texts: str, after: int = 0) -> dict:
    words = _page(lines)
    anchor = memory.learn(
        words, WIDTH, HEIGHT, kind, value, indices=_indices(words, *texts, after=after)
    )
    assert anchor is not None
    return anchor


def test_a_learned_total_is_found_again_in_a_longer_receipt_of_the_layout() -> None:
    first = _receipt(ACME, [("NAIL", "3.00")], "3.00", "25/12/2018", ACME_STREET)
    anchor = _learn(first, "money", "3.00", "3.00", after=len(_page(first)) - 6)
    assert anchor["label"] == ["TO", "PAY"] and anchor["where"] == "left"
    # Three more items push the total down; the words are shifted and one is misread.
    items = [("SCREW", "2.00"), ("GLUE", "4.50"), ("TAPE", "1.20"), ("WIRE", "9.90")]
    later = _page(
        _receipt(ACME, items, "17.60", "02/01/2019", ACME_STREET),
        dx=25,
        dy=12,
        typos={"PAY": "PAV"},
    )
    found = memory.apply(later, WIDTH, HEIGHT, anchor, "money")
    assert found is not None
    assert (found.value, found.source) == ("17.60", "learned")
    assert found.confidence >= memory.TRUSTED
    # The page's lines grouped once by the caller (several anchors, one page) read the same.
    assert memory.apply(later, WIDTH, HEIGHT, anchor, "money", group_lines(later)) == found
    assert found.bbox is not None and found.bbox[0] > 600  # the right-hand column


def test_a_date_under_its_label_is_found_again() -> None:
    lines = ["ACME HARDWARE", "Invoice date", "25/12/2018", "Due", "30/12/2018"]
    anchor = _learn(lines, "date", "25/12/2018", "25/12/2018")
    assert anchor["where"] == "above" and anchor["label"] == ["INVOICE", "DATE"]
    later = _page(
        ["ACME HARDWARE", "Note: thank you", "Invoice date", "03/02/2019", "Due", "09/02/2019"]
    )
    found = memory.apply(later, WIDTH, HEIGHT, anchor, "date")
    assert found is not None and found.value == "2019-02-03"


def test_a_text_field_gets_the_persons_spelling_where_the_page_reads_like_it() -> None:
    lines = _receipt(ACME, [], "3.00", "25/12/2018", ACME_STREET)
    anchor = _learn(lines, "text", "ACME Hardware Trading", "ACME", "HARDWARE", "TRADING")
    noisy = _page(lines, dy=20, typos={"HARDWARE": "HARDWAKE"})
    found = memory.apply(noisy, WIDTH, HEIGHT, anchor, "text")
    assert found is not None
    assert (found.value, found.raw) == ("ACME Hardware Trading", "ACME HARDWAKE TRADING")
    # Another vendor's page has nothing like it there: no value, the rules decide.
    other = _page(_receipt(STAR, [], "3.00", "25/12/2018", STAR_STREET))
    assert memory.apply(other, WIDTH, HEIGHT, anchor, "text") is None


def test_a_text_learned_over_lines_under_its_label_is_read_over_as_many_lines() -> None:
    lines = [ACME, "NO 53, JALAN SAGU 18,", "TAMAN DAYA,", "81100 JOHOR BAHRU", "TEL 07-3507405"]
    value = "NO 53, JALAN SAGU 18, TAMAN DAYA, 81100 JOHOR BAHRU"
    words = _page(lines)
    picked = [i for i, w in enumerate(words) if 1 <= int(w["line"]) // 10 <= 3]
    anchor = memory.learn(words, WIDTH, HEIGHT, "text", value, indices=picked)
    assert anchor is not None and anchor["where"] == "above" and anchor["lines"] == 3
    # Another branch of the shop: its address reads nothing like the person's, so it is read
    # under the label, all three lines of it.
    branch = ["NO 7, JALAN BESAR,", "TAMAN MAJU JAYA,", "81200 JOHOR BAHRU"]
    later = _page([ACME, *branch, "TEL 07-3507405"])
    found = memory.apply(later, WIDTH, HEIGHT, anchor, "text")
    assert found is not None and found.value == " ".join(branch)


def test_learned_text_fields_read_the_better_reading_where_one_is_given() -> None:
    lines = _receipt(ACME, [], "3.00", "25/12/2018", ACME_STREET)
    words = _page(lines)
    anchors = {
        "vendor": _learn(lines, "text", ACME, "ACME", "HARDWARE", "TRADING"),
        "total": _learn(lines, "money", "3.00", "3.00", after=len(words) - 6),
    }
    fields = [("vendor", "text"), ("total", "money")]
    noisy = _page(lines, typos={"HARDWARE": "HARDWAKE", "3.00": "3.0O"})
    read = memory.apply_all(noisy, WIDTH, HEIGHT, anchors, fields)
    assert read["vendor"].raw == "ACME HARDWAKE TRADING"
    better = memory.apply_all(noisy, WIDTH, HEIGHT, anchors, fields, text_words=words)
    assert better["vendor"].raw == "ACME HARDWARE TRADING"
    # Amounts keep the first reading: ``text_words`` is for text fields only.
    assert better["total"] == read["total"]


def test_without_a_label_the_value_nearest_the_learned_place_is_taken() -> None:
    lines = ["ACME HARDWARE", "07-3507405", "12/01/2019 | 10:31", "CS 00012"]
    anchor = _learn(lines, "date", "12/01/2019", "12/01/2019")
    assert anchor["label"] == [] and anchor["where"] is None
    later = _page(["ACME HARDWARE", "07-3507405", "18/02/2019 | 11:02", "CS 00013"], dy=15)
    found = memory.apply(later, WIDTH, HEIGHT, anchor, "date")
    assert found is not None and found.value == "2019-02-18"
    assert found.confidence < memory.TRUSTED  # a guess by place: the rules come first
    far = _page(["ACME HARDWARE", *[""] * 20, "18/02/2019", *[f"ITEM {i}" for i in range(8)]])
    assert memory.apply(far, WIDTH, HEIGHT, anchor, "date") is None  # nowhere near


def test_picked_words_are_read_from_the_box_drawn_over_them() -> None:
    words = _page(["Total | 45.60"])
    box = (600 + 40 - 2, 40 - 2, 600 + 40 + CHAR * 5 + 2, 40 + 22)
    assert memory.pick_words(words, box) == _indices(words, "45.60")
    anchor = memory.learn(words, WIDTH, HEIGHT, "money", "45.60", bbox=box)
    assert anchor is not None and anchor["label"] == ["TOTAL"]
    assert memory.learn(words, WIDTH, HEIGHT, "money", "45.60", bbox=(0, 900, 10, 910)) is None


def test_a_value_reads_as_the_words_it_was_picked_from_or_was_typed_over_them() -> None:
    words = _page(["TAMPOL TRADING | 12.80", "Subtotal | 1.00", "Date | 25/12/2018"])

    def box(text: str) -> tuple[float, float, float, float]:
        (i,) = _indices(words, text)
        w = words[i]
        return (w["left"], w["top"], w["left"] + w["width"], w["top"] + w["height"])

    def line(*texts: str) -> tuple[float, float, float, float]:
        boxes = [box(t) for t in texts]
        return (boxes[0][0], boxes[0][1], boxes[-1][2], boxes[-1][3])

    vendor = line("TAMPOL", "TRADING")
    assert memory.reads_as(words, "text", "TAMPOI TRADING", vendor)  # a misread letter put right
    assert memory.reads_as(words, "text", "Tampol", vendor)  # part of the words picked
    assert not memory.reads_as(words, "text", "GARDENIA BAKERIES", vendor)  # typed over them
    assert memory.reads_as(words, "money", "RM 12.80", box("12.80"))  # read as the amount
    assert memory.reads_as(words, "money", "12.30", box("12.80"))  # a misread digit
    assert not memory.reads_as(words, "money", "12.80", box("1.00"))  # another amount's place
    assert memory.reads_as(words, "date", "2018-12-25", box("25/12/2018"))
    assert not memory.reads_as(words, "date", "2019-01-03", box("25/12/2018"))
    assert memory.reads_as(words, "money", "12.80", (900, 1300, 990, 1390))  # no words there


def test_locate_finds_the_words_a_person_would_pick() -> None:
    lines = _receipt(ACME, [("NAIL", "3.00")], "3.00", "25/12/2018", ACME_STREET)
    words = _page(lines)
    total = memory.locate(words, WIDTH, HEIGHT, "money", "3.00")
    assert [words[i]["text"] for i in total] == ["3.00"]
    assert words[total[0]]["top"] == max(int(w["top"]) for w in words if w["text"] == "3.00")
    vendor = memory.locate(words, WIDTH, HEIGHT, "text", "ACME HARDWARE TRADING")
    assert [words[i]["text"] for i in vendor] == ["ACME", "HARDWARE", "TRADING"]
    misread = _page(lines, typos={"HARDWARE": "HARDWAR3"})
    assert len(memory.locate(misread, WIDTH, HEIGHT, "text", "ACME HARDWARE TRADING")) == 3
    assert memory.locate(words, WIDTH, HEIGHT, "money", "999.99") == []


def test_a_second_correction_keeps_the_first_as_an_alternative() -> None:
    first = _learn(["Total | 3.00"], "money", "3.00", "3.00")
    second = _learn(["Amount due | 4.00"], "money", "4.00", "4.00")
    merged = memory.merge(first, second)
    assert merged["label"] == ["AMOUNT", "DUE"]
    assert [a["label"] for a in merged["alternatives"]] == [["TOTAL"]]
    assert memory.merge(merged, second)["alternatives"] == merged["alternatives"]
    found = memory.apply(_page(["Total | 7.50"]), WIDTH, HEIGHT, merged, "money")
    assert found is not None and found.value == "7.50"  # the alternative's label
    assert memory.apply(_page(["Total | 7.50"]), WIDTH, HEIGHT, {"v": 0}, "money") is None


# --- In the product -------------------------------------------------------------------------

SHOP = ["ACME HARDWARE TRADING", "NO 53 JALAN SAGU 18", "81100 JOHOR BAHRU"]


def _shop_receipt(*amounts: str, to_pay: str) -> list[str]:
    """A receipt whose total the rules do not recognise ("TO PAY") and read the subtotal."""
    return [
        *SHOP,
        "Date: 25/12/2018",
        *[f"ITEM {a}" for a in amounts],
        "Subtotal 1.00",
        f"TO PAY {to_pay}",
    ]


def _box_of(page: Page, text: str) -> list[float]:
    word = next(w for w in reversed(page.ocr_words) if w["text"] == text)
    return [
        float(word["left"]),
        float(word["top"]),
        float(word["left"] + word["width"]),
        float(word["top"] + word["height"]),
    ]


def _stored(document) -> dict[str, tuple[str, str]]:
    return {v.field.name: (v.value, v.source) for v in FieldValue.objects.filter(document=document)}


@pytest.mark.django_db
def test_a_correction_in_the_workbench_changes_the_next_documents_result(labeler) -> None:
    receipt = DocumentType.objects.get(name="receipt")
    total = FieldDefinition.objects.get(document_type=receipt, name="total")
    # Before anyone taught anything, the rules take the subtotal.
    before = waiting_document("before.png", _shop_receipt("5.00", to_pay="16.40"))
    services.assign_type(before, receipt, labeler)
    assert _stored(before)["total"] == ("1.00", "rule")

    first = review_task("first.png", _shop_receipt("3.00", to_pay="12.80")).document
    task = queue.claim_next(labeler)
    assert task is not None and task.document_id == first.pk
    page = first.pages.get(number=1)
    picked = services.FieldInput("12.80", "12.80", 1, _box_of(page, "12.80"))
    queue.submit(task.pk, labeler, receipt, {total: picked})
    assert _stored(first)["total"] == ("12.80", "human")
    learned = FieldMemory.objects.get(field=total)
    assert learned.anchor["label"] == ["TO", "PAY"] and learned.example == "12.80"
    assert learned.source_document_id == first.pk and learned.uses == 0
    assert "ACME" in learned.fingerprint

    # The next receipt of the shop: longer, so its total is lower on the page.
    following = waiting_document("next.png", _shop_receipt("2.00", "7.00", "4.00", to_pay="21.10"))
    services.assign_type(following, receipt, labeler)
    assert _stored(following)["total"] == ("21.10", "learned")
    stored = FieldValue.objects.get(document=following, field=total)
    assert stored.bbox and stored.page_number == 1
    assert stored.confidence is not None and stored.confidence >= memory.TRUSTED
    assert FieldMemory.objects.get(pk=learned.pk).uses == 1
    # The same document as before learning now reads the total.
    fieldstore.extract_document(before.pk)
    assert _stored(before)["total"] == ("16.40", "learned")


@pytest.mark.django_db
def test_learning_never_overwrites_a_persons_value_and_needs_a_pick(labeler) -> None:
    receipt = DocumentType.objects.get(name="receipt")
    total = FieldDefinition.objects.get(document_type=receipt, name="total")
    first = waiting_document("one.png", _shop_receipt("3.00", to_pay="12.80"))
    label = services.assign_type(first, receipt, labeler)
    # A typed value (nothing picked on the page) teaches nothing.
    services.correct_fields(first, label, labeler, {total: services.FieldInput("12.80")})
    assert not FieldMemory.objects.exists()
    page = first.pages.get(number=1)
    services.correct_fields(
        first, label, labeler, {total: services.FieldInput("12.80", "", 1, _box_of(page, "12.80"))}
    )
    assert FieldMemory.objects.filter(field=total).count() == 1

    second = waiting_document("two.png", _shop_receipt("4.00", to_pay="9.90"))
    label = services.assign_type(second, receipt, labeler)
    assert _stored(second)["total"] == ("9.90", "learned")
    services.correct_fields(second, label, labeler, {total: services.FieldInput("9.95")})
    fieldstore.extract_document(second.pk)  # run again
    assert _stored(second)["total"] == ("9.95", "human")
    # Relabeled: the learned value of the old type goes with its rule values.
    services.assign_type(second, DocumentType.objects.get(name="invoice"), labeler)
    assert not FieldValue.objects.filter(document=second, source="learned").exists()
    # Another shop's receipt is not taught by ACME's memory.
    other = waiting_document(
        "other.png",
        ["BRIGHT STAR BOOKS", "LOT 1851 KAWASAN BALAKONG", "43300 SERI KEMBANGAN",
         "Date: 25/12/2018", "ITEM 2.00", "Subtotal 1.00", "TO PAY 7.00"],
    )  # fmt: skip
    services.assign_type(other, receipt, labeler)
    assert _stored(other)["total"] == ("1.00", "rule")


@pytest.mark.django_db
def test_a_value_typed_over_another_ones_box_is_stored_without_it_and_teaches_nothing(
    labeler,
) -> None:
    receipt = DocumentType.objects.get(name="receipt")
    total = FieldDefinition.objects.get(document_type=receipt, name="total")
    document = waiting_document("typed.png", _shop_receipt("3.00", to_pay="12.80"))
    label = services.assign_type(document, receipt, labeler)
    ruled = FieldValue.objects.get(document=document, field=total)
    assert (ruled.value, ruled.source) == ("1.00", "rule") and ruled.bbox
    # The workbench sends the suggestion's box with whatever the labeler typed over it.
    typed = services.FieldInput("12.80", "12.80", ruled.page_number, list(ruled.bbox))
    services.correct_fields(document, label, labeler, {total: typed})
    stored = FieldValue.objects.get(document=document, field=total)
    assert (stored.value, stored.source, stored.bbox, stored.page_number) == (
        "12.80", "human", None, None,
    )  # fmt: skip
    assert not FieldMemory.objects.exists()
    correction = FieldCorrection.objects.get(field=total)
    assert (correction.before, correction.after, correction.bbox) == ("1.00", "12.80", None)


def _correct_two_of_one_shop(labeler, receipt, total):
    """Two receipts of one shop, both read before anything was taught (both show the
    subtotal), labeled and their totals picked on the page: the second correction updates the
    memory the first created."""
    labeled = [
        (waiting_document(name, _shop_receipt("3.00", to_pay=to_pay)), to_pay)
        for name, to_pay in (("a.png", "12.80"), ("b.png", "7.70"))
    ]
    labels = [services.assign_type(document, receipt, labeler) for document, _ in labeled]
    for (document, to_pay), label in zip(labeled, labels, strict=True):
        box = _box_of(document.pages.get(number=1), to_pay)
        services.correct_fields(
            document, label, labeler, {total: services.FieldInput(to_pay, "", 1, box)}
        )
    return labeled, labels


@pytest.mark.django_db
def test_a_correction_in_a_known_layout_updates_its_memory(labeler) -> None:
    receipt = DocumentType.objects.get(name="receipt")
    total = FieldDefinition.objects.get(document_type=receipt, name="total")
    _correct_two_of_one_shop(labeler, receipt, total)
    memories = FieldMemory.objects.filter(field=total)
    assert memories.count() == 1
    assert memories.get().example == "7.70"


@pytest.mark.django_db
def test_recall_reads_text_memories_from_the_second_reading_and_only_those() -> None:
    receipt = DocumentType.objects.get(name="receipt")
    vendor = FieldDefinition.objects.get(document_type=receipt, name="vendor")
    total = FieldDefinition.objects.get(document_type=receipt, name="total")
    lines = _receipt(ACME, [], "3.00", "25/12/2018", ACME_STREET)
    words = _page(lines)
    fingerprint = memory.fingerprint(words, WIDTH, HEIGHT)
    taught = {
        total: _learn(lines, "money", "3.00", "3.00", after=len(words) - 6),
        vendor: _learn(lines, "text", ACME, "ACME", "HARDWARE", "TRADING"),
    }
    for field, anchor in taught.items():
        FieldMemory.objects.create(
            field=field, fingerprint=fingerprint, anchor=anchor, example=anchor["example"]
        )
    noisy = Page(
        number=1, width=WIDTH, height=HEIGHT, ocr_words=_page(lines, typos={"HARDWARE": "HARDWAKE"})
    )
    # PP-OCR's words over the same places: no line ids, the characters read right.
    second = [{k: v for k, v in w.items() if k != "line"} for w in words]
    asked: list[int] = []

    def reading(page: Page) -> list[dict[str, Any]]:
        asked.append(page.number)
        return second

    plain = fieldmemory.recall([noisy], [vendor, total])
    assert plain["vendor"][1].raw == "ACME HARDWAKE TRADING"
    both = fieldmemory.recall([noisy], [vendor, total], reading)
    assert both["vendor"][1].raw == "ACME HARDWARE TRADING"
    assert both["total"][1].value == plain["total"][1].value == "3.00"
    assert asked == [1]  # once for the page
    # Without a text field's memory to apply, the page is not read a second time.
    asked.clear()
    assert set(fieldmemory.recall([noisy], [total], reading)) == {"total"}
    assert asked == []


def test_dates_and_amounts_read_twice_come_from_the_rules_before_a_learned_place() -> None:
    from classification.extraction.fields import Extracted

    learned = {
        "total": Extracted("9.00", "9.00", None, 0.8, "learned"),
        "vendor": Extracted("SHOP", "SHOP", None, 0.8, "learned"),
        "date": Extracted("2018-01-01", "01/01/18", None, 0.3, "learned"),
    }
    kinds = {"total": "money", "vendor": "text", "date": "date"}
    assert set(memory.ahead_of_rules(learned, kinds, numbers_read=False)) == {"total", "vendor"}
    assert set(memory.ahead_of_rules(learned, kinds, numbers_read=True)) == {"vendor"}
    # (page, value) pairs as the product stores them work the same way.
    paged = {name: (1, value) for name, value in learned.items()}
    assert set(memory.ahead_of_rules(paged, kinds, numbers_read=True)) == {"vendor"}


@pytest.mark.django_db
def test_undoing_a_label_takes_back_what_its_corrections_taught(labeler) -> None:
    receipt = DocumentType.objects.get(name="receipt")
    total = FieldDefinition.objects.get(document_type=receipt, name="total")

    def correct(name: str, to_pay: str) -> None:
        document = review_task(name, _shop_receipt("3.00", to_pay=to_pay)).document
        task = queue.claim_next(labeler)
        assert task is not None and task.document_id == document.pk
        box = _box_of(document.pages.get(number=1), to_pay)
        queue.submit(task.pk, labeler, receipt, {total: services.FieldInput(to_pay, "", 1, box)})

    # A memory the label created goes with it.
    correct("first.png", "12.80")
    taught = FieldMemory.objects.get(field=total)
    assert taught.example == "12.80" and taught.previous is None
    reopened = queue.undo(labeler)
    assert not FieldMemory.objects.exists()
    queue.skip(reopened.pk, labeler, "other")  # so Next serves the following documents

    # One it updated gets its earlier lesson back (both receipts read before anything was
    # taught, so the second correction updates the first one's memory).
    labeled, labels = _correct_two_of_one_shop(labeler, receipt, total)
    updated = FieldMemory.objects.get(field=total)
    previous = updated.previous
    assert previous is not None and previous["example"] == "12.80"
    assert updated.example == "7.70" and updated.taught_by_id == labels[1].pk
    first_anchor = previous["anchor"]
    assert fieldmemory.forget(labels[1]) == 1
    restored = FieldMemory.objects.get(pk=updated.pk)
    assert restored.example == "12.80" and restored.anchor == first_anchor
    assert restored.source_document_id == labeled[0][0].pk
    # The first label's lesson again, as that label's: undoing it next takes it back too.
    assert restored.taught_by_id == labels[0].pk and restored.previous is None
    assert fieldmemory.forget(labels[1]) == 0  # twice: nothing more to take back
    assert fieldmemory.forget(labels[0]) == 1
    assert not FieldMemory.objects.filter(pk=updated.pk).exists()


def test_a_memory_keeps_its_earlier_states_a_few_lessons_deep() -> None:
    chain: dict[str, Any] | None = None
    for lesson in range(8):
        kept = fieldmemory._shortened(chain, fieldmemory.UNDO_DEPTH - 1)
        chain = {"example": str(lesson), "previous": kept}
    depth, node = 0, chain
    while node is not None:
        depth, node = depth + 1, node["previous"]
    assert chain is not None and chain["example"] == "7"
    assert depth == fieldmemory.UNDO_DEPTH
