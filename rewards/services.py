"""Writes for award rounds. HTML forms and the API call these; every step leaves a RoundEvent.

Errors: `PermissionDenied` when the user may not act, `ValidationError` (Chinese with an English gloss) when
the round's state or the input forbids it. A published round is frozen: every write here refuses it.
Status changes are conditional updates (status=old → new, row count checked) inside a transaction that also
locks the round, so two people pressing "approve" at once approve once.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import DepartmentKind, PlaceKind
from grids.errors import Conflict, Invalid, NotAllowed
from grids.models import Department, Place
from members.access import can_manage_town, display_name, scope_for
from members.enums import PositionKind
from members.models import Member, Position

from . import selectors
from .access import can_nominate, is_discipline_of, is_leading_group_of, is_office_of
from .enums import (
    DEFAULT_WEIGHTS,
    EDITABLE_STATUSES,
    GRID_KINDS,
    IN_SERVICE_ROLES,
    VILLAGE_COMMITTEE_SUBROLES,
    AwardKind,
    Criterion,
    EventAction,
    FlagKind,
    Half,
    RoundStatus,
)
from .models import (
    AwardFlag,
    AwardRound,
    AwardType,
    AwardTypeDefault,
    Correction,
    CriterionWeight,
    Nomination,
    RoundEvent,
)

MAX_WEIGHT = Decimal(1000)


def _event(*, round_: AwardRound, user, action: str, note: str = "") -> RoundEvent:
    return RoundEvent.objects.create(
        round=round_, action=action, actor=user, actor_name=display_name(user), note=note[:2000]
    )


def _lock(round_: AwardRound) -> AwardRound:
    return AwardRound.objects.select_for_update().select_related("town").get(pk=round_.pk)


def _refuse_frozen(round_: AwardRound) -> None:
    if round_.status == RoundStatus.PUBLISHED:
        raise Invalid(_("评选结果已公布并锁定,不能再修改"))


def _require_editable(round_: AwardRound) -> None:
    _refuse_frozen(round_)
    if round_.status not in EDITABLE_STATUSES:
        raise Invalid(_("评选已提交审批,不能再修改设置"))


def _require_town_staff(user, town: Place) -> None:
    if not can_manage_town(user, town):
        raise NotAllowed(_("只有镇领导小组或网格化综合服务中心可以操作"))


def _transition(*, round_: AwardRound, old: str, new: str, **extra) -> None:
    updated = AwardRound.objects.filter(pk=round_.pk, status=old).update(status=new, **extra)
    if updated != 1:
        raise Conflict(_("评选状态已变化,请刷新后重试"))
    round_.status = new
    for key, value in extra.items():
        setattr(round_, key, value)


def default_period(year: int, half: str) -> tuple[datetime.date, datetime.date]:
    """Mid-year: 1 January – 30 June; year-end: 1 July – 31 December (each half counted once)."""
    if half == Half.MID_YEAR:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


def _office_for(town: Place, name: str) -> Department:
    """The town's department of that name; the work plan's offices are created if the town lacks them."""
    office = Department.objects.filter(place=town, name=name).first()
    if office is None:
        kind = DepartmentKind.CENTRE if name == "网格化综合服务中心" else DepartmentKind.TOWN_OFFICE
        office = Department.objects.create(place=town, name=name, kind=kind)
    return office


@transaction.atomic
def round_create(*, user, town: Place, year: int, half: str) -> AwardRound:
    """A new round in draft. Award types and weights are copied from the town's latest earlier round, or,
    for its first round, from the work plan's defaults (AwardTypeDefault, DEFAULT_WEIGHTS).

    Side effects: the round, its AwardType and CriterionWeight rows, a "create" event; may create the
    organising departments named by the defaults if the town has none of that name.
    """
    _require_town_staff(user, town)
    if town.kind != PlaceKind.TOWN:
        raise Invalid(_("请选择镇"), field="town")
    if half not in Half.values:
        raise Invalid(_("请选择年中或年终"), field="half")
    if not 2000 <= int(year) <= 2100:
        raise Invalid(_("年度不正确"), field="year")
    start, end = default_period(int(year), half)
    previous = _previous_round(town, int(year), half)
    try:
        with transaction.atomic():
            round_ = AwardRound.objects.create(
                town=town, year=year, half=half, period_start=start, period_end=end
            )
    except IntegrityError:
        raise Invalid(_("该镇这一批次的评选已存在")) from None
    if previous is not None:
        _copy_award_types(round_, previous.types.all(), lambda t: {"office_id": t.office_id})
        weights = {w.criterion: w.weight for w in previous.weights.all()}
        note = _("沿用 %(prev)s 的奖项和权重") % {"prev": previous.title}
    else:
        _copy_award_types(
            round_, AwardTypeDefault.objects.all(), lambda d: {"office": _office_for(town, d.office_name)}
        )
        weights = {}
        note = _("按工作方案默认奖项和权重")
    CriterionWeight.objects.bulk_create(
        CriterionWeight(round=round_, criterion=c, weight=weights.get(c, _default_weight(c)))
        for c in Criterion
    )
    _event(round_=round_, user=user, action=EventAction.CREATE, note=str(note))
    return round_


def _copy_award_types(round_: AwardRound, sources, office) -> None:
    """The round's award types copied from `sources` (the previous round's types or the defaults);
    `office(source)` gives the office keyword (an id to copy, or the town's office found by name)."""
    AwardType.objects.bulk_create(
        AwardType(
            round=round_,
            name=s.name,
            kind=s.kind,
            places=s.places,
            prize=s.prize,
            order=s.order,
            **office(s),
        )
        for s in sources
    )


def _default_weight(criterion: str) -> Decimal:
    if criterion == Criterion.DISPATCH_DONE and not selectors.dispatch_available():
        return Decimal(0)
    if criterion == Criterion.VOLUNTEER_HOURS and not selectors.activities_available():
        return Decimal(0)
    return DEFAULT_WEIGHTS[Criterion(criterion)]


def _previous_round(town: Place, year: int, half: str) -> AwardRound | None:
    order = {Half.MID_YEAR: 0, Half.YEAR_END: 1}
    earlier = [
        r
        for r in AwardRound.objects.filter(town=town, year__lte=year).order_by("-year", "-id")[:4]
        if (r.year, order[Half(r.half)]) < (year, order[Half(half)])
    ]
    return max(earlier, key=lambda r: (r.year, order[Half(r.half)])) if earlier else None


@transaction.atomic
def round_update_period(
    *, user, round_: AwardRound, period_start: datetime.date, period_end: datetime.date
) -> AwardRound:
    """Change the dates whose data rank candidates (town staff, before submission). Side effect: an event."""
    round_ = _lock(round_)
    _require_town_staff(user, round_.town)
    _require_editable(round_)
    if period_end < period_start:
        raise Invalid(_("截止日期不能早于开始日期"), field="period_end")
    if (period_end - period_start).days > 366:
        raise Invalid(_("统计期不能超过一年"), field="period_end")
    round_.period_start, round_.period_end = period_start, period_end
    round_.save(update_fields=["period_start", "period_end"])
    _event(
        round_=round_,
        user=user,
        action=EventAction.EDIT,
        note=_("统计期改为 %(a)s 至 %(b)s") % {"a": period_start.isoformat(), "b": period_end.isoformat()},
    )
    return round_


def _clean_type_fields(
    *, round_: AwardRound, name: str, kind: str, places, prize, office: Department
) -> dict:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("请填写奖项名称")
    if kind not in AwardKind.values:
        errors["kind"] = _("请选择评选对象")
    try:
        places = int(places)
        if not 1 <= places <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors["places"] = _("名额应为1到100之间的整数")
    try:
        prize = Decimal(str(prize)).quantize(Decimal("0.01"))
        if prize < 0 or prize > Decimal(100000):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["prize"] = _("奖金金额不正确")
    if office is None or office.place_id != round_.town_id or not office.active:
        errors["office"] = _("组织部门必须是本镇的有效部门")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "kind": kind, "places": places, "prize": prize, "office": office}


