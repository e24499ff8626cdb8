"""一单五制: job runs, 调度令 dispatch orders, monthly task lists and review snapshots.

Task lists and snapshots are stored as rows with JSON bodies on purpose: they record what was asked or
measured at the time, so later edits to contacts, links or issues do not rewrite history.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import PathCopy, PathIndex, Place
from grids.private import get_private_storage, random_name
from members.models import Member

from .enums import JobName, RecipientStatus, RunStatus, SnapshotKind


class JobRun(models.Model):
    """One run of a scheduled job for one period and town. At most one completed run per (job, period, town).

    `town` is empty for a whole-city run (the runs before jobs ran per town, and `job_run` without a town);
    a city place stands for the people and places of the city outside every town (city leaders' lists).
    `done`/`total` count the job's units (members for task lists) and `heartbeat_at` is touched with each
    batch: a running run whose heartbeat is older than jobs.STALE_AFTER died with its worker.
    """

    job = models.CharField(_("任务"), max_length=30, choices=JobName.choices)
    period_key = models.CharField(_("周期"), max_length=20)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created = models.PositiveIntegerField(_("新建"), default=0)
    skipped = models.PositiveIntegerField(_("跳过(已存在)"), default=0)
    failures = models.PositiveIntegerField(_("失败"), default=0)
    counts = models.JSONField(_("明细"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    manual = models.BooleanField(_("手动运行"), default=False)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    town = models.ForeignKey(
        Place,
        verbose_name=_("镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空:全市一次运行"),
    )
    done = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务运行记录")
        verbose_name_plural = _("任务运行记录")
        ordering = ["-started_at", "-id"]
        constraints = [
            # Whole-city runs (no town) keep the old rules; per-town runs the same rules per town.
            models.UniqueConstraint(
                fields=["job", "period_key"],
                condition=Q(status="done", town__isnull=True),
                name="jobrun_done_once",
            ),
            models.UniqueConstraint(
                fields=["job", "period_key"],
                condition=Q(status="running", town__isnull=True),
                name="jobrun_one_running",
            ),
            models.UniqueConstraint(
                fields=["job", "period_key", "town"],
                condition=Q(status="done", town__isnull=False),
                name="jobrun_done_once_per_town",
            ),
            models.UniqueConstraint(
                fields=["job", "period_key", "town"],
                condition=Q(status="running", town__isnull=False),
                name="jobrun_one_running_per_town",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_job_display()} {self.period_key} {self.get_status_display()}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    @property
    def percent(self) -> int | None:
        return min(100, 100 * self.done // self.total) if self.total else None


def attachment_path(instance: "DispatchOrder", filename: str) -> str:
    # A random name: the uploaded one is kept in `attachment_name` and sent only in Content-Disposition.
    return random_name(f"dispatch/{timezone.localdate():%Y/%m}", filename)


class DispatchOrder(PathCopy):
    """调度令: a task from the town centre to chosen villages, grids or members, with a due date."""

    town = models.ForeignKey(Place, verbose_name=_("镇"), on_delete=models.PROTECT, related_name="+")
    path_from = ("town",)
    title = models.CharField(_("标题"), max_length=200)
    task = models.TextField(_("任务内容"))
    due_date = models.DateField(_("完成期限"))
    # Private: served only by dispatch.views.order_attachment to those who see the order.
    attachment = models.FileField(
        _("附件"), upload_to=attachment_path, storage=get_private_storage, blank=True
    )
    attachment_name = models.CharField(_("附件原文件名"), max_length=200, blank=True)
    issued_by = models.ForeignKey(
        Member, verbose_name=_("下发人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("下发时间"), default=timezone.now)
    target_places = models.ManyToManyField(
        Place, verbose_name=_("下发到村/网格"), blank=True, related_name="+"
    )
    target_members = models.ManyToManyField(
        Member, verbose_name=_("下发到人员"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("调度令")
        verbose_name_plural = _("调度令")
        ordering = ["-issued_at", "-id"]
        indexes = [PathIndex(fields=["path"], name="dispatchorder_path_idx")]

    def __str__(self) -> str:
        return self.title


class OrderRecipient(models.Model):
    order = models.ForeignKey(
        DispatchOrder, verbose_name=_("调度令"), on_delete=models.CASCADE, related_name="recipients"
    )
    member = models.ForeignKey(Member, verbose_name=_("承办人"), on_delete=models.PROTECT, related_name="+")
    via = models.ForeignKey(
        Place,
        verbose_name=_("所属村/网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=15, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    report = models.TextField(_("办理情况"), blank=True)

    class Meta:
        verbose_name = _("调度令承办")
        verbose_name_plural = _("调度令承办")
        ordering = ["order_id", "status", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "member"], name="orderrecipient_once")]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.member_id} {self.status}"


class MonthlyTaskList(PathCopy):
    """每月一走访工作任务清单: what one member must do this month, as generated on the 1st."""

    member = models.ForeignKey(Member, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("月份"), help_text=_("当月1日"))
    path_from = ("member",)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    items = models.JSONField(_("清单"), default=list)
    totals = models.JSONField(_("合计"), default=dict)

    class Meta:
        verbose_name = _("每月走访任务清单")
        verbose_name_plural = _("每月走访任务清单")
        ordering = ["-month", "path", "member_id"]
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="tasklist_once_per_month")]
        indexes = [PathIndex(fields=["path"], name="tasklist_path_idx"), models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"


class ReviewSnapshot(PathCopy):
    """旬调度 / 季讲评 / 年总评 figures for one town and period, frozen when taken."""

    kind = models.CharField(_("类别"), max_length=10, choices=SnapshotKind.choices)
    period_key = models.CharField(_("周期"), max_length=20)
    town = models.ForeignKey(Place, verbose_name=_("镇"), on_delete=models.PROTECT, related_name="+")
    path_from = ("town",)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    data = models.JSONField(_("数据"), default=dict)

    class Meta:
        verbose_name = _("调度讲评快照")
        verbose_name_plural = _("调度讲评快照")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_key", "town"], name="snapshot_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_key}"
