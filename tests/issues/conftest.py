import pytest

from issues.models import IssueCategory
from issues.services import issue_raise


@pytest.fixture
def category(db):
    return IssueCategory.objects.get(name="基础设施")


@pytest.fixture
def raise_issue(town, category):
    """raise_issue(persona="member_a", household=ha1, **kwargs) → a new issue raised by that persona."""

    def _raise(persona="member_a", household=None, place=None, **kwargs):
        if household is None and place is None:
            household = town.ha1
        kwargs.setdefault("description", "村道塌方,需要修复")
        return issue_raise(
            user=town.user(persona), category=category, household=household, place=place, **kwargs
        )

    return _raise
