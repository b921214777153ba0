"""The synthetic corpus generator: layout, ground truth, formats, determinism, OCR legibility."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from classification.corpus import CORPUS_TYPES, SMALL_PAGE_SIZE, generate_corpus
from classification.corpus.names import mrz_check

SEED = 1234
PER_TYPE = 2
EXPECTED_FIELDS = {
    "invoice": {"vendor", "invoice_number", "date", "due_date", "total", "currency", "tax"},
    "receipt": {"vendor", "date", "address", "total"},
    "bank_statement": {
        "bank",
        "account_number",
        "period_start",
        "period_end",
        "opening_balance",
        "closing_balance",
    },
    "pay_stub": {"employer", "employee", "pay_date", "gross_pay", "net_pay"},
    "contract": {"parties", "effective_date", "jurisdiction", "term"},
    "tax_form": {"taxpayer", "tax_year", "tax_id", "total_income"},
    "id_document": {"name", "date_of_birth", "document_number", "expiry_date"},
    "letter": {"sender", "recipient", "date"},
}
DATE_FIELDS = {
    "date",
    "due_date",
    "period_start",
    "period_end",
    "pay_date",
    "effective_date",
    "date_of_birth",
    "expiry_date",
}
MONEY_FIELDS = {
    "total",
    "tax",
    "opening_balance",
    "closing_balance",
    "gross_pay",
    "net_pay",
    "total_income",
}
MONEY = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("corpus")
    return out, generate_corpus(out, per_type=PER_TYPE, seed=SEED, page_size=SMALL_PAGE_SIZE)


def _sidecar(doc: Path) -> dict:
    return json.loads(doc.with_suffix(".json").read_text(encoding="utf-8"))


def _iban_ok(iban: str) -> bool:
    """Independent mod-97 check (ISO 13616), not the generator's own helper."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def test_all_eight_types_are_generated() -> None:
    assert set(EXPECTED_FIELDS) <= set(CORPUS_TYPES)


def test_layout_is_type_folders_with_a_sidecar_per_document(
    corpus: tuple[Path, list[Path]],
) -> None:
    out, paths = corpus
    assert len(paths) == PER_TYPE * len(CORPUS_TYPES)
    assert sorted(p.name for p in out.iterdir()) == sorted(CORPUS_TYPES)
    for doc_type in CORPUS_TYPES:
        docs = sorted(p for p in (out / doc_type).iterdir() if p.suffix != ".json")
        sidecars = sorted((out / doc_type).glob("*.json"))
        assert len(docs) == PER_TYPE == len(sidecars)
        assert [d.stem for d in docs] == [s.stem for s in sidecars]
        assert all(d.suffix in {".png", ".jpg", ".pdf"} for d in docs)
    assert set(paths) == {p for p in out.rglob("*") if p.is_file() and p.suffix != ".json"}


def test_per_type_count_is_respected(tmp_path: Path) -> None:
    paths = generate_corpus(
        tmp_path, per_type=3, seed=5, types=["letter"], page_size=SMALL_PAGE_SIZE
    )
    assert [p.name for p in paths] == ["letter_0000.png", "letter_0001.png", "letter_0002.png"]
    assert generate_corpus(tmp_path / "none", per_type=0, seed=5, types=["letter"]) == []
    with pytest.raises(ValueError, match="unknown"):
        generate_corpus(tmp_path, per_type=1, seed=5, types=["poem"])


def test_sidecars_hold_the_expected_fields(corpus: tuple[Path, list[Path]]) -> None:
    _, paths = corpus
    for doc in paths:
        data = _sidecar(doc)
        doc_type = doc.parent.name
        fields = data["fields"]
        assert set(fields) == EXPECTED_FIELDS[doc_type], doc
        for name, value in fields.items():
            if name in DATE_FIELDS:
                dt.date.fromisoformat(value)
            if name in MONEY_FIELDS:
                assert MONEY.match(value), (doc, name, value)
        assert data["meta"]["doc_type"] == doc_type


def test_field_values_are_consistent(corpus: tuple[Path, list[Path]]) -> None:
    _, paths = corpus
    for doc in paths:
        fields = _sidecar(doc)["fields"]
        doc_type = doc.parent.name
        if doc_type == "bank_statement":
            assert _iban_ok(fields["account_number"]), fields["account_number"]
            assert fields["period_start"] < fields["period_end"]
        elif doc_type == "invoice":
            assert fields["due_date"] >= fields["date"]
            assert Decimal(fields["tax"]) < Decimal(fields["total"])
            assert re.fullmatch(r"[A-Z]{3}", fields["currency"])
        elif doc_type == "pay_stub":
            assert Decimal(fields["net_pay"]) < Decimal(fields["gross_pay"])
        elif doc_type == "contract":
            assert len(fields["parties"]) == 2
            assert all(isinstance(p, str) and p for p in fields["parties"])
        elif doc_type == "tax_form":
            assert re.fullmatch(r"\d{4}", fields["tax_year"])
        elif doc_type == "id_document":
            assert fields["date_of_birth"] < fields["expiry_date"]


