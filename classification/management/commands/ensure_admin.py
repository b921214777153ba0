"""Create the first admin account, once. Later runs leave every account alone."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from docsite import roles


class Command(BaseCommand):
    help = "Create an admin from DOCSITE_ADMIN_USER/DOCSITE_ADMIN_PASSWORD if none exists."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        username = os.environ.get("DOCSITE_ADMIN_USER") or "admin"
        password = os.environ.get("DOCSITE_ADMIN_PASSWORD") or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        user.groups.add(Group.objects.get_or_create(name=roles.ADMIN)[0])
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"Created the admin account '{username}' with the password: {password}\n"
                    "It is shown only this once; change it with "
                    f"`.venv/bin/python manage.py changepassword {username}`."
                )
            )
        else:
            self.stdout.write(f"Created the admin account '{username}' (DOCSITE_ADMIN_PASSWORD).")
