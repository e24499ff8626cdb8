"""Time a job over the current database and count its queries, then roll everything back.

python manage.py bench_jobs --job task_lists --period 2026-11
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dispatch.enums import JobName
from dispatch.jobs import JOBS
from dispatch.periods import PeriodError, parse_period
from members.models import Link, Member


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark a scheduled job (time, query count); writes nothing (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--job", default=JobName.TASK_LISTS, choices=JobName.values)
        parser.add_argument("--period", required=True)

    def handle(self, *args, job, period, **options):
        try:
            parsed = parse_period(job, period)
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        members = Member.objects.count()
        links = Link.objects.current(parsed.start).count()
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                counts = JOBS[job](parsed)
                elapsed = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(
            f"{job} {period}: {elapsed:.2f}s, {len(queries)} queries; members={members} current links={links}; "
            f"{counts} (rolled back)"
        )