@transaction.atomic
def award_type_save(
    *,
    user,
    round_: AwardRound,
    award_type: AwardType | None = None,
    name: str,
    kind: str,
    places: int,
    prize: Decimal,
    office: Department,
) -> AwardType:
    """Add an award type to a round or change one (town staff, before submission).

    The kind of an award that already has nominations cannot change. Side effect: an event.
    """
    round_ = _lock(round_)
    _require_town_staff(user, round_.town)
    _require_editable(round_)
    fields = _clean_type_fields(
        round_=round_, name=name, kind=kind, places=places, prize=prize, office=office
    )
    if award_type is None:
        award_type = AwardType(round=round_, order=round_.types.count())
    elif award_type.round_id != round_.pk:
        raise Invalid(_("奖项不属于该评选"))
    elif award_type.kind != fields["kind"] and award_type.nominations.exists():
        raise Invalid(_("已有推荐,不能更改评选对象"), field="kind")
    for key, value in fields.items():
        setattr(award_type, key, value)
    try:
        with transaction.atomic():
            award_type.save()
    except IntegrityError:
        raise Invalid(_("同名同对象的奖项已存在"), field="name") from None
    _event(
        round_=round_,
        user=user,
        action=EventAction.EDIT,
        note=_("奖项 %(name)s(%(kind)s)名额 %(places)s,奖金 %(prize)s 元,%(office)s")
        % {
            "name": award_type.name,
            "kind": award_type.get_kind_display(),
            "places": award_type.places,
            "prize": award_type.prize,
            "office": award_type.office.name,
        },
    )
    return award_type


