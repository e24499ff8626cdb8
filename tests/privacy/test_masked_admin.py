"""Issue 11, finding 3: admin change pages show masked numbers; the full number only on purpose, logged."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from grids.models import Household
from members.enums import AccessAction
from members.models import AccessLog, Member
from tests.factories import make_id_number

ID_A = make_id_number(11)
ID_OTHER = make_id_number(12)
PERSONAS = ["discipline", "officer_a", "grid_head_a1", "town_staff", "leader"]


@pytest.fixture
def numbered(town):
    """ha1 with an ID number; member_a with a phone."""
    town.ha1.id_number = ID_A
    town.ha1.phone = "13812345678"
    town.ha1.save()
    Member.objects.filter(pk=town.members["member_a"].pk).update(phone="13987654321")
    return town


def grant_reveal(user):
    user.user_permissions.add(Permission.objects.get(codename="reveal_personal_number"))
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def household_page(pk):
    return reverse("admin:grids_household_change", args=[pk])


def member_page(pk):
    return reverse("admin:members_member_change", args=[pk])


def reveal_url(kind, pk, field):
    return reverse("members:reveal", args=[kind, pk, field])


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_pages_show_masked_numbers_to_every_persona(numbered, login, persona):
    client = login(numbered.user(persona))
    html = client.get(household_page(numbered.ha1.pk)).content.decode()
    assert "138****5678" in html and ID_A[:6] + "********" + ID_A[-4:] in html
    assert "13812345678" not in html and ID_A not in html
    assert "lianhu-reveal" not in html  # no permission, no button
    response = client.get(member_page(numbered.members["member_a"].pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "139****4321" in html and "13987654321" not in html


def test_editors_replace_a_number_by_typing_a_new_one_never_prefilled(numbered, login):
    client = login(numbered.user("officer_a"))
    page = client.get(household_page(numbered.ha1.pk))
    form = page.context["adminform"].form
    assert {"new_phone", "new_id_number", "clear_phone", "clear_id_number"} <= set(form.fields)
    assert "phone" not in form.fields and "id_number" not in form.fields
    assert not form["new_phone"].value() and not form["new_id_number"].value()
    data = {
        "code": numbered.ha1.code,
        "grid": numbered.ha1.grid_id,
        "head_name": numbered.ha1.head_name,
        "address": numbered.ha1.address,
        "people_count": 3,
        "phone": "13700000000",  # the old field name is not a form field: ignored
        "new_phone": "",
        "new_id_number": "",
        "_save": "1",
    }
    response = client.post(household_page(numbered.ha1.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    numbered.ha1.refresh_from_db()
    assert (numbered.ha1.phone, numbered.ha1.id_number) == ("13812345678", ID_A)  # blank keeps them
    response = client.post(household_page(numbered.ha1.pk), {**data, "new_phone": "137 0000 1111"})
    assert response.status_code == 302
    numbered.ha1.refresh_from_db()
    assert numbered.ha1.phone == "13700001111"
    response = client.post(household_page(numbered.ha1.pk), {**data, "clear_id_number": "on"})
    numbered.ha1.refresh_from_db()
    assert numbered.ha1.id_number == "" and numbered.ha1.id_number_hash == ""


def test_bad_or_taken_numbers_are_form_errors_not_500s(numbered, login):
    numbered.ha2.id_number = ID_OTHER
    numbered.ha2.save()
    client = login(numbered.user("town_staff"))
    data = {
        "code": numbered.ha1.code,
        "grid": numbered.ha1.grid_id,
        "head_name": numbered.ha1.head_name,
        "address": numbered.ha1.address,
        "people_count": 3,
        "_save": "1",
    }
    response = client.post(household_page(numbered.ha1.pk), {**data, "new_id_number": ID_OTHER})
    assert response.status_code == 200
    assert "该号码已被另一条记录使用" in response.content.decode()
    assert ID_OTHER not in response.content.decode()  # not echoed back either
    response = client.post(household_page(numbered.ha1.pk), {**data, "new_phone": "12345"})
    assert response.status_code == 200 and "电话号码格式不正确" in response.content.decode()
    numbered.ha1.refresh_from_db()
    assert numbered.ha1.id_number == ID_A and numbered.ha1.phone == "13812345678"


def test_add_page_takes_full_numbers(numbered, login):
    client = login(numbered.user("town_staff"))
    response = client.post(
        reverse("admin:grids_household_add"),
        {
            "code": "NEW1",
            "grid": numbered.grid_a1a.pk,
            "head_name": "新户",
            "address": "甲村一组99号",
            "people_count": 2,
            "new_phone": "13611112222",
            "new_id_number": ID_OTHER,
            "_save": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    added = Household.objects.get(code="NEW1")
    assert (added.phone, added.id_number) == ("13611112222", ID_OTHER)


def test_reveal_button_only_for_holders_and_served_as_a_static_file(numbered, login):
    user = grant_reveal(numbered.user("town_staff"))
    html = login(user).get(household_page(numbered.ha1.pk)).content.decode()
    assert html.count('class="button lianhu-reveal"') == 2
    assert reveal_url("household", numbered.ha1.pk, "id_number") in html
    assert "js/reveal.js" in html


def test_reveal_with_the_permission_returns_the_number_and_logs_it(numbered, client):
    user = grant_reveal(numbered.user("town_staff"))
    client.force_login(user)
    response = client.post(reveal_url("household", numbered.ha1.pk, "id_number"), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response.json() == {"value": ID_A}
    assert response["Cache-Control"] == "no-store"
    entry = AccessLog.objects.get(action=AccessAction.REVEAL)
    assert (entry.action, entry.actor, entry.object_type, entry.object_id, entry.ip) == (
        AccessAction.REVEAL,
        user,
        "household",
        numbered.ha1.pk,
        "10.1.2.3",
    )
    assert entry.detail == {"field": "id_number", "empty": False}
    assert entry.place_path == numbered.ha1.path
    assert ID_A not in str(entry.detail) and ID_A not in entry.object_repr
    member = numbered.members["member_a"]
    response = client.post(reveal_url("member", member.pk, "phone"))
    assert response.json() == {"value": "13987654321"}
    assert AccessLog.objects.filter(action=AccessAction.REVEAL).count() == 2


@pytest.mark.parametrize("persona", PERSONAS)
def test_reveal_without_the_permission_is_403_and_logs_nothing(numbered, login, persona):
    client = login(numbered.user(persona))
    response = client.post(reveal_url("household", numbered.ha1.pk, "phone"))
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.REVEAL).exists()


def test_reveal_outside_scope_or_of_another_field_is_404_and_get_is_refused(numbered, login):
    client = login(grant_reveal(numbered.user("grid_head_a1")))
    assert client.post(reveal_url("household", numbered.hb1.pk, "phone")).status_code == 404
    assert client.post(reveal_url("household", numbered.ha1.pk, "head_name")).status_code == 404
    assert client.post(reveal_url("place", numbered.grid_a1.pk, "phone")).status_code == 404
    assert client.get(reveal_url("household", numbered.ha1.pk, "phone")).status_code == 405
    assert not AccessLog.objects.filter(action=AccessAction.REVEAL).exists()
    client.logout()
    response = client.post(reveal_url("household", numbered.ha1.pk, "phone"))
    assert response.status_code == 302 and not AccessLog.objects.filter(action=AccessAction.REVEAL).exists()


def test_reveal_needs_the_csrf_token(numbered):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(grant_reveal(numbered.user("town_staff")))
    assert client.post(reveal_url("household", numbered.ha1.pk, "phone")).status_code == 403
    assert not AccessLog.objects.filter(action=AccessAction.REVEAL).exists()


def test_api_shows_masked_numbers_only(numbered, login):
    client = login(numbered.user("town_staff"))
    body = client.get(f"/api/households/{numbered.ha1.pk}/").content.decode()
    assert ID_A not in body and "13812345678" not in body
    body = client.get(f"/api/members/{numbered.members['member_a'].pk}/").content.decode()
    assert "13987654321" not in body


def test_member_phone_is_replaced_by_typing_and_must_stay_unique(numbered, login):
    member = numbered.members["member_a"]
    client = login(numbered.user("town_staff"))
    page = client.get(member_page(member.pk))
    form = page.context["adminform"].form
    assert "phone" not in form.fields and not form["new_phone"].value()
    data = {
        "name": member.name,
        "role": member.role,
        "home": member.home_id,
        "is_party_member": "on",
        "new_phone": "",
        "positions-TOTAL_FORMS": "0",
        "positions-INITIAL_FORMS": "0",
        "positions-MIN_NUM_FORMS": "0",
        "positions-MAX_NUM_FORMS": "1000",
        "_save": "1",
    }
    response = client.post(member_page(member.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.phone == "13987654321"
    Member.objects.filter(pk=numbered.members["member_b"].pk).update(phone="13911112222")
    response = client.post(member_page(member.pk), {**data, "new_phone": "13911112222"})
    assert response.status_code == 200 and "该号码已被另一条记录使用" in response.content.decode()
    response = client.post(member_page(member.pk), {**data, "new_phone": "13911113333"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.phone == "13911113333"
