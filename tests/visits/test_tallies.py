"""LinkTally and ContactMonthTally stay equal to a recount from the contacts, whatever the write path."""

import datetime
import io
import uuid
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import connection

from grids.enums import PlaceKind
from grids.models import Household, Place
from grids.services import household_paths_sync, place_move
from members.enums import LinkType
from members.models import Link
from tests.factories import LinkFactory, PlaceFactory
from visits.enums import DUTY_FIELDS, ContactKind
from visits.models import Contact, ContactHousehold, ContactMonthTally, LastContact, LinkTally
from visits.periods import local_date
from visits.services import contact_update
from visits.tallies import tallies_check, tallies_rebuild

from .conftest import at


def snapshot():
    return sorted(
        LinkTally.objects.values_list(
            "link_id", "period", "start", "home_visit", "online", "grid_sinkdown", "onsite", "yard_meeting"
        )
    )


def nonzero(rows):
    return [r for r in rows if any(r[3:])]


def test_service_writes_count_by_link_period_and_kind(town, record):
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 3, 31, 23, 59), household=town.ha1)
    rows = {(r.period, r.start): (r.home_visit, r.online) for r in LinkTally.objects.filter(link=link)}
    assert rows == {
        ("week", datetime.date(2025, 3, 31)): (1, 0),
        ("month", datetime.date(2025, 3, 1)): (1, 0),
        ("quarter", datetime.date(2025, 1, 1)): (1, 0),
        ("year", datetime.date(2025, 1, 1)): (1, 0),
    }


def test_incremental_tallies_equal_a_rebuild(town, record):
    head = town.user("grid_head_a1")
    LinkFactory(member=town.members["grid_head_a1"], household=town.ha2, link_type=LinkType.TOWN_HOUSEHOLD)
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    c = record(town.user("member_a"), ContactKind.ONLINE, at(2025, 6, 30, 23, 30), household=town.ha1)
    record(head, ContactKind.YARD_MEETING, at(2025, 5, 11, 20), households=[town.ha1, town.ha2, town.ha3])
    g = record(head, ContactKind.GRID_SINKDOWN, at(2025, 5, 12), place=town.grid_a1)
    record(head, ContactKind.HOME_VISIT, at(2025, 5, 13), household=town.ha3)  # scope-based: counts nowhere
    contact_update(
        user=town.user("member_a"), contact=c, kind=ContactKind.HOME_VISIT, occurred_at=at(2025, 7, 1, 8)
    )
    contact_update(user=head, contact=g, occurred_at=at(2025, 5, 19))
    incremental = nonzero(snapshot())
    tallies_rebuild()
    assert nonzero(snapshot()) == incremental
    # The yard meeting counted for the grid head's own household only.
    assert ContactHousehold.objects.filter(contact__kind="yard_meeting", link__isnull=False).count() == 1


