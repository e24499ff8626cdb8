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

The package, by step: `columns` (the three sheets and their columns), `files` (the upload kept in a private
file, reading the workbook's sheets), `cells` (one cell's value parsed and checked), `report` (the plan: rows,
errors and counts), `checking` (places resolved inside the town, rows checked against the rules and the
database: `_analyse`), `services` (what the views call: preview, kept preview, import, and the bulk writes),
`template` (the workbook to fill in). Import from `members.census`: the public names are re-exported here.
"""

from .columns import SHEET_HOUSEHOLDS, SHEET_LINKS, SHEET_MEMBERS, SHEETS, household_columns, sheet_columns
from .files import CensusFileError, census_file_delete, census_file_path, census_file_store
from .report import CensusPlan, RowError, SheetCounts
from .services import CensusPreview, census_import, census_preview, census_preview_kept, census_towns_for
from .template import census_template

__all__ = [
    "SHEETS",
    "SHEET_HOUSEHOLDS",
    "SHEET_LINKS",
    "SHEET_MEMBERS",
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
    "household_columns",
    "sheet_columns",
]
