from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("联户人员与联系")

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from . import sessions

        user_logged_in.connect(sessions.on_login, dispatch_uid="lianhu_session_on_login")
        post_save.connect(
            sessions.on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="lianhu_session_pw"
        )
        from . import privacy  # noqa: F401  (access-log receivers for links and posts)
        from .access import connect_scope_signals

        connect_scope_signals()
