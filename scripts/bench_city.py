"""Benchmark (not a test): town pages inside a city database vs the same town alone, on PostgreSQL.

Build (once, a few minutes after the demo city exists):

    createdb -h 127.0.0.1 -U root lianhu_city
    export DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_city
    python manage.py migrate
    python manage.py demo_town --size city --towns 30        # places, households, members, links, logins
    .venv/bin/python scripts/bench_city.py --load --months 12 # contacts by COPY, then tallies_rebuild()
    .venv/bin/python scripts/bench_city.py --users            # the bench logins, if --no-logins made none

The same for the town alone (`demo_town --size town`) in another database gives the comparison. Contacts
follow scripts/bench_visits.py's rates (online ≈ 85 % of months, a home visit ≈ 85 % of quarters, grid
sink-downs ≈ 85 % of weeks, 3–5 on-site days a year) for the last `--months` months up to now, in every
town; they are written with COPY (psycopg2 `copy_expert`, explicit ids, the sequence moved after), then
`visits.tallies.tallies_rebuild()` (INSERT … SELECT in the database) and `VACUUM ANALYZE`.

Time the pages (any later run; no --load needed once contacts exist):

    .venv/bin/python scripts/bench_city.py --runs 7

Each page is fetched through Django's test Client (whole request) once to warm up, then `--runs` times; the
median, max, query count and the 1-minute load average (os.getloadavg) after the runs are printed.
"""

from __future__ import annotations

import argparse
import datetime
import io
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

from _bench import load_avg, log, time_pages  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.enums import PlaceKind  # noqa: E402
from grids.models import Place  # noqa: E402
from members.enums import LinkType  # noqa: E402
from members.models import Link, Member  # noqa: E402
from visits.enums import ContactKind  # noqa: E402
from visits.models import Contact, ContactHousehold  # noqa: E402
from visits.periods import TZ, local_midnight  # noqa: E402
from visits.tallies import IndexesBuiltAfter, tallies_rebuild  # noqa: E402

HOUSEHOLD_TYPES = {
    LinkType.CITY_HOUSEHOLD,
    LinkType.TOWN_HOUSEHOLD,
    LinkType.VILLAGE_HOUSEHOLD,
    LinkType.PARTY_HOUSEHOLD,
}


def _moment(rng: random.Random, start: datetime.date, days: int, lo, now) -> datetime.datetime | None:
    base = local_midnight(start)
    for _ in range(5):
        when = base + datetime.timedelta(seconds=rng.randrange(max(1, days) * 86400))
        if lo <= when < now - datetime.timedelta(hours=1):
            return when
    return None


