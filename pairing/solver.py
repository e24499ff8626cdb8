"""The pairing optimisation: households to members as a min-cost flow (networkx network simplex).

Pure Python, no Django: `solve()` takes plain records and returns who takes which household. The model
(docs/pairing.md):

    S ──1, 0──▶ household ──1, cost(h, m)──▶ member ──(high-low), 0──▶ T
    S ──low, SHORT──▶ member   (phantom units: a member's lower bound that households cannot fill)
    S ──Σlow, 0──▶ T           (phantom units not needed)
    household ──1, UNMET──▶ U ──▶ T   (a household nobody can take)

Node demands: S = -(n + Σlow), each member = its lower bound, T = n. A member's lower bound becomes its
demand (the usual lower-bound transformation); the phantom edges keep the problem feasible when there are
too few households, and their flow is the shortfall we report. UNMET > SHORT > any real cost, so the
solver first covers every household it can, then keeps every member's lower bound it can, then minimises
distance. Costs are tiers (same fourth-level grid / same third-level grid / same village) plus metres, so
"same group first" always wins over distance; a key household given to an ordinary member pays a penalty
so cadres take key households first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

# Kinds of slot (who the member is, as far as the pairing is concerned).
PARTY = "party"  # ordinary members, deputies: 10–15 households, key ones only when cadres cannot
CADRE = "cadre"  # village cadres and notables: 2–3 key households in their village
TOWN = "town"  # town cadres: key households of the one grid they run

TIER_GRID4 = 0
TIER_GRID3 = 100_000
TIER_VILLAGE = 200_000
MAX_METRES = 99_999  # distances are capped so a tier always wins over distance
UNKNOWN_METRES = 1_000  # when either location is unknown: a neutral middle value, not zero
KEY_TO_PARTY = 1_000_000
SHORT = 10_000_000
UNMET = 1_000_000_000

EARTH_M = 6_371_000.0
# A group keeps edges to every cadre and this many cheapest ordinary members (by cost, so its own group's and
# third-level grid's members come first); if that leaves anything unmet or any member short, the whole graph is
# solved again (exact, slower). 12: on the demo town the pruned flows reach the exact optimum (same total
# cost); 8 sent villages to the exact re-solve and was slower (docs/benchmarks.md).
NEAREST = 12


@dataclass(frozen=True)
class HouseholdIn:
    id: int
    grid4: int | None
    grid3: int | None
    key: bool
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class SlotIn:
    """A member with room: `low`..`high` more households (after the links they keep)."""

    member: int
    kind: str
    low: int
    high: int
    grid4: int | None = None
    grid3: int | None = None
    lat: float | None = None
    lon: float | None = None
    only_grid3: int | None = None  # town cadres: only households of the grid they run


@dataclass(frozen=True)
class Assignment:
    household: int
    member: int
    tier: int  # TIER_GRID4, TIER_GRID3 or TIER_VILLAGE
    metres: int | None  # straight-line distance when both locations are known


@dataclass
class Solution:
    assignments: list[Assignment] = field(default_factory=list)
    unmet: list[int] = field(default_factory=list)  # household ids nobody could take
    shortfall: dict[int, int] = field(default_factory=dict)  # member id -> households missing to `low`
    cost: int = 0
    edges: int = 0


def metres(a_lat, a_lon, b_lat, b_lon) -> int | None:
    """Straight-line distance (equirectangular; villages are a few km across), None if a location is unknown."""
    if a_lat is None or a_lon is None or b_lat is None or b_lon is None:
        return None
    lat0 = math.radians((a_lat + b_lat) / 2)
    dx = math.radians(b_lon - a_lon) * math.cos(lat0)
    dy = math.radians(b_lat - a_lat)
    return round(EARTH_M * math.hypot(dx, dy))


def allowed(h: HouseholdIn, s: SlotIn) -> bool:
    if s.kind == PARTY:
        return True
    if not h.key:
        return False
    return s.only_grid3 is None or s.only_grid3 == h.grid3


def tier(h: HouseholdIn, s: SlotIn) -> int:
    if s.grid4 is not None and s.grid4 == h.grid4:
        return TIER_GRID4
    if s.kind == TOWN or (s.grid3 is not None and s.grid3 == h.grid3):
        return TIER_GRID3
    return TIER_VILLAGE


def cost(h: HouseholdIn, s: SlotIn) -> tuple[int, int | None]:
    m = metres(h.lat, h.lon, s.lat, s.lon)
    c = tier(h, s) + (UNKNOWN_METRES if m is None else min(m, MAX_METRES))
    if h.key and s.kind == PARTY:
        c += KEY_TO_PARTY
    return c, m


def _centroid(group: list[HouseholdIn]) -> tuple[float | None, float | None]:
    located = [h for h in group if h.lat is not None and h.lon is not None]
    if not located:
        return None, None
    return sum(h.lat for h in located) / len(located), sum(h.lon for h in located) / len(located)


def solve(households: list[HouseholdIn], slots: list[SlotIn]) -> Solution:
    """Assign each household to at most one slot, keeping each slot within [low, high] where possible.

    Two stages. 1: households of the same fourth-level grid, third-level grid and kind (key or not) are
    interchangeable for every rule and tier, so they form one node with a supply of their number, costed by
    the distance from their centroid; the flow on it is exact in coverage, size rules and tiers. 2: inside
    each such group, the households are handed to the members stage 1 gave it by a small min-cost flow on
    each household's own distance. A village is ~50 group nodes instead of ~1,000 household nodes.
    """
    slots = [s for s in slots if s.high > 0]
    groups: dict[tuple, list[HouseholdIn]] = defaultdict(list)
    for h in sorted(households, key=lambda h: h.id):
        groups[h.grid4, h.grid3, h.key].append(h)
    reps: dict[tuple, HouseholdIn] = {}
    for key, group in groups.items():
        lat, lon = _centroid(group)
        reps[key] = HouseholdIn(id=-1, grid4=key[0], grid3=key[1], key=key[2], lat=lat, lon=lon)
    solution = Solution()
    counts, unmet_counts = _stage1(groups, reps, slots, solution, prune=True)
    if solution.shortfall or unmet_counts:
        # The pruned graph may have hidden room (or households) elsewhere in the village: solve the whole
        # graph, which is exact, before saying anything cannot be met.
        solution = Solution()
        counts, unmet_counts = _stage1(groups, reps, slots, solution, prune=False)
    for key, group in groups.items():
        _stage2(group, counts.get(key, {}), unmet_counts.get(key, 0), slots, solution)
    solution.assignments.sort(key=lambda a: (a.member, a.household))
    solution.unmet.sort()
    return solution


def _edges(rep: HouseholdIn, slots: list[SlotIn], prune: bool):
    """(slot, cost) for a group; pruned: every cadre (few, key households only), members living above any grid,
    and the NEAREST cheapest ordinary members (same group first, then the same third-level grid, by cost)."""
    costed = [(s, cost(rep, s)[0]) for s in slots if allowed(rep, s)]
    if not prune:
        return costed
    kept = [(s, c) for s, c in costed if s.kind != PARTY or s.grid3 is None]
    others = sorted(
        ((s, c) for s, c in costed if not (s.kind != PARTY or s.grid3 is None)),
        key=lambda sc: (sc[1], sc[0].member),
    )
    return kept + others[:NEAREST]


def _stage1(groups, reps, slots, solution, prune: bool):
    n = sum(len(g) for g in groups.values())
    sum_low = sum(min(s.low, s.high) for s in slots)
    g = nx.DiGraph()
    g.add_node("S", demand=-(n + sum_low))
    g.add_node("T", demand=n)
    g.add_node("U", demand=0)
    g.add_edge("U", "T", capacity=max(n, 1), weight=0)
    if sum_low:
        g.add_edge("S", "T", capacity=sum_low, weight=0)
    for s in slots:
        low = min(s.low, s.high)
        node = ("m", s.member)
        g.add_node(node, demand=low)
        g.add_edge(node, "T", capacity=s.high - low, weight=0)
        if low:
            g.add_edge("S", node, capacity=low, weight=SHORT)
    for key, group in groups.items():
        node = ("g", key)
        size = len(group)
        g.add_edge("S", node, capacity=size, weight=0)
        g.add_edge(node, "U", capacity=size, weight=UNMET)
        for s, c in _edges(reps[key], slots, prune):
            g.add_edge(node, ("m", s.member), capacity=min(size, s.high), weight=c)
            solution.edges += 1
    solution.cost, flow = nx.network_simplex(g)
    counts: dict[tuple, dict[int, int]] = {}
    unmet: dict[tuple, int] = {}
    for key in groups:
        for node, f in flow[("g", key)].items():
            if not f:
                continue
            if node == "U":
                unmet[key] = f
            else:
                counts.setdefault(key, {})[node[1]] = f
    for s in slots:
        phantom = flow["S"].get(("m", s.member), 0)
        if phantom:
            solution.shortfall[s.member] = phantom
    return counts, unmet


def _stage2(group, counts: dict[int, int], unmet: int, slots, solution) -> None:
    """Hand the group's households to the members stage 1 gave it (`counts`), nearest first, exactly.

    A transportation problem (households to members with capacities) solved as an assignment: each member is
    repeated as many times as the households it takes, `unmet` columns cost nothing, and scipy's
    `linear_sum_assignment` (C, exact) picks the cheapest perfect matching. Same optimum as a min-cost flow on
    the group (households are interchangeable for every rule inside a group; only distance is left), without
    building a networkx graph for each of a town's ~800 groups.
    """
    by_member = {s.member: s for s in slots}
    takers = [(by_member[m], c) for m, c in sorted(counts.items())]
    if len(takers) == 1 and not unmet:
        pairs = [(h, takers[0][0]) for h in group]
    else:
        columns: list[SlotIn | None] = [s for s, c in takers for _ in range(c)] + [None] * unmet
        matrix = np.zeros((len(group), len(columns)), dtype=np.int64)
        for j, (s, c) in enumerate(takers):
            col = [
                UNKNOWN_METRES if m is None else m
                for m in (metres(h.lat, h.lon, s.lat, s.lon) for h in group)
            ]
            first = sum(cc for _s, cc in takers[:j])
            matrix[:, first : first + c] = np.array(col, dtype=np.int64)[:, None]
        rows, cols = linear_sum_assignment(matrix)
        pairs = []
        for i, j in zip(rows, cols, strict=True):
            if columns[j] is None:
                solution.unmet.append(group[i].id)
            else:
                pairs.append((group[i], columns[j]))
    for h, s in pairs:
        solution.assignments.append(
            Assignment(h.id, s.member, tier(h, s), metres(h.lat, h.lon, s.lat, s.lon))
        )