@transaction.atomic
def award_type_delete(*, user, award_type: AwardType) -> None:
    round_ = _lock(award_type.round)
    _require_town_staff(user, round_.town)
    _require_editable(round_)
    if award_type.nominations.exists():
        raise Invalid(_("该奖项已有推荐,请先撤回"))
    note = _("删除奖项 %(name)s") % {"name": str(award_type)}
    award_type.delete()
    _event(round_=round_, user=user, action=EventAction.EDIT, note=str(note))


@transaction.atomic
def weights_update(*, user, round_: AwardRound, weights: dict[str, object]) -> dict[str, Decimal]:
    """Set criteria weights (0–1000; 0 switches a criterion off). Town staff, before submission.

    Side effects: CriterionWeight rows, an event listing old → new for every change.
    """
    round_ = _lock(round_)
    _require_town_staff(user, round_.town)
    _require_editable(round_)
    clean: dict[str, Decimal] = {}
    errors = {}
    for key, raw in weights.items():
        if key not in Criterion.values:
            errors[key] = _("未知指标")
            continue
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.01"))
            if value < 0 or value > MAX_WEIGHT:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[key] = _("权重应为0到1000之间的数")
            continue
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    current = {w.criterion: w for w in CriterionWeight.objects.filter(round=round_)}
    changes = []
    for key, value in clean.items():
        row = current.get(key)
        if row is None:
            CriterionWeight.objects.create(round=round_, criterion=key, weight=value)
            changes.append(f"{Criterion(key).label}: → {value}")
        elif row.weight != value:
            changes.append(f"{Criterion(key).label}: {row.weight} → {value}")
            row.weight = value
            row.save(update_fields=["weight"])
    if changes:
        _event(round_=round_, user=user, action=EventAction.EDIT, note="; ".join(changes))
    return selectors.round_weights(round_)


@transaction.atomic
def round_open(*, user, round_: AwardRound) -> AwardRound:
    """draft → nominating (town staff). Side effect: an event."""
    round_ = _lock(round_)
    _require_town_staff(user, round_.town)
    _refuse_frozen(round_)
    if not round_.types.exists():
        raise Invalid(_("请先设置奖项"))
    if round_.status != RoundStatus.DRAFT:
        raise Invalid(_("只有草稿状态可以开始推荐"))
    _transition(round_=round_, old=RoundStatus.DRAFT, new=RoundStatus.NOMINATING)
    _event(round_=round_, user=user, action=EventAction.OPEN)
    return round_


def _lock_for_nomination(user, award_type: AwardType) -> AwardRound:
    round_ = _lock(award_type.round)
    award_type.round = round_
    if not can_nominate(user, award_type):
        raise NotAllowed(_("只有该奖项的组织部门或镇工作人员可以推荐"))
    _refuse_frozen(round_)
    if round_.status != RoundStatus.NOMINATING:
        raise Invalid(_("当前不在推荐阶段"))
    return round_


