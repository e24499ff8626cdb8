"""Quota arithmetic: every link type and period, midnight boundaries, mid-period links, yard meetings."""

import datetime

import pytest
from django.db.models import F

from grids.enums import PlaceKind
from members.enums import LinkType, MemberRole, PositionKind
from members.models import Link
from tests.factories import HouseholdFactory, LinkFactory, MemberFactory, PositionFactory, UserFactory
from visits.enums import ContactKind, Period
from visits.models import QuotaRule
from visits.selectors import compliance_summary, link_compliance

from .conftest import at

D = datetime.date
LONG_AGO = D(2020, 1, 1)
HOUSEHOLD_TYPES = [
    LinkType.CITY_HOUSEHOLD,
    LinkType.TOWN_HOUSEHOLD,
    LinkType.VILLAGE_HOUSEHOLD,
    LinkType.PARTY_HOUSEHOLD,
]


def statuses(link, on):
    """(overall status, {period: (done, required, status)})"""
    [entry] = link_compliance(links=Link.objects.filter(pk=link.pk), on=on)
    return entry.status, {r.rule.period: (r.done, r.required, r.status) for r in entry.rules}


def test_seeded_rules_match_the_work_plan(db):
    rules = {(r.link_type, r.period): (sorted(r.kinds), r.min_count) for r in QuotaRule.objects.all()}
    assert rules[(LinkType.CITY_TOWN, Period.YEAR)] == (["onsite"], 4)
    assert rules[(LinkType.CITY_VILLAGE, Period.YEAR)] == (["onsite"], 4)
    assert rules[(LinkType.TOWN_GRID, Period.WEEK)] == (["grid_sinkdown"], 1)
    for lt in HOUSEHOLD_TYPES:
        assert rules[(lt, Period.QUARTER)] == (["home_visit", "yard_meeting"], 1)
        assert rules[(lt, Period.MONTH)] == (["home_visit", "online", "yard_meeting"], 1)
    assert len(rules) == 3 + 2 * len(HOUSEHOLD_TYPES)


@pytest.fixture
def household_link(town):
    def make(link_type, start=LONG_AGO):
        role = {
            LinkType.CITY_HOUSEHOLD: MemberRole.CITY_LEADER,
            LinkType.TOWN_HOUSEHOLD: MemberRole.TOWN_CADRE,
            LinkType.VILLAGE_HOUSEHOLD: MemberRole.VILLAGE_CADRE,
            LinkType.PARTY_HOUSEHOLD: MemberRole.PARTY_MEMBER,
        }[link_type]
        user = UserFactory()
        member = MemberFactory(role=role, home=town.village_a, user=user)
        household = HouseholdFactory(grid=town.grid_a1a)
        link = LinkFactory(member=member, household=household, link_type=link_type, start_date=start)
        return user, household, link

    return make


@pytest.mark.parametrize("link_type", HOUSEHOLD_TYPES)
def test_household_rules_quarter_and_month(household_link, record, link_type):
    user, household, link = household_link(link_type)
    # Nothing at all: the previous quarter and month ended unmet.
    assert statuses(link, D(2025, 5, 15)) == (
        "overdue",
        {Period.QUARTER: (0, 1, "overdue"), Period.MONTH: (0, 1, "overdue")},
    )
    record(user, ContactKind.ONLINE, at(2025, 4, 10), household=household)
    # April's online contact: May is due (April met), the quarter still lacks a home visit and Q1 was missed.
    assert statuses(link, D(2025, 5, 15)) == (
        "overdue",
        {Period.QUARTER: (0, 1, "overdue"), Period.MONTH: (0, 1, "due")},
    )
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=household)
    assert statuses(link, D(2025, 5, 15)) == (
        "done",
        {Period.QUARTER: (1, 1, "done"), Period.MONTH: (1, 1, "done")},
    )
    # June 2: the quarter is done; May was met, so June is only due.
    assert statuses(link, D(2025, 6, 2)) == (
        "due",
        {Period.QUARTER: (1, 1, "done"), Period.MONTH: (0, 1, "due")},
    )
    # July 2: June passed with nothing (overdue); Q2 was met so Q3 is due.
    assert statuses(link, D(2025, 7, 2)) == (
        "overdue",
        {Period.QUARTER: (0, 1, "due"), Period.MONTH: (0, 1, "overdue")},
    )


