"""Which approved SMS template a notification kind uses, and which fields fill its parameters.

settings.LIANHU_SMS["TEMPLATES"] is JSON (an environment variable in production):

    {"default":   {"template": "1234567", "params": ["kind", "title"]},
     "task_list": {"template": "1234568", "params": ["name", "title"]},
     "overdue_digest": {"template": "SMS_1", "params": {"n": "title", "more": "folded"}}}

Tencent fills its numbered parameters {1}, {2}... from a list; Aliyun's named ${var} from an object
(variable → field). Fields are chosen from FIELDS only: the SMS text is always the approved template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation

from members.models import Member

from ..models import Notification

FIELDS = ("title", "kind", "name", "link", "folded", "date")


class TemplateConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SmsTemplate:
    template: str
    params: tuple[str, ...] | dict[str, str]


def sms_templates() -> dict[str, SmsTemplate]:
    raw = settings.LIANHU_SMS.get("TEMPLATES") or ""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise TemplateConfigError(f"LIANHU_SMS_TEMPLATES is not valid JSON: {exc}") from exc
    templates: dict[str, SmsTemplate] = {}
    for kind, entry in raw.items():
        template = str(entry.get("template") or "")
        params = entry.get("params") or []
        fields = list(params.values()) if isinstance(params, dict) else list(params)
        unknown = [f for f in fields if f not in FIELDS]
        if not template or unknown:
            raise TemplateConfigError(
                f"SMS template for {kind!r}: need a template id and fields from {FIELDS}"
            )
        templates[kind] = SmsTemplate(
            template=template, params=dict(params) if isinstance(params, dict) else tuple(params)
        )
    return templates


def template_for(kind: str) -> SmsTemplate | None:
    templates = sms_templates()
    return templates.get(kind) or templates.get("default")


def field_values(*, member: Member, notification: Notification, folded: int = 0) -> dict[str, str]:
    """The values a template may use, each cut to the provider's parameter length."""
    from ..services import absolute_link

    limit = settings.LIANHU_SMS.get("PARAM_MAX_LENGTH", 20)
    # The approved templates are Chinese: the kind's name is too, whatever language the worker runs in.
    with translation.override(settings.LANGUAGE_CODE):
        kind = str(notification.get_kind_display())
    values = {
        "title": notification.title,
        "kind": kind,
        "name": member.name,
        "link": absolute_link(notification.link) or settings.LIANHU_SITE_URL,
        "folded": str(folded),
        "date": timezone.localtime(notification.created_at).strftime("%m-%d %H:%M"),
    }
    # A link is never cut (a cut link is a broken link); text is, with an ellipsis.
    return {k: v if k == "link" or len(v) <= limit else v[: limit - 1] + "…" for k, v in values.items()}


def params_list(template: SmsTemplate, values: dict[str, str]) -> list[str]:
    fields = template.params.values() if isinstance(template.params, dict) else template.params
    return [values[f] for f in fields]


def params_named(template: SmsTemplate, values: dict[str, str]) -> dict[str, str]:
    if not isinstance(template.params, dict):
        raise TemplateConfigError(f"template {template.template}: Aliyun needs named parameters (an object)")
    return {name: values[field] for name, field in template.params.items()}
