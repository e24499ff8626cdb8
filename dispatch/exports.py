"""Excel export of a monthly task list, through the shared ledger writer (grids.ledger)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from grids.ledger import Column, Printed, Sheet, write_ledger

from .models import MonthlyTaskList


def task_list_rows(task_list: MonthlyTaskList) -> Iterator[list]:
    for item in task_list.items:
        requirements = "；".join(
            f"{r['period_label']}{r['label']} {r['count']}次(本期已{r['done']}次)"
            for r in item["requirements"]
        )
        yield [
            item["link_type_label"],
            item["target"],
            item.get("place", ""),
            "、".join(item.get("categories", [])),
            requirements,
            "、".join(item.get("overdue_last_month", [])),
            "",
        ]


def task_list_write_xlsx(
    *, task_list: MonthlyTaskList, out: IO[bytes], printed: Printed | None = None
) -> dict[str, int]:
    member = task_list.member
    sheet = Sheet(
        title=_("任务清单"),
        caption=_("%(month)s 每月一走访工作任务清单 · %(name)s")
        % {"month": f"{task_list.month:%Y年%m月}", "name": member.name},
        columns=[
            Column(_("联系类型"), 16),
            Column(_("联系对象"), 30),
            Column(_("所在地"), 20),
            Column(_("类别"), 12),
            Column(_("本月要求"), 36),
            Column(_("上月逾期"), 20),
            Column(_("完成情况(手填)"), 20),
        ],
        rows=task_list_rows(task_list),
    )
    return write_ledger([sheet], out, printed=printed)
