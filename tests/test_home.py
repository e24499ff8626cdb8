"""The home page's 今日待办: what waits for each persona, counted in a constant number of queries."""

import datetime
import re

from django.utils import timezone

from dispatch.services import order_issue
from tests.issues.conftest import category, ladder, raise_issue  # noqa: F401 (fixtures)
from visits.enums import ContactKind
from visits.services import contact_record


def todo(client) -> dict[str, tuple[int, int]]:
    """{row label: (count, overdue)} as the page shows them."""
    response = client.get("/")
    assert response.status_code == 200
    return {row["label"]: (row["count"], row["overdue"]) for row in response.context["todo"]}


def test_member_sees_households_to_visit_until_visited(town, login):
    client = login(town.user("member_a"))
    # ha1 has been linked since 2020 and never visited: last month and quarter ended unmet.
    assert todo(client)["联系户待走访"] == (1, 1)
    contact_record(
        user=town.user("member_a"),
        kind=ContactKind.HOME_VISIT,
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        duties=["policy"],
        household=town.ha1,
    )
    assert todo(client)["联系户待走访"] == (0, 0)
    html = client.get("/").content.decode()
    assert re.search(r'href="/visits/">联系户待走访</a> <span class="count">0</span>', html)


def test_each_queue_shows_only_for_its_post(town, login, ladder):  # noqa: F811
    ladder.to_grid()
    assert todo(login(town.user("grid_head_a1")))["网格待办"] == (1, 0)
    officer = todo(login(town.user("officer_a")))
    assert officer["村(社区)待办"] == (0, 0)
    assert "网格待办" not in officer
    member = todo(login(town.user("member_a")))
    assert not {"网格待办", "村(社区)待办", "镇中心工作台", "部门交办"} & set(member)
    # The other village's officer does not count village A's issues.
    ladder.to_village()
    assert todo(login(town.user("officer_b")))["村(社区)待办"] == (0, 0)
    assert todo(login(town.user("officer_a")))["村(社区)待办"] == (1, 0)


def test_department_and_orders_rows(town, login, ladder):  # noqa: F811
    ladder.whistled(departments=[town.department])
    assert todo(login(town.user("handler")))["部门交办"] == (1, 0)
    assert todo(login(town.user("other_handler")))["部门交办"] == (0, 0)  # another department's desk
    order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="防汛排查",
        task="排查辖区山塘水库",
        due_date=timezone.localdate() + datetime.timedelta(days=3),
        places=[],
        members=[town.members["member_b"]],
    )
    client = login(town.user("member_b"))
    assert todo(client)["调度令未办结"] == (1, 0)
    assert "未签收 1" in client.get("/").content.decode()
    assert todo(login(town.user("member_a")))["调度令未办结"] == (0, 0)


def test_home_queries_do_not_grow(town, login, ladder, django_assert_max_num_queries):  # noqa: F811
    client = login(town.user("town_staff"))
    client.get("/")
    with django_assert_max_num_queries(25) as small:
        client.get("/")
    for _ in range(5):
        ladder.to_centre()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/")
