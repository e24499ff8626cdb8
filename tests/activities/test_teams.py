"""宣讲队 page: teams with members, topics and sessions, scoped; the leader or a manager records a session,
optionally as one 屋场夜话 contact for the households present."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, LectureTeam, SignUp
from visits.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(town):
    team = LectureTeam.objects.create(
        station=services.station_for(town.village_a),
        name="甲村宣讲队",
        topics="惠民政策\n移风易俗",
        leader=town.members["officer_a"],
    )
    team.members.add(town.members["officer_a"], town.members["member_a"])
    return team


def _post(team, **extra):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    data = {
        "date": yesterday.isoformat(),
        "time": "19:30",
        "hours": "2",
        "location": "甲村一组禾场",
        "topic": "惠民政策",
        "present": [str(team.leader_id)],
    }
    data.update(extra)
    return data


def test_teams_page_is_scoped(town, team, login):
    b = LectureTeam.objects.create(station=services.station_for(town.village_b), name="乙村宣讲队")
    seen = {
        "town_staff": {team, b},
        "discipline": {team, b},
        "officer_a": {team},
        "member_a": {team},
        "member_b": {b},
        "officer_b": {b},
    }
    for persona, teams in seen.items():
        assert set(services.teams_visible_to(town.user(persona))) == teams, persona
    page = login(town.user("member_a")).get(reverse("activities:teams")).content.decode()
    assert "甲村宣讲队" in page and "乙村宣讲队" not in page and "惠民政策、移风易俗" in page
    assert login(town.user("officer_b")).get(reverse("activities:team", args=[team.pk])).status_code == 404
    # a member sees the team but records nothing
    client = login(town.user("member_a"))
    page = client.get(reverse("activities:team", args=[team.pk])).content.decode()
    assert "登记一场宣讲" not in page
    assert client.post(reverse("activities:team", args=[team.pk]), _post(team)).status_code == 403
    assert not Activity.objects.exists()


def test_leader_records_a_session_with_a_yard_meeting(town, team, login):
    client = login(town.user("officer_a"))
    page = client.get(reverse("activities:team", args=[team.pk])).content.decode()
    assert "登记一场宣讲" in page
    assert f'value="{timezone.localdate().isoformat()}"' in page  # the date input starts at today
    response = client.post(
        reverse("activities:team", args=[team.pk]),
        _post(
            team,
            present=[str(town.members["officer_a"].pk), str(town.members["member_a"].pk)],
            yard_meeting="on",
            households=f"{town.ha2.code} {town.ha3.code}",
        ),
    )
    assert response.status_code == 302
    session = Activity.objects.get(team=team)
    assert session.kind == "lecture" and session.organiser == town.members["officer_a"]
    assert SignUp.objects.filter(activity=session, attended=True).count() == 2
    contact = Contact.objects.get()
    assert session.contact == contact and contact.kind == "yard_meeting"
    assert {r.household for r in contact.reached.all()} == {town.ha2, town.ha3}
    page = client.get(reverse("activities:team", args=[team.pk])).content.decode()
    assert "甲村一组禾场" in page
    sessions = services.team_sessions([team])[team.pk]
    assert [(s.present, s.reached) for s in sessions] == [(2, 2)]
    # the hours count as volunteer hours of the members present
    assert services.volunteer_summary(town.members["member_a"], session.starts_at.year)["hours"] == 2


def test_bad_session_input_is_refused_with_a_message_and_records_nothing(town, team, login):
    client = login(town.user("officer_a"))
    url = reverse("activities:team", args=[team.pk])
    # a household of another village: outside the officer's scope, nothing recorded (not even the session)
    response = client.post(url, _post(team, yard_meeting="on", households=f"{town.ha2.code} {town.hb1.code}"))
    assert response.status_code == 200 and "范围" in response.content.decode()
    response = client.post(url, _post(team, yard_meeting="on", households="no-such-code"))
    assert response.status_code == 200 and "找不到这些户编号" in response.content.decode()
    response = client.post(url, _post(team, yard_meeting="on", households=""))
    assert "请填写到场的户编号" in response.content.decode()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(url, _post(team, date=tomorrow.isoformat()))
    assert "只能登记已经举行的宣讲" in response.content.decode()
    response = client.post(url, _post(team, hours="abc", present=[str(town.members["member_b"].pk)]))
    assert response.status_code == 200
    assert not Activity.objects.exists() and not Contact.objects.exists()
    # someone not in the team cannot be marked present
    with pytest.raises(services.ActivityError):
        services.session_record(
            user=town.user("officer_a"),
            data=services.SessionIn(
                team=team,
                starts_at=timezone.now() - datetime.timedelta(hours=3),
                hours=services.Decimal(2),
                location="x",
                topic="y",
                present=[town.members["member_b"].pk],
            ),
        )


def test_town_staff_record_a_session_of_any_village_team(town, team, login):
    client = login(town.user("town_staff"))
    response = client.post(reverse("activities:team", args=[team.pk]), _post(team, present=[]))
    assert response.status_code == 302
    assert Activity.objects.get(team=team).organiser == town.members["town_staff"]


def test_team_sessions_newest_per_team_are_cut_in_the_database(town, team, django_assert_num_queries):
    other = LectureTeam.objects.create(station=services.station_for(town.village_b), name="乙村宣讲队")
    now = timezone.now()
    made = {team.pk: [], other.pk: []}
    for t, n in ((team, 7), (other, 2)):
        for i in range(n):
            made[t.pk].append(
                Activity.objects.create(
                    station=t.station,
                    team=t,
                    title=f"宣讲{i}",
                    kind="lecture",
                    starts_at=now - datetime.timedelta(days=i + 1),
                    ends_at=now - datetime.timedelta(days=i + 1) + datetime.timedelta(hours=2),
                    location="禾场",
                    organiser=town.members["officer_a"],
                ).pk
            )
    with django_assert_num_queries(1):
        sessions = services.team_sessions([team, other], limit=5)
    assert [a.pk for a in sessions[team.pk]] == made[team.pk][:5]  # the newest five, newest first
    assert [a.pk for a in sessions[other.pk]] == made[other.pk]
    assert len(services.team_sessions([team])[team.pk]) == 7
