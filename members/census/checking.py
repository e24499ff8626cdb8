"""Census import (摸底导入): households, members and links (一一配对) from one Excel workbook.

Town staff download a template (`census_template`), fill it in and upload it. The upload is kept in a private
file under `VAR_DIR/census/` (`census_file_store`), `census_preview` reads it and reports, per sheet, how many rows
are new, updated, unchanged or bad, with every bad row's reason in Chinese; `census_import` then writes all the
valid rows in one transaction. Re-importing the same file updates rows by their natural keys (household 户编号;
member phone; link member + type + target + start date) instead of duplicating them.

Real spreadsheets are forgiven (docs/ledgers.md): the header row may sit below title rows; a cell merged down
several rows gives its value to every row it spans (the preview lists those ranges); a formula cell the program
never calculated is reported as such, not as empty; phone numbers are parsed by phonenumbers and stored one way
(mobiles as 11 digits, landlines as 0731-87654321); ID numbers are checked with python-stdnum's cn.ric; a
repeated ID number keeps the first row and reports the later ones naming it. The preview is computed once per
upload and kept next to it (`census_preview_kept`), so reloading the page is instant.

Queries do not grow with the rows: places, households, members and links are looked up in a few bulk queries
(IN lists in chunks) and written with bulk_create / bulk_update. Phone and ID numbers are personal data: the
report shows them masked and nothing here logs them.
"""

from __future__ import annotations

import datetime
import functools
import io
import json
import logging
import re
import secrets
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grids.crypto import id_number_hash
from grids.enums import PlaceKind
from grids.models import Household, Place
from grids.services import household_paths_sync
from grids.validators import (
    canonical_phone,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)

from .access import scope_for
from .enums import (
    LINK_TARGET,
    ROLE_LINK_TYPES,
    ExemptReason,
    LinkType,
    MemberRole,
    TargetKind,
    VillageSubRole,
)
from .models import Link, Member

logger = logging.getLogger(__name__)

SHEET_HOUSEHOLDS = "户"
SHEET_MEMBERS = "人员"
SHEET_LINKS = "联系"
SHEETS = (SHEET_HOUSEHOLDS, SHEET_MEMBERS, SHEET_LINKS)
# A row whose first cell starts with this is a note for people filling in the template, not data.
NOTE_MARK = "【"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# IN lists are split so that no lookup exceeds what any backend accepts; 30 or 300 rows need one query each.
LOOKUP_CHUNK = 900
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STALE_SECONDS = 24 * 3600

# Roles that live at town or city level: their 所在村(社区) may be left blank (home = the town).
TOWN_LEVEL_ROLES = frozenset(
    {MemberRole.CITY_LEADER, MemberRole.CITY_DEPT_HEAD, MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE}
)
YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "有"})
NO = frozenset({"否", "n", "no", "false", "0", "×", "无", ""})


class CensusFileError(Exception):
    """The upload is not a census workbook we can read (wrong type, missing sheets or headers)."""


# --- columns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    hint: str = ""
    width: int = 12
    text: bool = False  # formatted as text in the template so Excel keeps leading zeros and all 18 digits
    aliases: tuple[str, ...] = ()


def _labels(choices) -> str:
    return "、".join(str(label) for label in choices.labels)


def household_columns() -> tuple[Column, ...]:
    return (
        Column("code", "户编号", True, _("必填,全镇唯一;再次导入按户编号更新"), 12, True),
        Column("village", "村(社区)", True, _("必填,与系统中的名称一致(见“网格名录”)"), 12),
        Column("grid3", "三级网格", True, _("必填,该村(社区)下的三级网格名称"), 14),
        Column("grid4", "四级网格", False, _("选填,该三级网格下的四级网格名称"), 12),
        Column("head_name", "户主姓名", True, _("必填"), 10),
        Column("address", "住址", True, _("必填"), 20),
        Column("phone", "联系电话", False, _("手机号或带区号的固话"), 14, True),
        Column("id_number", "身份证号", False, _("选填,18位"), 20, True),
        Column("people_count", "人口数", False, _("整数,默认1"), 8),
        Column("is_hardship", "困难户", False, _("是/否"), 8),
        Column("is_disability", "残疾户", False, _("是/否"), 8),
        Column("is_elderly_alone", "孤寡老人户", False, _("是/否"), 10),
        Column("is_left_behind", "留守儿童户", False, _("是/否"), 10),
        Column("is_key", "重点户", False, _("是/否"), 8),
        Column("notes", "备注", False, "", 20),
    )


def member_columns() -> tuple[Column, ...]:
    return (
        Column("name", "姓名", True, _("必填"), 10),
        Column("phone", "手机号", True, _("必填,全镇唯一;再次导入按手机号更新"), 14, True),
        Column("role", "身份", True, _labels(MemberRole), 16),
        Column("village_subrole", "村干部类别", False, _("村干部填:") + _labels(VillageSubRole), 14),
        Column("is_party_member", "是否党员", False, _("是/否"), 8),
        Column("village", "所在村(社区)", False, _("镇干部、市领导可不填;其他人员必填"), 12),
        Column("grid", "所在网格", False, _("选填,三级或四级网格名称"), 14),
        Column("unit", "单位/职务", False, _("选填"), 16),
        Column("exempt_reason", "免于联户原因", False, _("选填:") + _labels(ExemptReason), 16),
        Column("is_migrant", "是否流动党员", False, _("是/否"), 10),
        Column(
            "wecom_userid", "企业微信账号", False, _("选填,企业微信通讯录中的账号(UserID);留空不改"), 14, True
        ),
    )


def link_columns() -> tuple[Column, ...]:
    return (
        Column("member_phone", "人员手机号", True, _("必填,人员表或系统中已有人员的手机号"), 14, True),
        Column("link_type", "联系类型", True, _labels(LinkType), 22),
        Column(
            "target",
            "户编号或联系地点名称",
            False,
            _(
                "联户填户编号;联镇填镇名(可空);联村填村名;联网格填三级网格名(重名写“村名/网格名”);联系流动党员填其手机号"
            ),
            24,
            True,
            ("联系对象", "户编号或地点名称"),
        ),
        Column("start_date", "开始日期", True, _("必填,如 2021-01-01"), 12),
        Column("end_date", "结束日期", False, _("选填"), 12),
    )


