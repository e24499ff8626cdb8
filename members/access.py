"""Who may see what. The one place for scoping: admin, views, API, filters' choices, exports and tasks use it.

A login is tied to a member; the member's current posts give whole subtrees (paths) to see:
town staff and the discipline commission their town, a village officer the village, a grid head the grid.
Every member also sees their own current links' targets. A department handler sees only what is assigned
to the department (issues do that part). Superusers see everything.
The city tier: a city leader's or the city campaign office's post (CITY_POSITIONS) sees the whole city
read-only; a city leader's 联点 link to a town (LinkType.CITY_TOWN) shows that town in full, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.errors import NotAllowed
from grids.models import Household, Place

from .auth import member_read_with
from .enums import CITY_POSITIONS, LEADING_GROUP_POSITIONS, TOWN_STAFF_POSITIONS, LinkType, PositionKind
from .models import Link, Member, Position

_CACHE_ATTR = "_lianhu_scope"


@dataclass(frozen=True)
class Scope:
    member: Member | None = None
    # Subtrees seen whole, as materialized paths.
    paths: tuple[str, ...] = ()
    # Subtrees where the user may also change things (not the discipline commission's read-only view).
    write_paths: tuple[str, ...] = ()
    # Towns seen whole as town staff or the discipline commission.
    town_paths: tuple[str, ...] = ()
    # Where the user holds a town-staff post (a town; a city for staff posted above every town): see is_staff_of.
    staff_town_paths: tuple[str, ...] = ()
    village_paths: tuple[str, ...] = ()
    grid_paths: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()
    # Cities seen whole through a city post (read-only), and towns seen whole through a 市领导联镇 link.
    city_paths: tuple[str, ...] = ()
    linked_town_paths: tuple[str, ...] = ()
    positions: frozenset[str] = field(default_factory=frozenset)
    # Targets of the member's current links, as literal ids: a member holds a few dozen at most, and literals
    # (instead of `OR id IN (subquery)`) let PostgreSQL keep using the path index (0.8 ms instead of a
    # 261 ms scan at 450,000 households).
    own_household_ids: tuple[int, ...] = ()
    own_place_ids: tuple[int, ...] = ()
    own_migrant_ids: tuple[int, ...] = ()
    is_superuser: bool = False

    @property
    def is_town_staff(self) -> bool:
        return self.is_superuser or bool(self.positions & TOWN_STAFF_POSITIONS)

    def is_staff_of(self, path: str) -> bool:
        """Town staff of the town holding `path` (the town itself or anything in it); superusers everywhere.

        The one rule for "town staff of this town": a town-staff post elsewhere, a discipline post here (read
        only) or a village/grid post here do not make the user town staff here.
        """
        return self.is_superuser or any(path.startswith(p) for p in self.staff_town_paths)

    @property
    def is_leading_group(self) -> bool:
        return self.is_superuser or bool(self.positions & LEADING_GROUP_POSITIONS)

    @property
    def is_discipline(self) -> bool:
        return PositionKind.DISCIPLINE in self.positions

    @property
    def is_village_officer(self) -> bool:
        return PositionKind.VILLAGE_OFFICER in self.positions

    @property
    def is_grid_head(self) -> bool:
        return PositionKind.GRID_HEAD in self.positions

    @property
    def is_city_viewer(self) -> bool:
        """Sees a city-wide view (city dashboard, compliance by town, department league table)."""
        return self.is_superuser or bool(self.city_paths)

    @property
    def is_dept_handler(self) -> bool:
        return PositionKind.DEPT_HANDLER in self.positions

    def sees_path(self, path: str) -> bool:
        return self.is_superuser or any(path.startswith(p) for p in self.paths)

    def writes_path(self, path: str) -> bool:
        return self.is_superuser or any(path.startswith(p) for p in self.write_paths)

    def path_q(self, field_name: str = "path", write: bool = False) -> Q:
        """A Q matching rows whose `field_name` lies under one of the scope's subtrees (never matches if none)."""
        if self.is_superuser:
            return Q()
        return paths_q(self.write_paths if write else self.paths, field_name)


def paths_q(paths, field_name: str = "path") -> Q:
    """A Q matching rows whose `field_name` lies under one of `paths` (never matches if there are none)."""
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{field_name}__startswith": path})
    return q


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one, so queries stay small."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(sorted(kept))


# Scopes computed from a member's posts and links, kept per process: {(member id, scope_version, local date):
# Scope without its member}. The key changes whenever the inputs do (scope_changed bumps the member's stamp in
# the transaction that changes a post or a link; the date covers posts and links starting or ending), so an
# entry is never stale, only unused; the dict is emptied when it grows past _SCOPES_MAX.
_SCOPES: dict[tuple, Scope] = {}
_SCOPES_MAX = 5000


