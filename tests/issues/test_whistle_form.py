"""The whistle form: departments grouped (town offices / city departments), the kind's deadline shown and editable."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.services import issue_whistle, whistle_deadline

pytestmark = pytest.mark.django_db


def test_whistle_form_groups_departments_and_shows_the_default_deadline(town, login, ladder):
    issue = ladder.to_centre()
    html = login(town.user("town_staff")).get(reverse("issues:detail", args=[issue.pk])).content.decode()
    groups = re.findall(r'<p class="choice-group-label">(.*?)</p>', html)
    assert groups == ["镇线办/所/队", "市直部门单位"]
    town_group = html.split("镇线办/所/队</p>")[1].split("市直部门单位</p>")[0]
    assert "社会事务办" in town_group and "市水利局" not in town_group
    default = timezone.localtime(whistle_deadline("routine", timezone.now()))
    assert f'name="deadline" value="{default:%Y-%m-%dT%H:%M}"' in html
    assert "留空按哨型默认期限" in html
    # label beside the box: the box is inside its label
    assert re.search(r'<label class="choice" for="id_departments_0_0"><input type="checkbox"', html)


def test_whistle_with_an_edited_deadline(town, login, ladder):
    issue = ladder.to_centre()
    chosen = (timezone.localtime() + datetime.timedelta(days=10)).replace(second=0, microsecond=0)
    client = login(town.user("town_staff"))
    client.post(
        reverse("issues:whistle", args=[issue.pk]),
        {
            "version": issue.version,
            "departments": [town.department.pk],
            "kind": "routine",
            "deadline": chosen.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    issue.refresh_from_db()
    assert issue.status == "whistled"
    assert issue.assignments.get().deadline == chosen


def test_whistle_with_the_routine_default_left_as_is_but_kind_emergency_gets_emergency_default(
    town, login, ladder
):
    issue = ladder.to_centre()
    routine = timezone.localtime(whistle_deadline("routine", timezone.now()))
    login(town.user("town_staff")).post(
        reverse("issues:whistle", args=[issue.pk]),
        {
            "version": issue.version,
            "departments": [town.department.pk],
            "kind": "emergency",
            "deadline": routine.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    deadline = issue.assignments.get().deadline
    expected = whistle_deadline("emergency", timezone.now())
    assert abs(deadline - expected) < datetime.timedelta(minutes=2)


def test_service_refuses_a_past_deadline(town, ladder):
    from issues.services import IssueError as Refused

    issue = ladder.to_centre()
    with pytest.raises(Refused):
        issue_whistle(
            user=town.user("town_staff"),
            issue_id=issue.pk,
            version=issue.version,
            departments=[town.department],
            kind="routine",
            deadline=timezone.now() - datetime.timedelta(hours=1),
        )
    issue.refresh_from_db()
    assert issue.status != "whistled"
