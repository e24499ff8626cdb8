"""demo_activity: months of contacts, issues and dispatch orders on the small demo town."""

import datetime
import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from dispatch.enums import RecipientStatus
from dispatch.models import DispatchOrder, OrderRecipient
from issues.enums import IssueAction
from issues.models import Issue, IssueEvent
from members.enums import LinkType
from members.models import Link
from visits.models import Contact, ContactHousehold, ContactRevision, LinkTally
from visits.periods import local_date
from visits.selectors import compliance_summary
from visits.tallies import tallies_check, tallies_rebuild

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("demo_activity", *args, stdout=out)
    return out.getvalue()


def _tallies() -> set[tuple]:
    return set(
        LinkTally.objects.values_list(
            "link_id", "period", "start", "home_visit", "online", "grid_sinkdown", "onsite", "yard_meeting"
        )
    )


def test_demo_activity_fills_the_small_town():
    call_command("demo_town", size="small", seed=11, stdout=io.StringIO())
    today = timezone.localdate()
    # Two household links that began "recently": the command moves them back to the window's start.
    recent = list(
        Link.objects.filter(link_type=LinkType.PARTY_HOUSEHOLD)
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    Link.objects.filter(pk__in=recent).update(start_date=today - datetime.timedelta(days=3))

    output = _run("--seed", "5", "--months", "4")
    now = timezone.now()

    assert "demo activity" in output
    assert "password" not in output.lower().replace("no password", "")
    window_start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    for _i in range(2):
        window_start = (window_start - datetime.timedelta(days=1)).replace(day=1)
    assert set(Link.objects.filter(pk__in=recent).values_list("start_date", flat=True)) == {window_start}

    # Contacts: never in the future, never before the window or the start of the link they count for.
    contacts = Contact.objects.count()
    assert contacts > 1000
    assert not Contact.objects.filter(occurred_at__gt=now).exists()
    for occurred_at, start in ContactHousehold.objects.filter(link__isnull=False).values_list(
        "occurred_at", "link__start_date"
    ):
        assert local_date(occurred_at) >= max(start, window_start)
    for occurred_at, start in Contact.objects.filter(link__isnull=False).values_list(
        "occurred_at", "link__start_date"
    ):
        assert local_date(occurred_at) >= max(start, window_start)
    kinds = dict(Contact.objects.values_list("kind").annotate(n=Count("id")))
    assert set(kinds) == {"home_visit", "online", "grid_sinkdown", "onsite", "yard_meeting"}
    # Every contact serves at least one duty, has a summary, and a "create" revision; counting rows as
    # contact_record writes them (one per household reached, the member and kind copied).
    assert not Contact.objects.filter(
        duty_policy=False, duty_opinion=False, duty_demands=False, duty_disputes=False, duty_supervision=False
    ).exists()
    assert not Contact.objects.filter(summary="").exists()
    assert ContactRevision.objects.filter(action="create").count() == contacts
    household_contacts = Contact.objects.filter(kind__in=["home_visit", "online"])
    assert ContactHousehold.objects.filter(contact__kind__in=["home_visit", "online"]).count() == (
        household_contacts.count()
    )
    assert not ContactHousehold.objects.exclude(member_id=F("contact__member_id")).exists()
    assert not ContactHousehold.objects.exclude(kind=F("contact__kind")).exists()
    assert not ContactHousehold.objects.exclude(occurred_at=F("contact__occurred_at")).exists()
    assert not ContactHousehold.objects.filter(kind__in=["home_visit", "online"], link__isnull=True).exists()
    yard = Contact.objects.filter(kind="yard_meeting").annotate(n=Count("reached"))
    assert yard.exists() and all(c.n >= 3 for c in yard)
    # The tallies match a fresh recount (bulk rows, then return visits through the service's signals).
    assert tallies_check() == {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}
    kept = _tallies()
    tallies_rebuild()
    assert _tallies() == kept

    # Compliance through the visits selectors: done, due and overdue are all present, done the largest.
    centre = get_user_model().objects.get(username="centre")
    totals = compliance_summary(user=centre)["totals"]
    assert totals["done"] > 0 and totals["due"] > 0 and totals["overdue"] > 0
    assert totals["done"] > totals["due"] + totals["overdue"]

    # Issues went through the services: several levels and statuses, every one with its events.
    assert Issue.objects.count() >= 30
    assert Issue.objects.values("level").distinct().count() >= 3
    assert Issue.objects.values("status").distinct().count() >= 3
    assert not Issue.objects.filter(events__isnull=True).exists()
    actions = Counter(IssueEvent.objects.values_list("action", flat=True))
    assert actions[IssueAction.RAISE] == Issue.objects.count()
    assert actions[IssueAction.ESCALATE] > 0 and actions[IssueAction.RESOLVE] > 0
    assert actions[IssueAction.FEEDBACK] > 0 and actions[IssueAction.WHISTLE] > 0
    assert not Issue.objects.filter(raised_at__gt=now).exists()
    assert not Issue.objects.exclude(contact__found_problem=True).exists()

    # Dispatch orders with some recipients acknowledged or done.
    assert DispatchOrder.objects.count() >= 2
    # Shares, not chance: every order has a done row, whatever the date and hour did to the random stream.
    for order in DispatchOrder.objects.all():
        assert order.recipients.filter(status=RecipientStatus.DONE).exists(), order.title
    statuses = set(OrderRecipient.objects.values_list("status", flat=True))
    assert statuses & {RecipientStatus.ACKNOWLEDGED, RecipientStatus.PENDING}

    # The printed demo logins find work waiting: the grid head at the grid, the officer at the village.
    from config.todo import todo_rows

    def waiting(username, label):
        rows = todo_rows(get_user_model().objects.get(username=username))
        return next(row["count"] for row in rows if row["label"] == label)

    assert waiting("gridhead", "网格待办") >= 1
    assert waiting("officer", "村(社区)待办") >= 1

    # This month's task lists exist for every member with current links (one JobRun), notices delivered.
    from dispatch.models import JobRun, MonthlyTaskList
    from notifications.enums import DeliveryStatus
    from notifications.models import Delivery

    month = today.replace(day=1)
    linked = set(Link.objects.current(today).values_list("member_id", flat=True))
    assert set(MonthlyTaskList.objects.filter(month=month).values_list("member_id", flat=True)) == linked
    assert JobRun.objects.filter(job="task_lists", period_key=f"{month:%Y-%m}", status="done").count() == 1
    assert not Delivery.objects.filter(notification__kind="task_list", status=DeliveryStatus.QUEUED).exists()
    assert f"task lists       {len(linked)} for {month:%Y-%m}" in output

    # --if-empty: nothing more; without it, a clear refusal.
    counts = (Contact.objects.count(), Issue.objects.count(), IssueEvent.objects.count())
    assert "skipped" in _run("--if-empty")
    assert (Contact.objects.count(), Issue.objects.count(), IssueEvent.objects.count()) == counts
    assert DispatchOrder.objects.count() == 3
    with pytest.raises(CommandError):
        _run()


def test_demo_activity_needs_the_demo_town():
    with pytest.raises(CommandError, match="demo_town"):
        _run()
    with pytest.raises(CommandError, match="months"):
        _run("--months", "0")
    assert "skipped" in _run("--if-empty")  # dev.py serve on a database without the demo town
    assert not Contact.objects.exists()