def sheet_columns(sheet: str) -> tuple[Column, ...]:
    return {SHEET_HOUSEHOLDS: household_columns, SHEET_MEMBERS: member_columns, SHEET_LINKS: link_columns}[
        sheet
    ]()


# --- the report -------------------------------------------------------------------------------------------


@dataclass
class SheetCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.bad


@dataclass
class RowError:
    sheet: str
    row: int
    label: str  # what identifies the row to a person, with phone/ID numbers masked
    reasons: list[str]


@dataclass
class _Row:
    """One data row of a sheet while it is being checked."""

    sheet: str
    number: int
    values: dict[str, object]
    reasons: list[str] = field(default_factory=list)
    label: str = ""
    data: dict[str, object] = field(default_factory=dict)
    existing: object = None  # the matching database row, if any
    changed: bool = False
    formulas: set = field(default_factory=set)  # keys of formula cells without a value (already reported)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def bad(self, message: str) -> None:
        self.reasons.append(str(message))


@dataclass
class CensusPlan:
    town: Place
    households: list[_Row] = field(default_factory=list)
    members: list[_Row] = field(default_factory=list)
    links: list[_Row] = field(default_factory=list)
    missing_sheets: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # merged cells whose value was applied to every row

    def counts(self) -> dict[str, SheetCounts]:
        result = {}
        for sheet, rows in (
            (SHEET_HOUSEHOLDS, self.households),
            (SHEET_MEMBERS, self.members),
            (SHEET_LINKS, self.links),
        ):
            counts = SheetCounts()
            for row in rows:
                if not row.ok:
                    counts.bad += 1
                elif row.existing is None:
                    counts.new += 1
                elif row.changed:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            result[sheet] = counts
        return result

    def errors(self) -> list[RowError]:
        return [
            RowError(sheet=row.sheet, row=row.number, label=row.label, reasons=row.reasons)
            for rows in (self.households, self.members, self.links)
            for row in rows
            if not row.ok
        ]

    @property
    def valid_count(self) -> int:
        return sum(1 for rows in (self.households, self.members, self.links) for row in rows if row.ok)


# --- files ------------------------------------------------------------------------------------------------


def census_dir() -> Path:
    return Path(settings.VAR_DIR) / "census"


def census_file_path(token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        raise CensusFileError(_("上传的文件已失效,请重新上传 (upload expired, please upload again)"))
    return census_dir() / f"{token}.xlsx"


def census_file_store(*, upload) -> str:
    """Keep an uploaded workbook in a private file and return its random token (to keep in the session).

    Refuses anything that is not a readable .xlsx. Side effects: writes `VAR_DIR/census/<token>.xlsx` (0600)
    and deletes abandoned uploads older than a day.
    """
    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(".xlsx"):
        raise CensusFileError(
            _(
                "请上传 Excel .xlsx 文件(不支持 .xls、.csv 等格式,可在 Excel 中“另存为 .xlsx”) (only .xlsx files)"
            )
        )
    if upload.size > MAX_UPLOAD_BYTES:
        raise CensusFileError(_("文件超过 10 MB,请分批导入 (file larger than 10 MB)"))
    directory = census_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale(directory)
    token = secrets.token_urlsafe(24)
    path = census_file_path(token)
    with open(path, "wb") as out:
        path.chmod(0o600)
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        _open_workbook(path).close()
    except CensusFileError:
        path.unlink(missing_ok=True)
        raise
    return token


def census_file_delete(*, token: str) -> None:
    try:
        census_file_path(token).unlink(missing_ok=True)
        _preview_path(token).unlink(missing_ok=True)
    except CensusFileError:
        pass


def _remove_stale(directory: Path) -> None:
    cutoff = time.time() - STALE_SECONDS
    for old in [*directory.glob("*.xlsx"), *directory.glob("*.json"), *directory.glob("*.tmp")]:
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def _open_workbook(path: Path):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise CensusFileError(_("上传的文件已失效,请重新上传 (upload expired, please upload again)")) from exc
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError) as exc:
        raise CensusFileError(
            _("无法读取文件:请上传由模板填写的 Excel .xlsx 文件 (not a readable .xlsx workbook)")
        ) from exc


_PARENS = str.maketrans("\uff08\uff09", "()")


def _header_key(value: object) -> str:
    text = str(value or "").translate(_PARENS).replace("*", "")
    return re.sub(r"\s", "", text)


HEADER_SEARCH_ROWS = 20  # the header row may sit below this many title rows
MERGED_NOTES = 20  # merged ranges listed one by one in the preview, per sheet; the rest are counted


class _FormulaWithoutValue:
    """A formula cell the spreadsheet program never calculated (no cached value): we cannot know its value."""

    def __repr__(self) -> str:
        return "<formula without value>"


FORMULA_WITHOUT_VALUE = _FormulaWithoutValue()


