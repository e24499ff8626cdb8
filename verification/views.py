"""Pages: signals for reviewers, the verification call list, cases, household locations for grid heads."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.enums import PlaceKind
from grids.errors import flash_error
from grids.models import Place
from members.access import scope_for

from . import exports, selectors, services
from .enums import CallOutcome, CaseDecision, CaseStatus, FlagStatus, SignalKind
from .models import Sample


def month_param(value: str | None) -> datetime.date:
    """A "YYYY-MM" parameter as the first of the month; this month when missing or unreadable."""
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        chosen = datetime.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)
    if not (datetime.date(2000, 1, 1) <= chosen <= today):
        return today.replace(day=1)
    return chosen


def _previous_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _qs(request) -> str:
    """The page's query string without `page`, ready for "?{qs}page=N"."""
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def _require_reviewer(user) -> None:
    if not selectors.is_reviewer(user):
        raise PermissionDenied(_("只有镇网格化综合服务中心和镇纪委可以查看"))


@login_required
def index(request):
    """Open signals by village and the filtered list (centre staff and the discipline commission)."""
    _require_reviewer(request.user)
    scope = scope_for(request.user)
    # Without a month: every month (what is still open matters more than when it was found).
    month = month_param(request.GET["month"]) if request.GET.get("month") else None
    flags = selectors.flags_visible_to(request.user)
    if month:
        flags = flags.filter(month=month)
    village = None
    if request.GET.get("village", "").isdigit():
        village = Place.objects.filter(
            scope.path_q(), pk=int(request.GET["village"]), kind=PlaceKind.VILLAGE
        ).first()
        if village is not None:
            flags = flags.filter(path__startswith=village.path)
    kind = request.GET.get("kind", "")
    if kind in SignalKind.values:
        flags = flags.filter(kind=kind)
    status = request.GET.get("status", FlagStatus.OPEN)
    if status in FlagStatus.values:
        flags = flags.filter(status=status)
    name = request.GET.get("member", "").strip()[:50]
    if name:
        flags = flags.filter(member__name__contains=name)
    flags = flags.select_related("member").order_by("-id")
    page = Paginator(flags, 30).get_page(request.GET.get("page"))
    for flag in page:
        flag.reason = services.reason_text(flag)
    context = {
        "month": month,
        "villages": selectors.open_by_village(request.user, month=month),
        "page": page,
        "village": village,
        "kind": kind,
        "status": status,
        "member_name": name,
        "kinds": SignalKind.choices,
        "statuses": FlagStatus.choices,
        "is_centre": scope.is_town_staff,
        "qs": _qs(request),
    }
    return render(request, "verification/index.html", context)


@login_required
def flag_detail(request, pk: int):
    _require_reviewer(request.user)
    flag = get_object_or_404(selectors.flags_visible_to(request.user).select_related("member"), pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "dismiss":
                services.flag_dismiss(user=request.user, flag=flag, note=request.POST.get("note", ""))
                messages.success(request, _("已排除该信号。"))
            elif request.POST.get("action") == "case":
                cases = services.flag_to_case(user=request.user, flag=flag, note=request.POST.get("note", ""))
                messages.success(request, _("已转镇纪委认定(%(n)s 件)。") % {"n": len(cases)})
        except ValidationError as error:
            flash_error(request, error)
        return redirect("verification:flag", pk=flag.pk)
    contacts = flag.contacts.select_related("member", "household", "place").order_by("occurred_at")
    rows = []
    for contact in contacts:
        distance = None
        household = contact.household
        if contact.latitude is not None and household is not None and household.latitude is not None:
            distance = round(
                services.distance_m(
                    contact.latitude, contact.longitude, household.latitude, household.longitude
                )
            )
        rows.append({"contact": contact, "distance": distance})
    context = {
        "flag": flag,
        "reason": services.reason_text(flag),
        "rows": rows,
        "can_act": flag.status == FlagStatus.OPEN and scope_for(request.user).is_town_staff,
    }
    return render(request, "verification/flag.html", context)


@login_required
def calls(request):
    """The month's verification calls: the centre's whole list, or an officer's cross-check list."""
    scope = scope_for(request.user)
    visible = selectors.calls_visible_to(request.user)
    if not (selectors.is_reviewer(request.user) or scope.is_village_officer):
        raise PermissionDenied(_("只有镇网格化综合服务中心、镇纪委和村专干可以查看回访名单"))
    # By default the month just ended: a month's sample is drawn once it is over.
    month = month_param(request.GET.get("month") or request.POST.get("month") or f"{_previous_month():%Y-%m}")
    towns = list(selectors.towns_reviewed_by(request.user)) if scope.is_town_staff else []
    if request.method == "POST":
        town = next((t for t in towns if str(t.pk) == request.POST.get("town")), None)
        if town is None:
            raise PermissionDenied
        try:
            sample = services.sample_draw(
                user=request.user, town=town, month=month, cross_check=request.POST.get("cross_check") == "on"
            )
        except ValidationError as error:
            flash_error(request, error)
        else:
            messages.success(
                request,
                _("已抽取 %(month)s 的回访名单:%(n)s 条。")
                % {"month": f"{month:%Y-%m}", "n": sample.calls.count()},
            )
        return redirect(f"{reverse('verification:calls')}?month={month:%Y-%m}")
    month_calls = visible.filter(sample__month=month)
    progress = month_calls.aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(outcome=CallOutcome.PENDING)),
        denied=Count("id", filter=Q(outcome=CallOutcome.DENIED)),
    )
    # Calls still to make first, then by village; flagged contacts first within each.
    listed = (
        month_calls.select_related("contact__member", "household", "village", "caller_village")
        .annotate(done=Case(When(outcome=CallOutcome.PENDING, then=0), default=1))
        .order_by("done", "village__path", "-flagged", "id")
    )
    page = Paginator(listed, 20).get_page(request.GET.get("page"))
    for call in page:
        call.can_call = call.outcome == CallOutcome.PENDING and services.may_call(request.user, call)
    services.phones_shown(calls=[call for call in page if call.can_call], request=request)
    context = {
        "month": month,
        "page": page,
        "towns": towns,
        "drawn": {s.town_id for s in _samples(towns, month)},
        "outcomes": [c for c in CallOutcome.choices if c[0] != CallOutcome.PENDING],
        "is_reviewer": selectors.is_reviewer(request.user),
        "qs": _qs(request),
        "progress": progress,
        "month_over": month < timezone.localdate().replace(day=1),
    }
    return render(request, "verification/calls.html", context)


