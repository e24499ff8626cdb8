"""Pairing proposals (配对建议): read the scope, solve (pairing/solver.py), store a draft batch, edit it, apply it.

Reads are a fixed handful of queries whatever the size of the scope (places, households, members, current
links); the optimisation runs per village, because households pair within their village (a member of one
village never links a household of another). The size rules are members' own (`members.enums.HOUSEHOLD_RANGE`
and `members.selectors.ROLE_HOUSEHOLD_LINK`, the ones `/checks/` uses), not copies.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.errors import Invalid
from grids.models import Household, Place
from members.access import scope_changed, scope_for
from members.enums import HOUSEHOLD_RANGE, ROLE_LINK_TYPES, LinkType, MemberRole
from members.models import Link, Member, link_refusals
from members.selectors import ROLE_HOUSEHOLD_LINK

from . import solver
from .enums import BatchStatus, LineAction, LineOutcome, PairingMode, Reason
from .models import PairingBatch, PairingLine

SLOT_KIND = {
    LinkType.PARTY_HOUSEHOLD: solver.PARTY,
    LinkType.VILLAGE_HOUSEHOLD: solver.CADRE,
    LinkType.TOWN_HOUSEHOLD: solver.TOWN,
}
# Links a full proposal plans afresh; city leaders' households and every place link are appointed, kept.
REPLANNED_TYPES = frozenset(SLOT_KIND)
TOWN_CADRE_ROLES = (MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE)
TIER_REASON = {
    solver.TIER_GRID4: Reason.SAME_GROUP,
    solver.TIER_GRID3: Reason.SAME_GRID,
    solver.TIER_VILLAGE: Reason.SAME_VILLAGE,
}
KEY_FIELDS = ("is_hardship", "is_disability", "is_elderly_alone", "is_left_behind", "is_key")


class PairingError(Invalid):
    """A refused pairing step (grids/errors.py)."""


# --- who may pair where -----------------------------------------------------------------------------------


def pairing_places_for(user) -> list[Place]:
    """Town staff: their town(s) and every village in it; a village officer: their village."""
    scope = scope_for(user)
    if scope.is_superuser:
        return list(Place.objects.filter(kind__in=[PlaceKind.TOWN, PlaceKind.VILLAGE]).order_by("path"))
    q = Q(pk__in=[])
    for path in scope.staff_town_paths:
        q |= Q(path__startswith=path, kind__in=[PlaceKind.TOWN, PlaceKind.VILLAGE])
    if scope.is_village_officer:
        q |= Q(path__in=[p for p in scope.village_paths if scope.writes_path(p)])
    return list(Place.objects.filter(q).order_by("path"))


def can_pair(user, place: Place) -> bool:
    """May this user propose for, edit and apply batches on `place` (a town or village)?"""
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    if scope.is_staff_of(place.path):
        return True
    if scope.is_village_officer and place.kind == PlaceKind.VILLAGE and place.path in scope.village_paths:
        return scope.writes_path(place.path)
    return False


def batches_visible_to(user):
    places = pairing_places_for(user)
    if not places:
        return PairingBatch.objects.none()
    if scope_for(user).is_superuser:
        return PairingBatch.objects.all()
    return PairingBatch.objects.filter(place__in=places)


def get_batch_for_user(user, pk) -> PairingBatch:
    from django.http import Http404

    batch = PairingBatch.objects.select_related("place", "subject").filter(pk=pk).first()
    if batch is None or not can_pair(user, batch.place):
        raise Http404
    return batch


# --- the proposal -----------------------------------------------------------------------------------------


@dataclass
class Proposal:
    place: Place
    mode: str
    subject: Member | None
    lines: list[PairingLine] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def _float(value):
    return None if value is None else float(value)


def _is_key(h: dict) -> bool:
    return any(h[f] for f in KEY_FIELDS)


class _Places:
    """The places under the scope (one query), to find each household's and member's group, grid and village."""

    def __init__(self, root: Place):
        self.rows = {
            p["id"]: p
            for p in Place.objects.filter(path__startswith=root.path).values(
                "id", "kind", "parent_id", "name"
            )
        }

    def up(self, place_id: int | None, kind: str) -> int | None:
        while place_id is not None and place_id in self.rows:
            row = self.rows[place_id]
            if row["kind"] == kind:
                return place_id
            place_id = row["parent_id"]
        return None

    def where(self, place_id: int | None) -> tuple[int | None, int | None, int | None]:
        """(grid4, grid3, village) of a place, each None when the place is above that level."""
        return (
            self.up(place_id, PlaceKind.GRID4),
            self.up(place_id, PlaceKind.GRID3),
            self.up(place_id, PlaceKind.VILLAGE),
        )


def proposal_build(
    *, place: Place, mode: str, subject: Member | None = None, on: datetime.date | None = None
) -> Proposal:
    """Compute (not store) a pairing proposal for a town or a village. See docs/pairing.md."""
    started = time.perf_counter()
    on = on or timezone.localdate()
    if place.kind not in (PlaceKind.TOWN, PlaceKind.VILLAGE):
        raise PairingError(_("只能对镇或村(社区)提出配对建议"))
    if mode not in PairingMode.values:
        raise PairingError(_("未知的配对方式"))
    places = _Places(place)
    town_wide = place.kind == PlaceKind.TOWN
    grid3_ids = [pk for pk, row in places.rows.items() if row["kind"] == PlaceKind.GRID3]

    households = list(
        Household.objects.filter(path__startswith=place.path).values(
            "id", "grid_id", "latitude", "longitude", *KEY_FIELDS
        )
    )
    # Members living in the scope, and the town cadres who run one of its grids (they live at the town).
    grid_cadres = Link.objects.current(on).filter(link_type=LinkType.TOWN_GRID, place_id__in=grid3_ids)
    member_q = Q(path__startswith=place.path) | Q(pk__in=grid_cadres.values("member_id"))
    members = {
        m["id"]: m
        for m in Member.objects.filter(member_q).values(
            "id", "role", "home_id", "is_exempt", "is_migrant", "latitude", "longitude", "name"
        )
    }
    links = list(
        Link.objects.current(on)
        .filter(
            Q(path__startswith=place.path) | Q(member_id__in=Member.objects.filter(member_q).values("pk"))
        )
        .values("id", "member_id", "link_type", "household_id", "place_id", "migrant_id")
    )

    # Which current links end in this proposal.
    subjects: set[int] = set()
    if mode == PairingMode.REBALANCE:
        if subject is not None:
            if subject.pk not in members:
                raise PairingError(_("所选人员不在此范围内"))
            subjects = {subject.pk}
        else:
            linked = {link["member_id"] for link in links}
            subjects = {pk for pk, m in members.items() if m["is_exempt"] and pk in linked}
    ending = {link["id"] for link in links if link["member_id"] in subjects}
    household_ids = {h["id"] for h in households}
    replanned = set()
    if mode == PairingMode.FULL:
        replanned = {
            link["id"]
            for link in links
            if link["link_type"] in REPLANNED_TYPES
            and link["household_id"] in household_ids
            and link["member_id"] not in subjects
        }
    kept = [link for link in links if link["id"] not in ending and link["id"] not in replanned]

    covered = {link["household_id"] for link in kept if link["household_id"]}
    if mode == PairingMode.REBALANCE:
        theirs = {link["household_id"] for link in links if link["id"] in ending and link["household_id"]}
        to_pair = [h for h in households if h["id"] in theirs and h["id"] not in covered]
    else:
        to_pair = [h for h in households if h["id"] not in covered]

    held = Counter((link["member_id"], link["link_type"]) for link in kept if link["household_id"])
    grid_of_cadre = {
        link["member_id"]: link["place_id"] for link in kept if link["link_type"] == LinkType.TOWN_GRID
    }
    lines: list[PairingLine] = []
    summary: dict = {"villages": 0, "grids_without_cadre": 0, "cadres_without_grid": 0}

    # Town cadres without a grid take the grids nobody runs (town-wide proposals only: the town decides).
    if town_wide:
        free_grids = sorted(
            (pk for pk in grid3_ids if pk not in set(grid_of_cadre.values())),
            key=lambda pk: places.rows[pk]["name"],
        )
        free_cadres = sorted(
            (
                pk
                for pk, m in members.items()
                if m["role"] in TOWN_CADRE_ROLES
                and not m["is_exempt"]
                and pk not in subjects
                and pk not in grid_of_cadre
            ),
            key=lambda pk: (members[pk]["name"], pk),
        )
        for grid, cadre in zip(free_grids, free_cadres, strict=False):
            grid_of_cadre[cadre] = grid
            lines.append(
                PairingLine(
                    action=LineAction.CREATE,
                    link_type=LinkType.TOWN_GRID,
                    member_id=cadre,
                    place_id=grid,
                    reason=Reason.TOWN_GRID,
                )
            )
        summary["grids_without_cadre"] = max(0, len(free_grids) - len(free_cadres))
        summary["cadres_without_grid"] = max(0, len(free_cadres) - len(free_grids))

    # Slots: every member who may take households, with the room their role's range leaves.
    slots_by_village: dict[int, list[solver.SlotIn]] = defaultdict(list)
    slot_type: dict[int, str] = {}
    for pk, m in members.items():
        if m["is_exempt"] or m["is_migrant"] or pk in subjects:
            continue
        link_type = ROLE_HOUSEHOLD_LINK.get(m["role"])
        if m["role"] == MemberRole.VOLUNTEER and held[pk, LinkType.PARTY_HOUSEHOLD]:
            link_type = LinkType.PARTY_HOUSEHOLD  # volunteers who already link are held to the members' range
        if link_type not in SLOT_KIND:
            continue
        low, high = HOUSEHOLD_RANGE[link_type]
        have = held[pk, link_type]
        grid4, grid3, village = places.where(m["home_id"])
        only = None
        if link_type == LinkType.TOWN_HOUSEHOLD:
            only = grid_of_cadre.get(pk)
            if only is None:
                continue
            grid4, grid3, village = None, only, places.up(only, PlaceKind.VILLAGE)
        if village is None:
            continue
        slot_type[pk] = link_type
        slots_by_village[village].append(
            solver.SlotIn(
                member=pk,
                kind=SLOT_KIND[link_type],
                low=max(0, low - have),
                high=max(0, high - have),
                grid4=grid4,
                grid3=grid3,
                lat=_float(m["latitude"]),
                lon=_float(m["longitude"]),
                only_grid3=only,
            )
        )

    households_by_village: dict[int | None, list[solver.HouseholdIn]] = defaultdict(list)
    key_of: dict[int, bool] = {}
    for h in to_pair:
        grid4, grid3, village = places.where(h["grid_id"])
        key_of[h["id"]] = _is_key(h)
        households_by_village[village].append(
            solver.HouseholdIn(
                id=h["id"],
                grid4=grid4,
                grid3=grid3,
                key=key_of[h["id"]],
                lat=_float(h["latitude"]),
                lon=_float(h["longitude"]),
            )
        )

    assignment: dict[int, tuple[int, solver.Assignment]] = {}
    unmet: list[int] = []
    shortfall: dict[int, int] = {}
    room = 0
    for village in sorted(set(households_by_village) | set(slots_by_village), key=lambda v: v or 0):
        hs = households_by_village.get(village, [])
        slots = slots_by_village.get(village, [])
        room += sum(s.high for s in slots)
        if village is None:
            unmet.extend(h.id for h in hs)
            continue
        summary["villages"] += 1
        solution = solver.solve(hs, slots)
        for a in solution.assignments:
            assignment[a.household] = (a.member, a)
        unmet.extend(solution.unmet)
        shortfall.update(solution.shortfall)

    # Full proposals keep a link the solver reproduces; every other replanned link ends.
    old_by_household: dict[int, list[dict]] = defaultdict(list)
    for link in links:
        if link["id"] in replanned:
            old_by_household[link["household_id"]].append(link)
    kept_again: set[int] = set()
    for hid, (member, _a) in assignment.items():
        for link in old_by_household.get(hid, []):
            if link["member_id"] == member and link["link_type"] == slot_type[member]:
                kept_again.add(link["id"])
    for link in links:
        if link["id"] in ending or (link["id"] in replanned and link["id"] not in kept_again):
            is_exempt = members.get(link["member_id"], {}).get("is_exempt")
            reason = (
                Reason.REPLANNED
                if link["id"] in replanned
                else Reason.EXEMPT
                if is_exempt
                else Reason.LEAVING
            )
            lines.append(
                PairingLine(
                    action=LineAction.END,
                    link_type=link["link_type"],
                    member_id=link["member_id"],
                    household_id=link["household_id"],
                    place_id=link["place_id"],
                    migrant_id=link["migrant_id"],
                    reason=reason,
                    link_id=link["id"],
                    is_key=key_of.get(link["household_id"], False),
                )
            )
    key_to_party = 0
    for hid, (member, a) in sorted(assignment.items()):
        if any(
            link["member_id"] == member and link["id"] in kept_again for link in old_by_household.get(hid, [])
        ):
            continue
        if key_of[hid] and slot_type[member] == LinkType.PARTY_HOUSEHOLD:
            key_to_party += 1
        lines.append(
            PairingLine(
                action=LineAction.CREATE,
                link_type=slot_type[member],
                member_id=member,
                household_id=hid,
                reason=TIER_REASON[a.tier],
                metres=a.metres,
                is_key=key_of[hid],
            )
        )

    migrant_lines, migrants_unmet = _migrant_lines(
        members=members, links=links, kept=kept, ending=ending, subjects=subjects, places=places, mode=mode
    )
    lines.extend(migrant_lines)

    summary.update(
        {
            "households": len(households),
            "to_pair": len(to_pair),
            "paired": len(assignment),
            "unmet": len(unmet),
            "unmet_key": sum(1 for hid in unmet if key_of.get(hid)),
            "room": room,
            "key_to_party": key_to_party,
            "shortfall_members": len(shortfall),
            "shortfall_households": sum(shortfall.values()),
            "ending": sum(1 for line in lines if line.action == LineAction.END),
            "creating": sum(1 for line in lines if line.action == LineAction.CREATE),
            "migrants_unmet": migrants_unmet,
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
    # Ordinary members needed to take what is left, at the top of their range.
    party_high = HOUSEHOLD_RANGE[LinkType.PARTY_HOUSEHOLD][1]
    summary["members_needed"] = -(-summary["unmet"] // party_high)
    summary["shortfall_detail"] = [
        {"member": pk, "name": members[pk]["name"], "missing": n} for pk, n in sorted(shortfall.items())
    ][:50]
    return Proposal(place=place, mode=mode, subject=subject, lines=lines, summary=summary)


def _migrant_lines(*, members, links, kept, ending, subjects, places, mode):
    """Migrant party members without a village cadre go to the cadre of their village carrying the fewest."""
    linked = {link["migrant_id"] for link in kept if link["migrant_id"]}
    if mode == PairingMode.REBALANCE:
        wanted = {
            link["migrant_id"] for link in links if link["id"] in ending and link["migrant_id"]
        } - linked
    else:
        wanted = {pk for pk, m in members.items() if m["is_migrant"] and not m["is_exempt"]} - linked
    load = Counter(link["member_id"] for link in kept if link["migrant_id"])
    cadres_by_village: dict[int, list[int]] = defaultdict(list)
    for pk, m in members.items():
        if (
            LinkType.MIGRANT in ROLE_LINK_TYPES.get(m["role"], ())
            and not m["is_exempt"]
            and not m["is_migrant"]
            and pk not in subjects
        ):
            cadres_by_village[places.up(m["home_id"], PlaceKind.VILLAGE)].append(pk)
    lines, unmet = [], 0
    for migrant in sorted(wanted):
        m = members.get(migrant)
        village = places.up(m["home_id"], PlaceKind.VILLAGE) if m else None
        grid4 = places.up(m["home_id"], PlaceKind.GRID4) if m else None
        cadres = cadres_by_village.get(village) if village else None
        if not cadres:
            unmet += 1
            continue
        cadre = min(
            cadres, key=lambda pk: (load[pk], places.up(members[pk]["home_id"], PlaceKind.GRID4) != grid4, pk)
        )
        load[cadre] += 1
        lines.append(
            PairingLine(
                action=LineAction.CREATE,
                link_type=LinkType.MIGRANT,
                member_id=cadre,
                migrant_id=migrant,
                reason=Reason.MIGRANT,
            )
        )
    return lines, unmet


# --- batches ----------------------------------------------------------------------------------------------


@transaction.atomic
def batch_propose(
    *, user, place: Place, mode: str, subject: Member | None = None, note: str = ""
) -> PairingBatch:
    """Store a proposal as a draft batch (its lines can then be dropped or moved, and the batch applied)."""
    if user is not None and not can_pair(user, place):
        raise PermissionDenied
    proposal = proposal_build(place=place, mode=mode, subject=subject)
    batch = PairingBatch.objects.create(
        place=place, mode=mode, subject=subject, summary=proposal.summary, created_by=user, note=note
    )
    for line in proposal.lines:
        line.batch = batch
    PairingLine.objects.bulk_create(proposal.lines, batch_size=2000)
    return batch


def _editable(user, batch: PairingBatch) -> None:
    if not can_pair(user, batch.place):
        raise PermissionDenied
    if batch.status != BatchStatus.DRAFT:
        raise PairingError(_("该批次已应用或已放弃,不能再修改"))


@transaction.atomic
def line_drop(*, user, line: PairingLine) -> PairingLine:
    """Take a line out of the batch (nothing happens to it when the batch is applied)."""
    batch = PairingBatch.objects.select_for_update().get(pk=line.batch_id)
    _editable(user, batch)
    line.outcome = LineOutcome.DROPPED
    line.save(update_fields=["outcome"])
    return line


def move_candidates(*, line: PairingLine, on: datetime.date | None = None) -> list[dict]:
    """Members who may take this line's household instead, nearest first, with their count after the batch."""
    if line.action != LineAction.CREATE or line.household_id is None:
        return []
    on = on or timezone.localdate()
    batch = line.batch
    household = Household.objects.select_related("grid").get(pk=line.household_id)
    places = _Places(Place.objects.get(pk=batch.place_id))
    h4, h3, village = places.where(household.grid_id)
    if village is None:
        return []
    village_path = Place.objects.get(pk=village).path
    is_key = _is_key({f: getattr(household, f) for f in KEY_FIELDS})
    allowed_types = [LinkType.PARTY_HOUSEHOLD] + ([LinkType.VILLAGE_HOUSEHOLD] if is_key else [])
    roles = [r for r, t in ROLE_HOUSEHOLD_LINK.items() if t in allowed_types]
    candidates = list(
        Member.objects.filter(path__startswith=village_path, role__in=[*roles, MemberRole.VOLUNTEER])
        .filter(is_exempt=False, is_migrant=False)
        .exclude(pk=line.member_id)
        .exclude(pk=batch.subject_id or 0)
        .values("id", "name", "role", "home_id", "latitude", "longitude")
    )
    counts = _after_counts(batch, [c["id"] for c in candidates], on)
    out = []
    for c in candidates:
        link_type = ROLE_HOUSEHOLD_LINK.get(c["role"], LinkType.PARTY_HOUSEHOLD)
        if c["role"] == MemberRole.VOLUNTEER and not counts.get((c["id"], LinkType.PARTY_HOUSEHOLD)):
            continue
        low, high = HOUSEHOLD_RANGE[link_type]
        after = counts.get((c["id"], link_type), 0)
        if after >= high:
            continue
        g4, g3, _v = places.where(c["home_id"])
        m = solver.metres(
            _float(household.latitude),
            _float(household.longitude),
            _float(c["latitude"]),
            _float(c["longitude"]),
        )
        tier = (
            solver.TIER_GRID4
            if g4 and g4 == h4
            else solver.TIER_GRID3
            if g3 and g3 == h3
            else solver.TIER_VILLAGE
        )
        out.append(
            {
                "id": c["id"],
                "name": c["name"],
                "link_type": link_type,
                "reason": TIER_REASON[tier],
                "reason_label": str(TIER_REASON[tier].label),
                "metres": m,
                "after": after,
                "low": low,
                "high": high,
                "sort": (tier, m if m is not None else solver.UNKNOWN_METRES, c["name"]),
            }
        )
    out.sort(key=lambda row: row["sort"])
    return out