def _cell_parser():
    """openpyxl's streaming sheet parser, but a formula cell without a cached value says so (instead of None)."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            # Never calculated: no <v>, or an empty one on a cell not typed as text (Excel and LibreOffice
            # write a formula whose result is empty text as t="str" with an empty <v/>).
            if (
                cell["value"] is None
                and element.find(FORMULA_TAG) is not None
                and (element.find(VALUE_TAG) is None or element.get("t") not in ("str", "s", "inlineStr"))
            ):
                cell["value"] = FORMULA_WITHOUT_VALUE
            return cell

    return Parser


def _sheet_values(wb, ws) -> tuple[dict[int, list], list[tuple[int, int, int, int]]]:
    """Every row's values by row number, and the merged ranges (min_row, min_col, max_row, max_col).

    One pass over the sheet's XML with openpyxl's own streaming parser (cached values, dates by number
    format, shared strings); the merged ranges come at the end of the sheet's XML, after the rows.
    """
    rows: dict[int, list] = {}
    with ws._get_source() as source:
        parser = _cell_parser()(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for number, cells in parser.parse():
            if not cells:
                continue
            values = [None] * cells[-1]["column"]
            for cell in cells:
                values[cell["column"] - 1] = cell["value"]
            rows[number] = values
        merged = []
        if parser.merged_cells is not None:
            for item in parser.merged_cells.mergeCell:
                from openpyxl.worksheet.cell_range import CellRange

                r = CellRange(item.ref)
                merged.append((r.min_row, r.min_col, r.max_row, r.max_col))
    return rows, merged


def _header_row(rows: dict[int, list], columns, wanted: dict[str, str]) -> tuple[int | None, dict[str, int]]:
    """The first row (among the first HEADER_SEARCH_ROWS) holding every required header: title rows above it
    are skipped. Without one, the row holding the most headers (for the 缺少列 message)."""
    required = {c.key for c in columns if c.required}
    best: tuple[int, int | None, dict[str, int]] = (-1, None, {})
    for number in sorted(rows)[:HEADER_SEARCH_ROWS]:
        position: dict[str, int] = {}
        for index, cell in enumerate(rows[number]):
            if isinstance(cell, str):
                key = wanted.get(_header_key(cell))
                if key and key not in position:
                    position[key] = index
        if required <= position.keys():
            return number, position
        if len(position) > best[0]:
            best = (len(position), number, position)
    return best[1], best[2]


def _read_sheet(wb, ws, sheet: str, merged_notes: list[str]) -> list[_Row]:
    from openpyxl.utils import get_column_letter

    columns = sheet_columns(sheet)
    rows, merged = _sheet_values(wb, ws)
    if not rows:
        return []
    wanted = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            wanted[_header_key(name)] = column.key
    header, position = _header_row(rows, columns, wanted)
    missing = [c.header for c in columns if c.required and c.key not in position]
    if missing:
        raise CensusFileError(
            _("工作表“%(sheet)s”缺少列:%(columns)s (missing columns)")
            % {"sheet": sheet, "columns": "、".join(missing)}
        )
    # A merged cell below the header (a village or grid name written once for several rows) holds its value
    # in its first cell only: every row it spans gets that value.
    noted = 0
    for min_row, min_col, max_row, max_col in sorted(merged):
        if min_row <= header:
            continue
        top = rows.get(min_row) or []
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None or max_row == min_row:
            continue
        for number in range(min_row + 1, max_row + 1):
            cells = rows.setdefault(number, [])
            if len(cells) < max_col:
                cells.extend([None] * (max_col - len(cells)))
            for col in range(min_col, max_col + 1):
                if cells[col - 1] is None:
                    cells[col - 1] = value
        noted += 1
        if noted > MERGED_NOTES:
            continue
        ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
        merged_notes.append(
            _("工作表“%(sheet)s”的合并单元格 %(ref)s:其值已应用到所跨的第 %(a)d–%(b)d 行")
            % {"sheet": sheet, "ref": ref, "a": min_row, "b": max_row}
        )
    if noted > MERGED_NOTES:
        merged_notes.append(
            _("工作表“%(sheet)s”另有 %(n)d 处合并单元格,同样应用到所跨的每一行")
            % {"sheet": sheet, "n": noted - MERGED_NOTES}
        )
    headers_by_key = {c.key: c.header for c in columns}
    result = []
    for number in sorted(n for n in rows if n > header):
        values = rows[number]
        if not values or all(v is None or str(v).strip() == "" for v in values):
            continue
        first = next((v for v in values if v is not None and str(v).strip()), "")
        if str(first).strip().startswith(NOTE_MARK):
            continue
        data = {key: (values[i] if i < len(values) else None) for key, i in position.items()}
        row = _Row(sheet=sheet, number=number, values=data)
        for key, value in data.items():
            if value is FORMULA_WITHOUT_VALUE:
                row.values[key] = None
                row.formulas.add(key)
                row.bad(_("“%(field)s”是公式单元格,请粘贴为数值") % {"field": headers_by_key[key]})
        result.append(row)
    return result


def _read_workbook(
    path: Path, merged_notes: list[str] | None = None
) -> tuple[dict[str, list[_Row]], list[str]]:
    wb = _open_workbook(path)
    notes = merged_notes if merged_notes is not None else []
    try:
        present = [name for name in SHEETS if name in wb.sheetnames]
        if not present:
            raise CensusFileError(
                _("文件中没有“户”“人员”“联系”工作表,请使用下载的模板 (no census sheets; use the template)")
            )
        try:
            sheets = {
                name: _read_sheet(wb, wb[name], name, notes) if name in present else [] for name in SHEETS
            }
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise CensusFileError(_("无法读取文件内容 (the workbook could not be read)")) from exc
    finally:
        wb.close()
    return sheets, [name for name in SHEETS if name not in present]


# --- cell values ------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def _required(row: _Row, column: Column, max_length: int | None = None) -> str:
    value = _text(row.values.get(column.key))
    if column.required and not value and column.key not in row.formulas:
        row.bad(_("“%(field)s”不能为空 (required)") % {"field": column.header})
    return _limited(row, column, value, max_length)


def _limited(row: _Row, column: Column, value: str, max_length: int | None) -> str:
    if max_length and len(value) > max_length:
        row.bad(_("“%(field)s”超过 %(max)d 个字 (too long)") % {"field": column.header, "max": max_length})
    return value


def _yes_no(row: _Row, column: Column) -> bool:
    raw = row.values.get(column.key)
    if isinstance(raw, bool):
        return raw
    value = _text(raw).lower()
    if value in YES:
        return True
    if value not in NO:
        row.bad(_("“%(field)s”应填“是”或“否” (expected yes or no)") % {"field": column.header})
    return False


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _date(row: _Row, column: Column) -> datetime.date | None:
    raw = row.values.get(column.key)
    if raw is None or _text(raw) == "":
        if column.required and column.key not in row.formulas:
            row.bad(_("“%(field)s”不能为空 (required)") % {"field": column.header})
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = _text(raw)
    match = _DATE_RE.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if match:
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    row.bad(_("“%(field)s”不是有效日期,应为 2021-01-31 这样的格式 (invalid date)") % {"field": column.header})
    return None


def _phone(row: _Row, column: Column) -> str:
    """A phone number in its one stored form (grids.validators.canonical_phone: phonenumbers), or a reason.

    +86 / 0086 prefixes, spaces, dashes, brackets and full-width digits are fine; mobiles are kept as 11 digits,
    landlines as 0731-87654321 however they were typed.
    """
    raw = _text(row.values.get(column.key))
    if not raw:
        if column.required and column.key not in row.formulas:
            row.bad(_("“%(field)s”不能为空 (required)") % {"field": column.header})
        return ""
    phone = canonical_phone(raw)
    if not phone:
        reason = _("电话号码格式不正确:应为11位手机号或带区号的固话 (invalid phone number)")
        row.bad(f"{column.header}:{reason}")
        return normalize_phone(raw)  # only for the (masked) label
    return phone


def _id_number(row: _Row, column: Column) -> str:
    """A resident ID number checked with python-stdnum's cn.ric (length, format, checksum, birth date).

    The birthplace is not checked: stdnum's region table predates 宁乡市 (430182, 2017), so real numbers of
    this very town would be refused. A number the spreadsheet stored as a number has lost its last digits.
    """
    from stdnum import exceptions
    from stdnum.cn import ric

    raw = row.values.get(column.key)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw > 10**15:
        row.bad(
            _("“%(field)s”被存成了数字,末几位已丢失:请把该列设为文本格式后重新填写")
            % {"field": column.header}
        )
        return ""
    number = normalize_id_number(_text(raw))
    if not number:
        return ""
    number = ric.compact(number)
    message = None
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        message = _("身份证号应为18位 (ID number must have 18 characters)")
    elif ric.calc_check_digit(number) != number[17]:
        message = _("身份证号校验位错误 (ID number checksum is wrong)")
    else:
        try:
            birth = ric.get_birth_date(number)
        except exceptions.ValidationError:
            birth = None
        if birth is None or birth.year < 1900 or birth > timezone.localdate():
            message = _("身份证号中的出生日期无效 (invalid birth date in ID number)")
    if message:
        row.bad(f"{column.header}:{message}")
    return number


def _choice(row: _Row, column: Column, choices, *, required: bool) -> str:
    """Accept the Chinese label (or the stored value) of a TextChoices member."""
    value = _text(row.values.get(column.key))
    if not value:
        if required and column.key not in row.formulas:
            row.bad(_("“%(field)s”不能为空 (required)") % {"field": column.header})
        return ""
    lookup = _choice_lookup(choices)  # cached per choices class
    found = lookup.get(_header_key(value))
    if found is None:
        row.bad(
            _("“%(field)s”的值“%(value)s”无法识别,应为:%(options)s (unknown value)")
            % {"field": column.header, "value": value[:30], "options": _labels(choices)}
        )
        return ""
    return found


@functools.cache
def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    with translation.override("zh-hans"):
        for value, label in choices.choices:
            lookup[_header_key(str(label))] = value
            lookup[_header_key(value)] = value
    return lookup


def _chunks(values: Iterable, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    items = sorted(set(values))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_message(exc: ValidationError) -> str:
    return str(exc.messages[0]) if exc.messages else str(exc)


# --- places -----------------------------------------------------------------------------------------------


class _Places:
    """The town's villages and grids by name: one query, then dictionaries."""

    def __init__(self, town: Place):
        self.town = town
        self.villages: dict[str, Place] = {}
        self.grid3: dict[tuple[int, str], Place] = {}
        self.grid4: dict[tuple[int, str], Place] = {}
        self.grid3_by_name: dict[str, list[Place]] = defaultdict(list)
        self.grid4_in_village: dict[tuple[int, str], list[Place]] = defaultdict(list)
        self.by_id: dict[int, Place] = {town.pk: town}
        places = Place.objects.filter(
            path__startswith=town.path, kind__in=[PlaceKind.VILLAGE, PlaceKind.GRID3, PlaceKind.GRID4]
        ).only("id", "name", "kind", "parent_id", "path")
        for place in places:
            self.by_id[place.pk] = place
        for place in self.by_id.values():
            if place.kind == PlaceKind.VILLAGE and place.parent_id == town.pk:
                self.villages[place.name] = place
            elif place.kind == PlaceKind.GRID3:
                self.grid3[(place.parent_id, place.name)] = place
                self.grid3_by_name[place.name].append(place)
            elif place.kind == PlaceKind.GRID4:
                self.grid4[(place.parent_id, place.name)] = place
                parent = self.by_id.get(place.parent_id)
                if parent is not None:
                    self.grid4_in_village[(parent.parent_id, place.name)].append(place)

    def village(self, row: _Row, name: str, header: str) -> Place | None:
        village = self.villages.get(name)
        if village is None:
            row.bad(
                _("本镇没有名为“%(name)s”的村(社区)(%(field)s) (unknown village)")
                % {"name": name[:30], "field": header}
            )
        return village

    def grid_target(self, row: _Row, name: str) -> Place | None:
        """A third-level grid named "网格名" (if unique in the town) or "村名/网格名"."""
        if "/" in name:
            village_name, grid_name = (part.strip() for part in name.split("/", 1))
            village = self.villages.get(village_name)
            grid = self.grid3.get((village.pk, grid_name)) if village else None
            if grid is None:
                row.bad(_("本镇没有三级网格“%(name)s” (unknown grid)") % {"name": name[:40]})
            return grid
        found = self.grid3_by_name.get(name, [])
        if len(found) > 1:
            row.bad(
                _("三级网格名称“%(name)s”在本镇不唯一,请写成“村名/网格名” (grid name is ambiguous)")
                % {"name": name[:30]}
            )
            return None
        if not found:
            row.bad(_("本镇没有三级网格“%(name)s” (unknown grid)") % {"name": name[:30]})
            return None
        return found[0]


