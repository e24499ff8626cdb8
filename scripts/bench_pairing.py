"""Benchmark (not a test): pairing proposals (pairing/services.proposal_build) on the demo town, PostgreSQL.

    createdb -h 127.0.0.1 -U root lianhu_pairing          # once
    export DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_pairing
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py demo_town --no-logins   # if empty
    .venv/bin/python scripts/bench_pairing.py [--runs 3]

Times `proposal_build` (all reads, the min-cost flows, the lines in memory; nothing written) for the whole town
and for every village, in each mode, and `batch_propose` + `batch_apply` of a full town proposal inside a
transaction that is rolled back. "full" is the heavy case: every household of the scope is planned afresh.
Prints the median of --runs after one warm-up, the query count and the proposal's figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from grids.enums import PlaceKind  # noqa: E402
from grids.models import Household, Place  # noqa: E402
from members.models import Member  # noqa: E402
from pairing.enums import PairingMode  # noqa: E402
from pairing.services import batch_apply, batch_propose, proposal_build  # noqa: E402


def timed(fn, runs: int):
    fn()
    times, cpu, result, queries = [], [], None, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = fn()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        queries = len(ctx.captured_queries)
    return statistics.median(times), statistics.median(cpu), queries, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"database: {connection.vendor}; households {Household.objects.count()}, members {Member.objects.count()};"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("path").first()
    villages = list(Place.objects.filter(kind=PlaceKind.VILLAGE, path__startswith=town.path).order_by("path"))
    print(
        "| scope | mode | households planned | new / ended lines | unmet | median wall s | median CPU s (this process) | queries |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for mode in (PairingMode.FILL, PairingMode.REBALANCE, PairingMode.FULL):
        med, worst, queries, p = timed(lambda mode=mode: proposal_build(place=town, mode=mode), args.runs)
        s = p.summary
        print(
            f"| town {town.name} | {mode} | {s['to_pair']} | {s['creating']} / {s['ending']} | {s['unmet']} "
            f"| {med:.2f} | {worst:.2f} | {queries} |"
        )
    village_times = []
    for village in villages:
        med, worst, queries, p = timed(
            lambda village=village: proposal_build(place=village, mode=PairingMode.FULL), args.runs
        )
        village_times.append((med, worst, queries, village, p.summary["to_pair"]))
    med, worst, queries, village, n = max(village_times, key=lambda t: t[0])
    print(
        f"| slowest village ({village.name}, of {len(villages)}) | full | {n} | | | {med:.2f} | {worst:.2f} | {queries} |"
    )
    print(
        f"| all villages, median of medians | full | | | | {statistics.median(t[0] for t in village_times):.2f} | | |"
    )
    with transaction.atomic():
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            batch = batch_propose(user=None, place=town, mode=PairingMode.FULL)
        stored = time.perf_counter() - started
        q1 = len(ctx.captured_queries)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            result = batch_apply(user=None, batch=batch)
        applied = time.perf_counter() - started
        print(
            f"\nbatch_propose (town, full, {batch.lines.count()} lines stored): {stored:.2f} s, {q1} queries; "
            f"batch_apply ({result.created} created, {result.ended} ended): {applied:.2f} s, "
            f"{len(ctx.captured_queries)} queries (rolled back)"
        )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
