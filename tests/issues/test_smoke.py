from issues.enums import IssueLevel, IssueStatus
from issues.services import issue_escalate


def test_smoke(town, raise_issue, login):
    issue = raise_issue(escalate_reason="现场无法解决")
    assert (issue.level, issue.status, issue.version) == (IssueLevel.GRID, IssueStatus.OPEN, 2)
    issue = issue_escalate(user=town.user("grid_head_a1"), issue_id=issue.pk, version=2, reason="需村里协调")
    assert issue.level == IssueLevel.VILLAGE
    c = login(town.user("officer_a"))
    r = c.get(f"/issues/{issue.pk}/")
    assert r.status_code == 200, r.content[:2000]
    for url in ["/issues/", "/issues/queue/village/", "/issues/raise/"]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
