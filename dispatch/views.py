"""Pages of dispatch: job runs (town staff), 调度令, monthly task lists, review snapshots. Views stay thin."""

from __future__ import annotations

import datetime
import io
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.dates import month_in_range, out_of_range_message
from grids.errors import flash_error, form_error
from grids.ledger import printed_by
from grids.models import Place
from grids.private import private_file_response
from members.access import scope_for, towns_managed_by

from . import selectors
from .access import (
    can_see_progress,
    get_order_for_user,
    get_task_list_for_user,
    orders_visible_to,
    snapshots_visible_to,
    task_lists_visible_to,
)
from .enums import RecipientStatus, SnapshotKind
from .exports import task_list_write_xlsx
from .forms import JobRunForm, OrderDoneForm, OrderForm
from .jobs import JobError, job_run_by_hand, may_run_all, runnable_towns, runs_mark_stale
from .models import MonthlyTaskList, OrderRecipient
from .periods import PeriodError, default_key, month_period, recent_months, today
from .services import DispatchError, order_acknowledge, order_issue, order_report_done


def _staff_town(user) -> Place:
    town = towns_managed_by(user).order_by("path").first()
    if town is None:
        raise PermissionDenied
    return town


# --- job runs ---------------------------------------------------------------------------------------


@login_required
def jobs(request):
    """Town staff: their town's runs with progress, and a form to run a job for a period and town. The run is
    always enqueued for the worker (one task per town); the page refreshes itself while a run is going."""
    towns = list(runnable_towns(request.user))
    if not towns:
        raise PermissionDenied
    all_towns = may_run_all(request.user)
    if request.method == "POST":
        wanted = request.POST.get("town", "")
        if wanted and wanted not in {str(t.pk) for t in towns} | ({JobRunForm.ALL} if all_towns else set()):
            raise PermissionDenied  # another town's job, or all towns by a town's staff
        form = JobRunForm(request.POST, towns=towns, may_run_all=all_towns)
        if form.is_valid():
            try:
                job_run_by_hand(
                    job=form.cleaned_data["job"],
                    period_key=form.cleaned_data["period"],
                    user=request.user,
                    town_id=form.town_id(),
                )
            except JobError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已提交后台运行,本页会自动刷新显示进度"))
                return redirect(f"{reverse('dispatch:jobs')}?submitted=1")
    else:
        job = request.GET.get("job", "task_lists")
        try:
            initial = {"job": job, "period": default_key(job)}
        except ValueError:
            initial = {}
        if request.GET.get("town") in {str(t.pk) for t in towns}:  # "run it" links of the city pages
            initial["town"] = request.GET["town"]
        form = JobRunForm(initial=initial, towns=towns, may_run_all=all_towns)
    runs_mark_stale()
    runs = list(selectors.job_runs(towns=None if all_towns else towns))
    running = any(run.status == "running" for run in runs)
    return render(
        request,
        "dispatch/jobs.html",
        {
            "form": form,
            "runs": runs,
            # Refresh while something runs, and briefly after a submit (the worker has not started it yet).
            "refresh": running or request.GET.get("submitted") == "1",
        },
    )


# --- 调度令 -------------------------------------------------------------------------------------------


@login_required
def orders(request):
    scope = scope_for(request.user)
    visible = selectors.orders_with_progress(orders_visible_to(request.user)).order_by("-issued_at", "-id")
    page = Paginator(visible, 30).get_page(request.GET.get("page"))
    mine = {}
    if scope.member is not None:
        mine = dict(
            OrderRecipient.objects.filter(order__in=[o.pk for o in page], member=scope.member).values_list(
                "order_id", "status"
            )
        )
    for order in page:
        order.my_status = mine.get(order.pk)
    return render(
        request,
        "dispatch/orders.html",
        {"page": page, "can_issue": scope.is_town_staff, "statuses": dict(RecipientStatus.choices)},
    )


@login_required
def order_new(request):
    town = _staff_town(request.user)
    form = OrderForm(request.POST or None, request.FILES or None, town=town)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = order_issue(
                user=request.user,
                town=town,
                title=data["title"],
                task=data["task"],
                due_date=data["due_date"],
                places=[*data["villages"], *data["grids"]],
                members=list(data["members"]),
                attachment=data.get("attachment"),
            )
        except DispatchError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("调度令已下发"))
            return redirect("dispatch:order-detail", pk=order.pk)
    return render(request, "dispatch/order_form.html", {"form": form, "town": town})


