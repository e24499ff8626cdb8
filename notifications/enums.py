"""Choices of the notifications app: inbox message kinds, external channels, delivery and outbox states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """What an inbox message is about. Scheduled kinds are unique per recipient and period."""

    GENERAL = "general", _("通知")
    TASK_LIST = "task_list", _("每月走访任务清单")
    DISPATCH_ORDER = "dispatch_order", _("调度令")
    OVERDUE_DIGEST = "overdue_digest", _("走访逾期提醒")
    GRID_DIGEST = "grid_digest", _("网格走访逾期汇总")
    VILLAGE_DIGEST = "village_digest", _("村(社区)走访汇总")
    DECADE_DIGEST = "decade_digest", _("旬调度")
    ISSUE_DUE_SOON = "issue_due_soon", _("问题办理即将到期")
    ISSUE_DUE = "issue_due", _("问题办理到期")
    ISSUE_OVERDUE = "issue_overdue", _("逾期吹哨")
    REVIEW = "review", _("季讲评/年总评")


class Channel(models.TextChoices):
    """External channels; the in-app inbox needs no delivery row."""

    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信/钉钉")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")
    # Receipt from the provider: the phone got it (notifications/channels/receipts.py).
    DELIVERED = "delivered", _("已送达")
    # Over the member's daily SMS cap: not sent alone, counted in the next digest SMS.
    FOLDED = "folded", _("并入汇总")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    DONE = "done", _("已处理")
    FAILED = "failed", _("失败")
