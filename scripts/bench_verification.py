"""Benchmark of the verification app on a demo town (issue 14's targets), and the share of flags it raises.

    DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_verif .venv/bin/python scripts/bench_verification.py [--whole-month]

Needs a database with `demo_town` and `demo_activity` loaded (see docs/benchmarks.md). Measures:
- the save-time signals: `check_contact` on 200 recent home visits, each given a position (what recording a
  located home visit adds to the request after the commit), and the same with the household's position cleared
  (the proposal path);
- the nightly pattern job for the town's last complete month (`patterns_run`), and again (re-run, flags exist);
- the monthly sample draw (`sample_draw`, 3 %, at least 5 per village), then removed again;
- the share of the month's contacts that each signal flags on the demo's ordinary activity.
Writes nothing that stays: every change is rolled back at the end.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.enums import PlaceKind  # noqa: E402
from grids.models import Place  # noqa: E402
from verification.enums import SignalKind  # noqa: E402
from verification.models import Flag, Sample  # noqa: E402
from verification.services import check_contact, patterns_run, sample_draw  # noqa: E402
from visits.models import Contact  # noqa: E402


class Rollback(Exception):
    pass


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk").first()
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    contacts = Contact.objects.filter(path__startswith=town.path)
    print(f"{connection.vendor}: {contacts.count()} contacts in {town.name}; month {month:%Y-%m}")
    admin = get_user_model().objects.filter(is_superuser=True).first()
    try:
        with transaction.atomic():
            visits = list(
                contacts.filter(kind="home_visit", household__latitude__isnull=False)
                .select_related("household")
                .order_by("-occurred_at")[:200]
            )
            for contact in visits:  # about 200 m from the household
                contact.latitude = round(contact.household.latitude + Decimal("0.0020"), 4)
                contact.longitude = contact.household.longitude
                contact.accuracy_m = 20
            Contact.objects.bulk_update(visits, ["latitude", "longitude", "accuracy_m"])
            ms = [timed(check_contact, c.pk, created=True)[0] for c in visits]
            print(
                f"save-time signals (check_contact), located home visit: median {statistics.median(ms):.1f} ms,"
                f" p95 {sorted(ms)[int(len(ms) * 0.95)]:.1f} ms, max {max(ms):.1f} ms (n={len(ms)})"
            )
            first, counts = timed(patterns_run, town=town, month=month)
            again, _ = timed(patterns_run, town=town, month=month)
            print(
                f"nightly pattern job, town month: {first / 1000:.2f} s (re-run {again / 1000:.2f} s) {counts}"
            )
            Sample.objects.filter(town=town, month=month).delete()  # (the demo's own draw; rolled back)
            draw, sample = timed(sample_draw, user=admin, town=town, month=month, seed=2026)
            print(f"monthly sample draw: {draw / 1000:.2f} s, {sample.calls.count()} calls")
            start = datetime.datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())
            end = (start + datetime.timedelta(days=32)).replace(day=1)
            month_ids = list(
                contacts.filter(occurred_at__gte=start, occurred_at__lt=end).values_list("pk", flat=True)
            )
            month_total = len(month_ids)
            if "--whole-month" in sys.argv:  # the save-time signals of every contact of the month (slow)
                all_ms, _ = timed(lambda: [check_contact(pk) for pk in month_ids])
                print(
                    f"save-time signals over the whole month: {all_ms / 1000:.1f} s for {month_total} contacts"
                )
            print(f"flags on the demo's ordinary activity, {month:%Y-%m} ({month_total} contacts):")
            by_kind = dict(
                Flag.objects.filter(month=month, path__startswith=town.path)
                .values_list("kind")
                .annotate(n=Count("contacts"))
                .order_by()
            )
            for kind in SignalKind:
                n = by_kind.get(kind.value, 0)
                print(f"  {kind.label}: {n} contacts flagged ({100 * n / max(month_total, 1):.2f} %)")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
