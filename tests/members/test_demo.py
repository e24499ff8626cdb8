"""The demo town builder (demo/town.py) and its command: shape, pairing rules, personas, determinism."""

import io
import os
import stat

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.test import RequestFactory

from demo.town import PERSONAS, DemoError, demo_town_build
from grids.enums import PlaceKind
from grids.models import Household, Place, path_segment
from grids.validators import validate_id_number, validate_phone
from members import selectors
from members.access import households_visible_to, scope_for
from members.enums import HOUSEHOLD_RANGE, LinkType, MemberRole, PositionKind
from members.models import Link, Member, Position

from ..factories import PlaceFactory


@pytest.fixture
def demo(db):
    return demo_town_build(size="small", seed=7)


def _user(name):
    return get_user_model().objects.get(username=name)


def test_small_demo_has_the_planned_shape(demo):
    counts = demo.counts
    assert (counts["towns"], counts["villages"], counts["grid3"], counts["grid4"]) == (1, 2, 4, 12)
    assert counts["households"] == Household.objects.count() == 400
    assert counts["members"] == Member.objects.count()
    assert counts["links"] == Link.objects.count()
    assert counts["departments"] == 10 + 10  # city departments + town offices, centre, discipline
    assert Place.objects.get(kind=PlaceKind.TOWN).name == "双凫铺镇"
    assert Place.objects.get(kind=PlaceKind.CITY).name == "宁乡市"
    assert list(Place.objects.filter(kind=PlaceKind.VILLAGE).values_list("name", flat=True)) == [
        "双凫铺社区",
        "白鹤村",
    ]


def test_town_size_parameters_match_the_domain():
    from demo.town import SIZES

    town = SIZES["town"]
    assert (town.villages, town.grid3, town.grid4, town.households) == (16, 60, 400, 15000)
    # 60 grid heads + 20 cadres holding town posts = the ~80 town cadres of the plan
    assert town.grid3 + len(town.town_posts) + town.extra_cadres == 80
    assert (town.city_leaders, town.city_dept_heads) == (2, 6)


def test_paths_are_filled_as_save_would(demo):
    for place in Place.objects.select_related("parent"):
        expected = (place.parent.path if place.parent_id else "/") + path_segment(place.pk)
        assert (place.path, place.depth) == (expected, expected.count("/") - 1)
    assert not Household.objects.exclude(path=F("grid__path")).exists()
    assert not Member.objects.exclude(path=F("home__path")).exists()
    assert not Link.objects.filter(household__isnull=False).exclude(path=F("household__path")).exists()
    assert not Link.objects.filter(place__isnull=False).exclude(path=F("place__path")).exists()
    assert not Link.objects.filter(migrant__isnull=False).exclude(path=F("migrant__path")).exists()


def test_households_have_valid_numbers_and_addresses(demo):
    rows = list(Household.objects.values_list("phone", "id_number", "address", "grid__name"))
    for phone, id_number, address, grid_name in rows:
        validate_phone(phone)
        if id_number:
            validate_id_number(id_number)
        assert address.startswith(grid_name) and address.endswith("号")
    with_id = sum(1 for r in rows if r[1])
    assert 0.5 < with_id / len(rows) < 0.7
    phones = list(Member.objects.values_list("phone", flat=True))
    assert len(phones) == len(set(phones)) and all(phones)


def test_link_checks_are_clean_and_coverage_is_full(demo):
    admin = _user("town_admin")
    assert selectors.link_checks_summary(user=admin) == {
        "out_of_range": 0,
        "cadres_without_grid": 0,
        "exempt_with_links": 0,
        "uncovered": 0,
    }
    assert Member.objects.filter(is_exempt=True).count() >= 1


def test_town_cadres_link_one_grid_and_ten_key_households_in_it(demo):
    cadres = Member.objects.filter(role__in=[MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE])
    assert cadres.count() == 4 + 5  # a head per grid3 + the posts of the small size
    for cadre in cadres:
        (grid,) = [link.place for link in cadre.links.filter(link_type=LinkType.TOWN_GRID)]
        households = Household.objects.filter(links__member=cadre, links__link_type=LinkType.TOWN_HOUSEHOLD)
        assert households.count() == 10
        assert households.filter(path__startswith=grid.path).count() == 10
        assert households.special().count() == 10
    # every grid3 is headed by a town cadre who links it
    for grid in Place.objects.filter(kind=PlaceKind.GRID3):
        (head,) = Position.objects.filter(kind=PositionKind.GRID_HEAD, place=grid)
        assert head.member.role in (MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE)
        assert head.member.links.filter(link_type=LinkType.TOWN_GRID, place=grid).exists()


