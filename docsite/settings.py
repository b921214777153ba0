"""Django settings for Docsite.

Every knob is a ``DOCSITE_*`` environment variable read through the typed helpers in
``docsite.env``; the defaults need no services: SQLite and media under ``var/``, django-q2's ORM
broker, one machine.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from docsite.env import env_bool, env_float, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("DOCSITE_DATA_DIR", BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The configured key, else one generated once and kept in ``var/`` so sessions survive."""
    configured = env_str("DOCSITE_SECRET_KEY", "")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DOCSITE_DEBUG", False)
ALLOWED_HOSTS = env_list("DOCSITE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DOCSITE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "classification",
    "labeling",
    "docsite.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "docsite.urls"
WSGI_APPLICATION = "docsite.wsgi.application"
ASGI_APPLICATION = "docsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "classification.context_processors.roles",
            ],
        },
    },
]


def _databases() -> dict[str, dict[str, object]]:
    url = env_str("DATABASE_URL", "")
    if url:
        try:
            config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
        if config.get("ENGINE") == "django.db.backends.postgresql":
            # PostgreSQL's JIT compiles a query it estimates to be costly: on the automation
            # dashboard's per-day EXISTS counts that took 390 of 560 ms (bench.dashboards).
            options = dict(config.get("OPTIONS") or {})
            options["options"] = (str(options.get("options", "")) + " -c jit=off").strip()
            config["OPTIONS"] = options
        return {"default": dict(config)}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "docsite.sqlite3",
            "OPTIONS": {
                # The web server and the worker processes write to one file: WAL lets readers go
                # on while one writes, IMMEDIATE takes the write lock at BEGIN so two writers
                # queue on the timeout instead of failing with "database is locked" mid-way.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "documents"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DOCSITE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Whitenoise serves straight from the finders, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Read the dates and amounts of scanned pages a second time with PP-OCR (seconds a page, once,
# when a type with date or money fields is known): receipts' dates and totals from 0.77 / 0.60
# right to 0.96 / 0.91 (bench/README.md, --ppocr).
DOCSITE_PPOCR = env_bool("DOCSITE_PPOCR", True)

# --- REST API (docs/api.md) ---------------------------------------------------------------------
# Requests per API token (or per signed-in user) and per address for anonymous callers, in DRF's
# "N/second|minute|hour|day" form.
DOCSITE_API_RATE = env_str("DOCSITE_API_RATE", "1200/minute")
DOCSITE_API_ANON_RATE = env_str("DOCSITE_API_ANON_RATE", "60/minute")
# How long an Idempotency-Key is remembered.
DOCSITE_API_IDEMPOTENCY_HOURS = env_int("DOCSITE_API_IDEMPOTENCY_HOURS", 24, minimum=1)
# Webhook targets (docs/api.md, "Webhooks"): hosts, *.domains, IPs or CIDRs a webhook may call;
# "*" means any public address. Empty: public addresses only (loopback too when DEBUG); a
# private, loopback or link-local target must be listed.
DOCSITE_WEBHOOK_ALLOWED_HOSTS = env_list("DOCSITE_WEBHOOK_ALLOWED_HOSTS", [])
# Attempts per delivery (backoff 30 s, 1, 2, 4, 8 min...) before it is marked failed.
DOCSITE_WEBHOOK_MAX_ATTEMPTS = env_int("DOCSITE_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "docsite.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["docsite.api.permissions.HasRole"],
    "DEFAULT_THROTTLE_CLASSES": [
        "docsite.api.throttling.TokenRateThrottle",
        "docsite.api.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "docsite.api.pagination.NewestFirst",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "docsite.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Docsite API",
    "DESCRIPTION": "Upload documents, read their types and fields, label them, drive the review "
    "queue and the model versions, and subscribe to webhooks. Errors always have the body "
    '`{"error": {"code": ..., "message": ..., "details": ...}}`. See docs/api.md.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# Uploaded originals and rendered pages. Never served as public media: a view checks
# permissions and streams the file.
MEDIA_ROOT = env_path("DOCSITE_MEDIA_ROOT", DATA_DIR / "media")

# --- Intake limits --------------------------------------------------------------------------
DOCSITE_MAX_UPLOAD_MB = env_int("DOCSITE_MAX_UPLOAD_MB", 50, minimum=1)
DOCSITE_MAX_PAGES = env_int("DOCSITE_MAX_PAGES", 200, minimum=1)
# Pillow's own default; a larger image is treated as a decompression bomb and refused.
DOCSITE_MAX_IMAGE_PIXELS = env_int("DOCSITE_MAX_IMAGE_PIXELS", 89_478_485, minimum=1)
DOCSITE_MAX_FILES_PER_UPLOAD = env_int("DOCSITE_MAX_FILES_PER_UPLOAD", 100, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = DOCSITE_MAX_FILES_PER_UPLOAD

# --- Rendering and OCR ----------------------------------------------------------------------
# PDF pages are rendered at this resolution for OCR (Tesseract reads best near 300 DPI).
DOCSITE_OCR_DPI = env_int("DOCSITE_OCR_DPI", 300, minimum=72)
# Longest side of the image handed to Tesseract; larger scans are scaled down first.
DOCSITE_OCR_MAX_SIDE = env_int("DOCSITE_OCR_MAX_SIDE", 3600, minimum=500)
# Scans smaller than this (longest side) are enlarged, at most 2x, before OCR.
DOCSITE_OCR_MIN_SIDE = env_int("DOCSITE_OCR_MIN_SIDE", 2000, minimum=0)
# Longest side of the stored page image and of its thumbnail.
DOCSITE_PAGE_MAX_SIDE = env_int("DOCSITE_PAGE_MAX_SIDE", 2000, minimum=200)
DOCSITE_THUMB_MAX_SIDE = env_int("DOCSITE_THUMB_MAX_SIDE", 320, minimum=32)
DOCSITE_OCR_LANG = env_str("DOCSITE_OCR_LANG", "eng")
# Pages of one document OCR'd at once; each Tesseract runs single-threaded (OMP_THREAD_LIMIT=1).
# The default shares the cores among the worker processes (at least 2, so a lone long PDF
# still uses two cores): far more Tesseracts than cores gained nothing in bench/pipeline.py
# (the CPU was already full) and only cost memory.
_WORKERS = env_int("DOCSITE_WORKERS", os.cpu_count() or 1, minimum=1)
DOCSITE_OCR_PARALLEL = env_int(
    "DOCSITE_OCR_PARALLEL", max(2, (os.cpu_count() or 1) // _WORKERS), minimum=1
)
DOCSITE_OCR_TIMEOUT = env_int("DOCSITE_OCR_TIMEOUT", 180, minimum=5)

# --- Classifier and learning -----------------------------------------------------------------
# Auto-accept a prediction only where the held-out precision at its threshold reaches this.
DOCSITE_TARGET_PRECISION = env_float("DOCSITE_TARGET_PRECISION", 0.98, minimum=0.5)
if DOCSITE_TARGET_PRECISION > 1:
    raise ImproperlyConfigured(
        f"DOCSITE_TARGET_PRECISION={DOCSITE_TARGET_PRECISION} must be at most 1"
    )
# Queue a retraining once this many human labels arrived since the last one started.
DOCSITE_RETRAIN_EVERY = env_int("DOCSITE_RETRAIN_EVERY", 20, minimum=1)
# Until every active type has this many human labels, every document goes to review.
DOCSITE_COLD_START_LABELS = env_int("DOCSITE_COLD_START_LABELS", 5, minimum=0)
# A candidate model may be this much worse in held-out macro-F1 than the active one and still
# be promoted (the held-out set is small; a tiny dip is noise, not a regression).
DOCSITE_PROMOTION_TOLERANCE = env_float("DOCSITE_PROMOTION_TOLERANCE", 0.01, minimum=0.0)
DOCSITE_MODEL_DIR = env_path("DOCSITE_MODEL_DIR", DATA_DIR / "models")
DOCSITE_FEATURE_CACHE = env_path("DOCSITE_FEATURE_CACHE", DATA_DIR / "cache" / "features")
# Use the offline sentence encoder as a branch of the classifier when it is installed.
DOCSITE_CLASSIFIER_EMBEDDING = env_bool("DOCSITE_CLASSIFIER_EMBEDDING", True)
# At most this many unlabeled documents (newest first) take part in semi-supervised training.
DOCSITE_UNLABELED_POOL = env_int("DOCSITE_UNLABELED_POOL", 2000, minimum=0)
# Override the optimiser steps of one training (TrainConfig.min_steps/max_steps); 0 = defaults.
DOCSITE_TRAIN_MAX_STEPS = env_int("DOCSITE_TRAIN_MAX_STEPS", 0, minimum=0)

# --- Labeling queue --------------------------------------------------------------------------
# Which waiting document a labeler gets first (labeling.priority): entropy (default, the best
# area under the learning curve in bench.active_learning), margin, diverse_margin (the same as
# margin in the queue, which keeps near-copies of recently served documents apart under every
# score but random), least_confidence or random.
DOCSITE_QUEUE_STRATEGY = env_str("DOCSITE_QUEUE_STRATEGY", "entropy")
if DOCSITE_QUEUE_STRATEGY not in {
    "entropy",
    "margin",
    "diverse_margin",
    "least_confidence",
    "random",
}:
    raise ImproperlyConfigured(
        f"DOCSITE_QUEUE_STRATEGY={DOCSITE_QUEUE_STRATEGY!r}: use entropy, margin, "
        "diverse_margin, least_confidence or random"
    )
# Until a type has this many human labels, documents predicted as it come first (0 = off).
DOCSITE_QUEUE_TYPE_QUOTA = env_int("DOCSITE_QUEUE_TYPE_QUOTA", 0, minimum=0)
# A claimed document returns to the queue when its labeler is silent this long.
DOCSITE_LEASE_MINUTES = env_int("DOCSITE_LEASE_MINUTES", 10, minimum=1)
# A labeler may take back their last label this long after giving it.
DOCSITE_UNDO_MINUTES = env_int("DOCSITE_UNDO_MINUTES", 5, minimum=0)
# Share of auto-accepted documents also put in the queue as checks (measures real precision).
DOCSITE_QA_SHARE = env_float("DOCSITE_QA_SHARE", 0.02, minimum=0.0)
# Share of labeled documents served blind to a second labeler (measures agreement).
DOCSITE_OVERLAP_SHARE = env_float("DOCSITE_OVERLAP_SHARE", 0.05, minimum=0.0)
for _name in ("DOCSITE_QA_SHARE", "DOCSITE_OVERLAP_SHARE"):
    if globals()[_name] > 1:
        raise ImproperlyConfigured(f"{_name}={globals()[_name]} must be at most 1")

# --- Dashboards and operations ---------------------------------------------------------------
# A built dashboard page is reused this long (seconds) for the same filters; 0 = never cached.
DOCSITE_DASHBOARD_CACHE_SECONDS = env_int("DOCSITE_DASHBOARD_CACHE_SECONDS", 30, minimum=0)
# Drift: the recent window compared with the active model's training data, in days.
DOCSITE_DRIFT_DAYS = env_int("DOCSITE_DRIFT_DAYS", 7, minimum=1)
# Alert when a type's share of recent predictions moves this far (absolute, 0-1) from its share
# of the training labels, or the recent mean confidence this far from the validation mean.
DOCSITE_DRIFT_SHARE_ALERT = env_float("DOCSITE_DRIFT_SHARE_ALERT", 0.10, minimum=0.0)
DOCSITE_DRIFT_CONFIDENCE_ALERT = env_float("DOCSITE_DRIFT_CONFIDENCE_ALERT", 0.10, minimum=0.0)
# A recent document is "unlike anything labeled" when its cosine similarity to the nearest
# labeled document is below this.
DOCSITE_NOVELTY_SIMILARITY = env_float("DOCSITE_NOVELTY_SIMILARITY", 0.5, minimum=-1.0)
# /metrics answers only with "Authorization: Bearer <this>"; empty = /metrics is off (404).
DOCSITE_METRICS_TOKEN = env_str("DOCSITE_METRICS_TOKEN", "")
# /healthz is unhealthy when no worker was seen for this many seconds.
DOCSITE_WORKER_STALE_SECONDS = env_int("DOCSITE_WORKER_STALE_SECONDS", 60, minimum=5)
# Log lines as JSON objects (one per line) instead of plain text.
DOCSITE_LOG_JSON = env_bool("DOCSITE_LOG_JSON", False)

# --- Task queue (django-q2) -----------------------------------------------------------------
# A document still in `processing` after this many seconds is taken to be abandoned by a dead
# worker and may be claimed again. It equals the task timeout: no live task runs longer.
DOCSITE_TASK_TIMEOUT = env_int("DOCSITE_TASK_TIMEOUT", 900, minimum=30)
# Run queued tasks inline in the caller (tests, one-off scripts) instead of through a broker.
DOCSITE_TASKS_SYNC = env_bool("DOCSITE_TASKS_SYNC", False)
DOCSITE_BROKER = env_str("DOCSITE_BROKER", "orm")
if DOCSITE_BROKER not in {"orm", "redis"}:
    raise ImproperlyConfigured(f"DOCSITE_BROKER={DOCSITE_BROKER!r}: use 'orm' or 'redis'")

Q_CLUSTER: dict[str, object] = {
    "name": env_str("DOCSITE_CLUSTER_NAME", "docsite"),
    "workers": _WORKERS,
    "timeout": DOCSITE_TASK_TIMEOUT,
    # The broker hands a task to another worker when it is not acknowledged within `retry`
    # seconds (a killed worker); it must exceed the timeout or live tasks run twice.
    "retry": DOCSITE_TASK_TIMEOUT + 60,
    "max_attempts": env_int("DOCSITE_TASK_MAX_ATTEMPTS", 3, minimum=1),
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 5000,
    "label": "Task queue",
    "poll": env_float("DOCSITE_BROKER_POLL", 0.5, minimum=0.05),
}
# django-q2's brokers, extended to write each cluster's heartbeat into the database
# (``classification.workers``: what /healthz reads to know a worker is alive).
if DOCSITE_BROKER == "orm":
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "classification.workers.OrmBroker"
else:
    Q_CLUSTER["redis"] = env_str("DOCSITE_REDIS_URL", "redis://127.0.0.1:6379/0")
    Q_CLUSTER["broker_class"] = "classification.workers.RedisBroker"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # One JSON object a line, with the pipeline's document/step/duration/outcome fields.
        "json": {"()": "docsite.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if DOCSITE_LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DOCSITE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
