from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "docsite.api"
    label = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The OpenAPI description of the token scheme registers itself on import.
        from docsite.api import authentication  # noqa: F401
