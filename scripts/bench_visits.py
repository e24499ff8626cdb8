"""Benchmark (not a test): the compliance pages and the member's workspace at town scale on PostgreSQL.

Loads the demo town (demo/town.py: ~15,000 households, full link coverage) and about a year of contacts
(~360,000, the work plan's rates with some misses), then times each page through Django's test Client:
server time of the whole request (middleware, scoping, queries, template), median of several runs after a
warm-up, plus the number of SQL queries.

    createdb -h 127.0.0.1 -U root lianhu_visits   # once
    DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_visits \
        .venv/bin/python scripts/bench_visits.py [--fresh] [--contacts 360000] [--runs 7]

An existing load is reused; --fresh empties the database first.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from _bench import database_ready, log, time_pages  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from demo.town import demo_town_build  # noqa: E402
from grids.enums import PlaceKind  # noqa: E402
from grids.models import Place  # noqa: E402
from members.enums import LinkType  # noqa: E402
from members.models import Link, Member  # noqa: E402
from visits.enums import ContactKind  # noqa: E402
from visits.models import Contact, ContactHousehold  # noqa: E402
from visits.periods import TZ, local_midnight  # noqa: E402
from visits.tallies import tallies_rebuild  # noqa: E402

BATCH = 5000
HOUSEHOLD_TYPES = {
    LinkType.CITY_HOUSEHOLD,
    LinkType.TOWN_HOUSEHOLD,
    LinkType.VILLAGE_HOUSEHOLD,
    LinkType.PARTY_HOUSEHOLD,
}


def moment_in(rng: random.Random, start: datetime.date, days: int, now: datetime.datetime):
    base = local_midnight(start)
    for _ in range(5):
        when = base + datetime.timedelta(seconds=rng.randrange(days * 86400))
        if when < now - datetime.timedelta(hours=1):
            return when
    return None


def plan_contacts(links: list[Link], target: int, seed: int) -> list[tuple]:
    """(member_id, kind, when, household_id, place_id, link_id, path) for a year up to now."""
    rng = random.Random(seed)
    now = timezone.now()
    today = now.astimezone(TZ).date()
    first = today - datetime.timedelta(days=365)
    months = []
    day = first.replace(day=1)
    while day <= today:
        nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        months.append((day, (nxt - day).days))
        day = nxt
    household_links = [link for link in links if link.link_type in HOUSEHOLD_TYPES]
    # Base rates: online 85% of months, a home visit in 85% of quarters; extra home visits fill up to target.
    base = len(household_links) * (len(months) * 0.85 + len(months) / 3 * 0.85)
    grid_links = [link for link in links if link.link_type == LinkType.TOWN_GRID]
    base += len(grid_links) * 52 * 0.85
    extra_rate = max(0.0, (target - base) / max(1, len(household_links) * len(months)))
    rows = []
    for link in household_links:
        for i, (start, days) in enumerate(months):
            if rng.random() < 0.85:
                rows.append((link, ContactKind.ONLINE, moment_in(rng, start, days, now)))
            if i % 3 == 0 and rng.random() < 0.85:
                span = sum(d for _, d in months[i : i + 3])
                rows.append((link, ContactKind.HOME_VISIT, moment_in(rng, start, span, now)))
            extra = extra_rate
            while extra > 0:
                if rng.random() < min(1.0, extra):
                    rows.append((link, ContactKind.HOME_VISIT, moment_in(rng, start, days, now)))
                extra -= 1
    monday = first - datetime.timedelta(days=first.weekday())
    for link in grid_links:
        week = monday
        while week <= today:
            if rng.random() < 0.85:
                rows.append((link, ContactKind.GRID_SINKDOWN, moment_in(rng, week, 7, now)))
            week += datetime.timedelta(days=7)
    for link in links:
        if link.link_type in (LinkType.CITY_TOWN, LinkType.CITY_VILLAGE):
            for _ in range(rng.choice([3, 4, 5])):
                rows.append((link, ContactKind.ONSITE, moment_in(rng, first, 365, now)))
    return [r for r in rows if r[2] is not None]


def load(target: int, seed: int) -> None:
    log("building the demo town (demo.town.demo_town_build, size=town)…")
    started = time.perf_counter()
    result = demo_town_build(size="town", seed=seed)
    log(f"  {result.counts} in {time.perf_counter() - started:.1f}s")
    town = Place.objects.get(kind=PlaceKind.TOWN)
    links = list(
        Link.objects.current().filter(path__startswith=town.path).select_related("household", "place")
    )
    plan = plan_contacts(links, target, seed)
    log(f"inserting {len(plan)} contacts…")
    started = time.perf_counter()
    for offset in range(0, len(plan), BATCH):
        chunk = plan[offset : offset + BATCH]
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                [
                    Contact(
                        member_id=link.member_id,
                        kind=kind,
                        occurred_at=when,
                        household_id=link.household_id,
                        place_id=link.place_id,
                        link_id=link.pk,
                        duty_policy=True,
                        duty_opinion=(offset + i) % 3 == 0,
                        duty_demands=(offset + i) % 5 == 0,
                        client_id=uuid.uuid4(),
                        path=link.path,
                    )
                    for i, (link, kind, when) in enumerate(chunk)
                ]
            )
            ContactHousehold.objects.bulk_create(
                [
                    ContactHousehold(
                        contact_id=contact.pk,
                        household_id=contact.household_id,
                        member_id=contact.member_id,
                        kind=contact.kind,
                        occurred_at=contact.occurred_at,
                        link_id=contact.link_id,
                    )
                    for contact in contacts
                    if contact.household_id
                ]
            )
    log(
        f"  contacts in {time.perf_counter() - started:.1f}s; counting tallies (bulk_create fires no signal)…"
    )
    log(f"  {tallies_rebuild()} tally rows")
    with connection.cursor() as cursor:
        # What autovacuum does on a live server: statistics, and the visibility map for index-only scans.
        cursor.execute("VACUUM ANALYZE")
    log(f"  done in {time.perf_counter() - started:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="empty the database and load again")
    parser.add_argument("--contacts", type=int, default=360_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--vacuum", action="store_true", help="VACUUM ANALYZE an existing load first")
    args = parser.parse_args()
    database_ready(fresh=args.fresh)
    if not Contact.objects.exists():
        load(args.contacts, args.seed)
    elif args.vacuum:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    town = Place.objects.get(kind=PlaceKind.TOWN)
    User = get_user_model()
    users = {
        u.username: u for u in User.objects.filter(username__in=["centre", "officer", "gridhead", "member"])
    }
    officer_village = Place.objects.get(positions__member__user=users["officer"], kind=PlaceKind.VILLAGE)
    head_grid = Place.objects.get(positions__member__user=users["gridhead"], kind=PlaceKind.GRID3)
    member = Member.objects.get(user=users["member"])
    first_household = (
        Link.objects.current().filter(member=member, household__isnull=False).first().household_id
    )
    counts = {
        "households": town.households.model.objects.filter(path__startswith=town.path).count(),
        "links": Link.objects.current().filter(path__startswith=town.path).count(),
        "contacts": Contact.objects.count(),
        "contact_households": ContactHousehold.objects.count(),
        "grid_households": town.households.model.objects.filter(path__startswith=head_grid.path).count(),
        "village_households": town.households.model.objects.filter(
            path__startswith=officer_village.path
        ).count(),
        "member_links": Link.objects.current().filter(member=member).count(),
    }
    log(f"data: {counts}")
    past = (timezone.localdate() - datetime.timedelta(days=9)).isoformat()
    pages = [
        ("town compliance (centre staff)", "centre", f"/visits/compliance/{town.pk}/"),
        ("village compliance (village officer)", "officer", f"/visits/compliance/{officer_village.pk}/"),
        ("grid compliance (grid head)", "gridhead", f"/visits/compliance/{head_grid.pk}/"),
        ("member workspace (party member)", "member", "/visits/"),
        ("household page (party member)", "member", f"/visits/households/{first_household}/"),
        ("API place compliance, town (centre staff)", "centre", f"/api/compliance/places/{town.pk}/"),
        # "As of" a past mid-week day: the running periods' counts come from the contact rows up to that day.
        ("town compliance as of 9 days ago", "centre", f"/visits/compliance/{town.pk}/?on={past}"),
        (
            "API place compliance, town, as of 9 days ago",
            "centre",
            f"/api/compliance/places/{town.pk}/?on={past}",
        ),
        ("API contacts list (party member)", "member", "/api/contacts/"),
        ("API contacts list, town (centre staff)", "centre", "/api/contacts/"),
    ]
    time_pages(pages, users, args.runs, width=45)


if __name__ == "__main__":
    main()
