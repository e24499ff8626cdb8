"""LinkTally stays equal to a recount from the contacts, whatever the write path."""

import datetime
import uuid

from members.enums import LinkType
from members.models import Link
from tests.factories import LinkFactory
from visits.enums import ContactKind
from visits.models import Contact, ContactHousehold, LinkTally
from visits.services import contact_update
from visits.tallies import tallies_rebuild

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
    contact.delete()
    place_contact.delete()
    assert nonzero(snapshot()) == []
