from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("联户人员与联系")

    def ready(self) -> None:
        from .channels import checks  # noqa: F401  (registers the provider configuration check)
