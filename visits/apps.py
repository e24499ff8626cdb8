from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("走访")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (keeps LinkTally in step)
