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

import logging

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.utils import timezone

logger = logging.getLogger(__name__)

SEEN_KEY = "_lianhu_seen"
CACHED_ENGINES = {"members.sessions", "django.contrib.sessions.backends.cached_db"}
DB_ENGINES = {"django.contrib.sessions.backends.db", *CACHED_ENGINES}


class SessionStore(cached_db.SessionStore):
    """Database sessions read through the cache (SESSION_ENGINE = "members.sessions"; Redis in production):
    a request reads its session from the cache, not the database; the database stays the record.

    Unlike Django's cached_db, the cache never fails a request: a read it cannot answer goes to the database,
    a write or delete it refuses is logged. An entry is kept at most LIANHU_SESSION_REFRESH_SECONDS (5 min):
    a session deleted (logout, password change) while the cache was out of reach is gone everywhere within
    that time, and a session read from the cache is never older than that.
    """

    def _cache_seconds(self, age: int) -> int:
        return max(0, min(age, int(getattr(settings, "LIANHU_SESSION_REFRESH_SECONDS", 300))))

    def load(self):
        try:
            kept = self._cache.get(self.cache_key)
        except Exception:
            kept = None
        # (expiry as a timestamp, data): the session's own expiry holds in the cache as in the database.
        if isinstance(kept, tuple) and len(kept) == 2 and kept[0] > timezone.now().timestamp():
            return kept[1]
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        self._cache_set(data, row.expire_date)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            pass
        return DBStore.exists(self, session_key)

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        self._cache_set(self._session, self.get_expiry_date())

    def _cache_set(self, data, expires) -> None:
        age = int((expires - timezone.now()).total_seconds())
        try:
            self._cache.set(self.cache_key, (expires.timestamp(), data), self._cache_seconds(age))
        except Exception as exc:
            logger.warning("session not cached: %s", exc.__class__.__name__)

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception as exc:
            logger.warning("session not removed from the cache: %s", exc.__class__.__name__)


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
        if settings.SESSION_ENGINE in CACHED_ENGINES:
            try:
                caches[settings.SESSION_CACHE_ALIAS].delete_many([cached_db.KEY_PREFIX + key for key in mine])
            except Exception as exc:  # kept at most a refresh interval (SessionStore)
                logger.warning("ended sessions not removed from the cache: %s", exc.__class__.__name__)
    return len(mine)


def on_user_saved(sender, instance, created, **kwargs) -> None:
    """A password was just set on an existing user (set_password, then save): end all their sessions."""
    if not created and getattr(instance, "_password", None) is not None:
        sessions_end(instance)
