"""An address read as other documents of its place read it (classification.extraction.consensus):
an OCR slip on one print gives way to the reading the place's documents share; another branch,
a tie or too few documents leave the reading as it is."""

from __future__ import annotations

from classification.extraction.consensus import agreed, apply, keys, place_key, vendor_key
from classification.extraction.fields import Extracted

SHOP = "12, Jalan Tampoi 7/4, Kawasan Perindustrian Tampoi, 81200 Johor Bahru, Johor"
SLIP = "12, Jalan Tampol 7/4, Kawasan Perindustrian Tampoi, 81200 Johor Bahru, Johor"
FIELDS = [("vendor", "text"), ("address", "text"), ("total", "money")]


def test_a_slip_gives_way_to_what_two_other_documents_read_alike() -> None:
    assert agreed(SLIP, [SHOP, SHOP]) == SHOP
    assert agreed(SLIP, [SHOP, SHOP, SHOP, SLIP]) == SHOP
    # Marks too: "SETAPAK." on one print where the others read "SETAPAK,".
    panas = "NO 290, JALAN AIR PANAS, SETAPAK, 53200, KUALA LUMPUR."
    assert agreed(panas.replace("SETAPAK,", "SETAPAK."), [panas] * 3) == panas


def test_the_reading_stands_without_an_agreement_to_give_way_to() -> None:
    assert agreed(SLIP, [SHOP]) is None  # one document is no agreement
    assert agreed(SLIP, []) is None
    assert agreed(SHOP, [SHOP, SHOP]) is None  # the same
    assert agreed(SLIP, [SHOP, SHOP, SLIP, SLIP]) is None  # as many read it this way
    other = SHOP.replace("Tampoi", "Tebrau").replace("7/4", "9/2")
    assert agreed(SLIP, [other, other]) is None  # another place
    assert agreed("", [SHOP, SHOP]) is None


def test_a_digit_another_digit_is_another_branch() -> None:
    branch = "LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR 1214-JINJANG UTARA"
    other = branch.replace("1214", "1217")
    assert agreed(other, [branch, branch]) is None
    assert agreed(branch.replace("1214-", "1214 "), [branch, branch]) == branch
    # However many read it otherwise: two shops of a mall, unit S117 and unit S118.
    mall = "S117, SECOND FLOOR, AEON TEBRAU CITY, 81100 JOHOR BAHRU"
    assert agreed(mall.replace("S117", "S118"), [mall] * 5) is None
    # A branch's name is no slip, though the rest is read alike.
    lot = "LOT 1851-A & 1851-B, JALAN KPB 6, 43300 SERI KEMBANGAN, SELANGOR"
    assert agreed(f"{lot} (TESCO)", [f"{lot} (AEON)"] * 3) is None


def test_documents_are_of_one_place_by_their_postcode_else_by_their_vendor() -> None:
    assert place_key(SHOP, "unihakka") == "postcode:81200"
    assert place_key("LOT 34817 JALAN BATU AMBAR 51200 KUALA LUMPUR", "") == "postcode:51200"
    assert place_key("NO.12,JALAN SS4C/5,PETALING JAYA", "acme") == "vendor:acme"
    assert place_key("NO.12,JALAN SS4C/5,PETALING JAYA", "") == ""
    assert len(place_key("JALAN SS4C/5", "x" * 64)) == 64


def test_the_vendor_key_ignores_case_spaces_and_marks() -> None:
    assert vendor_key("UNIHAKKA INTERNATIONAL SDN. BHD.") == vendor_key(
        "Unihakka International Sdn Bhd"
    )
    assert vendor_key(None) == vendor_key("") == ""


def _value(text: str, source: str = "rule") -> Extracted:
    return Extracted(text, text, (10, 20, 300, 60), 0.6, source)


