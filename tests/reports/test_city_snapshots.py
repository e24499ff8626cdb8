# ruff: noqa: F811 (the `town` fixture of test_city.py, with the city personas, is imported and used by name)
"""Per-town compliance snapshots (visits.snapshots, job `compliance_snapshots`) read by the city pages: the
snapshot is compliance_summary's figures for the town, the city pages read them in a bounded number of
queries with the time they were computed, a town without one says 尚未计算, and re-running a day replaces it."""

import pytest
from django.utils import timezone

from dispatch import jobs
from dispatch.enums import RunStatus
from dispatch.models import JobRun
from dispatch.periods import default_key
from tests.reports.test_city import _second_town, take_snapshots, town  # noqa: F401 (its city personas)
from visits.models import TownComplianceSnapshot
from visits.selectors import compliance_summary, link_id_range
from visits.snapshots import _WholeTown, latest_snapshots, town_snapshot_take

pytestmark = pytest.mark.django_db

JOB = "compliance_snapshots"


def test_snapshot_equals_compliance_summary_of_the_town(town):
    other, _ = _second_town(town)
    on = timezone.localdate()
    for place in (town.town, other):
        snap = town_snapshot_take(place, on)
        live = compliance_summary(
            user=_WholeTown(), place=place, on=on, id_range=link_id_range(place.path), with_lists=True
        )
        assert {k: getattr(snap, k) for k in ("total", "done", "due", "overdue")} == {
            k: live["totals"][k] for k in ("total", "done", "due", "overdue")
        }
        assert snap.share_on_track == live["totals"]["share_on_track"]
        for key in ("households_without_contact", "members_without_contact", "households_needing_pairing"):
            assert getattr(snap, key) == live[key], key
        assert [(t["link_type"], t["total"], t["done"], t["overdue"]) for t in snap.by_type] == [
            (t["link_type"], t["total"], t["done"], t["overdue"]) for t in live["by_type"]
        ]
        assert [[r["overdue"] for r in t["rules"]] for t in snap.by_type] == [
            [r["overdue"] for r in t["rules"]] for t in live["by_type"]
        ]
    # Households and those no member links to: reports.selectors.coverage's figures for the town.
    from reports.selectors import coverage

    for place in (town.town, other):
        cover = coverage(user=_WholeTown(), place=place, on=on)
        snap = TownComplianceSnapshot.objects.get(town=place)
        assert (snap.households, snap.uncovered) == (cover["households"], cover["uncovered"])
    # The personas' town has links and households without contact: the test compares real figures.
    mine = TownComplianceSnapshot.objects.get(town=town.town)
    assert mine.total == 4 and mine.households_without_contact > 0


def test_city_pages_equal_the_live_city_figures(town, login):
    """What the city compliance page adds up from snapshots is what the live city summary said."""
    _second_town(town)
    take_snapshots()
    on = timezone.localdate()
    live = compliance_summary(user=_WholeTown(), place=town.city, on=on, breakdown="child", with_lists=False)
    response = login(town.user("city_leader")).get(f"/visits/compliance/{town.city.pk}/")
    summary = response.context["summary"]
    assert summary["totals"] == live["totals"]
    assert {r["name"]: (r["total"], r["overdue"]) for r in summary["rows"]} == {
        r["name"]: (r["total"], r["overdue"]) for r in live["rows"]
    }
    assert [(t["link_type"], t["total"], t["overdue"]) for t in summary["by_type"]] == [
        (t["link_type"], t["total"], t["overdue"]) for t in live["by_type"]
    ]
    page = response.content.decode()
    assert 'id="as-of"' in page and "尚未计算" not in page


def test_a_town_without_snapshot_says_not_computed_with_a_run_link_for_staff_who_may(town, login, admin_user):
    other, _ = _second_town(town)
    town_snapshot_take(town.town)  # 金洲镇 has none yet
    leader = login(town.user("city_leader"))
    response = leader.get(f"/reports/city/{town.city.pk}/")
    rows = {r["place"].name: r for r in response.context["towns"]}
    assert rows["金洲镇"]["snapshot"] is None and rows["金洲镇"]["share_on_track"] is None
    assert rows["双凫铺镇"]["snapshot"] is not None and rows["双凫铺镇"]["links"] == 4
    page = response.content.decode()
    assert "尚未计算" in page
    run_link = f"/dispatch/jobs/?job={JOB}&amp;town={other.pk}"
    assert run_link not in page  # a city leader may not run jobs
    compliance = leader.get(f"/visits/compliance/{town.city.pk}/").content.decode()
    assert "尚未计算" in compliance and run_link not in compliance
    admin = login(admin_user)
    assert run_link in admin.get(f"/reports/city/{town.city.pk}/").content.decode()
    assert run_link in admin.get(f"/visits/compliance/{town.city.pk}/").content.decode()
    # The jobs page opens with the job and the town chosen.
    form = admin.get(f"/dispatch/jobs/?job={JOB}&town={other.pk}").context["form"]
    assert form.initial["job"] == JOB and form.initial["town"] == str(other.pk)


