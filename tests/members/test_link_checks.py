import datetime

import pytest

from members import selectors
from members.enums import ExemptReason, LinkType, MemberRole
from tests.factories import HouseholdFactory, LinkFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _households(town, n):
    return [HouseholdFactory(grid=town.grid_a1a) for _ in range(n)]


def test_household_counts_outside_the_range_are_flagged(town):
    staff = town.user("town_staff")
    in_range = MemberFactory(home=town.village_a, role=MemberRole.VILLAGE_CADRE)
    too_many = MemberFactory(home=town.village_a, role=MemberRole.VILLAGE_CADRE)
    for h in _households(town, 2):
        LinkFactory(member=in_range, household=h, link_type=LinkType.VILLAGE_HOUSEHOLD)
    for h in _households(town, 4):
        LinkFactory(member=too_many, household=h, link_type=LinkType.VILLAGE_HOUSEHOLD)
    flagged = {m.pk: m.household_count for m in selectors.members_out_of_range(user=staff)}
    assert flagged[too_many.pk] == 4
    assert in_range.pk not in flagged
    # the persona party members hold 1 household each (range 10–15)
    assert flagged[town.members["member_a"].pk] == 1


def test_ended_links_do_not_count(town):
    staff = town.user("town_staff")
    cadre = MemberFactory(home=town.village_a, role=MemberRole.VILLAGE_CADRE)
    for h in _households(town, 2):
        LinkFactory(member=cadre, household=h, link_type=LinkType.VILLAGE_HOUSEHOLD)
    LinkFactory(
        member=cadre,
        household=HouseholdFactory(grid=town.grid_a1a),
        link_type=LinkType.VILLAGE_HOUSEHOLD,
        end_date=datetime.date(2021, 1, 1),
    )
    assert cadre not in selectors.members_out_of_range(user=staff)


def test_town_cadres_need_exactly_one_grid(town):
    staff = town.user("town_staff")
    flagged = set(selectors.town_cadres_without_one_grid(user=staff))
    assert town.members["grid_head_a1"] not in flagged  # links grid A1
    assert town.members["grid_head_b1"] in flagged  # links no grid


def test_exempt_members_with_links(town):
    staff = town.user("town_staff")
    exempt = MemberFactory(home=town.village_a, is_exempt=True, exempt_reason=ExemptReason.WORKING_AWAY)
    LinkFactory(member=exempt, household=town.ha2)
    assert list(selectors.exempt_members_with_links(user=staff)) == [exempt]


def test_uncovered_households_scoped(town):
    assert set(selectors.uncovered_households(user=town.user("town_staff"))) == {town.ha2, town.ha3}
    assert set(selectors.uncovered_households(user=town.user("officer_b"))) == set()
    assert selectors.link_checks_summary(user=town.user("officer_a"))["uncovered"] == 2


def test_checks_page_query_count_is_bounded(town, login, django_assert_max_num_queries):
    client = login(town.user("town_staff"))
    _households(town, 30)
    with django_assert_max_num_queries(24):
        response = client.get("/checks/")
    assert response.status_code == 200
    assert response.context["summary"]["uncovered"] == 32
