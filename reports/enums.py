"""Choices for reports: periods, ledger kinds, export statuses, assessment components."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年")
    CUSTOM = "custom", _("自定义")


class LedgerKind(models.TextChoices):
    GRID = "grid", _("网格台账档案")
    CONTACTS = "contacts", _("走访台账")
    ISSUES = "issues", _("诉求/问题台账")
    COMPLIANCE = "compliance", _("联户人员履职台账")
    ASSESSMENT = "assessment", _("考核台账")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审定")


class Component(models.TextChoices):
    """What the village score and the cadre sheet are made of; each has a weight in AssessmentWeights."""

    COVERAGE = "coverage", _("联户覆盖")
    COMPLIANCE = "compliance", _("走访达标")
    ISSUES = "issues", _("问题办结")
    SATISFACTION = "satisfaction", _("群众满意")
    DISPATCH = "dispatch", _("调度令完成")
