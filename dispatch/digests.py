"""Digests: weekly overdue visits, 旬调度 for the centre, issue deadlines. One message per person per period.

Who is behind is decided by visits.selectors.annotate_compliance (a link is overdue when a rule's
previous period ended unmet); everything is fetched in a constant number of grouped queries and grouped per
recipient in Python, then written with notifications_send (unique per recipient, kind and period).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from issues.access import LEVEL_POSTS
from issues.deadlines import end_of_local_day, start_of_local_day
from issues.enums import ACTIVE_STATUSES, OPEN_ASSIGNMENT_STATUSES, IssueLevel
from issues.models import Issue, WhistleAssignment
from members.enums import PositionKind
from members.models import Link, Position
from notifications.enums import NotificationKind
from notifications.services import Draft, notifications_send
from visits.enums import STATUS_RANK, Status
from visits.selectors import annotate_compliance, rule_groups

from .enums import SnapshotKind
from .periods import JobPeriod
from .reviews import review_snapshots_take

OVERDUE = STATUS_RANK[Status.OVERDUE]
MAX_LINES = 30


def _holders(on: datetime.date, kinds, town=None) -> list[tuple[int, str, str, int | None]]:
    """(member_id, kind, place path, department id) for current posts of `kinds` (in `town`, see jobs.place_q)."""
    from .jobs import place_q

    return list(
        Position.objects.current(on)
        .filter(place_q(town, "place__path"), kind__in=kinds)
        .values_list("member_id", "kind", "place__path", "department_id")
    )


def _lines(lines: list[str]) -> str:
    extra = len(lines) - MAX_LINES
    body = "\n".join(lines[:MAX_LINES])
    return body + (("\n" + _("……另有 %(n)s 项") % {"n": extra}) if extra > 0 else "")


def _send(drafts: list[Draft], progress=None) -> list:
    """Write the drafts (notifications_send skips what a period already holds), reporting progress."""
    if progress is not None:
        progress.total(len(drafts))
    created = notifications_send(drafts=drafts)
    if progress is not None:
        progress.advance(len(drafts))
    return created


# --- weekly overdue-visit digests --------------------------------------------------------------------


def overdue_links(on: datetime.date, town=None) -> list[dict]:
    """Current links with at least one rule overdue on `on`, exempt members excluded (one query); with a
    town, the links of members whose home is in it."""
    from .jobs import place_q

    groups = rule_groups()
    links = Link.objects.current(on).filter(place_q(town, "member__path"), member__is_exempt=False)
    return list(
        annotate_compliance(links, on=on, groups=groups)
        .filter(status_rank=OVERDUE)
        .values("member_id", "member__name", "path", "household__head_name", "household__code", "place__name")
        .order_by("path", "member__name")
    )


def _target(row: dict) -> str:
    if row["household__head_name"]:
        return f"{row['household__head_name']}({row['household__code']})"
    return row["place__name"] or ""


def overdue_digests_send(*, period: JobPeriod, town=None, progress=None) -> dict:
    """Monday: each member behind gets one digest; grid heads the members behind in their grid; village
    officers their village's summary. Keyed by the ISO week, so a re-run sends nothing twice.
    With a town: its members and its grid heads' and village officers' posts."""
    on = period.start
    rows = overdue_links(on, town)
    link = reverse("dispatch:my-task-list")
    drafts: list[Draft] = []

    by_member: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_member[row["member_id"]].append(row)
    for member_id, items in by_member.items():
        drafts.append(
            Draft(
                recipient_id=member_id,
                kind=NotificationKind.OVERDUE_DIGEST,
                period_key=period.key,
                title=_("走访逾期提醒:%(n)s 个联系对象未按期联系") % {"n": len(items)},
                body=_lines([_target(r) for r in items]),
                link=link,
            )
        )

    def behind_under(path: str) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in rows:
            if row["path"].startswith(path):
                counts[row["member__name"]] += 1
        return counts

    holders = _holders(on, [PositionKind.GRID_HEAD, PositionKind.VILLAGE_OFFICER], town)
    for member_id, kind, path, _dept in holders:
        behind = behind_under(path)
        if not behind:
            continue
        lines = [f"{name}:{n}" for name, n in sorted(behind.items(), key=lambda kv: (-kv[1], kv[0]))]
        counts = {"m": len(behind), "n": sum(behind.values())}
        if kind == PositionKind.GRID_HEAD:
            digest_kind, title = (
                NotificationKind.GRID_DIGEST,
                _("网格走访逾期汇总:%(m)s 人落后,%(n)s 个联系对象"),
            )
        else:
            digest_kind, title = (
                NotificationKind.VILLAGE_DIGEST,
                _("本村(社区)走访汇总:%(m)s 人落后,%(n)s 个联系对象逾期"),
            )
        drafts.append(
            Draft(
                recipient_id=member_id,
                kind=digest_kind,
                period_key=period.key,
                title=title % counts,
                body=_lines(lines),
                link=link,
            )
        )
    created = _send(drafts, progress)
    return {
        "created": len(created),
        "skipped": len(drafts) - len(created),
        "members_behind": len(by_member),
        "overdue_links": len(rows),
    }


# --- 旬调度 --------------------------------------------------------------------------------------------


def decade_dispatch_send(*, period: JobPeriod, town=None, progress=None) -> dict:
    """1st/11th/21st: the centre's digest (compliance by village and grid, issues, orders not done), stored
    as a 旬调度 snapshot and sent to centre staff."""
    return review_snapshots_take(kind=SnapshotKind.DECADE, period=period, town=town, progress=progress)


# --- issue deadlines ---------------------------------------------------------------------------------


def _handlers_for(
    issue: dict, holders: list, dept_handlers: dict[int, list[int]], open_depts: dict
) -> list[int]:
    """Who must act on the issue now: by level (the raiser, grid head, village officer, centre, departments)."""
    level, path = issue["level"], issue["path"]
    if level == IssueLevel.ON_SPOT:
        return [issue["raised_by_id"]]
    wanted = LEVEL_POSTS.get(level)
    if wanted:
        return [m for m, kind, p, _d in holders if kind in wanted and path.startswith(p)]
    return [m for dept in open_depts.get(issue["id"], []) for m in dept_handlers.get(dept, [])]


# Posts the deadline digests go to (department handlers are looked up city-wide, see _deadline_holders).
DEADLINE_POSTS = (
    PositionKind.GRID_HEAD,
    PositionKind.VILLAGE_OFFICER,
    PositionKind.CENTRE_STAFF,
    PositionKind.OFFICE_DIRECTOR,
    PositionKind.DISCIPLINE,
)
CENTRE_POSTS = (PositionKind.CENTRE_STAFF, PositionKind.OFFICE_DIRECTOR)


def _deadline_holders(day: datetime.date, town=None) -> tuple[list, set[int]]:
    """The posts that act on deadlines (in `town`) plus every department handler, and which of them hold no post
    in the town (city departments' handlers: their digest is keyed by town as well)."""
    holders = _holders(day, list(DEADLINE_POSTS), town) + _holders(day, [PositionKind.DEPT_HANDLER])
    outside: set[int] = set()
    if town is not None:
        local = {m for m, _kind, path, _d in holders if path.startswith(town.path)}
        outside = {m for m, _kind, path, _d in holders if not path.startswith(town.path)} - local
    return holders, outside


def _department_handlers(holders: list) -> dict[int, list[int]]:
    """department id → its handlers' member ids."""
    dept_handlers: dict[int, list[int]] = defaultdict(list)
    for member_id, kind, _path, dept in holders:
        if kind == PositionKind.DEPT_HANDLER and dept:
            dept_handlers[dept].append(member_id)
    return dept_handlers


def _issues_due(day: datetime.date, tomorrow: datetime.date, town=None) -> list[dict]:
    """Active issues (in `town`) whose deadline falls today or tomorrow."""
    from .jobs import place_q

    window = Q(deadline__gte=start_of_local_day(day), deadline__lte=end_of_local_day(tomorrow))
    return list(
        Issue.objects.filter(window, place_q(town), status__in=ACTIVE_STATUSES).values(
            "id", "level", "path", "raised_by_id", "deadline", "category__name"
        )
    )


def _open_assignments(
    issues: list[dict], day: datetime.date, tomorrow: datetime.date, town=None
) -> list[dict]:
    """Open whistles (in `town`) on those issues, overdue before `day`, or with their own deadline tomorrow."""
    from .jobs import place_q

    return list(
        WhistleAssignment.objects.filter(place_q(town, "issue__path"), status__in=OPEN_ASSIGNMENT_STATUSES)
        .filter(
            Q(issue_id__in=[i["id"] for i in issues])
            | Q(deadline__lt=start_of_local_day(day))
            | Q(deadline__gte=start_of_local_day(tomorrow), deadline__lte=end_of_local_day(tomorrow))
        )
        .values("id", "issue_id", "department_id", "department__name", "deadline", "issue__path")
    )


def _due_lines(
    issues: list[dict],
    open_assignments: list[dict],
    holders: list,
    dept_handlers: dict[int, list[int]],
    day: datetime.date,
    tomorrow: datetime.date,
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """(soon, due): per member, the issues due tomorrow they must act on (and their departments' whistles due
    tomorrow), and the issues due today the centre and the discipline commission watch."""
    open_depts: dict[int, list[int]] = defaultdict(list)
    for a in open_assignments:
        open_depts[a["issue_id"]].append(a["department_id"])

    soon: dict[int, list[str]] = defaultdict(list)
    due: dict[int, list[str]] = defaultdict(list)
    end_today = end_of_local_day(day)
    for issue in issues:
        label = f"#{issue['id']} {issue['category__name']}"
        if issue["deadline"] > end_today:  # due tomorrow: whoever must act now
            for member_id in set(_handlers_for(issue, holders, dept_handlers, open_depts)):
                soon[member_id].append(label)
        else:  # due today: the centre and the supervisor (discipline commission) of the town
            for member_id, kind, path, _d in holders:
                if kind in (
                    PositionKind.CENTRE_STAFF,
                    PositionKind.OFFICE_DIRECTOR,
                    PositionKind.DISCIPLINE,
                ) and issue["path"].startswith(path):
                    due[member_id].append(label)
    for a in open_assignments:  # a department's own deadline tomorrow
        if start_of_local_day(tomorrow) <= a["deadline"] <= end_of_local_day(tomorrow):
            for member_id in dept_handlers.get(a["department_id"], []):
                label = f"#{a['issue_id']} {a['department__name']}"
                if label not in soon[member_id]:
                    soon[member_id].append(label)
    return soon, due


def _overdue_whistle_lines(
    open_assignments: list[dict], holders: list, dept_handlers: dict[int, list[int]], day: datetime.date
) -> tuple[dict[int, list[dict]], dict[int, list[str]], dict[int, list[str]]]:
    """(overdue_by_dept, whistles, centre_lines): whistles overdue before `day` per department, listed to the
    department's handlers and counted per department for the centre above them."""
    overdue_by_dept: dict[int, list[dict]] = defaultdict(list)
    for a in open_assignments:
        if (
            a["deadline"] < start_of_local_day(day)  # overdue before the day began
        ):
            overdue_by_dept[a["department_id"]].append(a)
    whistles: dict[int, list[str]] = defaultdict(list)
    centre_lines: dict[int, list[str]] = defaultdict(list)
    for dept, items in overdue_by_dept.items():
        for member_id in dept_handlers.get(dept, []):
            whistles[member_id].extend(f"#{a['issue_id']}" for a in items)
        name = items[0]["department__name"]
        for member_id, kind, path, _d in holders:
            if kind in CENTRE_POSTS:
                mine = [a for a in items if a["issue__path"].startswith(path)]
                if mine:
                    centre_lines[member_id].append(f"{name}:{len(mine)}")
    return overdue_by_dept, whistles, centre_lines


def issue_deadlines_send(*, period: JobPeriod, town=None, progress=None) -> dict:
    """Daily: a reminder the day before a deadline to whoever must act; on the deadline day the centre and
    the discipline commission of the town; overdue whistles listed per department to its handlers and to
    the centre. One digest per person and day.

    With a town: the issues and whistles of that town. Handlers of departments outside the town (city
    departments answer every town) get that town's digest keyed by day and town, so each town's run reaches
    them once (one digest per town and day for them)."""
    day = period.start
    tomorrow = day + datetime.timedelta(days=1)
    holders, outside = _deadline_holders(day, town)

    def key_for(member_id: int, key: str) -> str:
        return f"{key}-t{town.pk}" if member_id in outside else key

    dept_handlers = _department_handlers(holders)
    issues = _issues_due(day, tomorrow, town)
    open_assignments = _open_assignments(issues, day, tomorrow, town)
    soon, due = _due_lines(issues, open_assignments, holders, dept_handlers, day, tomorrow)
    overdue_by_dept, whistles, centre_lines = _overdue_whistle_lines(
        open_assignments, holders, dept_handlers, day
    )

    link = reverse("issues:mine")
    digests = (  # (lines per member, kind, title, link, period key)
        (
            soon,
            NotificationKind.ISSUE_DUE_SOON,
            lambda n: _("明日到期:%(n)s 件诉求/问题待办理") % {"n": n},
            link,
            period.key,
        ),
        (
            due,
            NotificationKind.ISSUE_DUE,
            lambda n: _("今日到期:%(n)s 件诉求/问题") % {"n": n},
            link,
            period.key,
        ),
        (
            whistles,
            NotificationKind.ISSUE_OVERDUE,
            lambda n: _("本部门逾期吹哨:%(n)s 件") % {"n": n},
            reverse("issues:department"),
            period.key,
        ),
        (
            centre_lines,
            NotificationKind.ISSUE_OVERDUE,
            lambda n: _("逾期吹哨(按部门):%(n)s 个部门") % {"n": n},
            link,
            f"{period.key}-centre",
        ),
    )
    drafts = [
        Draft(member_id, kind, title(len(lines)), _lines(lines), to, key_for(member_id, key))
        for by_member, kind, title, to, key in digests
        for member_id, lines in by_member.items()
    ]
    created = _send(drafts, progress)
    end_today = end_of_local_day(day)
    return {
        "created": len(created),
        "skipped": len(drafts) - len(created),
        "due_tomorrow": sum(1 for i in issues if i["deadline"] > end_today),
        "due_today": sum(1 for i in issues if i["deadline"] <= end_today),
        "overdue_whistles": sum(len(v) for v in overdue_by_dept.values()),
    }
