"""Assessment weights and approved results (年度考核), and export jobs (every ledger export is one row).

An ExportJob is also the export log: who asked, for which ledger, which place (scope), which period, whether
with full phone/ID numbers, and when. Full numbers need the `reports.view_full_numbers` permission.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Place
from grids.private import get_private_storage, random_name

from .enums import AssessmentStatus, Component, ExportStatus, LedgerKind

VILLAGE_TOTAL = Decimal("6")
CADRE_TOTAL = Decimal("100")

# Defaults when town staff have not set a year's weights: the village score is out of 6 (docs/domain.md#assessment).
DEFAULT_VILLAGE_WEIGHTS = {
    Component.COVERAGE: Decimal("1.5"),
    Component.COMPLIANCE: Decimal("2.0"),
    Component.ISSUES: Decimal("1.0"),
    Component.SATISFACTION: Decimal("1.0"),
    Component.DISPATCH: Decimal("0.5"),
}
DEFAULT_CADRE_WEIGHTS = {
    Component.COVERAGE: Decimal("20"),
    Component.COMPLIANCE: Decimal("40"),
    Component.ISSUES: Decimal("15"),
    Component.SATISFACTION: Decimal("15"),
    Component.DISPATCH: Decimal("10"),
}


def _weight(label, default):
    return models.DecimalField(label, max_digits=5, decimal_places=2, default=default)


class AssessmentWeights(models.Model):
    """How much each component is worth, per year: village points sum to 6, cadre points to 100."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    village_coverage = _weight(_("村:联户覆盖"), DEFAULT_VILLAGE_WEIGHTS[Component.COVERAGE])
    village_compliance = _weight(_("村:走访达标"), DEFAULT_VILLAGE_WEIGHTS[Component.COMPLIANCE])
    village_issues = _weight(_("村:问题办结"), DEFAULT_VILLAGE_WEIGHTS[Component.ISSUES])
    village_satisfaction = _weight(_("村:群众满意"), DEFAULT_VILLAGE_WEIGHTS[Component.SATISFACTION])
    village_dispatch = _weight(_("村:调度令完成"), DEFAULT_VILLAGE_WEIGHTS[Component.DISPATCH])
    cadre_coverage = _weight(_("干部:联户数达标"), DEFAULT_CADRE_WEIGHTS[Component.COVERAGE])
    cadre_compliance = _weight(_("干部:走访达标"), DEFAULT_CADRE_WEIGHTS[Component.COMPLIANCE])
    cadre_issues = _weight(_("干部:问题办结"), DEFAULT_CADRE_WEIGHTS[Component.ISSUES])
    cadre_satisfaction = _weight(_("干部:群众满意"), DEFAULT_CADRE_WEIGHTS[Component.SATISFACTION])
    cadre_dispatch = _weight(_("干部:调度令完成"), DEFAULT_CADRE_WEIGHTS[Component.DISPATCH])
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")
        ordering = ["-year"]

    def __str__(self) -> str:
        return _("%(year)s年考核权重") % {"year": self.year}

    def village(self) -> dict[str, Decimal]:
        return {c.value: getattr(self, f"village_{c.value}") for c in Component}

    def cadre(self) -> dict[str, Decimal]:
        return {c.value: getattr(self, f"cadre_{c.value}") for c in Component}

    def clean(self) -> None:
        errors = {}
        if sum(self.village().values(), Decimal(0)) != VILLAGE_TOTAL:
            errors["village_coverage"] = _("村考核各项分值之和必须为6分")
        if sum(self.cadre().values(), Decimal(0)) != CADRE_TOTAL:
            errors["cadre_coverage"] = _("干部考核各项分值之和必须为100分")
        if errors:
            raise ValidationError(errors)


class AssessmentResult(models.Model):
    """One town's assessment for one year: every village's score and every cadre's sheet, as computed.

    Rows are a snapshot (JSON) so an approved year never changes when the data or the weights do;
    after approval recomputation is refused (reports.services.assessment_compute).
    """

    town = models.ForeignKey(Place, verbose_name=_("镇"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    weights = models.JSONField(_("权重"), default=dict)
    villages = models.JSONField(_("村(社区)得分"), default=list)
    cadres = models.JSONField(_("干部绩效"), default=list)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("计算人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审定时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("年度考核结果")
        verbose_name_plural = _("年度考核结果")
        ordering = ["-year", "town_id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "year"], name="assessment_once_per_town_year"),
            models.CheckConstraint(
                condition=Q(status=AssessmentStatus.DRAFT) | Q(approved_at__isnull=False),
                name="assessment_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.year} {self.get_status_display()}"

    @property
    def is_approved(self) -> bool:
        return self.status == AssessmentStatus.APPROVED


def export_path(instance: ExportJob, filename: str) -> str:
    # A random name (not the token): the file is served only through the download view, never by its URL.
    return random_name("exports", suffix="xlsx")


class ExportJob(models.Model):
    """One ledger export: the log row (who, what, scope, params, when) and, once written, the file."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("台账"), max_length=20, choices=LedgerKind.choices)
    place = models.ForeignKey(Place, verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+")
    params = models.JSONField(_("参数"), default=dict)
    full_numbers = models.BooleanField(_("完整号码"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    # Private: served only by reports.views.export_download to the requester while not expired.
    file = models.FileField(_("文件"), upload_to=export_path, storage=get_private_storage, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("下载截止"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("下载次数"), default=0)
    last_downloaded_at = models.DateTimeField(_("最近下载"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="export_user_time_idx")]
        permissions = [
            ("view_full_numbers", _("导出完整电话和身份证号")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.place} · {self.created_at:%Y-%m-%d %H:%M}"

    def is_downloadable(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == ExportStatus.DONE
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > now
        )

    @property
    def filename(self) -> str:
        start, end = self.params.get("start", ""), self.params.get("end_inclusive", "")
        return f"{self.get_kind_display()}_{self.place.name}_{start}_{end}.xlsx"