def test_household_link_counts_respect_the_ranges(demo):
    per_member = (
        Link.objects.filter(household__isnull=False)
        .values("member_id", "link_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    seen = set()
    for row in per_member:
        low, high = HOUSEHOLD_RANGE[LinkType(row["link_type"])]
        assert low <= row["n"] <= high, row
        seen.add(row["link_type"])
    assert seen == {
        LinkType.CITY_HOUSEHOLD,
        LinkType.TOWN_HOUSEHOLD,
        LinkType.VILLAGE_HOUSEHOLD,
        LinkType.PARTY_HOUSEHOLD,
    }
    # village cadres and notables link key households; city leaders link the four categories in their village
    village_links = Link.objects.filter(link_type=LinkType.VILLAGE_HOUSEHOLD)
    assert not village_links.filter(
        household__is_hardship=False,
        household__is_disability=False,
        household__is_elderly_alone=False,
        household__is_left_behind=False,
        household__is_key=False,
    ).exists()
    category = (
        Q(household__is_hardship=True)
        | Q(household__is_disability=True)
        | Q(household__is_elderly_alone=True)
        | Q(household__is_left_behind=True)
    )
    city_links = Link.objects.filter(link_type=LinkType.CITY_HOUSEHOLD)
    assert city_links.count() == 20 and city_links.filter(category).count() == 20
    for member in Member.objects.filter(role__in=[MemberRole.CITY_LEADER, MemberRole.CITY_DEPT_HEAD]):
        (village,) = [link.place for link in member.links.filter(link_type=LinkType.CITY_VILLAGE)]
        assert member.links.filter(household__path__startswith=village.path).count() == 10


def test_city_leader_links_the_town_and_migrants_are_linked_by_village_cadres(demo):
    town = Place.objects.get(kind=PlaceKind.TOWN)
    (link,) = Link.objects.filter(link_type=LinkType.CITY_TOWN)
    assert link.place == town and link.member.user.username == "cityleader"
    migrants = Member.objects.filter(is_migrant=True)
    assert migrants.count() == 2  # one per village
    for migrant in migrants:
        (link,) = migrant.linked_by.all()
        assert link.link_type == LinkType.MIGRANT
        assert link.member.role == MemberRole.VILLAGE_CADRE
        assert migrant.path.startswith(Place.objects.get(pk=link.member.home_id).path)
    assert not Link.objects.filter(member__is_exempt=True).exists()


def test_party_members_link_neighbours_in_their_grid(demo):
    for member in Member.objects.filter(links__link_type=LinkType.PARTY_HOUSEHOLD).distinct():
        grid3_path = member.path[: len("/00000000/") * 4]  # city/town/village/grid3
        assert member.home.kind == PlaceKind.GRID4
        assert member.links.exclude(household__path__startswith=grid3_path).count() == 0


def test_every_place_has_its_posts(demo):
    positions = Position.objects.values_list("kind", "place__kind")
    grid4_heads = Position.objects.filter(kind=PositionKind.GRID_HEAD, place__kind=PlaceKind.GRID4)
    assert (
        grid4_heads.values("place").distinct().count() == Place.objects.filter(kind=PlaceKind.GRID4).count()
    )
    assert grid4_heads.count() == 12
    officers = Position.objects.filter(kind=PositionKind.VILLAGE_OFFICER)
    assert sorted(officers.values_list("place__name", flat=True)) == sorted(["双凫铺社区", "白鹤村"])
    kinds = {kind for kind, _ in positions}
    assert {
        PositionKind.LEADER,
        PositionKind.OFFICE_DIRECTOR,
        PositionKind.CENTRE_STAFF,
        PositionKind.DISCIPLINE,
        PositionKind.DEPT_HANDLER,
    } <= kinds


def test_personas_have_logins_with_the_right_scope(demo):
    assert [lg.username for lg in demo.logins] == [p[0] for p in PERSONAS]
    users = {u.username: u for u in get_user_model().objects.all()}
    assert set(users) == {p[0] for p in PERSONAS}
    assert [u for u, user in users.items() if user.is_superuser] == ["town_admin"]
    assert {u for u, user in users.items() if user.is_staff} == {
        "town_admin",
        "centre",
        "leader",
        "discipline",
        "officer",
        "gridhead",
        "gridhead4",
    }
    for login in demo.logins:
        user = users[login.username]
        assert user.member.name == login.member_name
        assert user.password != login.password and login.password not in user.password
    town = Place.objects.get(kind=PlaceKind.TOWN)
    first_village = Place.objects.filter(kind=PlaceKind.VILLAGE).order_by("code").first()
    first_grid3 = Place.objects.filter(kind=PlaceKind.GRID3).order_by("code").first()
    first_grid4 = Place.objects.filter(kind=PlaceKind.GRID4).order_by("code").first()
    assert scope_for(users["centre"]).is_town_staff and scope_for(users["centre"]).paths == (town.path,)
    assert scope_for(users["leader"]).is_leading_group
    assert scope_for(users["discipline"]).is_discipline and scope_for(users["discipline"]).write_paths == ()
    assert scope_for(users["officer"]).paths == (first_village.path,)
    assert scope_for(users["gridhead"]).paths == (first_grid3.path,)
    assert scope_for(users["gridhead4"]).paths == (first_grid4.path,)
    assert users["gridhead4"].member.village_subrole == "group_leader"
    assert scope_for(users["handler"]).department_ids == (
        Position.objects.get(member__user__username="handler", kind=PositionKind.DEPT_HANDLER).department_id,
    )
    assert Position.objects.get(member__user__username="handler").department.name == "社会事务办"
    assert Position.objects.get(member__user__username="cityhandler").department.name == "市水利局"
    city = Place.objects.get(kind=PlaceKind.CITY)
    assert scope_for(users["cityleader"]).city_paths == (city.path,)  # the city pages (docs/architecture.md)
    assert scope_for(users["cityleader"]).linked_town_paths == (town.path,)
    member = users["member"].member
    assert member.role == MemberRole.PARTY_MEMBER
    assert 10 <= households_visible_to(users["member"]).count() <= 15
    assert users["villagecadre"].member.role == MemberRole.VILLAGE_CADRE
    assert 2 <= users["villagecadre"].member.links.filter(household__isnull=False).count() <= 3


def test_same_seed_gives_the_same_town(db):
    def snapshot():
        households = list(
            Household.objects.order_by("code").values_list(
                "code", "head_name", "address", "phone", "id_number", "is_hardship", "is_key"
            )
        )
        links = list(
            Link.objects.order_by("member__phone", "link_type", "household__code").values_list(
                "member__name", "member__phone", "link_type", "household__code", "place__code"
            )
        )
        return households, links

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            demo_town_build(size="small", seed=3, logins=False)
            first = snapshot()
            raise Rollback
    except Rollback:
        pass
    assert not Place.objects.exists()
    demo_town_build(size="small", seed=3, logins=False)
    assert snapshot() == first
    assert not get_user_model().objects.exists()


def test_several_towns_get_unique_codes_and_one_set_of_personas(db):
    result = demo_town_build(size="small", towns=2, seed=5)
    towns = list(Place.objects.filter(kind=PlaceKind.TOWN).order_by("code").values_list("name", flat=True))
    assert towns == ["双凫铺镇", "金洲镇"]
    assert result.counts["households"] == 800
    assert len(result.logins) == 12
    ids = list(Household.objects.exclude(id_number="").values_list("id_number", flat=True))
    assert len(ids) == len(set(ids))
    assert selectors.link_checks_summary(user=_user("town_admin"))["uncovered"] == 0


def test_if_empty_skips_when_any_place_exists(db):
    PlaceFactory(kind=PlaceKind.CITY, name="别的市", code="X1")
    assert demo_town_build(size="small", if_empty=True).skipped is True
    assert Place.objects.count() == 1
    out = io.StringIO()
    call_command("demo_town", "--size", "small", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()
    assert not Household.objects.exists()


def test_building_twice_is_refused(demo):
    with pytest.raises(DemoError, match="演示数据已存在"):
        demo_town_build(size="small")
    with pytest.raises(CommandError, match="演示数据已存在"):
        call_command("demo_town", "--size", "small", stdout=io.StringIO())


def test_taken_persona_username_is_refused(db):
    get_user_model().objects.create_user("officer", password="x-unused-12345")
    with pytest.raises(DemoError, match="officer"):
        demo_town_build(size="small")
    assert not Place.objects.exists()


def test_command_prints_passwords_once_and_writes_a_private_file(db, tmp_path):
    out = io.StringIO()
    target = tmp_path / "logins.txt"
    call_command("demo_town", "--size", "small", "--seed", "9", "--password-file", str(target), stdout=out)
    text = out.getvalue()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    lines = target.read_text(encoding="utf-8").splitlines()[1:]
    assert [line.split()[0] for line in lines] == [p[0] for p in PERSONAS]
    for line in lines:
        username, password = line.split()[:2]
        assert f"{username}" in text and password in text
        request = RequestFactory().post("/accounts/login/")  # axes throttles by address: it needs the request
        assert authenticate(request, username=username, password=password) is not None
    assert "households" in text and "400" in text


def test_unknown_size_is_a_clear_error(db):
    with pytest.raises(DemoError, match="未知的规模"):
        demo_town_build(size="huge")