# --- checking ---------------------------------------------------------------------------------------------

HOUSEHOLD_FIELDS = (
    "grid_id",
    "head_name",
    "address",
    "phone",
    "id_number",
    "people_count",
    "is_hardship",
    "is_disability",
    "is_elderly_alone",
    "is_left_behind",
    "is_key",
    "notes",
)
MEMBER_FIELDS = (
    "name",
    "role",
    "village_subrole",
    "is_party_member",
    "is_migrant",
    "home_id",
    "unit",
    "is_exempt",
    "exempt_reason",
    "wecom_userid",
)


def _parse_households(rows: list[_Row], places: _Places) -> None:
    cols = {c.key: c for c in household_columns()}
    for row in rows:
        code = _required(row, cols["code"], 40)
        head_name = _required(row, cols["head_name"], 50)
        row.label = f"{code} {head_name}".strip()
        village_name = _required(row, cols["village"])
        grid3_name = _required(row, cols["grid3"])
        grid4_name = _text(row.values.get("grid4"))
        grid = None
        village = places.village(row, village_name, cols["village"].header) if village_name else None
        if village is not None and grid3_name:
            grid3 = places.grid3.get((village.pk, grid3_name))
            if grid3 is None:
                row.bad(
                    _("“%(village)s”下没有名为“%(name)s”的三级网格 (unknown grid)")
                    % {"village": village.name, "name": grid3_name[:30]}
                )
            elif grid4_name:
                grid = places.grid4.get((grid3.pk, grid4_name))
                if grid is None:
                    row.bad(
                        _("“%(grid)s”下没有名为“%(name)s”的四级网格 (unknown grid)")
                        % {"grid": grid3.name, "name": grid4_name[:30]}
                    )
            else:
                grid = grid3
        phone = _phone(row, cols["phone"])
        id_number = _id_number(row, cols["id_number"])
        people = _text(row.values.get("people_count")) or "1"
        people_count = 1
        if re.fullmatch(r"\d{1,2}", people) and int(people) >= 1:
            people_count = int(people)
        else:
            row.bad(_("“人口数”应为 1–99 的整数 (people count must be a whole number from 1 to 99)"))
        row.data = {
            "code": code,
            "grid": grid,
            "grid_id": grid.pk if grid else None,
            "head_name": head_name,
            "address": _required(row, cols["address"], 200),
            "phone": phone,
            "id_number": id_number,
            "people_count": people_count,
            "is_hardship": _yes_no(row, cols["is_hardship"]),
            "is_disability": _yes_no(row, cols["is_disability"]),
            "is_elderly_alone": _yes_no(row, cols["is_elderly_alone"]),
            "is_left_behind": _yes_no(row, cols["is_left_behind"]),
            "is_key": _yes_no(row, cols["is_key"]),
            "notes": _text(row.values.get("notes")),
        }