def test_city_pages_read_snapshots_in_a_bounded_number_of_queries(town, login, django_assert_max_num_queries):
    client = login(town.user("city_office"))
    urls = (f"/reports/city/{town.city.pk}/", f"/visits/compliance/{town.city.pk}/")
    take_snapshots()
    for url in urls:
        client.get(url)  # warm caches (sessions, rules)
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(30) as one:
            assert client.get(url).status_code == 200
        counts[url] = len(one.captured_queries)
    for code, name in (("T02", "金洲镇"), ("T03", "道林镇"), ("T04", "沩山乡")):
        _second_town(town, name, code)
    take_snapshots()
    for url in urls:
        with django_assert_max_num_queries(counts[url]) as many:
            response = client.get(url)
        assert response.status_code == 200
        assert len(many.captured_queries) == counts[url], url
    assert len(response.context["summary"]["rows"]) == 4
    # The snapshots in one query.
    with django_assert_max_num_queries(1):
        assert len(latest_snapshots(town.city)) == 4


def test_latest_snapshot_is_the_newest_on_or_before_the_day(town):
    today = timezone.localdate()
    old = town_snapshot_take(town.town, today - timezone.timedelta(days=2))
    new = town_snapshot_take(town.town, today)
    assert latest_snapshots(town.city, today)[town.town.pk].pk == new.pk
    assert latest_snapshots(town.city, today - timezone.timedelta(days=1))[town.town.pk].pk == old.pk


@pytest.mark.parametrize("persona", ["town_staff", "leader", "grid_head_a1", "member_a", "handler"])
def test_town_personas_do_not_see_the_city_pages(town, login, persona):
    take_snapshots()
    client = login(town.user(persona))
    assert client.get(f"/reports/city/{town.city.pk}/").status_code in (403, 404)
    assert client.get(f"/visits/compliance/{town.city.pk}/").status_code in (403, 404)


def test_rerunning_the_day_replaces_its_snapshot_and_run(town):
    key = default_key(JOB)
    first = jobs.job_run(job=JOB, period_key=key, town=town.town)
    assert first.status == RunStatus.DONE and first.created == 1
    snap = TownComplianceSnapshot.objects.get(town=town.town)
    # A new link since: the re-run replaces the day's row (no second row, no refusal).
    from tests.factories import LinkFactory

    LinkFactory(member=town.members["member_a"], household=town.hb1)
    second = jobs.job_run(job=JOB, period_key=key, town=town.town)
    assert second.status == RunStatus.DONE
    rows = TownComplianceSnapshot.objects.filter(town=town.town)
    assert rows.count() == 1 and rows.get().pk == snap.pk and rows.get().total == snap.total + 1
    assert rows.get().computed_at >= snap.computed_at
    # One done run of the day per town is kept: the latest.
    assert list(
        JobRun.objects.filter(job=JOB, period_key=key, town=town.town).values_list("pk", flat=True)
    ) == [second.pk]


def test_fan_out_enqueues_every_town_even_when_done_today(town, monkeypatch):
    other, _ = _second_town(town)
    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, *args: sent.append(args) or True)
    key = default_key(JOB)
    jobs.job_run(job=JOB, period_key=key, town=town.town)
    assert jobs.job_fan_out(job=JOB, period_key=key) == 2
    assert {args[2] for args in sent} == {town.town.pk, other.pk}


def test_town_staff_run_their_own_towns_snapshot_by_hand_again(town, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, *args: sent.append(args) or True)
    key = default_key(JOB)
    jobs.job_run(job=JOB, period_key=key, town=town.town)
    jobs.job_run_by_hand(job=JOB, period_key=key, user=town.user("town_staff"), town_id=town.town.pk)
    assert sent == [(JOB, key, town.town.pk, town.user("town_staff").pk, True)]


def test_schedule_runs_the_snapshots_nightly_and_hourly():
    from config.celery import app

    entries = [e for e in app.conf.beat_schedule.values() if e.get("args") == (JOB,)]
    assert len(entries) == 2
    assert {e["task"] for e in entries} == {"dispatch.run_scheduled_job"}
