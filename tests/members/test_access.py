"""The persona access matrix for places, households, members and links: pages, admin, API, filters."""

import pytest

from members.access import (
    households_visible_to,
    links_visible_to,
    members_visible_to,
    places_visible_to,
    scope_for,
)

pytestmark = pytest.mark.django_db

EXPECTED_HOUSEHOLDS = {
    "town_staff": {"ha1", "ha2", "ha3", "hb1"},
    "leader": {"ha1", "ha2", "ha3", "hb1"},
    "discipline": {"ha1", "ha2", "ha3", "hb1"},
    "officer_a": {"ha1", "ha2", "ha3"},
    "officer_b": {"hb1"},
    "grid_head_a1": {"ha1", "ha2", "ha3"},
    "grid_head_b1": {"hb1"},
    "member_a": {"ha1"},
    "member_b": {"hb1"},
    "handler": set(),
    "other_handler": set(),
}


def _names(town, households):
    by_pk = {getattr(town, key).pk: key for key in ("ha1", "ha2", "ha3", "hb1")}
    return {by_pk[h.pk] for h in households}


@pytest.mark.parametrize(("persona", "expected"), EXPECTED_HOUSEHOLDS.items())
def test_households_visible_to_each_persona(town, persona, expected):
    assert _names(town, households_visible_to(town.user(persona))) == expected


@pytest.mark.parametrize(("persona", "expected"), EXPECTED_HOUSEHOLDS.items())
def test_household_detail_page_follows_scope(town, login, persona, expected):
    client = login(town.user(persona))
    for key in ("ha1", "ha2", "ha3", "hb1"):
        response = client.get(f"/households/{getattr(town, key).pk}/")
        assert response.status_code == (200 if key in expected else 404), (persona, key)


def test_household_detail_masks_numbers(town, login):
    response = login(town.user("officer_a")).get(f"/households/{town.ha1.pk}/")
    body = response.content.decode()
    assert town.ha1.phone not in body
    assert town.ha1.phone_masked in body


@pytest.mark.parametrize(("persona", "expected"), EXPECTED_HOUSEHOLDS.items())
def test_household_api_follows_scope_and_masks(town, login, persona, expected):
    client = login(town.user(persona))
    data = client.get("/api/households/").json()
    codes = {row["code"] for row in data["results"]}
    assert codes == {getattr(town, key).code for key in expected}
    for row in data["results"]:
        assert "****" in row["phone"]
    for key in ("ha1", "hb1"):
        status = client.get(f"/api/households/{getattr(town, key).pk}/").status_code
        assert status == (200 if key in expected else 404)


def test_api_filter_choices_do_not_accept_other_village(town, login):
    client = login(town.user("officer_b"))
    response = client.get("/api/households/", {"under": town.village_a.pk})
    assert response.status_code == 400  # not a valid choice for this user: nothing about village A leaks
    response = client.get("/api/households/", {"under": town.village_b.pk})
    assert {row["code"] for row in response.json()["results"]} == {town.hb1.code}


def test_anonymous_is_refused(client, town):
    assert client.get("/api/households/").status_code in (401, 403)
    assert client.get(f"/households/{town.ha1.pk}/").status_code == 302


def test_places_members_links_scoped(town):
    officer_b = town.user("officer_b")
    assert town.village_a not in places_visible_to(officer_b)
    assert town.grid_b1a in places_visible_to(officer_b)
    assert town.members["member_a"] not in members_visible_to(officer_b)
    assert town.members["member_b"] in members_visible_to(officer_b)
    assert {link.household_id for link in links_visible_to(officer_b)} == {town.hb1.pk}
    member_a = town.user("member_a")
    assert set(members_visible_to(member_a)) == {town.members["member_a"]}


def test_scope_flags(town):
    assert scope_for(town.user("town_staff")).is_town_staff
    assert scope_for(town.user("leader")).is_leading_group
    discipline = scope_for(town.user("discipline"))
    assert discipline.is_discipline and not discipline.is_town_staff and discipline.write_paths == ()
    assert scope_for(town.user("handler")).department_ids == (town.department.pk,)
    assert scope_for(town.user("member_a")).paths == ()


def test_ended_position_gives_no_scope(town):
    import datetime

    from members.models import Position

    Position.objects.filter(member=town.members["officer_a"]).update(end_date=datetime.date(2021, 1, 1))
    assert not households_visible_to(town.user("officer_a")).filter(pk=town.ha2.pk).exists()


# --- admin ---------------------------------------------------------------------------------------


def test_admin_household_changelist_scoped(town, login):
    client = login(town.user("officer_b"))
    response = client.get("/admin/grids/household/")
    assert response.status_code == 200
    body = response.content.decode()
    assert town.hb1.head_name in body
    assert town.ha1.head_name not in body
    # the village filter offers only village B
    assert town.village_b.name in body
    assert town.village_a.name not in body
    assert client.get(f"/admin/grids/household/{town.ha1.pk}/change/").status_code in (302, 404)


def test_admin_autocomplete_scoped(town, login):
    client = login(town.user("officer_b"))
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "members", "model_name": "link", "field_name": "household", "term": "张"},
    )
    assert response.status_code == 200
    assert response.json()["results"] == []
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "members", "model_name": "link", "field_name": "household", "term": "李"},
    )
    assert [r["id"] for r in response.json()["results"]] == [str(town.hb1.pk)]


def test_admin_refuses_members_and_handlers(town, login):
    for persona in ("member_a", "handler"):
        client = login(town.user(persona))
        assert client.get("/admin/grids/household/").status_code == 302  # not staff → login page


def test_discipline_reads_but_cannot_change(town, login):
    client = login(town.user("discipline"))
    assert client.get("/admin/grids/household/").status_code == 200
    response = client.get(f"/admin/grids/household/{town.ha1.pk}/change/")
    assert response.status_code == 200
    assert 'name="head_name"' not in response.content.decode()  # read-only view


def test_village_officer_edits_own_households_only(town, login):
    client = login(town.user("officer_a"))
    response = client.get(f"/admin/grids/household/{town.ha1.pk}/change/")
    assert 'name="head_name"' in response.content.decode()
    assert client.get(f"/admin/grids/household/{town.hb1.pk}/change/").status_code in (302, 404)


def test_link_checks_page_access(town, login):
    assert login(town.user("town_staff")).get("/checks/").status_code == 200
    assert login(town.user("officer_a")).get("/checks/").status_code == 200
    assert login(town.user("member_a")).get("/checks/").status_code == 403
    assert login(town.user("handler")).get("/checks/").status_code == 403


def test_home_page_shows_place_and_links(town, login):
    response = login(town.user("member_a")).get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "党员/两代表一委员联户" in body


def test_production_settings_pass_check_deploy(monkeypatch):
    """`manage.py check --deploy` with production settings, a secret key and a host: no warnings."""
    import subprocess
    import sys

    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 30 + "-production-test-key-" + "y" * 30,
        "DJANGO_ALLOWED_HOSTS": "lianhu.example.org",
        "LIANHU_ID_KEY": "0BYo7mIi9Ypre_1BoV8O3yiZ-MSGjXz6z6sSG25mH0Q=",  # a Fernet key (ID numbers)
        "PATH": "/usr/bin:/bin",
    }
    import os

    for key in ("DATABASE_URL", "REDIS_URL", "LIANHU_VAR_DIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