def build_scope(user) -> Scope:
    """The user's scope. One query (the member, whose scope_version keys the process's kept scopes), none when
    the user was read with their member (members.auth.MemberBackend, every signed-in request); the member's
    posts and links (two more) only when this process has not computed them under that stamp today."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(
            member=getattr(user, "member", None), paths=("/",), write_paths=("/",), is_superuser=True
        )
    read, member = member_read_with(user)
    if not read:
        member = Member.objects.filter(user=user).first()
    if member is None:
        return Scope()
    key = (member.pk, member.scope_version, timezone.localdate())
    shared = _SCOPES.get(key)
    if shared is None:
        shared = _member_scope(member, on=key[2])
        if len(_SCOPES) >= _SCOPES_MAX:
            _SCOPES.clear()
        _SCOPES[key] = shared
    # Each request gets its own Member instance (the one just read), never one shared between requests.
    return replace(shared, member=member)


def _member_scope(member: Member, *, on) -> Scope:
    """What the member's current posts and links show on `on` (the Scope's `member` left empty)."""
    positions = list(Position.objects.current(on).filter(member=member).select_related("place"))
    paths: set[str] = set()
    write: set[str] = set()
    towns: set[str] = set()
    staff_towns: set[str] = set()
    villages: set[str] = set()
    grids: set[str] = set()
    departments: set[int] = set()
    cities: set[str] = set()
    for pos in positions:
        if pos.kind in TOWN_STAFF_POSITIONS:
            paths.add(pos.place.path)
            write.add(pos.place.path)
            towns.add(pos.place.path)
            staff_towns.add(pos.place.path)
        elif pos.kind == PositionKind.DISCIPLINE:
            paths.add(pos.place.path)
            towns.add(pos.place.path)
        elif pos.kind == PositionKind.VILLAGE_OFFICER:
            paths.add(pos.place.path)
            write.add(pos.place.path)
            villages.add(pos.place.path)
        elif pos.kind == PositionKind.GRID_HEAD:
            paths.add(pos.place.path)
            write.add(pos.place.path)
            grids.add(pos.place.path)
        elif pos.kind == PositionKind.DEPT_HANDLER and pos.department_id:
            departments.add(pos.department_id)
        elif pos.kind in CITY_POSITIONS and pos.place.kind == PlaceKind.CITY:
            paths.add(pos.place.path)
            cities.add(pos.place.path)
    own = list(
        Link.objects.current(on)
        .filter(member=member)
        .values_list("household_id", "place_id", "migrant_id", "link_type", "path")
    )
    # 联点: the town a city leader links to is seen in full (read-only; their own contacts go through own_place_ids).
    linked_towns = {path for _, p, _, kind, path in own if p and kind == LinkType.CITY_TOWN and path}
    paths |= linked_towns
    return Scope(
        own_household_ids=tuple(sorted({row[0] for row in own if row[0]})),
        own_place_ids=tuple(sorted({row[1] for row in own if row[1]})),
        own_migrant_ids=tuple(sorted({row[2] for row in own if row[2]})),
        paths=_minimal(paths),
        write_paths=_minimal(write),
        town_paths=tuple(sorted(towns)),
        staff_town_paths=_minimal(staff_towns),
        village_paths=tuple(sorted(villages)),
        grid_paths=tuple(sorted(grids)),
        department_ids=tuple(sorted(departments)),
        city_paths=tuple(sorted(cities)),
        linked_town_paths=tuple(sorted(linked_towns)),
        positions=frozenset(pos.kind for pos in positions),
    )


def scope_for(user) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    if user is None:
        return Scope()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = build_scope(user)
        try:
            setattr(user, _CACHE_ATTR, cached)
        except AttributeError:  # AnonymousUser
            pass
    return cached


# --- scoped querysets: one per model ---------------------------------------------------------------


def visible_rows(model, user, own, *, write: bool = False) -> QuerySet:
    """`model`'s rows the user sees (or, with `write`, may write for): all for a superuser; else those under
    the user's (write) subtrees (`path`), and for a member also `own(scope)` (a Q of what they hold
    themselves: their links, their own rows)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return model.objects.all()
    q = scope.path_q(write=write)
    if scope.member is not None:
        q |= own(scope)
    return model.objects.filter(q)


def _own_places(scope: Scope) -> Q:
    return Q(pk__in=scope.own_place_ids)


def _own_households(scope: Scope) -> Q:
    return Q(pk__in=scope.own_household_ids)


def places_visible_to(user) -> QuerySet[Place]:
    return visible_rows(Place, user, _own_places)


def villages_visible_to(user) -> QuerySet[Place]:
    """Villages the user sees whole (their choices in filters and dashboards)."""
    return Place.objects.filter(scope_for(user).path_q(), kind=PlaceKind.VILLAGE)


def grids_visible_to(user) -> QuerySet[Place]:
    return Place.objects.filter(scope_for(user).path_q(), kind__in=[PlaceKind.GRID3, PlaceKind.GRID4])


def households_visible_to(user) -> QuerySet[Household]:
    return visible_rows(Household, user, _own_households)


def members_visible_to(user) -> QuerySet[Member]:
    return visible_rows(Member, user, lambda scope: Q(pk=scope.member.pk) | Q(pk__in=scope.own_migrant_ids))


