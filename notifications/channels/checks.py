"""`manage.py check`: a provider chosen without its keys or templates is said at deploy time, not at 7:30."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

from ..services import backend_path
from .templates import TemplateConfigError, sms_templates


@register()
def channels_configured(app_configs, **kwargs):
    problems = []
    configured = getattr(settings, "LIANHU_NOTIFICATION_CHANNELS", {})
    sms = backend_path(configured.get("sms") or "")
    conf = settings.LIANHU_SMS
    needs = {
        "notifications.channels.tencent_sms.TencentSmsChannel": (
            "TENCENT_SECRET_ID",
            "TENCENT_SECRET_KEY",
            "TENCENT_SDK_APP_ID",
            "SIGN_NAME",
        ),
        "notifications.channels.aliyun_sms.AliyunSmsChannel": (
            "ALIYUN_ACCESS_KEY_ID",
            "ALIYUN_ACCESS_KEY_SECRET",
            "SIGN_NAME",
        ),
    }
    if sms in needs:
        missing = [name for name in needs[sms] if not conf.get(name)]
        if missing:
            problems.append(
                Warning(f"SMS provider {sms.rsplit('.', 1)[-1]} lacks {', '.join(missing)}", id="lianhu.W101")
            )
        try:
            if not sms_templates():
                problems.append(
                    Warning("LIANHU_SMS_TEMPLATES is empty: every SMS will fail", id="lianhu.W102")
                )
        except TemplateConfigError as exc:
            problems.append(Warning(str(exc), id="lianhu.W102"))
    if backend_path(configured.get("wecom") or "") == "notifications.channels.wecom.WecomChannel":
        missing = [name for name in ("CORP_ID", "AGENT_ID", "SECRET") if not settings.LIANHU_WECOM.get(name)]
        if missing:
            problems.append(
                Warning(f"WeCom lacks LIANHU_WECOM_{', LIANHU_WECOM_'.join(missing)}", id="lianhu.W103")
            )
    return problems
