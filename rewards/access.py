"""Who may see and act on award rounds. Views, API, admin and exports all ask here.

- Town staff of the round's town (leading group, 网格化综合服务中心) manage it: create, set types and weights,
  open it for nominations, nominate for any award, submit.
- An organising office (handlers of the award type's department) nominates for its own awards and submits.
- The leading group (领导小组) approves or returns a submitted round, and publishes an approved one.
- The discipline commission (镇纪委) reads every round of its town (supervision), and opens corrections.
- Everyone who lives or works in the town sees published rounds only (the results list).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from grids.models import Place
from grids.paths import ancestors
from members.access import Scope, scope_for

from .enums import RoundStatus
from .models import AwardRound, AwardType


def _covers(paths: tuple[str, ...], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


def is_leading_group_of(scope: Scope, town: Place) -> bool:
    return scope.is_superuser or (scope.is_leading_group and _covers(scope.write_paths, town.path))


def is_discipline_of(scope: Scope, town: Place) -> bool:
    return scope.is_discipline and _covers(scope.town_paths, town.path)


def is_office_of(scope: Scope, award_type: AwardType) -> bool:
    return award_type.office_id in scope.department_ids


def can_nominate(user, award_type: AwardType) -> bool:
    scope = scope_for(user)
    return scope.is_staff_of(award_type.round.town.path) or is_office_of(scope, award_type)


def acts_on_round(user, round_: AwardRound) -> bool:
    """Town staff, the leading group, or an organising office of one of the round's awards."""
    scope = scope_for(user)
    if scope.is_staff_of(round_.town.path):
        return True
    return bool(scope.department_ids) and round_.types.filter(office_id__in=scope.department_ids).exists()


def manages_round(user, round_: AwardRound) -> bool:
    """May see the round before publication (those who act on it, and the discipline commission)."""
    return acts_on_round(user, round_) or is_discipline_of(scope_for(user), round_.town)


def rounds_visible_to(user) -> QuerySet[AwardRound]:
    """Published rounds of any town the user lives or works in, plus rounds the user manages."""
    scope = scope_for(user)
    if scope.is_superuser:
        return AwardRound.objects.all()
    if scope.member is None:
        return AwardRound.objects.none()
    towns: set[str] = set()
    for path in (*scope.paths, scope.member.path):
        towns.update(ancestors(path))
    q = Q(status=RoundStatus.PUBLISHED, town__path__in=sorted(towns))
    staff_towns = list(scope.staff_town_paths) + (list(scope.town_paths) if scope.is_discipline else [])
    for path in staff_towns:
        q |= Q(town__path__startswith=path)
    if scope.department_ids:
        q |= Q(pk__in=AwardType.objects.filter(office_id__in=scope.department_ids).values("round_id"))
    return AwardRound.objects.filter(q)


def get_round_for_user(user, pk) -> AwardRound:
    round_ = rounds_visible_to(user).select_related("town").filter(pk=pk).first()
    if round_ is None:
        raise Http404
    return round_


def get_managed_round_for_user(user, pk) -> AwardRound:
    """A round the user may see before publication (rankings, nominations, the log), else 404."""
    round_ = get_round_for_user(user, pk)
    if not manages_round(user, round_):
        raise Http404
    return round_


def get_candidate(award_type: AwardType, subject_id) -> dict:
    """The grid or member a nomination names, looked up within the round's town (the organising office
    sees every candidate of its award on the ranking, not only its own scope), as service kwargs; else 404.
    Whether it is an eligible candidate is the service's check (against the ranking)."""
    from members.models import Member

    from .enums import GRID_KINDS

    town_path = award_type.round.town.path
    if award_type.kind in GRID_KINDS:
        subject = Place.objects.filter(pk=subject_id, path__startswith=town_path).first()
        key = "place"
    else:
        subject = Member.objects.filter(pk=subject_id).first()
        key = "member"
    if subject is None:
        raise Http404
    return {key: subject}
