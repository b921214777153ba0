"""The model pages (admins only), promotion and rollback through them, and top-3 predictions."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classification import learning
from classification.models import (
    Document,
    DocumentType,
    Label,
    ModelEvent,
    ModelVersion,
    Prediction,
)
from labeling import queue

pytestmark = pytest.mark.django_db

CLASSES = ["invoice", "receipt", "letter"]


def _metrics(**overrides: Any) -> dict[str, Any]:
    reliability = [
        {"low": i / 15, "high": (i + 1) / 15, "count": 0, "confidence": None, "accuracy": None}
        for i in range(15)
    ]
    reliability[10] = {
        "low": 0.6667,
        "high": 0.7333,
        "count": 4,
        "confidence": 0.7,
        "accuracy": 0.5,
    }
    reliability[14] = {"low": 0.9333, "high": 1.0, "count": 26, "confidence": 0.97, "accuracy": 1.0}
    metrics = {
        "n": 30,
        "accuracy": 0.9333,
        "macro_f1": 0.9121,
        "per_class_f1": {"invoice": 0.95, "receipt": 0.9, "letter": 0.8864},
        "confusion": [[10, 0, 0], [1, 9, 0], [0, 1, 9]],
        "classes": CLASSES,
        "ece_before": 0.0912,
        "ece": 0.0345,
        "temperature": 1.73,
        "thresholds": {
            "target_precision": 0.95,
            "global": 0.91,
            "per_class": {"invoice": 0.88, "letter": 1.000001},
        },
        "auto_accept_rate": 0.62,
        "auto_accept_precision": 0.9876,
        "reliability": reliability,
    }
    metrics.update(overrides)
    return metrics


def _version(state: str = ModelVersion.State.CANDIDATE, **fields: Any) -> ModelVersion:
    defaults: dict[str, Any] = {
        "artifact_path": f"model-{ModelVersion.objects.count() + 1}.pt",
        "artifact_sha256": "ab" * 32,
        "counts": {
            "human_per_class": {"invoice": 11, "receipt": 6, "letter": 6},
            "human_train": 23,
            "validation": 10,
            "unlabeled": 40,
            "pseudo_labels": 17,
        },
        "metrics": _metrics(),
        "training_args": {"epochs": 30, "lr": 0.001},
        "duration_seconds": 12.4,
    }
    defaults.update(fields)
    return ModelVersion.objects.create(state=state, **defaults)


def _document(name: str, uploader: User | None = None, **fields: Any) -> Document:
    return Document.objects.create(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        original_name=name,
        original_path=f"originals/{name}",
        mime_type="image/png",
        size_bytes=10,
        page_count=1,
        uploaded_by=uploader,
        status=Document.Status.NEEDS_REVIEW,
        **fields,
    )


def _predict(document: Document, probabilities: dict[str, float], version=None) -> Prediction:
    best = max(probabilities, key=lambda name: probabilities[name])
    return Prediction.objects.create(
        document=document,
        model_version=version,
        document_type=DocumentType.objects.get(name=best),
        confidence=probabilities[best],
        probabilities=probabilities,
    )


@pytest.fixture
def loadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every artifact counts as loadable, so the real promote and rollback can run."""
    monkeypatch.setattr(learning, "load_version", lambda version: object())


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Who may use the pages --------------------------------------------------------------------


def _pages(version: ModelVersion) -> list[tuple[str, str]]:
    return [
        ("get", reverse("models")),
        ("get", reverse("model", args=[version.pk])),
        ("post", reverse("model_train")),
        ("post", reverse("model_promote", args=[version.pk])),
        ("post", reverse("model_rollback")),
    ]


def test_only_admins_may_open_the_model_pages(client_for, admin_user, labeler, uploader) -> None:
    version = _version()
    for method, url in _pages(version)[:2]:
        assert getattr(client_for(admin_user), method)(url).status_code == 200
    for user in (labeler, uploader):
        for method, url in _pages(version):
            assert getattr(client_for(user), method)(url).status_code == 403, (user, url)
    for method, url in _pages(version):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert ModelEvent.objects.count() == 0
    assert ModelVersion.objects.get(pk=version.pk).state == ModelVersion.State.CANDIDATE


def test_the_actions_accept_only_post_with_a_csrf_token(client_for, admin_user) -> None:
    version = _version()
    for _, url in _pages(version)[2:]:
        assert client_for(admin_user).get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(reverse("model_promote", args=[version.pk])).status_code == 403
    assert ModelVersion.objects.get(pk=version.pk).state == ModelVersion.State.CANDIDATE


