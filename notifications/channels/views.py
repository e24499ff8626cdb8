"""The member's reminder channels (profile page) and the town staff's delivery page."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from members.access import scope_for

from ..enums import Channel, DeliveryStatus
from ..models import Delivery
from ..outbox import enqueue
from ..services import channel_backends
from .prefs import CHOOSABLE, town_allows, town_policies

# --- the member's own channels ----------------------------------------------------------------------


def _channel_rows(member) -> list[dict]:
    """Each external channel: whether the deployment has it, the town allows it, the member can be reached."""
    backends = channel_backends()
    allowed = town_allows(member.path, town_policies())
    addresses = {
        Channel.SMS: member.phone_masked,
        Channel.WECOM: member.wecom_userid,
        Channel.EMAIL: member.email,
    }
    rows = []
    for channel in CHOOSABLE:
        if channel not in backends:
            continue
        rows.append(
            {
                "channel": channel,
                "label": Channel(channel).label,
                "address": addresses[channel],
                "allowed": channel in allowed,
                "on": channel not in (member.muted_channels or []),
            }
        )
    return rows


@login_required
def my_channels(request):
    """我的提醒方式: the member turns SMS / WeCom / e-mail on or off, among those the town allows."""
    member = scope_for(request.user).member
    if member is None:
        return render(request, "notifications/my_channels.html", {"member": None})
    rows = _channel_rows(member)
    if request.method == "POST":
        chosen = set(request.POST.getlist("on"))
        muted = {r["channel"] for r in rows if r["allowed"] and r["channel"] not in chosen}
        # A channel the town does not allow keeps whatever the member had chosen before.
        kept = {
            c for c in (member.muted_channels or []) if c not in {r["channel"] for r in rows if r["allowed"]}
        }
        member.muted_channels = sorted(muted | kept)
        member.save(update_fields=["muted_channels"])
        messages.success(request, _("提醒方式已保存"))
        return redirect("notifications:my-channels")
    conf = settings.LIANHU_SMS
    return render(
        request,
        "notifications/my_channels.html",
        {
            "member": member,
            "rows": rows,
            "quiet_start": conf.get("QUIET_START"),
            "quiet_end": conf.get("QUIET_END"),
            "daily_cap": conf.get("DAILY_CAP"),
        },
    )


# --- the town staff's delivery page -----------------------------------------------------------------


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("从"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("到"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("渠道"),
        required=False,
        choices=[("", gettext_lazy("全部"))] + list(Channel.choices),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部"))] + list(DeliveryStatus.choices),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("结束日期不能早于开始日期"))
        return data


def _staff_scope(request, write: bool = False):
    scope = scope_for(request.user)
    if not scope.is_town_staff:
        raise PermissionDenied
    return scope


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@login_required
def deliveries(request):
    """发送记录: counts by channel and status for a period, the matching deliveries, monthly counts per channel."""
    scope = _staff_scope(request)
    today = timezone.localdate()
    data = request.GET if request.GET else None
    form = PeriodForm(data)
    start, end, channel, status = _month_start(today), today, "", DeliveryStatus.FAILED
    if data is not None:
        if form.is_valid():
            start = form.cleaned_data["start"] or start
            end = form.cleaned_data["end"] or end
            channel = form.cleaned_data["channel"]
            status = form.cleaned_data["status"]
    else:
        form = PeriodForm(initial={"start": start, "end": end, "status": status})
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    base = Delivery.objects.filter(scope.path_q("notification__recipient__path"))
    in_period = base.filter(created_at__gte=since, created_at__lt=until)

    counts = {
        (r["channel"], r["status"]): r["n"]
        for r in in_period.values("channel", "status").annotate(n=Count("id"))
    }
    statuses = list(DeliveryStatus)
    table = [
        {
            "channel": c,
            "label": c.label,
            "cells": [{"status": s, "n": counts.get((c.value, s.value), 0)} for s in statuses],
            "total": sum(counts.get((c.value, s.value), 0) for s in statuses),
        }
        for c in Channel
    ]
    # On a phone three channel columns fit, seven status columns do not: the page shows statuses as rows.
    status_rows = [
        {
            "status": s,
            "cells": [{"channel": c, "n": counts.get((c.value, s.value), 0)} for c in Channel],
            "total": sum(counts.get((c.value, s.value), 0) for c in Channel),
        }
        for s in statuses
    ]

    listed = in_period
    if channel:
        listed = listed.filter(channel=channel)
    if status:
        listed = listed.filter(status=status)
    listed = listed.select_related("notification__recipient").order_by("-created_at", "-id")
    page = Paginator(listed, 50).get_page(request.GET.get("page"))

    # Sent per channel per month (what the bill counts), the last twelve months.
    year_ago = _month_start(today.replace(day=1) - datetime.timedelta(days=335))
    monthly_rows = (
        base.filter(sent_at__gte=datetime.datetime.combine(year_ago, datetime.time.min, tzinfo=tz))
        .annotate(month=TruncMonth("sent_at", tzinfo=tz))
        .values("month", "channel")
        .annotate(n=Count("id"))
        .order_by("-month")
    )
    months: dict = {}
    for row in monthly_rows:
        months.setdefault(row["month"].date() if hasattr(row["month"], "date") else row["month"], {})[
            row["channel"]
        ] = row["n"]
    monthly = [
        {"month": m, "cells": [months[m].get(c.value, 0) for c in Channel]}
        for m in sorted(months, reverse=True)
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/deliveries.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "table": table,
            "status_rows": status_rows,
            "grand_total": sum(counts.values()),
            "statuses": statuses,
            "channels": list(Channel),
            "page": page,
            "monthly": monthly,
            "query": query.urlencode(),
            "can_resend": True,
        },
    )


@login_required
@require_POST
def delivery_resend(request, pk: int):
    """Queue a failed (or folded) delivery again, from attempt one. Only in the staff member's own town."""
    scope = _staff_scope(request)
    delivery = get_object_or_404(
        Delivery.objects.filter(scope.path_q("notification__recipient__path", write=True)), pk=pk
    )
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.FOLDED):
        messages.error(request, _("只有发送失败或并入汇总的记录可以重发"))
    else:
        from ..tasks import delivery_send_task

        with transaction.atomic():
            Delivery.objects.filter(pk=delivery.pk, status=delivery.status).update(
                status=DeliveryStatus.QUEUED,
                attempts=0,
                next_attempt_at=timezone.now(),
                claimed_at=None,
                last_error="",
                receipt_code="",
                delivered_at=None,
                folded_into=None,
            )
            transaction.on_commit(lambda: enqueue(delivery_send_task, delivery.pk))
        messages.success(request, _("已重新排队发送"))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications:deliveries")
    return redirect(target)
