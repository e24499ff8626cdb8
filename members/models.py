"""People (联户主体), their organisational posts, and links (联系) between people and places or households."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.append_only import EventLog
from grids.enums import PlaceKind
from grids.models import Department, Household, PathCopy, PathIndex, Place
from grids.validators import mask_phone, normalize_phone, validate_phone

from .enums import (
    LINK_TARGET,
    ROLE_LINK_TYPES,
    AccessAction,
    ExemptReason,
    LinkType,
    MemberRole,
    PositionKind,
    TargetKind,
    VillageSubRole,
)


def new_scope_version() -> int:
    """A fresh random stamp for Member.scope_version (random, not a counter: a change rolled back and another
    one made never bring back a stamp some process has cached)."""
    return secrets.randbits(62)


class Member(PathCopy):
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20, blank=True, validators=[validate_phone])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    role = models.CharField(_("身份"), max_length=20, choices=MemberRole.choices)
    village_subrole = models.CharField(
        _("村干部类别"), max_length=20, choices=VillageSubRole.choices, blank=True
    )
    is_party_member = models.BooleanField(_("党员"), default=False)
    is_migrant = models.BooleanField(
        _("流动党员"), default=False, help_text=_("在外流动的党员,由村(社区)党员干部联系")
    )
    home = models.ForeignKey(
        Place, verbose_name=_("所在地"), on_delete=models.PROTECT, related_name="members"
    )
    path_from = ("home",)
    path = PathCopy.path_field(_("所在地路径"))
    unit = models.CharField(_("单位/职务"), max_length=100, blank=True)
    is_exempt = models.BooleanField(_("免于联户"), default=False)
    exempt_reason = models.CharField(
        _("免于联户原因"), max_length=20, choices=ExemptReason.choices, blank=True
    )
    exempt_note = models.CharField(_("免于联户说明"), max_length=200, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    wecom_userid = models.CharField(
        _("企业微信账号"), max_length=64, blank=True, help_text=_("企业微信通讯录中的成员账号")
    )
    # Channels the member turned off on their profile page (notifications/channels/prefs.py).
    muted_channels = models.JSONField(_("关闭的提醒渠道"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Where the member lives, when known (pairing prefers households nearby; pairing/solver.py).
    latitude = models.DecimalField(_("纬度"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=8, decimal_places=5, null=True, blank=True)
    # Changes whenever what the member's login may see changes (their posts, their links, a move of the places
    # they hold): computed scopes are kept per process under it (members/access.py, scope_changed).
    scope_version = models.BigIntegerField(default=new_scope_version, editable=False)

    class Meta:
        verbose_name = _("联户人员")
        verbose_name_plural = _("联户人员")
        ordering = ["path", "name"]
        indexes = [
            PathIndex(fields=["path"], name="member_path_idx"),
            models.Index(fields=["name"]),
            # The few exempt members' ids, read from the index alone: compliance tests "held by an exempt
            # member" against this small set (a hashed subplan) instead of joining a city's 47,000 members.
            models.Index(fields=["id"], condition=Q(is_exempt=True), name="member_exempt_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="member_unique_phone"),
            models.CheckConstraint(
                condition=Q(is_exempt=False) | ~Q(exempt_reason=""), name="member_exempt_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.phone = normalize_phone(self.phone)
        if self.is_exempt and not self.exempt_reason:
            raise ValidationError({"exempt_reason": _("免于联户必须说明原因")})

    def save(self, *args, **kwargs) -> None:
        self.phone = normalize_phone(self.phone)
        # scope_version is written only when the row is created and by members.access.scope_changed: a full
        # save of an instance read earlier must not put back a stamp changed since (a post removed meanwhile
        # would show again through the scope kept under the old stamp).
        if (
            not self._state.adding
            and self.pk is not None
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "scope_version"
            ]
        super().save(*args, **kwargs)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class PositionQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None) -> "PositionQuerySet":
        on = on or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=on), start_date__lte=on)


class Position(models.Model):
    """An organisational post: leading group, grid head, village officer (专干), centre staff, handler..."""

    member = models.ForeignKey(
        Member, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="positions"
    )
    kind = models.CharField(_("职务"), max_length=20, choices=PositionKind.choices)
    place = models.ForeignKey(
        Place,
        verbose_name=_("负责的地点/网格"),
        on_delete=models.PROTECT,
        related_name="positions",
        help_text=_("镇级职务填镇;专干填村(社区);网格长填网格"),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handlers",
    )
    start_date = models.DateField(_("开始日期"), default=timezone.localdate)
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("职务")
        verbose_name_plural = _("职务")
        ordering = ["place__path", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=PositionKind.DEPT_HANDLER) | Q(department__isnull=False),
                name="position_handler_has_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.get_kind_display()} {self.member}"

    def clean(self) -> None:
        expected = {
            PositionKind.VILLAGE_OFFICER: {PlaceKind.VILLAGE},
            PositionKind.GRID_HEAD: {PlaceKind.GRID3, PlaceKind.GRID4},
            PositionKind.CITY_LEADER: {PlaceKind.CITY},
            PositionKind.CITY_OFFICE: {PlaceKind.CITY},
        }.get(self.kind, {PlaceKind.TOWN, PlaceKind.CITY})
        if self.place_id and self.place.kind not in expected:
            raise ValidationError({"place": _("该职务对应的地点层级不正确")})
        if self.kind == PositionKind.DEPT_HANDLER and not self.department_id:
            raise ValidationError({"department": _("部门经办人必须选择部门")})


class LinkQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None) -> "LinkQuerySet":
        on = on or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=on), start_date__lte=on)

    def households(self) -> "LinkQuerySet":
        return self.filter(household__isnull=False)


def link_refusals(*, role: str, is_exempt: bool, link_type: str) -> list[tuple[str, str]]:
    """Why a member of `role` (exempt from linking or not) may not start a link of `link_type`, as (field,
    message) pairs, most telling first; empty if they may. The one rule: Link.clean asks here (so the admin
    and every service that saves through full_clean), and the census import for rows not saved yet."""
    refusals = []
    if link_type not in ROLE_LINK_TYPES.get(role, set()):
        labels = {"role": MemberRole(role).label if role in MemberRole.values else role}
        labels["type"] = LinkType(link_type).label if link_type in LinkType.values else link_type
        refusals.append(
            (
                "link_type",
                _("身份为“%(role)s”的人员不能建立“%(type)s”") % labels,
            )
        )
    if is_exempt:
        refusals.append(("member", _("该人员已免于联户,不能再建立联系")))
    return refusals


class Link(PathCopy):
    """联系: a member answers for a target (the town, a village, a grid, a household or a migrant member).

    Reassigning ends the old link (end_date) and starts a new one, so history is kept.
    """

    member = models.ForeignKey(
        Member, verbose_name=_("联户人员"), on_delete=models.PROTECT, related_name="links"
    )
    link_type = models.CharField(_("联系类型"), max_length=20, choices=LinkType.choices)
    place = models.ForeignKey(
        Place,
        verbose_name=_("联系的镇/村/网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="links",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("联系户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="links",
    )
    migrant = models.ForeignKey(
        Member,
        verbose_name=_("联系的流动党员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="linked_by",
    )
    path_from = ("household", "place", "migrant")
    path = PathCopy.path_field(_("目标路径"))
    start_date = models.DateField(_("开始日期"), default=timezone.localdate)
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = LinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("联系")
        verbose_name_plural = _("联系")
        ordering = ["member_id", "link_type", "start_date"]
        indexes = [
            PathIndex(fields=["path"], name="link_path_idx"),
            # A place's links of a few types (compliance's place-targeted part: a town's 89 grid, village and
            # town links among its 15,105) without reading the others: 8.0 → 1.9 ms in a 30-town city.
            PathIndex(fields=["link_type", "path"], name="link_type_path_idx"),
            models.Index(fields=["member", "end_date"]),
            models.Index(fields=["household", "end_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(place__isnull=False, household__isnull=True, migrant__isnull=True)
                    | Q(place__isnull=True, household__isnull=False, migrant__isnull=True)
                    | Q(place__isnull=True, household__isnull=True, migrant__isnull=False)
                ),
                name="link_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="link_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.target}"

    @property
    def target(self):
        return self.household or self.place or self.migrant

    @property
    def target_kind(self) -> str:
        return LINK_TARGET[LinkType(self.link_type)]

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)

    def clean(self) -> None:
        kind = LINK_TARGET.get(self.link_type)
        errors = {}
        if kind == TargetKind.HOUSEHOLD and not self.household_id:
            errors["household"] = _("该联系类型的对象是户")
        if kind == TargetKind.MIGRANT and not self.migrant_id:
            errors["migrant"] = _("该联系类型的对象是流动党员")
        if kind in (TargetKind.TOWN, TargetKind.VILLAGE, TargetKind.GRID):
            wanted = {
                TargetKind.TOWN: {PlaceKind.TOWN},
                TargetKind.VILLAGE: {PlaceKind.VILLAGE},
                TargetKind.GRID: {PlaceKind.GRID3},
            }[kind]
            if not self.place_id or self.place.kind not in wanted:
                errors["place"] = _("该联系类型的对象应为:%(kind)s") % {"kind": TargetKind(kind).label}
        if self.migrant_id and not self.migrant.is_migrant:
            errors["migrant"] = _("所选人员不是流动党员")
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("结束日期不能早于开始日期")
        if self.member_id and self.link_type and self._holder_changed():
            for field, message in link_refusals(
                role=self.member.role, is_exempt=self.member.is_exempt, link_type=self.link_type
            ):
                errors.setdefault(field, message)
        if errors:
            raise ValidationError(errors)

    def _holder_changed(self) -> bool:
        """A new link, or one whose member or type changed: only then do the role and exemption rules apply
        (a member exempted later keeps their links until someone ends them, and may have them ended)."""
        if self._state.adding or self.pk is None:
            return True
        before = type(self).objects.filter(pk=self.pk).values_list("member_id", "link_type").first()
        return before != (self.member_id, self.link_type)


# --- the access log (services in members/privacy.py) ---------------------------------------------------------


class AccessLog(EventLog):
    """访问日志: who revealed a full number, exported or downloaded one, imported a census, or changed a link or a
    post; when, and from which address. Append-only, like the issue events; the discipline commission reads it.

    `place_path` is the path of the place the row concerns (household, member, link, post, export or census
    town) at the time, so each town reads its own log. It is not named `path`: path copies are rewritten
    when places move (grids.services), and this log is never rewritten. `detail` never holds a phone or ID number (members.privacy.access_log refuses them).
    """

    action = models.CharField(_("动作"), max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(_("对象类型"), max_length=30, blank=True)
    object_id = models.PositiveBigIntegerField(_("对象编号"), null=True, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    place_path = models.CharField(_("地点路径"), max_length=255, blank=True, default="")
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("访问日志")
        verbose_name_plural = _("访问日志")
        ordering = ["-created_at", "-id"]
        indexes = [
            PathIndex(fields=["place_path"], name="accesslog_path_idx"),
            models.Index(fields=["action", "created_at"], name="accesslog_action_idx"),
            models.Index(fields=["actor", "created_at"], name="accesslog_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"