def test_the_navigation_links_to_models_for_admins_only(client_for, admin_user, labeler) -> None:
    assert f'href="{reverse("models")}"' in client_for(admin_user).get("/documents/").text
    assert f'href="{reverse("models")}"' not in client_for(labeler).get("/documents/").text


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_each_version_and_highlights_the_active_one(client_for, admin_user) -> None:
    old = _version(ModelVersion.State.RETIRED, reason="Replaced by model v2.")
    active = _version(ModelVersion.State.ACTIVE)
    rejected = _version(
        ModelVersion.State.REJECTED,
        reason="Macro-F1 0.41 is below the active model's 0.91.",
        metrics=_metrics(accuracy=0.5, macro_f1=0.41),
    )
    no_artifact = _version(artifact_path="", metrics={}, counts={})
    ModelEvent.objects.create(
        model_version=active, action=ModelEvent.Action.PROMOTED, user=admin_user, message="ok <b>"
    )
    html = client_for(admin_user).get(reverse("models")).text
    assert f'data-version="{active.pk}" class="active-version"' in html
    assert html.count('class="active-version"') == 1
    for version in (old, active, rejected, no_artifact):
        assert f'href="{reverse("model", args=[version.pk])}"' in html
    assert "0.933" in html and "0.912" in html and "0.035" in html and "(0.091)" in html
    assert ">33<" in html and ">17<" in html  # human labels (23 train + 10 validation), pseudo
    assert "Macro-F1 0.41 is below" in html and "0.410" in html
    # Promote on every other version with an artifact; never on the active one or without one.
    assert f'action="{reverse("model_promote", args=[old.pk])}"' in html
    assert f'action="{reverse("model_promote", args=[rejected.pk])}"' in html
    assert f'action="{reverse("model_promote", args=[active.pk])}"' not in html
    assert f'action="{reverse("model_promote", args=[no_artifact.pk])}"' not in html
    assert f'action="{reverse("model_rollback")}"' in html
    assert f'action="{reverse("model_train")}"' in html
    assert "Promoted" in html and "alice-admin" in html and "ok &lt;b&gt;" in html


def test_the_list_explains_the_cold_start_until_every_type_has_labels(
    client_for, admin_user, settings
) -> None:
    settings.DOCSITE_COLD_START_LABELS = 2
    DocumentType.objects.exclude(name__in=["invoice", "receipt"]).update(active=False)
    invoice = DocumentType.objects.get(name="invoice")
    for name in ("a.png", "b.png"):
        Label.objects.create(
            document=_document(name),
            document_type=invoice,
            provenance=Label.Provenance.HUMAN,
            labeled_by=admin_user,
        )
    html = client_for(admin_user).get(reverse("models")).text
    assert "Not enough labels to train a model yet" in html
    assert "every new document goes to the review queue" in html
    assert "<strong>Receipt</strong>: 2 more labels" in html
    assert "<strong>Invoice</strong>" not in html
    assert reverse("admin:classification_documenttype_changelist") in html
    settings.DOCSITE_COLD_START_LABELS = 0
    assert "Not enough labels" not in client_for(admin_user).get(reverse("models")).text


def test_train_now_asks_the_service_and_flashes_its_answer(
    client_for, admin_user, monkeypatch
) -> None:
    calls: list[tuple[str, Any]] = []

    def request_training(trigger: str, user: Any) -> str:
        calls.append((trigger, user))
        return "Training queued."

    monkeypatch.setattr(learning, "request_training", request_training)
    response = client_for(admin_user).post(reverse("model_train"), follow=True)
    assert response.redirect_chain == [(reverse("models"), 302)]
    assert calls == [("admin", admin_user)]
    assert _messages(response) == ["Training queued."]


# --- Promote and roll back --------------------------------------------------------------------


def test_promoting_a_candidate_makes_it_active_and_retires_the_old_one(
    client_for, admin_user, loadable
) -> None:
    old = _version(ModelVersion.State.ACTIVE)
    candidate = _version()
    response = client_for(admin_user).post(
        reverse("model_promote", args=[candidate.pk]), follow=True
    )
    assert response.redirect_chain == [(reverse("models"), 302)]
    assert _messages(response) == [f"Model v{candidate.pk} is now active."]
    assert ModelVersion.objects.get(pk=candidate.pk).state == ModelVersion.State.ACTIVE
    assert ModelVersion.objects.get(pk=old.pk).state == ModelVersion.State.RETIRED
    event = ModelEvent.objects.get(model_version=candidate)
    assert event.action == ModelEvent.Action.PROMOTED and event.user == admin_user