@transaction.atomic
def nomination_add(
    *, user, award_type: AwardType, member: Member | None = None, place: Place | None = None, reason: str = ""
) -> Nomination:
    """Nominate a candidate from the ranking. Outside the award's places a written reason is required;
    excluded (exempt, under correction) and ineligible candidates are refused.

    Side effects: a Nomination with the candidate's rank, score and components; an event.
    """
    round_ = _lock_for_nomination(user, award_type)
    subject = place if award_type.kind in GRID_KINDS else member
    if subject is None or (award_type.kind in GRID_KINDS) != (member is None):
        raise Invalid(_("推荐对象与奖项类型不符"))
    ranking = selectors.award_ranking(award_type=award_type)
    row = ranking.position_of(subject.pk)
    if row is None:
        excluded = next((e for e in ranking.excluded if e.member.pk == subject.pk), None)
        if excluded is not None:
            raise Invalid(
                _("%(name)s 不能参评:%(why)s") % {"name": subject.name, "why": "、".join(excluded.reasons)}
            )
        raise Invalid(_("%(name)s 不在本奖项的参评范围内") % {"name": subject.name})
    reason = (reason or "").strip()
    if row.rank > award_type.places and not reason:
        raise Invalid(
            _("%(name)s 排名第 %(rank)s,不在前 %(n)s 名内,请写明推荐理由")
            % {"name": subject.name, "rank": row.rank, "n": award_type.places},
            field="reason",
        )
    if award_type.nominations.count() >= award_type.places:
        raise Invalid(
            _("%(award)s 名额 %(n)s 个已满,请先撤回一个推荐")
            % {"award": award_type.name, "n": award_type.places}
        )
    return _nominate(user=user, round_=round_, award_type=award_type, row=row, reason=reason)


def _nominate(*, user, round_: AwardRound, award_type: AwardType, row, reason: str) -> Nomination:
    subject = row.subject
    grid = award_type.kind in GRID_KINDS
    try:
        with transaction.atomic():
            nomination = Nomination.objects.create(
                award_type=award_type,
                member=None if grid else subject,
                place=subject if grid else None,
                rank=row.rank,
                score=row.score,
                components=[c.as_json() for c in row.components],
                reason=reason,
                nominated_by=user,
            )
    except IntegrityError:
        raise Invalid(_("%(name)s 已被推荐") % {"name": subject.name}) from None
    note = _("%(award)s:%(name)s(排名 %(rank)s,得分 %(score)s)") % {
        "award": award_type.name,
        "name": subject.name,
        "rank": row.rank,
        "score": row.score,
    }
    if reason:
        note = f"{note} {_('理由')}:{reason}"
    _event(round_=round_, user=user, action=EventAction.NOMINATE, note=str(note))
    return nomination


@transaction.atomic
def nomination_fill(*, user, award_type: AwardType) -> list[Nomination]:
    """Nominate the best-ranked candidates not yet nominated until the places are full (the usual case).

    Side effects: Nomination rows and one event per nomination.
    """
    round_ = _lock_for_nomination(user, award_type)
    free = award_type.places - award_type.nominations.count()
    if free <= 0:
        return []
    ranking = selectors.award_ranking(award_type=award_type)
    created = []
    for row in ranking.rows:
        if len(created) >= free:
            break
        if row.nominated:
            continue
        reason = str(_("按排名依次递补")) if row.rank > award_type.places else ""
        created.append(_nominate(user=user, round_=round_, award_type=award_type, row=row, reason=reason))
    return created


@transaction.atomic
def nomination_withdraw(*, user, nomination: Nomination) -> None:
    """Withdraw a nomination while the round takes nominations. Side effect: an event."""
    award_type = nomination.award_type
    round_ = _lock_for_nomination(user, award_type)
    name = nomination.subject_name
    nomination.delete()
    _event(
        round_=round_,
        user=user,
        action=EventAction.WITHDRAW,
        note=_("%(award)s:%(name)s") % {"award": award_type.name, "name": name},
    )


