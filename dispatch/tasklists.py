"""每月一走访工作任务清单: on the 1st, each member with current links gets what the month asks of them.

For every current link: the target, each quota rule that applies (kinds, how many, per which period, and
how many the current period already holds), and which rules ended last period unmet (overdue). Periods are
Asia/Shanghai calendar periods (visits.periods), so a contact at 00:30 on the 1st counts in the new month.

Queries: rules (1), existing lists (1), links with every figure annotated, streamed in chunks (1 + chunks),
then per batch of 500 members one insert for the lists and a constant handful for the notifications.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from itertools import groupby

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import CATEGORY_FIELDS
from members.enums import LinkType
from members.models import Link
from notifications.enums import NotificationKind
from notifications.services import Draft, notifications_send
from visits.enums import Period
from visits.periods import period_bounds, previous_bounds
from visits.selectors import annotate_compliance, rule_groups

from .models import MonthlyTaskList
from .periods import JobPeriod

BATCH = 500


class _Labels:
    """Translated labels and period bounds, computed once per run (not once per link: gettext is slow)."""

    def __init__(self, groups, on):
        self.groups = []
        for group in groups:
            start, end = period_bounds(group.period, on)
            prev_start, prev_end = previous_bounds(group.period, on)
            per_type = {lt: "/".join(rule.kind_labels) for lt, rule in group.rules.items()}
            self.groups.append(
                (group, per_type, str(Period(group.period).label), start, end, prev_start, prev_end)
            )
        self.link_types = {lt: str(label) for lt, label in LinkType.choices}
        self.categories = {field: str(cat.label) for cat, field in CATEGORY_FIELDS.items()}
        self.ordinary = str(_("普通户"))


def _item(link: dict, labels: _Labels) -> dict:
    """One row of the list from a link's values (plain dicts: building model instances cost a third of the run)."""
    requirements, overdue = [], []
    for group, per_type, period_label, start, end, prev_start, prev_end in labels.groups:
        label = per_type.get(link["link_type"])
        if label is None:
            continue
        required = link[f"{group.key}_req"]
        done = link[f"{group.key}_done"]
        previous = link[f"{group.key}_prev"]
        requirements.append(
            {
                "kinds": list(group.kinds),
                "label": label,
                "period": group.period,
                "period_label": period_label,
                "count": required,
                "done": done,
                "remaining": max(required - done, 0),
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
            }
        )
        # Judged on the period that just ended (not on today's status): a contact at 00:30 on the 1st counts
        # for the new month and does not undo last month's debt. Partial periods never make a link overdue.
        held_all_of_it = link["start_date"] <= prev_start and (
            link["end_date"] is None or link["end_date"] >= prev_end - datetime.timedelta(days=1)
        )
        if held_all_of_it and previous < required:
            overdue.append(f"{period_label}{label}")
    if link["household_id"]:
        target = f"{link['household__head_name']}({link['household__code']})"
        place = link["household__grid__name"]
        categories = [name for field, name in labels.categories.items() if link[f"household__{field}"]]
        categories = categories or [labels.ordinary]
        target_kind = "household"
    else:
        target = link["place__name"] or link["migrant__name"] or ""
        place = ""
        categories = []
        target_kind = "place" if link["place_id"] else "migrant"
    return {
        "link_id": link["id"],
        "link_type": link["link_type"],
        "link_type_label": labels.link_types[link["link_type"]],
        "target_kind": target_kind,
        "target": target,
        "place": place,
        "categories": categories,
        "requirements": requirements,
        "overdue_last_month": overdue,
    }


def _totals(items: list[dict]) -> dict:
    return {
        "targets": len(items),
        "contacts": sum(r["remaining"] for item in items for r in item["requirements"]),
        "overdue_last_month": sum(1 for item in items if item["overdue_last_month"]),
    }


def _current_links(on, town=None):
    from .jobs import place_q

    return (
        Link.objects.current(on)
        .filter(member__is_exempt=False)
        .filter(Q(household__isnull=False) | Q(place__isnull=False) | Q(migrant__isnull=False))
        .filter(place_q(town, "member__path"))  # a member's list is made by the run of their home town
    )


def _links(on, groups, town=None) -> Iterator[dict]:
    links = _current_links(on, town)
    fields = [
        "id",
        "member_id",
        "member__path",
        "link_type",
        "start_date",
        "end_date",
        "household_id",
        "household__head_name",
        "household__code",
        "household__grid__name",
        "place_id",
        "place__name",
        "migrant__name",
        *(f"household__{f}" for f in CATEGORY_FIELDS.values()),
        *(f"{g.key}_{x}" for g in groups for x in ("req", "done", "prev")),
    ]
    return (
        annotate_compliance(links, on=on, groups=groups, detail=True)
        .order_by("member_id", "link_type", "path", "id")
        .values(*fields)
        .iterator(chunk_size=2000)
    )


def task_lists_generate(*, period: JobPeriod, town=None, progress=None) -> dict:
    """Store one MonthlyTaskList per member with current links (skipping existing ones) and notify them.

    `town`: only members whose home lies in it (a city place: the city's members outside every town; None:
    everyone). Idempotent and resumable: (member, month) is unique in the database, members who already
    have the month's list are skipped, and the notification is keyed by the month. `progress` hears the
    number of members, then members done after each batch. Returns counts: created, skipped, notified, items.
    """
    from .jobs import place_q

    month = period.start
    on = month  # status as of the 1st: what last month left overdue, what this month asks
    groups = rule_groups()
    labels = _Labels(groups, on)
    if progress is not None:
        progress.total(_current_links(on, town).values("member_id").distinct().count())
    existing = set(
        MonthlyTaskList.objects.filter(place_q(town, "member__path"), month=month).values_list(
            "member_id", flat=True
        )
    )
    counts = {"created": 0, "skipped": 0, "notified": 0, "items": 0}
    batch: list[MonthlyTaskList] = []

    def flush():
        if not batch:
            return
        with transaction.atomic():
            created = MonthlyTaskList.objects.bulk_create(batch, batch_size=BATCH)
            title = _("%(month)s 走访任务清单已生成") % {"month": f"{month:%Y年%m月}"}
            drafts = [
                Draft(
                    recipient_id=t.member_id,
                    kind=NotificationKind.TASK_LIST,
                    period_key=f"{month:%Y-%m}",
                    title=title,
                    body=_("联系对象 %(n)s 个,本期尚需联系 %(c)s 次,上月逾期 %(o)s 个。")
                    % {
                        "n": t.totals["targets"],
                        "c": t.totals["contacts"],
                        "o": t.totals["overdue_last_month"],
                    },
                    link=reverse("dispatch:task-list", args=[t.pk]),
                )
                for t in created
            ]
            counts["notified"] += len(notifications_send(drafts=drafts))
        counts["created"] += len(batch)
        batch.clear()
        if progress is not None:
            progress.advance(counts["created"] + counts["skipped"])

    now = timezone.now()
    for member_id, links in groupby(_links(on, groups, town), key=lambda link: link["member_id"]):
        links = list(links)
        if member_id in existing:
            counts["skipped"] += 1
            continue
        items = [_item(link, labels) for link in links]
        counts["items"] += len(items)
        batch.append(
            MonthlyTaskList(
                member_id=member_id,
                month=month,
                path=links[0]["member__path"],
                generated_at=now,
                items=items,
                totals=_totals(items),
            )
        )
        if len(batch) >= BATCH:
            flush()
    flush()
    if progress is not None:
        progress.advance(counts["created"] + counts["skipped"])
    return counts
