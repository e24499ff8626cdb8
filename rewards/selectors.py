"""Reads: candidates ranked from the round's period data, every score with its components.

Candidates
- 三级/四级网格: every grid of that level in the round's town.
- 网格员: members who held a grid-head post (网格长) or a town-cadre grid link (镇干部联网格) in the town at any
  time in the period.
- 联户党员干部: party members and cadres (town, stationed, village cadres, city leaders and department heads)
  who held a household or migrant link in the town at any time in the period.
Excluded (listed apart, with the reason): exempt members (免于联户), members with a contact dated in the period
that the discipline commission decided false (verification: 统计期内有经镇纪委认定的虚假走访; such contacts count
nowhere, see visits.services.contact_strike), and members with a correction (整改,
rewards.models.Correction) not closed before the period's first day (still open, or open at some time in
or after the period: corrections concern contact records, and a round is ranked until it is published).

Criteria (period = the round's dates, local Asia/Shanghai days, last day included)
- 联系达标率 compliance: share of the current links under the grid that are on track (not overdue) on the
  period's last day (or today if sooner), by visits.selectors.annotate_compliance: the visits rules, not a copy.
- 网格内办结问题数: issues under the grid resolved in the period at the on-spot or grid level.
- 群众满意率: share of return-visit ratings (回访) recorded in the period on the grid's issues that were
  满意 or 基本满意 (0 when there was none).
- 群众回访评价数: the number of those ratings.
- 走访次数: contacts the member made in the period. 五到位覆盖项数: how many of the five duties appear in at least
  one of them (0–5). 收集上报问题数: issues the member raised in the period. 所报问题已办结数: issues raised by the
  member and resolved in the period. 完成调度令数: dispatch orders the member reported done in the period
  (0, with a note, while the dispatch app is not installed).

Points: rates count as they are (0–100); 五到位 is 20 points a duty; other counts are 100 × value / the best
value among the award's candidates (0 when nobody has any). score = Σ(weight × points) / Σ weight, rounded
half up to 2 decimals. Ties (documented rule): higher score, then higher points on the award's first
criterion, then on its second, then the lower id (registered earlier).

Query count: a fixed handful per ranking (candidates, places for labels, one aggregate per data source,
quota rules), whatever the size of the town; the arithmetic runs over the aggregated rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.enums import PlaceKind
from grids.models import Place
from grids.paths import ancestors
from issues.enums import IssueLevel, Satisfaction
from issues.models import Issue, IssueFeedback
from members.access import scope_for
from members.enums import LinkType, MemberRole, PositionKind
from members.models import Link, Member, Position
from visits.enums import DUTY_FIELDS, STATUS_RANK, Status
from visits.models import Contact
from visits.periods import aware_bounds
from visits.selectors import annotate_compliance, rule_groups

from .enums import (
    DEFAULT_WEIGHTS,
    FIXED_SCALE,
    GRID_KINDS,
    RATE_CRITERIA,
    AwardKind,
    Criterion,
    RoundStatus,
    criteria_for,
)
from .models import AwardFlag, AwardRound, AwardType, Correction, CriterionWeight, Nomination

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
CADRE_ROLES = (
    MemberRole.TOWN_CADRE,
    MemberRole.STATIONED_CADRE,
    MemberRole.VILLAGE_CADRE,
    MemberRole.CITY_LEADER,
    MemberRole.CITY_DEPT_HEAD,
)
SOLVED_IN_GRID_LEVELS = (IssueLevel.ON_SPOT, IssueLevel.GRID)
GOOD_SATISFACTION = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


def dispatch_available() -> bool:
    return apps.is_installed("dispatch")


def activities_available() -> bool:
    return apps.is_installed("activities")


def _q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _rate(part: int, total: int) -> Decimal | None:
    return _q2(HUNDRED * part / total) if total else None


# --- scoring -----------------------------------------------------------------------------------------


@dataclass
class Component:
    criterion: str
    label: str
    value: Decimal | int | None  # the raw figure (a rate in %, or a count)
    points: Decimal
    weight: Decimal
    contribution: Decimal  # weight × points / Σ weight

    def as_json(self) -> dict:
        return {
            "criterion": self.criterion,
            "label": str(self.label),
            "value": None if self.value is None else str(self.value),
            "points": str(self.points),
            "weight": str(self.weight),
            "contribution": str(self.contribution),
        }


@dataclass
class RankRow:
    rank: int
    subject: Member | Place
    area_label: str
    score: Decimal
    components: list[Component]
    nominated: bool = False

    @property
    def subject_id(self) -> int:
        return self.subject.pk

    @property
    def name(self) -> str:
        return self.subject.name


@dataclass
class Excluded:
    member: Member
    reasons: list[str]


@dataclass
class Ranking:
    award_type: AwardType
    rows: list[RankRow]
    excluded: list[Excluded] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    weights: dict[str, Decimal] = field(default_factory=dict)

    def position_of(self, subject_id: int) -> RankRow | None:
        return next((row for row in self.rows if row.subject_id == subject_id), None)


def round_weights(round_: AwardRound) -> dict[str, Decimal]:
    """The round's weights, defaults for any criterion without a row; dispatch counts 0 while not installed."""
    weights = {str(c): DEFAULT_WEIGHTS[c] for c in Criterion}
    weights.update({w.criterion: w.weight for w in CriterionWeight.objects.filter(round=round_)})
    if not dispatch_available():
        weights[Criterion.DISPATCH_DONE] = Decimal(0)
    if not activities_available():
        weights[Criterion.VOLUNTEER_HOURS] = Decimal(0)
    return weights


