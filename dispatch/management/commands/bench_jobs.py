"""Time a job over the current database and count its queries, then roll everything back.

python manage.py bench_jobs --job task_lists --period 2026-11
python manage.py bench_jobs --job task_lists --period 2026-11 --town each   # one run per town, as the worker does
python manage.py bench_jobs --job task_lists --period 2026-11 --town T01    # one town (by code)
python manage.py bench_jobs --job task_lists --period 2026-11 --town each --workers 2
    # the towns' runs on 2 processes at once, as 2 Celery workers take the fan-out's tasks: the wall time
"""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dispatch.enums import JobName
from dispatch.jobs import JOBS, fan_out_places
from dispatch.periods import PeriodError, parse_period
from grids.models import Place
from members.models import Link, Member


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark a scheduled job (time, query count); writes nothing (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--job", default=JobName.TASK_LISTS, choices=JobName.values)
        parser.add_argument("--period", required=True)
        parser.add_argument(
            "--town",
            default="",
            help="a town's code (one town's run), or 'each' (every town's run in turn, as the fan-out does); "
            "empty: the whole city in one run",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="with --town each: that many processes take the towns' runs at once (as Celery workers "
            "take the fan-out's tasks); prints the wall time from the first run's start to the last's end",
        )

    def handle(self, *args, job, period, town, workers, **options):
        try:
            parsed = parse_period(job, period)
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        if town:
            places = fan_out_places(job) if town == "each" else list(Place.objects.filter(code=town))
            if not places:
                raise CommandError(f"no town with code {town}")
            if town == "each" and workers > 1:
                self._parallel(job, period, places, workers)
                return
            total = 0.0
            for place in places:
                elapsed, n, counts = _time(job, parsed, place)
                total += elapsed
                self.stdout.write(
                    f"{job} {period} {place.name}: {elapsed:.2f}s, {n} queries; {counts} (rolled back)"
                )
            self.stdout.write(f"{len(places)} runs, {total:.2f}s in all (one worker)")
            return
        members = Member.objects.count()
        links = Link.objects.current(parsed.start).count()
        elapsed, n, counts = _time(job, parsed, None)
        self.stdout.write(
            f"{job} {period}: {elapsed:.2f}s, {n} queries; members={members} current links={links}; "
            f"{counts} (rolled back)"
        )

    def _parallel(self, job, period, places, workers):
        connection.close()  # the children (forked) open their own
        started = time.perf_counter()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            runs = list(pool.map(_run_one, [(job, period, place.pk) for place in places]))
        wall = time.perf_counter() - started
        for name, elapsed, n, counts in runs:
            self.stdout.write(f"{job} {period} {name}: {elapsed:.2f}s, {n} queries; {counts} (rolled back)")
        total = sum(run[1] for run in runs)
        self.stdout.write(
            f"{len(runs)} runs on {workers} processes: {wall:.2f}s wall ({total:.2f}s of runs added up)"
        )


def _time(job, parsed, place):
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            counts = JOBS[job](parsed, town=place)
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, len(queries), counts


def _run_one(args):
    """One town's run in a worker process (its own database connection), rolled back."""
    job, period, place_pk = args
    place = Place.objects.get(pk=place_pk)
    elapsed, n, counts = _time(job, parse_period(job, period), place)
    return place.name, elapsed, n, counts
