"""Finding 2 (issue 11): every write checks write scope or the member's own links, in the service.

Each write action of the API (contacts, issues and every issue action, assignments, dispatch orders, award
rounds) and the pages that write without an API counterpart is tried by the wrong personas: the read-only
discipline commission, a town leader (where the action is not theirs), another village's officer, another
member and the anonymous visitor. Each must be refused (API: 401/403/404; 400 only where the target is named
in the body and lies outside what the caller can see) and nothing may be saved. The right persona is tried
too, so a test cannot pass because the action is broken for everyone.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dispatch.models import DispatchOrder, OrderRecipient
from dispatch.periods import today
from dispatch.services import order_issue
from issues.models import Issue, IssueCategory, IssueEvent, IssueFeedback, WhistleAssignment
from issues.services import (
    assignment_reply,
    issue_escalate,
    issue_raise,
    issue_resolve,
    issue_whistle,
)
from rewards.models import AwardRound, Nomination
from rewards.services import round_create
from visits.enums import ContactKind
from visits.models import Contact, ContactRevision
from visits.services import contact_record

ANONYMOUS = "anonymous"
# The body names a target the caller cannot see: the API says "对象不存在或不在您的范围内" with a 400.
OUT_OF_SIGHT = {400}
REFUSED = {403, 404}
ANON = {401, 403}


def _fingerprint():
    """Everything a write could change, as comparable values."""
    return (
        list(Contact.objects.order_by("pk").values_list("pk", "kind", "occurred_at", "summary")),
        ContactRevision.objects.count(),
        list(
            Issue.objects.order_by("pk").values_list("pk", "level", "status", "version", "deadline", "result")
        ),
        list(Issue.objects.order_by("pk").values_list("last_supervision_note", "satisfaction")),
        IssueEvent.objects.count(),
        IssueFeedback.objects.count(),
        list(
            WhistleAssignment.objects.order_by("pk").values_list(
                "pk", "status", "version", "result", "reason"
            )
        ),
        DispatchOrder.objects.count(),
        list(OrderRecipient.objects.order_by("pk").values_list("pk", "status", "report")),
        list(AwardRound.objects.order_by("pk").values_list("pk", "status")),
        Nomination.objects.count(),
    )


def _client(town, persona) -> Client:
    client = Client()
    if persona != ANONYMOUS:
        client.force_login(town.user(persona))
    return client


def _category():
    return IssueCategory.objects.get(name="基础设施")


def _now():
    return timezone.now() - datetime.timedelta(minutes=30)


def _raise(town, **kwargs):
    return issue_raise(
        user=town.user("member_a"), category=_category(), household=town.ha1, description="路灯坏了", **kwargs
    )


def _at_grid(town):
    return _raise(town, escalate_reason="现场无法解决")


def _at_centre(town):
    issue = _at_grid(town)
    issue = issue_escalate(
        user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, reason="r"
    )
    return issue_escalate(user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, reason="r")


def _whistled(town):
    issue = _at_centre(town)
    return issue_whistle(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=issue.version,
        departments=[town.department],
        kind="routine",
    )


def _in_review(town):
    issue = _whistled(town)
    assignment = issue.assignments.get()
    assignment_reply(
        user=town.user("handler"), assignment_id=assignment.pk, version=assignment.version, result="ok"
    )
    return Issue.objects.get(pk=issue.pk), assignment


def _resolved(town):
    issue = _raise(town)
    return issue_resolve(
        user=town.user("member_a"), issue_id=issue.pk, version=issue.version, result="已修好"
    )


def _order(town):
    return order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="排查",
        task="排查隐患",
        due_date=today() + datetime.timedelta(days=3),
        places=[town.village_b],
    )


@dataclass
class Case:
    """One write: `make(town)` builds the state and returns (method, url, body); who is right and wrong."""

    make: Callable
    right: str
    wrong: dict  # persona → the refusal codes allowed
    created: int = 0  # status of the right persona's success (0: 200)


def _contact(kind: str, duty: str, target: Callable) -> Callable:
    """A new contact of `kind` through the API; `target(town)` names what it reached."""

    def make(town):
        body = {
            "client_id": str(uuid.uuid4()),
            "kind": kind,
            "occurred_at": _now().isoformat(),
            **target(town),
            "duties": [duty],
        }
        return "post", "/api/contacts/", body

    return make


_contact_home = _contact("home_visit", "policy", lambda town: {"household": town.ha1.pk})
_contact_yard = _contact("yard_meeting", "opinion", lambda town: {"households": [town.ha1.pk, town.ha2.pk]})
_contact_place = _contact("grid_sinkdown", "supervision", lambda town: {"place": town.grid_a1.pk})


def _contact_patch(town):
    contact = contact_record(
        user=town.user("member_a"),
        kind=ContactKind.HOME_VISIT,
        occurred_at=_now(),
        duties=["policy"],
        household=town.ha1,
        client_id=uuid.uuid4(),
    )
    return "patch", f"/api/contacts/{contact.pk}/", {"summary": "改过"}


def _issue_raise(town):
    return "post", "/api/issues/", {"household": town.ha1.pk, "category": _category().pk, "description": "x"}


def _escalate(town):
    issue = _raise(town)
    return "post", f"/api/issues/{issue.pk}/escalate/", {"version": issue.version, "reason": "上报"}


def _resolve_at_grid(town):
    issue = _at_grid(town)
    return "post", f"/api/issues/{issue.pk}/resolve/", {"version": issue.version, "result": "已办"}


def _whistle(town):
    issue = _at_centre(town)
    body = {"version": issue.version, "departments": [town.department.pk], "kind": "routine"}
    return "post", f"/api/issues/{issue.pk}/whistle/", body


def _return(town):
    issue, assignment = _in_review(town)
    body = {"version": issue.version, "assignment": assignment.pk, "reason": "不满意"}
    return "post", f"/api/issues/{issue.pk}/return/", body


def _supervise(town):
    issue = _at_grid(town)
    deadline = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    return "post", f"/api/issues/{issue.pk}/supervise/", {"note": "限期", "deadline": deadline}


def _feedback(town):
    issue = _resolved(town)
    return (
        "post",
        f"/api/issues/{issue.pk}/feedback/",
        {"version": issue.version, "satisfaction": "satisfied"},
    )


def _assignment(action, **body):
    def make(town):
        assignment = _whistled(town).assignments.get()
        return (
            "post",
            f"/api/issue-assignments/{assignment.pk}/{action}/",
            {"version": assignment.version, **body},
        )

    return make


def _order_action(action, **body):
    def make(town):
        return "post", f"/api/dispatch-orders/{_order(town).pk}/{action}/", body

    return make


def _round_transition(town):
    round_ = round_create(user=town.user("town_staff"), town=town.town, year=2026, half="mid")
    return "post", reverse("award-round-transition", args=[round_.pk]), {"action": "open"}


def _refused(*personas: str) -> dict:
    """Each persona refused (403/404), and the anonymous visitor (401/403)."""
    return {**{persona: REFUSED for persona in personas}, ANONYMOUS: ANON}


# Creating something in the town: the read-only commission gets a 403; another village's officer and
# another member name a target they cannot see (400).
CREATE_IN_TOWN = {"discipline": {403}, "officer_b": OUT_OF_SIGHT, "member_b": OUT_OF_SIGHT, ANONYMOUS: ANON}
# Acting on what one raised or recorded oneself.
NOT_MINE = _refused("discipline", "leader", "grid_head_a1", "officer_b", "member_b")
# Acting as the department a whistle went to.
NOT_MY_DEPARTMENT = _refused("discipline", "leader", "town_staff", "other_handler", "officer_b", "member_b")
# Acting as the village an order went to.
NOT_MY_VILLAGE = _refused("discipline", "leader", "officer_a", "member_b")

# Wrong personas per action. The leader (领导小组, town staff) acts as the town centre by design, so it is
# wrong only where the action belongs to someone else (the author, the raiser, a grid head, a department,
# a recipient).
# (name, make, right persona, wrong personas, status of the right persona's success: 0 for 200)
TABLE = [
    ("contact-home-visit", _contact_home, "member_a", CREATE_IN_TOWN, 201),
    ("contact-yard-meeting", _contact_yard, "grid_head_a1", CREATE_IN_TOWN, 201),
    ("contact-grid-sinkdown", _contact_place, "grid_head_a1", CREATE_IN_TOWN, 201),
    ("contact-update", _contact_patch, "member_a", NOT_MINE, 0),
    ("issue-raise", _issue_raise, "member_a", CREATE_IN_TOWN, 201),
    ("issue-escalate", _escalate, "member_a", NOT_MINE, 0),
    (
        "issue-resolve",
        _resolve_at_grid,
        "grid_head_a1",
        _refused("discipline", "leader", "officer_a", "officer_b", "member_b"),
        0,
    ),
    (
        "issue-whistle",
        _whistle,
        "town_staff",
        _refused("discipline", "officer_a", "officer_b", "member_b"),
        0,
    ),
    (
        "issue-return",
        _return,
        "town_staff",
        _refused("discipline", "handler", "officer_a", "officer_b", "member_b"),
        0,
    ),
    (
        "issue-supervise",
        _supervise,
        "discipline",  # 督办 is the discipline commission's own duty (docs/domain.md#supervision, 交办督查制)
        _refused("member_a", "grid_head_a1", "officer_b", "member_b"),
        0,
    ),
    ("issue-feedback", _feedback, "member_a", NOT_MINE, 0),
    ("assignment-accept", _assignment("accept"), "handler", NOT_MY_DEPARTMENT, 0),
    ("assignment-reply", _assignment("reply", result="已办"), "handler", NOT_MY_DEPARTMENT, 0),
    ("assignment-send-back", _assignment("send-back", reason="非本部门"), "handler", NOT_MY_DEPARTMENT, 0),
    ("order-acknowledge", _order_action("acknowledge"), "officer_b", NOT_MY_VILLAGE, 0),
    ("order-done", _order_action("done", report="已排查"), "officer_b", NOT_MY_VILLAGE, 0),
    (
        "award-round-open",
        _round_transition,
        "town_staff",
        _refused("discipline", "officer_b", "member_b"),
        0,
    ),
]
CASES = {name: Case(make, right, wrong, created) for name, make, right, wrong, created in TABLE}

WRONG = [(name, persona) for name, case in CASES.items() for persona in case.wrong]


def _send(client, method, url, body):
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize(("name", "persona"), WRONG, ids=[f"{n}-{p}" for n, p in WRONG])
def test_wrong_persona_is_refused_and_nothing_is_saved(town, name, persona):
    case = CASES[name]
    method, url, body = case.make(town)
    before = _fingerprint()
    response = _send(_client(town, persona), method, url, body)
    assert response.status_code in case.wrong[persona], (response.status_code, response.content[:300])
    assert _fingerprint() == before


@pytest.mark.parametrize("name", list(CASES))
def test_right_persona_succeeds(town, name):
    case = CASES[name]
    method, url, body = case.make(town)
    before = _fingerprint()
    response = _send(_client(town, case.right), method, url, body)
    assert response.status_code == (case.created or 200), response.content[:300]
    assert _fingerprint() != before


def test_discipline_write_refusal_says_read_only(town):
    """The message of the 403 is the clear Chinese one (with an English gloss)."""
    method, url, body = _contact_yard(town)
    response = _send(_client(town, "discipline"), method, url, body)
    assert response.status_code == 403
    assert "您只有查看权限" in response.json()["detail"]


# --- pages: the same services, so the same refusals -----------------------------------------------------


def test_record_page_is_refused_to_the_discipline_commission(town):
    client = _client(town, "discipline")
    url = reverse("visits:household-record", args=[town.ha1.pk])
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {
            "client_id": str(uuid.uuid4()),
            "kind": "home_visit",
            "occurred_at": _now().strftime("%Y-%m-%dT%H:%M"),
            "duties": ["policy"],
        },
    )
    assert response.status_code == 403
    assert not Contact.objects.exists()
    page = client.get(reverse("visits:household", args=[town.ha1.pk]))
    assert page.status_code == 200 and url not in page.content.decode()  # no "record" button offered


def test_raise_page_offers_and_accepts_no_household_to_the_discipline_commission(town):
    client = _client(town, "discipline")
    response = client.post(
        reverse("issues:raise"),
        {
            "household": town.ha1.pk,
            "kind": "demand",
            "category": _category().pk,
            "urgency": "normal",
            "description": "x",
            "outcome": "escalate",
            "note": "y",
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["form"].errors
    response = client.post(
        reverse("issues:raise"),
        {
            "household_code": town.ha1.code,
            "kind": "demand",
            "category": _category().pk,
            "urgency": "normal",
            "description": "x",
            "outcome": "escalate",
            "note": "y",
        },
    )
    assert response.status_code == 200 and "household_code" in response.context["form"].errors
    assert not Issue.objects.exists()


def test_issue_action_pages_refuse_the_discipline_commission(town):
    issue = _at_grid(town)
    before = _fingerprint()
    client = _client(town, "discipline")
    client.post(reverse("issues:resolve", args=[issue.pk]), {"version": issue.version, "result": "x"})
    client.post(reverse("issues:escalate", args=[issue.pk]), {"version": issue.version, "reason": "x"})
    assert _fingerprint() == before


@pytest.mark.parametrize("persona", ["discipline", "officer_b", "member_b"])
def test_order_issue_page_is_town_staff_only(town, persona):
    client = _client(town, persona)
    response = client.post(
        reverse("dispatch:order-new"),
        {
            "title": "t",
            "task": "t",
            "due_date": (today() + datetime.timedelta(days=3)).isoformat(),
            "villages": [town.village_b.pk],
        },
    )
    assert response.status_code == 403
    assert not DispatchOrder.objects.exists()


@pytest.mark.parametrize("persona", ["discipline", "officer_b"])
def test_admin_add_is_refused(town, persona):
    client = _client(town, persona)
    for name in ("visits_contact", "issues_issue"):
        assert client.get(reverse(f"admin:{name}_add")).status_code == 403


def test_centre_rights_come_from_the_write_scope_not_from_seeing_a_town(town):
    """A centre clerk of one town who is also on another town's discipline commission acts only in the first."""
    from grids.enums import PlaceKind
    from members.access import scope_for
    from members.enums import PositionKind

    from ..factories import PlaceFactory, PositionFactory

    other_town = PlaceFactory(kind=PlaceKind.TOWN, name="另一镇", code="T02", parent=town.city)
    clerk = town.members["discipline"]
    PositionFactory(
        member=clerk, kind=PositionKind.CENTRE_STAFF, place=other_town, start_date=datetime.date(2020, 1, 1)
    )
    user = town.user("discipline")
    assert scope_for(user).is_town_staff
    method, url, body = _whistle(town)
    before = _fingerprint()
    response = _send(_client(town, "discipline"), method, url, body)
    assert response.status_code == 403
    assert _fingerprint() == before


@pytest.mark.parametrize("persona", ["discipline", "officer_a", "member_b"])
def test_running_a_job_by_hand_is_town_staff_only_in_the_service(town, persona):
    from django.core.exceptions import PermissionDenied

    from dispatch.jobs import job_run_by_hand
    from dispatch.models import JobRun

    with pytest.raises(PermissionDenied):
        job_run_by_hand(job="task_lists", period_key=f"{today():%Y-%m}", user=town.user(persona))
    response = _client(town, persona).post(
        reverse("dispatch:jobs"), {"job": "task_lists", "period": f"{today():%Y-%m}"}
    )
    assert response.status_code == 403
    assert not JobRun.objects.exists()
