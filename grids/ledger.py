"""The one Excel writer for every ledger (台账), task list and award list.

Exporters yield rows; `write_ledger` renders them with openpyxl in write-only mode, so memory stays flat
however many rows. Workbooks look like government ledgers: a title row with place and period, Chinese headers,
a frozen header, real dates, numbers as numbers, ID and phone numbers as text.
Text that begins with =, +, - or @ is always written as a string cell, never as a formula.

Every sheet prints as a supervisor files it, defined here once for every export:
- A4, landscape when the columns are wider than a portrait page, all columns fitted to one page width
  (any number of pages down), the column header row repeated on every page;
- page header: the caption (unit, ledger name, period); footer: who exported it and when, "第 N 页 共 M 页";
- thin lines around every cell on paper (the sheet's print-gridlines option, so no per-cell border style: a
  styled cell costs ~2x an unstyled one on a 100,000-row ledger) and a bordered, shaded header row;
- column widths from the content (`Column.width` is the widest expected value in characters, a CJK
  character counting two; a 19-digit household number always fits whole), headers wrapped over up to
  three lines with the row made tall enough; long text columns wrapped (spreadsheet programs size those
  rows from their content when the file is opened);
- percentages as '0.0%', amounts as '#,##0.00', and a 合计 row for the columns marked `total`, followed by
  any rows the exporter adds from the totals (the payout ledger's amount in Chinese capitals, 大写).

It lives in grids, the bottom layer, because exports in every app use it.
"""

from __future__ import annotations

import datetime
import decimal
import math
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@")

# Widths in spreadsheet character units (the width of "0" in the default font); a CJK character is ~2.
PORTRAIT_WIDTH = 100  # what fits across A4 portrait at 100 %; wider sheets print landscape (fitted to width)
HEADER_LINES = 3  # a header may wrap over this many lines before its column is widened
LINE_HEIGHT = 15  # points per line of 11 pt text
KIND_WIDTH = {"date": 11, "datetime": 16, "int": 6, "decimal": 8, "money": 10, "percent": 7}
NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "decimal": "0.00",
    "money": "#,##0.00",
    "percent": "0.0%",
}


@dataclass
class Column:
    header: str
    width: float | None = None  # the widest expected value, in characters (CJK counts 2); None: from kind
    kind: str = "text"  # text | code | int | decimal | money | percent | date | datetime
    total: bool = False  # summed in the 合计 row
    wrap: bool | None = None  # text wraps where it needs more than one line; default: text columns

    @property
    def wraps(self) -> bool:
        if self.wrap is not None:
            return self.wrap
        return self.kind == "text"


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: Iterable[Iterable[Any]]
    caption: str = ""  # the title row and page header: unit, ledger name and period
    counts: dict = field(default_factory=dict)
    # Lines printed after the 合计 row, each across the whole width, made from the totals {column index: sum}.
    after_totals: Callable[[dict[int, Any]], list[str]] | None = None
    landscape: bool | None = None  # None: landscape when the columns are wider than a portrait page
    row_height: float | None = None  # a minimum height for data rows (points), e.g. room to sign


@dataclass
class Printed:
    """Who exported the workbook and when (the page footer)."""

    exporter: str = ""
    at: datetime.datetime | None = None


_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FONT = Font(bold=True)
_TOTAL_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="FDECEA")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(wrap_text=True)  # bottom, like the unstyled cells next to it
_LEFT_MIDDLE = Alignment(horizontal="left", vertical="center", wrap_text=True)


