"""The inbox: a member's own notifications (nobody else's), mark read / mark all read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.access import scope_for

from .models import Notification
from .services import inbox_for, notification_mark_read, notifications_mark_all_read


@login_required
def inbox(request):
    member = scope_for(request.user).member
    rows = inbox_for(member=member)
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "has_member": member is not None})


@login_required
@require_POST
def inbox_read(request, pk: int):
    """Mark read, then follow the notification's link (local links only)."""
    member = scope_for(request.user).member
    if member is None:
        raise Http404
    try:
        notification = notification_mark_read(member=member, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        notification.link, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def inbox_read_all(request):
    member = scope_for(request.user).member
    count = notifications_mark_all_read(member=member) if member else 0
    messages.success(request, _("已将 %(n)s 条通知标为已读") % {"n": count})
    return redirect("notifications:inbox")