def _submission_problems(round_: AwardRound) -> list[str]:
    problems = []
    for award_type in round_.types.all():
        count = award_type.nominations.count()
        if count > award_type.places:
            problems.append(
                _("%(award)s 推荐 %(c)s 个,超过名额 %(n)s")
                % {"award": award_type, "c": count, "n": award_type.places}
            )
            continue
        available = len(selectors.award_ranking(award_type=award_type).rows)
        needed = min(award_type.places, available)
        if count < needed:
            problems.append(
                _("%(award)s 推荐 %(c)s 个,应推荐 %(n)s 个") % {"award": award_type, "c": count, "n": needed}
            )
    return problems


@transaction.atomic
def round_submit(*, user, round_: AwardRound) -> AwardRound:
    """nominating → submitted (town staff or an organising office of the round).

    Every award must hold as many nominations as its places (or as there are candidates, if fewer).
    Side effect: an event.
    """
    round_ = _lock(round_)
    scope = scope_for(user)
    office = any(is_office_of(scope, t) for t in round_.types.all())
    if not (scope.is_staff_of(round_.town.path) or office):
        raise NotAllowed(_("只有组织部门或镇工作人员可以提交"))
    _refuse_frozen(round_)
    if round_.status != RoundStatus.NOMINATING:
        raise Invalid(_("只有推荐阶段可以提交审批"))
    problems = _submission_problems(round_)
    if problems:
        raise ValidationError(problems)
    _transition(round_=round_, old=RoundStatus.NOMINATING, new=RoundStatus.SUBMITTED)
    _event(round_=round_, user=user, action=EventAction.SUBMIT)
    return round_


def _require_leading_group(user, round_: AwardRound) -> None:
    if not is_leading_group_of(scope_for(user), round_.town):
        raise NotAllowed(_("只有领导小组可以审批"))


@transaction.atomic
def round_return(*, user, round_: AwardRound, reason: str) -> AwardRound:
    """submitted → nominating with a written reason (leading group). Side effect: an event."""
    round_ = _lock(round_)
    _require_leading_group(user, round_)
    _refuse_frozen(round_)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请写明退回理由"), field="reason")
    if round_.status != RoundStatus.SUBMITTED:
        raise Invalid(_("只有待审批的评选可以退回"))
    _transition(round_=round_, old=RoundStatus.SUBMITTED, new=RoundStatus.NOMINATING)
    _event(round_=round_, user=user, action=EventAction.RETURN, note=reason)
    return round_


@transaction.atomic
def round_approve(*, user, round_: AwardRound, note: str = "") -> AwardRound:
    """submitted → approved (leading group). Side effect: an event."""
    round_ = _lock(round_)
    _require_leading_group(user, round_)
    _refuse_frozen(round_)
    if round_.status != RoundStatus.SUBMITTED:
        raise Invalid(_("只有待审批的评选可以审批"))
    _transition(round_=round_, old=RoundStatus.SUBMITTED, new=RoundStatus.APPROVED)
    _event(round_=round_, user=user, action=EventAction.APPROVE, note=(note or "").strip())
    return round_


def flags_for(award_type: AwardType, member: Member | None) -> list[str]:
    """Consequences of one award (docs/domain.md#awards):
    - excellent grid (grid3/grid4) → its households come first for 文明家庭户 (a flag on the grid);
    - in-service cadres (town, stationed cadres, city leaders/department heads) → 双凫干事创业之星 and
      appraisal & promotion;
    - village two-committee cadres → 双凫干事创业之星 and the reserve-cadre recommendation;
    - other village members and notables (party members, village cadres of other kinds, deputies, notables,
      volunteers) → reserve-cadre and representative recommendations.
    """
    if award_type.kind in GRID_KINDS:
        return [FlagKind.CIVILISED]
    if member is None:
        return []
    if member.role in IN_SERVICE_ROLES:
        return [FlagKind.STAR, FlagKind.APPRAISAL]
    if member.village_subrole in VILLAGE_COMMITTEE_SUBROLES:
        return [FlagKind.STAR, FlagKind.RESERVE_CADRE]
    return [FlagKind.RESERVE_CADRE, FlagKind.REPRESENTATIVE]


