"""``manage.py train``: trains in the foreground, prints the outcome, exits non-zero on errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from classification import learning
from classification.models import DocumentType, ModelVersion
from tests.test_learning import labeled_set, learning_settings, test_types

# Fixtures shared with test_learning: pytest finds them by name in this module.
SHARED_FIXTURES = (learning_settings, test_types)
pytestmark = pytest.mark.django_db


def _train(*args: str) -> str:
    out = StringIO()
    call_command("train", *args, stdout=out)
    return out.getvalue()


def test_it_trains_prints_the_figures_then_skips_when_nothing_changed(
    test_types: dict[str, DocumentType], labeler: User
) -> None:
    labeled_set(labeler, per_kind=5)
    output = _train()
    version = ModelVersion.objects.get()
    assert output.startswith(f"promoted: Model v{version.pk} is active.")
    assert f"model v{version.pk} (active)" in output
    assert "12 training, 3 held out" in output
    assert "macro-F1 1.000" in output and "per-type F1: contract 1.00" in output
    assert _train().startswith(f"unchanged: The labels have not changed since model v{version.pk}")
    assert ModelVersion.objects.count() == 1
    assert _train("--force").startswith("promoted:")
    assert ModelVersion.objects.count() == 2


def test_too_few_labels_is_an_error(test_types: dict[str, DocumentType], labeler: User) -> None:
    labeled_set(labeler, per_kind=2, kinds=("invoice",))
    with pytest.raises(CommandError, match="not enough labels"):
        _train()


def test_a_running_training_is_an_error(test_types: dict[str, DocumentType], labeler: User) -> None:
    labeled_set(labeler, per_kind=5)
    learning._take_lock("worker")
    with pytest.raises(CommandError, match="busy"):
        _train()
    assert not ModelVersion.objects.exists()


def test_a_crash_in_training_is_an_error(
    test_types: dict[str, DocumentType], labeler: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    labeled_set(labeler, per_kind=5)

    def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("no memory left")

    monkeypatch.setattr("classification.ml.train.train", broken)
    with pytest.raises(CommandError, match="Training failed: no memory left"):
        _train()
