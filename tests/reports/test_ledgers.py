"""Ledgers opened with openpyxl: sheets, headers, row counts, types, masking, no formula; export jobs."""

import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from openpyxl import load_workbook

from reports.enums import ExportStatus
from reports.models import ExportJob
from reports.periods import period_of
from reports.services import ReportError, export_request, export_run, exports_purge

SEPTEMBER = period_of("month", datetime.date(2026, 9, 15))
SEPT_POST = {"period": "custom", "start": "2026-09-01", "end": "2026-09-30"}


def _workbook(job):
    with job.file.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read()))


def _no_formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def _rows(ws, header_row=2):
    """The data rows (without a 合计 row and what follows it)."""
    rows = []
    for row in ws.iter_rows(min_row=header_row + 1):
        values = [c.value for c in row]
        if any(isinstance(v, str) and v.startswith("合计") for v in values[:2]):
            break
        rows.append(values)
    return rows


def test_grid_ledger_workbook(town, data):
    job = export_request(user=town.user("grid_head_a1"), kind="grid", place=town.grid_a1, period=SEPTEMBER)
    assert job.status == ExportStatus.DONE
    wb = _workbook(job)
    assert wb.sheetnames[:5] == ["户", "联户人员", "走访记录", "诉求问题", "办理过程"]
    _no_formulas(wb)

    households = wb["户"]
    assert households["A1"].value == "甲村第一网格 户台账"
    assert [c.value for c in households[2]] == [
        "户编号",
        "户主",
        "网格",
        "住址",
        "联系电话",
        "身份证号",
        "人口数",
        "类别",
        "备注",
    ]
    assert households.freeze_panes == "A3"
    assert households.print_title_rows == "$2:$2"  # the header row repeats on every printed page
    rows = _rows(households)
    assert [r[1] for r in rows] == ["张甲一", "张甲二", "张甲三"]
    phone = rows[0][4]
    assert phone == town.ha1.phone_masked and "****" in phone and town.ha1.phone not in phone
    assert households["E3"].data_type == "s"
    assert households["G3"].value == 3 and households["G3"].data_type == "n"
    assert rows[0][7] == "困难户" and rows[1][7] == "普通户"
    total = [c.value for c in households[3 + len(rows)]]
    assert total[0].startswith("合计") and total[6] == sum(r[6] for r in rows)

    links = _rows(wb["联户人员"])
    assert sorted((r[0], r[5]) for r in links) == [("grid_head_a1", "甲村第一网格"), ("member_a", "张甲一")]
    assert isinstance(links[0][6], datetime.datetime)  # a real date

    contacts = wb["走访记录"]
    assert contacts["A1"].value == "甲村第一网格 走访台账 2026年9月"
    assert [c.value for c in contacts[2]][:6] == ["编号", "走访时间", "联户人员", "方式", "户编号", "对象"]
    crow = _rows(contacts)
    assert len(crow) == 3  # c1, c3, c2 (in time order)
    assert [r[3] for r in crow] == ["入户走访", "下沉网格", "线上沟通"]
    assert crow[0][1] == datetime.datetime(2026, 9, 5, 10, 0)  # Shanghai wall time
    assert crow[0][6:11] == ["是", "否", "是", "否", "否"]
    assert crow[0][12] == "=cmd|' /C calc'!A0"  # written as text, never a formula

    issues = _rows(wb["诉求问题"])
    assert len(issues) == 2 and {r[8] for r in issues} == {"已办结待回访", "办理中"}
    events = _rows(wb["办理过程"])
    assert len(events) == 4  # i1: raise + resolve; i2: raise + escalate
    assert job.row_count == 3 + 2 + 3 + 2 + 4 + (len(wb.sheetnames) > 5 and len(_rows(wb["调度令"])) or 0)


def test_contacts_ledger_for_the_town_and_a_village(town, data):
    job = export_request(user=town.user("town_staff"), kind="contacts", place=town.town, period=SEPTEMBER)
    wb = _workbook(job)
    assert wb.sheetnames == ["走访记录"]
    assert len(_rows(wb["走访记录"])) == 4
    job = export_request(user=town.user("officer_b"), kind="contacts", place=town.village_b, period=SEPTEMBER)
    assert [r[5] for r in _rows(_workbook(job)["走访记录"])] == ["李乙一"]


def test_compliance_and_issue_ledgers(town, data):
    job = export_request(
        user=town.user("officer_a"), kind="compliance", place=town.village_a, period=SEPTEMBER
    )
    rows = _rows(_workbook(job)["履职情况"])
    assert sorted((r[0], r[4]) for r in rows) == [("grid_head_a1", "已逾期"), ("member_a", "已完成")]
    job = export_request(user=town.user("town_staff"), kind="issues", place=town.town, period=SEPTEMBER)
    wb = _workbook(job)
    assert wb.sheetnames == ["诉求问题", "办理过程"]
    assert len(_rows(wb["诉求问题"])) == 3
    assert isinstance(_rows(wb["诉求问题"])[0][1], datetime.datetime)