def score_rows(
    *, kind: str, values: dict[int, dict[str, Decimal | int | None]], weights: dict[str, Decimal]
) -> dict[int, tuple[Decimal, list[Component]]]:
    """Points, contributions and score for each candidate id from its raw values (pure arithmetic)."""
    criteria = criteria_for(kind)
    best = {
        c: max((Decimal(v.get(c) or 0) for v in values.values()), default=Decimal(0))
        for c in criteria
        if c not in RATE_CRITERIA and c not in FIXED_SCALE
    }
    total_weight = sum((weights[c] for c in criteria), Decimal(0))
    result = {}
    for pk, raw in values.items():
        components = []
        score = Decimal(0)
        for c in criteria:
            value = raw.get(c)
            if c in RATE_CRITERIA:
                points = Decimal(value) if value is not None else Decimal(0)
            elif c in FIXED_SCALE:
                points = FIXED_SCALE[c] * (value or 0)
            else:
                points = _q2(HUNDRED * (value or 0) / best[c]) if best[c] else Decimal(0)
            contribution = weights[c] * points / total_weight if total_weight else Decimal(0)
            score += contribution
            components.append(
                Component(c, Criterion(c).label, value, _q2(points), weights[c], _q2(contribution))
            )
        result[pk] = (_q2(score), components)
    return result


def _sort_key(criteria: tuple[str, ...]):
    def key(item):
        pk, (score, components) = item
        points = {comp.criterion: comp.points for comp in components}
        return (-score, -points[criteria[0]], -points[criteria[1]], pk)

    return key


# --- labels ------------------------------------------------------------------------------------------


def _town_places(town: Place) -> dict[str, Place]:
    return {
        p.path: p for p in Place.objects.filter(path__startswith=town.path).only("id", "name", "kind", "path")
    }


def area_label(path: str, places: dict[str, Place]) -> str:
    """ "甲村 / 甲村第一网格 / 甲村一组" from a materialized path, using the town's places (no query)."""
    names = []
    for prefix in ancestors(path):
        place = places.get(prefix)
        if place is not None and place.kind in (PlaceKind.VILLAGE, PlaceKind.GRID3, PlaceKind.GRID4):
            names.append(place.name)
    return " / ".join(names)


# --- data per candidate ------------------------------------------------------------------------------


def _bounds(round_: AwardRound):
    return aware_bounds((round_.period_start, round_.period_end_exclusive))


def _compliance_on(round_: AwardRound) -> datetime.date:
    return min(round_.period_end, timezone.localdate())


