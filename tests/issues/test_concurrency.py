"""Two people act on the same issue at once, on real PostgreSQL connections: one wins, the other is told
"已被他人处理,请刷新后重试", and nothing is lost. SQLite ignores SELECT ... FOR UPDATE, so these skip there."""

import threading
import time

import pytest
from django.db import connection, transaction

from issues.models import Issue, IssueEvent
from issues.services import IssueConflict, issue_resolve, issue_whistle
from tests.personas import build_town

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def _issue_at_centre(town):
    from issues.models import IssueCategory
    from issues.services import issue_escalate, issue_raise

    issue = issue_raise(
        user=town.user("member_a"),
        category=IssueCategory.objects.get_or_create(name="基础设施")[0],  # flushed data has no seed rows
        household=town.ha1,
        description="桥梁裂缝",
        escalate_reason="现场无法解决",
    )
    issue = issue_escalate(
        user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, reason="上报"
    )
    return issue_escalate(
        user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, reason="上报"
    )


def _in_thread(fn, results, key):
    try:
        results[key] = fn()
    except Exception as exc:  # collected and asserted by the test
        results[key] = exc
    finally:
        connection.close()


def test_second_actor_waits_for_the_lock_then_gets_a_conflict():
    town = build_town()
    issue = _issue_at_centre(town)
    version = issue.version
    locked = threading.Event()
    results: dict = {}

    def first():
        with transaction.atomic():
            done = issue_resolve(
                user=town.user("town_staff"), issue_id=issue.pk, version=version, result="已处理"
            )
            locked.set()
            time.sleep(0.5)  # hold the row lock while the second actor tries
        return done

    def second():
        locked.wait(5)
        started = time.monotonic()
        try:
            return issue_whistle(
                user=town.user("leader"),
                issue_id=issue.pk,
                version=version,
                departments=[town.department],
                kind="routine",
            )
        finally:
            results["waited"] = time.monotonic() - started

    threads = [
        threading.Thread(target=_in_thread, args=(first, results, "first")),
        threading.Thread(target=_in_thread, args=(second, results, "second")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert isinstance(results["first"], Issue)
    assert isinstance(results["second"], IssueConflict)
    assert results["second"].message == "已被他人处理,请刷新后重试"
    assert results["waited"] >= 0.3  # it really blocked on the row lock
    issue.refresh_from_db()
    assert (issue.status, issue.level, issue.result, issue.version) == (
        "resolved",
        "centre",
        "已处理",
        version + 1,
    )
    assert (
        list(IssueEvent.objects.filter(issue=issue).values_list("action", flat=True).order_by("id"))[-1]
        == "resolve"
    )
    assert not issue.assignments.exists()


@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_actions_one_wins(attempt):
    town = build_town()
    issue = _issue_at_centre(town)
    version = issue.version
    barrier = threading.Barrier(2)
    results: dict = {}

    def resolve():
        barrier.wait(5)
        return issue_resolve(
            user=town.user("town_staff"), issue_id=issue.pk, version=version, result="中心已协调解决"
        )

    def whistle():
        barrier.wait(5)
        return issue_whistle(
            user=town.user("leader"),
            issue_id=issue.pk,
            version=version,
            departments=[town.department],
            kind="emergency",
        )

    threads = [
        threading.Thread(target=_in_thread, args=(resolve, results, "resolve")),
        threading.Thread(target=_in_thread, args=(whistle, results, "whistle")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Issue", "IssueConflict"], results
    issue.refresh_from_db()
    events = list(IssueEvent.objects.filter(issue=issue).values_list("action", flat=True).order_by("id"))
    assert issue.version == version + 1
    if isinstance(results["resolve"], Issue):
        assert (issue.status, events[-1], issue.assignments.count()) == ("resolved", "resolve", 0)
    else:
        assert (issue.status, events[-1], issue.assignments.count()) == ("whistled", "whistle", 1)
    assert events[:4] == ["raise", "escalate", "escalate", "escalate"] and len(events) == 5  # one action only
