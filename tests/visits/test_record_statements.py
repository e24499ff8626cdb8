"""Recording a contact takes a small, fixed number of SQL statements, and the counters stay exact."""

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.enums import LinkType
from tests.factories import LinkFactory
from visits.enums import ContactKind
from visits.models import ContactMonthTally, LastContact, LinkTally
from visits.tallies import tallies_check

from .conftest import at

# The API request was 28 statements before the tallies were batched (2 statements per LinkTally period,
# 2 per month tally, 2 for LastContact); each counter is now one upsert: 19 (10 of them in the service).
HOME_VISIT_MAX = 10
API_HOME_VISIT_MAX = 19


def test_home_visit_statement_count(town, record, django_assert_max_num_queries):
    user = town.user("member_a")
    record(user, ContactKind.ONLINE, at(2025, 5, 9), household=town.ha1)  # warm caches (scope, rules)
    with django_assert_max_num_queries(HOME_VISIT_MAX):
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


def test_api_home_visit_statement_count(town, login, django_assert_max_num_queries):
    """POST /api/contacts/ for a home visit, the whole request (session, user, scope, checks, writes)."""
    client = login(town.user("member_a"))
    body = {"kind": "home_visit", "duties": ["policy"], "summary": "API", "household": town.ha1.pk}
    first = {**body, "client_id": str(uuid.uuid4()), "occurred_at": "2025-05-09T10:00:00+08:00"}
    assert client.post("/api/contacts/", first, content_type="application/json").status_code == 201
    second = {**body, "client_id": str(uuid.uuid4()), "occurred_at": "2025-05-10T10:00:00+08:00"}
    with django_assert_max_num_queries(API_HOME_VISIT_MAX):
        response = client.post("/api/contacts/", second, content_type="application/json")
    assert response.status_code == 201, response.content
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}
