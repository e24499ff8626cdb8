"""Who may see an issue and who may act on it: the one place, used by pages, API, admin and services.

Seeing: the member who raised it; anyone whose scope covers its path (grid head, village officer, town staff,
discipline commission); a department handler for issues whistled to their department.
Acting: only at the issue's current level, inside the actor's area (see `refusal`).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from members.access import Scope, scope_for
from members.enums import PositionKind

from .enums import (
    ACTIVE_STATUSES,
    OPEN_ASSIGNMENT_STATUSES,
    AssignmentStatus,
    IssueAction,
    IssueLevel,
    IssueStatus,
    Urgency,
    next_level,
)
from .models import Issue, IssueEvent, WhistleAssignment


def issues_visible_to(user) -> QuerySet[Issue]:
    scope = scope_for(user)
    if scope.is_superuser:
        return Issue.objects.all()
    q = scope.path_q("path") if scope.paths else Q(pk__in=[])
    if scope.member is not None:
        q |= Q(raised_by=scope.member)
    if scope.department_ids:
        q |= Q(
            pk__in=WhistleAssignment.objects.filter(department_id__in=scope.department_ids).values("issue_id")
        )
    return Issue.objects.filter(q)


def events_visible_to(user) -> QuerySet[IssueEvent]:
    return IssueEvent.objects.filter(issue__in=issues_visible_to(user))


def assignments_visible_to(user) -> QuerySet[WhistleAssignment]:
    return WhistleAssignment.objects.filter(issue__in=issues_visible_to(user))


def get_issue_for_user(user, pk) -> Issue:
    issue = (
        issues_visible_to(user)
        .select_related("household__grid", "place", "category", "raised_by")
        .filter(pk=pk)
        .first()
    )
    if issue is None:
        raise Http404
    return issue


# Whose queue each level is (told when an issue arrives, reminded before its deadline): the posts over the
# issue's place. Acting at the centre level is allowed to every town-staff post of the town (acts_at_level);
# the queue itself is the centre's (its staff and the office director). Departments: their handlers.
LEVEL_POSTS: dict[str, tuple[str, ...]] = {
    IssueLevel.GRID: (PositionKind.GRID_HEAD,),
    IssueLevel.VILLAGE: (PositionKind.VILLAGE_OFFICER,),
    IssueLevel.CENTRE: (PositionKind.CENTRE_STAFF, PositionKind.OFFICE_DIRECTOR),
}


def _covers(paths: tuple[str, ...], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


def acts_at_level(scope: Scope, issue: Issue, level: str) -> bool:
    """Does the user hold the post that works at `level` for this issue's place?"""
    if level == IssueLevel.ON_SPOT:
        return scope.member is not None and scope.member.pk == issue.raised_by_id
    if level == IssueLevel.GRID:
        return _covers(scope.grid_paths, issue.path)
    if level == IssueLevel.VILLAGE:
        return _covers(scope.village_paths, issue.path)
    if level == IssueLevel.CENTRE:
        return scope.is_staff_of(issue.path)
    return False


def is_centre(scope: Scope, issue: Issue) -> bool:
    return acts_at_level(scope, issue, IssueLevel.CENTRE)


def supervises(scope: Scope, issue: Issue) -> bool:
    """The town centre and the discipline commission supervise (督办) issues in their town."""
    return is_centre(scope, issue) or (scope.is_discipline and _covers(scope.town_paths, issue.path))


class Forbidden(str):
    """A refusal because of who asks (not of the issue's state): pages show it, the API answers 403."""


NOT_YOURS = "不在您的办理层级或范围"
FINISHED = "该诉求已办结"