@login_required
def order_detail(request, pk: int):
    order = get_order_for_user(request.user, pk)
    scope = scope_for(request.user)
    my_row = OrderRecipient.objects.filter(order=order, member=scope.member).first() if scope.member else None
    context = {"order": order, "my_row": my_row, "done_form": OrderDoneForm()}
    if can_see_progress(request.user, order):
        context["progress"] = selectors.order_progress(order=order)
        context["recipients"] = selectors.order_recipients(order=order)
    return render(request, "dispatch/order_detail.html", context)


def _order_step(request, order, step, message: str, **kwargs):
    """Run a recipient's step on the order (sign, report done); its refusal or `message`; back to the order."""
    try:
        step(user=request.user, order=order, **kwargs)
    except DispatchError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, message)
    return redirect("dispatch:order-detail", pk=order.pk)


@login_required
@require_POST
def order_ack(request, pk: int):
    return _order_step(request, get_order_for_user(request.user, pk), order_acknowledge, _("已签收"))


@login_required
@require_POST
def order_done(request, pk: int):
    order = get_order_for_user(request.user, pk)
    form = OrderDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写办理情况"))
        return redirect("dispatch:order-detail", pk=order.pk)
    return _order_step(request, order, order_report_done, _("已报告办结"), report=form.cleaned_data["report"])


@login_required
def order_attachment(request, pk: int):
    """The attachment, only to those who see the order (private files have no URL of their own)."""
    order = get_order_for_user(request.user, pk)
    if not order.attachment:
        raise Http404
    name = order.attachment_name or order.attachment.name.rsplit("/", 1)[-1]
    return private_file_response(order.attachment, filename=name, as_attachment=True)


# --- 每月一走访工作任务清单 ------------------------------------------------------------------------------


def _month_param(request) -> tuple[datetime.date, str]:
    """The month asked for and "" — or this month and the reason the one asked for was refused."""
    raw = request.GET.get("month") or f"{today():%Y-%m}"
    year_month = re.fullmatch(r"(\d{4})-(\d{2})", raw)
    if (
        year_month
        and 1 <= int(year_month[2]) <= 12
        and not month_in_range(int(year_month[1]), int(year_month[2]))
    ):
        return today().replace(day=1), str(out_of_range_message())
    try:
        return month_period(raw).start, ""
    except PeriodError as exc:
        return today().replace(day=1), str(exc)


@login_required
def my_task_list(request):
    """The member's own list for a month (default this month); overseers also get their area's lists."""
    scope = scope_for(request.user)
    month, month_error = _month_param(request)
    mine = None
    if scope.member is not None:
        mine = MonthlyTaskList.objects.filter(member=scope.member, month=month).first()
    others = None
    if scope.paths:
        rows = (
            task_lists_visible_to(request.user)
            .filter(month=month)
            .exclude(member=scope.member)
            .select_related("member")
            .order_by("path", "member__name")
        )
        others = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "dispatch/task_list_index.html",
        {
            "month": month,
            "mine": mine,
            "others": others,
            "months": recent_months(month),
            "month_error": month_error,
        },
        status=400 if month_error else 200,
    )


@login_required
def task_list_detail(request, pk: int):
    task_list = get_task_list_for_user(request.user, pk)
    return render(request, "dispatch/task_list.html", {"task_list": task_list})


@login_required
def task_list_xlsx(request, pk: int):
    task_list = get_task_list_for_user(request.user, pk)
    buffer = io.BytesIO()
    task_list_write_xlsx(task_list=task_list, out=buffer, printed=printed_by(request.user))
    buffer.seek(0)
    filename = f"task-list-{task_list.month:%Y-%m}-{task_list.member_id}.xlsx"
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- 旬调度 / 季讲评 / 年总评 ---------------------------------------------------------------------------


@login_required
def reviews(request):
    scope = scope_for(request.user)
    if not (scope.is_town_staff or scope.is_discipline):
        raise PermissionDenied
    rows = snapshots_visible_to(request.user).select_related("town").order_by("-created_at", "-id")
    kind = request.GET.get("kind")
    if kind in SnapshotKind.values:
        rows = rows.filter(kind=kind)
    page = Paginator(rows.defer("data"), 30).get_page(request.GET.get("page"))
    return render(
        request, "dispatch/reviews.html", {"page": page, "kinds": SnapshotKind.choices, "kind": kind}
    )


@login_required
def review_detail(request, pk: int):
    scope = scope_for(request.user)
    if not (scope.is_town_staff or scope.is_discipline):
        raise PermissionDenied
    snapshot = snapshots_visible_to(request.user).select_related("town").filter(pk=pk).first()
    if snapshot is None:
        raise Http404
    return render(request, "dispatch/review_detail.html", {"snapshot": snapshot, "data": snapshot.data})