def _tally_indexes():
    """The tally tables' indexes and constraints (unique keys, foreign keys), as PostgreSQL defines them."""
    tables = ["visits_linktally", "visits_contactmonthtally", "visits_lastcontact"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2", [tables]
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        return indexes, cursor.fetchall()


def test_rebuild_without_indexes_puts_every_index_back(town, record):
    """PostgreSQL: the rebuild drops the tally tables' indexes while it refills them (IndexesBuiltAfter) and
    builds them again; the upserts of the next contact need the unique ones."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    before = _tally_indexes()
    assert len(before[0]) >= 7  # three primary keys, the unique keys, the covering and path indexes
    assert sum("FOREIGN KEY" in definition for _table, _name, definition in before[1]) >= 2
    # A contact first: its deferred foreign-key checks are pending when the rebuild truncates the tables.
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    tallies_rebuild()
    assert _tally_indexes() == before
    record(town.user("member_a"), ContactKind.ONLINE, at(2025, 5, 11), household=town.ha1)  # an upsert
    assert all(n == 0 for n in tallies_check().values())
    month = LinkTally.objects.get(
        link__member=town.members["member_a"], link__household=town.ha1, period="month"
    )
    assert (month.home_visit, month.online) == (1, 1)


def test_direct_creates_and_deletes_are_counted_by_signals(town):
    member = town.members["member_a"]
    contact = Contact.objects.create(
        member=member,
        kind="home_visit",
        occurred_at=at(2025, 5, 10),
        household=town.ha1,
        path=town.ha1.path,
        client_id=uuid.uuid4(),
        duty_policy=True,
    )
    row = ContactHousehold.objects.create(
        contact=contact, household=town.ha1, member=member, kind="home_visit", occurred_at=at(2025, 5, 10)
    )
    assert row.link == Link.objects.get(member=member, household=town.ha1)
    assert LinkTally.objects.get(link=row.link, period="quarter").home_visit == 1
    head = town.members["grid_head_a1"]
    place_contact = Contact.objects.create(
        member=head,
        kind="grid_sinkdown",
        occurred_at=at(2025, 5, 12),
        place=town.grid_a1,
        path=town.grid_a1.path,
        client_id=uuid.uuid4(),
        duty_policy=True,
    )
    assert place_contact.link == Link.objects.get(member=head, place=town.grid_a1)
    assert LinkTally.objects.get(link=place_contact.link, period="week").grid_sinkdown == 1
    assert month_snapshot() == month_recount() != []
    contact.delete()
    place_contact.delete()
    assert nonzero(snapshot()) == []
    assert month_snapshot() == []


# --- month tallies (the dashboards' counts per path, month and kind) --------------------------------------


def month_snapshot():
    return sorted(
        row
        for row in ContactMonthTally.objects.values_list("path", "month", "kind", *MONTH_FIELDS)
        if any(row[3:])
    )


def month_recount():
    """What the month tallies must hold: counted straight from the contacts, in Python."""
    counts: dict = defaultdict(lambda: [0] * len(MONTH_FIELDS))
    for c in Contact.objects.all():
        row = counts[(c.path, local_date(c.occurred_at).replace(day=1), c.kind)]
        row[0] += 1
        for i, field in enumerate(DUTY_FIELDS.values(), start=1):
            row[i] += getattr(c, field)
    return sorted((*key, *values) for key, values in counts.items())


MONTH_FIELDS = ("contacts", *DUTY_FIELDS.values())


def test_month_tallies_follow_records_corrections_and_deletes(town, record):
    member = town.user("member_a")
    head = town.user("grid_head_a1")
    # 23:59 on 31 May in Shanghai is May (15:59 UTC); a minute later is June.
    a = record(
        member,
        ContactKind.HOME_VISIT,
        at(2025, 5, 31, 23, 59),
        duties=("policy", "demands"),
        household=town.ha1,
    )
    record(member, ContactKind.ONLINE, at(2025, 6, 1, 0, 0), duties=("opinion",), household=town.ha1)
    record(head, ContactKind.YARD_MEETING, at(2025, 5, 11, 20), households=[town.ha1, town.ha2, town.ha3])
    g = record(head, ContactKind.GRID_SINKDOWN, at(2025, 5, 12), duties=("supervision",), place=town.grid_a1)
    assert month_snapshot() == month_recount()
    may = ContactMonthTally.objects.get(
        path=town.ha1.path, month=datetime.date(2025, 5, 1), kind="home_visit"
    )
    assert (may.contacts, may.duty_policy, may.duty_demands, may.duty_opinion) == (1, 1, 1, 0)
    # Corrections move the count: new kind, new month, new duties.
    contact_update(
        user=member, contact=a, kind=ContactKind.ONLINE, occurred_at=at(2025, 6, 2), duties=["disputes"]
    )
    contact_update(user=head, contact=g, duties=["policy", "supervision"])
    contact_update(user=member, contact=a, summary="只改文字")  # counts nothing new
    assert month_snapshot() == month_recount()
    assert not ContactMonthTally.objects.filter(
        path=town.ha1.path, month=datetime.date(2025, 5, 1), kind="home_visit", contacts__gt=0
    ).exists()
    june = ContactMonthTally.objects.get(path=town.ha1.path, month=datetime.date(2025, 6, 1), kind="online")
    assert (june.contacts, june.duty_opinion, june.duty_disputes, june.duty_policy) == (2, 1, 1, 0)
    Contact.objects.filter(pk=g.pk).delete()  # a queryset delete still sends post_delete per row
    assert month_snapshot() == month_recount()


def test_month_tallies_follow_place_and_household_moves(town, record):
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 12), household=town.ha1)
    record(town.user("grid_head_a1"), ContactKind.GRID_SINKDOWN, at(2025, 5, 12), place=town.grid_a1)
    record(town.user("member_b"), ContactKind.ONLINE, at(2025, 5, 13), household=town.hb1)
    village_c = PlaceFactory(kind=PlaceKind.VILLAGE, name="丙村", code="VC", parent=town.town)
    place_move(place=town.grid_a1, new_parent=village_c)
    assert month_snapshot() == month_recount()
    assert ContactMonthTally.objects.filter(path__startswith=village_c.path).count() == 2
    # ha1 moves to village B's grid: its two contacts leave A1a's row and join B1a's.
    household = Household.objects.get(pk=town.ha1.pk)
    household.grid = Place.objects.get(pk=town.grid_b1a.pk)
    household.save()
    household_paths_sync(household_ids=[household.pk])
    assert month_snapshot() == month_recount()
    b1a = ContactMonthTally.objects.get(
        path=household.path, month=datetime.date(2025, 5, 1), kind="home_visit"
    )
    assert b1a.contacts == 2
    tallies_rebuild()
    assert month_snapshot() == month_recount()


def test_tallies_check_finds_drift_and_repair_recounts(town, record):
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    record(town.user("grid_head_a1"), ContactKind.GRID_SINKDOWN, at(2025, 5, 12), place=town.grid_a1)
    out = io.StringIO()
    call_command("tallies_check", stdout=out)
    assert "link_tallies: 0" in out.getvalue() and "month_tallies: 0" in out.getvalue()
    # Written around the signals: a counter bumped by hand, a month row lost.
    LinkTally.objects.filter(period="week", grid_sinkdown=1).update(grid_sinkdown=2)
    ContactMonthTally.objects.filter(kind="home_visit").delete()
    with pytest.raises(SystemExit):
        call_command("tallies_check", stdout=io.StringIO(), stderr=io.StringIO())
    assert tallies_check() == {"link_tallies": 2, "month_tallies": 1, "last_contacts": 0}
    out = io.StringIO()
    call_command("tallies_check", "--repair", stdout=out)
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}
    assert "recounted" in out.getvalue()


# --- last contact per household (households reached / not reached in a running period) -----------------


def last_snapshot():
    return sorted(LastContact.objects.values_list("household_id", "last_at"))


def last_recount():
    latest: dict = {}
    for household_id, occurred_at in ContactHousehold.objects.values_list("household_id", "occurred_at"):
        latest[household_id] = max(latest.get(household_id, occurred_at), occurred_at)
    return sorted(latest.items())


def test_last_contact_follows_records_corrections_and_deletes(town, record):
    member, head = town.user("member_a"), town.user("grid_head_a1")
    a = record(member, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    # Recorded later but happened earlier (a backdated entry): the last contact stays 10 May.
    record(member, ContactKind.ONLINE, at(2025, 5, 2), household=town.ha1)
    yard = record(
        head, ContactKind.YARD_MEETING, at(2025, 5, 11, 20), households=[town.ha1, town.ha2, town.ha3]
    )
    assert last_snapshot() == last_recount()
    assert LastContact.objects.get(household=town.ha1).last_at == at(2025, 5, 11, 20)
    contact_update(user=head, contact=yard, occurred_at=at(2025, 5, 9, 20))  # moved earlier
    assert last_snapshot() == last_recount()
    assert LastContact.objects.get(household=town.ha1).last_at == at(2025, 5, 10)
    assert LastContact.objects.get(household=town.ha2).last_at == at(2025, 5, 9, 20)
    Contact.objects.filter(pk=yard.pk).delete()
    assert last_snapshot() == last_recount()
    assert not LastContact.objects.filter(household__in=[town.ha2, town.ha3]).exists()
    a.delete()
    assert LastContact.objects.get(household=town.ha1).last_at == at(2025, 5, 2)
    tallies_rebuild()
    assert last_snapshot() == last_recount()
    assert tallies_check()["last_contacts"] == 0


def test_running_periods_read_last_contact_and_agree_with_the_contacts(town, record):
    """This quarter, month and year are still running: reached / not reached come from LastContact and
    must equal what the contacts say (the ended-period queries are the reference)."""
    from django.utils import timezone

    from reports.periods import period_of
    from reports.selectors import contact_figures
    from visits.enums import Period
    from visits.periods import aware_bounds, period_bounds
    from visits.selectors import households_without_contact

    now = timezone.now()
    today = timezone.localdate()
    quarter_start, _end = aware_bounds(period_bounds(Period.QUARTER, today))
    record(
        town.user("member_a"),
        ContactKind.HOME_VISIT,
        now - datetime.timedelta(minutes=30),
        household=town.ha1,
    )
    record(
        town.user("member_b"),
        ContactKind.HOME_VISIT,
        quarter_start - datetime.timedelta(hours=1),
        household=town.hb1,
    )
    staff = town.user("town_staff")

    def reached_in(start, end):
        return set(
            ContactHousehold.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values_list(
                "household_id", flat=True
            )
        )

    without = set(
        households_without_contact(user=staff, place=town.town, on=today).values_list("pk", flat=True)
    )
    everyone = {town.ha1.pk, town.ha2.pk, town.ha3.pk, town.hb1.pk}
    assert without == everyone - reached_in(quarter_start, now + datetime.timedelta(days=1))
    assert town.hb1.pk in without and town.ha1.pk not in without
    for kind in ("month", "quarter", "year"):
        period = period_of(kind, today)
        start, end = period.bounds
        figures = contact_figures(user=staff, place=town.town, period=period)
        assert figures["households_reached"] == len(reached_in(start, end)), kind