def links_visible_to(user) -> QuerySet[Link]:
    return visible_rows(Link, user, lambda scope: Q(member=scope.member))


def households_editable_by(user) -> QuerySet[Household]:
    return Household.objects.filter(scope_for(user).path_q(write=True))


# --- writing: write scope or the member's own links ---------------------------------------------------
# Reading is wider than writing: the discipline commission sees its town but changes nothing in it. Every
# service that records something for a household or a place asks here (pages, API and admin call the
# services, so they agree).


def households_writable_by(user) -> QuerySet[Household]:
    """Households the user may record things for: under a write path, or targets of their own links."""
    return visible_rows(Household, user, _own_households, write=True)


def places_writable_by(user) -> QuerySet[Place]:
    return visible_rows(Place, user, _own_places, write=True)


def writes(scope: Scope, target: Household | Place) -> bool:
    """May the scope record things for this household or place (write path or own link)?"""
    if scope.writes_path(target.path):
        return True
    own = scope.own_household_ids if isinstance(target, Household) else scope.own_place_ids
    return target.pk in own


WRITE_REFUSED = "您只有查看权限,不能在此范围内录入或办理"


def require_write(scope: Scope, *targets: Household | Place) -> None:
    """Raise NotAllowed unless the scope may write for every target (a 403 on pages and the API)."""
    if not targets or not all(writes(scope, target) for target in targets):
        raise NotAllowed(_(WRITE_REFUSED), code="read_only")


# --- one access helper per object ------------------------------------------------------------------


def get_household_for_user(user, pk) -> Household:
    household = households_visible_to(user).select_related("grid").filter(pk=pk).first()
    if household is None:
        raise Http404
    return household


def get_place_for_user(user, pk) -> Place:
    place = places_visible_to(user).filter(pk=pk).first()
    if place is None:
        raise Http404
    return place


def get_member_for_user(user, pk) -> Member:
    member = members_visible_to(user).select_related("home").filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def display_name(user) -> str:
    """The name logs show for a login: its member's name, else the username."""
    member = scope_for(user).member
    return member.name if member is not None else user.get_username()


def can_manage_town(user, town: Place) -> bool:
    """Town staff of this town (leading group, centre) manage it: checks, census import, orders, rounds."""
    return scope_for(user).is_staff_of(town.path)


def towns_managed_by(user) -> QuerySet[Place]:
    """The towns where the user is town staff (can_manage_town); every town for superusers."""
    scope = scope_for(user)
    towns = Place.objects.filter(kind=PlaceKind.TOWN)
    if scope.is_superuser:
        return towns
    if not scope.staff_town_paths:
        return towns.none()
    return towns.filter(paths_q(scope.staff_town_paths))


# --- keeping the kept scopes right ------------------------------------------------------------------
# A member's scope depends on their current posts (kind, place and its path, department) and current links
# (targets, type, a 联点 town's path). Every write of those changes the member's scope_version in the same
# transaction: saves and deletes through the signals below, bulk writes by calling scope_changed (pairing,
# the census import), place moves through grids' places_moved signal.


def scope_changed(member_ids) -> None:
    """The scopes of these members (ids) must be computed again: a new scope_version for each."""
    from .models import new_scope_version

    ids = sorted({pk for pk in member_ids if pk is not None})
    for start in range(0, len(ids), 900):
        Member.objects.filter(pk__in=ids[start : start + 900]).update(scope_version=new_scope_version())


def scope_changed_under(path: str) -> None:
    """Places under `path` changed path or kind: every member with a post there or a 联点 link to one."""
    from .models import new_scope_version

    Member.objects.filter(
        Q(pk__in=Position.objects.filter(place__path__startswith=path).values("member_id"))
        | Q(
            pk__in=Link.objects.filter(link_type=LinkType.CITY_TOWN, path__startswith=path).values(
                "member_id"
            )
        )
    ).update(scope_version=new_scope_version())


def _post_or_link_saved(sender, instance, raw=False, **kwargs):
    before = getattr(instance, "_lianhu_before", None) or {}  # members.privacy's pre_save read it
    scope_changed([instance.member_id, before.get("member_id")])


def _post_or_link_deleted(sender, instance, **kwargs):
    scope_changed([instance.member_id])


def _place_saved(sender, instance, created=False, raw=False, **kwargs):
    if not created and not raw:
        scope_changed_under(instance.path)


def _places_moved(sender, path: str, **kwargs):
    scope_changed_under(path)


def connect_scope_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from grids.signals import places_moved

    for model in (Position, Link):
        name = model.__name__.lower()
        post_save.connect(_post_or_link_saved, sender=model, dispatch_uid=f"lianhu_scope_{name}_saved")
        post_delete.connect(_post_or_link_deleted, sender=model, dispatch_uid=f"lianhu_scope_{name}_deleted")
    post_save.connect(_place_saved, sender=Place, dispatch_uid="lianhu_scope_place_saved")
    places_moved.connect(_places_moved, dispatch_uid="lianhu_scope_places_moved")
