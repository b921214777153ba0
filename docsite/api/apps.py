from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "docsite.api"
    label = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from classification import signals
        from docsite.api import (
            authentication,  # noqa: F401  # the token scheme's OpenAPI description registers
            delivery,
        )

        # Webhooks: product events (sent on commit by classification, which never imports the
        # API) become deliveries; a schedule queues the retries that are due.
        signals.document_routed.connect(delivery.on_document_routed, dispatch_uid="api-webhooks")
        signals.document_changed.connect(delivery.on_document_changed, dispatch_uid="api-webhooks")
        signals.model_activated.connect(delivery.on_model_activated, dispatch_uid="api-webhooks")
        post_migrate.connect(delivery.ensure_schedule, sender=self)