def display_width(text: str) -> int:
    """Width of text in character units: wide (CJK, full-width) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, width: float) -> int:
    """How many lines wrapped text takes in a column (fast: UTF-8 length approximates CJK double width)."""
    n = len(text)
    if n * 2 <= width and "\n" not in text:
        return 1
    approx = (n + len(text.encode("utf-8"))) / 2  # CJK: 3 bytes -> 2 units; ASCII: 1 byte -> 1 unit
    lines = sum(
        math.ceil(((len(part) + len(part.encode("utf-8"))) / 2 or 1) / width) for part in text.split("\n")
    )
    return max(lines, math.ceil(approx / width))


def column_width(column: Column) -> float:
    """The printed width: the widest expected value, or the header over at most HEADER_LINES lines."""
    content = column.width if column.width is not None else KIND_WIDTH.get(column.kind, 10)
    header = display_width(column.header)
    # A header is wrapped rather than widening a narrow column, but each line must hold a whole CJK char.
    header_line = max(math.ceil(header / HEADER_LINES), 4)
    return max(content, header_line) + 2


def header_text(column: Column, width: float) -> str:
    """The header as printed: a header too long for one line breaks before its bracket, "联户覆盖(比率)" →
    "联户覆盖" / "(比率)", rather than wherever the line happens to end."""
    text = column.header
    if display_width(text) > width - 2 and "(" in text[1:] and "\n" not in text:
        head, _sep, tail = text.partition("(")
        text = f"{head}\n({tail}" if head else text
    return text


def header_lines(column: Column, width: float) -> int:
    usable = max(width - 2, 1)
    return sum(
        max(1, math.ceil(display_width(part) / usable)) for part in header_text(column, width).split("\n")
    )


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def rmb_capital(amount: decimal.Decimal | int | float | str) -> str:
    """An amount of yuan in Chinese capital numerals (大写), as written on payout forms.

    1200 → 壹仟贰佰元整; 1005.5 → 壹仟零伍元伍角; 0.08 → 捌分; 100000 → 壹拾万元整; -3 → 负叁元整.
    Rounded to the fen (half up).
    """
    value = decimal.Decimal(str(amount)).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    if value == 0:
        return "零元整"
    sign = "负" if value < 0 else ""
    value = abs(value)
    fen_total = int(value * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    text = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            n, group = divmod(n, 10000)
            groups.append(group)
        parts = []
        zero_pending = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                zero_pending = bool(parts)
                continue
            if parts and (zero_pending or group < 1000):
                parts.append("零")
            zero_pending = False
            parts.append(_group_capital(group) + _BIG_UNITS[index])
        text = "".join(parts) + "元"
    if jiao == 0 and fen == 0:
        return sign + text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return sign + text


def _group_capital(group: int) -> str:
    """0 < group < 10000 as capitals, inner zeros as a single 零 (1005 → 壹仟零伍)."""
    digits = f"{group:04d}".lstrip("0")
    out = []
    zero = False
    for position, char in enumerate(digits):
        unit = _SMALL_UNITS[len(digits) - position - 1]
        if char == "0":
            zero = True
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[int(char)] + unit)
    return "".join(out)


def _aware_to_local(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is not None:
        from django.utils import timezone

        value = timezone.localtime(value).replace(tzinfo=None)
    return value


def _style_array(ws, *, number_format: str | None = None, wrap: bool = False):
    """A style made once per sheet and shared by its cells (assigning a shared array is cheap)."""
    proto = WriteOnlyCell(ws, value="")
    if number_format:
        proto.number_format = number_format
    if wrap:
        proto.alignment = _WRAP
    return proto._style


def _cell(ws, value: Any, column: Column, style) -> Any:
    # Plain values are appended as they are (openpyxl types them; no cell object per value, which is most of
    # the writer's time on a large ledger); cells only where a format, wrapping or a string type is needed.
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = _aware_to_local(value)
        if column.kind == "date":
            value = value.date()
    elif isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value=value)
        if style is not None and column.kind in ("date", "datetime"):
            cell._style = style  # the column's shared date style: no format lookup per cell
        else:
            cell.number_format = NUMBER_FORMATS[
                "datetime" if isinstance(value, datetime.datetime) else "date"
            ]
        return cell
    if isinstance(value, (int, float, decimal.Decimal)) and column.kind not in ("text", "code"):
        if style is None:
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell._style = style
        return cell
    text = str(value)
    if not text:
        return None
    plain = not text.startswith(FORMULA_PREFIXES) and not text.startswith("#")  # "#N/A" would be an error
    if plain and style is None:
        return text
    cell = WriteOnlyCell(ws, value=text)
    if style is not None:
        cell._style = style if plain else type(style)(style)  # a copy before setting quotePrefix
    if not plain:
        # Always a string cell: openpyxl would otherwise treat a leading "=" as a formula.
        cell.data_type = "s"
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
    return cell


def _header_footer_text(text: str) -> str:
    return text.replace("&", "&&")


def _page_setup(ws, sheet: Sheet, widths: list[float], printed: Printed | None, header_row: int) -> None:
    landscape = sheet.landscape if sheet.landscape is not None else sum(widths) > PORTRAIT_WIDTH
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.gridLines = True  # thin lines around every cell on paper
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    margins = ws.page_margins
    margins.left = margins.right = 0.4
    margins.top = margins.bottom = 0.7
    margins.header = margins.footer = 0.3
    if sheet.caption:
        ws.oddHeader.center.text = _header_footer_text(sheet.caption[:200])
        ws.oddHeader.center.size = 10
    footer = []
    if printed and printed.exporter:
        footer.append(_("导出人:%(name)s") % {"name": printed.exporter[:40]})
    if printed and printed.at:
        footer.append(_("导出时间:%(time)s") % {"time": f"{_aware_to_local(printed.at):%Y-%m-%d %H:%M}"})
    if footer:
        ws.oddFooter.left.text = _header_footer_text(" ".join(footer))
        ws.oddFooter.left.size = 9
    ws.oddFooter.right.text = _("第 &P 页 共 &N 页")  # &P page, &N pages (spreadsheet header codes)
    ws.oddFooter.right.size = 9


def _rows(
    ws, sheet: Sheet, widths: list[float], totals: dict[int, Any], n_rows: list[int], row_heights: list
) -> Iterator[list]:
    """The sheet's rows as cells; a data row needing more than one line puts its height in `row_heights`."""
    width = len(sheet.columns)
    wrapped = [index for index, column in enumerate(sheet.columns) if column.wraps]
    wrapped_widths = {index: widths[index] - 1.5 for index in wrapped}
    if sheet.caption:
        title = WriteOnlyCell(ws, value=sheet.caption)
        title.font = _TITLE_FONT
        title.alignment = Alignment(horizontal="center", vertical="center")
        yield [title]
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=header_text(column, widths[len(header)]))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
        header.append(cell)
    yield header
    styles = [
        _style_array(ws, number_format=NUMBER_FORMATS[c.kind]) if c.kind in NUMBER_FORMATS else None
        for c in sheet.columns
    ]
    # Wrapped only where the text needs more than one line: a short text is a plain value (cheap to write).
    wrap_styles = {index: _style_array(ws, wrap=True) for index in wrapped}
    summed = [index for index, column in enumerate(sheet.columns) if column.total]
    columns = sheet.columns
    for row in sheet.rows:
        values = list(row)
        if len(values) != width:
            raise ValueError(f"row has {len(values)} values, sheet {sheet.title!r} has {width} columns")
        for index in summed:
            value = values[index]
            if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
                totals[index] = totals.get(index, 0) + value
        n_rows[0] += 1
        cells = [
            _cell(ws, value, column, style)
            for value, column, style in zip(values, columns, styles, strict=True)
        ]
        lines = 1
        for index in wrapped:
            value = values[index]
            if value.__class__ is str and (len(value) * 2 > wrapped_widths[index] or "\n" in value):
                needed = _lines(value, wrapped_widths[index])
                if needed > 1:
                    cells[index] = _cell(ws, value, columns[index], wrap_styles[index])
                    lines = max(lines, needed)
        if lines > 1 or sheet.row_height:
            row_heights.append(max(min(lines, 30) * LINE_HEIGHT + 2, sheet.row_height or 0))
        yield cells
    if summed:
        label_at = next((i for i in range(width) if i not in summed), None)
        cells = []
        for index, column in enumerate(sheet.columns):
            value = totals.get(index, 0) if index in summed else None
            if index == label_at:
                value = _("合计")
            cell = WriteOnlyCell(ws, value=value)
            cell.font = _TOTAL_FONT
            cell.border = _BORDER
            if index in summed and column.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column.kind]
            cells.append(cell)
        yield cells
        for text in sheet.after_totals(totals) if sheet.after_totals else []:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = _TOTAL_FONT
            cell.alignment = _LEFT_MIDDLE
            yield [cell]


