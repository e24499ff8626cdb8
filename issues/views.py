"""Pages: queues per level, the member's own issues, raising, the detail with its timeline, one POST per action.

Views are thin: check access (issues.access), validate a form, call a service, message, redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.errors import flash_error
from grids.private import private_file_response
from members.access import households_visible_to, scope_for

from . import selectors, services
from .access import allowed_actions, can_act, get_issue_for_user, issues_visible_to
from .enums import AssignmentStatus, IssueAction, IssueLevel
from .forms import (
    AssignmentAcceptForm,
    AssignmentReplyForm,
    AssignmentSendBackForm,
    BulkWhistleForm,
    DeskFilterForm,
    EscalateForm,
    FeedbackForm,
    RaiseForm,
    ResolveForm,
    ReturnForm,
    SuperviseForm,
    WhistleForm,
)
from .models import IssuePhoto, WhistleAssignment
from .services import IssueError

PAGE_SIZE = 30

QUEUES = selectors.QUEUES


def _form_errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        parts.extend(f"{label}: {e}" if label else str(e) for e in errors)
    return " ".join(parts)


# --- lists -----------------------------------------------------------------------------------------


@login_required
def my_issues(request):
    """我的诉求: what the member raised, with status, deadline and results; phone first."""
    if scope_for(request.user).member is None:
        raise PermissionDenied
    qs = selectors.my_issues(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.status_counts(qs)
    return render(
        request,
        "issues/mine.html",
        {"page": page, "counts": selectors.status_count_rows(counts), "overdue": counts["overdue"]},
    )


@login_required
def queue(request, key: str):
    """A level's queue: the grid head's, the village officer's, the town centre's desk (with filters)."""
    if key not in QUEUES:
        raise Http404
    scope = scope_for(request.user)
    if not selectors.queue_allowed(scope, key):
        raise PermissionDenied
    q = QUEUES[key]
    area = selectors.queue_area(request.user, q)
    counts = selectors.status_counts(area)
    waiting_count = selectors.waiting_at(area, q.level).count()
    form = DeskFilterForm(request.GET or None, user=request.user)
    show, filters = "waiting", {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        show = data["show"] or "waiting"
        filters = {
            "village": data["village"],
            "category_id": data["category"].pk if data["category"] else None,
            "urgency": data["urgency"],
            "whistle_kind": data["whistle_kind"],
            "status": data["status"],
            "overdue": True if data["overdue"] else None,
        }
    qs = area if show == "all" else selectors.waiting_at(area, q.level)
    qs = selectors.for_list(selectors.filter_issues(qs, **filters)).order_by("deadline", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "queue": q,
        "page": page,
        "form": form,
        "counts": selectors.status_count_rows(counts),
        "overdue": counts["overdue"],
        "total": counts["total"],
        "waiting_count": waiting_count,
        "querystring": _querystring(request),
    }
    if key == "centre" and (scope.is_town_staff or scope.is_superuser):
        context["whistle_form"] = WhistleForm(user=request.user, initial={"version": 1})
    return render(request, "issues/queue.html", context)


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_POST
def desk_whistle(request):
    """Bulk whistle from the centre desk: every ticked issue to the same departments."""
    scope = scope_for(request.user)
    if not (scope.is_town_staff or scope.is_superuser):
        raise PermissionDenied
    form = BulkWhistleForm(request.POST, user=request.user, picks=request.POST.getlist("pick"))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(reverse("issues:queue", args=["centre"]))
    data = form.cleaned_data
    done, failed = services.issue_whistle_bulk(
        user=request.user,
        picks=data["parsed_picks"],
        departments=list(data["departments"]),
        kind=data["kind"],
        note=data["note"],
        deadline=data.get("deadline"),
    )
    if done:
        messages.success(request, _("已吹哨 %(n)d 件") % {"n": len(done)})
    for issue_id, message in failed:
        messages.error(request, f"#{issue_id}: {message}")
    return redirect(reverse("issues:queue", args=["centre"]))


@login_required
def department_queue(request):
    """The department handler's queue: assignments to their department, with supervision notes."""
    scope = scope_for(request.user)
    if not scope.department_ids:
        raise PermissionDenied
    qs = selectors.department_assignments(request.user)
    counts = selectors.assignment_counts(qs)
    status = request.GET.get("status", "")
    if status in AssignmentStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(s.value, str(s.label), counts[s.value]) for s in AssignmentStatus]
    return render(
        request,
        "issues/department.html",
        {"page": page, "counts": rows, "overdue": counts["overdue"], "status": status},
    )


