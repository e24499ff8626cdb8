"""Benchmark (not a test): the towns' compliance snapshots (job `compliance_snapshots`) and the city pages that
read them, on a city database built as scripts/bench_city.py says (30 towns).

    export DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_city_big
    .venv/bin/python scripts/bench_city_snapshots.py --workers 1   # take every town's snapshot, one process
    .venv/bin/python scripts/bench_city_snapshots.py --workers 2   # the same towns split over two processes
    .venv/bin/python scripts/bench_city_snapshots.py --pages --runs 7

Each town is one `dispatch.jobs.job_run(job="compliance_snapshots", town=…)`, as the worker runs it after the
fan-out (re-running the day replaces its rows). Prints per town and in all, with the load average.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from _bench import load_avg, log, time_pages  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from dispatch.jobs import job_run  # noqa: E402
from grids.enums import PlaceKind  # noqa: E402
from grids.models import Place  # noqa: E402

JOB = "compliance_snapshots"


def run_towns(town_ids: list[int]) -> list[tuple[str, float, str]]:
    rows = []
    for pk in town_ids:
        town = Place.objects.get(pk=pk)
        started = time.perf_counter()
        run = job_run(job=JOB, town=town)
        rows.append((town.name, time.perf_counter() - started, run.status))
    connection.close()
    return rows


def take(workers: int) -> None:
    towns = list(Place.objects.filter(kind=PlaceKind.TOWN).order_by("path").values_list("pk", flat=True))
    shares = [towns[i::workers] for i in range(workers)]
    connections.close_all()
    started = time.perf_counter()
    if workers == 1:
        results = [run_towns(towns)]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(run_towns, shares)
    total = time.perf_counter() - started
    per_town = [s for rows in results for _name, s, _st in rows]
    failed = [name for rows in results for name, _s, st in rows if st != "done"]
    log(
        f"{len(towns)} towns, {workers} worker(s): {total:.1f} s in all; per town median "
        f"{statistics.median(per_town):.2f} s, min {min(per_town):.2f}, max {max(per_town):.2f}; "
        f"failed {failed or 'none'}; load {load_avg()}"
    )


def pages(runs: int) -> None:
    setup_test_environment()
    city = Place.objects.filter(kind=PlaceKind.CITY).order_by("pk").first()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["town_admin"])}
    today = timezone.localdate().isoformat()
    time_pages(
        [
            (
                "city dashboard, month (superuser)",
                "town_admin",
                f"/reports/city/{city.pk}/?period=month&on={today}",
            ),
            (
                "city dashboard, year (superuser)",
                "town_admin",
                f"/reports/city/{city.pk}/?period=year&on={today}",
            ),
            ("city compliance by town (superuser)", "town_admin", f"/visits/compliance/{city.pk}/"),
        ],
        users,
        runs,
        width=38,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=0, help="take every town's snapshot with N processes")
    parser.add_argument("--pages", action="store_true", help="time the city pages")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the docstring)")
    if args.workers:
        take(args.workers)
    if args.pages:
        pages(args.runs)


if __name__ == "__main__":
    main()
