"""Dashboards: hand-counted figures (tests/reports/conftest.py), period choice, scoping, bounded queries."""

import datetime
import uuid

import pytest

from grids.enums import PlaceKind
from members.enums import LinkType
from reports.dashboards import build_dashboard
from reports.forms import PeriodForm
from reports.periods import custom_period, period_of
from tests.factories import HouseholdFactory, LinkFactory, MemberFactory, PlaceFactory, UserFactory
from visits.services import contact_record

from .conftest import SEPT, at

SEPTEMBER = period_of("month", datetime.date(2026, 9, 15))


def _build(town, persona, place, period=SEPTEMBER):
    return build_dashboard(user=town.user(persona), place=place, period=period)


def test_town_dashboard_figures_match_the_hand_count(town, data):
    d = _build(town, "town_staff", town.town)
    assert d["coverage"]["households"] == 4
    assert d["coverage"]["uncovered"] == 2  # ha2, ha3
    assert d["coverage"]["share"] == 0.5
    assert d["contacts"]["total"] == 4  # c1..c4; c5 is October, c6 is 31 August 23:59
    assert d["contacts"]["households_reached"] == 2  # ha1, hb1
    assert {k["key"]: k["count"] for k in d["contacts"]["by_kind"]} == {
        "home_visit": 2,
        "online": 1,
        "grid_sinkdown": 1,
        "onsite": 0,
        "yard_meeting": 0,
    }
    assert {x["key"]: x["count"] for x in d["contacts"]["by_duty"]} == {
        "policy": 2,
        "opinion": 1,
        "demands": 1,
        "disputes": 0,
        "supervision": 1,
    }
    assert [(m["label"], m["count"]) for m in d["contacts"]["by_month"]] == [("2026-09", 4)]
    rows = {r["place"].name: r for r in d["areas"]}
    # 甲村: member_a's link on track, the grid head's weekly sink-down overdue; 乙村: member_b visited hb1.
    on_track = {bar.label: bar.text for bar in d["charts"]["areas_on_track"].bars}
    assert on_track == {"甲村": "50%", "乙村": "100%"}
    assert (rows["甲村"]["households"], rows["甲村"]["uncovered"], rows["甲村"]["contacts"]) == (3, 2, 3)
    assert (rows["乙村"]["households"], rows["乙村"]["uncovered"], rows["乙村"]["contacts"]) == (1, 0, 1)
    issues = d["issues"]
    assert {s["key"]: s["count"] for s in issues["funnel"]} == {
        "raised": 3,
        "escalated": 1,
        "whistled": 0,
        "resolved": 1,
        "closed": 0,
    }
    levels = {lv["key"]: lv for lv in issues["levels"]}
    assert (levels["on_spot"]["current"], levels["on_spot"]["solved"]) == (2, 1)
    assert (levels["grid"]["current"], levels["grid"]["solved"]) == (1, 0)
    assert levels["on_spot"]["avg_days"] == 0.0
    assert issues["resolved_share"] == round(1 / 3, 4)
    assert issues["satisfaction_share"] is None  # nobody rated yet


def test_issue_figures_match_a_count_of_each_issue(town, data):
    """Every status × level × level solved at × satisfaction, some closed without a resolution time: each
    figure is what counting the issues one by one gives (the selector adds up one grouped row per mix)."""
    import itertools

    from issues.enums import ACTIVE_STATUSES, IssueLevel, IssueStatus, Satisfaction
    from issues.models import Issue
    from reports.selectors import issue_figures

    template = data["issues"]["i3"]
    mixes = itertools.product(IssueStatus, IssueLevel, [*IssueLevel, ""], [*Satisfaction, ""])
    for index, (status, level, solved_at, satisfaction) in enumerate(mixes):
        if index % 3:  # a third of the 700 mixes keeps the test quick; the step walks every value of each
            continue
        template.pk = None
        template.status, template.level, template.resolved_level = status, level, solved_at
        template.satisfaction = satisfaction
        template.raised_at = at(2026, 9, 1 + index % 28, index % 24)
        # Some closed ones without a resolution time (left out of the averages), the others 0–9 days later.
        template.resolved_at = (
            None
            if index % 7 == 0
            else template.raised_at + datetime.timedelta(days=index % 10, minutes=index * 13)
        )
        template.save()
    f = issue_figures(user=town.user("town_staff"), place=town.town, period=SEPTEMBER)
    issues = list(Issue.objects.filter(raised_at__gte=at(2026, 9, 1, 0), raised_at__lt=at(2026, 10, 1, 0)))
    closed = [i for i in issues if i.status in (IssueStatus.RESOLVED, IssueStatus.CLOSED)]
    assert f["raised"] == len(issues) > 200
    assert {s["key"]: s["count"] for s in f["funnel"]} == {
        "raised": len(issues),
        "escalated": sum(i.level != IssueLevel.ON_SPOT for i in issues),
        "whistled": sum(i.level == IssueLevel.DEPARTMENT for i in issues),
        "resolved": len(closed),
        "closed": sum(i.status == IssueStatus.CLOSED for i in issues),
    }
    assert f["active"] == sum(i.status in ACTIVE_STATUSES for i in issues)
    assert {s["key"]: s["count"] for s in f["by_status"]} == {
        s.value: sum(i.status == s for i in issues) for s in IssueStatus
    }
    assert {s["key"]: s["count"] for s in f["satisfaction"]} == {
        s.value: sum(i.satisfaction == s for i in issues) for s in Satisfaction
    }
    rated = [i for i in issues if i.satisfaction]
    positive = sum(i.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY) for i in rated)
    assert (f["rated"], f["satisfaction_share"]) == (len(rated), round(positive / len(rated), 4))
    for row in f["levels"]:
        solved = [i for i in closed if i.resolved_level == row["key"]]
        times = [i.resolved_at - i.raised_at for i in solved if i.resolved_at is not None]
        assert row["current"] == sum(i.level == row["key"] for i in issues)
        assert row["solved"] == len(solved)
        mean = sum(times, datetime.timedelta(0)) / len(times) if times else None
        assert row["avg_days"] == (round(mean.total_seconds() / 86400, 1) if times else None)


