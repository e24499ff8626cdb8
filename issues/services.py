"""Writes on issues. Every service is keyword-only, runs in one transaction, locks the issue row
(SELECT ... FOR UPDATE), checks `version` and the permission in issues.access, then records an IssueEvent.

A stale `version` raises IssueConflict ("someone else acted first"); a refused action raises IssueError.
Both carry a translated message for the page or the API. Nothing here logs phone or ID numbers.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.dates import latest, out_of_range_message
from grids.enums import DepartmentKind, PlaceKind
from grids.errors import Conflict, Invalid, NotAllowed, NotFound
from grids.models import Department, Household, Place
from grids.paths import ancestors
from members.access import (
    display_name,
    households_visible_to,
    places_visible_to,
    require_write,
    scope_for,
)
from visits.services import photo_clean

from . import access
from .deadlines import deadline_after, end_of_local_day
from .enums import (
    LEVEL_DEFAULTS,
    OPEN_ASSIGNMENT_STATUSES,
    WHISTLE_DEFAULTS,
    AssignmentStatus,
    IssueAction,
    IssueKind,
    IssueLevel,
    IssueStatus,
    Satisfaction,
    Urgency,
    WhistleKind,
    next_level,
)
from .models import (
    Issue,
    IssueCategory,
    IssueEvent,
    IssueFeedback,
    IssuePhoto,
    LevelSetting,
    WhistleAssignment,
    WhistleSetting,
)
from .notify import notify_arrived, notify_resolved, notify_whistled

MAX_PHOTOS = 5


class IssueError(Invalid):
    """A refused action; `message` is shown to the user (grids/errors.py)."""


class IssueForbidden(IssueError, NotAllowed):
    """Refused because of who asks (their post, level or department): 403 on the API, a message on pages."""


class IssueNotFound(IssueError, NotFound):
    """No such issue, or not one this user may see: 404 on the API."""


class IssueConflict(IssueError, Conflict):
    """Someone else changed the issue since the user loaded it."""

    def __init__(self, message: str | None = None, **kwargs):
        super().__init__(message or _("已被他人处理,请刷新后重试"), **kwargs)


# --- helpers ---------------------------------------------------------------------------------------


def _event(
    *,
    issue: Issue,
    user,
    action: str,
    before: tuple[str, str],
    now: datetime.datetime,
    note: str = "",
    **extra,
) -> IssueEvent:
    return IssueEvent.objects.create(
        created_at=now,
        issue=issue,
        action=action,
        actor=user,
        actor_name=display_name(user),
        from_level=before[0],
        to_level=issue.level,
        from_status=before[1],
        to_status=issue.status,
        note=note,
        **extra,
    )


def _lock(issue_id: int, version: int | None) -> Issue:
    issue = Issue.objects.select_for_update().filter(pk=issue_id).first()
    if issue is None:
        raise IssueNotFound(_("诉求不存在"))
    if version is not None and int(version) != issue.version:
        raise IssueConflict()
    return issue


def _check(user, issue: Issue, action: str, **kwargs) -> None:
    if not access.issues_visible_to(user).filter(pk=issue.pk).exists():
        raise IssueNotFound(_("诉求不存在"))
    reason = access.refusal(user, issue, action, **kwargs)
    if reason:
        raise (IssueForbidden if isinstance(reason, access.Forbidden) else IssueError)(reason)


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise IssueError(message)
    return text


def _save(issue: Issue, *fields: str) -> None:
    issue.version = F("version") + 1
    issue.save(update_fields=[*fields, "version", "updated_at"])
    issue.refresh_from_db(fields=["version"])


def level_deadline(level: str, moment: datetime.datetime) -> datetime.datetime:
    setting = LevelSetting.objects.filter(level=level).first()
    if setting is not None:
        return setting.deadline_from(moment)
    amount, unit = LEVEL_DEFAULTS[IssueLevel(level)]
    return deadline_after(moment, amount=amount, unit=unit)


def whistle_deadline(kind: str, moment: datetime.datetime) -> datetime.datetime:
    setting = WhistleSetting.objects.filter(kind=kind).first()
    if setting is not None:
        return setting.deadline_from(moment)
    amount, unit = WHISTLE_DEFAULTS[WhistleKind(kind)]
    return deadline_after(moment, amount=amount, unit=unit)


def whistle_deadlines(moment: datetime.datetime) -> dict[str, datetime.datetime]:
    """The default deadline of every whistle kind from `moment` (one query)."""
    settings = {s.kind: s for s in WhistleSetting.objects.all()}
    result = {}
    for kind in WhistleKind:
        if kind.value in settings:
            result[kind.value] = settings[kind.value].deadline_from(moment)
        else:
            amount, unit = WHISTLE_DEFAULTS[kind]
            result[kind.value] = deadline_after(moment, amount=amount, unit=unit)
    return result


def departments_for_issue(issue_path: str):
    """Departments a town centre may whistle to: town offices of the issue's town and city departments above."""
    return Department.objects.filter(
        active=True,
        place__path__in=ancestors(issue_path),
        kind__in=[DepartmentKind.TOWN_OFFICE, DepartmentKind.CITY_DEPT],
    )


