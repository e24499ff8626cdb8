"""grids.beside: a dashboard's compliance grouping runs on a worker thread's own connection (PostgreSQL, outside
a transaction) and gives the figures it gives inline; inside a transaction, on SQLite and with
LIANHU_QUERY_THREADS=0 it runs in the caller's thread, when its result is asked for."""

import datetime
import threading
import time
import uuid

import pytest
from django.db import DataError, connection
from django.utils import timezone

import visits.selectors.summaries as summaries
from grids import beside
from reports.dashboards import build_dashboard
from reports.periods import period_of
from tests.personas import build_town
from visits.enums import ContactKind
from visits.selectors import compliance_start, compliance_summary
from visits.services import contact_record

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads beside the request on PostgreSQL only"
)


@pytest.fixture
def grouped_threads(monkeypatch):
    """The names of the threads that ran the compliance grouping (summaries._run)."""
    names = []
    real = summaries._run

    def spy(sql, params):
        names.append(threading.current_thread().name)
        return real(sql, params)

    monkeypatch.setattr(summaries, "_run", spy)
    return names


def _record(town):
    when = timezone.now() - datetime.timedelta(hours=2)
    for persona, household in (("member_a", town.ha1), ("member_b", town.hb1)):
        contact_record(
            user=town.user(persona),
            kind=ContactKind.HOME_VISIT,
            occurred_at=when,
            duties=("policy",),
            household=household,
            client_id=uuid.uuid4(),
        )


def _figures(dashboard: dict) -> dict:
    compliance = dashboard["compliance"]
    return {
        "totals": compliance["totals"],
        "by_type": [
            (str(t["label"]), t["total"], t["done"], t["due"], t["overdue"]) for t in compliance["by_type"]
        ],
        "rows": [(r["id"], r["total"], r["overdue"]) for r in compliance["rows"]],
        "areas": [(a["place"].pk, a["links"], a["overdue"], a["share_on_track"]) for a in dashboard["areas"]],
        "members_without_contact": compliance["members_without_contact"],
    }


def test_inside_a_transaction_the_grouping_runs_in_the_callers_thread(town, grouped_threads, settings):
    settings.LIANHU_QUERY_THREADS = 2
    _record(town)
    assert connection.in_atomic_block and not beside.runs_beside()
    dashboard = build_dashboard(
        user=town.user("town_staff"), place=town.town, period=period_of("month", timezone.localdate())
    )
    assert grouped_threads == [threading.current_thread().name]
    assert dashboard["compliance"]["totals"]["total"] > 0


def test_a_start_for_another_breakdown_or_day_is_refused(town):
    staff, on = town.user("town_staff"), timezone.localdate()
    started = compliance_start(user=staff, place=town.town, on=on, breakdown="child", early=False)
    with pytest.raises(ValueError):
        compliance_summary(user=staff, place=town.town, on=on, breakdown="member", started=started)
    with pytest.raises(ValueError):
        compliance_summary(
            user=staff,
            place=town.town,
            on=on - datetime.timedelta(days=1),
            breakdown="child",
            started=started,
        )
    assert compliance_summary(user=staff, place=town.town, on=on, breakdown="child", started=started)["rows"]


def test_inline_handle_runs_when_asked_and_once(settings):
    settings.LIANHU_QUERY_THREADS = 0
    calls = []
    handle = beside.beside(lambda x: calls.append(x) or x * 2, 21)
    assert calls == []  # not yet
    assert handle.result() == 42 and handle.result() == 42
    assert calls == [21]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_grouping_runs_beside_with_the_same_figures(grouped_threads, settings):
    town = build_town()
    _record(town)
    staff = town.user("town_staff")
    assert not connection.in_atomic_block
    figures = {}
    for threads in (0, 2):
        settings.LIANHU_QUERY_THREADS = threads
        grouped_threads.clear()
        for kind in ("month", "year"):
            dashboard = build_dashboard(
                user=staff, place=town.town, period=period_of(kind, timezone.localdate())
            )
            figures[threads, kind] = _figures(dashboard)
        ran_in = set(grouped_threads)
        if threads:
            assert ran_in and all(name.startswith("lianhu-beside") for name in ran_in), ran_in
        else:
            assert ran_in == {threading.current_thread().name}
    assert figures[0, "month"] == figures[2, "month"] and figures[0, "year"] == figures[2, "year"]
    assert figures[2, "month"]["totals"]["done"] >= 2

    # A narrower persona: village A's officer sees the town's dashboard through their own scope (the
    # statement is built from it before it leaves): the same figures beside and inline, only village A's.
    officer = town.user("officer_a")
    narrow = {}
    for threads in (0, 2):
        settings.LIANHU_QUERY_THREADS = threads
        grouped_threads.clear()
        dashboard = build_dashboard(
            user=officer, place=town.town, period=period_of("month", timezone.localdate())
        )
        narrow[threads] = _figures(dashboard)
        assert all(name.startswith("lianhu-beside") for name in grouped_threads) == bool(threads)
    assert narrow[0] == narrow[2]
    assert 0 < narrow[2]["totals"]["total"] < figures[2, "month"]["totals"]["total"]
    assert {row[0] for row in narrow[2]["rows"]} <= {town.town.pk, town.village_a.pk}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_error_beside_reaches_the_caller_and_the_worker_goes_on(settings):
    settings.LIANHU_QUERY_THREADS = 1

    def one_over(n):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / %s, pg_backend_pid()", [n])
            value, pid = cursor.fetchone()
            return value, pid, threading.current_thread().name

    with pytest.raises(DataError):
        beside.beside(one_over, 0).result()
    value, pid, thread = beside.beside(one_over, 1).result()
    assert value == 1 and thread.startswith("lianhu-beside")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid  # its own connection
    # shutdown closes the worker's connection (its server process ends a moment after the client hangs up).
    beside.shutdown()
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.1)
    else:
        pytest.fail("the worker's connection is still open after shutdown")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_compliance_page_reads_its_lists_while_the_grouping_runs_beside(
    grouped_threads, settings, client
):
    town = build_town()
    _record(town)
    staff, on = town.user("town_staff"), timezone.localdate()

    def summary(early):
        result = compliance_summary(user=staff, place=town.town, on=on, breakdown="child", early=early)
        return {
            key: [getattr(row, "pk", row) for row in value] if key.endswith("_list") else value
            for key, value in result.items()
        }

    settings.LIANHU_QUERY_THREADS = 2
    inline = summary(early=False)
    assert grouped_threads == [threading.current_thread().name]
    grouped_threads.clear()
    assert summary(early=True) == inline
    assert len(grouped_threads) == 1 and grouped_threads[0].startswith("lianhu-beside")
    assert inline["totals"]["done"] >= 2 and inline["households_without_contact"] > 0

    grouped_threads.clear()
    client.force_login(staff)
    response = client.get(f"/visits/compliance/{town.town.pk}/")
    assert response.status_code == 200
    assert len(grouped_threads) == 1 and grouped_threads[0].startswith("lianhu-beside")
