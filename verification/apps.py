from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "verification"
    verbose_name = _("走访核实")

    def ready(self) -> None:
        from . import signals  # noqa: F401