def test_households_reached_counts_each_household_once_in_its_period_and_place(town, data):
    from reports.selectors import contact_figures

    def reached(persona, place, period):
        return contact_figures(user=town.user(persona), place=place, period=period)["households_reached"]

    year = period_of("year", datetime.date(2026, 5, 1))
    assert reached("town_staff", town.town, year) == 2  # ha1 (c1, c2, c5, c6 once), hb1
    assert reached("town_staff", town.village_a, SEPTEMBER) == 1  # ha1; c3 is a place contact
    assert reached("officer_b", town.village_b, SEPTEMBER) == 1  # hb1
    assert reached("town_staff", town.town, period_of("month", datetime.date(2026, 10, 1))) == 1  # c5
    assert reached("town_staff", town.town, period_of("month", datetime.date(2026, 11, 1))) == 0
    # 31 August 23:59 Shanghai is August: c6 counts there, not in September's first day.
    assert (
        reached("town_staff", town.town, custom_period(datetime.date(2026, 9, 1), datetime.date(2026, 9, 4)))
        == 0
    )
    assert reached("town_staff", town.town, period_of("month", datetime.date(2026, 8, 1))) == 1
    # A persona that does not see the place's whole subtree takes the scoped branch: same rule, own rows.
    assert reached("officer_a", town.town, SEPTEMBER) == 1  # ha1 only


def test_year_trend_has_every_month_and_counts_by_local_time(town, data):
    d = _build(town, "town_staff", town.town, period_of("year", datetime.date(2026, 5, 1)))
    months = {m["label"]: m["count"] for m in d["contacts"]["by_month"]}
    assert len(months) == 12
    # c6 at 23:59 on 31 August (Shanghai) is August, not September, whatever UTC says.
    assert (months["2026-08"], months["2026-09"], months["2026-10"], months["2026-11"]) == (1, 4, 1, 0)
    assert d["contacts"]["total"] == 6


def test_custom_range_and_quarter(town, data):
    d = _build(
        town, "town_staff", town.town, custom_period(datetime.date(2026, 9, 1), datetime.date(2026, 9, 7))
    )
    assert d["contacts"]["total"] == 2  # c1 (5th), c4 (7th)
    q = _build(town, "town_staff", town.town, period_of("quarter", datetime.date(2026, 8, 1)))
    assert q["contacts"]["total"] == 5  # Q3: c1..c4 + c6


def test_custom_range_adds_whole_months_from_tallies_and_scans_the_ends(town, data):
    """31 Aug – 3 Oct: September from the month tallies, 31 August and 1–3 October from the contacts."""
    from reports.selectors import contact_figures

    period = custom_period(datetime.date(2026, 8, 31), datetime.date(2026, 10, 3))
    figures = contact_figures(user=town.user("town_staff"), place=town.town, period=period)
    assert figures["total"] == 6  # c6 (31 Aug 23:59), c1..c4 (September), c5 (3 Oct)
    assert [(m["label"], m["count"]) for m in figures["by_month"]] == [
        ("2026-08", 1),
        ("2026-09", 4),
        ("2026-10", 1),
    ]
    assert {k["key"]: k["count"] for k in figures["by_kind"]}["home_visit"] == 4
    assert {d["key"]: d["count"] for d in figures["by_duty"]}["policy"] == 4  # c1, c4, c5, c6
    assert figures["by_area"] == {town.village_a.path: 5, town.village_b.path: 1}
    # One day short of October's first three: c5 (3 Oct 10:00) drops out.
    shorter = custom_period(datetime.date(2026, 8, 31), datetime.date(2026, 10, 2))
    assert contact_figures(user=town.user("town_staff"), place=town.town, period=shorter)["total"] == 5


