"""Local development: the defaults of base plus DEBUG, unless told otherwise."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# A fixed ID-number key derived from SECRET_KEY unless LIANHU_ID_KEY is set (grids/crypto.py).
LIANHU_ID_KEY_DEV_FALLBACK = True
# The demo town and its commands (demo/): development and tests only, never production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
