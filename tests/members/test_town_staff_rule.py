""" "Town staff of this town" is one rule (members.access: Scope.is_staff_of, can_manage_town,
towns_managed_by): a town-staff post here, or above every town (the city), and never a post elsewhere, a
discipline post (read-only) or a village post here."""

import pytest

from grids.enums import PlaceKind
from members.access import build_scope, can_manage_town, towns_managed_by
from members.enums import MemberRole, PositionKind

from ..factories import MemberFactory, PlaceFactory, PositionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_town(town):
    return PlaceFactory(kind=PlaceKind.TOWN, name="乙镇", code="T98", parent=town.city)


def _holder(posts):
    user = UserFactory(is_staff=True)
    member = MemberFactory(role=MemberRole.TOWN_CADRE, user=user)
    for kind, place in posts:
        PositionFactory(member=member, kind=kind, place=place)
    return user


def test_town_staff_of_their_town_only(town, other_town):
    user = _holder([(PositionKind.CENTRE_STAFF, other_town), (PositionKind.DISCIPLINE, town.town)])
    scope = build_scope(user)
    assert scope.is_town_staff  # holds a town-staff post somewhere
    assert not scope.is_staff_of(town.town.path)  # but only the discipline commission's (read-only) here
    assert not scope.is_staff_of(town.ha1.path)
    assert scope.is_staff_of(other_town.path)
    assert not can_manage_town(user, town.town) and can_manage_town(user, other_town)
    assert list(towns_managed_by(user)) == [other_town]


def test_a_village_post_does_not_make_town_staff_of_that_town(town, other_town):
    user = _holder([(PositionKind.CENTRE_STAFF, other_town), (PositionKind.VILLAGE_OFFICER, town.village_a)])
    scope = build_scope(user)
    assert scope.writes_path(town.ha1.path)  # they write in their village
    assert not scope.is_staff_of(town.ha1.path)  # but are not the town centre there


def test_staff_posted_at_the_city_manage_every_town(town, other_town):
    user = _holder([(PositionKind.CENTRE_STAFF, town.city)])
    assert set(towns_managed_by(user)) == {town.town, other_town}
    assert can_manage_town(user, other_town)


def test_personas(town, admin_user):
    assert can_manage_town(town.user("town_staff"), town.town)
    assert can_manage_town(town.user("leader"), town.town)
    assert can_manage_town(admin_user, town.town)
    for persona in ("discipline", "officer_a", "grid_head_a1", "member_a"):
        assert not can_manage_town(town.user(persona), town.town), persona
        assert not towns_managed_by(town.user(persona)).exists(), persona