def _grid_head(place: Place, on: datetime.date) -> Member | None:
    position = (
        Position.objects.current(on)
        .filter(place=place, kind=PositionKind.GRID_HEAD)
        .select_related("member")
        .order_by("-start_date", "-id")
        .first()
    )
    return position.member if position else None


@transaction.atomic
def round_publish(*, user, round_: AwardRound) -> AwardRound:
    """approved → published, frozen for good (leading group).

    Side effects: each nomination gets the winner's name, village/grid and payee copied (grids: the grid
    head on the publication day gets the prize); AwardFlag rows per rewards.services.flags_for; an event.
    """
    round_ = _lock(round_)
    _require_leading_group(user, round_)
    _refuse_frozen(round_)
    if round_.status != RoundStatus.APPROVED:
        raise Invalid(_("只有审批通过的评选可以公布"))
    today = timezone.localdate()
    places = selectors._town_places(round_.town)
    flags = []
    for nomination in selectors.round_nominations(round_):
        award_type = nomination.award_type
        if nomination.place_id:
            place = nomination.place
            payee = _grid_head(place, today)
            nomination.winner_name = place.name
            nomination.area_label = selectors.area_label(place.path, places)
            flags += [
                AwardFlag(nomination=nomination, kind=kind, place=place, path=place.path)
                for kind in flags_for(award_type, None)
            ]
        else:
            member = nomination.member
            payee = member
            nomination.winner_name = member.name
            nomination.area_label = selectors.area_label(member.path, places) or round_.town.name
            flags += [
                AwardFlag(nomination=nomination, kind=kind, member=member, path=member.path)
                for kind in flags_for(award_type, member)
            ]
        nomination.payee = payee
        nomination.payee_name = payee.name if payee else ""
        nomination.save(update_fields=["winner_name", "area_label", "payee", "payee_name"])
    AwardFlag.objects.bulk_create(flags)
    _transition(
        round_=round_, old=RoundStatus.APPROVED, new=RoundStatus.PUBLISHED, published_at=timezone.now()
    )
    _event(round_=round_, user=user, action=EventAction.PUBLISH)
    return round_


# --- corrections (整改) --------------------------------------------------------------------------------


def _require_correction_rights(user, member: Member) -> None:
    scope = scope_for(user)
    town_paths = scope.staff_town_paths + (scope.town_paths if scope.is_discipline else ())
    if not (scope.is_superuser or any(member.path.startswith(p) for p in town_paths)):
        raise NotAllowed(_("只有镇工作人员或镇纪委可以列入整改"))


@transaction.atomic
def correction_open(
    *, user, member: Member, reason: str, opened_at: datetime.date | None = None
) -> Correction:
    """Put a member's contact records under correction; they leave rankings whose period it overlaps."""
    _require_correction_rights(user, member)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请写明整改原因"), field="reason")
    opened_at = opened_at or timezone.localdate()
    if opened_at > timezone.localdate():
        raise Invalid(_("不能选择未来的日期"), field="opened_at")
    return Correction.objects.create(member=member, reason=reason, opened_at=opened_at, opened_by=user)


@transaction.atomic
def correction_close(*, user, correction: Correction, closed_at: datetime.date | None = None) -> Correction:
    correction = Correction.objects.select_for_update().select_related("member").get(pk=correction.pk)
    _require_correction_rights(user, correction.member)
    if correction.closed_at is not None:
        raise Invalid(_("该整改已完成"))
    closed_at = closed_at or timezone.localdate()
    if closed_at < correction.opened_at or closed_at > timezone.localdate():
        raise Invalid(_("完成日期不正确"), field="closed_at")
    correction.closed_at = closed_at
    correction.closed_by = user
    correction.save(update_fields=["closed_at", "closed_by"])
    return correction


__all__ = [
    "award_type_delete",
    "award_type_save",
    "correction_close",
    "correction_open",
    "default_period",
    "flags_for",
    "is_discipline_of",
    "nomination_add",
    "nomination_fill",
    "nomination_withdraw",
    "round_approve",
    "round_create",
    "round_open",
    "round_publish",
    "round_return",
    "round_submit",
    "round_update_period",
    "weights_update",
]
