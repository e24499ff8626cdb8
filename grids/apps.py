from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("网格与户")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the ID-key checks)
            private,  # noqa: F401  (registers the private-root check)
        )