# --- raise and detail ------------------------------------------------------------------------------


def _own_contact(request, raw):
    """A contact of the user's own, given as ?contact=<id> (a member raises from their own visit)."""
    from visits.models import Contact

    member = scope_for(request.user).member
    if member is None or not str(raw or "").isdigit():
        return None
    return Contact.objects.select_related("household", "place").filter(pk=int(raw), member=member).first()


@login_required
def raise_issue(request):
    """Raise an issue (often from a contact that "found a problem": ?contact=<id> pre-fills it)."""
    if scope_for(request.user).member is None:
        raise PermissionDenied
    contact = _own_contact(request, request.GET.get("contact") or request.POST.get("contact"))
    initial, initial_household = {}, None
    if contact is not None:
        initial_household = contact.household
        initial = {
            "household": contact.household_id,
            "place": contact.place_id,
            "description": contact.summary,
        }
    elif (request.GET.get("household") or "").isdigit():
        initial_household = (
            households_visible_to(request.user).filter(pk=int(request.GET["household"])).first()
        )
        initial = {"household": initial_household.pk if initial_household else None}
    form = RaiseForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial=initial,
        initial_household=initial_household,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = services.issue_raise(
                user=request.user,
                category=data["category"],
                kind=data["kind"],
                urgency=data["urgency"],
                description=data["description"],
                household=data["household"],
                place=data["place"] if not data["household"] else None,
                photos=data["photos"],
                contact=contact,
                solved_result=data["note"] if data["outcome"] == "solved" else "",
                escalate_reason=data["note"] if data["outcome"] == "escalate" else "",
            )
        except IssueError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("诉求已提交 #%(id)d") % {"id": issue.pk})
            return redirect("issues:detail", pk=issue.pk)
    return render(request, "issues/raise.html", {"form": form, "contact": contact})


@login_required
def detail(request, pk: int):
    """The issue, its whole timeline, its departments, and the forms for what this user may do now."""
    issue = get_issue_for_user(request.user, pk)
    actions = allowed_actions(request.user, issue)
    version = {"version": issue.version}
    forms = {}
    if IssueAction.ESCALATE in actions:
        forms["escalate"] = EscalateForm(initial=version)
    if IssueAction.RESOLVE in actions:
        forms["resolve"] = ResolveForm(initial=version)
    if IssueAction.WHISTLE in actions:
        forms["whistle"] = WhistleForm(user=request.user, initial=version)
    if IssueAction.RETURN in actions:
        forms["return"] = ReturnForm(issue=issue, initial=version)
        if not forms["return"].fields["assignment"].queryset.exists():
            del forms["return"]
    if IssueAction.SUPERVISE in actions:
        forms["supervise"] = SuperviseForm()
    if IssueAction.FEEDBACK in actions:
        feedback_initial = dict(version)
        # Back from recording the return visit (visits' record form with ?next=): that contact preselected.
        returned = request.GET.get("return_contact", "")
        if returned.isdigit():
            feedback_initial["contact"] = int(returned)
        forms["feedback"] = FeedbackForm(user=request.user, issue=issue, initial=feedback_initial)
    emergency_skip = can_act(request.user, issue, IssueAction.ESCALATE, to_level=IssueLevel.CENTRE)
    assignments = list(issue.assignments.select_related("department", "answered_by"))
    mine = []
    for assignment in assignments:
        assignment_forms = {}
        for action, form_class in (
            (IssueAction.ACCEPT, AssignmentAcceptForm),
            (IssueAction.REPLY, AssignmentReplyForm),
            (IssueAction.SEND_BACK, AssignmentSendBackForm),
        ):
            if can_act(request.user, issue, action, assignment=assignment):
                assignment_forms[action.value] = form_class(initial={"version": assignment.version})
        if assignment_forms:
            mine.append((assignment, assignment_forms))
    context = {
        "issue": issue,
        "events": selectors.issue_timeline(issue),
        "assignments": assignments,
        "my_assignments": mine,
        "photos": list(issue.photos.all()),
        "feedback": list(issue.feedback.select_related("recorded_by")),
        "forms": forms,
        "emergency_skip": emergency_skip and issue.level == IssueLevel.GRID,
        "saved": request.GET.get("saved", ""),
        "return_visit_url": _return_visit_url(issue, request.path) if "feedback" in forms else "",
    }
    return render(request, "issues/detail.html", context)


