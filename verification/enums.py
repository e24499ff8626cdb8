"""Signals of implausible contacts, verification calls and discipline cases (docs/verification.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignalKind(models.TextChoices):
    FAR = "far", _("走访位置距离户过远")
    BURST = "burst", _("短时间内走访多户")
    SAME_PHOTO = "same_photo", _("照片重复使用")
    SAME_TEXT = "same_text", _("走访情况内容雷同")
    LATE_ENTRY = "late_entry", _("事后补录过晚")
    MONTH_END = "month_end", _("月末集中录入")
    WHILE_AWAY = "while_away", _("外出期间记录走访")
    BEFORE_LINK = "before_link", _("联系开始前的走访")


# Found when the contact is saved; the others by the nightly pattern job.
SAVE_TIME_KINDS = frozenset(
    {SignalKind.FAR, SignalKind.LATE_ENTRY, SignalKind.WHILE_AWAY, SignalKind.BEFORE_LINK}
)


class FlagStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    DISMISSED = "dismissed", _("已排除")
    CASE = "case", _("已转纪委")


class CallOutcome(models.TextChoices):
    PENDING = "pending", _("待回访")
    CONFIRMED = "confirmed", _("群众确认走访属实")
    DENIED = "denied", _("群众称没有此次走访")
    UNREACHABLE = "unreachable", _("无法联系")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("待认定")
    DECIDED = "decided", _("已认定")


class CaseDecision(models.TextChoices):
    FALSE_CONTACT = "false", _("属实(虚假走访)")
    GENUINE = "genuine", _("不属实(走访真实)")
    UNVERIFIABLE = "unverifiable", _("无法核实")


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("立案")
    NOTE = "note", _("备注")
    DECIDED = "decided", _("认定")
    EXPLAINED = "explained", _("本人说明")


class LocationStatus(models.TextChoices):
    PENDING = "pending", _("待网格长确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已驳回")