def _clean_photo(upload):
    """Re-encode as JPEG without EXIF/GPS (visits' rule for contact photos)."""
    try:
        return photo_clean(upload)
    except ValidationError as exc:
        raise IssueError(" ".join(exc.messages)) from exc


# --- raising ---------------------------------------------------------------------------------------


@transaction.atomic
def issue_raise(
    *,
    user,
    category: IssueCategory,
    description: str,
    household: Household | None = None,
    place: Place | None = None,
    kind: str = IssueKind.DEMAND,
    urgency: str = Urgency.NORMAL,
    photos: Sequence[UploadedFile] = (),
    contact=None,
    solved_result: str = "",
    escalate_reason: str = "",
    now: datetime.datetime | None = None,
) -> Issue:
    """A member raises an issue for a household or a place they can see, at the on-the-spot level.

    With `solved_result` it is resolved on the spot at once; with `escalate_reason` it goes up to the grid.
    Side effects: the issue, its photos (re-encoded without metadata), one event per step (raise, then
    resolve or escalate).
    """
    member = scope_for(user).member
    if member is None:
        raise IssueError(_("该账号未关联联户人员"))
    if (household is None) == (place is None):
        raise IssueError(_("请选择一户或一个地点"))
    if household is not None and not households_visible_to(user).filter(pk=household.pk).exists():
        raise IssueError(_("不能为您看不到的户提出诉求"))
    if place is not None and (
        place.kind not in (PlaceKind.VILLAGE, PlaceKind.GRID3, PlaceKind.GRID4)
        or not places_visible_to(user).filter(pk=place.pk).exists()
    ):
        raise IssueError(_("不能为该地点提出诉求"))
    # Seeing is not enough: write scope over the household or place, or the member's own link (403).
    require_write(scope_for(user), household or place)
    if not category.active:
        raise IssueError(_("该类别已停用"))
    if len(photos) > MAX_PHOTOS:
        raise IssueError(_("照片最多 %(n)d 张") % {"n": MAX_PHOTOS})
    if solved_result.strip() and escalate_reason.strip():
        raise IssueError(_("现场解决和上报只能选一项"))
    description = _required(description, _("请填写情况描述"))
    cleaned_photos = [_clean_photo(photo) for photo in photos]
    now = now or timezone.now()
    issue = Issue(
        raised_at=now,
        category=category,
        kind=kind,
        urgency=urgency,
        description=description,
        household=household,
        place=place,
        raised_by=member,
        level=IssueLevel.ON_SPOT,
        status=IssueStatus.OPEN,
        deadline=level_deadline(IssueLevel.ON_SPOT, now),
    )
    if contact is not None:
        issue.contact = contact
    issue.save()
    for photo in cleaned_photos:
        IssuePhoto.objects.create(issue=issue, image=photo, uploaded_by=member)
    _event(issue=issue, user=user, action=IssueAction.RAISE, before=("", ""), now=now, note=description[:200])
    if solved_result.strip():
        return issue_resolve(
            user=user, issue_id=issue.pk, version=issue.version, result=solved_result, now=now
        )
    if escalate_reason.strip():
        return issue_escalate(
            user=user, issue_id=issue.pk, version=issue.version, reason=escalate_reason, now=now
        )
    return issue


# --- the ladder ------------------------------------------------------------------------------------


