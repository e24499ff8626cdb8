"""The quota rules at their edges (issue 19): late entries, corrected dates, "as of" a date, exempt members,
inactive links, the compliance page's 正常率. Each rule is checked on the service/selector, so the pages, the
API and the admin, which all call them, agree."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.enums import LinkType
from members.models import Link
from tests.factories import LinkFactory
from visits.enums import ContactKind, Period
from visits.models import ContactHousehold, LinkTally
from visits.periods import TZ, period_bounds
from visits.services import contact_update
from visits.tallies import tallies_check

ZERO = {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}


def today() -> datetime.date:
    return timezone.localdate()


def day_at(day: datetime.date, hh: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hh), tzinfo=TZ)


def counted(link: Link, day: datetime.date, kind: str, period: str = Period.QUARTER) -> int:
    row = LinkTally.objects.filter(link=link, period=period, start=period_bounds(period, day)[0]).first()
    return getattr(row, kind) if row else 0


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- 1. a late entry inside a link's life ---------------------------------------------------------------


def test_late_entry_dated_inside_an_ended_link_is_accepted_and_counts_for_it(town, record, login):
    """Link ended 16 days ago, visit dated 19 days ago, entered today: accepted, counted for that link."""
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    Link.objects.filter(pk=link.pk).update(end_date=today() - datetime.timedelta(days=16))
    visit_day = today() - datetime.timedelta(days=19)
    contact = record(town.user("member_a"), ContactKind.HOME_VISIT, day_at(visit_day), household=town.ha1)
    assert contact.link == link
    assert counted(link, visit_day, "home_visit") == 1
    # The API takes it too (it used to answer 400 "target out of scope": today's links only).
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "online",
        "occurred_at": day_at(visit_day, 11).isoformat(),
        "duties": ["policy"],
        "household": town.ha1.pk,
    }
    answer = login(town.user("member_a")).post("/api/contacts/", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["link"] == link.pk
    assert counted(link, visit_day, "online") == 1
    # The record page opens for it as well.
    assert login(town.user("member_a")).get(f"/visits/households/{town.ha1.pk}/record/").status_code == 200
    assert tallies_check() == ZERO


def test_late_entry_dated_after_the_link_ended_is_refused(town, record):
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    Link.objects.filter(pk=link.pk).update(end_date=today() - datetime.timedelta(days=16))
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_a"),
            ContactKind.HOME_VISIT,
            day_at(today() - datetime.timedelta(days=3)),
            household=town.ha1,
        )
    assert "该日期不在联系有效期内" in messages_of(exc)
    # Another member never could record for it, inside the link's life or not.
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_b"),
            ContactKind.HOME_VISIT,
            day_at(today() - datetime.timedelta(days=20)),
            household=town.ha1,
        )
    assert "只能为自己联系的对象记录走访" in messages_of(exc)


# --- 2. corrections pass the same checks as new contacts --------------------------------------------------


def _new_links(town, start: datetime.date):
    """member_a linked to ha1 and ha2 from `start`."""
    Link.objects.filter(member=town.members["member_a"], household=town.ha1).update(start_date=start)
    LinkFactory(
        member=town.members["member_a"],
        household=town.ha2,
        link_type=LinkType.PARTY_HOUSEHOLD,
        start_date=start,
    )
    return list(Link.objects.filter(member=town.members["member_a"]).order_by("household_id"))


def test_yard_meeting_moved_before_its_households_links_began_is_refused(town, record):
    start = today() - datetime.timedelta(days=5)
    links = _new_links(town, start)
    user = town.user("member_a")
    contact = record(
        user,
        ContactKind.YARD_MEETING,
        day_at(today() - datetime.timedelta(days=1)),
        households=[town.ha1, town.ha2],
    )
    assert all(
        counted(link, today() - datetime.timedelta(days=1), "yard_meeting", Period.YEAR) == 1
        for link in links
    )
    before = start - datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as exc:
        contact_update(user=user, contact=contact, occurred_at=day_at(before))
    assert "走访日期不能早于联系开始日期" in messages_of(exc)
    # A new yard meeting on that date is refused the same way, and so is the same correction on a home visit.
    with pytest.raises(ValidationError) as exc:
        record(user, ContactKind.YARD_MEETING, day_at(before), households=[town.ha1, town.ha2])
    assert "走访日期不能早于联系开始日期" in messages_of(exc)
    visit = record(
        user, ContactKind.HOME_VISIT, day_at(today() - datetime.timedelta(days=1)), household=town.ha1
    )
    with pytest.raises(ValidationError):
        contact_update(user=user, contact=visit, occurred_at=day_at(before))
    contact.refresh_from_db()
    assert contact.occurred_at == day_at(today() - datetime.timedelta(days=1))
    assert tallies_check() == ZERO


def test_corrected_yard_meeting_counts_for_the_links_of_its_new_date(town, record):
    """A grid head's yard meeting in their grid: ha2 is linked to them from 5 days ago, ha3 to no one. Moved to
    before that link began, it is still a valid contact (both households are in the grid head's grid) but no
    longer counts for the link; the counters follow."""
    head = town.members["grid_head_a1"]
    start = today() - datetime.timedelta(days=5)
    link = LinkFactory(member=head, household=town.ha2, link_type=LinkType.TOWN_HOUSEHOLD, start_date=start)
    user = town.user("grid_head_a1")
    day = today() - datetime.timedelta(days=1)
    contact = record(user, ContactKind.YARD_MEETING, day_at(day), households=[town.ha2, town.ha3])
    assert counted(link, day, "yard_meeting", Period.YEAR) == 1
    earlier = start - datetime.timedelta(days=3)
    contact_update(user=user, contact=contact, occurred_at=day_at(earlier))
    assert ContactHousehold.objects.get(contact=contact, household=town.ha2).link_id is None
    assert (
        counted(link, day, "yard_meeting", Period.YEAR) + counted(link, earlier, "yard_meeting", Period.YEAR)
        == 0
    )
    assert tallies_check() == ZERO
    # And back inside the link: it counts again.
    contact_update(user=user, contact=contact, occurred_at=day_at(day))
    assert ContactHousehold.objects.get(contact=contact, household=town.ha2).link_id == link.pk
    assert counted(link, day, "yard_meeting", Period.YEAR) == 1
    assert tallies_check() == ZERO


def test_corrected_home_visit_moves_to_the_link_of_its_new_date(town, record, settings):
    """member_a's link to ha1 was ended and started again (a new link): moving a visit from the new link's
    life into the old one's moves its count to the old link."""
    old = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    Link.objects.filter(pk=old.pk).update(end_date=today() - datetime.timedelta(days=10))
    new = LinkFactory(
        member=town.members["member_a"],
        household=town.ha1,
        link_type=LinkType.PARTY_HOUSEHOLD,
        start_date=today() - datetime.timedelta(days=9),
    )
    user = town.user("member_a")
    recent, earlier = today() - datetime.timedelta(days=2), today() - datetime.timedelta(days=12)
    visit = record(user, ContactKind.HOME_VISIT, day_at(recent), household=town.ha1)
    assert visit.link == new and counted(new, recent, "home_visit", Period.YEAR) == 1
    contact_update(user=user, contact=visit, occurred_at=day_at(earlier))
    visit.refresh_from_db()
    assert visit.link_id == old.pk
    assert ContactHousehold.objects.get(contact=visit).link_id == old.pk
    assert counted(old, earlier, "home_visit", Period.YEAR) == 1
    assert counted(new, recent, "home_visit", Period.YEAR) == 0
    assert tallies_check() == ZERO


# --- 3. "as of" a date ----------------------------------------------------------------------------------


D = datetime.date


def _cadre_link(town) -> Link:
    return Link.objects.get(member=town.members["grid_head_a1"], place=town.grid_a1)


def _sinkdown(town, record, when: datetime.datetime):
    return record(town.user("grid_head_a1"), ContactKind.GRID_SINKDOWN, when, place=town.grid_a1)


def _week_rule(entry):
    [rule] = [r for r in entry.rules if r.rule.period == Period.WEEK]
    return rule


def test_on_a_past_day_counts_only_contacts_up_to_that_day(town, record, login):
    """Week of 2026-09-28 – 10-04; sink-downs on 09-22 (the week before) and 10-02. As of 09-30 the cadre has
    not been down this week yet: due (not done); as of 10-02: done. API, compliance page, dashboard and the
    compliance ledger all say the same."""
    from reports.dashboards import build_dashboard
    from reports.exports import compliance_sheet
    from reports.periods import period_of
    from visits.selectors import compliance_summary, link_compliance

    link = _cadre_link(town)
    _sinkdown(town, record, datetime.datetime(2026, 9, 22, 9, tzinfo=TZ))
    _sinkdown(town, record, datetime.datetime(2026, 10, 2, 9, tzinfo=TZ))
    links = Link.objects.filter(pk=link.pk)

    [entry] = link_compliance(links=links, on=D(2026, 9, 30))
    assert (_week_rule(entry).done, _week_rule(entry).status, entry.status) == (0, "due", "due")
    [entry] = link_compliance(links=links, on=D(2026, 10, 2))
    assert (_week_rule(entry).done, entry.status) == (1, "done")
    # A contact made at 23:59 on the day counts as of that day; one at 00:00 the next day does not.
    _sinkdown(town, record, datetime.datetime(2026, 9, 30, 23, 59, tzinfo=TZ))
    [entry] = link_compliance(links=links, on=D(2026, 9, 29))
    assert _week_rule(entry).done == 0
    [entry] = link_compliance(links=links, on=D(2026, 9, 30))
    assert (_week_rule(entry).done, entry.status) == (1, "done")
    # Back to the case: without the 23:59 contact.
    from visits.models import Contact

    Contact.objects.filter(occurred_at=datetime.datetime(2026, 9, 30, 23, 59, tzinfo=TZ)).delete()

    staff = town.user("town_staff")
    api = login(staff).get(f"/api/compliance/links/{link.pk}/", {"on": "2026-09-30"}).json()
    assert api["status"] == "due"
    summary = compliance_summary(user=staff, place=town.town, on=D(2026, 9, 30))
    [cadres] = [t for t in summary["by_type"] if t["link_type"] == LinkType.TOWN_GRID]
    assert (cadres["done"], cadres["due"], cadres["overdue"]) == (0, 1, 0)
    page = login(staff).get(f"/visits/compliance/{town.town.pk}/", {"on": "2026-09-30"})
    assert page.status_code == 200 and page.context["summary"]["on"] == D(2026, 9, 30)
    assert page.context["summary"]["totals"] == summary["totals"]
    september = period_of("month", D(2026, 9, 15))  # judged as of its last day, 09-30
    board = build_dashboard(user=staff, place=town.town, period=september)
    [cadres_board] = [t for t in board["compliance"]["by_type"] if t["link_type"] == LinkType.TOWN_GRID]
    assert (cadres_board["done"], cadres_board["due"]) == (0, 1)
    sheet = compliance_sheet(user=staff, place=town.town, period=september)
    [row] = [r for r in sheet.rows if r[3] == town.grid_a1.name]
    assert row[4] == "待完成" and "0/1" in row[6]


def test_households_and_members_without_contact_are_as_of_the_day(town, record):
    from visits.selectors import households_without_contact, members_without_contact

    staff = town.user("town_staff")
    record(
        town.user("member_a"),
        ContactKind.HOME_VISIT,
        datetime.datetime(2026, 8, 20, 10, tzinfo=TZ),
        household=town.ha1,
    )
    silent = households_without_contact(user=staff, place=town.town, on=D(2026, 8, 15))
    assert town.ha1 in set(silent)
    assert town.ha1 not in set(households_without_contact(user=staff, place=town.town, on=D(2026, 8, 20)))
    behind = members_without_contact(user=staff, place=town.town, on=D(2026, 8, 15))
    assert town.members["member_a"] in set(behind)
    assert town.members["member_a"] not in set(
        members_without_contact(user=staff, place=town.town, on=D(2026, 8, 31))
    )


def test_the_running_period_counts_everything_so_far(town, record, login):
    from visits.selectors import compliance_summary, link_compliance

    link = _cadre_link(town)
    _sinkdown(town, record, timezone.now() - datetime.timedelta(minutes=1))
    [entry] = link_compliance(links=Link.objects.filter(pk=link.pk))
    assert (_week_rule(entry).done, entry.status) == (1, "done")
    staff = town.user("town_staff")
    summary = compliance_summary(user=staff, place=town.town)
    [cadres] = [t for t in summary["by_type"] if t["link_type"] == LinkType.TOWN_GRID]
    assert cadres["done"] == 1
    api = login(staff).get(f"/api/compliance/links/{link.pk}/", {"on": today().isoformat()}).json()
    assert api["status"] == "done"
    page = login(staff).get(f"/visits/compliance/{town.town.pk}/")
    assert page.context["summary"]["totals"] == summary["totals"]
    assert login(staff).get(f"/visits/compliance/{town.town.pk}/", {"on": "nonsense"}).status_code == 200


# --- 4. exempt members ----------------------------------------------------------------------------------


def _exempt_b(town):
    from members.enums import ExemptReason
    from members.models import Member

    Member.objects.filter(pk=town.members["member_b"].pk).update(
        is_exempt=True, exempt_reason=ExemptReason.OLD_INFIRM
    )


def test_an_exempt_members_links_need_a_new_pairing_and_count_nowhere_else(town, login):
    """member_b (linked to hb1 since 2020, never visited it) becomes exempt: hb1 is no one's failure. It leaves
    the totals (by type, by village, the share on track), the member's own counts and workspace, the reviews and
    award figures, and shows as a household needing a new pairing (and as not covered on the dashboard)."""
    from dispatch.digests import overdue_links
    from dispatch.reviews import _compliance_rows
    from reports.dashboards import build_dashboard
    from reports.periods import period_of
    from visits.selectors import compliance_summary, link_compliance, member_status_counts

    staff = town.user("town_staff")
    before = compliance_summary(user=staff, place=town.town, breakdown="child")
    assert before["totals"]["overdue"] == 3  # ha1, hb1 and the grid head's grid: no contact ever
    _exempt_b(town)
    summary = compliance_summary(user=staff, place=town.town, breakdown="child")
    assert (summary["totals"]["total"], summary["totals"]["overdue"]) == (before["totals"]["total"] - 1, 2)
    assert [h.pk for h in summary["households_needing_pairing_list"]] == [town.hb1.pk]
    assert summary["households_needing_pairing"] == 1
    assert {row["name"] for row in summary["rows"]} == {town.village_a.name}  # village B has nothing to judge
    member_b = town.members["member_b"]
    member_b.refresh_from_db()
    assert member_status_counts(member=member_b) == {"overdue": 0, "due": 0, "done": 0}
    [entry] = link_compliance(links=Link.objects.filter(member=member_b))
    assert entry.status == "repair" and {r.status for r in entry.rules} == {"repair"}
    page = login(town.user("member_b")).get("/visits/")
    assert page.context["counts"]["overdue"] == 0
    assert b'id="exempt-note"' in page.content
    assert member_b.pk not in {row["member_id"] for row in overdue_links(today())}
    assert "member_b" not in {row[0] for row in _compliance_rows(town.town, today(), None, by_member=True)}
    board = build_dashboard(user=staff, place=town.town, period=period_of("month", today()))
    assert board["compliance"]["households_needing_pairing"] == 1
    assert board["coverage"]["by_area"][town.village_b.path]["uncovered"] == 1
    api = login(staff).get(f"/api/compliance/places/{town.town.pk}/").json()
    assert api["households_needing_pairing"] == 1 and api["totals"]["overdue"] == 2
    compliance_page = login(staff).get(f"/visits/compliance/{town.town.pk}/")
    assert b'id="repair-count">1<' in compliance_page.content


# --- 5. inactive links ----------------------------------------------------------------------------------


def test_a_link_not_active_on_the_day_says_so(town, login):
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    Link.objects.filter(pk=link.pk).update(start_date=D(2026, 3, 1), end_date=D(2026, 6, 30))
    client = login(town.user("member_a"))
    for day in ("2026-02-28", "2026-07-01"):
        body = client.get(f"/api/compliance/links/{link.pk}/", {"on": day}).json()
        assert body["status"] == "inactive", (day, body)
        assert {r["status"] for r in body["rules"]} == {"inactive"}
    body = client.get(f"/api/compliance/links/{link.pk}/", {"on": "2026-05-15"}).json()
    assert body["status"] in ("due", "overdue", "done") and body["status"] != "inactive"


# --- 6. 正常率: one meaning on every row ---------------------------------------------------------------------


def test_share_column_means_on_track_on_type_and_rule_rows(town, record, login):
    """ha1 had a home visit in Q3 and an online contact in November; as of 12-01 nothing is done yet this
    quarter or month, and nothing is overdue: 正常率 is 100 % on the type row and on both rule rows."""
    record(
        town.user("member_a"),
        ContactKind.HOME_VISIT,
        datetime.datetime(2026, 8, 15, 10, tzinfo=TZ),
        household=town.ha1,
    )
    record(
        town.user("member_a"),
        ContactKind.ONLINE,
        datetime.datetime(2026, 11, 15, 10, tzinfo=TZ),
        household=town.ha1,
    )
    from visits.selectors import compliance_summary

    staff = town.user("officer_a")
    summary = compliance_summary(user=staff, place=town.village_a, on=D(2026, 12, 1))
    [party] = [t for t in summary["by_type"] if t["link_type"] == LinkType.PARTY_HOUSEHOLD]
    assert (party["total"], party["done"], party["overdue"], party["share_on_track"]) == (1, 0, 0, 1.0)
    assert [(r["done"], r["overdue"], r["share_on_track"]) for r in party["rules"]] == [
        (0, 0, 1.0),
        (0, 0, 1.0),
    ]
    page = login(staff).get(f"/visits/compliance/{town.village_a.pk}/", {"on": "2026-12-01"}).content.decode()
    # The household type's rule rows (the grid's weekly sink-down rule, overdue, is on its own line).
    [rule_rows] = [
        line for line in page.splitlines() if 'class="muted rule-row"' in line and "入户走访" in line
    ]
    assert rule_rows.count("rule-row") == 2 and rule_rows.count(">100%<") == 2
    assert 'id="share-legend"' in page