def _samples(towns, month):
    return Sample.objects.filter(town__in=towns, month=month)


@login_required
@require_POST
def call_record(request, pk: int):
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    try:
        services.call_record(
            user=request.user,
            call=call,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("回访结果已记录。"))
    return redirect(f"{reverse('verification:calls')}?month={call.sample.month:%Y-%m}")


@login_required
def calls_ledger(request):
    _require_reviewer(request.user)
    month = month_param(request.GET.get("month"))
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    exports.calls_ledger(
        selectors.calls_visible_to(request.user).filter(sample__month=month), month, response
    )
    response["Content-Disposition"] = content_disposition_header(True, f"回访核实台账{month:%Y-%m}.xlsx")
    return response


@login_required
def cases(request):
    scope = scope_for(request.user)
    visible = selectors.cases_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        visible = visible.filter(status=status)
    page = Paginator(visible.select_related("member", "contact", "household").order_by("-id"), 30).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "status": status,
        "statuses": CaseStatus.choices,
        "is_reviewer": selectors.is_reviewer(request.user),
        "qs": _qs(request),
    }
    if not context["is_reviewer"] and scope.member is None:
        raise PermissionDenied
    return render(request, "verification/cases.html", context)


@login_required
def case_detail(request, pk: int):
    case = get_object_or_404(
        selectors.cases_visible_to(request.user).select_related(
            "member", "contact", "household", "decided_by"
        ),
        pk=pk,
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "decide":
                services.case_decide(
                    user=request.user,
                    case=case,
                    decision=request.POST.get("decision", ""),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("已认定。"))
            elif request.POST.get("action") == "explain":
                services.case_explain(user=request.user, case=case, text=request.POST.get("text", ""))
                messages.success(request, _("说明已提交。"))
        except ValidationError as error:
            flash_error(request, error)
        return redirect("verification:case", pk=case.pk)
    scope = scope_for(request.user)
    context = {
        "case": case,
        "events": case.events.select_related("by").order_by("id"),
        "can_decide": case.status == CaseStatus.OPEN and services.may_decide(request.user, case),
        "can_explain": case.status == CaseStatus.DECIDED
        and scope.member is not None
        and scope.member.pk == case.member_id,
        "decisions": CaseDecision.choices,
        "is_reviewer": selectors.is_reviewer(request.user),
    }
    return render(request, "verification/case.html", context)


@login_required
def locations(request):
    """Grid heads confirm the positions proposed from first located home visits."""
    scope = scope_for(request.user)
    if not (scope.is_grid_head or scope.is_superuser):
        raise PermissionDenied(_("只有网格长可以确认户的位置"))
    if request.method == "POST":
        proposal = get_object_or_404(
            selectors.pending_locations(request.user), pk=request.POST.get("proposal", 0)
        )
        try:
            services.location_decide(
                user=request.user, proposal=proposal, confirm=request.POST.get("confirm") == "1"
            )
        except ValidationError as error:
            flash_error(request, error)
        else:
            messages.success(request, _("已处理。"))
        return redirect("verification:locations")
    pending = (
        selectors.pending_locations(request.user)
        .select_related("household", "contact__member")
        .order_by("id")
    )
    page = Paginator(pending, 30).get_page(request.GET.get("page"))
    return render(request, "verification/locations.html", {"page": page})