def test_mixed_formats_and_multi_page_pdfs(corpus: tuple[Path, list[Path]]) -> None:
    _, paths = corpus
    suffixes = {p.suffix for p in paths}
    assert {".png", ".pdf"} <= suffixes
    contracts = [p for p in paths if p.parent.name == "contract"]
    assert contracts and all(p.suffix == ".pdf" for p in contracts)
    for doc in (p for p in paths if p.suffix == ".pdf"):
        pdf = pdfium.PdfDocument(str(doc))
        try:
            assert len(pdf) == _sidecar(doc)["meta"]["pages"]
            assert len(pdf) > 1, doc
            if doc.parent.name == "contract":
                assert 2 <= len(pdf) <= 4
        finally:
            pdf.close()


def test_images_are_pages_or_narrow_receipts(corpus: tuple[Path, list[Path]]) -> None:
    _, paths = corpus
    for doc in (p for p in paths if p.suffix != ".pdf"):
        with Image.open(doc) as img:
            assert img.mode in {"L", "RGB"}
            w, h = img.size
        if doc.parent.name == "receipt":
            assert h > 1.5 * w, doc
        elif doc.parent.name != "id_document":  # ID photos are card-shaped
            assert max(w, h) == max(SMALL_PAGE_SIZE)


def test_same_seed_gives_identical_bytes(corpus: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """A fresh run (only some types) reproduces the module corpus byte for byte, sidecars too."""
    out, _ = corpus
    types = ["contract", "receipt", "bank_statement"]
    again = generate_corpus(
        tmp_path, per_type=PER_TYPE, seed=SEED, types=types, page_size=SMALL_PAGE_SIZE
    )
    for doc in again:
        original = out / doc.parent.name / doc.name
        assert doc.read_bytes() == original.read_bytes(), doc
        assert doc.with_suffix(".json").read_bytes() == original.with_suffix(".json").read_bytes()


def test_different_seed_gives_different_documents(
    corpus: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    out, _ = corpus
    other = generate_corpus(
        tmp_path,
        per_type=PER_TYPE,
        seed=SEED + 1,
        types=["invoice", "letter"],
        page_size=SMALL_PAGE_SIZE,
    )
    for doc in other:
        (original,) = (
            p for p in (out / doc.parent.name).glob(f"{doc.stem}.*") if p.suffix != ".json"
        )
        assert doc.read_bytes() != original.read_bytes()
        assert _sidecar(doc)["fields"] != _sidecar(original)["fields"]


def test_pdfs_carry_the_document_date_not_the_wall_clock(corpus: tuple[Path, list[Path]]) -> None:
    _, paths = corpus
    for doc in (p for p in paths if p.parent.name == "contract"):
        created = re.search(rb"/CreationDate \(D:(\d{8})", doc.read_bytes())
        assert created is not None
        effective = _sidecar(doc)["fields"]["effective_date"].replace("-", "")
        assert created.group(1).decode() == effective


def test_mrz_check_digits_match_the_icao_specimen() -> None:
    # ICAO 9303 part 4 specimen passport: L898902C3 -> 6, 740812 -> 2, 120415 -> 9.
    assert (mrz_check("L898902C3"), mrz_check("740812"), mrz_check("120415")) == ("6", "2", "9")


def test_corpus_package_does_not_import_django() -> None:
    code = "import sys, classification.corpus; sys.exit('django' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def _first_page(doc: Path) -> Image.Image:
    if doc.suffix != ".pdf":
        return Image.open(doc)
    pdf = pdfium.PdfDocument(str(doc))
    try:
        return pdf[0].render(scale=150 / 72).to_pil()
    finally:
        pdf.close()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_rendered_invoice_is_legible_to_tesseract(tmp_path: Path) -> None:
    pytesseract = pytest.importorskip("pytesseract")
    (doc,) = generate_corpus(tmp_path, per_type=1, seed=7, types=["invoice"])  # full 150-DPI page
    number = _sidecar(doc)["fields"]["invoice_number"]
    text = pytesseract.image_to_string(_first_page(doc))
    assert number in re.sub(r"\s+", "", text), text


def test_make_corpus_command(tmp_path: Path) -> None:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "make_corpus",
        "--out",
        str(tmp_path),
        "--per-type",
        "1",
        "--seed",
        "3",
        "--types",
        "receipt,letter",
        "--small",
        stdout=out,
    )
    assert "Wrote 2 documents" in out.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter", "receipt"]
