"""Census import: checking a workbook against the town and the database (`_analyse` makes the plan).

Every row is parsed (cells.py), resolved to its place inside the chosen town (`_Places`), checked against the
role → link-type rules and the other rows, and compared with what the database holds (bulk lookups in
chunks), so each row ends new, updated, unchanged or bad with its reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from django.utils.translation import gettext as _

from grids.crypto import id_number_hash
from grids.enums import PlaceKind
from grids.models import Household, Place
from grids.validators import (
    mask_phone,
    normalize_phone,
)

from ..enums import (
    LINK_TARGET,
    ExemptReason,
    LinkType,
    MemberRole,
    TargetKind,
    VillageSubRole,
)
from ..models import Link, Member, link_refusals
from .cells import _choice, _chunks, _date, _id_number, _limited, _phone, _required, _text, _yes_no
from .columns import (
    SHEET_HOUSEHOLDS,
    SHEET_LINKS,
    SHEET_MEMBERS,
    household_columns,
    link_columns,
    member_columns,
)
from .files import _read_workbook
from .report import CensusPlan, _Row

# Roles that live at town or city level: their 所在村(社区) may be left blank (home = the town).
TOWN_LEVEL_ROLES = frozenset(
    {MemberRole.CITY_LEADER, MemberRole.CITY_DEPT_HEAD, MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE}
)


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
            row.bad(_("本镇没有名为“%(name)s”的村(社区)(%(field)s)") % {"name": name[:30], "field": header})
        return village

    def grid_target(self, row: _Row, name: str) -> Place | None:
        """A third-level grid named "网格名" (if unique in the town) or "村名/网格名"."""
        if "/" in name:
            village_name, grid_name = (part.strip() for part in name.split("/", 1))
            village = self.villages.get(village_name)
            grid = self.grid3.get((village.pk, grid_name)) if village else None
            if grid is None:
                row.bad(_("本镇没有三级网格“%(name)s”") % {"name": name[:40]})
            return grid
        found = self.grid3_by_name.get(name, [])
        if len(found) > 1:
            row.bad(_("三级网格名称“%(name)s”在本镇不唯一,请写成“村名/网格名”") % {"name": name[:30]})
            return None
        if not found:
            row.bad(_("本镇没有三级网格“%(name)s”") % {"name": name[:30]})
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
                    _("“%(village)s”下没有名为“%(name)s”的三级网格")
                    % {"village": village.name, "name": grid3_name[:30]}
                )
            elif grid4_name:
                grid = places.grid4.get((grid3.pk, grid4_name))
                if grid is None:
                    row.bad(
                        _("“%(grid)s”下没有名为“%(name)s”的四级网格")
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
            row.bad(_("“人口数”应为 1–99 的整数"))
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
            row.bad(_("只有村(社区)干部填写“村干部类别”"))
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
                            _("“%(village)s”下没有唯一名为“%(name)s”的网格")
                            % {"village": village.name, "name": grid_name[:30]}
                        )
        elif grid_name:
            row.bad(_("填写“所在网格”时必须同时填写“所在村(社区)”"))
        elif role and role not in TOWN_LEVEL_ROLES:
            row.bad(_("“所在村(社区)”不能为空"))
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
            row.bad(_("“%(field)s”不能为空") % {"field": cols["member_phone"].header})
        link_type = _choice(row, cols["link_type"], LinkType, required=True)
        target = _text(row.values.get("target"))
        target_kind = LINK_TARGET.get(link_type) if link_type else None
        shown_target = mask_phone(target) if target_kind == TargetKind.MIGRANT else target[:40]
        row.label = f"{mask_phone(phone)} → {shown_target}".strip()
        if not target and target_kind not in (None, TargetKind.TOWN):
            row.bad(_("“%(field)s”不能为空") % {"field": cols["target"].header})
        start = _date(row, cols["start_date"])
        end = _date(row, cols["end_date"])
        if start and end and end < start:
            row.bad(_("结束日期不能早于开始日期"))
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
        _("户编号在文件中重复(户表第 %(rows)s 行)"),
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
            row.bad(_("户编号已被本镇以外的户使用"))
            existing = None
        owner = by_id.get(row.data["id_number"]) if row.data["id_number"] else None
        if owner is not None and owner.code != code:
            if owner.path.startswith(town_path):
                row.bad(_("身份证号已属于另一户(户编号 %(code)s)") % {"code": owner.code})
            else:
                row.bad(_("身份证号已属于本镇以外的另一户"))
        row.existing = existing
        if existing is not None and row.ok:
            row.changed = any(getattr(existing, name) != row.data[name] for name in HOUSEHOLD_FIELDS)


def _check_members(plan: CensusPlan, by_phone: dict[str, Member]) -> None:
    rows = plan.members
    _mark_duplicates(
        rows,
        "phone",
        _("手机号在文件中重复(人员表第 %(rows)s 行)"),
        SHEET_MEMBERS,
    )
    for row in rows:
        existing = by_phone.get(row.data["phone"]) if row.data["phone"] else None
        if existing is not None and not existing.path.startswith(plan.town.path):
            row.bad(_("该手机号已属于本镇以外的人员"))
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
                    _("%(what)s引用的人员(人员表第 %(row)d 行)有错误") % {"what": what, "row": ref.number}
                )
                return None
            return ref
        member = members_by_phone.get(phone)
        if member is None or not member.path.startswith(town_path):
            row.bad(_("%(what)s在人员表和本镇人员中都找不到") % {"what": what})
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
                    row.bad(_("引用的户(户表第 %(row)d 行)有错误") % {"row": ref.number})
            else:
                household = households_by_code.get(code)
                if household is None or not household.path.startswith(town_path):
                    row.bad(_("户编号“%(code)s”在户表和本镇中都找不到") % {"code": code[:40]})
                else:
                    target = household
        elif kind == TargetKind.TOWN:
            if data["target"] and data["target"] != plan.town.name:
                row.bad(_("联镇的对象应为本镇“%(town)s”") % {"town": plan.town.name})
            else:
                target = plan.town
        elif kind == TargetKind.VILLAGE and data["target"]:
            target = places.village(row, data["target"], _("联系对象"))
        elif kind == TargetKind.GRID and data["target"]:
            target = places.grid_target(row, data["target"])
        elif kind == TargetKind.MIGRANT and data["target"]:
            target = member_ref(row, data["target"], _("流动党员手机号"))
            if target is not None and not attr(target, "is_migrant"):
                row.bad(_("联系对象不是流动党员"))
                target = None
        if member is not None and data["link_type"]:
            refusals = link_refusals(
                role=attr(member, "role"), is_exempt=attr(member, "is_exempt"), link_type=data["link_type"]
            )
            if refusals:  # Link.clean's rule (members/models.py), for rows not saved yet
                row.bad(refusals[0][1])
        data["member"] = member
        data["target_obj"] = target
        if not row.ok:
            continue
        key = (id(member), data["link_type"], id(target), data["start_date"])
        if key in seen:
            row.bad(_("与联系表第 %(row)d 行重复") % {"row": seen[key]})
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
