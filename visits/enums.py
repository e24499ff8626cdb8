"""Kinds of contact, the five duties (五到位) and quota periods (docs/domain.md#duties, #quotas)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.enums import TargetKind


class ContactKind(models.TextChoices):
    HOME_VISIT = "home_visit", _("入户走访")
    ONLINE = "online", _("线上沟通")
    GRID_SINKDOWN = "grid_sinkdown", _("下沉网格")
    ONSITE = "onsite", _("蹲点/现场办公")
    YARD_MEETING = "yard_meeting", _("屋场夜话")


# What a contact of each kind is about: one household, several households, or a place (town/village/grid).
HOUSEHOLD_KINDS = frozenset({ContactKind.HOME_VISIT, ContactKind.ONLINE})
PLACE_KINDS = frozenset({ContactKind.GRID_SINKDOWN, ContactKind.ONSITE})
MULTI_HOUSEHOLD_KINDS = frozenset({ContactKind.YARD_MEETING})


class Duty(models.TextChoices):
    """五到位: the model has one boolean per duty (field name = "duty_" + value) so counts aggregate in SQL."""

    POLICY = "policy", _("政策法规宣传到位")
    OPINION = "opinion", _("社情民意了解到位")
    DEMANDS = "demands", _("群众诉求收集到位")
    DISPUTES = "disputes", _("矛盾纠纷化解到位")
    SUPERVISION = "supervision", _("履职监督检查到位")


DUTY_FIELDS = {duty: f"duty_{duty.value}" for duty in Duty}


class Period(models.TextChoices):
    WEEK = "week", _("每周")
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class Status(models.TextChoices):
    """Where a link stands against a rule (see visits/selectors/compliance.py for the exact rule)."""

    DONE = "done", _("已完成")
    DUE = "due", _("待完成")
    OVERDUE = "overdue", _("已逾期")
    NONE = "none", _("无要求")
    # The member is exempt from linking (old, infirm, away): the target needs a new pairing, not a visit.
    REPAIR = "repair", _("待重新配对")
    # The link was not active on the day asked about (not begun yet, or ended).
    INACTIVE = "inactive", _("不在联系期内")


# REPAIR and INACTIVE rank below NONE: they never make a link "worse" in a max() over rules.
STATUS_RANK = {
    Status.INACTIVE: -3,
    Status.REPAIR: -2,
    Status.NONE: -1,
    Status.DONE: 0,
    Status.DUE: 1,
    Status.OVERDUE: 2,
}
RANK_STATUS = {rank: status for status, rank in STATUS_RANK.items()}

# Which kinds of contact may be recorded against which link targets.
TARGET_KINDS = {
    TargetKind.HOUSEHOLD: HOUSEHOLD_KINDS | MULTI_HOUSEHOLD_KINDS,
    TargetKind.GRID: frozenset({ContactKind.GRID_SINKDOWN, ContactKind.ONSITE}),
    TargetKind.VILLAGE: frozenset({ContactKind.ONSITE, ContactKind.GRID_SINKDOWN}),
    TargetKind.TOWN: frozenset({ContactKind.ONSITE}),
}


class RevisionAction(models.TextChoices):
    CREATE = "create", _("创建")
    UPDATE = "update", _("修改")
    STRIKE = "strike", _("认定虚假,不计入")
