"""Evidence, signals and verification of contacts (回访核实). See docs/verification.md.

Signals inform people; nothing here changes a member's record by itself. A flag shows a member, the contacts
concerned, the evidence and a plain reason. Verification calls sample a month's contacts; a household saying
"no such contact", or a flag the centre passes on, opens a case that the discipline commission decides.
Every model with a `path` keeps a copy of a place's materialized path (the contact's), like the rest of Lianhu.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import Household, PathCopy, PathIndex, Place
from grids.paths import at_depth
from members.models import Member
from visits.models import Contact, ContactPhoto

from .enums import (
    CallOutcome,
    CaseDecision,
    CaseEventKind,
    CaseStatus,
    FlagStatus,
    LocationStatus,
    SignalKind,
)

_SETTINGS_CACHE: dict[str, tuple[float, SignalSettings]] = {}

DEFAULTS = {
    "far_metres": 500,
    "burst_count": 4,
    "burst_minutes": 60,
    "walk_kmh": 5,
    "same_text_count": 5,
    "same_text_ratio": 90,
    "late_hours": 72,
    "month_end_days": 3,
    "month_end_percent": 60,
    "month_end_min": 6,
    "photo_distance": 6,
    "sample_percent": 3,
    "sample_min": 5,
}


class SignalSettings(models.Model):
    """The thresholds of one town (its centre edits them in the admin); a town without a row uses DEFAULTS."""

    town = models.OneToOneField(
        Place,
        verbose_name=_("镇"),
        on_delete=models.CASCADE,
        related_name="signal_settings",
        limit_choices_to={"kind": "town"},
    )
    far_metres = models.PositiveIntegerField(_("入户走访位置距户超过(米)"), default=DEFAULTS["far_metres"])
    burst_count = models.PositiveSmallIntegerField(_("短时多户:户数"), default=DEFAULTS["burst_count"])
    burst_minutes = models.PositiveSmallIntegerField(_("短时多户:分钟内"), default=DEFAULTS["burst_minutes"])
    walk_kmh = models.PositiveSmallIntegerField(_("步行速度(公里/小时)"), default=DEFAULTS["walk_kmh"])
    same_text_count = models.PositiveSmallIntegerField(
        _("内容雷同:同一人相同内容次数"), default=DEFAULTS["same_text_count"]
    )
    same_text_ratio = models.PositiveSmallIntegerField(
        _("内容雷同:相似度(%)"), default=DEFAULTS["same_text_ratio"]
    )
    late_hours = models.PositiveSmallIntegerField(_("补录过晚:超过(小时)"), default=DEFAULTS["late_hours"])
    month_end_days = models.PositiveSmallIntegerField(
        _("月末集中录入:月末天数"), default=DEFAULTS["month_end_days"]
    )
    month_end_percent = models.PositiveSmallIntegerField(
        _("月末集中录入:占当月比例(%)"), default=DEFAULTS["month_end_percent"]
    )
    month_end_min = models.PositiveSmallIntegerField(
        _("月末集中录入:当月至少条数"), default=DEFAULTS["month_end_min"]
    )
    photo_distance = models.PositiveSmallIntegerField(
        _("照片相似:感知哈希最大差异(位)"), default=DEFAULTS["photo_distance"]
    )
    sample_percent = models.PositiveSmallIntegerField(
        _("回访抽样比例(%)"), default=DEFAULTS["sample_percent"]
    )
    sample_min = models.PositiveSmallIntegerField(_("每村至少抽样条数"), default=DEFAULTS["sample_min"])

    class Meta:
        verbose_name = _("核实规则")
        verbose_name_plural = _("核实规则")

    def __str__(self) -> str:
        return str(self.town)

    @classmethod
    def cached_for_path(cls, path: str) -> SignalSettings:
        """for_path, kept a minute in this process (checked on every contact saved; edited rarely)."""
        town_path = at_depth(path, 2)
        now = time.monotonic()
        hit = _SETTINGS_CACHE.get(town_path)
        if hit is None or hit[0] < now:
            hit = (now + 60, cls.for_path(path))
            _SETTINGS_CACHE[town_path] = hit
        return hit[1]

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        _SETTINGS_CACHE.clear()

    @classmethod
    def for_path(cls, path: str) -> SignalSettings:
        """The settings of the town holding `path` (an unsaved row with the defaults if it has none)."""
        town_path = at_depth(path, 2)  # "/<city>/<town>/"
        found = cls.objects.filter(town__path=town_path).first()
        return found or cls(**DEFAULTS)


class Flag(PathCopy):
    kind = models.CharField(_("信号"), max_length=20, choices=SignalKind.choices)
    member = models.ForeignKey(Member, verbose_name=_("联户人员"), on_delete=models.PROTECT, related_name="+")
    contacts = models.ManyToManyField(Contact, verbose_name=_("涉及的走访"), related_name="flags")
    # Who/what it is about, without personal numbers: distances, minutes, counts, contact ids.
    evidence = models.JSONField(_("依据"), default=dict)
    # One flag per finding: re-running a check (after a correction, every night) updates it, never repeats it.
    key = models.CharField(max_length=200, unique=True)
    month = models.DateField(_("月份"))
    path_from = ()  # the path of the (first) contact concerned, set by verification.services
    status = models.CharField(_("状态"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    review_note = models.CharField(_("核查说明"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异常信号")
        verbose_name_plural = _("异常信号")
        ordering = ["-month", "-id"]
        indexes = [
            PathIndex(fields=["path"], name="vflag_path_idx"),
            models.Index(fields=["member", "month"], name="vflag_member_month_idx"),
            models.Index(fields=["status", "month"], name="vflag_status_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.member}"


class PhotoHash(PathCopy):
    """The perceptual hash of a contact photo (imagehash pHash, 64 bits as 16 hex digits)."""

    photo = models.OneToOneField(ContactPhoto, on_delete=models.CASCADE, related_name="phash")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=16)
    path_from = ("contact",)
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["occurred_at"], name="vphash_time_idx")]

    def __str__(self) -> str:
        return self.value


class LocationProposal(PathCopy):
    """A household's position taken from its first located home visit; counts once the grid head confirms."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="location_proposals")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    latitude = models.DecimalField(max_digits=7, decimal_places=4)
    longitude = models.DecimalField(max_digits=8, decimal_places=4)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    path_from = ("household",)
    status = models.CharField(max_length=10, choices=LocationStatus.choices, default=LocationStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("户位置确认")
        verbose_name_plural = _("户位置确认")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(status="pending"), name="vloc_one_pending_per_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.latitude},{self.longitude}"


class Sample(models.Model):
    """The month's verification sample of one town, reproducible from its seed."""

    town = models.ForeignKey(Place, verbose_name=_("镇"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))
    seed = models.BigIntegerField(_("随机种子"))
    cross_check = models.BooleanField(_("由其他村专干交叉回访"), default=False)
    percent = models.PositiveSmallIntegerField(_("比例(%)"))
    minimum = models.PositiveSmallIntegerField(_("每村至少"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回访抽样")
        verbose_name_plural = _("回访抽样")
        constraints = [models.UniqueConstraint(fields=["town", "month"], name="vsample_one_per_town_month")]

    def __str__(self) -> str:
        return f"{self.town} {self.month:%Y-%m}"


class Call(PathCopy):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="calls")
    contact = models.ForeignKey(
        Contact, verbose_name=_("走访记录"), on_delete=models.CASCADE, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(Place, verbose_name=_("被核实村"), on_delete=models.PROTECT, related_name="+")
    # Officers of this village make the call (cross-check); empty: the centre's staff.
    caller_village = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("回访村")
    )
    flagged = models.BooleanField(_("有异常信号"), default=False)
    path_from = ("household",)
    outcome = models.CharField(
        _("结果"), max_length=12, choices=CallOutcome.choices, default=CallOutcome.PENDING
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("回访核实")
        verbose_name_plural = _("回访核实")
        ordering = ["village_id", "-flagged", "id"]
        constraints = [models.UniqueConstraint(fields=["sample", "contact"], name="vcall_unique_contact")]
        indexes = [PathIndex(fields=["path"], name="vcall_path_idx")]

    def __str__(self) -> str:
        return f"{self.sample} #{self.contact_id}"


class Case(PathCopy):
    contact = models.ForeignKey(
        Contact, verbose_name=_("走访记录"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(Member, verbose_name=_("联户人员"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, verbose_name=_("户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    path_from = ("household",)
    status = models.CharField(_("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    decision = models.CharField(_("认定"), max_length=15, choices=CaseDecision.choices, blank=True)
    reason = models.TextField(_("认定理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(_("立案时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("核实案件")
        verbose_name_plural = _("核实案件")
        ordering = ["-id"]
        indexes = [PathIndex(fields=["path"], name="vcase_path_idx")]
        constraints = [
            # One open case per contact at a time.
            models.UniqueConstraint(fields=["contact"], condition=Q(status="open"), name="vcase_one_open"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.member}"


class CaseEvent(models.Model):
    """Append-only history of a case, like the issue events."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=10, choices=CaseEventKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    text = models.TextField(_("内容"), blank=True)

    class Meta:
        verbose_name = _("案件记录")
        verbose_name_plural = _("案件记录")
        ordering = ["case_id", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("案件记录只能追加,不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("案件记录只能追加,不能删除"))
