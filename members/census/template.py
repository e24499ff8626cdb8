"""Census import: the template workbook town staff download and fill in."""

from __future__ import annotations

import io

from django.utils import translation
from django.utils.translation import gettext as _

from grids.models import Place

from ..enums import (
    ExemptReason,
    LinkType,
    MemberRole,
    VillageSubRole,
)
from .checking import _Places
from .columns import NOTE_MARK, SHEETS, sheet_columns

# --- the template -----------------------------------------------------------------------------------------


def census_template(*, town: Place | None = None) -> bytes:
    """The census workbook: sheets 户, 人员, 联系 with Chinese headers and a note row, plus the town's
    village and grid names (网格名录) so people can copy them exactly."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    with translation.override("zh-hans"):
        wb = Workbook()
        wb.remove(wb.active)
        bold = Font(bold=True)
        note_font = Font(color="666666", size=9)
        fill = PatternFill("solid", fgColor="FDECEA")
        choice_lists = {
            "role": MemberRole,
            "village_subrole": VillageSubRole,
            "exempt_reason": ExemptReason,
            "link_type": LinkType,
        }
        for sheet in SHEETS:
            ws = wb.create_sheet(sheet)
            columns = sheet_columns(sheet)
            for index, column in enumerate(columns, start=1):
                letter = get_column_letter(index)
                head = ws.cell(row=1, column=index, value=column.header)
                head.font = bold
                if column.required:
                    head.fill = fill
                hint = column.hint
                if index == 1:
                    hint = f"{NOTE_MARK}{_('填写说明')}】{hint}"
                note = ws.cell(row=2, column=index, value=str(hint))
                note.font = note_font
                note.alignment = Alignment(wrap_text=True, vertical="top")
                ws.column_dimensions[letter].width = column.width
                rng = f"{letter}3:{letter}2000"
                if column.text:
                    for r in range(3, 503):
                        ws.cell(row=r, column=index).number_format = "@"
                if column.key in choice_lists:
                    values = ",".join(str(label) for label in choice_lists[column.key].labels)
                    dv = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
                    dv.add(rng)
                    ws.add_data_validation(dv)
                elif column.key.startswith("is_") or column.header in ("是否党员", "是否流动党员"):
                    dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
                    dv.add(rng)
                    ws.add_data_validation(dv)
            ws.freeze_panes = "A3"
            ws.row_dimensions[2].height = 45
        ws = wb.create_sheet(_("网格名录"))
        ws.append([_("村(社区)"), _("三级网格"), _("四级网格")])
        for cell in ws[1]:
            cell.font = bold
        if town is not None:
            places = _Places(town)
            for village in sorted(places.villages.values(), key=lambda p: p.path):
                grids3 = sorted(
                    (g for g in places.grid3.values() if g.parent_id == village.pk), key=lambda p: p.path
                )
                if not grids3:
                    ws.append([village.name, "", ""])
                for grid3 in grids3:
                    grids4 = sorted(
                        (g for g in places.grid4.values() if g.parent_id == grid3.pk), key=lambda p: p.path
                    )
                    if not grids4:
                        ws.append([village.name, grid3.name, ""])
                    for grid4 in grids4:
                        ws.append([village.name, grid3.name, grid4.name])
        for letter in "ABC":
            ws.column_dimensions[letter].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