def test_a_refused_promotion_shows_why_and_changes_nothing(client_for, admin_user) -> None:
    """The real service: this version's artifact does not exist, so it cannot be loaded."""
    active = _version(ModelVersion.State.ACTIVE)
    candidate = _version(artifact_path="does-not-exist.pt")
    url = reverse("model", args=[candidate.pk])
    response = client_for(admin_user).post(
        reverse("model_promote", args=[candidate.pk]), {"next": url}, follow=True
    )
    assert response.redirect_chain == [(url, 302)]
    [message] = response.context["messages"]
    assert message.level_tag == "error"
    assert f"Model v{candidate.pk} was not promoted" in str(message)
    assert "artifact is missing" in str(message)
    assert ModelVersion.objects.get(pk=candidate.pk).state == ModelVersion.State.CANDIDATE
    assert ModelVersion.objects.get(pk=active.pk).state == ModelVersion.State.ACTIVE
    assert ModelEvent.objects.count() == 0


def test_promote_goes_back_only_to_pages_of_this_site(client_for, admin_user, monkeypatch) -> None:
    monkeypatch.setattr(learning, "promote", lambda version, user: version)
    version = _version()
    response = client_for(admin_user).post(
        reverse("model_promote", args=[version.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("models")


def test_rolling_back_restores_the_previous_model(client_for, admin_user, loadable) -> None:
    previous = _version(ModelVersion.State.RETIRED)
    current = _version(ModelVersion.State.ACTIVE)
    response = client_for(admin_user).post(reverse("model_rollback"), follow=True)
    assert _messages(response) == [f"Rolled back: model v{previous.pk} is active again."]
    assert ModelVersion.objects.get(pk=previous.pk).state == ModelVersion.State.ACTIVE
    assert ModelVersion.objects.get(pk=current.pk).state == ModelVersion.State.RETIRED
    assert ModelEvent.objects.filter(
        model_version=previous, action=ModelEvent.Action.ROLLED_BACK, user=admin_user
    ).exists()
    html = response.text
    assert "Rolled back to" in html  # the event log on the list


def test_rolling_back_with_nothing_to_return_to_is_an_error(client_for, admin_user) -> None:
    current = _version(ModelVersion.State.ACTIVE)
    response = client_for(admin_user).post(reverse("model_rollback"), follow=True)
    [message] = response.context["messages"]
    assert message.level_tag == "error" and "no retired model" in str(message)
    assert ModelVersion.objects.get(pk=current.pk).state == ModelVersion.State.ACTIVE


# --- One version ------------------------------------------------------------------------------


def test_a_version_page_shows_its_metrics_thresholds_confusion_and_reliability(
    client_for, admin_user
) -> None:
    version = _version(ModelVersion.State.ACTIVE)
    html = client_for(admin_user).get(reverse("model", args=[version.pk])).text
    assert "0.933" in html and "0.912" in html and "1.73" in html and "62%" in html
    assert "0.035" in html and "from 0.091 before calibration" in html
    # Per-class F1, human labels and thresholds (a class without one uses the global one).
    assert "0.950" in html and "0.886" in html and ">11<" in html
    assert "0.880" in html and "0.910" in html and "0.95" in html and ">never<" in html
    assert '<span class="muted">global</span>' in html  # receipt
    # The confusion matrix: labels, true rows and shaded cells.
    assert '<th scope="row">Invoice</th>' in html and '<th scope="col">Letter</th>' in html
    assert html.count('class="num diagonal"') == 3
    assert "background-color: rgba(180, 35, 24" in html
    # The reliability diagram: inline, accessible, one bar per non-empty bin.
    assert html.count('<rect class="bar"') == 2
    assert 'role="img" aria-label="Reliability · ECE 0.035 (0.091 before calibration)"' in html
    assert "<details" in html and "&quot;epochs&quot;: 30" in html
    assert f'action="{reverse("model_rollback")}"' in html
    assert f'action="{reverse("model_promote", args=[version.pk])}"' not in html


def test_a_version_without_metrics_still_renders(client_for, admin_user) -> None:
    version = _version(ModelVersion.State.REJECTED, metrics={}, counts={}, training_args={})
    response = client_for(admin_user).get(reverse("model", args=[version.pk]))
    assert response.status_code == 200
    assert "No validation data" in response.text
    assert "No confusion matrix" in response.text
    assert f'action="{reverse("model_promote", args=[version.pk])}"' in response.text


def test_classes_default_to_the_human_label_counts_and_a_bad_matrix_is_not_drawn(
    client_for, admin_user
) -> None:
    metrics = _metrics()
    del metrics["classes"]
    version = _version(metrics=metrics)
    html = client_for(admin_user).get(reverse("model", args=[version.pk])).text
    # Sorted names: invoice, letter, receipt; the first column header is Invoice, then Letter.
    assert html.index('<th scope="col">Invoice') < html.index('<th scope="col">Letter')
    assert html.index('<th scope="col">Letter') < html.index('<th scope="col">Receipt')
    broken = _version(metrics=_metrics(confusion=[[1, 2], [3, 4]]))
    html = client_for(admin_user).get(reverse("model", args=[broken.pk])).text
    assert "No confusion matrix" in html


def test_an_unknown_version_is_404(client_for, admin_user) -> None:
    assert client_for(admin_user).get(reverse("model", args=[999])).status_code == 404
    assert client_for(admin_user).post(reverse("model_promote", args=[999])).status_code == 404


# --- Predictions where documents are shown ----------------------------------------------------


def test_the_document_page_shows_the_top_three_and_where_each_label_came_from(
    client_for, admin_user, labeler
) -> None:
    version = _version(ModelVersion.State.ACTIVE)
    document = _document("bill.png", routing_reason="confidence 0.64 below threshold 0.91")
    _predict(document, {"invoice": 0.1, "receipt": 0.3, "letter": 0.05})  # older
    _predict(document, {"invoice": 0.64, "receipt": 0.2, "letter": 0.1, "contract": 0.06})
    invoice, receipt = (DocumentType.objects.get(name=n) for n in ("invoice", "receipt"))
    Label.objects.create(
        document=document,
        document_type=receipt,
        provenance=Label.Provenance.PSEUDO,
        model_version=version,
        confidence=0.97,
    )
    Label.objects.create(
        document=document,
        document_type=invoice,
        provenance=Label.Provenance.AUTO,
        model_version=version,
        confidence=0.93,
    )
    Label.objects.create(
        document=document,
        document_type=invoice,
        provenance=Label.Provenance.HUMAN,
        labeled_by=labeler,
    )
    html = client_for(admin_user).get(reverse("document", args=[document.pk])).text
    top = html[html.index('<ol class="predictions"') : html.index("</ol>")]
    assert top.index("Invoice") < top.index("Receipt") < top.index("Letter")
    assert "64%" in top and "20%" in top and "10%" in top and "Contract" not in top
    assert "confidence 0.64 below threshold 0.91" in html
    assert "Pseudo-label" in html and f"by model v{version.pk} at 0.97" in html
    assert "Auto-accepted" in html and f"by model v{version.pk} at 0.93" in html
    assert "by lena-labeler" in html


def test_a_document_without_a_prediction_says_so(client_for, admin_user) -> None:
    document = _document("new.png")
    html = client_for(admin_user).get(reverse("document", args=[document.pk])).text
    assert "No prediction yet" in html


def test_the_workbench_shows_the_top_three(client_for, labeler) -> None:
    document = _document("bill.png")
    _predict(document, {"invoice": 0.55, "receipt": 0.45})
    queue.enqueue_review(document)
    html = client_for(labeler).post(reverse("queue_next"), follow=True).text
    assert "Invoice" in html and "55%" in html and "45%" in html


def test_the_review_queue_shows_the_cold_start_banner_until_ready(
    client_for, labeler, settings
) -> None:
    _document("waiting.png")
    settings.DOCSITE_COLD_START_LABELS = 3
    html = client_for(labeler).get(reverse("queue")).text
    assert "Not enough labels to train a model yet" in html
    assert "<strong>Invoice</strong>: 3 more labels" in html
    assert "document types</a>" not in html  # the admin link is for admins
    settings.DOCSITE_COLD_START_LABELS = 0
    assert "Not enough labels" not in client_for(labeler).get(reverse("queue")).text


def test_the_document_list_shows_each_documents_latest_top_three(
    client_for, admin_user, uploader
) -> None:
    guessed = _document("guessed.png", uploader)
    _predict(guessed, {"receipt": 0.9, "invoice": 0.05})
    _predict(guessed, {"invoice": 0.7, "receipt": 0.2, "letter": 0.06, "contract": 0.04})
    _document("fresh.png", uploader)
    page = client_for(uploader).get(reverse("documents"))
    html = page.text
    row = html[html.index(f'data-document="{guessed.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="predictions compact"' in row
    assert row.index("Invoice") < row.index("Receipt") < row.index("Letter")
    assert "70%" in row and "Contract" not in row and "90%" not in row
    assert "No prediction yet" in html


def test_the_document_list_costs_the_same_queries_for_many_documents(
    client_for, admin_user, django_assert_max_num_queries
) -> None:
    client = client_for(admin_user)
    for i in range(2):
        _predict(_document(f"first-{i}.png"), {"invoice": 0.6, "receipt": 0.4})
    client.get(reverse("documents"))  # warm the session and any caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("documents"))
    for i in range(20):
        _predict(_document(f"more-{i}.png"), {"invoice": 0.6, "receipt": 0.4})
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("documents")).text
    assert html.count('class="predictions compact"') == 22