def refusal(
    user,
    issue: Issue,
    action: str,
    *,
    assignment: WhistleAssignment | None = None,
    to_level: str | None = None,
) -> str | None:
    """Why `user` may not do `action` on `issue` now, or None if they may. Messages are translated."""
    scope = scope_for(user)
    action = IssueAction(action)
    if action == IssueAction.ESCALATE:
        if issue.status != IssueStatus.OPEN or issue.level not in (
            IssueLevel.ON_SPOT,
            IssueLevel.GRID,
            IssueLevel.VILLAGE,
        ):
            return _("该层级不能再上报") if issue.is_active else _(FINISHED)
        target = to_level or next_level(issue.level)
        if target != next_level(issue.level):
            emergency_skip = (
                issue.level == IssueLevel.GRID
                and target == IssueLevel.CENTRE
                and issue.urgency == Urgency.EMERGENCY
            )
            if not emergency_skip:
                return _("不能越级上报,只有应急事项可由网格直接报镇中心")
            if acts_at_level(scope, issue, IssueLevel.GRID) or is_centre(scope, issue):
                return None
            return Forbidden(_(NOT_YOURS))
        return None if acts_at_level(scope, issue, issue.level) else Forbidden(_(NOT_YOURS))
    if action == IssueAction.RESOLVE:
        if issue.status == IssueStatus.REVIEW:
            return None if is_centre(scope, issue) else Forbidden(_(NOT_YOURS))
        if issue.status == IssueStatus.WHISTLED:
            return _("部门尚未全部答复,不能办结")
        if issue.status != IssueStatus.OPEN:
            return _(FINISHED)
        return None if acts_at_level(scope, issue, issue.level) else Forbidden(_(NOT_YOURS))
    if action == IssueAction.WHISTLE:
        if not issue.is_active or issue.level not in (IssueLevel.CENTRE, IssueLevel.DEPARTMENT):
            return _("只有镇中心层级的事项可以吹哨")
        return None if is_centre(scope, issue) else Forbidden(_(NOT_YOURS))
    if action == IssueAction.RETURN:
        if issue.status not in (IssueStatus.REVIEW, IssueStatus.WHISTLED):
            return _("没有可退回的部门答复")
        if assignment is not None and assignment.status not in (
            AssignmentStatus.REPLIED,
            AssignmentStatus.SENT_BACK,
        ):
            return _("该部门尚未答复")
        return None if is_centre(scope, issue) else Forbidden(_(NOT_YOURS))
    if action in (IssueAction.ACCEPT, IssueAction.REPLY, IssueAction.SEND_BACK):
        if assignment is None or assignment.department_id not in scope.department_ids:
            return Forbidden(_("不是交办给您部门的事项"))
        if issue.status != IssueStatus.WHISTLED or assignment.status not in OPEN_ASSIGNMENT_STATUSES:
            return _("该交办已答复")
        if action == IssueAction.ACCEPT and assignment.status != AssignmentStatus.PENDING:
            return _("已接单")
        return None
    if action == IssueAction.SUPERVISE:
        if issue.status not in ACTIVE_STATUSES:
            return _(FINISHED)
        return None if supervises(scope, issue) else Forbidden(_("只有镇中心和镇纪委可以督办"))
    if action == IssueAction.FEEDBACK:
        if issue.status != IssueStatus.RESOLVED:
            return _("尚未办结,不能回访评价")
        return (
            None
            if acts_at_level(scope, issue, IssueLevel.ON_SPOT)
            else Forbidden(_("只有提出人可以回访评价"))
        )
    return Forbidden(_(NOT_YOURS))


def can_act(user, issue: Issue, action: str, **kwargs) -> bool:
    return refusal(user, issue, action, **kwargs) is None


def allowed_actions(user, issue: Issue) -> set[str]:
    """Issue-level actions the user may take now (assignment actions are checked per assignment)."""
    return {
        action
        for action in (
            IssueAction.ESCALATE,
            IssueAction.RESOLVE,
            IssueAction.WHISTLE,
            IssueAction.RETURN,
            IssueAction.SUPERVISE,
            IssueAction.FEEDBACK,
        )
        if can_act(user, issue, action)
    }