def test_quarter_boundary_at_midnight_shanghai(household_link, record):
    user, household, link = household_link(LinkType.PARTY_HOUSEHOLD)
    record(user, ContactKind.HOME_VISIT, at(2025, 3, 31, 23, 59), household=household)
    assert statuses(link, D(2025, 3, 31))[1][Period.QUARTER] == (1, 1, "done")
    # 23:59 on 31 March belongs to Q1: on 1 April Q2 is empty but Q1 was met → due.
    assert statuses(link, D(2025, 4, 1))[1][Period.QUARTER] == (0, 1, "due")
    record(user, ContactKind.HOME_VISIT, at(2025, 4, 1, 0, 0), household=household)
    assert statuses(link, D(2025, 4, 1))[1][Period.QUARTER] == (1, 1, "done")
    assert statuses(link, D(2025, 3, 31))[1][Period.QUARTER] == (1, 1, "done")


def test_town_grid_weekly_sinkdown_monday_midnight(town, record):
    head = town.user("grid_head_a1")
    link = Link.objects.get(member=town.members["grid_head_a1"], place=town.grid_a1)
    record(head, ContactKind.GRID_SINKDOWN, at(2025, 6, 15, 23, 59), place=town.grid_a1)  # Sunday night
    assert statuses(link, D(2025, 6, 15)) == ("done", {Period.WEEK: (1, 1, "done")})
    assert statuses(link, D(2025, 6, 16)) == ("due", {Period.WEEK: (0, 1, "due")})  # Monday: new week
    assert statuses(link, D(2025, 6, 23)) == ("overdue", {Period.WEEK: (0, 1, "overdue")})
    record(head, ContactKind.GRID_SINKDOWN, at(2025, 6, 16, 0, 0), place=town.grid_a1)
    assert statuses(link, D(2025, 6, 16)) == ("done", {Period.WEEK: (1, 1, "done")})
    # On-site stays do not count as a sink-down.
    record(head, ContactKind.ONSITE, at(2025, 6, 24), place=town.grid_a1)
    assert statuses(link, D(2025, 6, 24)) == ("due", {Period.WEEK: (0, 1, "due")})


@pytest.mark.parametrize("link_type", [LinkType.CITY_TOWN, LinkType.CITY_VILLAGE])
def test_city_leader_four_onsite_days_a_year(town, record, link_type):
    user = UserFactory()
    member = MemberFactory(role=MemberRole.CITY_LEADER, home=town.city, user=user)
    place = town.town if link_type == LinkType.CITY_TOWN else town.village_a
    link = Link.objects.create(member=member, link_type=link_type, place=place, start_date=D(2024, 1, 1))
    for month in (2, 5, 8, 11):
        record(user, ContactKind.ONSITE, at(2024, month, 3), place=place)
    for month in (3, 6, 9):
        record(user, ContactKind.ONSITE, at(2025, month, 3), place=place)
    assert statuses(link, D(2025, 12, 31)) == ("due", {Period.YEAR: (3, 4, "due")})
    assert statuses(link, D(2026, 1, 1)) == ("overdue", {Period.YEAR: (0, 4, "overdue")})
    record(user, ContactKind.ONSITE, at(2025, 12, 31, 23, 59), place=place)
    assert statuses(link, D(2025, 12, 31)) == ("done", {Period.YEAR: (4, 4, "done")})
    assert statuses(link, D(2026, 1, 1)) == ("due", {Period.YEAR: (0, 4, "due")})


