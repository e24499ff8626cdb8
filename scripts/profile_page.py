"""Profile (not a test): where one town page's time goes, as the centre staff of the first town see it.

    DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_city_jobs DJANGO_SETTINGS_MODULE=config.settings.test \\
        .venv/bin/python scripts/profile_page.py --page year --runs 15

Prints the medians over `--runs` requests (after 3 warm-ups, Django test Client) of the whole request, the
process's CPU and the statements' time on the request's connection (`CaptureQueriesContext`), then the
slowest statements by median. For a dashboard, also when its compliance grouping started, how long it ran and
how long the page then waited for it (grids.beside: on its own connection, not among the request's
statements). Needs the bench login "centre" (`scripts/bench_city.py --users`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", choices=["month", "year", "compliance"], default="month")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    import visits.selectors.summaries as summaries
    from grids.enums import PlaceKind
    from grids.models import Place

    setup_test_environment()
    marks: dict[str, float] = {}
    real_run, real_beside = summaries._run, summaries.beside

    def timed_run(sql, params):
        marks["run_start"] = time.perf_counter()
        try:
            return real_run(sql, params)
        finally:
            marks["run_end"] = time.perf_counter()

    class Timed:
        def __init__(self, handle):
            self.handle = handle

        def result(self):
            marks["asked"] = time.perf_counter()
            try:
                return self.handle.result()
            finally:
                marks["got"] = time.perf_counter()

    summaries.beside = lambda fn, *a, **k: Timed(real_beside(timed_run, *a, **k))

    town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk").first()
    today = timezone.localdate().isoformat()
    url = (
        f"/visits/compliance/{town.pk}/"
        if args.page == "compliance"
        else f"/reports/places/{town.pk}/?period={args.page}&on={today}"
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="centre"))
    for _ in range(3):
        assert client.get(url).status_code == 200
    wall, cpu, sql, beside_rows = [], [], [], []
    per_statement: dict[tuple[int, str], list[float]] = defaultdict(list)
    for _ in range(args.runs):
        marks.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.status_code
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        for i, q in enumerate(captured.captured_queries):
            per_statement[i, " ".join(q["sql"].split())[:100]].append(float(q["time"]) * 1000)
        if "got" in marks:
            beside_rows.append(
                (
                    (marks["run_start"] - started) * 1000,
                    (marks["run_end"] - marks["run_start"]) * 1000,
                    (marks["got"] - marks["asked"]) * 1000,
                )
            )
    print(
        f"{url}: wall {statistics.median(wall):.1f} ms, CPU {statistics.median(cpu):.1f} ms, "
        f"statements {statistics.median(sql):.1f} ms ({len(captured.captured_queries)} on the request's "
        f"connection), {args.runs} runs"
    )
    if beside_rows:
        start, took, waited = (statistics.median(r[i] for r in beside_rows) for i in range(3))
        print(
            f"  compliance grouping beside: starts at {start:.1f} ms, runs {took:.1f} ms, waited for {waited:.1f} ms"
        )
    print("  slowest statements (median ms, position, SQL):")
    slowest = sorted(per_statement.items(), key=lambda item: -statistics.median(item[1]))[: args.top]
    for (i, text), times in slowest:
        print(f"  {statistics.median(times):6.1f}  #{i:<2} {text}")


if __name__ == "__main__":
    main()
