"""Award rounds (mid-year / year-end), their award types and criteria weights, nominations, the event log,
corrections (整改) that exclude a member, and the flags an award leaves on a person or grid.

Writes go through rewards.services; a published round is frozen: services refuse every change, and the
winners' names, places, payees and scores are copied onto the nominations so later edits elsewhere cannot
change a published list or payout ledger.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.append_only import EventLog
from grids.models import Department, PathCopy, Place
from members.models import Member

from .enums import AwardKind, Criterion, EventAction, FlagKind, Half, RoundStatus

DEFAULT_PRIZE = Decimal("400.00")


def _award_subject(related_name: str) -> tuple[models.ForeignKey, models.ForeignKey]:
    """The (member, place) fields of what an award is about: a person or a grid, one of the two."""
    return (
        models.ForeignKey(
            Member,
            verbose_name=_("人员"),
            null=True,
            blank=True,
            on_delete=models.PROTECT,
            related_name=related_name,
        ),
        models.ForeignKey(
            Place,
            verbose_name=_("网格"),
            null=True,
            blank=True,
            on_delete=models.PROTECT,
            related_name=related_name,
        ),
    )


def _member_or_place(name: str) -> models.CheckConstraint:
    """Exactly one of member and place (the pair from _award_subject)."""
    return models.CheckConstraint(
        condition=Q(member__isnull=False, place__isnull=True) | Q(member__isnull=True, place__isnull=False),
        name=name,
    )


class AwardTypeDefault(models.Model):
    """The work plan's award types, copied into a town's first round (later rounds copy the previous one)."""

    name = models.CharField(_("奖项"), max_length=50)
    kind = models.CharField(_("评选对象"), max_length=20, choices=AwardKind.choices)
    places = models.PositiveSmallIntegerField(_("名额"), validators=[MinValueValidator(1)])
    prize = models.DecimalField(_("奖金(元)"), max_digits=8, decimal_places=2, default=DEFAULT_PRIZE)
    office_name = models.CharField(_("组织部门"), max_length=100)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("默认奖项")
        verbose_name_plural = _("默认奖项")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name}({self.get_kind_display()})"


class AwardRound(models.Model):
    town = models.ForeignKey(
        Place, verbose_name=_("镇"), on_delete=models.PROTECT, related_name="award_rounds"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    half = models.CharField(_("评选"), max_length=5, choices=Half.choices)
    period_start = models.DateField(_("统计开始日期"))
    period_end = models.DateField(_("统计截止日期"), help_text=_("含当天"))
    status = models.CharField(
        _("状态"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评选批次")
        verbose_name_plural = _("评选批次")
        ordering = ["-year", "-half", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "year", "half"], name="award_round_unique"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="award_round_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.year}年{self.get_half_display()}评选"

    @property
    def title(self) -> str:
        return _("%(year)s年%(half)s评优") % {"year": self.year, "half": self.get_half_display()}

    @property
    def is_frozen(self) -> bool:
        return self.status == RoundStatus.PUBLISHED

    @property
    def period_end_exclusive(self) -> datetime.date:
        return self.period_end + datetime.timedelta(days=1)


class AwardType(models.Model):
    round = models.ForeignKey(
        AwardRound, verbose_name=_("评选批次"), on_delete=models.CASCADE, related_name="types"
    )
    name = models.CharField(_("奖项"), max_length=50)
    kind = models.CharField(_("评选对象"), max_length=20, choices=AwardKind.choices)
    places = models.PositiveSmallIntegerField(_("名额"), validators=[MinValueValidator(1)])
    prize = models.DecimalField(_("奖金(元)"), max_digits=8, decimal_places=2, default=DEFAULT_PRIZE)
    office = models.ForeignKey(
        Department, verbose_name=_("组织部门"), on_delete=models.PROTECT, related_name="award_types"
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("奖项")
        verbose_name_plural = _("奖项")
        ordering = ["round_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name", "kind"], name="award_type_unique_in_round"),
            models.CheckConstraint(condition=Q(places__gte=1), name="award_type_places_positive"),
            models.CheckConstraint(condition=Q(prize__gte=0), name="award_type_prize_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.get_kind_display()})"


class CriterionWeight(models.Model):
    """How much one criterion counts in this round (0 switches it off). Shown next to every score."""

    round = models.ForeignKey(
        AwardRound, verbose_name=_("评选批次"), on_delete=models.CASCADE, related_name="weights"
    )
    criterion = models.CharField(_("指标"), max_length=20, choices=Criterion.choices)
    weight = models.DecimalField(
        _("权重"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("评分权重")
        verbose_name_plural = _("评分权重")
        ordering = ["round_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "criterion"], name="criterion_weight_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_criterion_display()} {self.weight}"


class Nomination(models.Model):
    """A candidate put forward by the organising office; after publication, a winner.

    `rank`, `score` and `components` are the ranking at nomination time; `reason` is required when the
    candidate was not within the award's places. Name, place and payee are copied at publication.
    """

    award_type = models.ForeignKey(
        AwardType, verbose_name=_("奖项"), on_delete=models.CASCADE, related_name="nominations"
    )
    member, place = _award_subject("award_nominations")
    rank = models.PositiveIntegerField(_("推荐时排名"), null=True, blank=True)
    score = models.DecimalField(_("推荐时得分"), max_digits=7, decimal_places=2, default=Decimal(0))
    components = models.JSONField(_("得分构成"), default=list, blank=True)
    reason = models.TextField(_("推荐理由"), blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("推荐人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    nominated_at = models.DateTimeField(_("推荐时间"), auto_now_add=True)
    # Copied at publication (frozen).
    winner_name = models.CharField(_("获奖对象"), max_length=100, blank=True)
    area_label = models.CharField(_("所在村/网格"), max_length=200, blank=True)
    payee = models.ForeignKey(
        Member, verbose_name=_("领奖人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payee_name = models.CharField(_("领奖人姓名"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("推荐/获奖")
        verbose_name_plural = _("推荐/获奖")
        ordering = ["award_type_id", "rank", "id"]
        constraints = [
            _member_or_place("nomination_member_or_place"),
            models.UniqueConstraint(
                fields=["award_type", "member"],
                condition=Q(member__isnull=False),
                name="nomination_member_once",
            ),
            models.UniqueConstraint(
                fields=["award_type", "place"], condition=Q(place__isnull=False), name="nomination_place_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.award_type} · {self.subject_name}"

    @property
    def subject(self):
        return self.member or self.place

    @property
    def subject_name(self) -> str:
        return self.winner_name or str(self.subject)


class RoundEvent(EventLog):
    """Who did what to a round and when. Append-only: never edited, never deleted."""

    round = models.ForeignKey(
        AwardRound, verbose_name=_("评选批次"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("动作"), max_length=20, choices=EventAction.choices)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("评选记录")
        verbose_name_plural = _("评选记录")
        ordering = ["round_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.round_id} {self.get_action_display()} {self.actor_name}"


class Correction(models.Model):
    """整改: the town found a member's contact records wanting (false, copied or padded records).

    A member is left out of the rankings of every round whose period began before the correction was closed
    (rewards.selectors.corrections_overlapping). Town staff and the discipline commission open and close them.
    """

    member = models.ForeignKey(
        Member, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="corrections"
    )
    reason = models.TextField(_("整改原因"))
    opened_at = models.DateField(_("列入整改日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("列入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateField(_("整改完成日期"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("走访整改")
        verbose_name_plural = _("走访整改")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=models.F("opened_at")),
                name="correction_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.opened_at}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AwardFlag(PathCopy):
    """A consequence of an award on a person or a grid (priority in other selections), kept for ever."""

    nomination = models.ForeignKey(
        Nomination, verbose_name=_("获奖"), on_delete=models.PROTECT, related_name="flags"
    )
    kind = models.CharField(_("激励"), max_length=20, choices=FlagKind.choices)
    member, place = _award_subject("award_flags")
    path_from = ("member", "place")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("获奖激励")
        verbose_name_plural = _("获奖激励")
        ordering = ["-created_at", "id"]
        constraints = [
            _member_or_place("award_flag_member_or_place"),
            models.UniqueConstraint(fields=["nomination", "kind"], name="award_flag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member or self.place} {self.get_kind_display()}"
