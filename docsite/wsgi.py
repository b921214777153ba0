"""WSGI entry point (waitress in `make run`, any WSGI server in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings")
application = get_wsgi_application()
