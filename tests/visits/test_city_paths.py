"""Issue 17, town pages inside a city: LastContact.path (a copy of the household's path) follows every move,
and the city-scale query shapes (path-bounded, exempt members as a small set) give the plain shapes' answers
with a bounded number of queries."""

import datetime

from django.db.models import Q
from django.utils import timezone

from grids.enums import PlaceKind
from grids.models import Household, Place
from grids.services import household_paths_sync, place_move
from members.enums import ExemptReason, LinkType
from members.models import Link, Member
from members.selectors import uncovered_households
from reports.dashboards import build_dashboard
from reports.periods import period_of
from reports.selectors import contact_figures, coverage
from tests.factories import HouseholdFactory, LinkFactory, PlaceFactory
from visits.enums import ContactKind, Period
from visits.models import Contact, LastContact
from visits.periods import aware_bounds, period_bounds
from visits.selectors import (
    compliance_summary,
    households_without_contact,
    link_id_range,
    members_without_contact,
)
from visits.services import contact_update
from visits.tallies import tallies_check, tallies_rebuild

DASHBOARD_QUERIES = 16


def paths_agree() -> bool:
    """Every LastContact row holds its household's current path."""
    rows = LastContact.objects.values_list("household_id", "path")
    households = dict(Household.objects.values_list("pk", "path"))
    return bool(rows) and all(path == households[pk] for pk, path in rows)


def recent(hours: int = 1) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def test_last_contact_path_follows_records_and_moves(town, record):
    member, head = town.user("member_a"), town.user("grid_head_a1")
    record(member, ContactKind.HOME_VISIT, recent(3), household=town.ha1)
    yard = record(head, ContactKind.YARD_MEETING, recent(2), households=[town.ha1, town.ha2, town.ha3])
    record(town.user("member_b"), ContactKind.ONLINE, recent(2), household=town.hb1)
    assert paths_agree() and tallies_check()["last_contacts"] == 0
    contact_update(user=head, contact=yard, occurred_at=recent(5))  # recounted (last_contact_recount)
    assert paths_agree() and tallies_check()["last_contacts"] == 0

    # The grid moves to another village: place_move rewrites the copy with every other path.
    village_c = PlaceFactory(kind=PlaceKind.VILLAGE, name="丙村", code="VC", parent=town.town)
    place_move(place=town.grid_a1, new_parent=village_c)
    assert paths_agree() and tallies_check()["last_contacts"] == 0
    assert LastContact.objects.filter(path__startswith=village_c.path).count() == 3

    # A household moves to village B's grid: household_paths_sync copies its new path.
    household = Household.objects.get(pk=town.ha1.pk)
    household.grid = Place.objects.get(pk=town.grid_b1a.pk)
    household.save()
    household_paths_sync(household_ids=[household.pk])
    assert paths_agree() and tallies_check()["last_contacts"] == 0
    assert LastContact.objects.get(household=household).path.startswith(town.village_b.path)

    # The pages follow: ha1 is now reached in village B, not in village C.
    staff = town.user("town_staff")
    on = timezone.localdate()
    for place, reached in (
        (town.village_b, {town.ha1.pk, town.hb1.pk}),
        (village_c, {town.ha2.pk, town.ha3.pk}),
    ):
        place = Place.objects.get(pk=place.pk)
        figures = contact_figures(user=staff, place=place, period=period_of("month", on))
        assert figures["households_reached"] == len(reached)
        without = set(households_without_contact(user=staff, place=place, on=on).values_list("pk", flat=True))
        under = set(Household.objects.filter(path__startswith=place.path).values_list("pk", flat=True))
        assert without == under - reached

    Contact.objects.filter(pk=yard.pk).delete()
    assert paths_agree() and tallies_check()["last_contacts"] == 0
    tallies_rebuild()
    assert paths_agree() and tallies_check()["last_contacts"] == 0


