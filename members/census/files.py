"""Census import: the uploaded workbook kept in a private file, and reading its sheets.

Real spreadsheets are forgiven (docs/ledgers.md): title rows above the header, merged cells, formulas never
calculated (see the package docstring).
"""

from __future__ import annotations

import re
import secrets
import time
import zipfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .columns import NOTE_MARK, SHEETS, sheet_columns
from .report import _Row

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STALE_SECONDS = 24 * 3600


class CensusFileError(Exception):
    """The upload is not a census workbook we can read (wrong type, missing sheets or headers)."""


# --- files ------------------------------------------------------------------------------------------------


def census_dir() -> Path:
    return Path(settings.VAR_DIR) / "census"


def census_file_path(token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        raise CensusFileError(_("上传的文件已失效,请重新上传"))
    return census_dir() / f"{token}.xlsx"


def census_file_store(*, upload) -> str:
    """Keep an uploaded workbook in a private file and return its random token (to keep in the session).

    Refuses anything that is not a readable .xlsx. Side effects: writes `VAR_DIR/census/<token>.xlsx` (0600)
    and deletes abandoned uploads older than a day.
    """
    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(".xlsx"):
        raise CensusFileError(
            _("请上传 Excel .xlsx 文件(不支持 .xls、.csv 等格式,可在 Excel 中“另存为 .xlsx”)")
        )
    if upload.size > MAX_UPLOAD_BYTES:
        raise CensusFileError(_("文件超过 10 MB,请分批导入"))
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
        raise CensusFileError(_("上传的文件已失效,请重新上传")) from exc
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError) as exc:
        raise CensusFileError(_("无法读取文件:请上传由模板填写的 Excel .xlsx 文件")) from exc


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
            _("工作表“%(sheet)s”缺少列:%(columns)s") % {"sheet": sheet, "columns": "、".join(missing)}
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
            raise CensusFileError(_("文件中没有“户”“人员”“联系”工作表,请使用下载的模板"))
        try:
            sheets = {
                name: _read_sheet(wb, wb[name], name, notes) if name in present else [] for name in SHEETS
            }
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise CensusFileError(_("无法读取文件内容")) from exc
    finally:
        wb.close()
    return sheets, [name for name in SHEETS if name not in present]


def _preview_path(token: str) -> Path:
    return census_file_path(token).with_suffix(".preview.json")