def _mark_duplicates(rows: list[_Row], key: str, message: str, sheet_label: str) -> None:
    """Every row sharing a non-empty `key` with another row is bad: we cannot tell which one is right."""
    seen: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        value = row.data.get(key)
        if value:
            seen[value].append(row)
    for same in seen.values():
        if len(same) > 1:
            numbers = "、".join(str(r.number) for r in same)
            for row in same:
                row.bad(message % {"rows": numbers, "sheet": sheet_label})


def _mark_repeats(rows: list[_Row], key: str, message: str) -> None:
    """A non-empty `key` seen in an earlier good row: this later row is bad and names the row that is kept."""
    first: dict[str, int] = {}
    for row in rows:
        value = row.data.get(key)
        if not value or not row.ok:
            continue
        if value in first:
            row.bad(message % {"first": first[value]})
        else:
            first[value] = row.number


def _parse_members(rows: list[_Row], places: _Places) -> None:
    cols = {c.key: c for c in member_columns()}
    for row in rows:
        name = _required(row, cols["name"], 50)
        phone = _phone(row, cols["phone"])
        row.label = f"{name} {mask_phone(phone)}".strip()
        role = _choice(row, cols["role"], MemberRole, required=True)
        subrole = _choice(row, cols["village_subrole"], VillageSubRole, required=False)
        if subrole and role and role != MemberRole.VILLAGE_CADRE:
            row.bad(_("只有村(社区)干部填写“村干部类别” (sub-role is for village cadres only)"))
        exempt_reason = _choice(row, cols["exempt_reason"], ExemptReason, required=False)
        is_party = _yes_no(row, cols["is_party_member"])
        is_migrant = _yes_no(row, cols["is_migrant"])
        village_name = _text(row.values.get("village"))
        grid_name = _text(row.values.get("grid"))
        home = None
        if village_name:
            village = places.village(row, village_name, cols["village"].header)
            home = village
            if village is not None and grid_name:
                home = places.grid3.get((village.pk, grid_name))
                if home is None:
                    found = places.grid4_in_village.get((village.pk, grid_name), [])
                    if len(found) == 1:
                        home = found[0]
                    else:
                        row.bad(
                            _("“%(village)s”下没有唯一名为“%(name)s”的网格 (unknown grid)")
                            % {"village": village.name, "name": grid_name[:30]}
                        )
        elif grid_name:
            row.bad(_("填写“所在网格”时必须同时填写“所在村(社区)” (village required with grid)"))
        elif role and role not in TOWN_LEVEL_ROLES:
            row.bad(_("“所在村(社区)”不能为空 (village required for this role)"))
        else:
            home = places.town
        row.data = {
            "name": name,
            "phone": phone,
            "role": role,
            "village_subrole": subrole,
            "is_party_member": is_party or role == MemberRole.PARTY_MEMBER or is_migrant,
            "is_migrant": is_migrant,
            "home": home,
            "home_id": home.pk if home else None,
            "unit": _limited(row, cols["unit"], _text(row.values.get("unit")), 100),
            "is_exempt": bool(exempt_reason),
            "exempt_reason": exempt_reason,
            "wecom_userid": _limited(row, cols["wecom_userid"], _text(row.values.get("wecom_userid")), 64),
        }


