from django.db import models
from django.utils.translation import gettext_lazy as _


class JobName(models.TextChoices):
    TASK_LISTS = "task_lists", _("每月走访任务清单")
    OVERDUE_DIGESTS = "overdue_digests", _("每周走访逾期提醒")
    DECADE_DISPATCH = "decade_dispatch", _("旬调度")
    ISSUE_DEADLINES = "issue_deadlines", _("问题办理期限提醒")
    QUARTER_REVIEW = "quarter_review", _("季讲评")
    YEAR_REVIEW = "year_review", _("年总评")
    COMPLIANCE_SNAPSHOTS = "compliance_snapshots", _("各镇走访达标快照")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("未签收")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    DONE = "done", _("已办结")


class SnapshotKind(models.TextChoices):
    DECADE = "decade", _("旬调度")
    QUARTER = "quarter", _("季讲评")
    YEAR = "year", _("年总评")