def grid_values(round_: AwardRound, grids: list[Place]) -> dict[int, dict]:
    if not grids:
        return {}
    length = len(grids[0].path)
    town_path = round_.town.path
    start, end = _bounds(round_)
    by_path: dict[str, dict] = {g.path: {} for g in grids}

    # compliance: the visits rules, grouped by grid (one query for the rules, one for the counts)
    on = _compliance_on(round_)
    groups = rule_groups()
    rule_types = sorted({lt for g in groups for lt in g.link_types})
    links = Link.objects.current(on).filter(path__startswith=town_path, link_type__in=rule_types)
    links = links.filter(member__is_exempt=False)  # exempt members' links need a new pairing (docs/visits.md)
    rows = (
        annotate_compliance(links, on=on, groups=groups)
        .values(area=Substr("path", 1, length))
        .annotate(total=Count("id"), overdue=Count("id", filter=Q(status_rank=STATUS_RANK[Status.OVERDUE])))
        .order_by()
    )
    for row in rows:
        if row["area"] in by_path:
            by_path[row["area"]][Criterion.COMPLIANCE] = _rate(row["total"] - row["overdue"], row["total"])

    solved = (
        Issue.objects.filter(
            path__startswith=town_path,
            resolved_at__gte=start,
            resolved_at__lt=end,
            resolved_level__in=SOLVED_IN_GRID_LEVELS,
        )
        .values(area=Substr("path", 1, length))
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in solved:
        if row["area"] in by_path:
            by_path[row["area"]][Criterion.ISSUES_SOLVED] = row["n"]

    ratings = (
        IssueFeedback.objects.filter(
            issue__path__startswith=town_path, recorded_at__gte=start, recorded_at__lt=end
        )
        .values(area=Substr("issue__path", 1, length))
        .annotate(n=Count("id"), good=Count("id", filter=Q(satisfaction__in=GOOD_SATISFACTION)))
        .order_by()
    )
    for row in ratings:
        if row["area"] in by_path:
            by_path[row["area"]][Criterion.SATISFACTION] = _rate(row["good"], row["n"])
            by_path[row["area"]][Criterion.FEEDBACK] = row["n"]

    result = {}
    for grid in grids:
        raw = by_path[grid.path]
        result[grid.pk] = {
            Criterion.COMPLIANCE: raw.get(Criterion.COMPLIANCE),
            Criterion.ISSUES_SOLVED: raw.get(Criterion.ISSUES_SOLVED, 0),
            Criterion.SATISFACTION: raw.get(Criterion.SATISFACTION),
            Criterion.FEEDBACK: raw.get(Criterion.FEEDBACK, 0),
        }
    return result


def _overlapping(round_: AwardRound, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": round_.period_end}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": round_.period_start})
    )


def eligible_members(round_: AwardRound, kind: str) -> QuerySet[Member]:
    """Members who qualify for a person award by what they held in the period (exclusions not applied)."""
    town_path = round_.town.path
    if kind == AwardKind.GRID_WORKER:
        heads = Position.objects.filter(
            _overlapping(round_),
            member=OuterRef("pk"),
            kind=PositionKind.GRID_HEAD,
            place__path__startswith=town_path,
        )
        grid_links = Link.objects.filter(
            _overlapping(round_),
            member=OuterRef("pk"),
            link_type=LinkType.TOWN_GRID,
            path__startswith=town_path,
        )
        return Member.objects.filter(Exists(heads) | Exists(grid_links))
    household_links = Link.objects.filter(
        _overlapping(round_),
        Q(household__isnull=False) | Q(migrant__isnull=False),
        member=OuterRef("pk"),
        path__startswith=town_path,
    )
    return Member.objects.filter(Exists(household_links)).filter(
        Q(is_party_member=True) | Q(role__in=CADRE_ROLES)
    )


def corrections_overlapping(round_: AwardRound) -> QuerySet[Correction]:
    """Corrections that exclude from this round: all but those closed before the period began (one opened
    after the period still concerns records counted in it, and the round is ranked until published)."""
    return Correction.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=round_.period_start))


def false_contacts(round_: AwardRound) -> QuerySet[Contact]:
    """The member's contacts dated in the round's period that the discipline commission decided false
    (verification): such a member is not eligible for the round's awards. Correlated on the member."""
    start, end = _bounds(round_)
    return Contact.objects.filter(
        member=OuterRef("pk"), struck=True, occurred_at__gte=start, occurred_at__lt=end
    )


