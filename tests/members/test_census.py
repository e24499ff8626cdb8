"""Census import (摸底导入): template, preview, import, re-import, atomicity, access and query counts."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids.models import Household
from members import census
from members.enums import ExemptReason, LinkType, MemberRole, VillageSubRole
from members.models import Link, Member
from tests.factories import HouseholdFactory, make_id_number

UPLOAD = reverse("members:census-import")
PREVIEW = reverse("members:census-preview")
CONFIRM = reverse("members:census-confirm")
CANCEL = reverse("members:census-cancel")
TEMPLATE = reverse("members:census-template")

ID_1 = make_id_number(1)
ID_2 = make_id_number(2)
BAD_ID = ID_1[:17] + ("0" if ID_1[17] != "0" else "1")


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def build_xlsx(households=(), members=(), links=(), *, note_row=True, sheets=census.SHEETS) -> bytes:
    """A census workbook with the template's headers; rows are dicts keyed by header."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    rows_by_sheet = {
        census.SHEET_HOUSEHOLDS: households,
        census.SHEET_MEMBERS: members,
        census.SHEET_LINKS: links,
    }
    for sheet in sheets:
        ws = wb.create_sheet(sheet)
        headers = [c.header for c in census.sheet_columns(sheet)]
        ws.append(headers)
        if note_row:
            ws.append(["【填写说明】示例"] + ["说明"] * (len(headers) - 1))
        for row in rows_by_sheet[sheet]:
            ws.append([row.get(h) for h in headers])
        ws.append([None] * len(headers))  # an empty row is skipped
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "摸底.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def household(code, *, village="甲村", grid3="甲村第一网格", grid4="甲村一组", **extra):
    row = {
        "户编号": code,
        "村(社区)": village,
        "三级网格": grid3,
        "四级网格": grid4,
        "户主姓名": f"户主{code}",
        "住址": f"甲村一组{code}号",
        "联系电话": "13800001111",
        "人口数": 3,
    }
    row.update(extra)
    return row


def member(name, phone, role="党员", village="甲村", **extra):
    row = {"姓名": name, "手机号": phone, "身份": role, "所在村(社区)": village}
    row.update(extra)
    return row


def link(phone, link_type, target, start="2021-01-01", end=None, **extra):
    row = {
        "人员手机号": phone,
        "联系类型": link_type,
        "户编号或联系地点名称": target,
        "开始日期": start,
        "结束日期": end,
    }
    row.update(extra)
    return row


def good_file(town) -> bytes:
    return build_xlsx(
        households=[
            household(
                "HA001",
                **{
                    "身份证号": ID_1,
                    "困难户": "是",
                    "孤寡老人户": "是",
                    "联系电话": "138 0000 1111",
                    "备注": "独居",
                },
            ),
            household("HA002", grid4=None, **{"人口数": 5, "联系电话": "0731-87654321"}),
            household("HB001", village="乙村", grid3="乙村第一网格", grid4="乙村一组", **{"重点户": "是"}),
        ],
        members=[
            member("王党员", "13712340001", "党员", **{"所在网格": "甲村一组", "单位/职务": "种植大户"}),
            member("李村干", "13712340002", "村(社区)干部", **{"村干部类别": "村民小组长", "是否党员": "是"}),
            member("赵镇干", "13712340003", "镇干部", village=None),
        ],
        links=[
            link("13712340001", "党员/两代表一委员联户", "HA001"),
            link("13712340002", "村干部/社会贤达联户", town.ha2.code, start=datetime.date(2021, 2, 1)),
            link("13712340003", "镇干部联网格", "甲村第一网格"),
            link("13712340003", "镇干部联重点户", "HB001", end="2021-12-31"),
        ],
    )


