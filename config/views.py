"""The landing page after login: what waits for the user today, their place and what they answer for."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from members.access import scope_for
from members.selectors import member_link_summary, member_positions

from .todo import todo_rows


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@login_required
def home(request):
    scope = scope_for(request.user)
    member = scope.member
    context = {
        "member": member,
        "scope": scope,
        "positions": [],
        "link_summary": [],
        "todo": todo_rows(request.user),
    }
    if member is not None:
        context["positions"] = member_positions(member=member)
        context["link_summary"] = member_link_summary(member=member)
    return render(request, "home.html", context)
