"""A schema-driven fuzz test of ``/api/v1/``: schemathesis reads the OpenAPI schema the app serves
(``/api/schema/``), generates requests for every operation (valid and invalid ones), sends them
in-process through the WSGI application as an admin's token, and checks that no answer is a 5xx,
that each status code is one the schema lists for the operation, and that each body matches the
schema of its status code.

Bounded so CI stays fast: ``MAX_EXAMPLES`` requests per operation, derandomized (the same
examples on every run), no deadline, and no shrinking of a failure (its first example is
reported as it came). Each operation runs in its own test (and its own rolled-back transaction)
against a small seeded site: a document with a page image, a prediction, a label and a field, a
model version, a webhook subscription with a delivery, so that a generated path parameter can
name an object that exists. No operation is left out: the file and page-image downloads stream
in-process as well.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from classification import services, storage
from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    ModelVersion,
    Page,
    Prediction,
)
from docsite.api import tokens
from docsite.api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from docsite.wsgi import application
from tests import documents

# Per operation; 15 keeps the whole test under a minute on two cores. Set DOCSITE_FUZZ_EXAMPLES
# for a deeper run (the seed stays fixed).
MAX_EXAMPLES = int(os.environ.get("DOCSITE_FUZZ_EXAMPLES", "15"))

# The ids of the seeded objects, read while examples are generated (the seeding runs per test,
# after the schema and its strategies were built).
SEEDED: dict[str, int] = {}


def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
    """Half the examples name the seeded objects (so an operation on one object gets past its
    404), half keep the generated ids."""
    return st.one_of(strategy, strategy.map(_seeded_ids))


def _seeded_ids(generated: Any) -> Any:
    # Schemathesis wraps a generated value with how it was made (``GeneratedValue``).
    if hasattr(generated, "map_value"):
        return generated.map_value(_seeded_ids)
    if not isinstance(generated, dict):
        return generated
    real = {
        "document_id": SEEDED["document"],
        "type_id": SEEDED["type"],
        "version_id": SEEDED["version"],
        "webhook_id": SEEDED["webhook"],
        "number": 1,
    }
    return {name: real.get(name, value) for name, value in generated.items()}


# What must hold for every answer. Left out: schemathesis's checks that a request it made invalid
# is refused (a form-encoded list, for one, arrives as strings DRF may accept) and the
# authentication checks (tests/test_api_core.py covers those).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Loaded when the module is collected, so that each operation is a test of its own. Serving the
# schema reads no rows.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
schema.hook(before_generate_path_parameters)


def _seed(admin: User) -> None:
    """One of each object the path parameters name (their ids into ``SEEDED``): a document with
    a page image, a prediction, a label and a field; an active model version; a webhook
    subscription with a delivery."""
    uploader, _ = User.objects.get_or_create(username="fuzz-uploader")
    invoice, _ = DocumentType.objects.get_or_create(name="invoice", defaults={"label": "Invoice"})
    page = documents.png([f"INVOICE {len(SEEDED)} {Document.objects.count()}"], size=(300, 200))
    document = services.ingest_upload(page, "fuzz.png", uploader).document
    image = io.BytesIO()
    Image.new("L", (30, 20), "white").save(image, format="PNG")
    image_path = f"{storage.page_dir(document.sha256)}/page-1.png"
    storage.write_atomic(image_path, image.getvalue())
    Page.objects.create(
        document=document,
        number=1,
        image_path=image_path,
        thumbnail_path=image_path,
        width=30,
        height=20,
        text="INVOICE 77",
        mean_confidence=91.5,
    )
    version = ModelVersion.objects.create(state=ModelVersion.State.ACTIVE)
    Prediction.objects.create(
        document=document,
        model_version=version,
        document_type=invoice,
        confidence=0.6,
        probabilities={"invoice": 0.6, "receipt": 0.3, "letter": 0.1},
    )
    label = services.assign_type(document, invoice, admin)
    field = FieldDefinition.objects.filter(document_type=invoice).first()
    if field is not None:
        services.correct_fields(
            document,
            label,
            admin,
            {field: services.FieldInput("INV-77", "INV-77", page_number=1, bbox=[1, 2, 3, 4])},
        )
    webhook = WebhookSubscription.objects.create(
        owner=admin,
        url="https://hooks.example.com/docsite",
        secret="whsec_" + "x" * 20,
        event_types=["document.classified"],
    )
    event = WebhookEvent.objects.create(type="document.classified", payload={"document": {}})
    WebhookDelivery.objects.create(subscription=webhook, event=event)
    SEEDED.update(document=document.pk, type=invoice.pk, version=version.pk, webhook=webhook.pk)


def _seed_again_when_deleted(admin: User) -> None:
    """A generated DELETE (or a type's retirement) may remove a seeded object: the next examples
    then name fresh ones."""
    gone = (
        not Document.objects.filter(pk=SEEDED["document"], pages__number=1).exists()
        or not DocumentType.objects.filter(pk=SEEDED["type"]).exists()
        or not ModelVersion.objects.filter(pk=SEEDED["version"]).exists()
        or not WebhookSubscription.objects.filter(pk=SEEDED["webhook"]).exists()
    )
    if gone:
        _seed(admin)


@pytest.fixture
def admin(db: None, settings: Any) -> Iterator[tuple[User, str]]:
    """An admin and their API key, on a seeded site (ids in ``SEEDED``)."""
    settings.DOCSITE_API_RATE = "100000/minute"  # the fuzzer outruns the default rate
    user = User.objects.create_superuser("fuzz-admin", password="pw-fuzz-admin")
    _seed(user)
    yield user, tokens.create(user, "fuzz")[1]
    SEEDED.clear()
    # The rate limiter's request history lives in the cache, which outlives the test's
    # transaction: a later test's token with the same id would start out throttled.
    cache.clear()


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema(case: Any, admin: tuple[User, str]) -> None:
    user, key = admin
    _seed_again_when_deleted(user)
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path: Path) -> None:
    """``manage.py spectacular --validate --fail-on-warn``: a view drf-spectacular cannot
    describe (a warning) or a schema that is not valid OpenAPI 3 raises."""
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/documents:" in out.read_text()


def test_an_unknown_api_url_answers_a_json_404_to_any_method(db: None) -> None:
    """Found by the fuzzer: a PUT to a path no endpoint matches got Django's HTML CSRF 403."""
    client = Client(enforce_csrf_checks=True)
    for method in (client.get, client.put, client.post, client.delete):
        response = method("/api/v1/document-types/null,null")
        assert response.status_code == 404, (method, response.status_code)
        assert response.json()["error"]["code"] == "not_found"