@transaction.atomic
def issue_escalate(
    *,
    user,
    issue_id: int,
    version: int | None,
    reason: str,
    to_level: str | None = None,
    now: datetime.datetime | None = None,
) -> Issue:
    """Pass the issue one level up (a reason is required). Only an emergency may go from grid to centre.

    Side effects: level, status open, a fresh level deadline, one event.
    """
    issue = _lock(issue_id, version)
    _check(user, issue, IssueAction.ESCALATE, to_level=to_level)
    reason = _required(reason, _("上报必须说明理由"))
    before = (issue.level, issue.status)
    issue.level = to_level or next_level(issue.level)
    issue.status = IssueStatus.OPEN
    now = now or timezone.now()
    issue.deadline = level_deadline(issue.level, now)
    _save(issue, "level", "status", "deadline")
    _event(
        issue=issue,
        user=user,
        action=IssueAction.ESCALATE,
        before=before,
        now=now,
        note=reason,
        deadline=issue.deadline,
    )
    notify_arrived(issue, sender_id=getattr(scope_for(user).member, "pk", None))
    return issue


@transaction.atomic
def issue_resolve(
    *, user, issue_id: int, version: int | None, result: str, now: datetime.datetime | None = None
) -> Issue:
    """Close the issue at its current level with a result (the centre also after the departments answered).

    Side effects: status resolved, resolved level/time, one event, an inbox notification to the raiser (who
    records satisfaction on a return visit) and to the village officers (the result feeds back down).
    """
    issue = _lock(issue_id, version)
    _check(user, issue, IssueAction.RESOLVE)
    result = _required(result, _("办结必须填写办理结果"))
    before = (issue.level, issue.status)
    if issue.status == IssueStatus.REVIEW:
        issue.level = IssueLevel.CENTRE
    issue.status = IssueStatus.RESOLVED
    issue.result = result
    issue.resolved_level = issue.level
    issue.resolved_at = now or timezone.now()
    _save(issue, "level", "status", "result", "resolved_level", "resolved_at")
    _event(
        issue=issue, user=user, action=IssueAction.RESOLVE, before=before, now=issue.resolved_at, note=result
    )
    notify_resolved(issue)
    return issue


