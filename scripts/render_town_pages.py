"""Check (not a test): render the first town's dashboards and compliance pages to files, to compare two checkouts.

    git archive <before> | tar -x -C /tmp/before && ln -s "$PWD/.venv" /tmp/before/.venv
    export DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_city_jobs DJANGO_SETTINGS_MODULE=config.settings.test
    .venv/bin/python scripts/render_town_pages.py --code /tmp/before --out /tmp/pages_before
    .venv/bin/python scripts/render_town_pages.py --out /tmp/pages_after
    diff -r /tmp/pages_before /tmp/pages_after

The town, its first village and that village's first third-level grid; dashboards for a month, a year and a
quarter and the compliance page; as the bench logins "centre" and "town_admin" (`scripts/bench_city.py
--users`), in Chinese and English. CSRF tokens and clock times (HH:MM) are blanked: they differ on every
request.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--code", default=str(Path(__file__).resolve().parent.parent), help="the checkout to run"
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--on", default="", help="the day the dashboards are for (default: today)")
    args = parser.parse_args()
    sys.path.insert(0, args.code)
    os.chdir(args.code)
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
    on = args.on or timezone.localdate().isoformat()
    town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk").first()
    village = Place.objects.filter(kind=PlaceKind.VILLAGE, parent=town).order_by("pk").first()
    grid = Place.objects.filter(kind=PlaceKind.GRID3, path__startswith=village.path).order_by("pk").first()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for username in ("centre", "town_admin"):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        for place in (town, village, grid):
            urls = {
                period: f"/reports/places/{place.pk}/?period={period}&on={on}"
                for period in ("month", "year", "quarter")
            }
            urls["compliance"] = f"/visits/compliance/{place.pk}/"
            for page, url in urls.items():
                for language in ("zh-hans", "en"):
                    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
                    html = response.content.decode()
                    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
                    html = re.sub(r"\d\d:\d\d", "HH:MM", html)
                    name = f"{username}-{place.kind}-{page}-{language}.html"
                    (out / name).write_text(f"<!-- {response.status_code} {url} -->\n{html}")
                    written += 1
    print(f"{written} pages in {out}")


if __name__ == "__main__":
    main()
