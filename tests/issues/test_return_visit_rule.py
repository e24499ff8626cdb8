"""The return-visit rule lives in the service (issue_feedback_record), so the API and the page both keep it:
the contact recorded as 回访 is the raiser's own, with the issue's household, and not the visit that found it."""

import datetime

import pytest
from django.utils import timezone

from issues.enums import IssueStatus
from issues.models import IssueFeedback
from issues.services import IssueError, issue_feedback_record, issue_resolve
from visits.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(town, raise_issue, contact_for):
    """An issue member_a raised from a visit to ha1 (escalated to the grid), resolved by the grid head."""
    found = contact_for("member_a", town.ha1)
    issue = raise_issue(contact=found, escalate_reason="现场无法解决")
    issue = issue_resolve(
        user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, result="已修"
    )
    return issue, found


def _feedback(client, issue, contact_id):
    return client.post(
        f"/api/issues/{issue.pk}/feedback/",
        {"version": issue.version, "satisfaction": "satisfied", "note": "", "contact": contact_id},
        content_type="application/json",
    )


def test_the_api_refuses_the_visit_that_found_the_problem(town, login, resolved):
    issue, found = resolved
    response = _feedback(login(town.user("member_a")), issue, found.pk)
    assert response.status_code == 400, response.json()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED and not IssueFeedback.objects.filter(issue=issue).exists()


def test_the_api_refuses_a_contact_with_another_household(town, login, resolved):
    issue, _found = resolved
    elsewhere = Contact.objects.create(
        member=town.members["member_a"],
        kind="home_visit",
        occurred_at=timezone.now() - datetime.timedelta(minutes=1),
        household=town.ha2,
        path=town.ha2.path,
    )
    response = _feedback(login(town.user("member_a")), issue, elsewhere.pk)
    assert response.status_code == 400, response.json()
    assert not IssueFeedback.objects.filter(issue=issue).exists()


def test_the_api_takes_a_return_visit_to_the_same_household(town, login, resolved, contact_for):
    issue, _found = resolved
    again = contact_for("member_a", town.ha1, summary="回访:已修好")
    response = _feedback(login(town.user("member_a")), issue, again.pk)
    assert response.status_code == 200, response.json()
    assert IssueFeedback.objects.get(issue=issue).contact == again
    assert response.json()["status"] == IssueStatus.CLOSED


def test_the_service_refuses_directly_too(town, resolved):
    issue, found = resolved
    with pytest.raises(IssueError):
        issue_feedback_record(
            user=town.user("member_a"),
            issue_id=issue.pk,
            version=issue.version,
            satisfaction="satisfied",
            contact=found,
        )