def _parse_links(rows: list[_Row]) -> None:
    cols = {c.key: c for c in link_columns()}
    for row in rows:
        phone = normalize_phone(_text(row.values.get("member_phone")))
        if not phone and "member_phone" not in row.formulas:
            row.bad(_("“%(field)s”不能为空 (required)") % {"field": cols["member_phone"].header})
        link_type = _choice(row, cols["link_type"], LinkType, required=True)
        target = _text(row.values.get("target"))
        target_kind = LINK_TARGET.get(link_type) if link_type else None
        shown_target = mask_phone(target) if target_kind == TargetKind.MIGRANT else target[:40]
        row.label = f"{mask_phone(phone)} → {shown_target}".strip()
        if not target and target_kind not in (None, TargetKind.TOWN):
            row.bad(_("“%(field)s”不能为空 (required)") % {"field": cols["target"].header})
        start = _date(row, cols["start_date"])
        end = _date(row, cols["end_date"])
        if start and end and end < start:
            row.bad(_("结束日期不能早于开始日期 (end date before start date)"))
        row.data = {
            "phone": phone,
            "link_type": link_type,
            "target_kind": target_kind,
            "target": normalize_phone(target) if target_kind == TargetKind.MIGRANT else target,
            "start_date": start,
            "end_date": end,
        }


def _lookup_households(
    codes: set[str], id_numbers: set[str]
) -> tuple[dict[str, Household], dict[str, Household]]:
    by_code: dict[str, Household] = {}
    by_id: dict[str, Household] = {}
    for chunk in _chunks(codes):
        for household in Household.objects.filter(code__in=chunk):
            by_code[household.code] = household
    # ID numbers are stored encrypted: match them by their keyed hash (grids/crypto.py).
    by_hash = {id_number_hash(n): n for n in id_numbers if n}
    for chunk in _chunks(by_hash):
        for household in Household.objects.filter(id_number_hash__in=chunk).only(
            "id", "code", "id_number_hash", "path"
        ):
            by_id[by_hash[household.id_number_hash]] = household
    return by_code, by_id


def _lookup_members(phones: set[str]) -> dict[str, Member]:
    found: dict[str, Member] = {}
    for chunk in _chunks(p for p in phones if p):
        for member in Member.objects.filter(phone__in=chunk):
            found[member.phone] = member
    return found


def _check_households(plan: CensusPlan, by_code: dict[str, Household], by_id: dict[str, Household]) -> None:
    rows = plan.households
    _mark_duplicates(
        rows,
        "code",
        _("户编号在文件中重复(户表第 %(rows)s 行) (duplicate household code in the file)"),
        SHEET_HOUSEHOLDS,
    )
    _mark_repeats(
        rows,
        "id_number",
        _("身份证号与户表第 %(first)d 行重复,保留第 %(first)d 行"),
    )
    town_path = plan.town.path
    for row in rows:
        code = row.data["code"]
        existing = by_code.get(code) if code else None
        if existing is not None and not existing.path.startswith(town_path):
            row.bad(_("户编号已被本镇以外的户使用 (household code is used outside this town)"))
            existing = None
        owner = by_id.get(row.data["id_number"]) if row.data["id_number"] else None
        if owner is not None and owner.code != code:
            if owner.path.startswith(town_path):
                row.bad(
                    _("身份证号已属于另一户(户编号 %(code)s) (ID number belongs to another household)")
                    % {"code": owner.code}
                )
            else:
                row.bad(_("身份证号已属于本镇以外的另一户 (ID number belongs to another household)"))
        row.existing = existing
        if existing is not None and row.ok:
            row.changed = any(getattr(existing, name) != row.data[name] for name in HOUSEHOLD_FIELDS)


def _check_members(plan: CensusPlan, by_phone: dict[str, Member]) -> None:
    rows = plan.members
    _mark_duplicates(
        rows,
        "phone",
        _("手机号在文件中重复(人员表第 %(rows)s 行) (duplicate phone in the file)"),
        SHEET_MEMBERS,
    )
    for row in rows:
        existing = by_phone.get(row.data["phone"]) if row.data["phone"] else None
        if existing is not None and not existing.path.startswith(plan.town.path):
            row.bad(_("该手机号已属于本镇以外的人员 (phone belongs to a member outside this town)"))
            existing = None
        row.existing = existing
        if existing is not None and not row.data.get("wecom_userid"):
            row.data["wecom_userid"] = existing.wecom_userid  # a blank cell keeps the id set in the admin
        if existing is not None and row.ok:
            row.changed = any(getattr(existing, name) != row.data[name] for name in MEMBER_FIELDS)


def _check_links(
    plan: CensusPlan,
    places: _Places,
    households_by_code: dict[str, Household],
    members_by_phone: dict[str, Member],
) -> None:
    town_path = plan.town.path
    household_rows = {row.data["code"]: row for row in plan.households if row.data.get("code")}
    member_rows = {row.data["phone"]: row for row in plan.members if row.data.get("phone")}

    def member_ref(row: _Row, phone: str, what: str) -> object:
        """The member a link refers to: a file row (if good) or a member of the town; None if unusable."""
        if phone in member_rows:
            ref = member_rows[phone]
            if not ref.ok:
                row.bad(
                    _("%(what)s引用的人员(人员表第 %(row)d 行)有错误 (the referenced member row has errors)")
                    % {"what": what, "row": ref.number}
                )
                return None
            return ref
        member = members_by_phone.get(phone)
        if member is None or not member.path.startswith(town_path):
            row.bad(_("%(what)s在人员表和本镇人员中都找不到 (member not found)") % {"what": what})
            return None
        return member

    def attr(ref: object, name: str):
        return ref.data[name] if isinstance(ref, _Row) else getattr(ref, name)

    seen: dict[tuple, int] = {}
    for row in plan.links:
        data = row.data
        member = member_ref(row, data["phone"], _("人员手机号")) if data["phone"] else None
        kind = data["target_kind"]
        target: object = None
        if kind == TargetKind.HOUSEHOLD and data["target"]:
            code = data["target"]
            if code in household_rows:
                ref = household_rows[code]
                if ref.ok:
                    target = ref
                else:
                    row.bad(
                        _("引用的户(户表第 %(row)d 行)有错误 (the referenced household row has errors)")
                        % {"row": ref.number}
                    )
            else:
                household = households_by_code.get(code)
                if household is None or not household.path.startswith(town_path):
                    row.bad(
                        _("户编号“%(code)s”在户表和本镇中都找不到 (household not found)")
                        % {"code": code[:40]}
                    )
                else:
                    target = household
        elif kind == TargetKind.TOWN:
            if data["target"] and data["target"] != plan.town.name:
                row.bad(
                    _("联镇的对象应为本镇“%(town)s” (target must be this town)") % {"town": plan.town.name}
                )
            else:
                target = plan.town
        elif kind == TargetKind.VILLAGE and data["target"]:
            target = places.village(row, data["target"], _("联系对象"))
        elif kind == TargetKind.GRID and data["target"]:
            target = places.grid_target(row, data["target"])
        elif kind == TargetKind.MIGRANT and data["target"]:
            target = member_ref(row, data["target"], _("流动党员手机号"))
            if target is not None and not attr(target, "is_migrant"):
                row.bad(_("联系对象不是流动党员 (target is not a migrant party member)"))
                target = None
        if member is not None and data["link_type"]:
            role = attr(member, "role")
            if data["link_type"] not in ROLE_LINK_TYPES.get(role, set()):
                with translation.override("zh-hans"):
                    labels = {
                        "role": str(MemberRole(role).label),
                        "type": str(LinkType(data["link_type"]).label),
                    }
                row.bad(
                    _("身份为“%(role)s”的人员不能建立“%(type)s” (this role cannot hold this link type)")
                    % labels
                )
            elif attr(member, "is_exempt"):
                row.bad(_("该人员已免于联户,不能再建立联系 (member is exempt from linking)"))
        data["member"] = member
        data["target_obj"] = target
        if not row.ok:
            continue
        key = (id(member), data["link_type"], id(target), data["start_date"])
        if key in seen:
            row.bad(_("与联系表第 %(row)d 行重复 (duplicate link in the file)") % {"row": seen[key]})
            continue
        seen[key] = row.number


