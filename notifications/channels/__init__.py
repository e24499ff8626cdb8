"""Real senders behind notifications.services: Tencent Cloud SMS, Alibaba Cloud SMS, WeCom app messages.

- `templates`: SMS goes through provider-approved templates; each notification kind maps to a template and the
  fields that fill its parameters (settings.LIANHU_SMS["TEMPLATES"]), never free text.
- `rules`: quiet hours and the per-person daily SMS cap (excess folded into the next digest SMS).
- `tencent_sms`, `aliyun_sms`, `wecom`: the backends (settings.LIANHU_NOTIFICATION_CHANNELS picks them).
- `receipts`: delivery-receipt callbacks that update the delivery rows.
- `prefs`: which channels a town allows and a member keeps.
- `views`: the member's channel page, the town staff's delivery page (counts, failures, resend).

Phone numbers appear only masked in logs (grids.validators.mask_phone).
"""
