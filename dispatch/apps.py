from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("一单五制调度")

    def ready(self) -> None:
        from . import handlers  # noqa: F401  (registers outbox handlers)