def test_apply_changes_a_rule_address_keeps_its_reading_and_asks_by_the_vendor() -> None:
    asked: list[tuple[str, str]] = []

    def readings(name: str, key: str) -> list[str]:
        asked.append((name, key))
        return [SHOP, SHOP]

    found = {"vendor": _value("UNIHAKKA SDN BHD"), "address": _value(SLIP), "total": _value("9.00")}
    out = apply(found, keys(found, FIELDS), readings)
    assert out["address"].value == SHOP and out["address"].raw == SLIP
    assert out["address"].bbox == found["address"].bbox
    assert out["vendor"] is found["vendor"] and out["total"] is found["total"]
    assert asked == [("address", "postcode:81200")]
    assert keys(found, FIELDS) == {"address": "postcode:81200"}
    # Without a postcode, by the vendor.
    found["address"] = _value("12, Jalan Tampol 7/4, Johor Bahru")
    apply(found, keys(found, FIELDS), readings)
    assert asked[-1] == ("address", "vendor:unihakkasdnbhd")


def test_apply_leaves_a_learned_address_and_one_without_a_place() -> None:
    learned = {"vendor": _value("UNIHAKKA SDN BHD"), "address": _value(SLIP, "learned")}
    assert apply(learned, keys(learned, FIELDS), lambda *_: [SHOP, SHOP]) == learned
    assert keys(learned, FIELDS) == {}
    placeless = {"address": _value("12, Jalan Tampol 7/4, Johor Bahru")}
    assert apply(placeless, keys(placeless, FIELDS), lambda *_: [SHOP, SHOP]) == placeless
    assert keys(placeless, FIELDS) == {}


def test_a_run_of_words_most_documents_read_alike_is_corrected_where_their_lines_differ() -> None:
    # Every branch prints its mall under the chain's address: no two readings are the same,
    # but "7/118B" is what most of them read where this one read "7/1188".
    shop = "No 8, Jalan 7/118B, Desa Tun Razak 56000 Kuala Lumpur, Malaysia"
    others = [f"{shop} IOI MALL", f"{shop} KSL CITY", shop.replace("7/118B", "7/1188"), shop]
    reading = shop.replace("7/118B", "7/1188") + " AEON SHAH ALAM"
    assert agreed(reading, others) == f"{shop} AEON SHAH ALAM"
    # In the reading's own case: capitals where it has them.
    assert agreed(reading.upper(), others) == f"{shop} AEON SHAH ALAM".upper()
    # As many read it as this document does: it stands.
    assert agreed(reading, others[:3]) is None


def test_a_run_of_words_stands_when_the_others_read_it_too_differently() -> None:
    dinar = "No.49, Jalan Dinar G U3/G, Subang Perdana, 40150 Shah Alam"
    olnar = dinar.replace("Dinar", "Olnar")  # a misreading most prints share: two letters
    assert agreed(dinar + " A", [olnar + " B", olnar + " C"]) is None
    floor = "3 FLOOR, AEON TAMAN MALURI SC JLN JEJAKA, 55100 KUALA LUMPUR"
    flr = floor.replace("3 FLOOR", "3RD FLR")  # another print of the address
    assert agreed(floor + " X", [flr + " Y", flr + " Z"]) is None
    branch = "LOT P.T. 2811, JALAN ANGSA, 41150 KLANG, SELANGOR 1214-JINJANG UTARA"
    other = branch.replace("1214-JINJANG UTARA", "1217-TMN DESA JAYA")  # another branch
    assert agreed(branch, [other] * 5) is None


def test_an_address_word_is_not_corrected_to_a_misreading_most_documents_share() -> None:
    # Most prints of the shop were misread "JAAN"; this one read "JALAN" right.
    shop = "NO.12,JALAN SS4C/5,PETALING JAYA SELANGOR DARUL EHSAN"
    misread = shop.replace("JALAN", "JAAN")
    assert agreed(shop, [misread, misread]) is None
    assert agreed(shop + " X", [misread + " Y", misread + " Z"]) is None
    # The other way round, it is.
    assert agreed(misread, [shop, shop]) == shop
