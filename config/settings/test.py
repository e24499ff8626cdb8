"""Tests: whatever DATABASE_URL / REDIS_URL say (PostgreSQL and Redis in CI), SQLite otherwise."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
LIANHU_PRIVATE_ROOT = VAR_DIR / "test-private"
LIANHU_X_ACCEL_REDIRECT = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
# Tests never publish to a shared queue a dev worker could consume (it would act on the dev database):
# an in-process broker unless a test asks for a real one (tests/dispatch/test_worker.py).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
if CELERY_BROKER_URL.startswith("memory://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "members.sessions"  # as in production; the tests' cache is one process's own
# A fixed ID-number key derived from SECRET_KEY unless LIANHU_ID_KEY is set (grids/crypto.py).
LIANHU_ID_KEY_DEV_FALLBACK = True
# The demo town and its commands (demo/): development and tests only, never production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
