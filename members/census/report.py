"""Census import: the plan (every row read, what it will do, its error) and the counts the preview shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from grids.models import Place

from .columns import SHEET_HOUSEHOLDS, SHEET_LINKS, SHEET_MEMBERS

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
