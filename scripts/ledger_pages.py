"""Print every ledger of the demo town through LibreOffice and keep page 1 of each as a PNG (docs/ledgers/).

Not a test: it shows a supervisor what the printed ledgers look like before installing. It needs a database
holding the demo town with contacts and issues, e.g. the one scripts/bench_reports.py loads, plus soffice,
pdftotext and pdftoppm (Debian: libreoffice-calc, poppler-utils). Nothing is left in the database: the award
round and the task lists it needs are made inside a transaction that is rolled back.

    DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_reports .venv/bin/python scripts/ledger_pages.py \
        [--out docs/ledgers]

Prints each ledger's rows and printed pages.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.enums import PlaceKind  # noqa: E402
from grids.ledger import printed_by, write_ledger  # noqa: E402
from grids.models import Household, Place  # noqa: E402
from reports.periods import period_of  # noqa: E402
from reports.services import ledger_sheets  # noqa: E402


def _ledger(user, kind: str, place: Place, period) -> tuple[bytes, int]:
    out = io.BytesIO()
    sheets = ledger_sheets(user=user, kind=kind, place=place, period=period, full_numbers=False)
    counts = write_ledger(sheets, out, printed=printed_by(user))
    return out.getvalue(), sum(counts.values())


def _payout(town: Place, users: dict, year: int) -> tuple[bytes, int]:
    from rewards import services
    from rewards.enums import Half
    from rewards.exports import payout_ledger
    from rewards.models import AwardTypeDefault

    if not AwardTypeDefault.objects.exists():  # a flushed benchmark database: the work plan's awards again
        from django.apps import apps

        importlib.import_module("rewards.migrations.0002_seed_default_award_types").seed(apps, None)
    staff, leader = users["centre"], users["leader"]
    round_ = services.round_create(user=staff, town=town, year=year, half=Half.MID_YEAR)
    services.round_open(user=staff, round_=round_)
    for award_type in round_.types.all():
        services.nomination_fill(user=staff, award_type=award_type)
    services.round_submit(user=staff, round_=round_)
    services.round_approve(user=leader, round_=round_)
    services.round_publish(user=leader, round_=round_)
    out = io.BytesIO()
    counts = payout_ledger(round_, out, printed=printed_by(staff))
    return out.getvalue(), sum(counts.values())


def _task_list(member_user) -> tuple[bytes, int]:
    from dispatch.exports import task_list_write_xlsx
    from dispatch.jobs import job_run
    from dispatch.models import MonthlyTaskList

    month = timezone.localdate().replace(day=1)
    job_run(job="task_lists", period_key=f"{month:%Y-%m}")
    task_list = (
        MonthlyTaskList.objects.filter(month=month, member__user=member_user).first()
        or MonthlyTaskList.objects.filter(month=month).order_by("id").first()
    )
    out = io.BytesIO()
    counts = task_list_write_xlsx(task_list=task_list, out=out, printed=printed_by(member_user))
    return out.getvalue(), sum(counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "ledgers"))
    parser.add_argument("--dpi", default="60")
    args = parser.parse_args()
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["centre", "officer", "gridhead", "leader"])
    }
    town = Place.objects.get(kind=PlaceKind.TOWN)
    village = Place.objects.get(positions__member__user=users["officer"], kind=PlaceKind.VILLAGE)
    grid = Place.objects.get(positions__member__user=users["gridhead"], kind=PlaceKind.GRID3)
    today = timezone.localdate()
    last_month = period_of("month", today.replace(day=1) - datetime.timedelta(days=1))
    year = period_of("year", today)
    workbooks: dict[str, tuple[bytes, int]] = {}
    with transaction.atomic():
        workbooks["grid"] = _ledger(users["gridhead"], "grid", grid, last_month)
        workbooks["contacts"] = _ledger(users["officer"], "contacts", village, last_month)
        workbooks["issues"] = _ledger(users["gridhead"], "issues", grid, year)
        workbooks["compliance"] = _ledger(users["officer"], "compliance", village, last_month)
        workbooks["assessment"] = _ledger(users["centre"], "assessment", town, year)
        workbooks["payout"] = _payout(town, users, today.year)
        workbooks["task_list"] = _task_list(users["gridhead"])
        transaction.set_rollback(True)
    households = Household.objects.filter(path__startswith=grid.path).count()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, (content, _rows) in workbooks.items():
            (work / f"{name}.xlsx").write_bytes(content)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore"]
            + ["--convert-to", "pdf", "--outdir", str(work)]
            + [str(work / f"{name}.xlsx") for name in workbooks],
            check=True,
            capture_output=True,
            timeout=600,
        )
        print(f"grid {grid.name}: {households} households; periods: {last_month.label}, {year.label}")
        print(f"{'ledger':12} {'rows':>7} {'pages':>6}")
        for name, (_content, rows) in workbooks.items():
            pdf = work / f"{name}.pdf"
            info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
            pages = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
            print(f"{name:12} {rows:7d} {pages:>6}")
            if name == "grid":  # pages per sheet: the page header (first line) names the sheet's ledger
                text = subprocess.run(
                    ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
                )
                per_sheet: dict[str, int] = {}
                for page in text.stdout.split("\f"):
                    head = next((line.strip() for line in page.splitlines() if line.strip()), "")
                    if head:
                        per_sheet[head] = per_sheet.get(head, 0) + 1
                for head, n in per_sheet.items():
                    print(f"    {head}: {n} pages")
            subprocess.run(
                ["pdftoppm", "-png", "-r", args.dpi, "-f", "1", "-l", "1", "-singlefile"]
                + [str(pdf), str(out_dir / name)],
                check=True,
            )


if __name__ == "__main__":
    main()
