from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Dashboards, the village assessment and Excel ledgers: the top layer, it reads every app below it."""

    name = "reports"
    verbose_name = _("统计与台账")
