from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("联户人员与联系")

    def ready(self) -> None:
        from . import privacy  # noqa: F401  (access-log receivers for links and posts)