def plan_town(links: list[Link], months: int, rng: random.Random, now: datetime.datetime) -> list[tuple]:
    """(link, kind, when) for the last `months` months up to now, at the work plan's rates with misses."""
    today = now.astimezone(TZ).date()
    first = (today.replace(day=1) - datetime.timedelta(days=31 * (months - 1))).replace(day=1)
    lo = local_midnight(first)
    starts = []
    day = first
    while day <= today:
        nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        starts.append((day, (nxt - day).days))
        day = nxt
    rows = []
    for link in links:
        if link.link_type in HOUSEHOLD_TYPES:
            for start, days in starts:
                if rng.random() < 0.85:
                    rows.append((link, ContactKind.ONLINE, _moment(rng, start, days, lo, now)))
                if start.month in (1, 4, 7, 10) or start == first:
                    if rng.random() < 0.85:
                        rows.append((link, ContactKind.HOME_VISIT, _moment(rng, start, 90, lo, now)))
        elif link.link_type == LinkType.TOWN_GRID:
            week = first - datetime.timedelta(days=first.weekday())
            while week <= today:
                if rng.random() < 0.85:
                    rows.append((link, ContactKind.GRID_SINKDOWN, _moment(rng, week, 7, lo, now)))
                week += datetime.timedelta(days=7)
        elif link.link_type in (LinkType.CITY_TOWN, LinkType.CITY_VILLAGE):
            for _ in range(max(1, round(rng.choice([3, 4, 5]) * months / 12))):
                rows.append((link, ContactKind.ONSITE, _moment(rng, first, 31 * months, lo, now)))
    return [r for r in rows if r[2] is not None]


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy(cursor, model, rows: list[dict]) -> None:
    given = set(rows[0]) if rows else set()
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.column not in given)]
    columns = [f.column for f in fields]
    defaults = {
        f.column: (
            None if f.null and not f.has_default() else f.get_db_prep_save(f.get_default(), connection)
        )
        for f in fields
    }
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(_copy_text(row.get(c, defaults[c])) for c in columns))
        buf.write("\n")
    buf.seek(0)
    cursor.cursor.copy_expert(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN", buf)


def load(months: int, seed: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while COPYing
    try:
        # While COPYing into the empty tables: no foreign-key triggers (the rows are built from existing
        # links) and no secondary indexes, unique constraints or foreign keys, each added back once at the end
        # (the keys then checked by one join each): maintaining a dozen indexes row by row (random uuids,
        # household ids) made the COPY slow (≈ 90 s a town-year).
        with IndexesBuiltAfter([Contact, ContactHousehold]) as bulk:
            _load(months, seed)
        log(f"  {bulk.rebuilt} indexes and keys added back in {bulk.seconds:.0f}s")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")
    with connection.cursor() as cursor:
        for model in (Contact, ContactHousehold):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    rebuild()


def rebuild() -> None:
    """Recount every tally from the contacts (`tallies_rebuild`: the tally tables emptied, refilled without
    their indexes and keys, each added back once after; 840 s → 156 s on the city), then VACUUM ANALYZE."""
    log(f"  tallies_rebuild()… (load {load_avg()})")
    t = time.perf_counter()
    written = tallies_rebuild()
    log(f"  {written} tally rows in {time.perf_counter() - t:.0f}s; VACUUM ANALYZE…")
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"  vacuumed in {time.perf_counter() - t:.0f}s")


def _load(months: int, seed: int) -> None:
    now = timezone.now()
    towns = list(Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk"))
    log(f"loading {months} months of contacts into {len(towns)} town(s) with COPY… (load {load_avg()})")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM visits_contact")
        next_id = cursor.fetchone()[0] + 1
    total = 0
    for index, town in enumerate(towns):
        rng = random.Random(seed + index)
        links = list(
            Link.objects.current()
            .filter(path__startswith=town.path)
            .only("pk", "member_id", "household_id", "place_id", "link_type", "path")
            .order_by("pk")
        )
        plan = plan_town(links, months, rng, now)
        contacts, reached = [], []
        for i, (link, kind, when) in enumerate(plan):
            cid = next_id + i
            contacts.append(
                {
                    "id": cid,
                    "member_id": link.member_id,
                    "kind": kind,
                    "occurred_at": when,
                    "household_id": link.household_id,
                    "place_id": link.place_id,
                    "link_id": link.pk,
                    "duty_policy": True,
                    "duty_opinion": i % 3 == 0,
                    "duty_demands": i % 5 == 0,
                    "client_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "path": link.path,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            if link.household_id:
                reached.append(
                    {
                        "contact_id": cid,
                        "household_id": link.household_id,
                        "member_id": link.member_id,
                        "link_id": link.pk,
                        "kind": kind,
                        "occurred_at": when,
                    }
                )
        next_id += len(plan)
        with transaction.atomic(), connection.cursor() as cursor:
            _copy(cursor, Contact, contacts)
            _copy(cursor, ContactHousehold, reached)
        total += len(plan)
        log(f"  {town.name}: {len(plan)} contacts ({total} so far, {time.perf_counter() - started:.0f}s)")
    log(f"  {total} contacts in {time.perf_counter() - started:.0f}s")


def ensure_users() -> None:
    """The three bench logins, made when missing (a city built with --no-logins has none).

    "centre": a centre staff member of the first town; "member": a party member of that town with a household
    link; "town_admin": a superuser (no member). They are attached to existing members; no password is set
    (the timing logs in with force_login). "centre" is staff, as the demo's centre login: it works in the admin.
    """
    from members.enums import PositionKind
    from members.models import Position

    User = get_user_model()
    town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk").first()
    if not User.objects.filter(username="town_admin").exists():
        User.objects.create_superuser("town_admin", email="", password=None)
    wanted = {
        "centre": Member.objects.filter(
            pk__in=Position.objects.current()
            .filter(kind=PositionKind.CENTRE_STAFF, place=town)
            .values("member")
        ),
        "member": Member.objects.filter(
            pk__in=Link.objects.current()
            .filter(link_type=LinkType.PARTY_HOUSEHOLD, path__startswith=town.path)
            .values("member")
        ),
    }
    for username, members in wanted.items():
        if User.objects.filter(username=username).exists():
            continue
        member = members.filter(user__isnull=True).order_by("pk").first()
        member.user = User.objects.create_user(username, password=None, is_staff=username == "centre")
        member.save(update_fields=["user"])
        log(f"  login {username!r} for {member}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--load", action="store_true", help="load contacts (only into an empty contact table)"
    )
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--only", default="", help="comma-separated substrings of page labels to time")
    parser.add_argument(
        "--rebuild", action="store_true", help="only recount the tallies from the contacts already loaded"
    )
    parser.add_argument(
        "--users", action="store_true", help="make the bench logins (centre, member, town_admin) if missing"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the docstring)")
    setup_test_environment()
    if args.load:
        if Contact.objects.exists():
            sys.exit("contacts already loaded")
        load(args.months, args.seed)
        return
    if args.rebuild:
        rebuild()
        return
    if args.users:
        ensure_users()
        return

    town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk").first()
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["centre", "member", "town_admin"])}
    member = Member.objects.get(user=users["member"])
    household = Link.objects.current().filter(member=member, household__isnull=False).first().household_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'visits_contact'")
        contacts = cursor.fetchone()[0]
    log(
        f"database {connection.settings_dict['NAME']}: towns {Place.objects.filter(kind=PlaceKind.TOWN).count()}, "
        f"contacts ≈ {contacts}, town {town.name} links "
        f"{Link.objects.current().filter(path__startswith=town.path).count()}"
    )
    today = timezone.localdate().isoformat()
    pages = [
        ("town dashboard, month (centre)", "centre", f"/reports/places/{town.pk}/?period=month&on={today}"),
        ("town dashboard, year (centre)", "centre", f"/reports/places/{town.pk}/?period=year&on={today}"),
        ("town compliance (centre)", "centre", f"/visits/compliance/{town.pk}/"),
        ("API contacts (centre)", "centre", "/api/contacts/"),
        ("admin contact list (centre)", "centre", "/admin/visits/contact/"),
        ("admin contact list (superuser)", "town_admin", "/admin/visits/contact/"),
        ("member workspace (member)", "member", "/visits/"),
        ("household page (member)", "member", f"/visits/households/{household}/"),
        ("API contacts (member)", "member", "/api/contacts/"),
    ]
    only = [s for s in args.only.split(",") if s]
    time_pages(pages, users, args.runs, width=34, only=only)


if __name__ == "__main__":
    main()
