import datetime

import pytest
from django.core.exceptions import ValidationError

from grids.enums import PlaceKind
from grids.models import Household, Place
from grids.services import place_move
from members.access import households_visible_to
from members.enums import ExemptReason, LinkType, MemberRole
from members.models import Link
from members.services import link_create, link_reassign
from tests.factories import MemberFactory, PlaceFactory

pytestmark = pytest.mark.django_db


def test_reassign_keeps_history(town):
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    successor = MemberFactory(home=town.village_a)
    new = link_reassign(link=link, new_member=successor, on=datetime.date(2024, 3, 1))
    link.refresh_from_db()
    assert link.end_date == datetime.date(2024, 2, 29)
    assert (new.member, new.household, new.start_date, new.end_date) == (
        successor,
        town.ha1,
        datetime.date(2024, 3, 1),
        None,
    )
    history = list(
        Link.objects.filter(household=town.ha1).order_by("start_date").values_list("member__name", flat=True)
    )
    assert history == [town.members["member_a"].name, successor.name]
    # the old member no longer sees the household, the new one does
    assert not households_visible_to(town.user("member_a")).filter(pk=town.ha1.pk).exists()


def test_link_create_refuses_exempt_member_and_wrong_role(town):
    exempt = MemberFactory(home=town.village_a, is_exempt=True, exempt_reason=ExemptReason.OLD_INFIRM)
    with pytest.raises(ValidationError, match="免于联户"):
        link_create(member=exempt, link_type=LinkType.PARTY_HOUSEHOLD, target=town.ha2)
    with pytest.raises(ValidationError):
        link_create(member=town.members["member_a"], link_type=LinkType.TOWN_GRID, target=town.grid_a1)


def test_link_create_checks_target_kind(town):
    cadre = MemberFactory(home=town.town, role=MemberRole.TOWN_CADRE)
    with pytest.raises(ValidationError):
        link_create(member=cadre, link_type=LinkType.TOWN_GRID, target=town.grid_a1a)  # a fourth-level grid
    link = link_create(member=cadre, link_type=LinkType.TOWN_GRID, target=town.grid_a1)
    assert link.path == town.grid_a1.path


def test_place_move_rewrites_every_path(town):
    village_c = PlaceFactory(kind=PlaceKind.VILLAGE, name="丙村", code="VC", parent=town.town)
    place_move(place=town.grid_a1, new_parent=village_c)
    assert set(Household.objects.under(village_c)) == {town.ha1, town.ha2, town.ha3}
    assert not Household.objects.under(town.village_a).exists()
    grid_a1a = Place.objects.get(pk=town.grid_a1a.pk)
    assert grid_a1a.path.startswith(village_c.path) and grid_a1a.depth == town.grid_a1a.depth == 5
    assert Link.objects.get(household=town.ha1).path == grid_a1a.path
    assert (
        town.members["member_a"].__class__.objects.get(pk=town.members["member_a"].pk).path == grid_a1a.path
    )
    # the officer of village A no longer sees the moved households
    assert not households_visible_to(town.user("officer_a")).exists()


def test_place_move_refuses_wrong_level(town):
    with pytest.raises(ValidationError):
        place_move(place=town.grid_a1, new_parent=town.grid_b1)


def test_place_move_rewrites_path_copies_in_every_app(town):
    """Contacts (and every other model with a `path` copy) follow the move: the new village's officer sees them."""
    from visits.enums import ContactKind
    from visits.models import Contact
    from visits.periods import TZ
    from visits.services import contact_record

    contact = contact_record(
        user=town.user("member_a"),
        kind=ContactKind.HOME_VISIT,
        occurred_at=datetime.datetime(2026, 1, 5, 10, tzinfo=TZ),
        duties=("policy",),
        household=town.ha1,
    )
    village_c = PlaceFactory(kind=PlaceKind.VILLAGE, name="丙村", code="VC", parent=town.town)
    place_move(place=town.grid_a1, new_parent=village_c)
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.path == Place.objects.get(pk=town.grid_a1a.pk).path
    assert contact.path.startswith(village_c.path)


def test_household_grid_change_in_admin_moves_its_contacts_and_links(town, login):
    from visits.enums import ContactKind
    from visits.models import Contact
    from visits.periods import TZ
    from visits.services import contact_record

    contact = contact_record(
        user=town.user("member_a"),
        kind=ContactKind.HOME_VISIT,
        occurred_at=datetime.datetime(2026, 1, 5, 10, tzinfo=TZ),
        duties=("policy",),
        household=town.ha1,
    )
    client = login(town.user("town_staff"))
    ha1 = town.ha1
    data = {
        "code": ha1.code,
        "grid": town.grid_b1a.pk,
        "head_name": ha1.head_name,
        "address": ha1.address,
        "phone": ha1.phone,
        "id_number": "",
        "people_count": 3,
        "is_hardship": "on",
        "notes": "",
    }
    response = client.post(f"/admin/grids/household/{ha1.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Contact.objects.get(pk=contact.pk).path == town.grid_b1a.path
    assert Link.objects.get(household=ha1).path == town.grid_b1a.path
    assert households_visible_to(town.user("officer_b")).filter(pk=ha1.pk).exists()