@transaction.atomic
def issue_whistle(
    *,
    user,
    issue_id: int,
    version: int | None,
    departments: Iterable[Department],
    kind: str,
    note: str = "",
    deadline: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Issue:
    """吹哨: the town centre assigns the issue to one or more departments with the kind's default deadline
    (or `deadline`, which must be in the future and within a year).

    A department already assigned and answered is assigned again (its row reopens). Side effects: one
    WhistleAssignment per department, level department, status whistled, one event per department, an inbox
    notification to each department's handlers.
    """
    issue = _lock(issue_id, version)
    _check(user, issue, IssueAction.WHISTLE)
    departments = list(departments)
    if not departments:
        raise IssueError(_("请至少选择一个部门"))
    kind = WhistleKind(kind)
    allowed = set(departments_for_issue(issue.path).values_list("pk", flat=True))
    if any(d.pk not in allowed for d in departments):
        raise IssueError(_("所选部门不能接收该事项"))
    now = now or timezone.now()
    if deadline is None:
        deadline = whistle_deadline(kind, now)
    elif not now < deadline <= now + datetime.timedelta(days=366):
        raise IssueError(_("办理期限须晚于现在且在一年之内"))
    existing = {a.department_id: a for a in issue.assignments.select_for_update()}
    before = (issue.level, issue.status)
    issue.level = IssueLevel.DEPARTMENT
    issue.status = IssueStatus.WHISTLED
    issue.whistle_kind = kind
    issue.deadline = max([deadline] + [a.deadline for a in existing.values() if a.is_open])
    _save(issue, "level", "status", "whistle_kind", "deadline")
    for department in departments:
        assignment = existing.get(department.pk)
        if assignment is not None and assignment.is_open:
            raise IssueError(_("%(dept)s 正在办理该事项") % {"dept": department.name})
        if assignment is None:
            assignment = WhistleAssignment(issue=issue, department=department)
        assignment.kind = kind
        assignment.status = AssignmentStatus.PENDING
        assignment.deadline = deadline
        assignment.note = note.strip()[:500]
        assignment.whistled_at = now
        assignment.result = ""
        assignment.reason = ""
        assignment.answered_at = None
        assignment.answered_by = None
        if assignment.pk:
            assignment.version += 1
        assignment.save()
        _event(
            issue=issue,
            user=user,
            action=IssueAction.WHISTLE,
            before=before,
            now=now,
            note=note.strip(),
            department=department,
            whistle_kind=kind,
            deadline=deadline,
        )
    notify_whistled(issue, [d.pk for d in departments])
    return issue


def issue_whistle_bulk(
    *,
    user,
    picks: Sequence[tuple[int, int]],
    departments: Sequence[Department],
    kind: str,
    note: str = "",
    deadline: datetime.datetime | None = None,
) -> tuple[list[Issue], list[tuple[int, str]]]:
    """Whistle several issues (pairs of id and version) the same way; each one in its own transaction.

    Returns the whistled issues and (id, message) for each refused one, so one stale row does not undo the rest.
    """
    done: list[Issue] = []
    failed: list[tuple[int, str]] = []
    for issue_id, version in picks:
        try:
            done.append(
                issue_whistle(
                    user=user,
                    issue_id=issue_id,
                    version=version,
                    departments=departments,
                    kind=kind,
                    note=note,
                    deadline=deadline,
                )
            )
        except IssueError as exc:
            failed.append((issue_id, exc.message))
    return done, failed


def _lock_assignment(assignment_id: int, version: int | None) -> tuple[Issue, WhistleAssignment]:
    issue_id = WhistleAssignment.objects.filter(pk=assignment_id).values_list("issue_id", flat=True).first()
    if issue_id is None:
        raise IssueError(_("交办不存在"))
    issue = _lock(issue_id, None)  # the issue row serialises everything done on it
    assignment = WhistleAssignment.objects.select_for_update().get(pk=assignment_id)
    if version is not None and int(version) != assignment.version:
        raise IssueConflict()
    return issue, assignment


def _after_answer(issue: Issue, now: datetime.datetime) -> None:
    """When no department still holds the issue, it goes back to the centre for review."""
    if not issue.assignments.filter(status__in=OPEN_ASSIGNMENT_STATUSES).exists():
        issue.level = IssueLevel.CENTRE
        issue.status = IssueStatus.REVIEW
        issue.deadline = level_deadline(IssueLevel.CENTRE, now)
        _save(issue, "level", "status", "deadline")


@transaction.atomic
def assignment_accept(
    *, user, assignment_id: int, version: int | None, now: datetime.datetime | None = None
) -> WhistleAssignment:
    """A department handler accepts (接单) an assignment. Side effects: assignment status, one event."""
    issue, assignment = _lock_assignment(assignment_id, version)
    _check(user, issue, IssueAction.ACCEPT, assignment=assignment)
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.version += 1
    assignment.save(update_fields=["status", "version"])
    _event(
        issue=issue,
        user=user,
        action=IssueAction.ACCEPT,
        before=(issue.level, issue.status),
        now=now or timezone.now(),
        department=assignment.department,
    )
    return assignment


def _answer(*, user, assignment_id, version, action, text, field, message, now) -> WhistleAssignment:
    issue, assignment = _lock_assignment(assignment_id, version)
    _check(user, issue, action, assignment=assignment)
    text = _required(text, message)
    before = (issue.level, issue.status)
    assignment.status = (
        AssignmentStatus.REPLIED if action == IssueAction.REPLY else AssignmentStatus.SENT_BACK
    )
    setattr(assignment, field, text)
    now = now or timezone.now()
    assignment.answered_at = now
    assignment.answered_by = scope_for(user).member
    assignment.version += 1
    assignment.save(update_fields=["status", field, "answered_at", "answered_by", "version"])
    _after_answer(issue, now)
    _event(
        issue=issue,
        user=user,
        action=action,
        before=before,
        now=now,
        note=text,
        department=assignment.department,
    )
    return assignment


@transaction.atomic
def assignment_reply(
    *, user, assignment_id: int, version: int | None, result: str, now: datetime.datetime | None = None
) -> WhistleAssignment:
    """A department replies with its result. When no department still holds the issue, it goes to review."""
    return _answer(
        user=user,
        assignment_id=assignment_id,
        version=version,
        action=IssueAction.REPLY,
        text=result,
        field="result",
        message=_("请填写办理结果"),
        now=now,
    )


@transaction.atomic
def assignment_send_back(
    *, user, assignment_id: int, version: int | None, reason: str, now: datetime.datetime | None = None
) -> WhistleAssignment:
    """A department sends the assignment back with a reason (not its remit, needs more facts...)."""
    return _answer(
        user=user,
        assignment_id=assignment_id,
        version=version,
        action=IssueAction.SEND_BACK,
        text=reason,
        field="reason",
        message=_("退回必须说明理由"),
        now=now,
    )


@transaction.atomic
def issue_return_to_department(
    *,
    user,
    issue_id: int,
    version: int | None,
    assignment_id: int,
    reason: str,
    now: datetime.datetime | None = None,
) -> Issue:
    """The centre is not satisfied with a department's answer: the assignment reopens with a new deadline."""
    issue = _lock(issue_id, version)
    assignment = issue.assignments.select_for_update().filter(pk=assignment_id).first()
    if assignment is None:
        raise IssueError(_("交办不存在"))
    _check(user, issue, IssueAction.RETURN, assignment=assignment)
    reason = _required(reason, _("退回必须说明理由"))
    before = (issue.level, issue.status)
    now = now or timezone.now()
    deadline = whistle_deadline(assignment.kind, now)
    assignment.status = AssignmentStatus.PENDING
    assignment.reason = reason
    assignment.deadline = deadline
    assignment.version += 1
    assignment.save(update_fields=["status", "reason", "deadline", "version"])
    issue.level = IssueLevel.DEPARTMENT
    issue.status = IssueStatus.WHISTLED
    issue.deadline = max(
        [deadline]
        + list(
            issue.assignments.filter(status__in=OPEN_ASSIGNMENT_STATUSES).values_list("deadline", flat=True)
        )
    )
    _save(issue, "level", "status", "deadline")
    _event(
        issue=issue,
        user=user,
        action=IssueAction.RETURN,
        before=before,
        now=now,
        note=reason,
        department=assignment.department,
        deadline=deadline,
    )
    return issue


# --- supervision and feedback ----------------------------------------------------------------------


@transaction.atomic
def issue_supervise(
    *, user, issue_id: int, note: str, deadline: datetime.date, now: datetime.datetime | None = None
) -> Issue:
    """督办: the centre or the discipline commission adds a note and a new deadline (end of that local day).

    The new deadline applies to the issue and to every department still holding it. It does not change the
    level or status, so it does not make other people's open forms stale. Side effects: one event.
    """
    issue = _lock(issue_id, None)
    _check(user, issue, IssueAction.SUPERVISE)
    note = _required(note, _("请填写督办意见"))
    now = now or timezone.now()
    if deadline < timezone.localdate(now):
        raise IssueError(_("新期限不能早于今天"))
    if deadline > latest():
        raise IssueError(str(out_of_range_message()))
    new_deadline = end_of_local_day(deadline)
    issue.deadline = new_deadline
    issue.last_supervision_note = note[:500]
    issue.last_supervised_at = now
    issue.save(update_fields=["deadline", "last_supervision_note", "last_supervised_at", "updated_at"])
    issue.assignments.filter(status__in=OPEN_ASSIGNMENT_STATUSES).update(deadline=new_deadline)
    _event(
        issue=issue,
        user=user,
        action=IssueAction.SUPERVISE,
        before=(issue.level, issue.status),
        now=now,
        note=note,
        deadline=new_deadline,
    )
    return issue


def return_contacts(issue: Issue, member):
    """The contacts that may be recorded as an issue's return visit (回访): the member's own, with the issue's
    household (or at its place), other than the visit that found the problem. The feedback form offers these;
    issue_feedback_record refuses any other."""
    from visits.models import Contact

    if member is None:
        return Contact.objects.none()
    qs = Contact.objects.filter(member=member)
    qs = qs.filter(household=issue.household) if issue.household_id else qs.filter(place=issue.place)
    if issue.contact_id:
        qs = qs.exclude(pk=issue.contact_id)
    return qs


@transaction.atomic
def issue_feedback_record(
    *,
    user,
    issue_id: int,
    version: int | None,
    satisfaction: str,
    note: str = "",
    contact=None,
    now: datetime.datetime | None = None,
) -> IssueFeedback:
    """The raiser records the household's satisfaction on a return contact (回访).

    满意/基本满意 close the issue; 不满意 reopens it at the level that resolved it, with a fresh deadline.
    Side effects: an IssueFeedback row, issue status, one or two events (feedback, reopen).
    """
    issue = _lock(issue_id, version)
    _check(user, issue, IssueAction.FEEDBACK)
    satisfaction = Satisfaction(satisfaction)
    if satisfaction == Satisfaction.UNSATISFIED:
        note = _required(note, _("不满意时请记录群众意见"))
    now = now or timezone.now()
    feedback = IssueFeedback(
        issue=issue,
        satisfaction=satisfaction,
        note=note.strip(),
        recorded_by=scope_for(user).member,
        recorded_at=now,
    )
    if contact is not None:
        if not return_contacts(issue, feedback.recorded_by).filter(pk=contact.pk).exists():
            raise IssueError(_("回访记录应是您本人对该户(地点)的另一次走访,而不是发现问题的那次"))
        feedback.contact = contact
    feedback.save()
    before = (issue.level, issue.status)
    issue.satisfaction = satisfaction
    if satisfaction != Satisfaction.UNSATISFIED:
        issue.status = IssueStatus.CLOSED
    _event(
        issue=issue,
        user=user,
        action=IssueAction.FEEDBACK,
        before=before,
        now=now,
        note=f"{satisfaction.label} {note.strip()}".strip(),
    )
    if satisfaction == Satisfaction.UNSATISFIED:
        resolved = (issue.level, issue.status)
        issue.level = issue.resolved_level or issue.level
        issue.status = IssueStatus.OPEN
        issue.deadline = level_deadline(
            IssueLevel.CENTRE if issue.level == IssueLevel.DEPARTMENT else issue.level, now
        )
        _event(issue=issue, user=user, action=IssueAction.REOPEN, before=resolved, now=now, note=note.strip())
    _save(issue, "level", "status", "satisfaction", "deadline")
    return feedback


# --- one entry for the pages and the API ---------------------------------------------------------------


def _pk(value):
    """A model instance (a page form's choice) or its id (the API's integer) as the id."""
    return getattr(value, "pk", value)


_ISSUE_ACTIONS = {
    IssueAction.ESCALATE: lambda user, issue_id, d: issue_escalate(
        user=user,
        issue_id=issue_id,
        version=d["version"],
        reason=d["reason"],
        to_level=d.get("to_level") or None,
    ),
    IssueAction.RESOLVE: lambda user, issue_id, d: issue_resolve(
        user=user, issue_id=issue_id, version=d["version"], result=d["result"]
    ),
    IssueAction.WHISTLE: lambda user, issue_id, d: issue_whistle(
        user=user,
        issue_id=issue_id,
        version=d["version"],
        departments=list(d["departments"]),
        kind=d["kind"],
        note=d["note"],
        deadline=d.get("deadline"),
    ),
    IssueAction.RETURN: lambda user, issue_id, d: issue_return_to_department(
        user=user,
        issue_id=issue_id,
        version=d["version"],
        assignment_id=_pk(d["assignment"]),
        reason=d["reason"],
    ),
    IssueAction.SUPERVISE: lambda user, issue_id, d: issue_supervise(
        user=user, issue_id=issue_id, note=d["note"], deadline=d["deadline"]
    ),
    IssueAction.FEEDBACK: lambda user, issue_id, d: issue_feedback_record(
        user=user,
        issue_id=issue_id,
        version=d["version"],
        satisfaction=d["satisfaction"],
        note=d["note"],
        contact=d.get("contact"),
    ),
}

_ASSIGNMENT_ACTIONS = {
    IssueAction.ACCEPT: lambda user, assignment_id, d: assignment_accept(
        user=user, assignment_id=assignment_id, version=d["version"]
    ),
    IssueAction.REPLY: lambda user, assignment_id, d: assignment_reply(
        user=user, assignment_id=assignment_id, version=d["version"], result=d["result"]
    ),
    IssueAction.SEND_BACK: lambda user, assignment_id, d: assignment_send_back(
        user=user, assignment_id=assignment_id, version=d["version"], reason=d["reason"]
    ),
}


def issue_act(action: str, *, user, issue_id: int, data: dict):
    """One action on an issue from validated input (a page form's cleaned_data or the API's validated_data)."""
    return _ISSUE_ACTIONS[action](user, issue_id, data)


def assignment_act(action: str, *, user, assignment_id: int, data: dict) -> WhistleAssignment:
    """A department's answer to an assignment (accept, reply, send back) from validated input."""
    return _ASSIGNMENT_ACTIONS[action](user, assignment_id, data)
