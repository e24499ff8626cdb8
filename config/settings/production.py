"""Production: PostgreSQL, Redis, gunicorn behind a TLS-terminating proxy. Secrets come from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a long random value in production")

# Resident ID numbers are encrypted with this key (README "Production"): no key, no start.
LIANHU_ID_KEY = os.environ.get("LIANHU_ID_KEY", "")
LIANHU_ID_KEY_DEV_FALLBACK = False
if not LIANHU_ID_KEY:
    raise ImproperlyConfigured("LIANHU_ID_KEY must be set in production (a Fernet key; see the README)")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# nginx serves private files from its `internal` location after the view has checked who asks (README).
LIANHU_X_ACCEL_REDIRECT = env_bool("LIANHU_X_ACCEL_REDIRECT", True)

# Behind nginx every request comes from the proxy's address: the login throttling and the access log take the
# client's from X-Forwarded-For, skipping the trusted proxies from the right (nginx:
# proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for), so a forged entry changes nothing. Default:
# nginx on the same host, unless only the older LIANHU_PROXY_COUNT is set (then it is still honoured).
LIANHU_TRUSTED_PROXIES = env_list(
    "LIANHU_TRUSTED_PROXIES", "" if os.environ.get("LIANHU_PROXY_COUNT") else "127.0.0.1"
)
