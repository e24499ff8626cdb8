"""Benchmark (not a test): one town's pages in the town database and inside the city database, interleaved.

The machine is shared, so timing the town alone and then the city minutes apart compares two loads, not two
databases. This runs one worker process per database (each its own Django, as scripts/bench_city.py sets it
up) and asks them in turn for the same page: town, city, city, town, … so both see the same load. Prints per
page the median of `--runs` requests on each side, their ratio and the 1-minute load average.

    .venv/bin/python scripts/bench_city_pair.py --town lianhu_city_town --city lianhu_city_big --runs 9

With `--base DIR` (another checkout, e.g. `git archive <commit> | tar -x -C DIR`) it times the same town pages
of `--town` with DIR's code and with this checkout's, in turn: a before/after on one database under one load.

Both databases are built as scripts/bench_city.py says (the town alone: `demo_town --size town`; the city:
`demo_town --size city --towns 30`; then `bench_city.py --load --months N` in each). Pages: the first town's
dashboard (month, year) and compliance as its centre staff, and in the city database only, the city
dashboard and the city's compliance by town as the superuser.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def worker() -> None:
    """Serve `GET <url> <username>` lines from stdin: answer `<ms>` (whole request, Django test Client)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from grids.enums import PlaceKind
    from grids.models import Place

    setup_test_environment()
    town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk").first()
    city = Place.objects.filter(kind=PlaceKind.CITY).order_by("pk").first()
    today = timezone.localdate().isoformat()
    urls = {
        "town dashboard, month": ("centre", f"/reports/places/{town.pk}/?period=month&on={today}"),
        "town dashboard, year": ("centre", f"/reports/places/{town.pk}/?period=year&on={today}"),
        "town compliance": ("centre", f"/visits/compliance/{town.pk}/"),
        "city dashboard, month": ("town_admin", f"/reports/city/{city.pk}/?period=month&on={today}"),
        "city dashboard, year": ("town_admin", f"/reports/city/{city.pk}/?period=year&on={today}"),
        "city compliance by town": ("town_admin", f"/visits/compliance/{city.pk}/"),
    }
    clients = {}
    for username in {u for u, _ in urls.values()}:
        clients[username] = Client()
        clients[username].force_login(get_user_model().objects.get(username=username))
    print(json.dumps({"ready": Place.objects.filter(kind=PlaceKind.TOWN).count()}), flush=True)
    for line in sys.stdin:
        label = line.strip()
        username, url = urls[label]
        started = time.perf_counter()
        response = clients[username].get(url)
        ms = (time.perf_counter() - started) * 1000
        print(json.dumps({"ms": ms, "status": response.status_code}), flush=True)


class Side:
    def __init__(self, database: str, code: Path = ROOT):
        """A worker on `database` running the code of the checkout `code` (this one by default)."""
        env = {**os.environ, "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{database}"}
        self.proc = subprocess.Popen(
            [sys.executable, str(code / "scripts" / "bench_city_pair.py"), "--worker"],
            cwd=code,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.towns = json.loads(self.proc.stdout.readline())["ready"]

    def get(self, label: str) -> float:
        self.proc.stdin.write(label + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert answer["status"] == 200, (label, answer)
        return answer["ms"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--town", default="lianhu_city_town", help="database holding the town alone")
    parser.add_argument("--city", default="lianhu_city_big", help="database holding the city")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--no-city", action="store_true", help="skip the city pages (≈ 10 s a request)")
    parser.add_argument(
        "--base",
        type=Path,
        help="another checkout (e.g. `git archive` of the base commit): time the town pages of --town with "
        "its code against this checkout's, interleaved (before/after on one database, same load)",
    )
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    if args.base:
        compare_code(args.base.resolve(), args.town, args.runs)
        return
    town, city = Side(args.town), Side(args.city)
    print(f"town alone: {args.town} ({town.towns} town); city: {args.city} ({city.towns} towns)")
    print(f"{'page':26} {'alone ms':>9} {'in city ms':>11} {'ratio':>6}  load 1/5/15")
    for label in ("town dashboard, month", "town dashboard, year", "town compliance"):
        town.get(label), city.get(label)  # warm-up
        alone, inside = [], []
        for i in range(args.runs):
            first, second = (town, city) if i % 2 == 0 else (city, town)
            a = first.get(label)
            b = second.get(label)
            alone.append(a if first is town else b)
            inside.append(b if first is town else a)
        a, b = statistics.median(alone), statistics.median(inside)
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{label:26} {a:9.0f} {b:11.0f} {b / a:6.2f}  {load}", flush=True)
    for label in (
        () if args.no_city else ("city dashboard, month", "city dashboard, year", "city compliance by town")
    ):
        city.get(label)
        times = [city.get(label) for _ in range(args.runs)]
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{label:26} {'':9} {statistics.median(times):11.0f} {'':6}  {load}", flush=True)
    town.close(), city.close()


def compare_code(base: Path, database: str, runs: int) -> None:
    """The town pages of one database, the code of `base` against this checkout's, asked in turn."""
    before, after = Side(database, base), Side(database)
    print(f"database {database}: code of {base} (before) against {ROOT} (after)")
    print(f"{'page':26} {'before ms':>10} {'after ms':>9} {'ratio':>6}  load 1/5/15")
    for label in ("town dashboard, month", "town dashboard, year", "town compliance"):
        before.get(label), after.get(label)  # warm-up
        old, new = [], []
        for i in range(runs):
            for side in (before, after) if i % 2 == 0 else (after, before):
                (old if side is before else new).append(side.get(label))
        a, b = statistics.median(old), statistics.median(new)
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{label:26} {a:10.0f} {b:9.0f} {b / a:6.2f}  {load}", flush=True)
    before.close(), after.close()


if __name__ == "__main__":
    main()
