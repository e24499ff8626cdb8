"""The payout ledger (奖金发放表) of a published round: one row per winner, a signature column to sign on paper.

Rows come from the frozen copies on the nominations (winner, village/grid, payee), so the ledger printed
today and the one printed next year are the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from grids.ledger import Column, Printed, Sheet, rmb_capital, write_ledger

from . import selectors
from .enums import GRID_KINDS
from .models import AwardRound


def payout_columns() -> list[Column]:
    return [
        Column(_("序号"), 4, "int"),
        Column(_("姓名"), 10),
        Column(_("奖项"), 18),
        Column(_("获奖对象"), 18),
        Column(_("金额(元)"), 9, "money", total=True),
        Column(_("所在村/网格"), 30),
        Column(_("签名"), 14, wrap=False),
    ]


def payout_rows(round_: AwardRound) -> Iterator[list]:
    for index, nomination in enumerate(selectors.round_nominations(round_), start=1):
        award_type = nomination.award_type
        award = award_type.name
        if award_type.kind in GRID_KINDS:
            award = f"{award}({award_type.get_kind_display()})"
        yield [
            index,
            nomination.payee_name or _("(未设网格长)"),
            award,
            nomination.winner_name,
            award_type.prize,
            nomination.area_label,
            "",
        ]


def payout_capital(totals: dict[int, object]) -> list[str]:
    """The line after 合计: the total amount in Chinese capital numerals (大写), as payout forms require."""
    amount = totals.get(AMOUNT_COLUMN, 0)
    return [_("合计金额(大写):人民币%(amount)s") % {"amount": rmb_capital(amount)}]


AMOUNT_COLUMN = 4  # 金额(元) in payout_columns()


def payout_ledger(
    round_: AwardRound, out: IO[bytes] | str, *, printed: Printed | None = None
) -> dict[str, int]:
    caption = _("%(town)s %(title)s 奖金发放表(统计期 %(a)s 至 %(b)s)") % {
        "town": round_.town.name,
        "title": round_.title,
        "a": round_.period_start.isoformat(),
        "b": round_.period_end.isoformat(),
    }
    sheet = Sheet(
        _("奖金发放表"),
        payout_columns(),
        payout_rows(round_),
        caption=caption,
        after_totals=payout_capital,
        landscape=False,
        row_height=30,  # room to sign by hand
    )
    return write_ledger([sheet], out, printed=printed)
