"""Reads: compliance figures for a place, a member or a user's scope (the pages and dashboards), and who has
had no contact this quarter / month. Every status comes from the engine in visits/selectors/compliance.py.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from grids.beside import beside, later
from grids.models import Household, Place
from members.access import households_visible_to, links_visible_to, scope_for
from members.enums import LinkType
from members.models import Link, Member

from ..enums import RANK_STATUS, STATUS_RANK, Period, Status
from ..models import Contact, ContactHousehold, LastContact
from ..periods import aware_bounds, no_contact_after, period_bounds
from .compliance import (
    PATH_STEP,
    annotate_compliance,
    as_of_end,
    counts_partially,
    needing_pairing,
    rule_groups,
)
from .scoping import InArray

LIST_LIMIT = 50  # households / members listed by name on a compliance page


def share_of(part: int, total: int) -> float | None:
    return round(part / total, 4) if total else None


def _sees_whole(user, place: Place | None) -> bool:
    return place is not None and scope_for(user).sees_path(place.path)


def _scoped_links(*, user, on: datetime.date, place: Place | None, member: Member | None) -> QuerySet[Link]:
    if _sees_whole(user, place):
        # The scope admits every link under the place: the same rows without the scope's own path test, which
        # repeats the place's (`path LIKE town% AND (path LIKE town% OR member = …)`): PostgreSQL multiplies
        # the two selectivities and expects 1/30 of a city town's links (417 of 15,089), then picks nested
        # loops over the tallies.
        links = Link.objects.current(on).filter(path__startswith=place.path)
    else:
        links = links_visible_to(user).current(on)
        if place is not None:
            links = links.filter(path__startswith=place.path)
    if member is not None:
        links = links.filter(member=member)
    return links


@dataclass(frozen=True)
class ComplianceStart:
    """`compliance_start`'s result: the links judged, how, and the grouped statement's rows (a handle)."""

    on: datetime.date
    place: Place | None
    member: Member | None
    breakdown: str | None
    groups: list
    scoped: QuerySet
    rank_keys: dict
    group_fields: dict
    rows: Any  # grids.beside handle: .result() -> list[dict]


def compliance_start(
    *,
    user,
    place: Place | None = None,
    member: Member | None = None,
    on: datetime.date | None = None,
    breakdown: str | None = None,
    id_range: tuple[int, int] | None = None,
    early: bool = True,
) -> ComplianceStart:
    """Build `compliance_summary`'s grouped statement and, with `early`, start it beside the request
    (grids.beside: a worker thread's own connection, where that may be done), so that a page reads its other
    figures meanwhile and passes the result to `compliance_summary(started=…)`. Arguments as there."""
    on = on or timezone.localdate()
    groups = rule_groups()
    scoped = _scoped_links(user=user, on=on, place=place, member=member)
    # Exempt members' links are grouped apart (the "exempt" key) and left out of every figure below.
    if place is None:
        id_range = None  # the hint is only true of a place's links
    group_fields: dict = {}
    if breakdown == "child" and place is not None:
        group_fields["area"] = Substr("path", 1, len(place.path) + PATH_STEP)
    elif breakdown == "member":
        group_fields["area"] = F("member_id")
    rank_keys = {f"r_{group.key}": F(f"{group.key}_rank") for group in groups}
    # The statement depends on nothing but these when the user sees the place whole (no scope of their own).
    sql_key = (place.path, member.pk if member else None, breakdown) if _sees_whole(user, place) else None
    statement = _grouped_statement(
        scoped,
        groups=groups,
        on=on,
        id_range=id_range,
        rank_keys=rank_keys,
        group_fields=group_fields,
        sql_key=sql_key,
    )
    if statement is None:
        rows = later(list)
    elif early:
        rows = beside(_run, *statement)
    else:
        rows = later(_run, *statement)
    return ComplianceStart(on, place, member, breakdown, groups, scoped, rank_keys, group_fields, rows)


def compliance_summary(
    *,
    user,
    place: Place | None = None,
    member: Member | None = None,
    on: datetime.date | None = None,
    breakdown: str | None = None,
    id_range: tuple[int, int] | None = None,
    with_lists: bool = True,
    list_limit: int = LIST_LIMIT,
    households_under: int | None = None,
    children: list[Place] | None = None,
    started: ComplianceStart | None = None,
    early: bool = False,
) -> dict:
    """Share of links on track per link type and rule period, plus who has had no contact.

    `with_lists=False`: the figures only, without the "no contact" / "needing pairing" counts and lists (three
    queries that read every household and member of the place: 4 of the city dashboard's 13 s in a city).
    `list_limit=0`: the counts without the names (the dashboards and the API show no names): counted, no rows
    fetched; for a place seen whole while the quarter runs, "households without contact" is the place's
    households minus those LastContact says were reached (two index counts instead of a join).

    `id_range`: `link_id_range(place.path)`, passed by the place pages (one more query that saves hashing
    every town's tallies in a city database).

    What the caller has read already, to save reading it again (the dashboards): `households_under`, how
    many households lie under `place` (every one: used only for a user who sees the place whole, in the
    "households without contact" count); `children`, the places the "child" rows are named from (a row of
    another place is still looked up).

    `breakdown`: None, "child" (rows per child place of `place`: villages of a town, grids of a village) or
    "member" (rows per member). Links visible to the user only; current links on `on`.

    `started`: what `compliance_start` began for the same user, place, member and breakdown (its grouped
    statement already running beside the request); by default it is begun here, beside the request with
    `early` (the "no contact" lists are read meanwhile), else inline.
    Returns {"on", "by_type": [...], "totals", "rows": [...], "households_without_contact" (count) and
    "households_without_contact_list" (the first 50), the same for members and for
    "households_needing_pairing" (linked only through exempt members' links, left out of every other
    figure), "quarter", "month"}.
    """
    if started is None:
        started = compliance_start(
            user=user, place=place, member=member, on=on, breakdown=breakdown, id_range=id_range, early=early
        )
    elif (started.place, started.member, started.breakdown) != (place, member, breakdown) or (
        on is not None and on != started.on
    ):
        raise ValueError(
            "compliance_summary: `started` was begun for another place, member, breakdown or day"
        )
    on, groups, scoped = started.on, started.groups, started.scoped
    rank_keys, group_fields = started.rank_keys, started.group_fields
    result = {
        "on": on,
        "quarter": period_bounds(Period.QUARTER, on),
        "month": period_bounds(Period.MONTH, on),
        "households_without_contact": 0,
        "members_without_contact": 0,
        "households_needing_pairing": 0,
        "rows": [],
        "households_needing_pairing_list": [],
    }
    lists = {
        "scoped": scoped,
        "user": user,
        "place": place,
        "member": member,
        "on": on,
        "limit": list_limit,
        "households_under": households_under,
    }
    if with_lists:  # before the grouped rows are asked for: they may still be coming (compliance_start)
        _no_contact_lists(result, names=("households_without_contact", "members_without_contact"), **lists)
    rows = started.rows.result()

    by_type, totals, areas, exempt_links = _fold_rows(
        rows, groups=groups, on=on, rank_keys=rank_keys, with_areas=bool(group_fields)
    )
    result["by_type"] = [by_type[lt] for lt in LinkType.values if lt in by_type]
    result["totals"] = totals
    if with_lists and exempt_links:  # only where an exempt member holds a link here at all
        _no_contact_lists(result, names=("households_needing_pairing",), **lists)
    if group_fields:
        result["rows"] = _label_rows(areas, breakdown=breakdown, children=children)
    return result


def _grouped_statement(
    scoped, *, groups, on, id_range, rank_keys: dict, group_fields: dict, sql_key: tuple | None = None
) -> tuple[str, tuple] | None:
    """The statement counting the links per (link type, exempt, area, rank of each rule group), as (sql,
    params) for `_run`, or None when no rule group applies (no rows).

    Each link's ranks are computed once, as GROUP BY keys, and the result has a bounded number of rows (types
    × areas × rank combinations). Links are judged in two parts joined by UNION ALL, by what their type
    targets: households (thousands of links: their tallies hash-joined) and places (a few dozen: each tally
    looked up by key). A part carries only its own rule groups' ranks (-1 for the others: those rules never
    apply to its link types). In one statement, the per-row lookups of the place rules made PostgreSQL cost
    every plan for 15,000 lookups, and it grouped a town's links by sorting (37–100 ms under load) instead of
    hashing them (21–34 ms).

    `sql_key`: what, besides the rules, the day and the id range, the statement depends on (the place, member
    and breakdown, for a user who sees the place whole), or None. With it, the compiled statement is kept
    (`_STATEMENTS`, per process) and run again as it is: building and compiling the two annotated parts cost
    ≈ 10 ms of CPU per page. Only the SQL is kept, never a result: every request reads the tallies anew.
    """
    key = None
    if sql_key is not None:
        key = (
            connection.vendor,
            sql_key,
            on,
            id_range,
            tuple(_group_signature(group) for group in groups),
            tuple(counts_partially(group, on) for group in groups),  # the shape depends on the time now
            tuple(group_fields),
        )
        with _STATEMENTS_LOCK:  # web threads share it
            statement = _STATEMENTS.get(key)
            if statement is not None:
                _STATEMENTS.move_to_end(key)
        if statement is not None:
            return statement
    # "Held by an exempt member" as `member_id IN (exempt members)`: a hashed subplan over the few exempt
    # members (a partial index), where joining members hashed all of a city's 47,000 for one town's links.
    exempt = ExpressionWrapper(
        Q(member_id__in=Member.objects.filter(is_exempt=True).values("pk")), output_field=BooleanField()
    )
    parts = []
    for target in ("household", "place"):
        own = [group for group in groups if group.target == target]
        if not own:
            continue
        types = sorted({lt for group in own for lt in group.link_types})
        qs = annotate_compliance(scoped.filter(link_type__in=types), on=on, groups=own, id_range=id_range)
        ranks = {
            key: expression
            if any(f"r_{group.key}" == key for group in own)
            else Value(STATUS_RANK[Status.NONE])
            for key, expression in rank_keys.items()
        }
        parts.append(
            qs.annotate(**ranks, exempt=exempt)
            .values("link_type", "exempt", *rank_keys, **group_fields)
            .annotate(n=Count("id"))
            .order_by()
        )
    if not parts:
        return None
    qs = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    statement = qs.query.get_compiler(using=qs.db).as_sql()
    if key is not None:
        with _STATEMENTS_LOCK:
            _STATEMENTS[key] = statement
            while len(_STATEMENTS) > STATEMENTS_KEPT:
                _STATEMENTS.popitem(last=False)
    return statement


STATEMENTS_KEPT = 64
# key → (sql, params) of `_grouped_statement`, least recently used first
_STATEMENTS: OrderedDict = OrderedDict()
_STATEMENTS_LOCK = threading.Lock()


def _group_signature(group) -> tuple:
    """Everything of a rule group the statement is built from."""
    minimums = tuple(sorted((link_type, rule.min_count) for link_type, rule in group.rules.items()))
    return (group.key, str(group.period), group.kinds, group.target, minimums)


def _run(sql: str, params) -> list[dict]:
    """The grouped statement's rows (in the caller's thread, or a grids.beside worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _fold_rows(
    rows: list[dict], *, groups, on: datetime.date, rank_keys: dict, with_areas: bool
) -> tuple[dict, dict, dict, int]:
    """Add the grouped rows up per link type (and per rule of each group), overall and per area (`with_areas`).
    Links held by exempt members are only counted. Returns (by_type, totals, areas, exempt_links)."""
    by_type: dict[str, dict] = {}
    totals = {"total": 0, "done": 0, "due": 0, "overdue": 0}
    areas: dict = defaultdict(lambda: {"total": 0, "done": 0, "due": 0, "overdue": 0})
    exempt_links = 0
    bounds = {group.key: period_bounds(group.period, on) for group in groups}  # once, not once per row
    # A rank's counter ("done", "due", "overdue"), None for ranks that count in no column (no rule).
    counter = {
        rank: str(status) if status in (Status.DONE, Status.DUE, Status.OVERDUE) else None
        for rank, status in RANK_STATUS.items()
    }
    none = STATUS_RANK[Status.NONE]
    # The rows per (link type, ranks), areas added together: the rules are tallied on these few dozen rows
    # instead of on every (area, …) row (a town's 400).
    merged: dict[tuple, int] = {}
    for row in rows:
        n = row["n"]
        if row["exempt"]:
            exempt_links += n
            continue
        ranks = tuple(row[k] for k in rank_keys)
        key = (row["link_type"], ranks)
        merged[key] = merged.get(key, 0) + n
        if with_areas:
            bucket = areas[row["area"]]
            bucket["total"] += n
            overall = counter[max(none, *ranks)]
            if overall is not None:
                bucket[overall] += n
    order = list(rank_keys)
    keyed = [(group, order.index(f"r_{group.key}")) for group in groups]  # each group's place in `ranks`
    for (lt, ranks), n in merged.items():
        overall = counter[max(none, *ranks)]
        entry = by_type.get(lt)
        if entry is None:
            entry = by_type[lt] = {
                "link_type": lt,
                "label": LinkType(lt).label,
                "total": 0,
                "done": 0,
                "due": 0,
                "overdue": 0,
                "rules": {},
            }
        for bucket in (entry, totals):
            bucket["total"] += n
            if overall is not None:
                bucket[overall] += n
        for group, index in keyed:
            rule = group.rules.get(lt)
            if rule is None:
                continue
            r = entry["rules"].get(rule.pk)
            if r is None:  # built once per rule: the label is translated text
                start, end = bounds[group.key]
                r = entry["rules"][rule.pk] = {
                    "rule": rule,
                    "label": str(rule.label),
                    "period": group.period,
                    "period_start": start,
                    "period_end": end,
                    "done": 0,
                    "due": 0,
                    "overdue": 0,
                }
            status = counter[ranks[index]]
            if status is not None:
                r[status] += n
    add_shares(by_type, totals)
    return by_type, totals, areas, exempt_links


def add_shares(by_type: dict, totals: dict) -> None:
    """On-track and done shares of each link type, each of its rules, and the totals."""
    for entry in by_type.values():
        entry["on_track"] = entry["total"] - entry["overdue"]
        entry["share_on_track"] = share_of(entry["on_track"], entry["total"])
        entry["share_done"] = share_of(entry["done"], entry["total"])
        rules = list(entry["rules"].values())
        for r in rules:
            # 正常率 means one thing on every row: links not overdue ÷ links (here: not overdue on this rule).
            r["on_track"] = entry["total"] - r["overdue"]
            r["share_on_track"] = share_of(r["on_track"], entry["total"])
            r["share_done"] = share_of(r["done"], entry["total"])
        entry["rules"] = rules
    totals["on_track"] = totals["total"] - totals["overdue"]
    totals["share_on_track"] = share_of(totals["on_track"], totals["total"])


def _no_contact_lists(
    result: dict,
    *,
    names: tuple[str, ...],
    scoped,
    user,
    place,
    member,
    on: datetime.date,
    limit: int,
    households_under: int | None = None,
) -> None:
    """Fill the counts and the first `limit` of each list `names` names into `result` ("households_without_
    contact", "members_without_contact", "households_needing_pairing"): one query each. `limit=0`: the counts
    only (no rows fetched). Each list's queryset is built only when it is read."""

    def needing_repair():
        repair = needing_pairing(scoped).filter(household__isnull=False).values("household_id")
        return Household.objects.filter(pk__in=repair).select_related("grid").order_by("path", "code")

    def households():
        return households_without_contact(user=user, place=place, member=member, on=on).select_related("grid")

    def members():
        return members_without_contact(user=user, place=place, member=member, on=on)

    builders = {
        "households_needing_pairing": needing_repair,
        "households_without_contact": households,
        "members_without_contact": members,
    }
    for name in names:
        build = builders[name]
        if not limit:
            count = None
            if name == "households_without_contact":
                count = _households_without_contact_count(
                    user=user, place=place, member=member, on=on, households_under=households_under
                )
            result[name] = build().order_by().count() if count is None else count
            result[f"{name}_list"] = []
            continue
        qs = build()
        # Only what the lists show (name, grid): a household's other fields are decrypted on load.
        fields = ("pk", "name") if qs.model is Member else ("pk", "head_name", "grid__name")
        first = list(qs.only(*fields).annotate(full_count=Window(Count("id")))[:limit])
        result[name] = first[0].full_count if first else 0
        result[f"{name}_list"] = first


def _households_without_contact_count(
    *, user, place, member, on: datetime.date, households_under: int | None = None
) -> int | None:
    """`households_without_contact(...).count()` for a place seen whole while the quarter still runs: the
    place's households minus the LastContact rows under it reached since the quarter began (each an index
    count; LastContact.path is the household's path). None where that shortcut does not apply.
    `households_under`: the place's households, counted by the caller (then only LastContact is read)."""
    start, end = aware_bounds(period_bounds(Period.QUARTER, on))
    end = min(end, as_of_end(on))
    if place is None or member is not None or not no_contact_after(end):
        return None
    if not scope_for(user).sees_path(place.path):
        return None
    reached = LastContact.objects.filter(path__startswith=place.path, last_at__gte=start).order_by()
    if households_under is not None:
        return households_under - reached.count()
    reached = Coalesce(Subquery(reached.annotate(n=Func(F("pk"), function="COUNT")).values("n")), 0)
    return Household.objects.filter(path__startswith=place.path).aggregate(
        n=ExpressionWrapper(Count("pk") - reached, output_field=IntegerField())
    )["n"]


def _label_rows(areas: dict, *, breakdown: str, children: list[Place] | None = None) -> list[dict]:
    """Name each breakdown row (one query for the names, none when `children` holds every row's place),
    worst share first."""
    if breakdown == "member":
        names = dict(Member.objects.filter(pk__in=list(areas)).values_list("pk", "name"))
        objects = {pk: {"id": pk, "name": names.get(pk, "?")} for pk in areas}
    else:
        ids = {path: int(path.strip("/").split("/")[-1]) for path in areas}
        places = {p.pk: p for p in children or ()}
        missing = set(ids.values()) - places.keys()
        if missing:
            places.update((p.pk, p) for p in Place.objects.filter(pk__in=missing))
        objects = {
            path: {"id": pk, "name": places[pk].name if pk in places else "?", "place": places.get(pk)}
            for path, pk in ids.items()
        }
    rows = []
    for key, counts in areas.items():
        row = {**objects[key], **counts}
        row["on_track"] = counts["total"] - counts["overdue"]
        row["share_on_track"] = share_of(row["on_track"], counts["total"])
        rows.append(row)
    # The id last: two members of one name and share keep one order whatever order the rows came in.
    rows.sort(
        key=lambda r: (r["share_on_track"] if r["share_on_track"] is not None else 2, r["name"], r["id"])
    )
    return rows


def households_without_contact(
    *, user, place: Place | None = None, member: Member | None = None, on: datetime.date | None = None
) -> QuerySet[Household]:
    """Households (in scope, under `place` or linked by `member`) that no contact reached this quarter."""
    on = on or timezone.localdate()
    start, end = aware_bounds(period_bounds(Period.QUARTER, on))
    end = min(end, as_of_end(on))  # as of the end of `on`
    if place is not None and scope_for(user).sees_path(place.path):
        households = Household.objects.filter(path__startswith=place.path)  # as _scoped_links
    else:
        households = households_visible_to(user)
        if place is not None:
            households = households.filter(path__startswith=place.path)
    if member is not None:
        households = households.filter(
            pk__in=Link.objects.current(on).filter(member=member).values("household_id")
        )
    if no_contact_after(end):
        # The quarter is still running and no contact lies beyond it: "no contact this quarter" is "last
        # contact before the quarter began, or never" (LastContact, one row per household).
        last = "last_contact"
        if place is not None:
            # Joined to the place's LastContact rows only, read from their own path index (LastContact.path):
            # a hash join of the place's rows, where the plain join hashed a city's 450,000. (An anti-join
            # instead made PostgreSQL expect most households unreached and walk the (path, code) index of
            # the whole city for the first 50.)
            last = "place_last_contact"
            households = households.alias(
                place_last_contact=FilteredRelation(
                    "last_contact", condition=Q(last_contact__path__startswith=place.path)
                )
            )
        households = households.filter(Q(**{f"{last}__isnull": True}) | Q(**{f"{last}__last_at__lt": start}))
        return households.order_by("path", "code")
    reached = ContactHousehold.objects.filter(
        household=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end
    )
    return households.filter(~Exists(reached)).order_by("path", "code")


def members_without_contact(
    *, user, place: Place | None = None, member: Member | None = None, on: datetime.date | None = None
) -> QuerySet[Member]:
    """Members with a current link (in scope, under `place`) who recorded no contact this month."""
    on = on or timezone.localdate()
    start, end = aware_bounds(period_bounds(Period.MONTH, on))
    end = min(end, as_of_end(on))  # as of the end of `on`
    links = _scoped_links(user=user, on=on, place=place, member=member)
    made = Contact.objects.filter(
        member=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end, struck=False
    )
    if place is not None:
        # The place's few hundred members by primary key (an array computed once) rather than a semi-join
        # that hashes a city's 47,000 members.
        members = Member.objects.filter(InArray(F("pk"), links.order_by().values("member_id").distinct()))
    else:
        members = Member.objects.filter(pk__in=links.values("member_id"))
    return members.filter(is_exempt=False).filter(~Exists(made)).order_by("path", "name")
