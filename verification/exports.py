"""回访核实台账: the month's calls and their outcomes, through the shared ledger writer (phones masked)."""

from __future__ import annotations

import datetime
from typing import IO

from django.utils.translation import gettext as _

from grids.ledger import Column, Sheet, write_ledger
from grids.validators import mask_phone


def calls_ledger(calls, month: datetime.date, out: IO[bytes] | str) -> dict[str, int]:
    columns = [
        Column(_("被核实村"), 12),
        Column(_("户主"), 10),
        Column(_("联系电话"), 14),
        Column(_("联户人员"), 10),
        Column(_("走访方式"), 10),
        Column(_("走访时间"), 17, "datetime"),
        Column(_("有异常信号"), 8),
        Column(_("回访人"), 10),
        Column(_("回访时间"), 17, "datetime"),
        Column(_("结果"), 16),
        Column(_("说明"), 30),
    ]

    def rows():
        for call in (
            calls.select_related("village", "household", "contact__member", "called_by__member")
            .order_by("village__path", "id")
            .iterator(chunk_size=500)
        ):
            caller = getattr(call.called_by, "member", None) if call.called_by_id else None
            yield [
                call.village.name,
                call.household.head_name if call.household_id else "",
                mask_phone(call.household.phone) if call.household_id else "",
                call.contact.member.name,
                call.contact.get_kind_display(),
                call.contact.occurred_at,
                _("是") if call.flagged else _("否"),
                (caller.name if caller else (call.called_by.get_username() if call.called_by_id else "")),
                call.called_at,
                call.get_outcome_display(),
                call.note,
            ]

    caption = _("回访核实台账(%(month)s)") % {"month": f"{month:%Y-%m}"}
    return write_ledger([Sheet(_("回访核实"), columns, rows(), caption=caption)], out)
