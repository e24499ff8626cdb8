"""Census import: the services the views call (preview, kept preview, import) and the bulk writes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Household, Place
from grids.services import household_paths_sync

from ..access import scope_changed, towns_managed_by
from ..models import Link, Member
from .cells import _chunks
from .checking import HOUSEHOLD_FIELDS, MEMBER_FIELDS, _analyse, _link_key
from .files import CensusFileError, _preview_path, census_file_path
from .report import CensusPlan, RowError, SheetCounts, _Row

logger = logging.getLogger(__name__)


# --- services ---------------------------------------------------------------------------------------------


def census_towns_for(user) -> list[Place]:
    """Towns the user may import a census into: towns where they are town staff (superusers: every town)."""
    return list(towns_managed_by(user).order_by("path"))


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
        raise CensusFileError(_("上传的文件已失效,请重新上传")) from exc
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


def _write_rows(rows, model, fields, *, key: str, home: str, also_update=(), now=None) -> list[int]:
    """Create the sheet's new rows and update its changed ones (their `home` place's path copied, and
    `updated_at` when `now` is given); the ids of the existing ones that moved to another `home`."""
    new, changed, moved = [], [], []
    for row in rows:
        if not row.ok:
            continue
        data = row.data
        values = {name: data[name] for name in fields}
        if row.existing is None:
            obj = model(**{key: data[key]}, path=data[home].path, **values)
            new.append(obj)
            data["saved"] = obj
        elif row.changed:
            obj = row.existing
            if getattr(obj, f"{home}_id") != data[f"{home}_id"]:
                moved.append(obj.pk)
            for name, value in values.items():
                setattr(obj, name, value)
            obj.path = data[home].path
            if now is not None:
                obj.updated_at = now
            changed.append(obj)
    _bulk_create(model, new, key)
    if changed:
        stamp = ["updated_at"] if now is not None else []
        model.objects.bulk_update(changed, [*fields, *also_update, "path", *stamp])
    return moved


def _write_households(plan: CensusPlan, now) -> list[int]:
    return _write_rows(
        plan.households,
        Household,
        HOUSEHOLD_FIELDS,
        key="code",
        home="grid",
        also_update=["id_number_hash"],
        now=now,
    )


def _write_members(plan: CensusPlan) -> list[int]:
    return _write_rows(plan.members, Member, MEMBER_FIELDS, key="phone", home="home")


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
    # Bulk writes send no signals: these members' scopes are computed again (members.access).
    scope_changed([link.member_id for link in new] + [link.member_id for link in changed])
