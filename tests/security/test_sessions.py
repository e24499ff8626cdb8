"""Issue 11, beyond the findings: sessions end after a working day without activity, and a password change
ends the user's other sessions (tried with two clients, as two phones would)."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.sessions import SEEN_KEY

PASSWORD = "pass-12345"
NEW_PASSWORD = "新的密码-Lianhu-2026"


@pytest.fixture
def clock(monkeypatch):
    """clock.set(aware datetime) freezes django.utils.timezone.now (sessions and their expiry use it)."""

    class Clock:
        moment = timezone.now()

        def set(self, moment):
            self.moment = moment
            monkeypatch.setattr(timezone, "now", lambda: moment)

        def forward(self, **delta):
            self.set(self.moment + datetime.timedelta(**delta))

    clock = Clock()
    clock.set(clock.moment)
    return clock


def _phone(town, persona="member_a") -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=persona, password=PASSWORD)
    return client


def _logged_in(client) -> bool:
    response = client.get(reverse("notifications:inbox"))
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
        return False
    assert response.status_code == 200
    return True


def test_idle_for_a_working_day_logs_out(town, clock, settings):
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    client = _phone(town)
    clock.forward(hours=9, minutes=59)
    assert _logged_in(client)
    # Activity slides the expiry: another 9 hours later (18 h after login) the user is still in.
    clock.forward(hours=9)
    assert _logged_in(client)
    # Then a working day (10 h) without any request: out.
    clock.forward(hours=10, minutes=1)
    assert not _logged_in(client)


def test_no_activity_after_login_expires_after_ten_hours(town, clock):
    client = _phone(town)
    clock.forward(hours=10, minutes=1)
    assert not _logged_in(client)


def test_idle_hours_are_a_setting(town, clock, settings):
    settings.SESSION_COOKIE_AGE = 3600
    client = _phone(town)
    clock.forward(minutes=61)
    assert not _logged_in(client)


def test_expiry_is_refreshed_at_most_every_few_minutes(town, clock, settings):
    """Sliding the expiry writes the session row at most once per LIANHU_SESSION_REFRESH_SECONDS."""
    settings.LIANHU_SESSION_REFRESH_SECONDS = 300
    client = _phone(town)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    clock.forward(minutes=2)
    assert _logged_in(client)
    assert Session.objects.get(session_key=key).expire_date == first  # nothing written
    clock.forward(minutes=4)
    assert _logged_in(client)
    later = Session.objects.get(session_key=key).expire_date
    assert later == first + datetime.timedelta(minutes=6)
    assert client.session[SEEN_KEY] == int(clock.moment.timestamp())


def test_password_change_ends_the_other_sessions_and_keeps_this_one(town):
    phone, desktop = _phone(town), _phone(town)
    other_user = _phone(town, "member_b")
    desktop_key = desktop.session.session_key
    assert _logged_in(phone) and _logged_in(desktop)
    page = phone.get(reverse("members:password-change"))
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    response = phone.post(
        reverse("members:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("members:password-change-done")
    assert _logged_in(phone)  # the device that changed it stays in
    # The other device's session is gone from the table at once, not only refused on its next request.
    assert not Session.objects.filter(session_key=desktop_key).exists()
    assert not _logged_in(desktop)
    assert _logged_in(other_user)  # another user's session is untouched
    # The new password works, the old one not.
    assert Client().login(request=HttpRequest(), username="member_a", password=NEW_PASSWORD)
    assert not Client().login(request=HttpRequest(), username="member_a", password=PASSWORD)


def test_a_wrong_old_password_changes_nothing(town):
    phone, desktop = _phone(town), _phone(town)
    response = phone.post(
        reverse("members:password-change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert _logged_in(phone) and _logged_in(desktop)


def test_password_set_elsewhere_ends_every_session_of_that_user(town):
    """An administrator (or manage.py changepassword) resets a password: all that user's sessions end."""
    phone = _phone(town)
    key = phone.session.session_key
    user = town.user("member_a")
    user.set_password(NEW_PASSWORD)
    user.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert not _logged_in(phone)


def test_saving_a_user_without_a_new_password_keeps_sessions(town):
    phone = _phone(town)
    user = town.user("member_a")
    user.first_name = "甲"
    user.save()
    assert _logged_in(phone)


def test_password_change_needs_login(client):
    response = client.get(reverse("members:password-change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _session_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "django_session" in q["sql"]]


def test_a_signed_in_request_reads_its_session_from_the_cache(town):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    phone = _phone(town)
    assert _logged_in(phone)  # the first request after the login may read the table
    with CaptureQueriesContext(connection) as queries:
        assert _logged_in(phone)
    assert _session_queries(queries.captured_queries) == []
    user_reads = [q["sql"] for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(user_reads) == 1 and "members_member" in user_reads[0]  # the user read with their member


class _BrokenCache:
    """A cache whose server is down: every call raises, as redis-py does."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail

    def __contains__(self, key):
        raise ConnectionError("cache down")


def test_sessions_work_from_the_database_when_the_cache_is_down(town, monkeypatch):
    from django.contrib.sessions.backends import cached_db

    phone = _phone(town)
    monkeypatch.setattr(cached_db, "caches", {"default": _BrokenCache()})
    import members.sessions

    monkeypatch.setattr(members.sessions, "caches", {"default": _BrokenCache()})
    assert _logged_in(phone)
    other = _phone(town)  # a login writes its session to the table
    assert _logged_in(other)
    other.post(reverse("logout"))
    assert not _logged_in(other) and _logged_in(phone)


def test_the_cache_keeps_a_session_no_longer_than_the_refresh_interval(town, settings):
    from django.core.cache import cache

    from members.sessions import SessionStore

    phone = _phone(town)
    key = phone.session.session_key
    store = SessionStore(key)
    store.load()
    seen = []
    original = cache.set
    try:
        cache.set = lambda k, v, timeout=None: seen.append(timeout) or original(k, v, timeout)
        store._cache = cache
        cache.delete(store.cache_key)
        store.load()
    finally:
        del cache.set
    assert seen == [settings.LIANHU_SESSION_REFRESH_SECONDS]


def test_sessions_signed_in_before_the_member_backend_stay_signed_in(town):
    """members 0012 renames the backend in open sessions (Django drops a session whose backend is unknown)."""
    import importlib

    from django.apps import apps
    from django.contrib.auth import BACKEND_SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore as DBStore
    from django.core.cache import cache

    migration = importlib.import_module("members.migrations.0012_sessions_to_member_backend")
    phone = _phone(town)
    row = Session.objects.get(session_key=phone.session.session_key)
    data = DBStore().decode(row.session_data)
    assert data[BACKEND_SESSION_KEY] == "members.auth.MemberBackend"
    data[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"  # as written before
    row.session_data = DBStore().encode(data)
    row.save()
    cache.clear()
    assert not _logged_in(phone)  # the old name is no longer a backend: the session is dropped
    phone = _phone(town)
    row = Session.objects.get(session_key=phone.session.session_key)
    row.session_data = DBStore().encode(data)
    row.save()
    cache.clear()
    migration.forward(apps, None)
    assert _logged_in(phone)
    migration.backward(apps, None)
    cache.clear()
    assert DBStore().decode(Session.objects.get(pk=row.pk).session_data)[BACKEND_SESSION_KEY] == (
        "django.contrib.auth.backends.ModelBackend"
    )
