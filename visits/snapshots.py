"""Per-town compliance snapshots: the figures the city pages show per town, computed by a scheduled job
(dispatch: `compliance_snapshots`, one run per town) instead of judging every link of the city per request.

`town_snapshot_take(town, on)` runs compliance_summary for the whole town and stores its figures (re-running
the same day replaces that day's row); `latest_snapshots(city, on)` reads the newest row per town of a city
on or before `on` in one query; `city_summary` adds them up into the shape of compliance_summary for the
city's compliance page.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from grids.enums import PlaceKind
from grids.models import Household, Place
from members.selectors import uncovered_households_under

from .models import TownComplianceSnapshot
from .periods import period_bounds
from .selectors import compliance_summary, link_id_range
from .selectors.summaries import add_shares, share_of


class _WholeTown:
    """Stands in for the user: the snapshot holds the whole town's figures, as a superuser sees them (the city
    pages that read it are for city posts, who see every town)."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None
    member = None


FIGURES = ("total", "done", "due", "overdue")
COUNTS = (
    "households",
    "uncovered",
    "households_without_contact",
    "members_without_contact",
    "households_needing_pairing",
)


def town_snapshot_take(town: Place, on: datetime.date | None = None) -> TownComplianceSnapshot:
    """Compute and store the town's figures as of `on` (default today); replaces the day's row if any."""
    on = on or timezone.localdate()
    summary = compliance_summary(
        user=_WholeTown(), place=town, on=on, id_range=link_id_range(town.path), list_limit=0
    )
    by_type = [
        {
            "link_type": t["link_type"],
            **{k: t[k] for k in FIGURES},
            "rules": [
                {
                    "label": r["label"],
                    "period": str(r["period"]),
                    "done": r["done"],
                    "due": r["due"],
                    "overdue": r["overdue"],
                }
                for r in t["rules"]
            ],
        }
        for t in summary["by_type"]
    ]
    households, uncovered = _coverage(town, on)
    values = {
        "households": households,
        "uncovered": uncovered,
        "computed_at": timezone.now(),
        **{k: summary["totals"][k] for k in FIGURES},
        **{k: summary[k] for k in COUNTS[2:]},  # the "without contact" counts
        "by_type": by_type,
    }
    with transaction.atomic():
        snapshot, _created = TownComplianceSnapshot.objects.update_or_create(
            town=town, on=on, defaults=values
        )
    return snapshot


def _coverage(town: Place, on: datetime.date) -> tuple[int, int]:
    """(households under the town, of which no member currently links to): reports.selectors.coverage's figures
    for a place seen whole (the same rule: exempt members' links do not cover; asserted equal in the tests)."""
    households = Household.objects.filter(path__startswith=town.path).order_by()
    # Two counts: the anti-join (a hash over the town's links) is planned only as a WHERE, not in a FILTER.
    return households.count(), uncovered_households_under(town, on=on).count()


def latest_snapshots(city: Place, on: datetime.date | None = None) -> dict[int, TownComplianceSnapshot]:
    """The newest snapshot on or before `on` of each town of the city, by town id (one query)."""
    on = on or timezone.localdate()
    latest = (
        TownComplianceSnapshot.objects.filter(town=OuterRef("town"), on__lte=on)
        .order_by("-on")
        .values("on")[:1]
    )
    rows = TownComplianceSnapshot.objects.filter(
        town__parent=city, town__kind=PlaceKind.TOWN, on=Subquery(latest)
    )
    return {s.town_id: s for s in rows}


def city_towns(city: Place) -> list[Place]:
    """The city's towns by name (the rows of every city page)."""
    return list(Place.objects.filter(parent=city, kind=PlaceKind.TOWN).order_by("name"))


def city_summary(city: Place, towns: list[Place] | None = None, on: datetime.date | None = None) -> dict:
    """compliance_summary's shape for the city, added up from the towns' latest snapshots: totals, by_type,
    the counts, and one row per town (`snapshot` None: not computed yet), worst share first."""
    from members.enums import LinkType

    on = on or timezone.localdate()
    if towns is None:
        towns = city_towns(city)
    snapshots = latest_snapshots(city, on)
    totals = dict.fromkeys(FIGURES, 0)
    counts = dict.fromkeys(COUNTS, 0)
    by_type: dict[str, dict] = {}
    rows = []
    for town in towns:
        snap = snapshots.get(town.pk)
        row = {"id": town.pk, "name": town.name, "place": town, "snapshot": snap, **dict.fromkeys(FIGURES, 0)}
        if snap is not None:
            for k in FIGURES:
                row[k] = getattr(snap, k)
                totals[k] += row[k]
            for k in COUNTS:
                row[k] = getattr(snap, k)
                counts[k] += row[k]
            for t in snap.by_type:
                entry = by_type.setdefault(
                    t["link_type"],
                    {
                        "link_type": t["link_type"],
                        "label": LinkType(t["link_type"]).label,
                        "rules": {},
                        **dict.fromkeys(FIGURES, 0),
                    },
                )
                for k in FIGURES:
                    entry[k] += t[k]
                for r in t["rules"]:
                    rule = entry["rules"].get(r["label"])
                    if rule is None:
                        period = r.get("period")
                        start, end = period_bounds(period, on) if period else (None, None)
                        rule = entry["rules"][r["label"]] = {
                            "label": r["label"],
                            "period": period,
                            "period_start": start,
                            "period_end": end,
                            "done": 0,
                            "due": 0,
                            "overdue": 0,
                        }
                    for k in ("done", "due", "overdue"):
                        rule[k] += r[k]
        row["on_track"] = row["total"] - row["overdue"]
        row["share_on_track"] = share_of(row["on_track"], row["total"]) if snap is not None else None
        rows.append(row)
    add_shares(by_type, totals)
    rows.sort(key=lambda r: (r["share_on_track"] if r["share_on_track"] is not None else 2, r["name"]))
    computed = [s.computed_at for s in snapshots.values()]
    return {
        "on": on,
        "totals": totals,
        "by_type": [by_type[lt] for lt in LinkType.values if lt in by_type],
        "rows": rows,
        **counts,
        "households_needing_pairing_list": [],
        "snapshots": snapshots,
        "as_of": min(computed) if computed else None,
        "missing": [r["place"] for r in rows if r["snapshot"] is None],
    }