@transaction.atomic
def line_move(*, user, line: PairingLine, member: Member) -> PairingLine:
    """Give a proposed household to another member of the village (who may hold it and has room)."""
    batch = PairingBatch.objects.select_for_update().get(pk=line.batch_id)
    _editable(user, batch)
    choice = next((c for c in move_candidates(line=line) if c["id"] == member.pk), None)
    if choice is None:
        raise PairingError(_("该人员不能联系此户(身份、所在村或联系户数已满)"))
    line.member = member
    line.link_type = choice["link_type"]
    line.reason = Reason.MOVED
    line.metres = choice["metres"]
    line.save(update_fields=["member", "link_type", "reason", "metres"])
    return line


@transaction.atomic
def batch_discard(*, user, batch: PairingBatch) -> PairingBatch:
    batch = PairingBatch.objects.select_for_update().get(pk=batch.pk)
    _editable(user, batch)
    batch.status = BatchStatus.DISCARDED
    batch.save(update_fields=["status"])
    return batch


@dataclass
class ApplyResult:
    batch: PairingBatch
    created: int = 0
    ended: int = 0
    skipped: int = 0
    already: bool = False


@transaction.atomic
def batch_apply(*, user, batch: PairingBatch, on: datetime.date | None = None) -> ApplyResult:
    """Apply every line left in a draft batch, as one transaction. Applying it again changes nothing.

    Ended links end the day before `on` (the day they began, if that is `on`); new links begin on `on`.
    A line whose situation changed since the proposal (link already ended, household already taken, member
    now exempt) is skipped with the reason, the rest still applies.
    """
    on = on or timezone.localdate()
    batch = PairingBatch.objects.select_for_update().select_related("place").get(pk=batch.pk)
    if user is not None and not can_pair(user, batch.place):
        raise PermissionDenied
    if batch.status != BatchStatus.DRAFT:
        return ApplyResult(batch=batch, already=True)
    result = ApplyResult(batch=batch)
    lines = list(batch.lines.filter(outcome=LineOutcome.PENDING).select_related("member"))
    end_lines = [line for line in lines if line.action == LineAction.END]
    create_lines = [line for line in lines if line.action == LineAction.CREATE]
    to_end = {
        link.pk: link
        for link in Link.objects.select_for_update().filter(pk__in=[line.link_id for line in end_lines])
    }
    ended = []
    for line in end_lines:
        link = to_end.get(line.link_id)
        if link is None or not link.is_current(on):
            line.outcome, line.outcome_note = LineOutcome.SKIPPED, _("联系已结束")
            continue
        link.end_date = max(link.start_date, on - datetime.timedelta(days=1))
        ended.append(link)
        line.outcome = LineOutcome.DONE
    by_end: dict[datetime.date, list[int]] = defaultdict(list)
    for link in ended:
        by_end[link.end_date].append(link.pk)
    for end_date, pks in by_end.items():  # one UPDATE per end date (two at most), not one per link
        for chunk in _chunks(pks):
            Link.objects.filter(pk__in=chunk).update(end_date=end_date)
    result.ended = len(ended)

    # What is still covered after the endings (households, grids, migrants), read once.
    hh_ids = [line.household_id for line in create_lines if line.household_id]
    still = Link.objects.current(on).exclude(pk__in=[link.pk for link in ended])
    covered_households = set(still.filter(household_id__in=hh_ids).values_list("household_id", flat=True))
    covered_migrants = set(
        still.filter(
            migrant_id__in=[line.migrant_id for line in create_lines if line.migrant_id]
        ).values_list("migrant_id", flat=True)
    )
    held_grids = set(
        still.filter(
            link_type=LinkType.TOWN_GRID, member_id__in=[line.member_id for line in create_lines]
        ).values_list("member_id", flat=True)
    )
    households = {h.pk: h for h in Household.objects.filter(pk__in=hh_ids).only("id", "path")}
    targets = Place.objects.in_bulk([line.place_id for line in create_lines if line.place_id])
    migrants = Member.objects.in_bulk([line.migrant_id for line in create_lines if line.migrant_id])
    new_links = []
    for line in create_lines:
        note = ""
        refusals = link_refusals(  # Link.clean's role and exemption rule (lines may have been edited)
            role=line.member.role, is_exempt=line.member.is_exempt, link_type=line.link_type
        )
        if refusals:
            note = refusals[0][1]
        elif line.household_id and line.household_id in covered_households:
            note = _("此户已有人联系")
        elif line.migrant_id and line.migrant_id in covered_migrants:
            note = _("该流动党员已有人联系")
        elif line.link_type == LinkType.TOWN_GRID and line.member_id in held_grids:
            note = _("该镇干部已包干网格")
        if note:
            line.outcome, line.outcome_note = LineOutcome.SKIPPED, note
            continue
        link = Link(
            member_id=line.member_id,
            link_type=line.link_type,
            household_id=line.household_id,
            place_id=line.place_id,
            migrant_id=line.migrant_id,
            start_date=on,
            note=_("配对批次 #%(n)d") % {"n": batch.pk},
        )
        target = (
            households.get(line.household_id) or targets.get(line.place_id) or migrants.get(line.migrant_id)
        )
        link.path = target.path
        if line.household_id:
            covered_households.add(line.household_id)
        if line.migrant_id:
            covered_migrants.add(line.migrant_id)
        if line.link_type == LinkType.TOWN_GRID:
            held_grids.add(line.member_id)
        new_links.append((line, link))
    Link.objects.bulk_create([link for _line, link in new_links], batch_size=2000)
    # Bulk writes send no signals: the members whose links ended or started see anew (members.access).
    scope_changed([link.member_id for link in ended] + [link.member_id for _line, link in new_links])
    for line, link in new_links:
        line.link = link
        line.outcome = LineOutcome.DONE
    result.created = len(new_links)
    result.skipped = sum(1 for line in lines if line.outcome == LineOutcome.SKIPPED)
    _save_outcomes(lines, new_links)
    batch.status = BatchStatus.APPLIED
    batch.applied_by = user
    batch.applied_at = timezone.now()
    batch.summary = {
        **batch.summary,
        "applied": {"created": result.created, "ended": result.ended, "skipped": result.skipped},
    }
    batch.save(update_fields=["status", "applied_by", "applied_at", "summary"])
    return result