def _existing_links(plan: CensusPlan) -> None:
    """Match good link rows to existing links by (member, type, target, start date): one query per chunk."""
    member_ids = {_db_pk(row.data["member"]) for row in plan.links if row.ok}
    member_ids.discard(None)
    existing: dict[tuple, Link] = {}
    for chunk in _chunks(member_ids):
        for link in Link.objects.filter(member_id__in=chunk):
            key = (
                link.member_id,
                link.link_type,
                link.place_id,
                link.household_id,
                link.migrant_id,
                link.start_date,
            )
            existing[key] = link
    for row in plan.links:
        if not row.ok:
            continue
        key = _link_key(row)
        if key is None:
            continue
        link = existing.get(key)
        if link is not None:
            row.existing = link
            row.changed = link.end_date != row.data["end_date"]


def _db_pk(ref: object) -> int | None:
    """The primary key of a referenced row: a database object's pk, or a file row's saved object's pk."""
    if isinstance(ref, _Row):
        obj = ref.existing if ref.existing is not None else ref.data.get("saved")
        return obj.pk if obj is not None else None
    return ref.pk if ref is not None else None


def _link_key(row: _Row) -> tuple | None:
    member_pk = _db_pk(row.data["member"])
    target_pk = _db_pk(row.data["target_obj"])
    if member_pk is None or target_pk is None:
        return None
    kind = row.data["target_kind"]
    place_id = target_pk if kind in (TargetKind.TOWN, TargetKind.VILLAGE, TargetKind.GRID) else None
    household_id = target_pk if kind == TargetKind.HOUSEHOLD else None
    migrant_id = target_pk if kind == TargetKind.MIGRANT else None
    return (member_pk, row.data["link_type"], place_id, household_id, migrant_id, row.data["start_date"])


def _analyse(*, town: Place, path: Path) -> CensusPlan:
    merged: list[str] = []
    sheets, missing = _read_workbook(path, merged)
    plan = CensusPlan(
        town=town,
        households=sheets[SHEET_HOUSEHOLDS],
        members=sheets[SHEET_MEMBERS],
        links=sheets[SHEET_LINKS],
        missing_sheets=missing,
        merged=merged,
    )
    places = _Places(town)
    _parse_households(plan.households, places)
    _parse_members(plan.members, places)
    _parse_links(plan.links)
    codes = {row.data["code"] for row in plan.households if row.data["code"]}
    codes |= {
        row.data["target"]
        for row in plan.links
        if row.data["target_kind"] == TargetKind.HOUSEHOLD and row.data["target"]
    }
    id_numbers = {row.data["id_number"] for row in plan.households if row.data["id_number"]}
    households_by_code, households_by_id = _lookup_households(codes, id_numbers)
    phones = {row.data["phone"] for row in plan.members} | {row.data["phone"] for row in plan.links}
    phones |= {row.data["target"] for row in plan.links if row.data["target_kind"] == TargetKind.MIGRANT}
    members_by_phone = _lookup_members(phones)
    _check_households(plan, households_by_code, households_by_id)
    _check_members(plan, members_by_phone)
    _check_links(plan, places, households_by_code, members_by_phone)
    _existing_links(plan)
    return plan


# --- services ---------------------------------------------------------------------------------------------


def census_towns_for(user) -> list[Place]:
    """Towns the user may import a census into: towns where they are town staff (superusers: every town)."""
    scope = scope_for(user)
    if not scope.is_town_staff:
        return []
    towns = Place.objects.filter(kind=PlaceKind.TOWN).order_by("path")
    if scope.is_superuser:
        return list(towns)
    return [town for town in towns.filter(path__in=scope.town_paths) if scope.writes_path(town.path)]


def census_preview(*, town: Place, path: Path) -> CensusPlan:
    """Read and check an uploaded census without writing anything. Raises CensusFileError for unreadable files."""
    return _analyse(town=town, path=path)


@dataclass
class CensusPreview:
    """What the preview page shows, computed once per upload and kept next to it (reloading is instant)."""

    counts: dict[str, SheetCounts]
    errors: list[RowError]
    missing_sheets: list[str]
    merged: list[str]
    valid_count: int

    @classmethod
    def of(cls, plan: CensusPlan) -> CensusPreview:
        return cls(plan.counts(), plan.errors(), plan.missing_sheets, plan.merged, plan.valid_count)

    def as_json(self) -> dict:
        return {
            "counts": {sheet: vars(c) for sheet, c in self.counts.items()},
            "errors": [vars(e) for e in self.errors],
            "missing_sheets": self.missing_sheets,
            "merged": self.merged,
            "valid_count": self.valid_count,
        }

    @classmethod
    def from_json(cls, data: dict) -> CensusPreview:
        return cls(
            counts={sheet: SheetCounts(**c) for sheet, c in data["counts"].items()},
            errors=[RowError(**e) for e in data["errors"]],
            missing_sheets=data["missing_sheets"],
            merged=data["merged"],
            valid_count=data["valid_count"],
        )


