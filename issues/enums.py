"""Choices for issues: levels of the escalation ladder, statuses, whistles, satisfaction (docs/domain.md#escalation, #whistles)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IssueLevel(models.TextChoices):
    """Where an issue stands on the ladder, bottom first."""

    ON_SPOT = "on_spot", _("现场(联户人员)")
    GRID = "grid", _("网格")
    VILLAGE = "village", _("村(社区)")
    CENTRE = "centre", _("镇网格化综合服务中心")
    DEPARTMENT = "department", _("部门(吹哨)")


LEVEL_ORDER = [
    IssueLevel.ON_SPOT,
    IssueLevel.GRID,
    IssueLevel.VILLAGE,
    IssueLevel.CENTRE,
    IssueLevel.DEPARTMENT,
]


def next_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(IssueLevel(level))
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


class IssueStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    WHISTLED = "whistled", _("已吹哨")
    REVIEW = "review", _("待中心审核")
    RESOLVED = "resolved", _("已办结待回访")
    CLOSED = "closed", _("已关闭")


# Statuses in which someone still has to act (deadlines and overdue apply).
ACTIVE_STATUSES = (IssueStatus.OPEN, IssueStatus.WHISTLED, IssueStatus.REVIEW)


class IssueKind(models.TextChoices):
    DEMAND = "demand", _("诉求")
    PROBLEM = "problem", _("问题")
    DISPUTE = "dispute", _("矛盾纠纷")
    HAZARD = "hazard", _("安全隐患")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("应急")


class WhistleKind(models.TextChoices):
    ROUTINE = "routine", _("日常哨")
    EMERGENCY = "emergency", _("应急哨")
    HARD = "hard", _("攻坚哨")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("待接单")
    ACCEPTED = "accepted", _("已接单")
    REPLIED = "replied", _("已答复")
    SENT_BACK = "sent_back", _("已退回")


# Assignments a department still has to answer.
OPEN_ASSIGNMENT_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class DurationUnit(models.TextChoices):
    HOUR = "hour", _("小时")
    DAY = "day", _("天(到当天24时)")


class IssueAction(models.TextChoices):
    RAISE = "raise", _("提出")
    ESCALATE = "escalate", _("上报")
    RESOLVE = "resolve", _("办结")
    WHISTLE = "whistle", _("吹哨")
    ACCEPT = "accept", _("部门接单")
    REPLY = "reply", _("部门答复")
    SEND_BACK = "send_back", _("部门退回")
    RETURN = "return", _("退回部门重办")
    SUPERVISE = "supervise", _("督办")
    FEEDBACK = "feedback", _("回访评价")
    REOPEN = "reopen", _("不满意重办")


# Default deadlines (amount, unit) when no setting row exists (the data migration creates the rows).
WHISTLE_DEFAULTS = {
    WhistleKind.EMERGENCY: (24, DurationUnit.HOUR),
    WhistleKind.ROUTINE: (7, DurationUnit.DAY),
    WhistleKind.HARD: (30, DurationUnit.DAY),
}
LEVEL_DEFAULTS = {
    IssueLevel.ON_SPOT: (2, DurationUnit.DAY),
    IssueLevel.GRID: (3, DurationUnit.DAY),
    IssueLevel.VILLAGE: (5, DurationUnit.DAY),
    IssueLevel.CENTRE: (3, DurationUnit.DAY),
}
