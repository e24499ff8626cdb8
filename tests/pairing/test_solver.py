"""The optimisation alone (pairing/solver.py): size rules, coverage, same group first, key households, unmet."""

import random

from pairing.solver import CADRE, PARTY, TIER_GRID4, TOWN, HouseholdIn, SlotIn, solve


def _counts(solution):
    counts = {}
    for a in solution.assignments:
        counts[a.member] = counts.get(a.member, 0) + 1
    return counts


def test_random_villages_keep_every_size_rule_and_cover_every_household():
    rng = random.Random(3)
    for _round in range(5):
        households = [
            HouseholdIn(
                i,
                grid4=rng.randrange(8),
                grid3=0,
                key=rng.random() < 0.15,
                lat=28 + rng.uniform(0, 0.05),
                lon=112 + rng.uniform(0, 0.05),
            )
            for i in range(rng.randrange(300, 500))
        ]
        key = sum(h.key for h in households)
        cadres = [SlotIn(1000 + k, CADRE, 2, 3, grid4=k % 8, grid3=0) for k in range(key // 3)]
        party = [
            SlotIn(k, PARTY, 10, 15, grid4=k % 8, grid3=0, lat=28 + rng.uniform(0, 0.05), lon=112.02)
            for k in range(len(households) // 13)
        ]
        solution = solve(households, cadres + party)
        assert solution.unmet == [] and solution.shortfall == {}
        assert sorted(a.household for a in solution.assignments) == sorted(h.id for h in households)
        counts = _counts(solution)
        for slot in cadres + party:
            assert slot.low <= counts.get(slot.member, 0) <= slot.high, slot
        # cadres take key households only, and every cadre place is used before a member gets a key household
        key_ids = {h.id for h in households if h.key}
        assert all(a.household in key_ids for a in solution.assignments if a.member >= 1000)


def test_same_group_first_even_when_another_member_is_nearer():
    # Group 0's households sit closer to the member of group 1 than to their own member: the group still wins.
    households = [HouseholdIn(i, grid4=i % 2, grid3=0, key=False, lat=28.0, lon=112.0) for i in range(24)]
    slots = [
        SlotIn(1, PARTY, 10, 15, grid4=0, grid3=0, lat=28.05, lon=112.0),
        SlotIn(2, PARTY, 10, 15, grid4=1, grid3=0, lat=28.0, lon=112.0),
    ]
    solution = solve(households, slots)
    assert all(a.tier == TIER_GRID4 for a in solution.assignments)
    assert {(a.household % 2, a.member) for a in solution.assignments} == {(0, 1), (1, 2)}


def test_distance_decides_within_a_group():
    near = HouseholdIn(1, grid4=0, grid3=0, key=False, lat=28.0, lon=112.0)
    far = HouseholdIn(2, grid4=0, grid3=0, key=False, lat=28.02, lon=112.0)
    slots = [
        SlotIn(10, PARTY, 0, 1, grid4=0, grid3=0, lat=28.0, lon=112.0),
        SlotIn(20, PARTY, 0, 1, grid4=0, grid3=0, lat=28.02, lon=112.0),
    ]
    solution = solve([near, far], slots)
    assert {(a.household, a.member) for a in solution.assignments} == {(1, 10), (2, 20)}
    assert {a.metres for a in solution.assignments} == {0}


def test_key_households_go_to_cadres_first_and_ordinary_never_to_cadres():
    households = [HouseholdIn(i, grid4=0, grid3=0, key=i < 3) for i in range(13)]
    slots = [SlotIn(1, CADRE, 2, 3, grid4=0, grid3=0), SlotIn(2, PARTY, 10, 15, grid4=0, grid3=0)]
    solution = solve(households, slots)
    by_member = {}
    for a in solution.assignments:
        by_member.setdefault(a.member, set()).add(a.household)
    assert by_member[1] == {0, 1, 2}
    assert by_member[2] == set(range(3, 13))


def test_town_cadres_take_key_households_of_their_own_grid_only():
    households = [HouseholdIn(i, grid4=i, grid3=i % 2, key=True) for i in range(20)]
    solution = solve(households, [SlotIn(7, TOWN, 10, 10, only_grid3=1)])
    assert sorted(a.household for a in solution.assignments) == list(range(1, 20, 2))
    assert solution.unmet == list(range(0, 20, 2))


def test_what_cannot_be_met_is_counted():
    # 40 households, one member with room for 15: 25 unmet. Another case: too few households for two members.
    solution = solve([HouseholdIn(i, 0, 0, False) for i in range(40)], [SlotIn(1, PARTY, 10, 15, 0, 0)])
    assert len(solution.assignments) == 15 and len(solution.unmet) == 25
    solution = solve(
        [HouseholdIn(i, 0, 0, False) for i in range(12)],
        [SlotIn(1, PARTY, 10, 15, 0, 0), SlotIn(2, PARTY, 10, 15, 0, 0)],
    )
    assert solution.unmet == []
    assert sum(solution.shortfall.values()) == 8  # 20 needed for two lower bounds, 12 households


def test_stage_two_matches_a_min_cost_flow_on_random_groups():
    """Stage 2 (households of a group to the members stage 1 gave it) is an assignment solved by scipy; it must
    reach the same total distance as the min-cost flow it replaced, with each member's count as given."""
    from collections import Counter

    import networkx as nx

    from pairing import solver

    rnd = random.Random(5)
    for _ in range(60):
        n = rnd.randint(2, 30)
        group = [
            HouseholdIn(
                i,
                1,
                1,
                False,
                *((28 + rnd.random() / 50, 112 + rnd.random() / 50) if i % 5 else (None, None)),
            )
            for i in range(n)
        ]
        slots = [
            SlotIn(100 + j, PARTY, 0, 15, lat=28 + rnd.random() / 50, lon=112 + rnd.random() / 50)
            for j in range(3)
        ]
        unmet = rnd.randint(0, n // 3)
        first = rnd.randint(1, n - unmet)
        counts = {100: first, 101: n - unmet - first} if n - unmet - first else {100: first}
        got = solver.Solution()
        solver._stage2(group, counts, unmet, slots, got)
        assert Counter(a.member for a in got.assignments) == Counter(counts) and len(got.unmet) == unmet
        g = nx.DiGraph()
        g.add_node("S", demand=-n)
        g.add_node("T", demand=n)
        g.add_edge("U", "T", capacity=unmet, weight=0)
        for m, c in counts.items():
            g.add_edge(m, "T", capacity=c, weight=0)
        for h in group:
            g.add_edge("S", ("h", h.id), capacity=1, weight=0)
            g.add_edge(("h", h.id), "U", capacity=1, weight=0)
            for s in slots[:2]:
                d = solver.metres(h.lat, h.lon, s.lat, s.lon)
                g.add_edge(
                    ("h", h.id), s.member, capacity=1, weight=solver.UNKNOWN_METRES if d is None else d
                )
        best, _flow = nx.network_simplex(g)
        ours = sum(solver.UNKNOWN_METRES if a.metres is None else a.metres for a in got.assignments)
        assert ours == best