def _preview_path(token: str) -> Path:
    return census_file_path(token).with_suffix(".preview.json")


def census_preview_kept(*, town: Place, token: str) -> CensusPreview:
    """The preview of an upload: read from its kept copy, or computed (census_preview) and kept.

    The copy is keyed by the upload's token, the town and the file's size and time, so a different town or
    file is computed afresh. Import re-checks the file anyway (census_import), so nothing stale is written.
    Side effect: writes VAR_DIR/census/<token>.preview.json (0600), deleted with the upload.
    """
    path = census_file_path(token)
    kept = _preview_path(token)
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise CensusFileError(_("上传的文件已失效,请重新上传 (upload expired, please upload again)")) from exc
    key = {"town": town.pk, "size": stat.st_size, "mtime": stat.st_mtime_ns}
    try:
        data = json.loads(kept.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return CensusPreview.from_json(data["preview"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    preview = CensusPreview.of(census_preview(town=town, path=path))
    tmp = kept.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        tmp.chmod(0o600)
        json.dump({"key": key, "preview": preview.as_json()}, out, ensure_ascii=False)
    tmp.replace(kept)
    return preview


@transaction.atomic
def census_import(*, town: Place, path: Path) -> CensusPlan:
    """Write every valid row of the census in one transaction and return the plan (with its counts).

    The file is checked again inside the transaction, so what changed since the preview is taken into
    account. Side effects: creates/updates households (by 户编号), members (by phone) and links (by member,
    type, target and start date); rewrites the path copies (links, contacts, issues...) of households and migrant members that moved.
    Any exception rolls everything back.
    """
    plan = _analyse(town=town, path=path)
    now = timezone.now()
    moved_households = _write_households(plan, now)
    moved_members = _write_members(plan)
    _write_links(plan)
    household_paths_sync(household_ids=moved_households)
    if moved_members:
        for chunk in _chunks(moved_members):
            Link.objects.filter(migrant_id__in=chunk).update(
                path=Subquery(Member.objects.filter(pk=OuterRef("migrant_id")).values("path")[:1])
            )
    counts = plan.counts()
    logger.info(
        "census import into town %s: %s",
        town.pk,
        {sheet: (c.new, c.updated, c.unchanged, c.bad) for sheet, c in counts.items()},
    )
    return plan


def _write_households(plan: CensusPlan, now) -> list[int]:
    new, changed, moved = [], [], []
    for row in plan.households:
        if not row.ok:
            continue
        data = row.data
        values = {name: data[name] for name in HOUSEHOLD_FIELDS}
        if row.existing is None:
            household = Household(code=data["code"], path=data["grid"].path, **values)
            new.append(household)
            data["saved"] = household
        elif row.changed:
            household = row.existing
            if household.grid_id != data["grid_id"]:
                moved.append(household.pk)
            for name, value in values.items():
                setattr(household, name, value)
            household.path = data["grid"].path
            household.updated_at = now
            changed.append(household)
    _bulk_create(Household, new, "code")
    if changed:
        Household.objects.bulk_update(changed, [*HOUSEHOLD_FIELDS, "id_number_hash", "path", "updated_at"])
    return moved


def _write_members(plan: CensusPlan) -> list[int]:
    new, changed, moved = [], [], []
    for row in plan.members:
        if not row.ok:
            continue
        data = row.data
        values = {name: data[name] for name in MEMBER_FIELDS}
        if row.existing is None:
            member = Member(phone=data["phone"], path=data["home"].path, **values)
            new.append(member)
            data["saved"] = member
        elif row.changed:
            member = row.existing
            if member.home_id != data["home_id"]:
                moved.append(member.pk)
            for name, value in values.items():
                setattr(member, name, value)
            member.path = data["home"].path
            changed.append(member)
    _bulk_create(Member, new, "phone")
    if changed:
        Member.objects.bulk_update(changed, [*MEMBER_FIELDS, "path"])
    return moved


def _bulk_create(model, objects: list, natural_key: str) -> None:
    """bulk_create, then make sure every object has its primary key (fetched once if the backend did not return it)."""
    if not objects:
        return
    model.objects.bulk_create(objects)
    without_pk = {getattr(obj, natural_key): obj for obj in objects if obj.pk is None}
    for chunk in _chunks(without_pk):
        for key, pk in model.objects.filter(**{f"{natural_key}__in": chunk}).values_list(natural_key, "pk"):
            without_pk[key].pk = pk


def _target_path(row: _Row) -> str:
    target = row.data["target_obj"]
    if isinstance(target, _Row):
        target = target.existing if target.existing is not None else target.data["saved"]
    return target.path


def _write_links(plan: CensusPlan) -> None:
    new, changed = [], []
    for row in plan.links:
        if not row.ok:
            continue
        if row.existing is None:
            member_pk, link_type, place_id, household_id, migrant_id, start = _link_key(row)
            new.append(
                Link(
                    member_id=member_pk,
                    link_type=link_type,
                    place_id=place_id,
                    household_id=household_id,
                    migrant_id=migrant_id,
                    path=_target_path(row),
                    start_date=start,
                    end_date=row.data["end_date"],
                )
            )
        elif row.changed:
            row.existing.end_date = row.data["end_date"]
            changed.append(row.existing)
    if new:
        Link.objects.bulk_create(new)
    if changed:
        Link.objects.bulk_update(changed, ["end_date"])


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


__all__ = [
    "CensusFileError",
    "CensusPlan",
    "CensusPreview",
    "RowError",
    "SheetCounts",
    "census_file_delete",
    "census_file_path",
    "census_file_store",
    "census_import",
    "census_preview",
    "census_preview_kept",
    "census_template",
    "census_towns_for",
]
