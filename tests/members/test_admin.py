"""The admin at town scale: bounded queries whatever the rows shown, and scoping in lists, filters, autocomplete
and change forms (persona town for the access part, the small demo for the query counts)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.town import demo_town_build
from grids.enums import PlaceKind
from grids.models import Household, Place
from members.admin import HouseholdAdmin, LinkAdmin, MemberAdmin
from members.enums import LinkType
from members.models import Link, Member

from ..factories import HouseholdFactory, MemberFactory, PlaceFactory

AUTOCOMPLETE = "/admin/autocomplete/"


@pytest.fixture
def demo(db):
    demo_town_build(size="small", seed=11)
    return get_user_model().objects


def _queries(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, url
    return response, len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("admin_class", "url", "model"),
    [
        (HouseholdAdmin, "/admin/grids/household/", Household),
        (MemberAdmin, "/admin/members/member/", Member),
        (LinkAdmin, "/admin/members/link/", Link),
    ],
)
def test_changelist_queries_do_not_grow_with_rows_shown(demo, login, monkeypatch, admin_class, url, model):
    client = login(demo.get(username="centre"))
    client.get(url)  # warm up: content types, permissions caches
    monkeypatch.setattr(admin_class, "list_per_page", 10)
    small, small_count = _queries(client, url)
    monkeypatch.setattr(admin_class, "list_per_page", 100)
    large, large_count = _queries(client, url)
    assert len(small.context["cl"].result_list) == 10
    visible = small.context["cl"].result_count
    assert len(large.context["cl"].result_list) == min(100, visible)
    assert visible > 50  # the comparison means something
    assert small_count == large_count
    assert large_count <= 14


def test_household_changelist_query_count_is_bounded(demo, login, django_assert_max_num_queries):
    client = login(demo.get(username="centre"))
    client.get("/admin/grids/household/")
    village = Place.objects.filter(kind=PlaceKind.VILLAGE).order_by("code").first()
    with django_assert_max_num_queries(14):
        response = client.get("/admin/grids/household/", {"village": village.pk, "q": "号"})
    assert response.context["cl"].result_count == Household.objects.under(village).count() > 0
    with django_assert_max_num_queries(14):
        client.get("/admin/grids/household/", {"is_hardship__exact": "1"})


def test_household_autocomplete_is_bounded(demo, login):
    client = login(demo.get(username="centre"))
    params = {"app_label": "members", "model_name": "link", "field_name": "household"}
    client.get(AUTOCOMPLETE, {**params, "term": ""})
    many, many_count = _queries(client, AUTOCOMPLETE, {**params, "term": ""})
    one = Household.objects.order_by("code").first()
    few, few_count = _queries(client, AUTOCOMPLETE, {**params, "term": one.code})
    assert len(many.json()["results"]) == 20 and many.json()["pagination"]["more"] is True
    assert [r["id"] for r in few.json()["results"]] == [str(one.pk)]
    assert many_count == few_count <= 8


def test_demo_officer_sees_only_their_village(demo, login):
    officer = demo.get(username="officer")
    village = officer.member.positions.get().place
    client = login(officer)
    response = client.get("/admin/grids/household/")
    assert response.context["cl"].result_count == Household.objects.under(village).count()
    assert {h.path.startswith(village.path) for h in response.context["cl"].result_list} == {True}
    data = {"app_label": "members", "model_name": "link", "field_name": "household", "term": ""}
    ids = [int(r["id"]) for r in client.get(AUTOCOMPLETE, data).json()["results"]]
    assert ids and set(Household.objects.filter(pk__in=ids).values_list("path", flat=True)) <= set(
        Household.objects.under(village).values_list("path", flat=True)
    )


# --- access with the persona town -------------------------------------------------------------------


def _filter_choices(response, title):
    for spec in response.context["cl"].filter_specs:
        if str(spec.title) == title:
            return [str(choice[1]) for choice in spec.lookup_choices]
    raise AssertionError(title)


def test_officer_b_sees_only_village_b_in_list_and_filters(town, login):
    client = login(town.user("officer_b"))
    response = client.get("/admin/grids/household/")
    assert list(response.context["cl"].result_list) == [town.hb1]
    assert _filter_choices(response, "村(社区)") == ["乙村"]
    assert _filter_choices(response, "网格") == ["乙村第一网格"]
    # asking for village A's filter value shows nothing rather than village A
    response = client.get("/admin/grids/household/", {"village": town.village_a.pk})
    assert list(response.context["cl"].result_list) == []
    response = client.get("/admin/members/member/")
    assert _filter_choices(response, "村(社区)") == ["乙村"]
    assert set(response.context["cl"].result_list) == {town.members["officer_b"], town.members["member_b"]}
    response = client.get("/admin/members/link/")
    assert [link.household for link in response.context["cl"].result_list] == [town.hb1]


def test_officer_a_does_not_see_village_b(town, login):
    client = login(town.user("officer_a"))
    response = client.get("/admin/grids/household/")
    assert set(response.context["cl"].result_list) == {town.ha1, town.ha2, town.ha3}
    assert _filter_choices(response, "村(社区)") == ["甲村"]


def test_officer_b_autocomplete_offers_only_village_b(town, login):
    client = login(town.user("officer_b"))
    base = {"app_label": "members", "model_name": "link"}
    households = client.get(AUTOCOMPLETE, {**base, "field_name": "household", "term": ""}).json()
    assert [r["id"] for r in households["results"]] == [str(town.hb1.pk)]
    members = client.get(AUTOCOMPLETE, {**base, "field_name": "member", "term": ""}).json()
    assert {r["text"] for r in members["results"]} == {"officer_b", "member_b"}
    places = client.get(AUTOCOMPLETE, {**base, "field_name": "place", "term": ""}).json()
    assert {r["text"] for r in places["results"]} == {"乙村", "乙村第一网格", "乙村一组"}


def test_migrant_autocomplete_offers_migrants_only(town, login):
    migrant = MemberFactory(name="流动党员甲", home=town.grid_a1a, is_migrant=True)
    client = login(town.user("town_staff"))
    data = {"app_label": "members", "model_name": "link", "field_name": "migrant", "term": ""}
    assert [r["id"] for r in client.get(AUTOCOMPLETE, data).json()["results"]] == [str(migrant.pk)]
    data["field_name"] = "member"
    assert str(migrant.pk) in [r["id"] for r in client.get(AUTOCOMPLETE, data).json()["results"]]


def test_link_form_refuses_a_household_outside_the_scope(town, login):
    other_town = PlaceFactory(kind=PlaceKind.TOWN, name="别镇", code="T99", parent=town.city)
    village = PlaceFactory(kind=PlaceKind.VILLAGE, name="别村", code="V99", parent=other_town)
    grid3 = PlaceFactory(kind=PlaceKind.GRID3, name="别村网格", code="G99", parent=village)
    outside = HouseholdFactory(
        grid=PlaceFactory(kind=PlaceKind.GRID4, name="别组", code="G99a", parent=grid3)
    )
    client = login(town.user("town_staff"))
    post = {
        "member": town.members["member_a"].pk,
        "link_type": LinkType.PARTY_HOUSEHOLD,
        "household": outside.pk,
        "start_date": "2024-01-01",
    }
    response = client.post("/admin/members/link/add/", post)
    assert response.status_code == 200  # the form again, with an error
    assert "household" in response.context["adminform"].form.errors
    assert not Link.objects.filter(household=outside).exists()
    post["household"] = town.ha2.pk
    response = client.post("/admin/members/link/add/", post)
    assert response.status_code == 302
    assert Link.objects.filter(household=town.ha2, member=town.members["member_a"]).count() == 1


def test_link_status_filter(town, login):
    import datetime

    Link.objects.filter(household=town.ha1).update(end_date=datetime.date(2021, 6, 30))
    client = login(town.user("town_staff"))
    current = client.get("/admin/members/link/", {"status": "current"}).context["cl"].result_list
    ended = client.get("/admin/members/link/", {"status": "ended"}).context["cl"].result_list
    assert town.ha1 not in [link.household for link in current]
    assert [link.household for link in ended] == [town.ha1]