def test_link_starting_mid_period_is_judged_from_its_first_full_period(household_link):
    user, household, link = household_link(LinkType.PARTY_HOUSEHOLD, start=D(2025, 5, 10))
    # Started 10 May: neither April nor Q1 can be held against it.
    assert statuses(link, D(2025, 5, 20)) == (
        "due",
        {Period.QUARTER: (0, 1, "due"), Period.MONTH: (0, 1, "due")},
    )
    # June: May was partial → still only due.
    assert statuses(link, D(2025, 6, 5))[1][Period.MONTH] == (0, 1, "due")
    # July: June was the first full month and was missed; Q2 was partial, so the quarter is only due.
    assert statuses(link, D(2025, 7, 5)) == (
        "overdue",
        {Period.QUARTER: (0, 1, "due"), Period.MONTH: (0, 1, "overdue")},
    )
    # October: Q3 was the first full quarter, missed.
    assert statuses(link, D(2025, 10, 5))[1][Period.QUARTER] == (0, 1, "overdue")


def test_reassigned_household_counts_only_the_new_members_contacts(town, record):
    old = town.members["member_a"]
    Link.objects.filter(member=old, household=town.ha1).update(end_date=D(2025, 4, 30))
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 4, 20), household=town.ha1)
    user = UserFactory()
    new = MemberFactory(home=town.grid_a1a, user=user)
    link = LinkFactory(member=new, household=town.ha1, start_date=D(2025, 5, 1))
    assert statuses(link, D(2025, 5, 2))[1][Period.QUARTER] == (0, 1, "due")
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 2), household=town.ha1)
    assert statuses(link, D(2025, 5, 2))[1][Period.QUARTER] == (1, 1, "done")


def test_yard_meeting_counts_for_every_household_it_reached(town, record):
    head = town.user("grid_head_a1")
    member = town.members["grid_head_a1"]
    link2 = LinkFactory(member=member, household=town.ha2, link_type=LinkType.TOWN_HOUSEHOLD)
    link3 = LinkFactory(member=member, household=town.ha3, link_type=LinkType.TOWN_HOUSEHOLD)
    contact = record(
        head, ContactKind.YARD_MEETING, at(2025, 5, 10, 20), households=[town.ha2, town.ha3, town.ha1]
    )
    assert sorted(contact.households.values_list("pk", flat=True)) == sorted(
        [town.ha1.pk, town.ha2.pk, town.ha3.pk]
    )
    assert contact.path == town.grid_a1.path  # the deepest place holding all three
    for link in (link2, link3):
        assert statuses(link, D(2025, 5, 20)) == (
            "done",
            {Period.QUARTER: (1, 1, "done"), Period.MONTH: (1, 1, "done")},
        )
    # ha1 is member_a's household: the grid head's yard meeting does not count for member_a's link.
    link_a = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    assert statuses(link_a, D(2025, 5, 20))[1][Period.QUARTER] == (0, 1, "overdue")


def test_rules_are_data_town_staff_can_change(household_link, record):
    user, household, link = household_link(LinkType.PARTY_HOUSEHOLD)
    QuotaRule.objects.filter(link_type=LinkType.PARTY_HOUSEHOLD, period=Period.QUARTER).update(min_count=2)
    QuotaRule.objects.filter(link_type=LinkType.PARTY_HOUSEHOLD, period=Period.MONTH).update(active=False)
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=household)
    assert statuses(link, D(2025, 5, 15)) == ("overdue", {Period.QUARTER: (1, 2, "overdue")})
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 11), household=household)
    assert statuses(link, D(2025, 5, 15)) == ("done", {Period.QUARTER: (2, 2, "done")})


def test_links_without_rules_have_status_none(town):
    migrant = MemberFactory(is_migrant=True, home=town.village_a)
    link = Link.objects.create(member=town.members["officer_a"], link_type=LinkType.MIGRANT, migrant=migrant)
    assert statuses(link, D(2025, 5, 15)) == ("none", {})


