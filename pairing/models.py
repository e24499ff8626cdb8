"""A pairing proposal (配对建议) and its lines; applied, the lines point at the links they created or ended.

Members sit below pairing in the layers (docs/architecture.md), so the reference goes from here to the link:
`PairingLine.link` is the link a line created or ended, and `link.pairing_lines` reads a link's batches back.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Household, PathCopy, PathIndex, Place
from members.enums import LinkType
from members.models import Link, Member

from .enums import BatchStatus, LineAction, LineOutcome, PairingMode, Reason


class PairingBatch(PathCopy):
    place = models.ForeignKey(
        Place, verbose_name=_("范围"), on_delete=models.PROTECT, related_name="pairing_batches"
    )
    path_from = ("place",)
    path = PathCopy.path_field(_("范围路径"))
    mode = models.CharField(_("方式"), max_length=20, choices=PairingMode.choices)
    subject = models.ForeignKey(
        Member,
        verbose_name=_("离开/免于联户的人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.DRAFT
    )
    summary = models.JSONField(_("概况"), default=dict, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("应用人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("应用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("配对批次")
        verbose_name_plural = _("配对批次")
        ordering = ["-created_at", "-id"]
        indexes = [PathIndex(fields=["path"], name="pairing_batch_path_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.place} {self.get_mode_display()}"


class PairingLine(models.Model):
    batch = models.ForeignKey(
        PairingBatch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="lines"
    )
    action = models.CharField(_("操作"), max_length=10, choices=LineAction.choices)
    link_type = models.CharField(_("联系类型"), max_length=20, choices=LinkType.choices)
    member = models.ForeignKey(Member, verbose_name=_("联户人员"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, verbose_name=_("户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        Place, verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    migrant = models.ForeignKey(
        Member, verbose_name=_("流动党员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("理由"), max_length=20, choices=Reason.choices)
    metres = models.PositiveIntegerField(_("距离(米)"), null=True, blank=True)
    is_key = models.BooleanField(_("重点户"), default=False)
    link = models.ForeignKey(
        Link,
        verbose_name=_("联系"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairing_lines",
        help_text=_("结束联系:要结束的联系;新建联系:应用后建立的联系"),
    )
    outcome = models.CharField(
        _("结果"), max_length=10, choices=LineOutcome.choices, default=LineOutcome.PENDING, blank=True
    )
    outcome_note = models.CharField(_("结果说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("配对明细")
        verbose_name_plural = _("配对明细")
        ordering = ["batch_id", "member_id", "action", "id"]
        indexes = [models.Index(fields=["batch", "member"], name="pairing_line_member_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(household__isnull=False, place__isnull=True, migrant__isnull=True)
                    | Q(household__isnull=True, place__isnull=False, migrant__isnull=True)
                    | Q(household__isnull=True, place__isnull=True, migrant__isnull=False)
                ),
                name="pairing_line_exactly_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.member} → {self.target}"

    @property
    def target(self):
        return self.household or self.place or self.migrant
