"""Inbox notifications, their deliveries on external channels, the outbox, and each town's channel policy.

These models lived in members until issue 16 and keep their tables (`members_notification`, ...): the move
was made by state-only migrations (members 0010, notifications 0001), so no row was copied.
Services: notifications/services.py (inbox and deliveries), notifications/outbox.py, notifications/channels/.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.enums import PlaceKind
from grids.models import Place
from members.models import Member

from .enums import Channel, DeliveryStatus, NotificationKind, OutboxStatus


class Notification(models.Model):
    """One message in one member's inbox. `period_key` makes scheduled messages unique per recipient.

    The database refuses a second row for the same (recipient, kind, period_key), so a job re-run, or a
    crash halfway and a re-run, sends nothing twice.
    """

    recipient = models.ForeignKey(
        Member, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类别"), max_length=30, choices=NotificationKind.choices)
    period_key = models.CharField(_("周期/对象"), max_length=40, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # Emergency whistles: SMS goes out even in quiet hours and over the daily cap.
    urgent = models.BooleanField(_("紧急"), default=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        db_table = "members_notification"  # the table it had in members (moved by state only)
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "period_key"],
                condition=~Q(period_key=""),
                name="notification_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    """A notification's delivery on one external channel (email, SMS, WeCom/DingTalk); the inbox is the row itself.

    Queued rows are the channel's outbox: a worker claims one with a conditional update (queued → sending),
    so two workers never send it twice; failures go back to queued with a later `next_attempt_at` until
    the attempts run out, then stay failed with the reason.
    """

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("失败原因"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    # The provider's id for the message (Tencent SerialNo, Aliyun BizId, WeCom msgid): receipts find it by this.
    provider_ref = models.CharField(_("服务商流水号"), max_length=64, blank=True)
    receipt_code = models.CharField(_("回执状态码"), max_length=40, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    # A folded SMS (over the daily cap) points at the digest SMS that counted it.
    folded_into = models.ForeignKey(
        "self", verbose_name=_("并入"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "members_delivery"  # the table it had in members (moved by state only)
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["notification_id", "channel"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(
                fields=["channel", "provider_ref"], condition=~Q(provider_ref=""), name="delivery_ref_idx"
            ),
            models.Index(fields=["channel", "sent_at"], name="delivery_sent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"


class OutboxEvent(models.Model):
    """Work to do after a save, written in the saving transaction so a broker outage cannot lose it.

    `transaction.on_commit` tries to enqueue it at once; a sweeper re-enqueues what is still pending. The
    handler runs in the same transaction as the conditional update pending → done, so it runs exactly once.
    """

    topic = models.CharField(_("主题"), max_length=60)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(
        _("状态"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("失败原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        db_table = "members_outboxevent"  # the table it had in members (moved by state only)
        verbose_name = _("待处理事件")
        verbose_name_plural = _("待处理事件")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk} {self.status}"


class TownChannels(models.Model):
    """Which external channels a town lets its members be reached by (no row: all of them).

    Members choose among these on their profile page; SMS costs the town money, so a town may turn it off.
    """

    town = models.OneToOneField(
        Place,
        verbose_name=_("镇"),
        on_delete=models.CASCADE,
        related_name="channel_policy",
        limit_choices_to={"kind": PlaceKind.TOWN},
    )
    email = models.BooleanField(_("允许电子邮件"), default=True)
    sms = models.BooleanField(_("允许短信"), default=True)
    wecom = models.BooleanField(_("允许企业微信"), default=True)

    class Meta:
        db_table = "members_townchannels"  # the table it had in members (moved by state only)
        verbose_name = _("镇提醒渠道设置")
        verbose_name_plural = _("镇提醒渠道设置")

    def __str__(self) -> str:
        return str(self.town)

    def allowed(self) -> set[str]:
        return {c for c in (Channel.EMAIL, Channel.SMS, Channel.WECOM) if getattr(self, c)}
