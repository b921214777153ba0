from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.test import APIClient

from docsite import roles
from docsite.api import tokens


@pytest.fixture(autouse=True)
def _isolated_media(settings: object, tmp_path: Path) -> None:
    """Each test gets its own media folder and runs queued tasks inline."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    settings.DOCSITE_TASKS_SYNC = True  # type: ignore[attr-defined]
    settings.DOCSITE_OCR_PARALLEL = 2  # type: ignore[attr-defined]
    # The second OCR reading of numbers costs seconds a page: tests of it switch it on.
    settings.DOCSITE_PPOCR = False  # type: ignore[attr-defined]
    # Dashboards are built afresh in every request: a test sees what it just stored.
    settings.DOCSITE_DASHBOARD_CACHE_SECONDS = 0  # type: ignore[attr-defined]


def _make_user(username: str, *role_names: str, superuser: bool = False) -> User:
    if superuser:
        user = User.objects.create_superuser(username, password="pw-" + username)
    else:
        user = User.objects.create_user(username, password="pw-" + username)
    for name in role_names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def admin_user(db: None) -> User:
    return _make_user("alice-admin", roles.ADMIN, superuser=True)


@pytest.fixture
def uploader(db: None) -> User:
    return _make_user("ursula-uploader", roles.UPLOADER)


@pytest.fixture
def other_uploader(db: None) -> User:
    return _make_user("oscar-uploader", roles.UPLOADER)


@pytest.fixture
def labeler(db: None) -> User:
    return _make_user("lena-labeler", roles.LABELER)


@pytest.fixture
def second_labeler(db: None) -> User:
    return _make_user("lars-labeler", roles.LABELER)


@pytest.fixture
def outsider(db: None) -> User:
    return _make_user("olga-outsider")


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def media_files(settings: object) -> Callable[[], list[Path]]:
    """Every file under the media root, to check that a refusal wrote nothing."""

    def list_files() -> list[Path]:
        root = Path(settings.MEDIA_ROOT)  # type: ignore[attr-defined]
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return list_files


@pytest.fixture
def api_client_for() -> Callable[[User], APIClient]:
    """An API client sending a fresh token of ``user`` (``client.token`` is the stored one)."""

    def make(user: User) -> APIClient:
        token, key = tokens.create(user, "tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.token = token  # type: ignore[attr-defined]
        client.key = key  # type: ignore[attr-defined]
        return client

    return make
