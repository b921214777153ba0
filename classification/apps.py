import warnings

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_migrate


class ClassificationConfig(AppConfig):
    name = "classification"
    verbose_name = "Documents and classification"

    def ready(self) -> None:
        from PIL import Image

        from classification import signals

        # Pillow refuses images over twice this in Image.open(); intake refuses over once.
        Image.MAX_IMAGE_PIXELS = settings.DOCSITE_MAX_IMAGE_PIXELS
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        post_migrate.connect(signals.ensure_schedules, sender=self)
        post_migrate.connect(signals.ensure_admin_group_permissions, sender=self)
        m2m_changed.connect(signals.admin_role_grants_staff, sender=get_user_model().groups.through)
