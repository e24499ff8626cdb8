"""Login throttling (django-axes): the lockout answer for the login form and the API token endpoint."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message(request=None) -> str:
    cool_off = get_cool_off(request)
    text = _("密码连续输错 %(limit)s 次,该账号及本设备所在网络地址的登录已暂时锁定。") % {
        "limit": settings.AXES_FAILURE_LIMIT
    }
    if cool_off:
        minutes = max(1, int(cool_off.total_seconds() // 60))
        return text + _("请 %(minutes)s 分钟后再试,或请管理员在后台解锁。") % {"minutes": minutes}
    return text + _("请联系管理员在后台解锁。")


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the site's own page, in the user's language, status 429."""
    return render(request, "registration/locked_out.html", {"message": lockout_message(request)}, status=429)


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address a login attempt came from, by the access log's rule
    (members.privacy.client_ip, LIANHU_TRUSTED_PROXIES)."""
    from members.privacy import client_ip as requester_address

    return requester_address(request)


def is_locked_out(request, username: str) -> bool:
    """Whether this username, or the request's address, is locked out now (the API token endpoint asks)."""
    return settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, {"username": username})