def test_full_numbers_need_the_permission_and_are_logged(town, data):
    staff = town.user("town_staff")
    with pytest.raises(ReportError, match="没有导出完整号码的权限"):
        export_request(user=staff, kind="grid", place=town.grid_a1, period=SEPTEMBER, full_numbers=True)
    assert not ExportJob.objects.filter(full_numbers=True).exists()
    staff.user_permissions.add(Permission.objects.get(codename="view_full_numbers"))
    staff = type(staff).objects.get(pk=staff.pk)  # fresh permission cache
    job = export_request(user=staff, kind="grid", place=town.grid_a1, period=SEPTEMBER, full_numbers=True)
    rows = _rows(_workbook(job)["户"])
    assert rows[0][4] == town.ha1.phone
    logged = ExportJob.objects.get(pk=job.pk)
    assert (logged.requested_by, logged.kind, logged.place, logged.full_numbers) == (
        staff,
        "grid",
        town.grid_a1,
        True,
    )
    assert logged.params["start"] == "2026-09-01" and logged.params["end_inclusive"] == "2026-09-30"


def test_wrong_ledger_for_the_place_is_refused(town, data):
    with pytest.raises(ReportError, match="网格台账只能按网格导出"):
        export_request(user=town.user("town_staff"), kind="grid", place=town.village_a, period=SEPTEMBER)
    with pytest.raises(ReportError, match="考核台账只能按镇导出"):
        export_request(user=town.user("officer_a"), kind="assessment", place=town.village_a, period=SEPTEMBER)


def test_export_view_refuses_other_villages_and_downloads_for_the_requester(town, data, login):
    officer_b = login(town.user("officer_b"))
    assert (
        officer_b.post(
            f"/reports/places/{town.village_a.pk}/export/", {"kind": "contacts", **SEPT_POST}
        ).status_code
        == 404
    )
    officer_a = login(town.user("officer_a"))
    response = officer_a.post(
        f"/reports/places/{town.village_a.pk}/export/", {"kind": "contacts", **SEPT_POST}
    )
    job = ExportJob.objects.get()
    assert response.url == f"/reports/exports/{job.pk}/download/"
    download = officer_a.get(response.url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert len(_rows(wb["走访记录"])) == 3
    job.refresh_from_db()
    assert job.download_count == 1
    # Another user, even town staff, cannot download someone else's file.
    assert login(town.user("town_staff")).get(f"/reports/exports/{job.pk}/download/").status_code == 404


def test_export_view_bad_input_is_a_message(town, data, login):
    client = login(town.user("officer_a"))
    response = client.post(
        f"/reports/places/{town.village_a.pk}/export/", {"kind": "nope", **SEPT_POST}, follow=True
    )
    assert response.status_code == 200
    assert not ExportJob.objects.exists()
    response = client.post(
        f"/reports/places/{town.village_a.pk}/export/", {"kind": "grid", **SEPT_POST}, follow=True
    )
    assert "网格台账只能按网格导出" in response.content.decode()


def test_large_export_runs_in_the_background_and_expires(
    town, data, login, settings, django_capture_on_commit_callbacks
):
    settings.LIANHU = {**settings.LIANHU, "EXPORT_SYNC_ROWS": 0}
    client = login(town.user("town_staff"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/reports/places/{town.town.pk}/export/", {"kind": "contacts", **SEPT_POST})
    assert response.url == "/reports/exports/"
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.QUEUED and len(callbacks) == 1
    assert (
        client.get(f"/reports/exports/{job.pk}/download/").status_code == 302
    )  # not ready: back to the list
    from reports.tasks import export_run_task

    export_run_task(job.pk)  # what the worker does
    export_run_task(job.pk)  # a duplicate delivery does nothing
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.row_count == 4
    assert job.expires_at > timezone.now()
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 200
    listing = client.get("/reports/exports/")
    assert f"/reports/exports/{job.pk}/download/" in listing.content.decode()
    assert str(job.token) not in listing.content.decode()  # tokens never go into URLs (access logs)
    # After expiry the file is refused, then purged (the log row stays).
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 302
    assert exports_purge() == 1
    job.refresh_from_db()
    assert not job.file and ExportJob.objects.filter(pk=job.pk).exists()


def test_export_run_of_a_missing_job_is_quiet(db):
    assert export_run(job_id=999999) is None


def test_export_list_shows_only_my_jobs(town, data, login):
    mine = export_request(
        user=town.user("officer_a"), kind="contacts", place=town.village_a, period=SEPTEMBER
    )
    theirs = export_request(
        user=town.user("officer_b"), kind="contacts", place=town.village_b, period=SEPTEMBER
    )
    html = login(town.user("officer_a")).get("/reports/exports/").content.decode()
    assert f"/exports/{mine.pk}/download/" in html and f"/exports/{theirs.pk}/download/" not in html


def test_member_page_queries_do_not_grow(town, data, login, django_assert_max_num_queries):
    from .conftest import SEPT
    from .test_dashboards import _grow

    client = login(town.user("grid_head_a1"))
    url = f"/reports/members/{town.members['member_a'].pk}/"
    with django_assert_max_num_queries(20):
        client.get(url, SEPT)
    _grow(town, 5)
    import uuid

    from visits.services import contact_record

    from .conftest import at

    for day in range(1, 29):  # 28 more contacts by member_a in September
        contact_record(
            user=town.user("member_a"),
            kind="online",
            occurred_at=at(2026, 9, day, 8),
            duties=["opinion"],
            household=town.ha1,
            client_id=uuid.uuid4(),
        )
    with django_assert_max_num_queries(20):
        response = client.get(url, SEPT)
    assert response.context["total"] == 2 + 28