def preview(client, data: bytes, name: str = "摸底.xlsx"):
    response = client.post(UPLOAD, {"file": upload(data, name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == PREVIEW
    return client.get(PREVIEW)


def counts(response) -> dict:
    return {sheet: (c.new, c.updated, c.unchanged, c.bad) for sheet, c in response.context["counts"].items()}


def errors(response) -> dict:
    return {(e.sheet, e.row): e.reasons for e in response.context["errors"]}


def confirm(client, response):
    return client.post(CONFIRM, {"token": response.context["token"]})


# --- template -----------------------------------------------------------------------------------------------


def test_town_staff_downloads_template_with_chinese_headers_and_grid_names(town, login):
    response = login(town.user("town_staff")).get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:3] == ["户", "人员", "联系"]
    assert [c.value for c in wb["户"][1]] == [
        "户编号", "村(社区)", "三级网格", "四级网格", "户主姓名", "住址", "联系电话", "身份证号", "人口数",
        "困难户", "残疾户", "孤寡老人户", "留守儿童户", "重点户", "备注",
    ]  # fmt: skip
    assert [c.value for c in wb["人员"][1]] == [
        "姓名", "手机号", "身份", "村干部类别", "是否党员", "所在村(社区)", "所在网格", "单位/职务",
        "免于联户原因", "是否流动党员", "企业微信账号",
    ]  # fmt: skip
    assert [c.value for c in wb["联系"][1]] == [
        "人员手机号",
        "联系类型",
        "户编号或联系地点名称",
        "开始日期",
        "结束日期",
    ]
    assert wb["户"]["A2"].value.startswith("【")
    directory = [tuple(r) for r in wb["网格名录"].iter_rows(min_row=2, values_only=True)]
    assert directory == [
        ("甲村", "甲村第一网格", "甲村一组"),
        ("甲村", "甲村第一网格", "甲村二组"),
        ("乙村", "乙村第一网格", "乙村一组"),
    ]
    # The template itself imports cleanly: nothing to do, nothing bad.
    staff = login(town.user("town_staff"))
    page = preview(staff, response.content)
    assert counts(page) == {"户": (0, 0, 0, 0), "人员": (0, 0, 0, 0), "联系": (0, 0, 0, 0)}


@pytest.mark.parametrize("persona", ["officer_a", "member_a", "discipline", "grid_head_a1", "handler"])
def test_census_pages_refuse_other_personas(town, login, persona):
    client = login(town.user(persona))
    assert client.get(UPLOAD).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert client.get(PREVIEW).status_code == 403
    assert client.post(UPLOAD, {"file": upload(good_file(town))}).status_code == 403
    assert client.post(CONFIRM, {"token": "x" * 32}).status_code == 403
    assert client.post(CANCEL).status_code == 403
    assert Household.objects.count() == 4


def test_nav_shows_census_link_to_town_staff_only(town, login):
    assert 'href="/census/"' in login(town.user("town_staff")).get("/").content.decode()
    assert 'href="/census/"' not in login(town.user("officer_a")).get("/").content.decode()


# --- good file ---------------------------------------------------------------------------------------------


def test_good_file_previews_then_imports_exact_data(town, login, tmp_path):
    client = login(town.user("town_staff"))
    page = preview(client, good_file(town))
    assert page.status_code == 200
    assert counts(page) == {"户": (3, 0, 0, 0), "人员": (3, 0, 0, 0), "联系": (4, 0, 0, 0)}
    assert errors(page) == {}
    assert Household.objects.count() == 4  # the preview writes nothing
    assert list((tmp_path / "census").glob("*.xlsx"))

    response = confirm(client, page)
    assert response.status_code == 302 and response["Location"] == UPLOAD
    assert not list((tmp_path / "census").glob("*.xlsx"))  # the private copy is gone
    assert "census_upload" not in client.session

    ha001 = Household.objects.get(code="HA001")
    assert (ha001.grid, ha001.path, ha001.head_name, ha001.address) == (
        town.grid_a1a,
        town.grid_a1a.path,
        "户主HA001",
        "甲村一组HA001号",
    )
    assert (ha001.phone, ha001.id_number, ha001.people_count, ha001.notes) == ("13800001111", ID_1, 3, "独居")
    assert ha001.category_labels == ["困难户", "孤寡老人户"]
    ha002 = Household.objects.get(code="HA002")
    assert (ha002.grid, ha002.phone, ha002.people_count, ha002.id_number) == (
        town.grid_a1,
        "0731-87654321",
        5,
        "",
    )
    hb001 = Household.objects.get(code="HB001")
    assert (hb001.grid, hb001.is_key, hb001.is_hardship) == (town.grid_b1a, True, False)

    wang = Member.objects.get(phone="13712340001")
    assert (wang.name, wang.role, wang.home, wang.path, wang.is_party_member, wang.unit) == (
        "王党员",
        MemberRole.PARTY_MEMBER,
        town.grid_a1a,
        town.grid_a1a.path,
        True,
        "种植大户",
    )
    li = Member.objects.get(phone="13712340002")
    assert (li.role, li.village_subrole, li.home, li.is_party_member) == (
        MemberRole.VILLAGE_CADRE,
        VillageSubRole.GROUP_LEADER,
        town.village_a,
        True,
    )
    zhao = Member.objects.get(phone="13712340003")
    assert (zhao.role, zhao.home, zhao.is_party_member, zhao.is_exempt) == (
        MemberRole.TOWN_CADRE,
        town.town,
        False,
        False,
    )

    links = {
        (lk.member.name, lk.link_type, str(lk.target), lk.path, lk.start_date, lk.end_date)
        for lk in Link.objects.filter(member__in=[wang, li, zhao]).select_related(
            "member", "household", "place"
        )
    }
    assert links == {
        ("王党员", LinkType.PARTY_HOUSEHOLD, str(ha001), ha001.path, datetime.date(2021, 1, 1), None),
        ("李村干", LinkType.VILLAGE_HOUSEHOLD, str(town.ha2), town.ha2.path, datetime.date(2021, 2, 1), None),
        ("赵镇干", LinkType.TOWN_GRID, "甲村第一网格", town.grid_a1.path, datetime.date(2021, 1, 1), None),
        (
            "赵镇干",
            LinkType.TOWN_HOUSEHOLD,
            str(hb001),
            hb001.path,
            datetime.date(2021, 1, 1),
            datetime.date(2021, 12, 31),
        ),
    }
    assert (Household.objects.count(), Member.objects.count(), Link.objects.count()) == (7, 14, 7)


def test_preview_masks_phone_and_id_numbers(town, login):
    client = login(town.user("town_staff"))
    data = build_xlsx(
        households=[household("HA001", **{"身份证号": BAD_ID, "联系电话": "1381234567"})],
        members=[member("王党员", "13712349876", "不存在的身份")],
        links=[link("13712349876", "党员/两代表一委员联户", "HA001")],
    )
    page = preview(client, data)
    html = page.content.decode()
    assert BAD_ID not in html and "1381234567" not in html and "13712349876" not in html
    assert "137****9876" in html


# --- bad rows ---------------------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_sheet_row_and_reason(town, login):
    HouseholdFactory(grid=town.grid_b1a, code="HOLD", id_number=ID_2)
    client = login(town.user("town_staff"))
    data = build_xlsx(
        households=[
            household("H-OK"),  # row 3
            household("H-ID", **{"身份证号": BAD_ID}),  # 4
            household("H-PHONE", **{"联系电话": "12345"}),  # 5
            household("H-VIL", village="丙村"),  # 6
            household("H-GRID", grid3="不存在网格"),  # 7
            household("H-GRID4", grid4="甲村九组"),  # 8
            household("H-DUP"),  # 9
            household("H-DUP"),  # 10
            household("H-ID1", **{"身份证号": ID_1}),  # 11
            household("H-ID1B", **{"身份证号": ID_1}),  # 12
            household("H-OWNED", **{"身份证号": ID_2}),  # 13
            household("H-FLAG", **{"困难户": "也许", "人口数": "三"}),  # 14
        ],
        members=[
            member("甲", "13712340001"),  # 3
            member("乙", "1371234"),  # 4
            member("丙", "13712340003", "村长"),  # 5
            member("丁", "13712340004", village="丙村"),  # 6
        ],
        links=[
            link("13712340001", "党员/两代表一委员联户", "H-OK"),  # 3 ok
            link("13700000000", "党员/两代表一委员联户", "H-OK"),  # 4 missing member
            link("13712340001", "党员/两代表一委员联户", "H-NONE"),  # 5 missing household
            link("13712340001", "党员/两代表一委员联户", "H-ID"),  # 6 household row has errors
            link("1371234", "党员/两代表一委员联户", "H-OK"),  # 7 member row has errors
            link("13712340001", "随便联系", "H-OK"),  # 8 unknown link type
            link("13712340001", "党员/两代表一委员联户", "H-OK", start="2021-13-40"),  # 9 bad date
            link("13712340001", "镇干部联网格", "甲村第一网格"),  # 10 role cannot hold it
            link("13712340001", "党员/两代表一委员联户", "H-OK", start="2021-02-01", end="2021-01-01"),  # 11
            link("13712340001", "党员/两代表一委员联户", "H-OK"),  # 12 duplicate of row 3
        ],
    )
    page = preview(client, data)
    assert counts(page) == {"户": (2, 0, 0, 10), "人员": (1, 0, 0, 3), "联系": (1, 0, 0, 9)}
    found = errors(page)
    expected = {
        ("户", 4): ["身份证号:身份证号校验位错误"],
        ("户", 5): ["联系电话:电话号码格式不正确:应为11位手机号或带区号的固话"],
        ("户", 6): ["本镇没有名为“丙村”的村(社区)(村(社区))"],
        ("户", 7): ["“甲村”下没有名为“不存在网格”的三级网格"],
        ("户", 8): ["“甲村第一网格”下没有名为“甲村九组”的四级网格"],
        ("户", 9): ["户编号在文件中重复(户表第 9、10 行)"],
        ("户", 10): ["户编号在文件中重复(户表第 9、10 行)"],
        # a repeated ID number: the first row is kept, the later one names it
        ("户", 12): ["身份证号与户表第 11 行重复,保留第 11 行"],
        ("户", 13): ["身份证号已属于另一户(户编号 HOLD)"],
        ("户", 14): [
            "“人口数”应为 1–99 的整数",
            "“困难户”应填“是”或“否”",
        ],
        ("人员", 4): ["手机号:电话号码格式不正确:应为11位手机号或带区号的固话"],
        ("人员", 5): [
            "“身份”的值“村长”无法识别,应为:市领导、市直部门单位负责人、镇干部、驻镇单位干部、村(社区)干部、党员、"
            "党代表/人大代表/政协委员、社会贤达、优秀志愿者"
        ],
        ("人员", 6): ["本镇没有名为“丙村”的村(社区)(所在村(社区))"],
        ("联系", 4): ["人员手机号在人员表和本镇人员中都找不到"],
        ("联系", 5): ["户编号“H-NONE”在户表和本镇中都找不到"],
        ("联系", 6): ["引用的户(户表第 4 行)有错误"],
        ("联系", 7): ["人员手机号引用的人员(人员表第 4 行)有错误"],
        ("联系", 8): [
            "“联系类型”的值“随便联系”无法识别,应为:市领导联镇、市领导/市直部门负责人联村、市领导/市直部门负责人联户、"
            "镇干部联网格、镇干部联重点户、村干部/社会贤达联户、党员/两代表一委员联户、联系流动党员"
        ],
        ("联系", 9): ["“开始日期”不是有效日期,应为 2021-01-31 这样的格式"],
        ("联系", 10): ["身份为“党员”的人员不能建立“镇干部联网格”"],
        ("联系", 11): ["结束日期不能早于开始日期"],
        ("联系", 12): ["与联系表第 3 行重复"],
    }
    assert found == expected
    html = page.content.decode()
    assert "户编号在文件中重复" in html and '<td class="num">14</td>' in html

    confirm(client, page)
    assert set(Household.objects.filter(code__startswith="H-").values_list("code", flat=True)) == {
        "H-OK",
        "H-ID1",
    }
    assert set(Member.objects.filter(phone__startswith="137").values_list("name", flat=True)) == {"甲"}
    assert Link.objects.filter(member__name="甲").count() == 1


def test_household_codes_of_other_towns_and_migrant_targets(town, login):
    from tests.factories import PlaceFactory

    other_town = PlaceFactory(kind="town", name="别镇", parent=town.city)
    other_village = PlaceFactory(kind="village", name="别村", parent=other_town)
    other_grid = PlaceFactory(kind="grid3", name="别网格", parent=other_village)
    HouseholdFactory(grid=other_grid, code="ELSEWHERE")
    client = login(town.user("town_staff"))
    data = build_xlsx(
        households=[household("ELSEWHERE")],
        members=[
            member("村干", "13712340001", "村(社区)干部"),
            member("流动", "13712340002", "党员", **{"是否流动党员": "是"}),
            member("不流动", "13712340003", "党员"),
            member("免联", "13712340004", "党员", **{"免于联户原因": "长期在外务工"}),
        ],
        links=[
            link("13712340001", "联系流动党员", "13712340002"),  # 3 ok
            link("13712340001", "联系流动党员", "13712340003"),  # 4 not a migrant
            link("13712340004", "党员/两代表一委员联户", town.ha3.code),  # 5 exempt
            link("13712340001", "村干部/社会贤达联户", "ELSEWHERE"),  # 6 bad household row
        ],
    )
    page = preview(client, data)
    assert errors(page) == {
        ("户", 3): ["户编号已被本镇以外的户使用"],
        ("联系", 4): ["联系对象不是流动党员"],
        ("联系", 5): ["该人员已免于联户,不能再建立联系"],
        ("联系", 6): ["引用的户(户表第 3 行)有错误"],
    }
    confirm(client, page)
    migrant = Member.objects.get(phone="13712340002")
    assert (migrant.is_migrant, migrant.is_party_member) == (True, True)
    assert Member.objects.get(phone="13712340004").exempt_reason == ExemptReason.WORKING_AWAY
    only = Link.objects.get(member__phone="13712340001")
    assert (only.link_type, only.migrant, only.path) == (LinkType.MIGRANT, migrant, migrant.path)


# --- re-import ------------------------------------------------------------------------------------------


def test_reimport_updates_instead_of_duplicating(town, login):
    client = login(town.user("town_staff"))
    confirm(client, preview(client, good_file(town)))
    before = (Household.objects.count(), Member.objects.count(), Link.objects.count())

    again = preview(client, good_file(town))
    assert counts(again) == {"户": (0, 0, 3, 0), "人员": (0, 0, 3, 0), "联系": (0, 0, 4, 0)}
    confirm(client, again)
    assert (Household.objects.count(), Member.objects.count(), Link.objects.count()) == before

    changed = build_xlsx(
        households=[
            household("HA001", grid4="甲村二组", **{"户主姓名": "新户主", "身份证号": ID_1, "困难户": "否"}),
            household("HA002", grid4=None, **{"人口数": 5, "联系电话": "0731-87654321"}),
        ],
        members=[member("王党员", "137 1234 0001", "党员", **{"单位/职务": "合作社"})],
        links=[link("13712340001", "党员/两代表一委员联户", "HA001", end="2021-06-30")],
    )
    page = preview(client, changed)
    assert counts(page) == {"户": (0, 1, 1, 0), "人员": (0, 1, 0, 0), "联系": (0, 1, 0, 0)}
    confirm(client, page)
    assert (Household.objects.count(), Member.objects.count(), Link.objects.count()) == before
    ha001 = Household.objects.get(code="HA001")
    assert (ha001.head_name, ha001.grid, ha001.path, ha001.is_hardship, ha001.is_elderly_alone) == (
        "新户主",
        town.grid_a1b,
        town.grid_a1b.path,
        False,
        False,
    )
    wang = Member.objects.get(phone="13712340001")
    assert (wang.unit, wang.home) == ("合作社", town.village_a)
    moved_link = Link.objects.get(member=wang)
    # The link's path copy follows the household to its new grid.
    assert (moved_link.end_date, moved_link.path) == (datetime.date(2021, 6, 30), town.grid_a1b.path)


# --- atomicity ------------------------------------------------------------------------------------------


def test_a_crash_mid_import_leaves_nothing_written(town, login, monkeypatch, tmp_path):
    client = login(town.user("town_staff"))
    page = preview(client, good_file(town))
    before = (Household.objects.count(), Member.objects.count(), Link.objects.count())

    def boom(plan):
        assert Household.objects.filter(code="HA001").exists()  # households and members were written...
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(census.services, "_write_links", boom)
    with pytest.raises(RuntimeError):
        census.census_import(town=town.town, path=census.census_file_path(page.context["token"]))
    # ...and rolled back with everything else.
    assert (Household.objects.count(), Member.objects.count(), Link.objects.count()) == before
    assert not Household.objects.filter(code__in=["HA001", "HA002", "HB001"]).exists()
    assert not Member.objects.filter(phone__startswith="1371234").exists()


# --- wrong files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("census.csv", "户编号,户主姓名\nH1,张三\n".encode(), "请上传 Excel .xlsx 文件"),
        ("census.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "请上传 Excel .xlsx 文件"),
        ("census.xlsx", b"this is not a zip file", "无法读取文件"),
    ],
)
def test_wrong_file_type_gets_a_clear_message(town, login, tmp_path, name, data, message):
    client = login(town.user("town_staff"))
    response = client.post(UPLOAD, {"file": upload(data, name)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "census_upload" not in client.session
    assert not list((tmp_path / "census").glob("*.xlsx"))


def test_workbook_without_census_sheets_or_columns_is_refused(town, login):
    client = login(town.user("town_staff"))
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    out = io.BytesIO()
    wb.save(out)
    response = client.post(UPLOAD, {"file": upload(out.getvalue())})
    assert response.status_code == 302  # a readable workbook is kept; the preview explains
    response = client.get(PREVIEW, follow=True)
    assert "文件中没有“户”“人员”“联系”工作表" in response.content.decode()

    wb = openpyxl.Workbook()
    wb.active.title = "户"
    wb.active.append(["户编号", "户主姓名"])
    out = io.BytesIO()
    wb.save(out)
    client.post(UPLOAD, {"file": upload(out.getvalue())})
    response = client.get(PREVIEW, follow=True)
    assert "工作表“户”缺少列:村(社区)、三级网格、住址" in response.content.decode()


def test_confirm_without_upload_or_with_stale_token(town, login):
    client = login(town.user("town_staff"))
    response = client.post(CONFIRM, {"token": "x" * 32}, follow=True)
    assert "上传的文件已失效" in response.content.decode()
    page = preview(client, good_file(town))
    response = client.post(CONFIRM, {"token": "y" * 32}, follow=True)
    assert "上传的文件已失效" in response.content.decode()
    assert Household.objects.count() == 4
    client.post(CANCEL)
    assert "census_upload" not in client.session
    assert client.post(CONFIRM, {"token": page.context["token"]}).status_code == 302
    assert Household.objects.count() == 4


# --- query counts -----------------------------------------------------------------------------------------


def _big_file(prefix: str, n: int) -> bytes:
    """n households, n members and n links (3n rows)."""
    households = [household(f"{prefix}{i:04d}", **{"联系电话": f"1380{i:07d}"}) for i in range(n)]
    members = [member(f"党员{prefix}{i}", f"136{ord(prefix) % 10}{i:07d}") for i in range(n)]
    links = [
        link(m["手机号"], "党员/两代表一委员联户", h["户编号"])
        for m, h in zip(members, households, strict=True)
    ]
    return build_xlsx(households=households, members=members, links=links)


def _import_queries(town, tmp_path, data: bytes, name: str) -> list[str]:
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(data)
    with CaptureQueriesContext(connection) as ctx:
        plan = census.census_import(town=town.town, path=path)
    assert sum(c.bad for c in plan.counts().values()) == 0
    return [q["sql"] for q in ctx.captured_queries]


def test_import_query_count_does_not_grow_with_rows(town, tmp_path):
    small = _import_queries(town, tmp_path, _big_file("A", 10), "small")  # 30 rows
    large = _import_queries(town, tmp_path, _big_file("B", 100), "large")  # 300 rows
    assert Household.objects.filter(code__startswith="B").count() == 100
    assert Link.objects.filter(household__code__startswith="B").count() == 100

    def reads(queries):
        return [q for q in queries if not q.lstrip().upper().startswith(("INSERT", "UPDATE"))]

    assert len(reads(large)) == len(reads(small))
    writes_small, writes_large = len(small) - len(reads(small)), len(large) - len(reads(large))
    if connection.vendor == "postgresql":
        assert len(large) == len(small)
    else:
        # Django caps an SQLite statement at 999 parameters and splits bulk inserts of wide rows into
        # batches; at most 20 columns a row, that is 100 / (999 // 20) → 3 INSERTs per table here; plus one
        # UPDATE of the linked members' scope_version (members.access.scope_changed, 900 ids a statement).
        per_batch = connection.features.max_query_params // 20
        assert writes_small == 3 + 1
        assert writes_large <= 3 * -(-100 // per_batch) + 1


def test_preview_page_query_count_is_bounded(town, login, django_assert_max_num_queries):
    client = login(town.user("town_staff"))
    client.post(UPLOAD, {"file": upload(_big_file("B", 100))})
    with django_assert_max_num_queries(12):
        response = client.get(PREVIEW)
    assert counts(response) == {"户": (100, 0, 0, 0), "人员": (100, 0, 0, 0), "联系": (100, 0, 0, 0)}


def test_superuser_chooses_the_town_when_there_are_several(town, login):
    from tests.factories import PlaceFactory, UserFactory

    other = PlaceFactory(kind="town", name="别镇", parent=town.city)
    PlaceFactory(kind="village", name="甲村", parent=other)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login(admin)
    page = client.get(UPLOAD)
    assert page.status_code == 200
    assert [t.name for t in page.context["towns"]] == ["双凫铺镇", "别镇"]
    assert 'name="town"' in page.content.decode()
    data = build_xlsx(households=[household("X1", grid3=None, grid4=None)])
    response = client.post(UPLOAD, {"file": upload(data), "town": other.pk})
    assert response.status_code == 302
    page = client.get(PREVIEW)
    assert page.context["town"] == other
    # 甲村 of 别镇 has no grids: names are resolved inside the chosen town only.
    assert errors(page) == {("户", 3): ["“三级网格”不能为空"]}


def test_a_concurrent_change_during_import_is_reported_not_a_500(town, login, monkeypatch):
    from django.db import IntegrityError

    client = login(town.user("town_staff"))
    page = preview(client, good_file(town))

    def clash(**kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(census, "census_import", clash)
    response = client.post(CONFIRM, {"token": page.context["token"]}, follow=True)
    assert response.redirect_chain == [(PREVIEW, 302)]
    assert "导入时数据被他人同时修改,未写入任何数据" in response.content.decode()
    assert Household.objects.count() == 4


# --- real-world spreadsheets (issue 13) -------------------------------------------------------------------


def _households_workbook(rows, *, title_rows=(), merges=(), formulas=()) -> bytes:
    """A 户 sheet as village officers make it: title rows above the headers, merged cells, formulas.

    `rows` are dicts keyed by header; `merges` are ranges like "B4:B6"; `formulas` are (cell, formula) pairs
    written without a cached value (as openpyxl, and any program that never recalculated, leaves them).
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = census.SHEET_HOUSEHOLDS
    headers = [c.header for c in census.household_columns()]
    for title in title_rows:
        ws.append([title])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(headers))
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    for ref in merges:
        ws.merge_cells(ref)
    for ref, formula in formulas:
        ws[ref] = formula
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_header_row_below_a_merged_title_row_is_found(town, login):
    client = login(town.user("town_staff"))
    data = _households_workbook(
        [household("T001"), household("T002")],
        title_rows=["双凫铺镇甲村 2026年 摸底登记表", "填表人:李四  日期:2026-11-30"],
    )
    page = preview(client, data)
    assert page.status_code == 200
    assert counts(page)["户"] == (2, 0, 0, 0)
    assert errors(page) == {}
    confirm(client, page)
    assert set(Household.objects.filter(code__startswith="T0").values_list("code", flat=True)) == {
        "T001",
        "T002",
    }


def test_merged_village_and_grid_cells_apply_to_every_row_they_span(town, login):
    client = login(town.user("town_staff"))
    rows = [household("M001"), household("M002", village=None, grid3=None), household("M003", village=None)]
    rows[2]["三级网格"] = None
    # header in row 2 (one title row); data rows 3-5; 村(社区) is column B, 三级网格 column C
    data = _households_workbook(rows, title_rows=["甲村摸底表"], merges=["B3:B5", "C3:C5"])
    page = preview(client, data)
    assert counts(page)["户"] == (3, 0, 0, 0), errors(page)
    html = page.content.decode()
    assert "合并单元格 B3:B5:其值已应用到所跨的第 3–5 行" in html
    assert "合并单元格 C3:C5" in html
    confirm(client, page)
    assert {h.code: h.grid for h in Household.objects.filter(code__startswith="M0")} == {
        "M001": town.grid_a1a,
        "M002": town.grid_a1a,
        "M003": town.grid_a1a,
    }


def test_a_formula_cell_without_value_is_reported_as_such(town, login):
    client = login(town.user("town_staff"))
    data = _households_workbook(
        [household("F001"), household("F002")],
        formulas=[("E3", '=CONCATENATE("户主","F001")')],  # 户主姓名 of row 3: a formula, never calculated
    )
    page = preview(client, data)
    assert errors(page) == {("户", 3): ["“户主姓名”是公式单元格,请粘贴为数值"]}
    assert counts(page)["户"] == (1, 0, 0, 1)


@pytest.mark.parametrize(
    "typed",
    [
        "+86-139-0731-6789",
        "+86 139 0731 6789",
        "0086 139 0731 6789",
        "139-0731-6789",
        "１３９０７３１６７８９",
    ],
)
def test_mobile_numbers_typed_any_usual_way_are_stored_as_eleven_digits(town, login, typed):
    client = login(town.user("town_staff"))
    page = preview(client, _households_workbook([household("P001", **{"联系电话": typed})]))
    assert errors(page) == {}
    confirm(client, page)
    assert Household.objects.get(code="P001").phone == "13907316789"


def test_landlines_are_stored_one_way_however_typed(town, login):
    client = login(town.user("town_staff"))
    typed = [
        "0731-87654321",
        "073187654321",
        "(0731) 8765 4321",
        "+86 731 8765 4321",
        "０７３１－８７６５４３２１",
    ]
    rows = [household(f"L00{i}", **{"联系电话": t}) for i, t in enumerate(typed)]
    rows.append(household("L009", **{"联系电话": "8765432"}))  # no area code: refused
    page = preview(client, _households_workbook(rows))
    assert errors(page) == {("户", 7): ["联系电话:电话号码格式不正确:应为11位手机号或带区号的固话"]}
    confirm(client, page)
    stored = set(Household.objects.filter(code__startswith="L00").values_list("phone", flat=True))
    assert stored == {"0731-87654321"}


def test_a_repeated_id_number_keeps_the_first_row_and_names_it(town, login):
    client = login(town.user("town_staff"))
    id_spaced = " ".join([ID_1[:6], ID_1[6:14], ID_1[14:]])  # spaces are fine
    rows = [
        household("D001", **{"身份证号": ID_1}),
        household("D002"),
        household("D003", **{"身份证号": id_spaced}),
        household("D004", **{"身份证号": ID_1.lower() if ID_1.endswith("X") else ID_1}),
    ]
    page = preview(client, _households_workbook(rows))
    message = "身份证号与户表第 2 行重复,保留第 2 行"
    assert errors(page) == {("户", 4): [message], ("户", 5): [message]}
    confirm(client, page)
    assert set(Household.objects.filter(code__startswith="D00").values_list("code", flat=True)) == {
        "D001",
        "D002",
    }
    assert Household.objects.get(code="D001").id_number == ID_1


def test_an_id_number_stored_as_a_number_is_explained(town, login):
    client = login(town.user("town_staff"))
    rows = [
        household("N001", **{"身份证号": int(ID_1[:17] + "0") if ID_1[17] != "X" else 430124198001010010})
    ]
    page = preview(client, _households_workbook(rows))
    assert errors(page) == {("户", 2): ["“身份证号”被存成了数字,末几位已丢失:请把该列设为文本格式后重新填写"]}


def test_the_preview_is_computed_once_per_upload(town, login, monkeypatch, django_assert_max_num_queries):
    client = login(town.user("town_staff"))
    page = preview(client, _big_file("K", 50))
    assert counts(page)["户"] == (50, 0, 0, 0)

    def read_again(**kwargs):
        raise AssertionError("the preview was computed again")

    monkeypatch.setattr(census.services, "census_preview", read_again)
    with django_assert_max_num_queries(8):  # session, user, scope and towns: no census lookups
        again = client.get(PREVIEW)
    assert counts(again) == counts(page) and errors(again) == errors(page)
    monkeypatch.undo()
    response = confirm(client, again)  # the import checks the file itself
    assert response.status_code == 302
    assert Household.objects.filter(code__startswith="K").count() == 50


def _with_cached_values(data: bytes, values: dict[str, str]) -> bytes:
    """Give formula cells the cached text a spreadsheet program writes after calculating (openpyxl cannot)."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for ref, value in values.items():
                    text, n = re.subn(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                        rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>',
                        text,
                    )
                    assert n == 1, ref
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_a_calculated_formula_gives_its_value_and_an_empty_result_is_not_an_error(town, login):
    client = login(town.user("town_staff"))
    data = _households_workbook(
        [household("G001"), household("G002")],
        formulas=[("E2", '=CONCATENATE("户主","G001")'), ("O3", '=IF(A3="","","")')],  # 户主姓名; 备注
    )
    page = preview(client, _with_cached_values(data, {"E2": "户主甲", "O3": ""}))
    assert errors(page) == {}
    confirm(client, page)
    assert Household.objects.get(code="G001").head_name == "户主甲"
    assert Household.objects.get(code="G002").notes == ""
