"""Issues (诉求/问题/矛盾纠纷/安全隐患), the escalation ladder, whistles to departments, supervision, feedback.

An issue belongs to a household or a place and carries a copy of its materialized `path`, so scoping is the
same prefix query as everywhere else. Every change goes through issues.services and leaves an IssueEvent;
events are append-only. `version` grows with every change of level or status: forms carry it, and a stale
version means someone else acted first.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.append_only import EventLog
from grids.dates import current_time
from grids.models import Department, Household, PathCopy, PathIndex, Place
from grids.private import get_private_storage, random_name
from members.models import Member

from .deadlines import deadline_after, is_overdue
from .enums import (
    ACTIVE_STATUSES,
    AssignmentStatus,
    DurationUnit,
    IssueAction,
    IssueKind,
    IssueLevel,
    IssueStatus,
    Satisfaction,
    Urgency,
    WhistleKind,
)


class IssueCategory(models.Model):
    """The town's list of issue categories (town staff keep it)."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    active = models.BooleanField(_("有效"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


MAX_DURATION_DAYS = 365


class _Duration(models.Model):
    amount = models.PositiveSmallIntegerField(_("时限"))
    unit = models.CharField(_("单位"), max_length=10, choices=DurationUnit.choices)

    class Meta:
        abstract = True

    def deadline_from(self, moment):
        return deadline_after(moment, amount=self.amount, unit=self.unit)

    def clean(self) -> None:
        if not self.amount:
            raise ValidationError({"amount": _("时限必须大于0")})
        # A default deadline longer than a year is a typo (it would put deadlines years ahead).
        limit = MAX_DURATION_DAYS * (24 if self.unit == DurationUnit.HOUR else 1)
        if self.amount > limit:
            raise ValidationError({"amount": _("时限不能超过一年(%(limit)s)") % {"limit": limit}})


class WhistleSetting(_Duration):
    """Default deadline of each whistle kind (town staff may change it)."""

    kind = models.CharField(_("哨型"), max_length=20, choices=WhistleKind.choices, unique=True)

    class Meta:
        verbose_name = _("吹哨时限")
        verbose_name_plural = _("吹哨时限")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}{self.get_unit_display()}"


class LevelSetting(_Duration):
    """Default deadline for an issue at each level below the departments."""

    level = models.CharField(_("层级"), max_length=20, choices=IssueLevel.choices, unique=True)

    class Meta:
        verbose_name = _("分级办理时限")
        verbose_name_plural = _("分级办理时限")
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.amount}{self.get_unit_display()}"


class IssueQuerySet(models.QuerySet):
    def active(self) -> "IssueQuerySet":
        return self.filter(status__in=ACTIVE_STATUSES)

    def overdue(self, now) -> "IssueQuerySet":
        return self.active().filter(deadline__lt=now)

    def under(self, path: str) -> "IssueQuerySet":
        return self.filter(path__startswith=path)


