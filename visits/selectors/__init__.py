"""Reads for visits (being split into modules; see the next commit)."""

from .compliance import *  # noqa: F403
from .compliance import PATH_STEP, _scoped_links  # noqa: F401
