"""Sessions end after a working day without activity, and a password change ends the user's other sessions.

Idle timeout: SESSION_COOKIE_AGE (LIANHU_SESSION_IDLE_HOURS, 10 h by default) counted from the last request,
not from the login. Saving the session on every request would cost a write per page; this middleware
refreshes the session (and so its expiry) at most once per LIANHU_SESSION_REFRESH_SECONDS (5 min), so the
timeout is exact to within those minutes.

Password change: Django keeps a hash of the password in each session and refuses a session whose hash no
longer matches. On top of that, whenever a user's password is set (own page, admin, `manage.py
changepassword`), all their database sessions are deleted at once (`on_user_saved`), so none lingers;
the page that made the change keeps its user logged in through `update_session_auth_hash` (which moves the
session to a new key).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

SEEN_KEY = "_lianhu_seen"
DB_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


def _now() -> int:
    return int(timezone.now().timestamp())


def mark_seen(session) -> None:
    session[SEEN_KEY] = _now()


class IdleSessionMiddleware:
    """Slide the expiry of a logged-in session forward, at most once per refresh interval."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            seen = request.session.get(SEEN_KEY)
            interval = int(getattr(settings, "LIANHU_SESSION_REFRESH_SECONDS", 300))
            if not isinstance(seen, int) or abs(_now() - seen) >= interval:
                mark_seen(request.session)  # modified: saved with a fresh expiry at the end of the request
        return self.get_response(request)


def on_login(sender, request, user, **kwargs) -> None:
    """A fresh login counts as activity (so the first page after it writes nothing more)."""
    if request is not None and hasattr(request, "session"):
        mark_seen(request.session)


def sessions_end(user, keep_session_key: str | None = None) -> int:
    """Delete the user's database sessions except `keep_session_key`. Returns how many ended.

    Only unexpired sessions are read (at most a working day's worth); each is decoded to find its user,
    as Django's table has no user column. One query to read, one to delete.
    """
    if settings.SESSION_ENGINE not in DB_ENGINES:
        return 0  # other engines rely on Django's password-hash check alone
    store = Session.get_session_store_class()()
    mine = []
    for key, data in (
        Session.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator()
    ):
        if key == keep_session_key:
            continue
        decoded = store.decode(data)
        if str(decoded.get(SESSION_KEY)) == str(user.pk) and HASH_SESSION_KEY in decoded:
            mine.append(key)
    if mine:
        Session.objects.filter(session_key__in=mine).delete()
    return len(mine)


def on_user_saved(sender, instance, created, **kwargs) -> None:
    """A password was just set on an existing user (set_password, then save): end all their sessions."""
    if not created and getattr(instance, "_password", None) is not None:
        sessions_end(instance)