class Issue(PathCopy):
    kind = models.CharField(_("类型"), max_length=20, choices=IssueKind.choices, default=IssueKind.DEMAND)
    category = models.ForeignKey(
        IssueCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="issues"
    )
    urgency = models.CharField(_("紧急程度"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("情况描述"))
    household = models.ForeignKey(
        Household,
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issues",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("地点/网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issues",
    )
    path_from = ("household", "place")
    contact = models.ForeignKey(
        "visits.Contact",
        verbose_name=_("来源走访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issues",
    )
    raised_by = models.ForeignKey(
        Member, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="raised_issues"
    )
    raised_at = models.DateTimeField(_("提出时间"), default=current_time, editable=False)
    level = models.CharField(
        _("当前层级"), max_length=20, choices=IssueLevel.choices, default=IssueLevel.ON_SPOT
    )
    status = models.CharField(_("状态"), max_length=20, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    deadline = models.DateTimeField(_("办理期限"), null=True, blank=True)
    whistle_kind = models.CharField(_("哨型"), max_length=20, choices=WhistleKind.choices, blank=True)
    result = models.TextField(_("办理结果"), blank=True)
    resolved_level = models.CharField(_("办结层级"), max_length=20, choices=IssueLevel.choices, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=20, choices=Satisfaction.choices, blank=True)
    last_supervision_note = models.CharField(_("最近督办意见"), max_length=500, blank=True)
    last_supervised_at = models.DateTimeField(_("最近督办时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("诉求/问题")
        verbose_name_plural = _("诉求/问题")
        ordering = ["-raised_at", "-id"]
        indexes = [
            PathIndex(fields=["path"], name="issue_path_idx"),
            models.Index(fields=["level", "status"], name="issue_level_status_idx"),
            models.Index(fields=["status", "deadline"], name="issue_status_deadline_idx"),
            models.Index(fields=["raised_by", "status"], name="issue_raiser_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=False, place__isnull=True)
                | Q(household__isnull=True, place__isnull=False),
                name="issue_household_or_place",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"

    @property
    def subject(self) -> str:
        return str(self.household.head_name if self.household_id else self.place.label)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_active and is_overdue(self.deadline)


def photo_path(instance: "IssuePhoto", filename: str) -> str:
    # The original file name may hold a phone number or a person's name: store under a random name.
    return random_name("issues", suffix="jpg")


class IssuePhoto(models.Model):
    issue = models.ForeignKey(
        Issue, verbose_name=_("诉求/问题"), on_delete=models.CASCADE, related_name="photos"
    )
    # Private: served only by issues.views.photo to those who see the issue.
    image = models.ImageField(_("照片"), upload_to=photo_path, storage=get_private_storage)
    uploaded_by = models.ForeignKey(
        Member, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.issue_id} {self.pk}"


class WhistleAssignment(models.Model):
    """One department's share of a whistled issue, with its own status and deadline."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("诉求/问题"), on_delete=models.PROTECT, related_name="assignments"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="issue_assignments"
    )
    kind = models.CharField(_("哨型"), max_length=20, choices=WhistleKind.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    deadline = models.DateTimeField(_("办理期限"))
    note = models.CharField(_("交办说明"), max_length=500, blank=True)
    result = models.TextField(_("办理结果"), blank=True)
    reason = models.TextField(_("退回理由"), blank=True)
    whistled_at = models.DateTimeField(_("吹哨时间"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        Member, verbose_name=_("答复人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("吹哨交办")
        verbose_name_plural = _("吹哨交办")
        ordering = ["issue_id", "id"]
        indexes = [models.Index(fields=["department", "status"], name="assignment_dept_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["issue", "department"], name="assignment_unique_department"),
        ]

    def __str__(self) -> str:
        return f"#{self.issue_id} → {self.department}"

    @property
    def is_open(self) -> bool:
        return self.status in (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and is_overdue(self.deadline)


class IssueEvent(EventLog):
    """One change of an issue. Append-only: never edited, never deleted."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("诉求/问题"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("动作"), max_length=20, choices=IssueAction.choices)
    from_level = models.CharField(_("原层级"), max_length=20, choices=IssueLevel.choices, blank=True)
    to_level = models.CharField(_("新层级"), max_length=20, choices=IssueLevel.choices, blank=True)
    from_status = models.CharField(_("原状态"), max_length=20, choices=IssueStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=IssueStatus.choices, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    whistle_kind = models.CharField(_("哨型"), max_length=20, choices=WhistleKind.choices, blank=True)
    deadline = models.DateTimeField(_("新期限"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.issue_id} {self.get_action_display()}"


class IssueFeedback(models.Model):
    """The household's satisfaction, recorded by the member on a return contact (回访)."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("诉求/问题"), on_delete=models.PROTECT, related_name="feedback"
    )
    satisfaction = models.CharField(_("满意度"), max_length=20, choices=Satisfaction.choices)
    note = models.TextField(_("群众意见"), blank=True)
    contact = models.ForeignKey(
        "visits.Contact",
        verbose_name=_("回访记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issue_feedback",
    )
    recorded_by = models.ForeignKey(
        Member, verbose_name=_("回访人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("回访时间"), default=current_time, editable=False)

    class Meta:
        verbose_name = _("回访评价")
        verbose_name_plural = _("回访评价")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"#{self.issue_id} {self.get_satisfaction_display()}"