def test_tallies_check_sees_a_stale_last_contact_path(town, record):
    record(town.user("member_a"), ContactKind.HOME_VISIT, recent(), household=town.ha1)
    LastContact.objects.filter(household=town.ha1).update(path=town.village_b.path)
    assert tallies_check()["last_contacts"] == 2  # one row missing, one extra
    tallies_rebuild()
    assert tallies_check()["last_contacts"] == 0 and paths_agree()


def _exempt(member: Member) -> None:
    Member.objects.filter(pk=member.pk).update(is_exempt=True, exempt_reason=ExemptReason.WORKING_AWAY)


def test_city_shapes_give_the_plain_answers(town, record):
    """The place pages' shapes (path-bounded anti-joins, exempt members as a hashed set, members by an array)
    against the scope-only shapes they replace, with an exempt member holding a link."""
    extra = HouseholdFactory(grid=town.grid_b1a, head_name="王乙二")
    LinkFactory(
        member=town.members["member_b"],
        household=extra,
        link_type=LinkType.PARTY_HOUSEHOLD,
        start_date=datetime.date(2020, 1, 1),
    )
    _exempt(town.members["member_b"])
    record(town.user("member_a"), ContactKind.HOME_VISIT, recent(), household=town.ha1)
    staff = town.user("town_staff")
    on = timezone.localdate()
    start = aware_bounds(period_bounds(Period.QUARTER, on))[0]
    for place in (town.town, town.village_a, town.village_b):
        # Households without contact this quarter: the LastContact join of before.
        plain = Household.objects.filter(path__startswith=place.path).filter(
            Q(last_contact__isnull=True) | Q(last_contact__last_at__lt=start)
        )
        got = households_without_contact(user=staff, place=place, on=on)
        assert set(got.values_list("pk", flat=True)) == set(plain.values_list("pk", flat=True))
        # Members without contact: the semi-join of before.
        links = Link.objects.current(on).filter(path__startswith=place.path)
        plain_members = Member.objects.filter(pk__in=links.values("member_id"), is_exempt=False).exclude(
            contacts__occurred_at__gte=aware_bounds(period_bounds(Period.MONTH, on))[0]
        )
        got_members = members_without_contact(user=staff, place=place, on=on)
        assert set(got_members.values_list("pk", flat=True)) == set(
            plain_members.values_list("pk", flat=True)
        )
        # Uncovered households: members.selectors' rule (an exempt member's link covers nothing).
        cover = coverage(user=staff, place=place, on=on)
        assert (
            cover["uncovered"]
            == uncovered_households(user=staff, on=on).filter(path__startswith=place.path).count()
        )
    assert coverage(user=staff, place=town.village_b, on=on)["uncovered"] == 2  # hb1 and extra
    # Compliance: the exempt member's two links are left out of every figure.
    summary = compliance_summary(
        user=staff, place=town.town, on=on, breakdown="child", id_range=link_id_range(town.town.path)
    )
    judged = Link.objects.current(on).filter(path__startswith=town.town.path, member__is_exempt=False)
    assert (
        summary["totals"]["total"]
        == judged.filter(link_type__in=[t for t in LinkType.values if t != LinkType.MIGRANT]).count()
    )
    assert {h.pk for h in summary["households_needing_pairing_list"]} == {town.hb1.pk, extra.pk}


def _more_data(town, record, n: int) -> None:
    """n more households in village B, each linked and reached (more rows, the same number of queries)."""
    for i in range(n):
        household = HouseholdFactory(grid=town.grid_b1a, head_name=f"户{i}")
        LinkFactory(
            member=town.members["member_b"],
            household=household,
            link_type=LinkType.PARTY_HOUSEHOLD,
            start_date=datetime.date(2020, 1, 1),
        )
        record(town.user("member_b"), ContactKind.ONLINE, recent(), household=household)