def _return_visit_url(issue, back: str) -> str:
    """The record form for the issue's household (or place), coming back here with the new contact chosen."""
    try:
        if issue.household_id:
            url = reverse("visits:household-record", args=[issue.household_id])
        elif issue.place_id:
            url = reverse("visits:place-record", args=[issue.place_id])
        else:
            return ""
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode({'next': back})}"


@login_required
def photo(request, pk: int):
    photo = get_object_or_404(IssuePhoto, pk=pk, issue__in=issues_visible_to(request.user))
    return private_file_response(
        photo.image,
        filename=f"issue-{photo.issue_id}-{photo.pk}.jpg",
        as_attachment=False,
        content_type="image/jpeg",
    )


# --- actions: one POST each ------------------------------------------------------------------------


def _run(request, pk, form, call):
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except IssueError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("已保存"))
    else:
        messages.error(request, _form_errors(form))
    return redirect("issues:detail", pk=pk)


ISSUE_FORMS = {
    IssueAction.ESCALATE: lambda request, issue: EscalateForm(request.POST),
    IssueAction.RESOLVE: lambda request, issue: ResolveForm(request.POST),
    IssueAction.WHISTLE: lambda request, issue: WhistleForm(request.POST, user=request.user),
    IssueAction.RETURN: lambda request, issue: ReturnForm(request.POST, issue=issue),
    IssueAction.SUPERVISE: lambda request, issue: SuperviseForm(request.POST),
    IssueAction.FEEDBACK: lambda request, issue: FeedbackForm(request.POST, user=request.user, issue=issue),
}


@login_required
@require_POST
def act_issue(request, pk: int, action: str):
    """One action on the issue (escalate, resolve, whistle, return, supervise, feedback): the URL names it."""
    issue = get_issue_for_user(request.user, pk)
    return _run(
        request,
        pk,
        ISSUE_FORMS[action](request, issue),
        lambda d: services.issue_act(action, user=request.user, issue_id=issue.pk, data=d),
    )


ASSIGNMENT_FORMS = {
    "accept": (IssueAction.ACCEPT, AssignmentAcceptForm),
    "reply": (IssueAction.REPLY, AssignmentReplyForm),
    "send-back": (IssueAction.SEND_BACK, AssignmentSendBackForm),
}


@login_required
@require_POST
def act_assignment(request, pk: int, action: str):
    """A department handler accepts, replies to or sends back an assignment."""
    if action not in ASSIGNMENT_FORMS:
        raise Http404
    assignment = get_object_or_404(WhistleAssignment, pk=pk, issue__in=issues_visible_to(request.user))
    answer, form_class = ASSIGNMENT_FORMS[action]
    return _run(
        request,
        assignment.issue_id,
        form_class(request.POST),
        lambda d: services.assignment_act(answer, user=request.user, assignment_id=assignment.pk, data=d),
    )