def test_workspace_orders_overdue_first_then_oldest_contact(town, record):
    user = town.user("member_a")
    member = town.members["member_a"]
    h2 = HouseholdFactory(grid=town.grid_a1a)
    h3 = HouseholdFactory(grid=town.grid_a1a)
    LinkFactory(member=member, household=h2)
    LinkFactory(member=member, household=h3)
    record(user, ContactKind.HOME_VISIT, at(2025, 3, 5), household=h2)
    record(user, ContactKind.HOME_VISIT, at(2025, 4, 6), household=h2)
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 6), household=h3)
    record(user, ContactKind.HOME_VISIT, at(2025, 3, 6), household=h3)
    record(user, ContactKind.HOME_VISIT, at(2025, 4, 6), household=h3)
    entries = link_compliance(links=Link.objects.filter(member=member), on=D(2025, 5, 15))
    assert [(e.link.household_id, e.status) for e in entries] == [
        (town.ha1.pk, "overdue"),  # Q1 missed
        (h2.pk, "due"),  # May not yet
        (h3.pk, "done"),
    ]


def test_compliance_summary_town_by_village(town, record):
    on = D(2025, 5, 15)
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 2, 10), household=town.ha1)
    record(town.user("member_a"), ContactKind.ONLINE, at(2025, 4, 10), household=town.ha1)
    summary = compliance_summary(user=town.user("town_staff"), place=town.town, on=on, breakdown="child")
    assert summary["totals"] == {
        "total": 3,
        "done": 1,
        "due": 0,
        "overdue": 2,
        "on_track": 1,
        "share_on_track": 0.3333,
    }
    by_type = {t["link_type"]: t for t in summary["by_type"]}
    assert (by_type["party_household"]["total"], by_type["party_household"]["done"]) == (2, 1)
    assert by_type["party_household"]["share_on_track"] == 0.5
    assert {(r["period"], r["done"], r["overdue"]) for r in by_type["party_household"]["rules"]} == {
        ("quarter", 1, 1),
        ("month", 1, 1),
    }
    assert (by_type["town_grid"]["total"], by_type["town_grid"]["overdue"]) == (1, 1)
    rows = {r["name"]: (r["total"], r["done"], r["overdue"]) for r in summary["rows"]}
    assert rows == {"甲村": (2, 1, 1), "乙村": (1, 0, 1)}
    # ha2, ha3, hb1 had nothing this quarter; member_b and the grid head recorded nothing in May.
    assert summary["households_without_contact"] == 3
    assert summary["members_without_contact"] == 2