def test_place_pages_queries_are_bounded(town, record, django_assert_max_num_queries):
    """The town's compliance summary and dashboards: a fixed number of queries as the data grows (the
    scope, the rules, the id range, one grouped query, one per list; the dashboards' own figures)."""
    staff = town.user("town_staff")
    on = timezone.localdate()
    record(town.user("member_a"), ContactKind.HOME_VISIT, recent(), household=town.ha1)
    for n in (0, 6):
        _more_data(town, record, n)
        with django_assert_max_num_queries(9):
            compliance_summary(
                user=staff, place=town.town, on=on, breakdown="child", id_range=link_id_range(town.town.path)
            )
        for kind in ("month", "year"):
            with django_assert_max_num_queries(DASHBOARD_QUERIES):
                build_dashboard(user=staff, place=town.town, period=period_of(kind, on))


# The town staff's pages, whole requests (session, user, scope, the page's figures, the menu's counts).
# Measured and pinned exactly: a change that adds a query shows here. The dashboards show the "no contact"
# figures as counts (no names fetched); the compliance page lists the first 50 names. The user's scope is
# computed once per process and kept under the member's scope_version (members.access): the pages are
# counted after a first request, so the scope's two queries (posts, links) are not in these numbers.
# The session is read from the cache and the user with their member (members.sessions, members.auth).
TOWN_PAGE_QUERIES = {"month": 18, "year": 18, "compliance": 9}


def test_town_pages_exact_query_counts(town, record, login, django_assert_num_queries):
    staff = town.user("town_staff")
    client = login(staff)
    on = timezone.localdate()
    record(town.user("member_a"), ContactKind.HOME_VISIT, recent(), household=town.ha1)
    dashboard = f"/reports/places/{town.town.pk}/"
    assert client.get(dashboard).status_code == 200  # the scope, computed once
    for n in (0, 6):
        _more_data(town, record, n)
        pages = {}
        for kind in ("month", "year"):
            with django_assert_num_queries(TOWN_PAGE_QUERIES[kind]):
                pages[kind] = client.get(dashboard, {"period": kind, "on": on.isoformat()})
            assert pages[kind].status_code == 200
        with django_assert_num_queries(TOWN_PAGE_QUERIES["compliance"]):
            page = client.get(f"/visits/compliance/{town.town.pk}/")
        assert page.status_code == 200
        # The dashboards' counts are the compliance page's (counted without fetching, listed there).
        listed = page.context["summary"]
        for kind in ("month", "year"):
            counted = pages[kind].context["compliance"]
            for name in (
                "households_without_contact",
                "members_without_contact",
                "households_needing_pairing",
            ):
                assert counted[name] == listed[name], (kind, name)
            assert counted["totals"] == listed["totals"]


def test_kept_statement_reads_the_data_anew(town, record):
    """The compiled compliance statement is kept per process (visits.selectors.summaries._STATEMENTS), never
    its result: a contact recorded or a rule changed after it was kept shows on the next request, with the
    figures a freshly built statement gives."""
    from visits.models import QuotaRule
    from visits.selectors import summaries

    staff = town.user("town_staff")
    on = timezone.localdate()

    def summary():
        return compliance_summary(
            user=staff, place=town.town, on=on, breakdown="child", id_range=link_id_range(town.town.path)
        )

    def fresh():
        summaries._STATEMENTS.clear()
        return summary()

    summaries._STATEMENTS.clear()
    before = summary()
    assert len(summaries._STATEMENTS) == 1
    record(town.user("member_a"), ContactKind.HOME_VISIT, recent(), household=town.ha1)
    after = summary()
    assert len(summaries._STATEMENTS) == 1  # the same statement, run again
    assert after["totals"]["done"] > before["totals"]["done"]
    assert after["totals"] == fresh()["totals"] and after["rows"] == fresh()["rows"]
    rule = QuotaRule.objects.filter(active=True, link_type=LinkType.PARTY_HOUSEHOLD).order_by("pk").first()
    rule.min_count += 5
    rule.save()
    changed = summary()  # another statement: the rules are part of its key
    assert changed["totals"] == fresh()["totals"] and changed["by_type"] == fresh()["by_type"]
    assert changed["totals"] != after["totals"]
