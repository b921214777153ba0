"""Deterministic synthetic document corpus (no Django imports: usable from plain scripts).

``generate_corpus(out_dir, per_type, seed)`` writes ``out_dir/<type>/<type>_NNNN.<png|jpg|pdf>``
plus a ``.json`` sidecar ``{"fields": {...}, "meta": {...}}`` per document.
"""

from .generate import CORPUS_TYPES, SMALL_PAGE_SIZE, generate_corpus, render_document

__all__ = ["CORPUS_TYPES", "SMALL_PAGE_SIZE", "generate_corpus", "render_document"]
