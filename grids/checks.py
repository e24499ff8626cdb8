"""System checks for the ID-number key (grids/crypto.py): a bad key stops every command at start-up;
`check --deploy` also refuses the development fallback."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def id_key_valid(app_configs=None, **kwargs):
    from .crypto import cipher

    try:
        cipher()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="lianhu.E001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def id_key_set(app_configs=None, **kwargs):
    if not getattr(settings, "LIANHU_ID_KEY", ""):
        return [
            checks.Error(
                "LIANHU_ID_KEY is not set: ID numbers would be encrypted with a development key derived from"
                " SECRET_KEY",
                hint="Generate a Fernet key and set LIANHU_ID_KEY (README, production).",
                id="lianhu.E002",
            )
        ]
    return []