def write_ledger(
    sheets: Iterable[Sheet], out: IO[bytes] | str, *, printed: Printed | None = None
) -> dict[str, int]:
    """Write the sheets to `out` (a path or binary file). Returns the number of data rows per sheet."""
    wb = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for sheet in sheets:
        ws = wb.create_sheet(title=sheet.title[:31])
        widths = [column_width(column) for column in sheet.columns]
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        last = get_column_letter(len(sheet.columns))
        header_row = 2 if sheet.caption else 1
        if sheet.caption:
            ws.row_dimensions[1].height = 24
            ws.merged_cells.add(f"A1:{last}1")
        lines = max(header_lines(c, w) for c, w in zip(sheet.columns, widths, strict=True))
        ws.row_dimensions[header_row].height = LINE_HEIGHT * lines + 4
        ws.freeze_panes = f"A{header_row + 1}"
        _page_setup(ws, sheet, widths, printed, header_row)
        totals: dict[int, Any] = {}
        n_rows = [0]
        row_index = 0
        heights: list[float] = []
        for cells in _rows(ws, sheet, widths, totals, n_rows, heights):
            row_index += 1
            tall = bool(heights)
            if tall:
                # Spreadsheet programs do not size wrapped rows on opening a file (LibreOffice keeps the
                # default height and the lines overlap), so the height is written; then forgotten, so
                # memory stays flat.
                ws.row_dimensions[row_index].height = heights.pop()
            if sheet.after_totals and row_index > header_row + n_rows[0] + 1:
                ws.merged_cells.add(f"A{row_index}:{last}{row_index}")  # a line after 合计, full width
            ws.append(cells)
            if tall:
                del ws.row_dimensions[row_index]
        counts[sheet.title] = n_rows[0]
    wb.save(out)
    return counts


def printed_by(user, at: datetime.datetime | None = None) -> Printed:
    """The footer's exporter: the login's member name, else its full name or username; `at` defaults to now."""
    from django.utils import timezone

    member = getattr(user, "member", None) if user is not None else None  # no member: AttributeError → None
    name = getattr(member, "name", "") or (user.get_full_name() or user.get_username() if user else "")
    return Printed(exporter=name, at=at or timezone.now())
