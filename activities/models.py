"""新时代文明实践: practice stations (所 at the town, 站 in a village), activities, sign-ups with attendance and hours.

Every row that belongs somewhere keeps a copy of its station's place path (`path`), so scoping is the usual
prefix query (members.access). Attendance and hours live on the sign-up: one row per member and activity.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.enums import PlaceKind
from grids.models import PathCopy, PathIndex, Place
from grids.private import get_private_storage, random_name
from members.models import Member

from .enums import ActivityKind, ActivityStatus, RequiredGroup, SignUpStatus


class Station(PathCopy):
    place = models.OneToOneField(
        Place,
        verbose_name=_("所属镇/村"),
        on_delete=models.PROTECT,
        related_name="practice_station",
        limit_choices_to={"kind__in": [PlaceKind.TOWN, PlaceKind.VILLAGE]},
    )
    name = models.CharField(_("名称"), max_length=100)
    path_from = ("place",)

    class Meta:
        verbose_name = _("新时代文明实践所/站")
        verbose_name_plural = _("新时代文明实践所/站")
        ordering = ["path"]
        indexes = [PathIndex(fields=["path"], name="station_path_idx")]

    def __str__(self) -> str:
        return self.name


class ActivityTemplate(models.Model):
    """A usual date of the year (春节 送温暖, 重阳 敬老 …) that staff copy into a real activity."""

    title = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=ActivityKind.choices)
    month = models.PositiveSmallIntegerField(
        _("月"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(_("日"), validators=[MinValueValidator(1), MaxValueValidator(28)])
    description = models.TextField(_("说明"), blank=True)
    hours = models.DecimalField(_("志愿服务时长(小时)"), max_digits=4, decimal_places=1, default=Decimal(2))
    capacity = models.PositiveIntegerField(_("名额"), default=30)
    required = models.CharField(_("必须参加"), max_length=20, choices=RequiredGroup.choices, blank=True)

    class Meta:
        verbose_name = _("活动模板")
        verbose_name_plural = _("活动模板")
        ordering = ["month", "day", "title"]

    def __str__(self) -> str:
        return f"{self.month}/{self.day} {self.title}"


class LectureTeam(models.Model):
    """宣讲队: members of a station who explain policy; its sessions are activities with `team` set."""

    station = models.ForeignKey(
        Station, verbose_name=_("实践所/站"), on_delete=models.PROTECT, related_name="lecture_teams"
    )
    name = models.CharField(_("名称"), max_length=100)
    topics = models.TextField(_("宣讲主题"), blank=True, help_text=_("每行一个主题"))
    members = models.ManyToManyField(Member, verbose_name=_("队员"), related_name="lecture_teams", blank=True)
    leader = models.ForeignKey(
        Member,
        verbose_name=_("队长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_lecture_teams",
        help_text=_("队长可在宣讲队页面登记宣讲"),
    )

    class Meta:
        verbose_name = _("宣讲队")
        verbose_name_plural = _("宣讲队")
        ordering = ["station__path", "name"]
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="lecture_team_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def topic_list(self) -> list[str]:
        return [t.strip() for t in self.topics.splitlines() if t.strip()]


class Activity(PathCopy):
    station = models.ForeignKey(
        Station, verbose_name=_("实践所/站"), on_delete=models.PROTECT, related_name="activities"
    )
    path_from = ("station",)
    template = models.ForeignKey(
        ActivityTemplate, verbose_name=_("模板"), null=True, blank=True, on_delete=models.SET_NULL
    )
    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=ActivityKind.choices)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    location = models.CharField(_("地点"), max_length=200)
    organiser = models.ForeignKey(
        Member, verbose_name=_("组织者"), on_delete=models.PROTECT, related_name="organised_activities"
    )
    capacity = models.PositiveIntegerField(_("名额"), default=30, help_text=_("0 表示不限"))
    hours = models.DecimalField(_("志愿服务时长(小时)"), max_digits=4, decimal_places=1, default=Decimal(2))
    description = models.TextField(_("说明"), blank=True)
    required = models.CharField(_("必须参加"), max_length=20, choices=RequiredGroup.choices, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    team = models.ForeignKey(
        LectureTeam,
        verbose_name=_("宣讲队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    contact = models.ForeignKey(
        "visits.Contact",
        verbose_name=_("记为屋场夜话"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("实践活动")
        verbose_name_plural = _("实践活动")
        ordering = ["starts_at", "id"]
        indexes = [
            PathIndex(fields=["path"], name="activity_path_idx"),
            models.Index(fields=["starts_at"], name="activity_starts_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="activity_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_training(self) -> bool:
        return self.kind == ActivityKind.TRAINING


class SignUp(models.Model):
    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="signups"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="signups"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=SignUpStatus.choices, default=SignUpStatus.SIGNED
    )
    signed_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    attended = models.BooleanField(_("已参加"), null=True, blank=True)
    hours = models.DecimalField(
        _("志愿服务时长(小时)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(24))],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报名与出勤")
        verbose_name_plural = _("报名与出勤")
        ordering = ["activity_id", "signed_at", "id"]
        indexes = [models.Index(fields=["member", "attended"], name="signup_member_idx")]
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="signup_once"),
            models.CheckConstraint(condition=Q(hours__gte=0) & Q(hours__lte=24), name="signup_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.activity}"


def activity_photo_path(instance: ActivityPhoto, filename: str) -> str:
    # The original name may hold a phone number or a person's name: store under a random name.
    return random_name("activities", suffix="jpg")


class ActivityPhoto(models.Model):
    """A photo of an activity once held. Private: served by activities.views.activity_photo to those who see
    the activity; `thumb` is a small copy for the activity page."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("照片"), upload_to=activity_photo_path, storage=get_private_storage)
    thumb = models.ImageField(_("缩略图"), upload_to=activity_photo_path, storage=get_private_storage)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("活动照片")
        verbose_name_plural = _("活动照片")
        ordering = ["activity_id", "id"]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.image.name}"
