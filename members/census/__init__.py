"""Census import (being split into modules; see the next commit)."""

from .checking import *  # noqa: F403
from .checking import SHEET_HOUSEHOLDS, SHEET_LINKS, SHEET_MEMBERS, SHEETS, household_columns, sheet_columns  # noqa: F401
