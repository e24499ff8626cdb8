"""Pages for award rounds. Thin: check access (rewards.access), validate a form, call a service, message,
redirect. A ValidationError from a service becomes a message; PermissionDenied a 403; an unseen round 404."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.errors import flash_error, flash_outcome
from grids.ledger import printed_by
from members.access import (
    get_member_for_user,
    get_place_for_user,
    members_visible_to,
    scope_for,
    towns_managed_by,
)

from . import exports, selectors, services
from .access import (
    acts_on_round,
    can_nominate,
    get_candidate,
    get_managed_round_for_user,
    get_round_for_user,
    is_discipline_of,
    is_leading_group_of,
    manages_round,
    rounds_visible_to,
)
from .enums import EDITABLE_STATUSES, GRID_KINDS, Criterion, RoundStatus, criteria_for
from .forms import (
    AwardTypeForm,
    CorrectionForm,
    NominateForm,
    PeriodForm,
    ReasonForm,
    RoundCreateForm,
    WeightsForm,
)
from .models import AwardType, Correction, Nomination, RoundEvent

RANKING_ROWS = 50


def _run(request, action: Callable, success: str, **kwargs) -> bool:
    return flash_outcome(request, lambda: action(user=request.user, **kwargs), success)


def _detail(round_) -> str:
    return reverse("rewards:round-detail", args=[round_.pk])


# --- rounds ------------------------------------------------------------------------------------------


@login_required
def round_list(request):
    towns = towns_managed_by(request.user)
    form = None
    if towns.exists():
        form = RoundCreateForm(request.POST or None, towns=towns)
        if request.method == "POST" and form.is_valid():
            try:
                round_ = services.round_create(
                    user=request.user,
                    town=form.cleaned_data["town"],
                    year=form.cleaned_data["year"],
                    half=form.cleaned_data["half"],
                )
            except ValidationError as error:
                flash_error(request, error)
            else:
                messages.success(request, _("已创建评选"))
                return redirect(_detail(round_))
    elif request.method == "POST":
        raise PermissionDenied
    rounds = rounds_visible_to(request.user).select_related("town").order_by("-year", "-half", "-id")[:100]
    return render(request, "rewards/round_list.html", {"rounds": rounds, "form": form})


@login_required
def round_detail(request, pk: int):
    round_ = get_round_for_user(request.user, pk)
    if not manages_round(request.user, round_):
        return redirect("rewards:round-results", pk=round_.pk)
    scope = scope_for(request.user)
    town_staff = scope.is_staff_of(round_.town.path)
    leading = is_leading_group_of(scope, round_.town)
    editable = town_staff and round_.status in EDITABLE_STATUSES
    types = list(round_.types.select_related("office").order_by("order", "id"))
    nominations = list(selectors.round_nominations(round_))
    for award_type in types:
        award_type.nomination_list = [n for n in nominations if n.award_type_id == award_type.pk]
        award_type.can_nominate = round_.status == RoundStatus.NOMINATING and can_nominate(
            request.user, award_type
        )
    weights = selectors.round_weights(round_)
    context = {
        "round": round_,
        "types": types,
        "events": RoundEvent.objects.filter(round=round_)
        .select_related("actor")
        .order_by("created_at", "id"),
        "town_staff": town_staff,
        "leading": leading,
        "editable": editable,
        "acts": acts_on_round(request.user, round_),
        "weights": [(c, Criterion(c).label, weights[c]) for c in Criterion],
        "dispatch_available": selectors.dispatch_available(),
        "period_form": PeriodForm(
            initial={"period_start": round_.period_start, "period_end": round_.period_end}
        ),
        "type_form": AwardTypeForm(town=round_.town, initial={"prize": "400.00", "places": 1}),
        "weights_form": WeightsForm(criteria=list(Criterion), initial_weights=weights),
        "reason_form": ReasonForm(),
    }
    return render(request, "rewards/round_detail.html", context)


@login_required
@require_POST
def round_period(request, pk: int):
    round_ = get_managed_round_for_user(request.user, pk)
    form = PeriodForm(request.POST)
    if form.is_valid():
        _run(request, services.round_update_period, _("统计期已修改"), round_=round_, **form.cleaned_data)
    else:
        messages.error(request, _("日期格式不正确"))
    return redirect(_detail(round_))


@login_required
@require_POST
def round_weights(request, pk: int):
    round_ = get_managed_round_for_user(request.user, pk)
    form = WeightsForm(request.POST, criteria=list(Criterion), initial_weights={})
    if form.is_valid():
        _run(request, services.weights_update, _("权重已保存"), round_=round_, weights=form.cleaned_data)
    else:
        messages.error(request, _("权重应为0到1000之间的数"))
    return redirect(_detail(round_))


def _managed_award_type(request, pk: int, type_pk: int, award_types=AwardType.objects):
    """A round the user manages and one of its award types (404 for anything else)."""
    round_ = get_managed_round_for_user(request.user, pk)
    return round_, get_object_or_404(award_types, pk=type_pk, round=round_)


@login_required
@require_POST
def award_type_save(request, pk: int, type_pk: int | None = None):
    round_ = get_managed_round_for_user(request.user, pk)
    award_type = get_object_or_404(AwardType, pk=type_pk, round=round_) if type_pk else None
    form = AwardTypeForm(request.POST, town=round_.town)
    if form.is_valid():
        _run(
            request,
            services.award_type_save,
            _("奖项已保存"),
            round_=round_,
            award_type=award_type,
            **form.cleaned_data,
        )
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}")
    return redirect(_detail(round_))


@login_required
@require_POST
def award_type_delete(request, pk: int, type_pk: int):
    round_, award_type = _managed_award_type(request, pk, type_pk)
    _run(request, services.award_type_delete, _("奖项已删除"), award_type=award_type)
    return redirect(_detail(round_))


TRANSITIONS = {
    "open": (services.round_open, _("已开始推荐")),
    "submit": (services.round_submit, _("已提交领导小组审批")),
    "approve": (services.round_approve, _("已审批通过")),
    "return": (services.round_return, _("已退回重新推荐")),
    "publish": (services.round_publish, _("已公布,结果锁定")),
}


@login_required
@require_POST
def round_transition(request, pk: int, action: str):
    round_ = get_managed_round_for_user(request.user, pk)
    if action not in TRANSITIONS:
        raise Http404
    service, success = TRANSITIONS[action]
    kwargs = {"round_": round_}
    if action == "return":
        kwargs["reason"] = request.POST.get("reason", "")
    _run(request, service, str(success), **kwargs)
    return redirect(_detail(round_))


# --- ranking and nominations -------------------------------------------------------------------------


@login_required
def ranking(request, pk: int, type_pk: int):
    round_, award_type = _managed_award_type(request, pk, type_pk, AwardType.objects.select_related("office"))
    award_type.round = round_
    result = selectors.award_ranking(award_type=award_type)
    show_all = request.GET.get("all") == "1"
    scope = scope_for(request.user)
    context = {
        "round": round_,
        "award_type": award_type,
        "ranking": result,
        "rows": result.rows if show_all else result.rows[:RANKING_ROWS],
        "more": max(0, len(result.rows) - RANKING_ROWS) if not show_all else 0,
        "criteria": [(c, Criterion(c).label, result.weights[c]) for c in criteria_for(award_type.kind)],
        "can_nominate": round_.status == RoundStatus.NOMINATING and can_nominate(request.user, award_type),
        "can_correct": award_type.kind not in GRID_KINDS
        and (scope.is_staff_of(round_.town.path) or is_discipline_of(scope, round_.town)),
        "nominated_count": sum(1 for row in result.rows if row.nominated),
    }
    return render(request, "rewards/ranking.html", context)


@login_required
@require_POST
def nominate(request, pk: int, type_pk: int):
    round_, award_type = _managed_award_type(request, pk, type_pk)
    form = NominateForm(request.POST)
    back = reverse("rewards:ranking", args=[round_.pk, award_type.pk])
    if not form.is_valid():
        messages.error(request, _("请选择推荐对象"))
        return redirect(back)
    subject_id = form.cleaned_data["subject"]
    subject = get_candidate(award_type, subject_id)
    _run(
        request,
        services.nomination_add,
        _("已推荐"),
        award_type=award_type,
        reason=form.cleaned_data["reason"],
        **subject,
    )
    return redirect(back)


@login_required
@require_POST
def nominate_fill(request, pk: int, type_pk: int):
    round_, award_type = _managed_award_type(request, pk, type_pk)
    _run(request, services.nomination_fill, _("已按排名推荐"), award_type=award_type)
    return redirect(reverse("rewards:ranking", args=[round_.pk, award_type.pk]))


@login_required
@require_POST
def nomination_withdraw(request, pk: int, nomination_pk: int):
    round_ = get_managed_round_for_user(request.user, pk)
    nomination = get_object_or_404(
        Nomination.objects.select_related("award_type"), pk=nomination_pk, award_type__round=round_
    )
    _run(request, services.nomination_withdraw, _("已撤回推荐"), nomination=nomination)
    return redirect(_detail(round_))


# --- published results and the payout ledger ---------------------------------------------------------


@login_required
def round_results(request, pk: int):
    round_ = get_round_for_user(request.user, pk)
    if round_.status != RoundStatus.PUBLISHED:
        if manages_round(request.user, round_):
            return redirect(_detail(round_))
        raise Http404
    nominations = list(selectors.round_nominations(round_))
    types = list(round_.types.select_related("office").order_by("order", "id"))
    for award_type in types:
        award_type.winners = [n for n in nominations if n.award_type_id == award_type.pk]
    context = {"round": round_, "types": types, "can_export": manages_round(request.user, round_)}
    return render(request, "rewards/results.html", context)


@login_required
def payout_ledger(request, pk: int):
    round_ = get_managed_round_for_user(request.user, pk)
    if round_.status != RoundStatus.PUBLISHED:
        messages.error(request, _("评选公布后才能导出奖金发放表"))
        return redirect(_detail(round_))
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    exports.payout_ledger(round_, response, printed=printed_by(request.user))
    filename = f"{round_.town.name}{round_.year}{round_.get_half_display()}评优奖金发放表.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- flags and corrections ---------------------------------------------------------------------------


@login_required
def member_flags(request, pk: int):
    member = get_member_for_user(request.user, pk)
    flags = selectors.flags_for_member(member)
    return render(request, "rewards/flags.html", {"subject": member, "flags": flags})


@login_required
def place_flags(request, pk: int):
    place = get_place_for_user(request.user, pk)
    flags = selectors.flags_for_place(place)
    return render(request, "rewards/flags.html", {"subject": place, "flags": flags})


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("rewards:corrections")


def _correction_rights(user) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or scope.is_town_staff or scope.is_discipline


@login_required
def corrections(request):
    if not _correction_rights(request.user):
        raise PermissionDenied
    form = CorrectionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            member = get_member_for_user(request.user, form.cleaned_data["member"])
            _run(
                request,
                services.correction_open,
                _("已列入整改"),
                member=member,
                reason=form.cleaned_data["reason"],
            )
        else:
            messages.error(request, _("请写明整改原因"))
        return redirect(_back(request))
    rows = (
        Correction.objects.filter(member__in=members_visible_to(request.user))
        .select_related("member", "opened_by", "closed_by")
        .order_by("closed_at", "-opened_at", "-id")[:200]
    )
    return render(request, "rewards/corrections.html", {"corrections": rows})


@login_required
@require_POST
def correction_close(request, pk: int):
    if not _correction_rights(request.user):
        raise PermissionDenied
    correction = get_object_or_404(Correction, pk=pk, member__in=members_visible_to(request.user))
    _run(request, services.correction_close, _("整改已完成"), correction=correction)
    return redirect("rewards:corrections")
