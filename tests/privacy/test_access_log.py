"""The access log: what is recorded (who, what, when, from where), that it is append-only, and who reads it."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory, override_settings
from django.urls import reverse

from grids.enums import PlaceKind
from members.enums import AccessAction, LinkType, PositionKind
from members.models import AccessLog, Link, Position
from members.privacy import access_log, client_ip
from members.services import link_end
from tests.factories import PlaceFactory, PositionFactory, UserFactory
from tests.members.test_census import CONFIRM, good_file, preview

CHANGELIST = reverse("admin:members_accesslog_changelist")


def entries(action):
    return list(AccessLog.objects.filter(action=action).order_by("id"))


def full_numbers_user(town, persona="town_staff"):
    user = town.user(persona)
    user.user_permissions.add(Permission.objects.get(codename="view_full_numbers"))
    return type(user).objects.get(pk=user.pk)


# --- what is recorded ----------------------------------------------------------------------------------------


def test_full_number_export_and_its_download_are_logged_plain_ones_not(town, client):
    client.force_login(full_numbers_user(town))
    post = {"period": "custom", "start": "2026-09-01", "end": "2026-09-30", "kind": "grid"}
    url = reverse("reports:export", args=[town.grid_a1.pk])
    response = client.post(url, post, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 302
    client.get(response["Location"], REMOTE_ADDR="10.0.0.7")  # a masked export and its download
    assert entries(AccessAction.EXPORT) == [] and entries(AccessAction.EXPORT_DOWNLOAD) == []
    response = client.post(url, {**post, "full_numbers": "on"}, REMOTE_ADDR="10.0.0.8")
    download = client.get(response["Location"], REMOTE_ADDR="10.0.0.9")
    assert download.status_code == 200
    [export] = entries(AccessAction.EXPORT)
    [downloaded] = entries(AccessAction.EXPORT_DOWNLOAD)
    assert (export.actor, export.ip, export.object_type, export.place_path) == (
        town.user("town_staff"),
        "10.0.0.8",
        "exportjob",
        town.grid_a1.path,
    )
    assert export.detail == {"kind": "grid", "start": "2026-09-01", "end": "2026-09-30"}
    assert (downloaded.object_id, downloaded.ip) == (export.object_id, "10.0.0.9")
    from reports.models import ExportJob

    token = str(ExportJob.objects.get(pk=export.object_id).token)
    assert token not in response["Location"]
    assert all(token not in str(e.detail) + e.object_repr for e in AccessLog.objects.all())


def test_census_import_is_logged_with_its_counts(town, client):
    client.force_login(town.user("town_staff"))
    page = preview(client, good_file(town))
    assert client.post(CONFIRM, {"token": page.context["token"]}, REMOTE_ADDR="10.0.0.5").status_code == 302
    [entry] = entries(AccessAction.CENSUS_IMPORT)
    assert (entry.actor, entry.object_type, entry.object_id, entry.place_path, entry.ip) == (
        town.user("town_staff"),
        "census",
        town.town.pk,
        town.town.path,
        "10.0.0.5",
    )
    assert entry.detail["counts"]["户"]["new"] >= 1


def test_link_changes_through_the_admin_are_logged_with_who_and_where(town, client):
    client.force_login(town.user("town_staff"))
    link = Link.objects.get(member=town.members["member_a"])
    before = len(entries(AccessAction.LINK_CHANGE))
    response = client.post(
        reverse("admin:members_link_change", args=[link.pk]),
        {
            "member": link.member_id,
            "link_type": link.link_type,
            "household": link.household_id,
            "start_date": "2020-01-01",
            "end_date": "2026-06-30",
            "note": "搬走",
            "_save": "1",
        },
        REMOTE_ADDR="10.0.0.3",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = entries(AccessAction.LINK_CHANGE)[before:]
    assert len(changed) == 1
    entry = changed[0]
    assert (entry.actor, entry.actor_name, entry.ip, entry.object_id, entry.place_path) == (
        town.user("town_staff"),
        "town_staff",
        "10.0.0.3",
        link.pk,
        town.ha1.path,
    )
    assert entry.detail["op"] == "changed"
    assert entry.detail["changes"] == {"end_date": [None, "2026-06-30"], "note": True}
    assert "搬走" not in str(entry.detail)  # free text is not copied into the log
    response = client.post(
        reverse("admin:members_link_delete", args=[link.pk]), {"post": "yes"}, REMOTE_ADDR="10.0.0.3"
    )
    assert response.status_code == 302
    assert entries(AccessAction.LINK_CHANGE)[-1].detail["op"] == "deleted"


def test_link_and_post_changes_by_services_are_logged_without_a_request_as_system(town):
    link = Link.objects.get(member=town.members["member_b"])
    link_end(link=link, end_date=datetime.date(2026, 7, 1))
    entry = entries(AccessAction.LINK_CHANGE)[-1]
    assert (entry.actor, entry.actor_name, entry.ip) == (None, "系统", None)
    assert entry.detail["changes"] == {"end_date": [None, "2026-07-01"]}
    position = PositionFactory(
        member=town.members["member_b"], kind=PositionKind.GRID_HEAD, place=town.grid_b1
    )
    created = entries(AccessAction.POST_CHANGE)[-1]
    assert created.detail["op"] == "created" and created.place_path == town.grid_b1.path
    assert created.detail["kind"] == PositionKind.GRID_HEAD and created.detail["member"] == position.member_id
    position.end_date = datetime.date(2026, 12, 31)
    position.save()
    assert entries(AccessAction.POST_CHANGE)[-1].detail["changes"] == {"end_date": [None, "2026-12-31"]}
    position.delete()
    assert entries(AccessAction.POST_CHANGE)[-1].detail["op"] == "deleted"


def test_the_log_refuses_personal_numbers():
    for detail in ({"phone": "13812345678"}, {"x": ["430124198001010124"]}):
        with pytest.raises(ValueError):
            access_log(action=AccessAction.REVEAL, detail=detail)


def test_client_ip_trusts_forwarded_for_only_from_a_trusted_proxy():
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(spoofed) == "203.0.113.9"
    with override_settings(LIANHU_TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"]):
        assert client_ip(spoofed) == "203.0.113.9"
        proxied = factory.get(
            "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4, 10.1.1.1"
        )
        assert client_ip(proxied) == "198.51.100.4"  # the client's own claim (6.6.6.6) is not believed
        garbage = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="<script>")
        assert client_ip(garbage) == "127.0.0.1"
        assert client_ip(factory.get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"


# --- append-only ---------------------------------------------------------------------------------------------


def test_rows_cannot_be_changed_or_deleted(town, login):
    entry = access_log(action=AccessAction.REVEAL, user=town.user("town_staff"), obj=town.ha1)
    entry.detail = {"field": "x"}
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AccessLog.objects.filter(pk=entry.pk).update(ip="1.1.1.1")
    with pytest.raises(TypeError):
        AccessLog.objects.filter(pk=entry.pk).delete()
    client = login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:members_accesslog_add")).status_code == 403
    assert (
        client.post(reverse("admin:members_accesslog_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    page = client.get(reverse("admin:members_accesslog_change", args=[entry.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(reverse("admin:members_accesslog_change", args=[entry.pk]), {"ip": "1.1.1.1"})
    assert response.status_code == 403
    assert AccessLog.objects.get(pk=entry.pk).detail == {}


# --- who reads it ---------------------------------------------------------------------------------------------


@pytest.fixture
def logged(town):
    """One reveal in this town, one in another town."""
    other_town = PlaceFactory(kind=PlaceKind.TOWN, name="别镇", code="T02", parent=town.city)
    access_log(
        action=AccessAction.REVEAL, user=town.user("town_staff"), obj=town.ha1, detail={"field": "phone"}
    )
    access_log(
        action=AccessAction.REVEAL, user=town.user("town_staff"), obj=other_town, detail={"field": "phone"}
    )
    return other_town


@pytest.mark.parametrize("persona", ["discipline", "town_staff", "leader"])
def test_discipline_and_town_staff_read_their_towns_log(town, logged, login, persona):
    client = login(town.user(persona))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown and all(e.place_path.startswith(town.town.path) for e in shown)
    assert AccessLog.objects.filter(place_path=logged.path).exists()
    for query in (
        "?action=reveal",
        f"?actor={town.user('town_staff').pk}",
        "?actor=abc",
    ):
        assert client.get(CHANGELIST + query).status_code == 200
    filtered = client.get(CHANGELIST + "?action=census_import").context["cl"].result_list
    assert list(filtered) == []
    other = AccessLog.objects.get(place_path=logged.path)
    assert (
        client.get(reverse("admin:members_accesslog_change", args=[other.pk])).status_code == 302
    )  # not found


@pytest.mark.parametrize("persona", ["officer_a", "grid_head_a1"])
def test_village_and_grid_staff_do_not_read_the_log(town, logged, login, persona):
    assert login(town.user(persona)).get(CHANGELIST).status_code == 403


@pytest.mark.parametrize("persona", ["member_a", "handler"])
def test_members_without_admin_do_not_read_the_log(town, logged, login, persona):
    response = login(town.user(persona)).get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_discipline_member_of_another_town_sees_none_of_this_one(town, logged, login):
    from tests.factories import MemberFactory

    user = UserFactory(username="other_discipline", is_staff=True)
    member = MemberFactory(name="别镇纪委", role="town_cadre", home=logged, user=user)
    PositionFactory(
        member=member, kind=PositionKind.DISCIPLINE, place=logged, start_date=datetime.date(2020, 1, 1)
    )
    shown = list(login(user).get(CHANGELIST).context["cl"].result_list)
    assert shown and all(e.place_path.startswith(logged.path) for e in shown)
    assert AccessAction.REVEAL in {e.action for e in shown}


def test_the_log_page_lists_many_rows_in_few_queries(town, logged, login, django_assert_max_num_queries):
    for _ in range(60):
        access_log(
            action=AccessAction.REVEAL, user=town.user("town_staff"), obj=town.ha2, detail={"field": "phone"}
        )
    client = login(town.user("discipline"))
    client.get(CHANGELIST)
    with django_assert_max_num_queries(15):
        assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize("link_type", [LinkType.PARTY_HOUSEHOLD])
def test_links_made_by_the_service_in_a_request_carry_the_request_user(town, client, link_type):
    """The middleware hands the request to the receivers: a link ended from a page is logged as that user."""
    from members.privacy import _request

    request = RequestFactory().post("/", REMOTE_ADDR="10.9.9.9")
    request.user = town.user("officer_a")
    token = _request.set(request)
    try:
        link_end(link=Link.objects.get(member=town.members["member_a"]), end_date=datetime.date(2026, 8, 1))
    finally:
        _request.reset(token)
    entry = entries(AccessAction.LINK_CHANGE)[-1]
    assert (entry.actor, entry.ip) == (town.user("officer_a"), "10.9.9.9")
    assert Position.objects.exists()


def test_no_full_number_reaches_the_log_output(town, client, caplog):
    """Phones stay plain in the database but never appear in log lines (reveal, census import, full export)."""
    import logging

    from tests.members.test_census import ID_1

    caplog.set_level(logging.DEBUG)
    town.ha1.phone = "13812345678"
    town.ha1.save()
    user = full_numbers_user(town)
    user.user_permissions.add(Permission.objects.get(codename="reveal_personal_number"))
    user = type(user).objects.get(pk=user.pk)
    client.force_login(user)
    assert client.post(reverse("members:reveal", args=["household", town.ha1.pk, "phone"])).status_code == 200
    page = preview(client, good_file(town))
    client.post(CONFIRM, {"token": page.context["token"]})
    post = {
        "period": "custom",
        "start": "2026-09-01",
        "end": "2026-09-30",
        "kind": "grid",
        "full_numbers": "on",
    }
    response = client.post(reverse("reports:export", args=[town.grid_a1.pk]), post)
    client.get(response["Location"])
    assert caplog.records and AccessLog.objects.filter(action=AccessAction.CENSUS_IMPORT).exists()
    for number in ("13812345678", "13800001111", ID_1):
        assert number not in caplog.text


def test_names_shaped_like_numbers_are_masked_in_the_log(town):
    entry = access_log(action=AccessAction.REVEAL, object_repr="户主 13812345678", object_type="household")
    assert entry.object_repr == "户主 138****5678"
