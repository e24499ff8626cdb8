"""Contacts (走访记录), their households and photos, the audit trail, and quota rules.

A contact belongs to the member who made it and has one target: a household (home visit, online contact),
several households (屋场夜话 yard meeting), or a place (grid sink-down, on-site stay at a grid, village or the
town). Every household a contact reaches gets a `ContactHousehold` row that repeats the member, kind and time
of the contact: compliance then counts one indexed table for "contacts by this member with this household
in this period", whether the contact was a home visit or a yard meeting.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.dates import current_time
from grids.models import Household, PathCopy, PathIndex, Place
from grids.private import get_private_storage, random_name
from members.enums import LinkType
from members.models import Link, Member

from .enums import DUTY_FIELDS, ContactKind, Period, RevisionAction


class Contact(PathCopy):
    # No index of its own on member or place: contact_member_time_idx and contact_place_member_idx start with
    # them (an index less to write for every contact; migration 0014).
    member = models.ForeignKey(
        Member, verbose_name=_("联户人员"), on_delete=models.PROTECT, related_name="contacts", db_index=False
    )
    kind = models.CharField(_("方式"), max_length=20, choices=ContactKind.choices)
    occurred_at = models.DateTimeField(_("走访时间"))
    household = models.ForeignKey(
        Household,
        verbose_name=_("走访户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("镇/村/网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        db_index=False,
    )
    households = models.ManyToManyField(
        Household,
        through="ContactHousehold",
        verbose_name=_("涉及的户"),
        related_name="reached_by",
        blank=True,
    )
    link = models.ForeignKey(
        Link,
        verbose_name=_("所属联系"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        help_text=_("空:网格长或镇工作人员按职责范围记录"),
    )
    duty_policy = models.BooleanField(_("政策法规宣传到位"), default=False)
    duty_opinion = models.BooleanField(_("社情民意了解到位"), default=False)
    duty_demands = models.BooleanField(_("群众诉求收集到位"), default=False)
    duty_disputes = models.BooleanField(_("矛盾纠纷化解到位"), default=False)
    duty_supervision = models.BooleanField(_("履职监督检查到位"), default=False)
    summary = models.TextField(_("走访情况"), blank=True)
    found_problem = models.BooleanField(_("发现问题"), default=False)
    client_id = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4)
    # Where the phone was when a home visit was recorded (optional; ~10 m is all a check needs, so no finer).
    # Shown to reviewers only, as a distance from the household (verification app), never to other members.
    latitude = models.DecimalField(_("纬度"), max_digits=7, decimal_places=4, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=8, decimal_places=4, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("定位精度(米)"), null=True, blank=True)
    # Decided false by the discipline commission (verification): kept as a record, counted nowhere.
    struck = models.BooleanField(_("认定虚假,不计入"), default=False)
    struck_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    path_from = ("household", "place")
    path = PathCopy.path_field(_("对象路径"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), default=current_time, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            PathIndex(fields=["path"], name="contact_path_idx"),
            models.Index(fields=["member", "occurred_at"], name="contact_member_time_idx"),
            models.Index(fields=["place", "member", "occurred_at"], name="contact_place_member_idx"),
            models.Index(fields=["occurred_at"], name="contact_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=True) | Q(place__isnull=True), name="contact_one_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_kind_display()} · {self.occurred_at:%Y-%m-%d}"

    @property
    def target(self):
        return self.household or self.place

    @property
    def duties(self) -> list[str]:
        return [duty for duty, field in DUTY_FIELDS.items() if getattr(self, field)]

    @property
    def duty_labels(self) -> list[str]:
        return [str(duty.label) for duty, field in DUTY_FIELDS.items() if getattr(self, field)]


class ContactHousehold(models.Model):
    """A household reached by a contact, with the contact's member/kind/time copied for counting."""

    # contact and household: no index of their own, reach_unique_household and reach_hh_time_idx start with them.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="reached", db_index=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="reached", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    # The member's link to this household on the day (set on save when left empty): what it counts towards.
    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.SET_NULL, related_name="reached")
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    occurred_at = models.DateTimeField()

    class Meta:
        verbose_name = _("走访涉及的户")
        verbose_name_plural = _("走访涉及的户")
        indexes = [
            models.Index(fields=["household", "member", "occurred_at"], name="reach_hh_member_time_idx"),
            models.Index(fields=["household", "occurred_at"], name="reach_hh_time_idx"),
            # "Households with no contact this quarter": the quarter's household ids from the index alone.
            models.Index(fields=["occurred_at", "household"], name="reach_time_hh_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["contact", "household"], name="reach_unique_household"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.household_id}"


def photo_path(instance: ContactPhoto, filename: str) -> str:
    # The original name may hold a phone number or a person's name: store under a random name.
    return random_name("visits", suffix="jpg")


class ContactPhoto(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="photos")
    # Private: served only by visits.views.contact_photo to those who see the contact.
    image = models.ImageField(_("照片"), upload_to=photo_path, storage=get_private_storage)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.contact_id} · {self.image.name}"


class ContactRevision(models.Model):
    """Who changed what and when: one row per create or update, with old and new values."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="revisions")
    action = models.CharField(_("操作"), max_length=10, choices=RevisionAction.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("时间"), default=current_time, editable=False)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("走访修改记录")
        verbose_name_plural = _("走访修改记录")
        ordering = ["contact_id", "id"]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.get_action_display()} {self.changed_at:%Y-%m-%d %H:%M}"


KIND_LABELS = dict(ContactKind.choices)  # code → lazy label (translated when shown)
PERIOD_LABELS = dict(Period.choices)


class QuotaRule(models.Model):
    """A minimum: links of `link_type` need `min_count` contacts of `kinds` each `period`.

    A link type may have several rules (households: a home visit a quarter AND an online contact a month);
    a link is on track when none of its rules is overdue. Town staff change rules in the admin.
    """

    link_type = models.CharField(_("联系类型"), max_length=20, choices=LinkType.choices)
    kinds = models.JSONField(_("计入的走访方式"), default=list, help_text=_("走访方式代码列表"))
    period = models.CharField(_("周期"), max_length=10, choices=Period.choices)
    min_count = models.PositiveSmallIntegerField(_("最少次数"), default=1)
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("走访频次要求")
        verbose_name_plural = _("走访频次要求")
        ordering = ["link_type", "period", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(min_count__gte=1), name="quota_min_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_link_type_display()} · {self.label}"

    @property
    def kind_labels(self) -> list[str]:
        return [str(KIND_LABELS[kind]) for kind in self.kinds if kind in KIND_LABELS]

    @property
    def label(self) -> str:
        # PERIOD_LABELS, not get_period_display(), which hashes the field's lazy choices on every call
        # (≈ 0.1 ms; the compliance figures label every rule on every page).
        return _("%(kinds)s %(period)s≥%(n)s次") % {
            "kinds": "/".join(self.kind_labels),
            "period": str(PERIOD_LABELS.get(self.period, self.period)),
            "n": self.min_count,
        }


class LinkTally(models.Model):
    """Contacts counted towards a link in one calendar period, by kind (a counter, kept by visits.signals).

    Compliance joins a link to its tally of the current and the previous period (one row each, unique), so
    a town's 15,000 links are judged with hash joins instead of one index probe per link and rule. Rules
    only choose which kind columns to add up, so changing a rule needs no recount.
    """

    # No index of its own: tally_unique_link_period starts with it.
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="tallies", db_index=False)
    period = models.CharField(max_length=10, choices=Period.choices)
    start = models.DateField()
    home_visit = models.PositiveIntegerField(default=0)
    online = models.PositiveIntegerField(default=0)
    grid_sinkdown = models.PositiveIntegerField(default=0)
    onsite = models.PositiveIntegerField(default=0)
    yard_meeting = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("走访计数")
        verbose_name_plural = _("走访计数")
        indexes = [
            # Covering: a town's tallies of one period are read from the index alone (PostgreSQL).
            models.Index(
                fields=["period", "start", "link"],
                include=["home_visit", "online", "grid_sinkdown", "onsite", "yard_meeting"],
                name="tally_period_start_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["link", "period", "start"], name="tally_unique_link_period"),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} {self.period} {self.start}"


class ContactMonthTally(PathCopy):
    """Contacts per target path, local calendar month and kind, with how many served each duty (a counter).

    What the dashboards add up instead of scanning every contact of a period (reports.selectors): a town's
    year is a few thousand rows (target paths × 12 months × kinds) instead of ~360,000 contacts. Kept by
    visits.signals on every contact created, corrected or deleted one by one; `tallies_rebuild()` recounts
    it after a bulk load. `path` is a copy of the contacts' path: grids.services.place_move rewrites it with
    every other copy, and a household moving grid recounts the paths involved (visits.signals).
    """

    path_from = ()  # the contacts' path, the key of the counter (visits.tallies)
    month = models.DateField(help_text="first day of the month in Asia/Shanghai")
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    contacts = models.PositiveIntegerField(default=0)
    duty_policy = models.PositiveIntegerField(default=0)
    duty_opinion = models.PositiveIntegerField(default=0)
    duty_demands = models.PositiveIntegerField(default=0)
    duty_disputes = models.PositiveIntegerField(default=0)
    duty_supervision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("月度走访计数")
        verbose_name_plural = _("月度走访计数")
        # Covering: a dashboard sums a town's rows of a year straight from the index. In a city they lie
        # scattered over the table's pages (rows are made as the first contact of a month comes, every town
        # at once): 4,400 heap pages read for one town's year, 13 ms, against 154 index pages, 7 ms.
        indexes = [
            PathIndex(
                fields=["path"],
                include=["month", "kind", "contacts", *DUTY_FIELDS.values()],
                name="month_tally_path_cover_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["path", "month", "kind"], name="month_tally_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.month:%Y-%m} {self.kind}"


class LastContact(PathCopy):
    """When a household was last reached by any contact (a counter like the tallies, kept by visits.signals).

    "Households reached this year" and "households with no contact this quarter" are, for a period still
    running (no contact is later than now + CLOCK_SKEW: visits.periods.no_contact_after), "last contact on or after the period's start" and its
    opposite: one indexed read per town instead of probing every household's contacts. Periods already over
    still ask the contacts (reports.selectors, visits.selectors). A separate table rather than a Household
    column, so that saving a household loaded earlier can never write back a stale time.
    """

    household = models.OneToOneField(
        Household, primary_key=True, on_delete=models.CASCADE, related_name="last_contact"
    )
    last_at = models.DateTimeField()
    # A copy of the household's path (the convention: grids.services.place_move and household_paths_sync
    # rewrite it with every other copy), so a town's rows are read from the path index without joining
    # households: in a city, the place's count and list read 15,000 rows, not a join against 450,000.
    path_from = ("household",)

    class Meta:
        verbose_name = _("最近走访")
        verbose_name_plural = _("最近走访")
        indexes = [
            models.Index(fields=["last_at"], name="last_contact_at_idx"),
            # "Reached since": the place's rows with their time, from the index alone (PostgreSQL).
            PathIndex(fields=["path"], include=["last_at", "household"], name="last_contact_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.last_at:%Y-%m-%d %H:%M}"


class TownComplianceSnapshot(models.Model):
    """One town's compliance figures as of a day (visits.snapshots.town_snapshot_take): what the city pages
    show per town, read in one query instead of judging every link of the city on each request.

    Kept by the scheduled job `compliance_snapshots` (dispatch, per town, nightly and hourly in working hours);
    re-running a day replaces that day's row. The figures are the whole town's (the city posts see every town).
    """

    town = models.ForeignKey(Place, verbose_name=_("镇"), on_delete=models.CASCADE, related_name="+")
    on = models.DateField(_("截至日期"))
    computed_at = models.DateTimeField(_("计算时间"))
    total = models.PositiveIntegerField(_("联系总数"), default=0)
    done = models.PositiveIntegerField(_("完成"), default=0)
    due = models.PositiveIntegerField(_("待完成"), default=0)
    overdue = models.PositiveIntegerField(_("逾期"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    uncovered = models.PositiveIntegerField(_("无人联系的户"), default=0)
    households_without_contact = models.PositiveIntegerField(_("本季度未走访的户"), default=0)
    members_without_contact = models.PositiveIntegerField(_("本月未走访的人员"), default=0)
    households_needing_pairing = models.PositiveIntegerField(_("待重新配对的户"), default=0)
    # [{link_type, label, total, done, due, overdue, rules: [{label, period, done, due, overdue}]}]
    by_type = models.JSONField(_("按联系类型"), default=list)

    class Meta:
        verbose_name = _("镇走访达标快照")
        verbose_name_plural = _("镇走访达标快照")
        constraints = [models.UniqueConstraint(fields=["town", "on"], name="town_compliance_snapshot_once")]
        indexes = [models.Index(fields=["town", "-on"], name="town_snapshot_latest_idx")]

    def __str__(self) -> str:
        return f"{self.town_id} {self.on}"

    @property
    def on_track(self) -> int:
        return self.total - self.overdue

    @property
    def share_on_track(self) -> float | None:
        return round(self.on_track / self.total, 4) if self.total else None  # as compliance_summary
