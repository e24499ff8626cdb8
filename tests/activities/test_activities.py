"""新时代文明实践: sign-up limits, attendance and hours, trainings' absentees, scoping for each persona, ledger, API."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities import services
from activities.enums import RequiredGroup, SignUpStatus
from activities.models import Activity, ActivityTemplate, SignUp
from members.enums import MemberRole

from ..factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _activity(town, place, *, days=3, capacity=2, organiser="town_staff", **kw):
    starts = NOW + datetime.timedelta(days=days)
    return Activity.objects.create(
        station=services.station_for(place),
        title=kw.pop("title", "送温暖"),
        kind=kw.pop("kind", "warmth"),
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        location="党群服务中心",
        organiser=town.members[organiser],
        capacity=capacity,
        hours=Decimal("2.5"),
        **kw,
    )


def _member_user(town, name, home):
    user = UserFactory(username=name)
    MemberFactory(name=name, role=MemberRole.PARTY_MEMBER, home=home, user=user)
    return user


def test_signup_limits(town):
    a = _activity(town, town.village_a, capacity=2)
    services.signup(user=town.user("member_a"), activity=a)
    again = services.signup(user=town.user("member_a"), activity=a)  # twice: still one row
    assert SignUp.objects.filter(activity=a).count() == 1 and again.status == SignUpStatus.SIGNED
    services.signup(user=_member_user(town, "second", town.grid_a1b), activity=a)
    third = _member_user(town, "third", town.grid_a1a)
    with pytest.raises(services.ActivityError, match="名额已满"):
        services.signup(user=third, activity=a)
    # a cancellation frees the place
    services.signup_cancel(user=town.user("member_a"), activity=a)
    services.signup(user=third, activity=a)
    # another village's member: not open to them; the town's 所 is open to everyone in the town
    with pytest.raises(services.ActivityError, match="不面向"):
        services.signup(user=town.user("member_b"), activity=a)
    services.signup(user=town.user("member_b"), activity=_activity(town, town.town, capacity=0))
    # started: no sign-up, no cancellation
    started = _activity(town, town.village_a, days=-1)
    with pytest.raises(services.ActivityError, match="已开始"):
        services.signup(user=town.user("member_a"), activity=started)


def test_attendance_and_hours_by_the_organiser_only(town):
    a = _activity(town, town.village_a, capacity=0, organiser="officer_a")
    services.signup(user=town.user("member_a"), activity=a)
    entries = [services.AttendanceEntry(town.members["member_a"].pk, True, "3")]
    with pytest.raises(services.ActivityError, match="开始后"):
        services.attendance_record(user=town.user("officer_a"), activity=a, entries=entries)
    later = a.starts_at + datetime.timedelta(hours=3)
    with pytest.raises(PermissionDenied):
        services.attendance_record(user=town.user("member_a"), activity=a, entries=entries, now=later)
    with pytest.raises(PermissionDenied):
        services.attendance_record(user=town.user("officer_b"), activity=a, entries=entries, now=later)
    bad = [*entries, services.AttendanceEntry(town.members["member_b"].pk, True)]  # outside the village
    with pytest.raises(services.ActivityError):
        services.attendance_record(user=town.user("officer_a"), activity=a, entries=bad, now=later)
    assert not SignUp.objects.filter(attended__isnull=False).exists()  # nothing half-saved
    walk_in = MemberFactory(name="walkin", home=town.grid_a1b)
    services.attendance_record(
        user=town.user("officer_a"),
        activity=a,
        entries=[*entries, services.AttendanceEntry(walk_in.pk, True)],
        now=later,
    )
    rows = {s.member.name: (s.attended, s.hours) for s in SignUp.objects.filter(activity=a)}
    assert rows == {"member_a": (True, Decimal("3.0")), "walkin": (True, Decimal("2.5"))}
    summary = services.volunteer_summary(town.members["member_a"], a.starts_at.year)
    assert (summary["hours"], summary["attended"]) == (Decimal("3.0"), 1)


def test_training_lists_required_absentees(town):
    t = _activity(town, town.town, kind="training", capacity=0, required=RequiredGroup.GRID_HEADS)
    services.signup(user=town.user("grid_head_a1"), activity=t)
    services.attendance_record(
        user=town.user("town_staff"),
        activity=t,
        entries=[services.AttendanceEntry(town.members["grid_head_a1"].pk, True)],
        now=t.ends_at,
    )
    assert [m.name for m in services.absentees(t)] == ["grid_head_b1"]


def test_each_persona_sees_what_it_may(town, login):
    a = _activity(town, town.village_a)
    b = _activity(town, town.village_b)
    t = _activity(town, town.town)
    expected = {
        "town_staff": {a, b, t},
        "discipline": {a, b, t},
        "officer_a": {a, t},
        "member_a": {a, t},
        "member_b": {b, t},
        "grid_head_a1": {t},
    }
    for persona, seen in expected.items():
        assert set(services.activities_visible_to(town.user(persona))) == seen, persona
    assert login(town.user("officer_b")).get(reverse("activities:detail", args=[a.pk])).status_code == 404
    assert login(town.user("member_b")).post(reverse("activities:signup", args=[a.pk])).status_code == 404
    page = login(town.user("member_a")).get(reverse("activities:detail", args=[a.pk]))
    assert page.status_code == 200 and "我要报名" in page.content.decode()
    login(town.user("member_a")).post(reverse("activities:signup", args=[a.pk]))
    assert SignUp.objects.filter(activity=a, member=town.members["member_a"]).exists()
    assert not services.can_manage_path(town.user("officer_a"), b.path)
    assert not services.can_manage_path(town.user("discipline"), a.path)
    for persona in ("member_a", "discipline", "grid_head_a1"):
        assert login(town.user(persona)).get(reverse("activities:ledger")).status_code == 403, persona
        assert login(town.user(persona)).get(reverse("activities:calendar")).status_code == 403, persona


def test_calendar_template_copy_and_ledger(town, login):
    client = login(town.user("officer_a"))
    assert client.get(reverse("activities:calendar")).status_code == 200
    template = ActivityTemplate.objects.get(title="重阳敬老")
    station = services.station_for(town.village_a)
    year = timezone.localdate().year
    response = client.post(
        reverse("activities:calendar"), {"template": template.pk, "station": station.pk, "year": year}
    )
    activity = Activity.objects.get(template=template)
    assert response.status_code == 302 and activity.station == station
    assert timezone.localtime(activity.starts_at).date() == datetime.date(year, 10, 20)
    # another village's station is not a choice for this officer
    other = services.station_for(town.village_b)
    client.post(reverse("activities:calendar"), {"template": template.pk, "station": other.pk, "year": year})
    assert Activity.objects.filter(station=other).count() == 0
    SignUp.objects.create(activity=activity, member=town.members["member_a"], attended=True, hours=3)
    wb = load_workbook(io.BytesIO(client.get(reverse("activities:ledger") + f"?year={year}").content))
    rows = list(wb["活动"].iter_rows(values_only=True))
    assert any(r and "重阳敬老" in r for r in rows)
    hours = list(wb["志愿服务时长"].iter_rows(values_only=True))
    assert any(r and r[0] == "member_a" and r[3] == 3 for r in hours)


def test_api_lists_scoped_and_signs_up(town, login):
    a = _activity(town, town.village_a)
    b = _activity(town, town.village_b)
    client = login(town.user("member_a"))
    ids = {row["id"] for row in client.get("/api/activities/").json()["results"]}
    assert a.pk in ids and b.pk not in ids
    assert client.post(f"/api/activities/{a.pk}/signup/").status_code == 201
    assert client.post(f"/api/activities/{b.pk}/signup/").status_code == 404
    full = _activity(town, town.village_a, capacity=1)
    SignUp.objects.create(activity=full, member=town.members["officer_a"])
    response = client.post(f"/api/activities/{full.pk}/signup/")
    assert response.status_code == 400 and "名额已满" in response.json()["detail"]
    assert "/api/activities/" in client.get("/api/schema/").content.decode()


def test_demo_year_of_activities():
    from demo.town import demo_town_build

    demo_town_build(size="small", seed=7, logins=False)
    call_command("demo_activities", "--if-empty", stdout=io.StringIO())
    call_command("demo_activities", "--if-empty", stdout=io.StringIO())
    n_templates = ActivityTemplate.objects.count()
    assert Activity.objects.values("template").distinct().count() == n_templates == 12
    past = SignUp.objects.filter(activity__starts_at__lt=timezone.now())
    assert past.filter(attended=True).exists() and past.filter(attended=False).exists()
    assert SignUp.objects.filter(activity__starts_at__gt=timezone.now(), attended__isnull=True).exists()
    # the first village's 宣讲队 with sessions held, and a few photos on activities held
    from activities.models import ActivityPhoto, LectureTeam

    team = LectureTeam.objects.get()
    assert team.leader is not None and team.sessions.filter(signups__attended=True).exists()
    assert ActivityPhoto.objects.count() == 6
    assert all(p.activity.starts_at < timezone.now() for p in ActivityPhoto.objects.all())


def test_lecture_team_session_recorded_as_a_yard_meeting(town, login):
    from activities.models import LectureTeam
    from visits.models import Contact

    station = services.station_for(town.village_a)
    team = LectureTeam.objects.create(station=station, name="甲村宣讲队", topics="惠民政策\n移风易俗")
    team.members.add(town.members["officer_a"], town.members["member_a"])
    session = _activity(town, town.village_a, days=-1, kind="lecture", organiser="officer_a", team=team)
    page = login(town.user("officer_a")).get(reverse("activities:detail", args=[session.pk]))
    assert "甲村宣讲队" in page.content.decode() and "惠民政策、移风易俗" in page.content.decode()
    with pytest.raises(PermissionDenied):  # only the organiser records it
        services.session_record_yard_meeting(
            user=town.user("member_a"), activity=session, household_codes=town.ha2.code
        )
    with pytest.raises(ValidationError, match="范围"):  # another village's household: outside the scope
        services.session_record_yard_meeting(
            user=town.user("officer_a"), activity=session, household_codes=f"{town.ha2.code} {town.hb1.code}"
        )
    assert not Contact.objects.exists()
    client = login(town.user("officer_a"))
    client.post(
        reverse("activities:yard-meeting", args=[session.pk]),
        {"households": f"{town.ha2.code},{town.ha3.code}"},
    )
    client.post(
        reverse("activities:yard-meeting", args=[session.pk]),
        {"households": f"{town.ha2.code},{town.ha3.code}"},
    )
    contact = Contact.objects.get()  # twice: one contact
    assert contact.kind == "yard_meeting" and {r.household for r in contact.reached.all()} == {
        town.ha2,
        town.ha3,
    }
    session.refresh_from_db()
    assert session.contact == contact
    # a session not of a lecture team cannot be recorded this way
    plain = _activity(town, town.village_a, days=-1, organiser="officer_a")
    with pytest.raises(services.ActivityError):
        services.session_record_yard_meeting(
            user=town.user("officer_a"), activity=plain, household_codes=town.ha2.code
        )
