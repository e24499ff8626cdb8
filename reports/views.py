"""Dashboards, member drill-down, the assessment and ledger exports. Thin: access, form, service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.errors import flash_error
from grids.private import private_file_response
from members.access import can_manage_town, scope_for
from visits.enums import ContactKind

from . import assessment, city_views, selectors, services
from .access import exports_visible_to, get_export_file_for_user
from .dashboards import build_dashboard
from .enums import ExportStatus
from .forms import ExportForm, YearForm, period_from_request
from .services import ReportError


@login_required
def index(request):
    """/reports/: the widest dashboard the user's posts cover (city, town, village or grid)."""
    if scope_for(request.user).city_paths:
        return city_views.city_home(request)
    return city_views.redirect_to_dashboard(request, "reports:place", selectors.home_place_for(request.user))


@login_required
def place_dashboard(request, pk: int):
    place, crumbs = selectors.get_dashboard_place_with_crumbs(request.user, pk)  # one query for both
    form, period = period_from_request(request)
    context = build_dashboard(user=request.user, place=place, period=period)
    households = None
    if context["grid_level"]:
        households = Paginator(selectors.household_rows(user=request.user, place=place, period=period), 50)
        households = households.get_page(request.GET.get("page"))
    context.update(
        form=form,
        crumbs=crumbs,
        households_page=households,
        export_form=ExportForm(initial={**period.as_params(), "on": period.start}),
        can_full_numbers=request.user.has_perm("reports.view_full_numbers"),
        query=_period_query(request),
    )
    return render(request, "reports/dashboard.html", context)


def _period_query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def member_detail(request, pk: int):
    """Drill-down to one member: current links with their compliance, contacts in the period."""
    from visits.selectors import link_compliance

    member = selectors.get_member_for_dashboard(request.user, pk)
    form, period = period_from_request(request)
    links = link_compliance(
        links=selectors.member_links(user=request.user, member=member, on=period.status_day),
        on=period.status_day,
    )
    start, end = period.bounds
    from visits.selectors import contacts_visible_to

    contacts = contacts_visible_to(request.user).filter(
        member=member, occurred_at__gte=start, occurred_at__lt=end
    )
    by_kind = contacts.order_by().aggregate(
        total=Count("id"), **{k.value: Count("id", filter=Q(kind=k)) for k in ContactKind}
    )
    recent = contacts.select_related("household", "place").order_by("-occurred_at", "-id")[:50]
    return render(
        request,
        "reports/member.html",
        {
            "member": member,
            "form": form,
            "period": period,
            "links": links,
            "total": by_kind["total"],
            "by_kind": [(k.label, by_kind[k.value]) for k in ContactKind],
            "recent": recent,
            "query": _period_query(request),
        },
    )


# --- assessment ----------------------------------------------------------------------------------------


@login_required
def assessment_view(request, pk: int):
    town = assessment.get_assessment_town_for_user(request.user, pk)
    form = YearForm(request.GET or {"year": timezone.localdate().year})
    year = form.cleaned_data["year"] if form.is_valid() else timezone.localdate().year
    result = assessment.assessment_result(town=town, year=year)
    preview = None
    if result is None:
        preview = assessment.assessment_build(user=request.user, town=town, year=year)
    return render(
        request,
        "reports/assessment.html",
        {
            "town": town,
            "form": form,
            "year": year,
            "result": result,
            "sheet": result or preview,
            "is_preview": result is None,
            "can_compute": can_manage_town(request.user, town),
            "can_approve": assessment.can_approve(request.user, town),
        },
    )


def _assessment_action(request, pk: int, service, message: str):
    """Compute or approve a town's year: validate the year, call the service, message, back to the sheet."""
    town = assessment.get_assessment_town_for_user(request.user, pk)
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("年度无效"))
        return redirect("reports:assessment", pk=town.pk)
    year = form.cleaned_data["year"]
    try:
        service(user=request.user, town=town, year=year)
    except ReportError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, message % {"year": year})
    return redirect(f"{reverse('reports:assessment', args=[town.pk])}?year={year}")


@login_required
@require_POST
def assessment_compute_view(request, pk: int):
    return _assessment_action(request, pk, services.assessment_compute, _("已计算 %(year)s 年考核结果"))


@login_required
@require_POST
def assessment_approve_view(request, pk: int):
    return _assessment_action(
        request, pk, services.assessment_approve, _("%(year)s 年考核结果已审定,不再重新计算")
    )


# --- exports -----------------------------------------------------------------------------------------


@login_required
@require_POST
def export_request_view(request, pk: int):
    place = selectors.get_dashboard_place_for_user(request.user, pk)
    form = ExportForm(request.POST)
    back = f"{reverse('reports:place', args=[place.pk])}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        job = services.export_request(
            user=request.user,
            kind=form.cleaned_data["kind"],
            place=place,
            period=form.cleaned_data["report_period"],
            full_numbers=form.cleaned_data["full_numbers"],
        )
    except ReportError as exc:
        flash_error(request, exc)
        return redirect(back)
    if job.is_downloadable():
        return redirect("reports:export-download", pk=job.pk)
    messages.info(request, _("台账较大,正在后台生成,完成后可在“我的导出”下载"))
    return redirect("reports:exports")


@login_required
def export_list(request):
    mine = exports_visible_to(request.user).filter(requested_by=request.user)
    jobs = list(mine.select_related("place")[:100])
    pending = any(job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for job in jobs)
    return render(request, "reports/exports.html", {"jobs": jobs, "now": timezone.now(), "pending": pending})


@login_required
def export_download(request, pk: int):
    """The requester's own export while it has not expired; anyone else gets 404."""
    job = get_export_file_for_user(request.user, pk)
    if not job.is_downloadable():
        messages.error(request, _("文件已过期或尚未生成"))
        return redirect("reports:exports")
    services.export_log_download(job=job)
    return private_file_response(job.file, filename=job.filename, as_attachment=True)
