"""python manage.py tallies_check [--repair]

Compares the counters kept next to the contacts (visits.LinkTally for compliance, visits.ContactMonthTally for
the dashboards) with a recount from the contacts, in the database, and prints how many rows differ. They are
kept by the contact services and signals; a difference means rows were written around them (a bulk load without
`tallies_rebuild()`, a hand edit in SQL). `--repair` then recounts every tally; run it when nobody is recording
contacts (a contact saved during the recount may be counted twice or not at all). Exits 1 when rows differ and
were not repaired, so it can run from cron or CI.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from visits.tallies import tallies_check, tallies_rebuild


class Command(BaseCommand):
    help = "检查走访计数与走访记录是否一致,--repair 时重新计数 (check the visit tallies; --repair recounts)"

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="不一致时重新计数 (recount when rows differ)"
        )

    def handle(self, *args, repair: bool, **options):
        found = tallies_check()
        for table, n in found.items():
            self.stdout.write(f"{table}: {n} 行不一致 ({n} rows differ)")
        if not any(found.values()):
            self.stdout.write(self.style.SUCCESS("计数一致 (tallies match the contacts)"))
            return
        if not repair:
            self.stderr.write("计数不一致,可用 --repair 重新计数 (tallies differ: run with --repair)")
            raise SystemExit(1)
        with transaction.atomic():
            written = tallies_rebuild()
        after = tallies_check()
        self.stdout.write(
            f"已重新计数,写入 {written} 行 (recounted: {written} rows); 复查 (check again): {after}"
        )
        if any(after.values()):
            raise SystemExit(1)
