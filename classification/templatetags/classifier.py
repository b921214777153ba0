"""Template helpers for the classifier's output, for pages whose views do not provide it.

``{% load classifier %}`` then:

- ``document|top_predictions``: the latest prediction's top types, ``[(label, probability)]``;
- ``{% with_top_predictions documents as rows %}``: ``[(document, top)]`` for a whole list in
  two queries, so a page of documents does not cost a query per row;
- ``{% cold_start as cold %}``: ``cold.ready``, and ``cold.needs`` ``[(type label, labels
  missing)]`` while there are too few human labels to train a model;
- ``document|field_problems``: what fails validation in its stored fields
  (``fieldstore.problems``), ``[Problem]`` with ``message``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from classification import fieldstore, learning
from classification.extraction.validation import Problem
from classification.models import Document
from classification.views import models as model_views

register = template.Library()


@register.filter
def top_predictions(document: Document) -> list[tuple[str, float]]:
    return learning.top_predictions(document)


@register.filter
def field_problems(document: Document) -> list[Problem]:
    return fieldstore.problems(document)


@register.simple_tag
def with_top_predictions(
    documents: Iterable[Document],
) -> list[tuple[Document, list[tuple[str, float]]]]:
    documents = list(documents)
    top = model_views.top_predictions_for(documents)
    return [(d, top.get(d.pk, [])) for d in documents]


@register.simple_tag
def cold_start() -> model_views.ColdStart:
    return model_views.cold_start()
