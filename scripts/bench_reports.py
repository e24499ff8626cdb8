"""Benchmark (not a test): the dashboards and a year's contact ledger at town scale on PostgreSQL.

Data: the demo town (demo/town.py: ~15,000 households, full link coverage) and about a year of contacts,
loaded by scripts/bench_visits.py's loader (reused, not copied), plus ~1,500 issues spread over the year.
Then:
- each dashboard's server time through Django's test Client (median of several runs after a warm-up) and
  its number of SQL queries;
- the town's contact ledger for the last 12 months written by reports.exports + grids.ledger.write_ledger:
  rows per second and peak memory (ru_maxrss of a fresh process per writer, minus a baseline process that
  only sets Django up), next to a bare openpyxl write-only loop writing the same rows from the same
  query, as a ratio.

    createdb -h 127.0.0.1 -U root lianhu_reports   # once
    DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_reports \
        .venv/bin/python scripts/bench_reports.py [--fresh] [--contacts 360000] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import bench_visits  # noqa: E402  (sets Django up)
from _bench import QUOTA_SEED, database_ready, log, time_pages  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from grids.enums import PlaceKind  # noqa: E402
from grids.ledger import write_ledger  # noqa: E402
from grids.models import Household, Place  # noqa: E402
from issues.enums import IssueLevel, IssueStatus  # noqa: E402
from issues.models import Issue, IssueCategory  # noqa: E402
from members.models import Link  # noqa: E402
from reports.exports import CONTACT_FIELDS, contacts_sheet  # noqa: E402
from reports.periods import custom_period  # noqa: E402
from reports.selectors import contacts_in  # noqa: E402
from visits.models import Contact  # noqa: E402

# CPU seconds of this process per writer run (wall time swings with other load on a shared machine; the CPU
# time of the writing process does much less).
CPU_SECONDS: list[float] = []


def load_issues(n: int, seed: int) -> None:
    """n issues on random linked households, raised by their member at random times in the last year."""
    rng = random.Random(seed)
    links = list(
        Link.objects.current()
        .filter(household__isnull=False)
        .values_list("member_id", "household_id", "path")
    )
    category = IssueCategory.objects.order_by("id").first()
    now = timezone.now()
    statuses = [
        (IssueLevel.ON_SPOT, IssueStatus.CLOSED, IssueLevel.ON_SPOT),
        (IssueLevel.GRID, IssueStatus.RESOLVED, IssueLevel.GRID),
        (IssueLevel.VILLAGE, IssueStatus.OPEN, ""),
        (IssueLevel.CENTRE, IssueStatus.REVIEW, ""),
    ]
    rows = []
    for _ in range(n):
        member_id, household_id, path = rng.choice(links)
        level, status, resolved_level = rng.choice(statuses)
        raised = now - datetime.timedelta(seconds=rng.randrange(365 * 86400))
        rows.append(
            Issue(
                category=category,
                description="演示问题",
                household_id=household_id,
                path=path,
                raised_by_id=member_id,
                level=level,
                status=status,
                resolved_level=resolved_level,
                resolved_at=raised + datetime.timedelta(days=rng.randrange(1, 10))
                if resolved_level
                else None,
                satisfaction="satisfied" if status == IssueStatus.CLOSED else "",
                deadline=raised + datetime.timedelta(days=3),
            )
        )
    with transaction.atomic():
        created = Issue.objects.bulk_create(rows, batch_size=2000)
        # raised_at is auto_now_add: set the planned times afterwards.
        for issue, row in zip(created, rows, strict=True):
            Issue.objects.filter(pk=issue.pk).update(raised_at=row.deadline - datetime.timedelta(days=3))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@contextlib.contextmanager
def measured(*, trace: bool):
    """Wall time of the block into result["seconds"], its CPU time onto CPU_SECONDS, and with `trace` the peak
    of Python allocations into result["peak"] (else 0)."""
    result = {"seconds": 0.0, "peak": 0}
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    yield result
    result["seconds"] = time.perf_counter() - started
    CPU_SECONDS.append(time.process_time() - cpu)
    if trace:
        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def ledger_run(user, town, period, *, trace: bool) -> tuple[float, int, int]:
    """Write the contact ledger; (seconds, rows, peak bytes or 0)."""
    with measured(trace=trace) as m, tempfile.TemporaryFile() as out:
        counts = write_ledger([contacts_sheet(user=user, place=town, period=period)], out)
    return m["seconds"], sum(counts.values()), m["peak"]


def bare_run(user, town, period, *, trace: bool) -> tuple[float, int, int]:
    """The same query's rows appended as they come to a bare write-only workbook (no types, no styles)."""
    with measured(trace=trace) as m:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("contacts")
        n = 0
        qs = contacts_in(user=user, place=town, period=period).order_by("occurred_at", "id")
        for row in qs.values_list(*CONTACT_FIELDS).iterator(chunk_size=2000):
            ws.append([v.replace(tzinfo=None) if isinstance(v, datetime.datetime) else v for v in row])
            n += 1
        with tempfile.TemporaryFile() as out:
            wb.save(out)
    return m["seconds"], n, m["peak"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="empty the database and load again")
    parser.add_argument("--contacts", type=int, default=360_000)
    parser.add_argument("--issues", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--skip-ledger", action="store_true")
    args = parser.parse_args()
    database_ready(fresh=args.fresh, seeds=(QUOTA_SEED, "issues.migrations.0002_seed_settings"))
    if not Contact.objects.exists():
        bench_visits.load(args.contacts, args.seed)
    if not Issue.objects.exists():
        if not IssueCategory.objects.exists():
            IssueCategory.objects.create(name="基础设施")
        log(f"inserting {args.issues} issues…")
        load_issues(args.issues, args.seed)

    town = Place.objects.get(kind=PlaceKind.TOWN)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["centre", "officer", "gridhead"])}
    village = Place.objects.get(positions__member__user=users["officer"], kind=PlaceKind.VILLAGE)
    grid = Place.objects.get(positions__member__user=users["gridhead"], kind=PlaceKind.GRID3)
    log(
        "data: "
        + str(
            {
                "households": Household.objects.filter(path__startswith=town.path).count(),
                "links": Link.objects.current().filter(path__startswith=town.path).count(),
                "contacts": Contact.objects.count(),
                "issues": Issue.objects.count(),
                "village_households": Household.objects.filter(path__startswith=village.path).count(),
                "grid_households": Household.objects.filter(path__startswith=grid.path).count(),
            }
        )
    )
    today = timezone.localdate()
    month = {"period": "month", "on": today.isoformat()}
    year = {"period": "year", "on": today.isoformat()}
    pages = [
        ("town dashboard, month (centre)", "centre", town, month),
        ("town dashboard, year (centre)", "centre", town, year),
        ("village dashboard, month (officer)", "officer", village, month),
        ("village dashboard, year (officer)", "officer", village, year),
        ("grid dashboard, month (grid head)", "gridhead", grid, month),
        ("grid dashboard, year (grid head)", "gridhead", grid, year),
    ]
    time_pages(
        [
            (
                label,
                username,
                f"/reports/places/{place.pk}/?" + "&".join(f"{k}={v}" for k, v in params.items()),
            )
            for label, username, place, params in pages
        ],
        users,
        args.runs,
        width=40,
    )

    if args.skip_ledger:
        return
    log("\ncontact ledger for the town, last 12 months; each writer in a fresh process (ru_maxrss)")
    results = {mode: _subprocess(mode) for mode in ("baseline", "ledger", "bare")}
    base = results["baseline"]["maxrss_kb"]
    ledger, bare = results["ledger"], results["bare"]
    assert ledger["rows"] == bare["rows"], (ledger, bare)
    log(
        f"{'writer':28} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'CPU s':>7} {'rows/CPU s':>10} "
        f"{'peak RSS MiB':>13} {'over baseline':>14}"
    )
    for label, r in (("reports ledger (write_ledger)", ledger), ("bare openpyxl write-only", bare)):
        log(
            f"{label:28} {r['rows']:8d} {r['seconds']:8.1f} {r['rows'] / r['seconds']:8.0f} "
            f"{r['cpu_seconds']:7.1f} {r['rows'] / max(r['cpu_seconds'], 1e-9):10.0f} "
            f"{r['maxrss_kb'] / 1024:13.1f} {(r['maxrss_kb'] - base) / 1024:14.1f}"
        )
    log(f"baseline process (Django set up, no rows): {base / 1024:.1f} MiB")
    log(
        f"ratio ledger/bare: time {ledger['seconds'] / bare['seconds']:.2f}x, "
        f"CPU {ledger['cpu_seconds'] / max(bare['cpu_seconds'], 1e-9):.2f}x, "
        f"memory over baseline {(ledger['maxrss_kb'] - base) / max(bare['maxrss_kb'] - base, 1):.2f}x"
    )


def _subprocess(mode: str) -> dict:
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--writer", mode],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def writer_main(mode: str) -> None:
    """One writer in this (fresh) process; prints JSON: rows, seconds, maxrss_kb."""
    import json
    import resource

    town = Place.objects.get(kind=PlaceKind.TOWN)
    centre = get_user_model().objects.get(username="centre")
    today = timezone.localdate()
    period = custom_period(today - datetime.timedelta(days=364), today)
    seconds, rows = 0.0, 0
    if mode == "ledger":
        seconds, rows, _ = ledger_run(centre, town, period, trace=False)
    elif mode == "bare":
        seconds, rows, _ = bare_run(centre, town, period, trace=False)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = CPU_SECONDS[-1] if CPU_SECONDS else 0.0
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu_seconds": cpu, "maxrss_kb": maxrss}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--writer":
        writer_main(sys.argv[2])
    else:
        main()
