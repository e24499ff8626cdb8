"""Finding 4 of issue 11: brute-force protection (django-axes) on the login form and the API token endpoint."""

import datetime
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import override_settings

pytestmark = pytest.mark.django_db

PASSWORD = "pass-12345"
LOGIN = "/accounts/login/"


@pytest.fixture
def users(town):
    for key in ("member_a", "member_b"):
        town.user(key).set_password(PASSWORD)
        town.user(key).save()
    return town


def _login(client, username, password, address="10.1.1.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, username, times, address="10.1.1.1"):
    """`times` wrong passwords; the form comes back until the limit (5), the 5th already answers 429."""
    for n in range(times):
        status = _login(client, username, "wrong", address).status_code
        assert status == (429 if n >= 4 else 200)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(users, client):
    _fail(client, "member_a", 4)
    response = _login(client, "member_a", "wrong")
    assert response.status_code == 429
    response = _login(client, "member_a", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "已暂时锁定" in page and "30 分钟" in page
    assert '<header class="topbar">' in page  # the site's own layout
    assert "_auth_user_id" not in client.session


def test_lockout_message_in_english(users, client):
    _fail(client, "member_a", 5)
    response = client.post(
        LOGIN,
        {"username": "member_a", "password": PASSWORD},
        REMOTE_ADDR="10.1.1.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429
    assert "locked" in response.content.decode() and "已暂时锁定" not in response.content.decode()


def test_four_failures_then_the_right_password_logs_in(users, client):
    _fail(client, "member_a", 4)
    response = _login(client, "member_a", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(users.user("member_a").pk)


def test_after_the_cool_off_the_right_password_works(users, client):
    _fail(client, "member_a", 5)
    assert _login(client, "member_a", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31)
    )
    response = _login(client, "member_a", PASSWORD)
    assert response.status_code == 302


@override_settings(AXES_COOLOFF_TIME=datetime.timedelta(minutes=90))
def test_cool_off_is_configurable(users, client):
    _fail(client, "member_a", 5)
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31)
    )
    response = _login(client, "member_a", PASSWORD)
    assert response.status_code == 429 and "90 分钟" in response.content.decode()


def test_the_address_is_locked_for_other_users_too(users, client):
    _fail(client, "member_a", 5, address="10.2.2.2")
    assert _login(client, "member_b", PASSWORD, address="10.2.2.2").status_code == 429
    # member_b from another address is fine
    assert _login(client, "member_b", PASSWORD, address="10.3.3.3").status_code == 302


def test_the_user_is_locked_from_other_addresses_too(users, client):
    for n in range(5):  # spread over five addresses: the username counter still adds up
        _login(client, "member_a", "wrong", address=f"10.4.4.{n}")
    assert _login(client, "member_a", PASSWORD, address="10.5.5.5").status_code == 429


def test_an_admin_unlocks_in_the_admin(users, client):
    from tests.factories import UserFactory

    _fail(client, "member_a", 5)
    assert _login(client, "member_a", PASSWORD).status_code == 429
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    from django.test import Client

    admin_client = Client()
    admin_client.force_login(admin)
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "member_a" in listing.content.decode()
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _login(client, "member_a", PASSWORD).status_code == 302


def test_town_staff_cannot_unlock(users, client):
    client.force_login(users.user("town_staff"))
    assert client.get("/admin/axes/accessattempt/").status_code == 403


# --- the API ---------------------------------------------------------------------------------------------


def _token(client, username, password, address="10.1.1.1"):
    return client.post("/api/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_http_basic_is_not_accepted_any_more(users, client):
    import base64

    header = "Basic " + base64.b64encode(f"member_a:{PASSWORD}".encode()).decode()
    assert client.get("/api/issues/", HTTP_AUTHORIZATION=header).status_code in (401, 403)


def test_token_endpoint_gives_a_token_that_authenticates(users, client):
    response = _token(client, "member_a", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    from django.test import Client

    assert Client().get("/api/issues/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert _token(client, "member_a", "wrong").status_code == 400


def test_token_endpoint_is_throttled_like_the_form(users, client):
    for _ in range(5):
        assert _token(client, "member_a", "wrong").status_code in (400, 429)
    response = _token(client, "member_a", PASSWORD)
    assert response.status_code == 429
    assert "已暂时锁定" in response.json()["detail"]
    # the same counters: the login form is locked too
    assert _login(client, "member_a", PASSWORD).status_code == 429


def test_form_failures_lock_the_token_endpoint(users, client):
    _fail(client, "member_a", 5)
    assert _token(client, "member_a", PASSWORD).status_code == 429


def test_behind_the_proxy_the_address_is_the_hop_nginx_adds(users, client, settings):
    """Production settings: every request comes from nginx (127.0.0.1); X-Forwarded-For's last hop counts."""
    settings.LIANHU_PROXY_COUNT = 1

    def login(username, password, forwarded):
        return client.post(
            LOGIN,
            {"username": username, "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(5):  # a forged first entry changes nothing: the address is still 10.6.6.6
        login("nobody", "wrong", f"1.2.3.{n}, 10.6.6.6")
    assert login("member_a", PASSWORD, "10.6.6.6").status_code == 429
    assert login("member_b", PASSWORD, "10.7.7.7").status_code == 302  # someone else behind the same proxy


@pytest.mark.browser
def test_lockout_page_on_a_phone(phone_page, live_server, transactional_db, tmp_path):
    import os

    from tests.conftest import no_horizontal_scroll
    from tests.personas import build_town

    build_town()
    page = phone_page
    for _ in range(5):
        page.goto(f"{live_server.url}{LOGIN}")
        page.fill("input[name=username]", "member_a")
        page.fill("input[name=password]", "wrong-password")
        page.click("form.stack button[type=submit]")
    page.goto(f"{live_server.url}{LOGIN}")
    page.fill("input[name=username]", "member_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("text=登录已暂时锁定")
    assert "30 分钟" in page.inner_text("main")
    no_horizontal_scroll(page)
    page.screenshot(path=str(Path(os.environ.get("LIANHU_SCREENSHOT_DIR", tmp_path)) / "lockout.png"))
