"""The one Excel writer for every ledger (台账), task list and award list.

Exporters yield rows; `write_ledger` renders them with openpyxl in write-only mode, so memory stays flat
however many rows. Workbooks look like government ledgers: a title row with place and period, Chinese headers,
a frozen header, sensible column widths, real dates, numbers as numbers, ID and phone numbers as text.
Text that begins with =, +, - or @ is always written as a string cell, never as a formula.

It lives in grids, the bottom layer, because exports in every app use it.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass
class Column:
    header: str
    width: float = 14
    kind: str = "text"  # text | int | decimal | date | datetime


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: Iterable[Iterable[Any]]
    caption: str = ""  # the title row: place and period
    counts: dict = field(default_factory=dict)


_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="FDECEA")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _aware_to_local(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is not None:
        from django.utils import timezone

        value = timezone.localtime(value).replace(tzinfo=None)
    return value


def _cell(ws, value: Any, column: Column) -> Any:
    # Plain values are appended as they are (openpyxl types them; no cell object per value, which is most of
    # the writer's time on a large ledger); cells only where a format or a forced string type is needed.
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(ws, value=_aware_to_local(value))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, decimal.Decimal)) and column.kind != "text":
        return value
    text = str(value)
    if not text.startswith(FORMULA_PREFIXES) and not text.startswith("#"):  # "#N/A" would become an error
        return text
    cell = WriteOnlyCell(ws, value=text)
    # Always a string cell: openpyxl would otherwise treat a leading "=" as a formula.
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def _rows(ws, sheet: Sheet) -> Iterator[list]:
    width = len(sheet.columns)
    if sheet.caption:
        title = WriteOnlyCell(ws, value=sheet.caption)
        title.font = _TITLE_FONT
        yield [title]
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        header.append(cell)
    yield header
    for row in sheet.rows:
        values = list(row)
        if len(values) != width:
            raise ValueError(f"row has {len(values)} values, sheet {sheet.title!r} has {width} columns")
        yield [_cell(ws, value, column) for value, column in zip(values, sheet.columns, strict=True)]


def write_ledger(sheets: Iterable[Sheet], out: IO[bytes] | str) -> dict[str, int]:
    """Write the sheets to `out` (a path or binary file). Returns the number of data rows per sheet."""
    wb = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for sheet in sheets:
        ws = wb.create_sheet(title=sheet.title[:31])
        for index, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        header_row = 2 if sheet.caption else 1
        ws.freeze_panes = f"A{header_row + 1}"
        n = -1 - (1 if sheet.caption else 0)
        for cells in _rows(ws, sheet):
            ws.append(cells)
            n += 1
        counts[sheet.title] = n
    wb.save(out)
    return counts