def _chunks(items: list, size: int = 2000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _save_outcomes(lines: list[PairingLine], new_links: list) -> None:
    """Write the lines' outcomes with one UPDATE per (outcome, note) and the new links' ids with UPDATE … FROM
    (a VALUES list) in chunks: Django's bulk_update builds a CASE per row, minutes for a town's 20,000 lines."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for line in lines:
        groups[line.outcome, line.outcome_note].append(line.pk)
    for (outcome, note), pks in groups.items():
        for chunk in _chunks(pks):
            PairingLine.objects.filter(pk__in=chunk).update(outcome=outcome, outcome_note=note)
    table = PairingLine._meta.db_table
    pairs = [(line.pk, link.pk) for line, link in new_links]
    with connection.cursor() as cursor:
        for chunk in _chunks(pairs):
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(  # a CTE with column names: the form PostgreSQL and SQLite both take
                f"WITH v(line, link) AS (VALUES {values}) UPDATE {table}"
                f" SET link_id = (SELECT v.link FROM v WHERE v.line = {table}.id)"
                f" WHERE id IN (SELECT v.line FROM v)",
                [x for pair in chunk for x in pair],
            )


def _after_counts(
    batch: PairingBatch, member_ids: list[int], on: datetime.date
) -> dict[tuple[int, str], int]:
    """(member, link type) -> current household links, minus the batch's pending endings, plus its creations."""
    counts: Counter = Counter()
    rows = (
        Link.objects.current(on)
        .filter(member_id__in=member_ids, household__isnull=False)
        .values_list("member_id", "link_type")
    )
    for member, link_type in rows:
        counts[member, link_type] += 1
    if batch.status == BatchStatus.DRAFT:
        for action, member, link_type in batch.lines.filter(
            member_id__in=member_ids, household__isnull=False, outcome=LineOutcome.PENDING
        ).values_list("action", "member_id", "link_type"):
            counts[member, link_type] += 1 if action == LineAction.CREATE else -1
    return counts


# --- reading a batch back ---------------------------------------------------------------------------------


@dataclass
class MemberRow:
    member: Member
    link_type: str
    lines: list = field(default_factory=list)
    before: int = 0
    after: int = 0
    low: int = 0
    high: int = 0

    @property
    def in_range(self) -> bool:
        return self.low <= self.after <= self.high


def batch_rows(batch: PairingBatch, on: datetime.date | None = None) -> tuple[list[MemberRow], list[dict]]:
    """Per member: the batch's lines and their household count before → after; then totals per rule."""
    on = on or timezone.localdate()
    lines = list(
        batch.lines.select_related("member", "household", "household__grid", "place", "migrant").order_by(
            "member__path", "member__name", "member_id", "action", "id"
        )
    )
    member_ids = sorted({line.member_id for line in lines})
    after = _after_counts(batch, member_ids, on)
    before: Counter = Counter()
    for member, link_type in (
        Link.objects.current(on)
        .filter(member_id__in=member_ids, household__isnull=False)
        .values_list("member_id", "link_type")
    ):
        before[member, link_type] += 1
    rows: dict[tuple[int, str], MemberRow] = {}
    for line in lines:
        link_type = line.link_type if line.household_id else ""
        key = (line.member_id, line.link_type)
        row = rows.get(key)
        if row is None:
            low, high = HOUSEHOLD_RANGE.get(line.link_type, (0, 0))
            if line.member.is_exempt or line.member_id == batch.subject_id:
                low = high = 0  # leaving: no range to keep, every link ends
            row = rows[key] = MemberRow(member=line.member, link_type=line.link_type, low=low, high=high)
            if link_type:
                row.before, row.after = before[key], after[key]
        row.lines.append(line)
    totals: dict[str, dict] = {}
    for row in rows.values():
        if row.link_type not in HOUSEHOLD_RANGE or not row.high:
            continue
        t = totals.setdefault(
            row.link_type,
            {
                "link_type": row.link_type,
                "label": LinkType(row.link_type).label,
                "range": "{}–{}".format(*HOUSEHOLD_RANGE[row.link_type]),
                "members": 0,
                "in_range": 0,
                "below": 0,
                "above": 0,
                "households": 0,
            },
        )
        t["members"] += 1
        t["households"] += sum(
            1
            for line in row.lines
            if line.action == LineAction.CREATE and line.outcome != LineOutcome.DROPPED
        )
        if row.after < row.low:
            t["below"] += 1
        elif row.after > row.high:
            t["above"] += 1
        else:
            t["in_range"] += 1
    return list(rows.values()), sorted(totals.values(), key=lambda t: t["link_type"])
