"""Document types: each module turns a ``DocContext`` into a rendered ``Document``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..locales import ALL_LOCALES, IBAN_LOCALES
from . import (
    bank_statement,
    contract,
    id_document,
    invoice,
    letter,
    pay_stub,
    receipt,
    tax_form,
)
from .common import DocContext, Document


@dataclass(frozen=True)
class TypeSpec:
    build: Callable[[DocContext], Document]
    locales: tuple[str, ...] = ALL_LOCALES
    font_sizes: tuple[float, ...] = (9.5, 10, 10, 10.5, 11, 11.5)


REGISTRY: dict[str, TypeSpec] = {
    "invoice": TypeSpec(invoice.build),
    "receipt": TypeSpec(receipt.build),
    "bank_statement": TypeSpec(bank_statement.build, IBAN_LOCALES),
    "pay_stub": TypeSpec(pay_stub.build),
    "contract": TypeSpec(contract.build),
    "tax_form": TypeSpec(tax_form.build),
    "id_document": TypeSpec(id_document.build),
    "letter": TypeSpec(letter.build),
}
