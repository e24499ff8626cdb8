"""Every ledger printed through LibreOffice (headless, to PDF) and read back with pdftotext.

One soffice run converts all the workbooks (its start-up is most of the time). Skipped with the reason when
soffice or pdftotext is missing; under LIANHU_REQUIRE_BROWSER=1 (CI, .ci/run installs libreoffice-calc and
poppler-utils) or LIANHU_REQUIRE_OFFICE=1 a missing program is a failure.

With LIANHU_LEDGER_PNG_DIR=docs/ledgers it also writes page 1 of each ledger as a PNG (the pictures in
docs/ledgers.md).
"""

import datetime
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dispatch.exports import task_list_write_xlsx
from dispatch.jobs import job_run
from dispatch.models import MonthlyTaskList
from grids.ledger import Printed
from grids.models import Household
from reports.periods import period_of
from reports.services import export_request
from rewards.exports import payout_ledger
from rewards.selectors import round_nominations
from tests.rewards.conftest import make_round, office, published, round_  # noqa: F401 (fixtures)

SEPTEMBER = period_of("month", datetime.date(2026, 9, 15))
EXTRA_HOUSEHOLDS = 160
CODE_PREFIX = "430182001001010"  # + 4 digits: 19-digit household numbers as in a real town


def _require_office() -> None:
    missing = [name for name in ("soffice", "pdftotext") if shutil.which(name) is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (apt-get install libreoffice-calc poppler-utils)"
    if os.environ.get("LIANHU_REQUIRE_BROWSER") == "1" or os.environ.get("LIANHU_REQUIRE_OFFICE") == "1":
        pytest.fail(message)
    pytest.skip(message)


def render(workbooks: dict[str, bytes], directory: Path) -> dict[str, list[str]]:
    """Convert the workbooks to PDF in one soffice run; each one's pages as text (pdftotext -layout)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in workbooks.items():
        path = directory / f"{name}.xlsx"
        path.write_bytes(content)
        paths.append(str(path))
    profile = directory / "lo-profile"  # our own profile: other soffice instances on the machine do not clash
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(directory),
            *paths,
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pages = {}
    for name in workbooks:
        pdf = directory / f"{name}.pdf"
        assert pdf.exists(), f"soffice wrote no PDF for {name}"
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        pages[name] = [page for page in text.split("\f") if page.strip()]
    return pages


def _job_bytes(job) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def many_households(town):
    """160 more households in grid A1 (one grid's archive), with 19-digit household numbers."""
    Household.objects.bulk_create(
        Household(
            code=f"{CODE_PREFIX}{n:04d}",
            grid=town.grid_a1a,
            path=town.grid_a1a.path,
            head_name=f"户主{n}",
            address=f"甲村一组{n}号,靠近村部西侧的老屋场",
            phone=f"139{n:08d}",
            people_count=3,
            notes="独居老人,子女在外务工" if n % 10 == 0 else "",
        )
        for n in range(1, EXTRA_HOUSEHOLDS + 1)
    )


def test_every_ledger_prints_fitted_with_headers_on_every_page(
    town, data, many_households, request, tmp_path
):
    award_round = request.getfixturevalue("published")  # the rewards fixtures, imported above
    _require_office()
    staff = town.user("town_staff")
    workbooks = {}
    for name, kind, place in (
        ("grid", "grid", town.grid_a1),
        ("contacts", "contacts", town.town),
        ("issues", "issues", town.grid_a1),
        ("compliance", "compliance", town.village_a),
        ("assessment", "assessment", town.town),
    ):
        workbooks[name] = _job_bytes(export_request(user=staff, kind=kind, place=place, period=SEPTEMBER))
    out = io.BytesIO()
    payout_ledger(award_round, out, printed=Printed("town_staff", datetime.datetime(2026, 7, 1, 9, 0)))
    workbooks["payout"] = out.getvalue()
    job_run(job="task_lists", period_key="2026-11")
    task_list = MonthlyTaskList.objects.get(month="2026-11-01", member=town.members["member_a"])
    out = io.BytesIO()
    task_list_write_xlsx(task_list=task_list, out=out)
    workbooks["task_list"] = out.getvalue()

    pages = render(workbooks, tmp_path / "print")
    if os.environ.get("LIANHU_LEDGER_PNG_DIR"):  # docs/ledgers: page 1 of each ledger as printed
        out_dir = Path(os.environ["LIANHU_LEDGER_PNG_DIR"])
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in workbooks:
            subprocess.run(
                ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"]
                + [str(tmp_path / "print" / f"{name}.pdf"), str(out_dir / name)],
                check=True,
            )

    # The grid archive: 163 households, a few links, contacts, issues: about as many pages as the rows need.
    grid = pages["grid"]
    household_pages = [p for p in grid if "户台账" in p]
    assert 3 <= len(household_pages) <= 8, len(household_pages)
    assert len(grid) <= len(household_pages) + 6
    second = household_pages[1]
    for header in ("户编号", "户主", "身份证号", "备注"):  # the header row repeated on page 2
        assert header in second, header
    assert "甲村第一网格 户台账" in second  # page header: unit and ledger name
    assert re.search(r"第\s*2\s*页\s*共\s*\d+\s*页", second)
    assert "导出人:town_staff" in second
    assert f"{CODE_PREFIX}0001" in grid[0] and f"{CODE_PREFIX}0160" in "".join(grid)  # whole 19-digit numbers
    assert "合计" in household_pages[-1]

    # Small ledgers are small: one issue sheet of a grid is one page per sheet, not seven.
    assert len(pages["issues"]) <= 2, len(pages["issues"])
    assert len(pages["compliance"]) == 1
    contacts = pages["contacts"]
    assert len(contacts) == 1 and "走访情况" in contacts[0] and "户备注" in contacts[0]

    # Percentages as percentages.
    assessment = "".join(pages["assessment"])
    assert re.search(r"\d+\.\d%", assessment), assessment[:500]
    assert not re.search(r"\b0\.\d{3,}\b", assessment)

    # The task list's 联系对象 keeps the whole household number.
    assert f"({town.ha1.code})" in "".join(pages["task_list"]).replace("\n", "")

    # The payout ledger: the 签名 column on the same page as the names, the total also in capitals.
    payout = pages["payout"]
    first = next(iter(round_nominations(award_round)))
    page = next(p for p in payout if "签名" in p)
    assert (first.payee_name or "(未设网格长)") in page
    assert "合计金额(大写):人民币叁仟陆佰元整" in "".join(payout)
    assert len(payout) == 1
