"""Shared by the bench scripts that time pages (bench_visits, bench_reports, bench_city): set-up, output, timing.

Import it after `django.setup()`. A page is fetched through Django's test Client (the whole request:
middleware, scoping, queries, template) once to warm up, then `runs` times; a row gives the median and the
max in ms, the number of SQL queries of one more fetch, and the load average after the runs (the machine
may be shared: a figure means little without it).
"""

from __future__ import annotations

import os
import statistics
import time

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment

QUOTA_SEED = "visits.migrations.0002_seed_quota_rules"


def log(msg: str) -> None:
    print(msg, flush=True)


def load_avg() -> str:
    """The 1-, 5- and 15-minute load averages, e.g. "1.2/0.9/0.8"."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def database_ready(*, fresh: bool, seeds: tuple[str, ...] = (QUOTA_SEED,)) -> None:
    """Refuse anything but PostgreSQL, set the test environment up (the Client needs it) and migrate; with
    `fresh`, empty the database first and run the data migrations' seeds again (flush empties them too)."""
    import importlib
    import sys

    from django.apps import apps

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the docstring)")
    setup_test_environment()
    call_command("migrate", verbosity=0)
    if fresh:
        call_command("flush", interactive=False, verbosity=0)
        for seed in seeds:
            importlib.import_module(seed).seed(apps, None)


def time_page(client: Client, url: str, runs: int) -> tuple[float, float, int]:
    """(median ms, max ms, queries) of GET `url` after one warm-up; every response must be a 200."""
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(times), max(times), len(ctx)


def time_pages(pages, users: dict, runs: int, *, width: int = 40, only=()) -> list[tuple]:
    """Time each (label, username, url) logged in as `users[username]` and log a table, one row a page.

    `only`: substrings of the labels to time (empty: every page). Returns (label, median, max, queries) rows.
    """
    log(f"{'page':{width}} {'median ms':>10} {'max ms':>8} {'queries':>8}  load 1/5/15")
    rows = []
    for label, username, url in pages:
        if only and not any(s in label for s in only):
            continue
        client = Client()
        client.force_login(users[username])
        median, worst, queries = time_page(client, url, runs)
        log(f"{label:{width}} {median:10.1f} {worst:8.1f} {queries:8d}  {load_avg()}")
        rows.append((label, median, worst, queries))
    return rows
