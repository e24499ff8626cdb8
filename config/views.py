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


def csrf_failure(request, reason=""):
    """A refused form (expired page, changed login): the site's 403 page saying why, in the user's language."""
    from django.utils.translation import gettext as _

    return render(
        request,
        "403.html",
        {"exception": _("页面已过期或登录状态已变化,表单未被接受。请返回上一页,刷新后重新提交。")},
        status=403,
    )


_FAVICON: bytes | None = None


def favicon(request):
    """/favicon.ico: the icon's bytes, cached for a week (browsers ask for it on every first visit)."""
    from django.contrib.staticfiles import finders
    from django.http import HttpResponse

    global _FAVICON
    if _FAVICON is None:
        with open(finders.find("img/favicon.ico"), "rb") as icon:
            _FAVICON = icon.read()
    response = HttpResponse(_FAVICON, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response


SHELL_FILES = (
    "css/lianhu.css",
    "css/visits.css",
    "js/keep-form.js",
    "js/offline.js",
    "img/favicon.ico",
    "img/icon-192.png",
    "manifest.webmanifest",
)


def service_worker(request):
    """/sw.js: static/js/sw.js at the root scope, with the app shell's static URLs filled in."""
    import json

    from django.contrib.staticfiles import finders
    from django.http import HttpResponse
    from django.templatetags.static import static

    with open(finders.find("js/sw.js"), encoding="utf-8") as source:
        code = source.read().replace('"__SHELL__"', json.dumps([static(f) for f in SHELL_FILES]))
    response = HttpResponse(code, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
