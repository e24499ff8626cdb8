"""Recording a contact takes a small, fixed number of SQL statements, and the counters stay exact."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.enums import LinkType
from tests.factories import LinkFactory
from visits.enums import ContactKind
from visits.models import (
    Contact,
    ContactHousehold,
    ContactMonthTally,
    ContactRevision,
    LastContact,
    LinkTally,
)
from visits.tallies import tallies_check

from .conftest import at

# The API request was 28 statements before the tallies were batched (2 statements per LinkTally period,
# 2 per month tally, 2 for LastContact); each counter became one upsert: 19 (10 of them in the service).
# Then (issue 17, load) the whole write became one statement and the answer is built from it: the service
# reads the link and writes once; the request adds the session, the user, the scope (member, posts, links)
# and the household. Then the scope was kept per process under the member's scope_version (one query, the
# member, instead of three) and the household is read with the member's links to it (one query instead of
# two): session, user, member, household with links, write. Then the session came from the cache
# (members.sessions.SessionStore) and the user with their member (members.auth.MemberBackend): user and member,
# household with links, write. Pinned exactly: a change either way must update these numbers and
# docs/benchmarks.md.
HOME_VISIT_MAX = 2
API_HOME_VISIT_MAX = 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_home_visit_statement_count(town, record, django_assert_num_queries):
    user = town.user("member_a")
    record(user, ContactKind.ONLINE, at(2025, 5, 9), household=town.ha1)  # warm caches (scope, rules)
    with django_assert_num_queries(HOME_VISIT_MAX):
        record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}


def test_tally_statements_are_one_upsert_each(town, record):
    user = town.user("member_a")
    with CaptureQueriesContext(connection) as ctx:
        record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    sqls = [q["sql"] for q in ctx.captured_queries]
    for model in (LinkTally, ContactMonthTally, LastContact):
        table = model._meta.db_table
        writes = [s for s in sqls if table in s and not s.lstrip().upper().startswith("SELECT")]
        assert len(writes) == 1, (table, writes)


def test_upserts_add_to_existing_rows_and_move_last_contact_forward_only(town, record):
    head = town.user("grid_head_a1")
    LinkFactory(member=town.members["grid_head_a1"], household=town.ha2, link_type=LinkType.TOWN_HOUSEHOLD)
    user = town.user("member_a")
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, duties=("policy", "demands"))
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 12), household=town.ha1, duties=("policy",))
    record(user, ContactKind.ONLINE, at(2025, 5, 1), household=town.ha1)  # backdated: LastContact stays
    record(head, ContactKind.YARD_MEETING, at(2025, 5, 11, 20), households=[town.ha1, town.ha2])
    assert LastContact.objects.get(household=town.ha1).last_at == at(2025, 5, 12)
    month = ContactMonthTally.objects.get(path=town.ha1.path, month="2025-05-01", kind=ContactKind.HOME_VISIT)
    assert (month.contacts, month.duty_policy, month.duty_demands) == (2, 2, 1)
    week = LinkTally.objects.get(
        link__household=town.ha1, link__member=town.members["member_a"], period="month"
    )
    assert (week.home_visit, week.online, week.yard_meeting) == (2, 1, 0)
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_api_home_visit_statement_count(town, login, django_assert_num_queries):
    """POST /api/contacts/ for a home visit, the whole request (session, user, scope, checks, writes)."""
    client = login(town.user("member_a"))
    body = {"kind": "home_visit", "duties": ["policy"], "summary": "API", "household": town.ha1.pk}
    first = {**body, "client_id": str(uuid.uuid4()), "occurred_at": "2025-05-09T10:00:00+08:00"}
    assert client.post("/api/contacts/", first, content_type="application/json").status_code == 201
    second = {**body, "client_id": str(uuid.uuid4()), "occurred_at": "2025-05-10T10:00:00+08:00"}
    with django_assert_num_queries(API_HOME_VISIT_MAX):
        response = client.post("/api/contacts/", second, content_type="application/json")
    assert response.status_code == 201, response.content
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}


def _tally_rows():
    return (
        sorted(LinkTally.objects.values_list("link_id", "period", "start", *ContactKind.values)),
        sorted(ContactMonthTally.objects.values_list("path", "month", "kind", "contacts", "duty_policy")),
        sorted(LastContact.objects.values_list("household_id", "last_at")),
    )


def _record_each_kind(town, record):
    head = town.user("grid_head_a1")
    LinkFactory(member=town.members["grid_head_a1"], household=town.ha2, link_type=LinkType.TOWN_HOUSEHOLD)
    user = town.user("member_a")
    record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, duties=("policy", "demands"))
    record(user, ContactKind.ONLINE, at(2025, 5, 1), household=town.ha1)
    record(head, ContactKind.YARD_MEETING, at(2025, 5, 11, 20), households=[town.ha1, town.ha2])
    record(head, ContactKind.GRID_SINKDOWN, at(2025, 5, 12), place=town.grid_a1)
    return {
        "contacts": sorted(
            Contact.objects.values_list(
                "kind", "household_id", "place_id", "link_id", "path", "duty_demands"
            ),
            key=repr,
        ),
        "reached": sorted(ContactHousehold.objects.values_list("household_id", "link_id", "kind"), key=repr),
        "revisions": sorted(
            ((r.action, r.changed_by_id, sorted(r.changes.items())) for r in ContactRevision.objects.all()),
            key=repr,
        ),
        "tallies": _tally_rows(),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_one_statement_write_equals_row_by_row_write(town, record, settings):
    """Every kind of contact (household, yard meeting, place) written in one statement stores the same rows and
    tallies as the ORM path the other databases use (where the signals count row by row)."""
    fast = _record_each_kind(town, record)
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}
    Contact.objects.all().delete()  # the signals uncount everything (zero rows stay)
    for model in (LinkTally, ContactMonthTally, LastContact):
        model.objects.all().delete()
    settings.LIANHU_CONTACT_WRITE_ROW_BY_ROW = True
    slow = _record_each_kind(town, record)
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}
    assert fast == slow
    # member_a's link to ha1, the grid head's to ha2 (yard meeting; ha1 through the grid) and to the grid
    assert len(fast["reached"]) == 4 and len({row[0] for row in fast["tallies"][0]}) == 3


@pytest.mark.parametrize("row_by_row", [False, True])
def test_same_client_id_twice_through_the_api_stores_one_contact(town, login, settings, row_by_row):
    settings.LIANHU_CONTACT_WRITE_ROW_BY_ROW = row_by_row
    client = login(town.user("member_a"))
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "home_visit",
        "duties": ["policy"],
        "occurred_at": "2025-05-10T10:00:00+08:00",
        "household": town.ha1.pk,
    }
    first = client.post("/api/contacts/", body, content_type="application/json")
    tallies = _tally_rows()
    again = client.post("/api/contacts/", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Contact.objects.count() == 1 and ContactHousehold.objects.count() == 1
    assert ContactRevision.objects.count() == 1
    assert _tally_rows() == tallies  # the retry counted nothing
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}


def test_api_answer_of_a_new_contact_equals_the_stored_contact(town, login):
    """The 201 answer is built from what was written, without reading it back: it must match a fresh read."""
    client = login(town.user("member_a"))
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "home_visit",
        "duties": ["policy", "demands"],
        "summary": "  门口聊了十分钟  ",
        "occurred_at": "2025-05-10T02:00:00Z",
        "household": town.ha1.pk,
        "latitude": "28.123456",
        "longitude": "112.654321",
        "accuracy": 12.6,
    }
    created = client.post("/api/contacts/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    stored = client.get(f"/api/contacts/{created.json()['id']}/")
    assert created.json() == stored.json()
    assert created.json()["occurred_at"] == "2025-05-10T10:00:00+08:00"
    assert created.json()["households"] == [town.ha1.pk] and created.json()["photos"] == []


def test_a_retry_the_checks_would_now_refuse_still_gets_the_stored_contact(town, record):
    """The client id is no longer read before the checks: a retry that fails them is answered with the
    stored contact all the same, and another user's id is still refused."""
    user = town.user("member_a")
    cid = uuid.uuid4()
    stored = record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, client_id=cid)
    retry = record(
        user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, client_id=cid, duties=()
    )
    assert retry.pk == stored.pk and retry.created is False
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        record(
            town.user("member_b"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, client_id=cid
        )
    assert "client_id" in refused.value.message_dict