def test_whole_months_are_counted_without_scanning_contacts(town, data):
    """A month, quarter or year of a place the user sees whole reads visits' month tallies, not contacts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import contact_figures

    with CaptureQueriesContext(connection) as ctx:
        figures = contact_figures(user=town.user("town_staff"), place=town.town, period=SEPTEMBER)
    assert figures["total"] == 4
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "visits_contactmonthtally" in sql
    assert 'FROM "visits_contact"' not in sql
    # A viewer who sees only part of the town counts the contacts they may see: the same rule, fewer rows.
    assert contact_figures(user=town.user("officer_a"), place=town.town, period=SEPTEMBER)["total"] == 3


def test_village_dashboard_is_only_the_village(town, data):
    d = _build(town, "officer_a", town.village_a)
    assert d["coverage"]["households"] == 3
    assert d["contacts"]["total"] == 3
    assert d["issues"]["raised"] == 2
    assert [r["place"].name for r in d["areas"]] == ["甲村第一网格"]


def test_grid_dashboard_lists_members_and_fourth_level_grids(town, data):
    d = _build(town, "grid_head_a1", town.grid_a1)
    members = {r["name"]: (r["total"], r["overdue"]) for r in d["member_rows"]}
    assert members == {"member_a": (1, 0), "grid_head_a1": (1, 1)}
    rows = {r["place"].name: (r["households"], r["uncovered"], r["contacts"]) for r in d["areas"]}
    assert rows == {"甲村一组": (2, 1, 2), "甲村二组": (1, 1, 0)}


def test_page_shows_tables_next_to_charts(town, data, login):
    response = login(town.user("officer_a")).get(f"/reports/places/{town.village_a.pk}/", SEPT)
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        html.count("<svg") == 8
    )  # areas' on-track and coverage, trend, kinds, duties, compliance, funnel, levels
    for table in ('id="areas"', 'id="months"', 'id="kinds"', 'id="duties"', 'id="compliance"', 'id="funnel"'):
        assert table in html
    assert '<span class="tile-n" id="n-contacts">3</span>' in html
    # charts are drawn on the server; the only script is the site-wide offline queue (static/js/offline.js)
    assert html.count("<script") == 1 and '<script src="/static/js/offline.js" defer></script>' in html


def test_index_redirects_to_the_widest_place(town, login):
    assert login(town.user("town_staff")).get("/reports/").url == f"/reports/places/{town.town.pk}/"
    assert login(town.user("officer_b")).get("/reports/").url == f"/reports/places/{town.village_b.pk}/"
    assert login(town.user("grid_head_a1")).get("/reports/").url == f"/reports/places/{town.grid_a1.pk}/"


@pytest.mark.parametrize(
    "persona,place_attr,status",
    [
        ("town_staff", "town", 200),
        ("discipline", "town", 200),
        ("officer_a", "village_a", 200),
        ("officer_a", "grid_a1a", 200),
        ("officer_b", "village_a", 404),
        ("officer_a", "town", 404),
        ("grid_head_a1", "grid_a1", 200),
        ("grid_head_b1", "grid_a1", 404),
        ("grid_head_a1", "village_a", 404),
        ("member_a", "grid_a1a", 404),
        ("handler", "town", 404),
        ("town_staff", "city", 404),
    ],
)
def test_dashboard_access(town, login, persona, place_attr, status):
    place = getattr(town, place_attr)
    assert login(town.user(persona)).get(f"/reports/places/{place.pk}/").status_code == status


@pytest.mark.parametrize("persona", ["member_a", "handler", "other_handler"])
def test_people_without_a_place_get_no_reports(town, login, persona):
    assert login(town.user(persona)).get("/reports/").status_code == 403


def test_anonymous_is_sent_to_login(town, client):
    response = client.get(f"/reports/places/{town.town.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_member_drill_down(town, data, login):
    client = login(town.user("grid_head_a1"))
    response = client.get(f"/reports/members/{town.members['member_a'].pk}/", SEPT)
    assert response.status_code == 200
    assert response.context["total"] == 2  # c1, c2 in September
    assert len(response.context["links"]) == 1
    assert (
        login(town.user("officer_b")).get(f"/reports/members/{town.members['member_a'].pk}/").status_code
        == 404
    )
    assert (
        login(town.user("member_b")).get(f"/reports/members/{town.members['member_a'].pk}/").status_code
        == 404
    )


@pytest.mark.parametrize(
    "params,error",
    [
        ({"period": "custom", "start": "2026-09-10", "end": "2026-09-01"}, "结束日期不能早于开始日期"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-09-01"}, "不能超过三年"),
        ({"period": "custom", "start": "2026-09-10"}, "需填写开始和结束日期"),
        ({"period": "week"}, "week"),
        ({"period": "month", "on": "not-a-date"}, "日期"),
    ],
)
def test_bad_period_input_is_a_message_not_a_500(town, login, params, error):
    form = PeriodForm(params)
    assert not form.is_valid()
    response = login(town.user("town_staff")).get(f"/reports/places/{town.town.pk}/", params)
    assert response.status_code == 200
    assert response.context["form"].errors


def _grow(town, n):
    """n more households in grid A1a, each linked to a new member with two contacts in September."""
    for _i in range(n):
        household = HouseholdFactory(grid=town.grid_a1a)
        user = UserFactory()
        member = MemberFactory(home=town.grid_a1a, user=user)
        LinkFactory(member=member, household=household, link_type=LinkType.PARTY_HOUSEHOLD)
        for day in (3, 17):
            contact_record(
                user=user,
                kind="home_visit",
                occurred_at=at(2026, 9, day),
                duties=["policy"],
                household=household,
                client_id=uuid.uuid4(),
            )
    for i in range(n // 5):
        PlaceFactory(kind=PlaceKind.GRID4, parent=town.grid_a1, name=f"新组{i}")


@pytest.mark.parametrize(
    "place_attr,persona", [("town", "town_staff"), ("village_a", "officer_a"), ("grid_a1", "grid_head_a1")]
)
def test_query_count_does_not_grow_with_data(
    town, data, login, django_assert_max_num_queries, place_attr, persona
):
    client = login(town.user(persona))
    url = f"/reports/places/{getattr(town, place_attr).pk}/"
    # Measured: 29 (town, village), 38 (third-level grid with members and households), at both sizes.
    limit = 40
    with django_assert_max_num_queries(limit):
        small = client.get(url, SEPT)
    _grow(town, 30)
    with django_assert_max_num_queries(limit):
        large = client.get(url, SEPT)
    assert large.context["contacts"]["total"] == small.context["contacts"]["total"] + 60


def test_api_returns_the_same_figures_and_is_scoped(town, data, login):
    client = login(town.user("officer_a"))
    response = client.get(f"/api/reports/dashboards/{town.village_a.pk}/", SEPT)
    assert response.status_code == 200
    body = response.json()
    assert body["contacts"]["total"] == 3
    assert body["coverage"]["households"] == 3 and body["coverage"]["uncovered"] == 2
    assert body["issues"]["raised"] == 2
    assert [a["name"] for a in body["areas"]] == ["甲村第一网格"]
    assert client.get(f"/api/reports/dashboards/{town.village_b.pk}/", SEPT).status_code == 404
    bad = client.get(
        f"/api/reports/dashboards/{town.village_a.pk}/", {"period": "custom", "start": "2026-09-09"}
    )
    assert bad.status_code == 400


def test_dispatch_orders_outstanding(town, data, clock, monkeypatch):
    from dispatch import services as dispatch_services
    from dispatch.services import order_issue, order_report_done

    clock.set(at(2026, 9, 10))
    monkeypatch.setattr(dispatch_services, "today", lambda: datetime.date(2026, 9, 10))
    order = order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="排查汛期隐患",
        task="九月二十日前完成排查",
        due_date=datetime.date(2026, 9, 20),
        places=[town.village_a, town.grid_a1],
    )
    # issued_at's default is the real clock (bound at import): put the order in September.
    type(order).objects.filter(pk=order.pk).update(issued_at=at(2026, 9, 10))
    order_report_done(user=town.user("officer_a"), order=order, report="已排查")
    clock.set(at(2026, 11, 1))
    d = _build(town, "town_staff", town.town)
    assert d["dispatch"] == {"total": 2, "done": 1, "outstanding": 1, "overdue": 1}
    assert _build(town, "officer_b", town.village_b)["dispatch"]["total"] == 0
    assert _build(town, "grid_head_a1", town.grid_a1)["dispatch"] == {
        "total": 1,
        "done": 0,
        "outstanding": 1,
        "overdue": 1,
    }
    from reports.services import export_request

    job = export_request(user=town.user("grid_head_a1"), kind="grid", place=town.grid_a1, period=SEPTEMBER)
    import io

    from openpyxl import load_workbook

    with job.file.open("rb") as handle:
        ws = load_workbook(io.BytesIO(handle.read()))["调度令"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert [(r[1], r[4], r[6]) for r in rows] == [("排查汛期隐患", "grid_head_a1", "未签收")]
