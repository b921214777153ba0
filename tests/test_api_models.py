"""``/api/v1/model-versions``: versions with their metrics, training, promotion and rollback
over the API, admins only, through the same services as the model pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from classification import learning
from classification.models import DocumentType, ModelEvent, ModelVersion
from tests.test_api_core import assert_error
from tests.test_learning import (  # noqa: F401  # fixtures: the fast tiny-training settings
    labeled_set,
    learning_settings,
    test_types,
)
from tests.test_model_views import _version

pytestmark = pytest.mark.django_db

Clients = Callable[[User], APIClient]
URL = "/api/v1/model-versions"


@pytest.fixture
def loadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every artifact counts as loadable, so the real promote and rollback can run."""
    monkeypatch.setattr(learning, "load_version", lambda version: object())


def test_the_list_shows_each_version_with_its_metrics(
    api_client_for: Clients, admin_user: User
) -> None:
    old = _version(ModelVersion.State.RETIRED)
    active = _version(ModelVersion.State.ACTIVE)
    body = api_client_for(admin_user).get(URL).json()
    assert [v["id"] for v in body["results"]] == [active.pk, old.pk]
    shown = body["results"][0]
    assert shown["state"] == "active" and shown["can_promote"] is False
    assert (shown["accuracy"], shown["macro_f1"], shown["ece"], shown["ece_before"]) == (
        0.9333,
        0.9121,
        0.0345,
        0.0912,
    )
    assert shown["thresholds"]["global"] == 0.91
    per_class = {c["name"]: c for c in shown["per_class"]}
    assert per_class["invoice"]["f1"] == 0.95 and per_class["invoice"]["threshold"] == 0.88
    assert per_class["receipt"]["threshold"] is None and per_class["receipt"]["human_labels"] == 6
    assert shown["human_labels"] == 33 and shown["pseudo_labels"] == 17
    assert body["results"][1]["can_promote"] is True
    assert "next" in body and "metrics" not in shown


def test_a_version_in_detail_has_all_its_metrics(api_client_for: Clients, admin_user: User) -> None:
    version = _version(training_args={"epochs": 3})
    body = api_client_for(admin_user).get(f"{URL}/{version.pk}").json()
    assert body["id"] == version.pk and body["training_args"] == {"epochs": 3}
    assert body["metrics"]["confusion"] == version.metrics["confusion"]
    assert_error(api_client_for(admin_user).get(f"{URL}/999999"), 404, "not_found")


def test_a_version_without_metrics_reads_as_nulls(
    api_client_for: Clients, admin_user: User
) -> None:
    version = _version(metrics={}, counts={})
    body = api_client_for(admin_user).get(f"{URL}/{version.pk}").json()
    assert body["macro_f1"] is None and body["per_class"] == [] and body["thresholds"] == {}


def test_only_admins_see_and_act_on_models(
    api_client_for: Clients, labeler: User, uploader: User
) -> None:
    version = _version()
    calls = [
        ("get", URL),
        ("get", f"{URL}/{version.pk}"),
        ("post", f"{URL}/train"),
        ("post", f"{URL}/{version.pk}/promote"),
        ("post", f"{URL}/rollback"),
    ]
    for method, url in calls:
        assert_error(getattr(APIClient(), method)(url), 401, "not_authenticated")
        for user in (labeler, uploader):
            client = api_client_for(user)
            assert_error(getattr(client, method)(url), 403, "permission_denied")
    assert ModelVersion.objects.get(pk=version.pk).state == ModelVersion.State.CANDIDATE


def test_train_trains_a_tiny_model_through_the_queue(
    api_client_for: Clients,
    admin_user: User,
    labeler: User,
    test_types: dict[str, DocumentType],  # noqa: F811
) -> None:
    labeled_set(labeler, per_kind=5)
    response = api_client_for(admin_user).post(f"{URL}/train")
    assert response.status_code == 202, response.content
    version = ModelVersion.objects.get()
    assert response.json() == {
        "message": learning._state().last_outcome,
        "running": False,
    }
    assert response.json()["message"].startswith(f"promoted: Model v{version.pk} is active.")
    assert ModelEvent.objects.get(model_version=version, action="trained").user == admin_user
    listed = api_client_for(admin_user).get(URL).json()["results"]
    assert listed[0]["id"] == version.pk and listed[0]["state"] == "active"
    assert isinstance(listed[0]["macro_f1"], float)


def test_train_while_a_training_runs_queues_nothing(
    api_client_for: Clients, admin_user: User
) -> None:
    learning._take_lock("other")
    body = api_client_for(admin_user).post(f"{URL}/train").json()
    assert "already running" in body["message"] and body["running"] is True
    assert not ModelVersion.objects.exists()


def test_promote_and_rollback(api_client_for: Clients, admin_user: User, loadable: None) -> None:
    client = api_client_for(admin_user)
    old = _version(ModelVersion.State.ACTIVE)
    candidate = _version()
    response = client.post(f"{URL}/{candidate.pk}/promote")
    assert response.status_code == 200 and response.json()["state"] == "active"
    assert ModelVersion.objects.get(pk=old.pk).state == ModelVersion.State.RETIRED
    event = ModelEvent.objects.get(model_version=candidate, action="promoted")
    assert event.user == admin_user
    error = assert_error(client.post(f"{URL}/{candidate.pk}/promote"), 409, "promotion_refused")
    assert "already active" in error["details"]["reason"]  # type: ignore[index]
    response = client.post(f"{URL}/rollback")
    assert response.status_code == 200 and response.json()["id"] == old.pk
    assert ModelVersion.objects.get(pk=old.pk).state == ModelVersion.State.ACTIVE
    assert ModelVersion.objects.get(pk=candidate.pk).state == ModelVersion.State.RETIRED
    assert_error(client.post(f"{URL}/999999/promote"), 404, "not_found")


def test_refusals_are_409_and_change_nothing(api_client_for: Clients, admin_user: User) -> None:
    client = api_client_for(admin_user)
    error = assert_error(client.post(f"{URL}/rollback"), 409, "rollback_refused")
    assert "no retired model" in str(error["details"])
    active = _version(ModelVersion.State.ACTIVE)
    broken = _version(artifact_path="does-not-exist.pt")
    error = assert_error(client.post(f"{URL}/{broken.pk}/promote"), 409, "promotion_refused")
    assert "artifact" in str(error["message"])
    assert ModelVersion.objects.get(pk=active.pk).state == ModelVersion.State.ACTIVE
    assert ModelVersion.objects.get(pk=broken.pk).state == ModelVersion.State.CANDIDATE


def test_a_bad_page_size_or_cursor_is_handled(api_client_for: Clients, admin_user: User) -> None:
    for _ in range(3):
        _version()
    client = api_client_for(admin_user)
    page: dict[str, Any] = client.get(f"{URL}?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1
    assert_error(client.get(f"{URL}?cursor=not-a-cursor"), 404, "not_found")
