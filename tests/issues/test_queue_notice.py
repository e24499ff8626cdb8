"""An issue arriving in a grid, village or centre queue puts a notice in the inbox of whoever works that queue."""

import pytest

from members.models import Notification

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