def person_values(round_: AwardRound, member_ids: list[int]) -> dict[int, dict]:
    start, end = _bounds(round_)
    values: dict[int, dict] = {}

    def slot(pk):
        return values.setdefault(pk, {})

    duty_counts = {field: Count("id", filter=Q(**{field: True})) for field in DUTY_FIELDS.values()}
    for row in (
        Contact.objects.filter(
            member_id__in=member_ids, occurred_at__gte=start, occurred_at__lt=end, struck=False
        )
        .values("member_id")
        .annotate(n=Count("id"), **duty_counts)
        .order_by()
    ):
        slot(row["member_id"])[Criterion.CONTACTS] = row["n"]
        slot(row["member_id"])[Criterion.DUTIES] = sum(1 for f in DUTY_FIELDS.values() if row[f])

    raised = Q(raised_at__gte=start, raised_at__lt=end)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    for row in (
        Issue.objects.filter(raised | resolved, raised_by_id__in=member_ids)
        .values("raised_by_id")
        .annotate(raised=Count("id", filter=raised), resolved=Count("id", filter=resolved))
        .order_by()
    ):
        slot(row["raised_by_id"])[Criterion.ISSUES_RAISED] = row["raised"]
        slot(row["raised_by_id"])[Criterion.ISSUES_RESOLVED] = row["resolved"]

    if dispatch_available():
        recipient = apps.get_model("dispatch", "OrderRecipient")
        for row in (
            recipient.objects.filter(
                member_id__in=member_ids, status="done", done_at__gte=start, done_at__lt=end
            )
            .values("member_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            slot(row["member_id"])[Criterion.DISPATCH_DONE] = row["n"]

    if activities_available():
        # 新时代文明实践: hours of attended activities that began in the period (activities app, if installed)
        from activities.services import volunteer_hours  # only importable while activities is installed

        for member_id, hours in volunteer_hours(member_ids, start, end).items():
            slot(member_id)[Criterion.VOLUNTEER_HOURS] = hours
    return values


# --- the ranking -------------------------------------------------------------------------------------


def award_ranking(*, award_type: AwardType) -> Ranking:
    """Every eligible candidate of the award type, best first, with components; excluded members apart."""
    round_ = award_type.round
    town = round_.town
    weights = round_weights(round_)
    places = _town_places(town)
    nominated_members = set()
    nominated_places = set()
    for member_id, place_id in Nomination.objects.filter(award_type=award_type).values_list(
        "member_id", "place_id"
    ):
        if member_id:
            nominated_members.add(member_id)
        if place_id:
            nominated_places.add(place_id)
    notes = []
    criteria = criteria_for(award_type.kind)
    if Criterion.DISPATCH_DONE in criteria and not dispatch_available():
        notes.append(str(_("调度令模块尚未启用,“完成调度令数”按权重0计")))

    if award_type.kind in GRID_KINDS:
        grids = sorted(
            (p for p in places.values() if p.kind == award_type.kind), key=lambda p: (p.path, p.pk)
        )
        values = grid_values(round_, grids)
        subjects = {g.pk: g for g in grids}
        excluded: list[Excluded] = []
        nominated = nominated_places
    else:
        eligible = eligible_members(round_, award_type.kind)
        correction_q = corrections_overlapping(round_).filter(member=OuterRef("pk"))
        members = list(
            eligible.annotate(
                under_correction=Exists(correction_q), false_contact=Exists(false_contacts(round_))
            ).only("id", "name", "path", "is_exempt", "role")
        )
        excluded = []
        subjects = {}
        for member in members:
            reasons = []
            if member.is_exempt:
                reasons.append(str(_("免于联户")))
            if member.under_correction:
                reasons.append(str(_("走访记录整改中")))
            if member.false_contact:
                reasons.append(str(_("统计期内有经镇纪委认定的虚假走访")))
            if reasons:
                excluded.append(Excluded(member, reasons))
            else:
                subjects[member.pk] = member
        raw = person_values(round_, sorted(subjects))
        values = {pk: raw.get(pk, {}) for pk in subjects}
        nominated = nominated_members

    scored = score_rows(kind=award_type.kind, values=values, weights=weights)
    ordered = sorted(scored.items(), key=_sort_key(criteria))
    rows = [
        RankRow(
            rank=index,
            subject=subjects[pk],
            area_label=area_label(subjects[pk].path, places),
            score=score,
            components=components,
            nominated=pk in nominated,
        )
        for index, (pk, (score, components)) in enumerate(ordered, start=1)
    ]
    excluded.sort(key=lambda e: (e.member.path, e.member.name))
    return Ranking(
        award_type=award_type,
        rows=rows,
        excluded=excluded,
        notes=notes,
        weights={c: weights[c] for c in criteria},
    )


# --- lists -------------------------------------------------------------------------------------------


def round_nominations(round_: AwardRound) -> QuerySet[Nomination]:
    return (
        Nomination.objects.filter(award_type__round=round_)
        .select_related("award_type", "member", "place", "payee", "nominated_by")
        .order_by("award_type__order", "award_type_id", "rank", "id")
    )


def flags_for_member(member: Member) -> QuerySet[AwardFlag]:
    return (
        AwardFlag.objects.filter(member=member)
        .select_related("nomination__award_type__round")
        .order_by("-created_at", "id")
    )


def flags_for_place(place: Place) -> QuerySet[AwardFlag]:
    return (
        AwardFlag.objects.filter(place=place)
        .select_related("nomination__award_type__round")
        .order_by("-created_at", "id")
    )


def flags_for_user(user) -> QuerySet[AwardFlag]:
    """The user's own flags, and those on grids they head (for the home page)."""
    scope = scope_for(user)
    if scope.member is None:
        return AwardFlag.objects.none()
    q = Q(member=scope.member)
    if scope.grid_paths:
        q |= Q(place__path__in=scope.grid_paths)
    return (
        AwardFlag.objects.filter(q)
        .select_related("nomination__award_type__round", "place", "member")
        .order_by("-created_at", "id")
    )


def published_rounds() -> QuerySet[AwardRound]:
    return AwardRound.objects.filter(status=RoundStatus.PUBLISHED)
