"""An issue arriving in a grid, village or centre queue puts a notice in the inbox of whoever works that queue."""

import pytest

from notifications.models import Notification

pytestmark = pytest.mark.django_db


def titles(town, persona):
    return list(Notification.objects.filter(recipient=town.members[persona]).values_list("title", flat=True))


def test_each_queue_hears_when_an_issue_arrives(town, ladder):
    issue = ladder.to_grid()
    assert titles(town, "grid_head_a1") == [f"新的待办诉求 #{issue.pk}:基础设施(网格)"]
    assert titles(town, "grid_head_b1") == []  # another grid
    assert titles(town, "officer_a") == []

    issue = ladder.to_village()
    assert any("(村(社区))" in t for t in titles(town, "officer_a"))
    assert titles(town, "officer_b") == []

    issue = ladder.to_centre()
    assert any("(镇网格化综合服务中心)" in t for t in titles(town, "town_staff"))
    assert titles(town, "member_a") == []  # the raiser is not told about their own escalation


def test_the_centre_queue_is_told_by_the_same_table_as_the_deadline_digest(town, ladder):
    """issues.access.LEVEL_POSTS: the centre's queue is its staff and the office director (dispatch's daily
    deadline digest reads the same table); a leader may act at the centre but is not told of each arrival."""
    from issues.access import LEVEL_POSTS
    from issues.enums import IssueLevel
    from members.enums import MemberRole, PositionKind

    from ..factories import MemberFactory, PositionFactory

    director = MemberFactory(role=MemberRole.TOWN_CADRE, home=town.town)
    PositionFactory(member=director, kind=PositionKind.OFFICE_DIRECTOR, place=town.town)
    assert PositionKind.OFFICE_DIRECTOR in LEVEL_POSTS[IssueLevel.CENTRE]
    issue = ladder.to_centre()
    told = Notification.objects.filter(recipient=director, title__startswith=f"新的待办诉求 #{issue.pk}")
    assert told.count() == 1
    assert titles(town, "leader") == []