def test_what_a_dashboard_read_already_gives_the_same_summary(town, record):
    """`households_under` (the place's households, counted by the dashboard's coverage) and `children` (the
    places the rows are named from): the same figures and rows, one query fewer when every row's place is
    given; a row whose place is not given is still named."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from grids.models import Household

    on = timezone.localdate()  # the quarter still runs: "households without contact" is counted, not listed
    record(town.user("member_a"), ContactKind.HOME_VISIT, timezone.now(), household=town.ha1)
    staff = town.user("town_staff")

    def summary(**known):
        with CaptureQueriesContext(connection) as queries:
            result = compliance_summary(
                user=staff, place=town.town, on=on, breakdown="child", list_limit=0, **known
            )
        return result, len(queries)

    summary()  # the user's scope, computed once
    plain, plain_queries = summary()
    households = Household.objects.filter(path__startswith=town.town.path).count()
    assert plain["households_without_contact"] == households - 1  # ha1 reached
    some, _ = summary(households_under=households, children=[town.village_a])
    assert some == plain
    every, every_queries = summary(
        households_under=households, children=[town.town, town.village_a, town.village_b]
    )
    assert every == plain
    assert {row["name"] for row in every["rows"]} == {"甲村", "乙村"}
    assert every_queries == plain_queries - 1


def test_compliance_summary_is_scoped(town, record):
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    officer_b = compliance_summary(user=town.user("officer_b"), place=town.town, on=D(2025, 5, 15))
    assert officer_b["totals"]["total"] == 1  # only village B's link
    assert officer_b["households_without_contact"] == 1
    grid = compliance_summary(
        user=town.user("grid_head_a1"), place=town.grid_a1, on=D(2025, 5, 15), breakdown="member"
    )
    assert {r["name"]: (r["total"], r["done"]) for r in grid["rows"]} == {
        "member_a": (1, 1),
        "grid_head_a1": (1, 0),
    }


def _add_households(town, n):
    member = town.members["member_a"]
    user = town.user("member_a")
    from visits.services import contact_record

    for i in range(n):
        household = HouseholdFactory(grid=town.grid_a1a)
        LinkFactory(member=member, household=household)
        contact_record(
            user=user,
            kind="home_visit",
            occurred_at=at(2025, 5, 1 + i % 20),
            duties=["policy"],
            household=household,
        )


@pytest.mark.parametrize("n", [5, 50])
def test_compliance_queries_do_not_grow(town, n, django_assert_max_num_queries):
    _add_households(town, n)
    user = town.user("town_staff")
    user = type(user).objects.get(pk=user.pk)
    with django_assert_max_num_queries(8):
        summary = compliance_summary(user=user, place=town.town, on=D(2025, 5, 15), breakdown="child")
    assert summary["totals"]["total"] == n + 3
    with django_assert_max_num_queries(2):
        entries = link_compliance(
            links=Link.objects.filter(member=town.members["member_a"]), on=D(2025, 5, 15)
        )
    assert len(entries) == n + 1


def test_grid_head_position_sees_grid_summary_only(town):
    other_grid_head = UserFactory()
    m = MemberFactory(user=other_grid_head, role=MemberRole.TOWN_CADRE, home=town.town)
    PositionFactory(member=m, kind=PositionKind.GRID_HEAD, place=town.grid_b1)
    summary = compliance_summary(user=other_grid_head, place=town.town, on=D(2025, 5, 15))
    assert summary["totals"]["total"] == 1  # member_b's link in B1 only
    assert PlaceKind.GRID3 == town.grid_b1.kind


@pytest.mark.parametrize("party_minimum", [1, 2])
@pytest.mark.parametrize("on", [D(2025, 5, 15), D(2025, 6, 2), D(2025, 7, 1), D(2025, 12, 31), D(2026, 1, 5)])
def test_sql_and_python_status_rules_agree(town, record, on, party_minimum):
    """annotate_compliance (SQL, used by aggregates) and link_compliance (Python) judge alike, also when
    the link types sharing a rule group have different minimums (SQL then picks the minimum per type)."""
    from visits.enums import RANK_STATUS
    from visits.selectors import annotate_compliance, rule_groups

    QuotaRule.objects.filter(link_type=LinkType.PARTY_HOUSEHOLD, period=Period.QUARTER).update(
        min_count=party_minimum
    )
    LinkFactory(member=town.members["officer_a"], household=town.ha3, link_type=LinkType.VILLAGE_HOUSEHOLD)
    record(town.user("officer_a"), ContactKind.HOME_VISIT, at(2025, 5, 11), household=town.ha3)
    user = UserFactory()
    leader = MemberFactory(role=MemberRole.CITY_LEADER, home=town.city, user=user)
    Link.objects.create(
        member=leader, link_type=LinkType.CITY_TOWN, place=town.town, start_date=D(2025, 3, 3)
    )
    LinkFactory(member=town.members["member_a"], household=town.ha2, start_date=D(2025, 5, 10))
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    record(town.user("member_a"), ContactKind.ONLINE, at(2025, 6, 1), household=town.ha2)
    record(town.user("grid_head_a1"), ContactKind.GRID_SINKDOWN, at(2025, 6, 30), place=town.grid_a1)
    for month in (4, 6, 9, 12):
        record(user, ContactKind.ONSITE, at(2025, month, 2), place=town.town)
    links = Link.objects.all()
    python = {e.link.pk: e.status for e in link_compliance(links=links, on=on)}
    sql = {
        pk: RANK_STATUS[rank]
        for pk, rank in annotate_compliance(links, on=on, groups=rule_groups())
        .annotate(rank=F("status_rank"))
        .values_list("pk", "rank")
    }
    assert python == sql
    assert len(set(python.values())) >= 2
    detail = annotate_compliance(links, on=on, groups=rule_groups(), detail=True)
    assert {link.pk: RANK_STATUS[link.status_rank] for link in detail} == python
