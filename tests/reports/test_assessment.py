"""The village score out of 6 and the cadre sheet out of 100: components, weights, approval freezes the year.

Hand count for 2026, judged on the day the test runs (all fixtures are in Aug-Oct 2026):
village A: coverage 1/3 (only ha1 linked), issues 1 of 2 resolved; village B: coverage 1/1, issues 0 of 1.
Nobody rated an issue and no dispatch order exists: those components score their full weight.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from reports.assessment import assessment_build
from reports.enums import AssessmentStatus
from reports.models import AssessmentResult, AssessmentWeights
from reports.services import ReportError, assessment_approve, assessment_compute
from visits.selectors import compliance_summary

YEAR = 2026


def _compliance_share(town, place, persona="town_staff"):
    on = min(datetime.date(YEAR, 12, 31), timezone.localdate())
    return compliance_summary(user=town.user(persona), place=place, on=on)["totals"]["share_on_track"]


def test_village_scores_show_every_component(town, data):
    sheet = assessment_build(user=town.user("town_staff"), town=town.town, year=YEAR)
    rows = {r["name"]: r for r in sheet["villages"]}
    a, b = rows["甲村"], rows["乙村"]
    assert a["rates"]["coverage"] == round(1 / 3, 4) and a["points"]["coverage"] == 0.5
    assert b["rates"]["coverage"] == 1.0 and b["points"]["coverage"] == 1.5
    assert a["rates"]["issues"] == 0.5 and a["points"]["issues"] == 0.5
    assert b["rates"]["issues"] == 0.0 and b["points"]["issues"] == 0.0
    assert a["rates"]["satisfaction"] is None and a["points"]["satisfaction"] == 1.0
    assert a["rates"]["dispatch"] is None and a["points"]["dispatch"] == 0.5
    # Compliance comes from visits.selectors (the one copy of the quota rules).
    share_a = _compliance_share(town, town.village_a)
    assert a["rates"]["compliance"] == share_a
    expected_a = (
        Decimal("0.5") + Decimal("2.0") * Decimal(str(share_a or 0)) + Decimal("0.5") + 1 + Decimal("0.5")
    )
    assert Decimal(str(a["total"])) == expected_a.quantize(Decimal("0.01"))
    assert sum(sheet["weights"]["village"].values()) == 6


def test_cadre_sheet(town, data):
    sheet = assessment_build(user=town.user("town_staff"), town=town.town, year=YEAR)
    cadres = {r["name"]: r for r in sheet["cadres"]}
    assert set(cadres) == {"member_a", "member_b", "grid_head_a1"}
    # member_a holds 1 household, a party member should hold 10-15: coverage 0.
    assert cadres["member_a"]["rates"]["coverage"] == 0.0 and cadres["member_a"]["points"]["coverage"] == 0.0
    assert cadres["member_a"]["rates"]["issues"] == 0.5  # raised i1 (resolved) and i2 (open)
    assert cadres["member_b"]["rates"]["issues"] == 0.0
    assert cadres["grid_head_a1"]["rates"]["issues"] is None  # raised none: full weight
    assert cadres["grid_head_a1"]["points"]["issues"] == 15.0
    assert cadres["member_a"]["role_label"] == "党员"


def test_weights_change_the_score_until_approval_freezes_it(town, data):
    assessment_compute(user=town.user("town_staff"), town=town.town, year=YEAR)
    before = {r["name"]: r["total"] for r in AssessmentResult.objects.get().villages}
    AssessmentWeights.objects.create(
        year=YEAR,
        village_coverage=Decimal("3"),
        village_compliance=Decimal("1"),
        village_issues=Decimal("1"),
        village_satisfaction=Decimal("0.5"),
        village_dispatch=Decimal("0.5"),
    )
    result = assessment_compute(user=town.user("town_staff"), town=town.town, year=YEAR)
    after = {r["name"]: r for r in result.villages}
    assert after["乙村"]["points"]["coverage"] == 3.0
    assert after["甲村"]["points"]["coverage"] == 1.0
    assert before != {k: v["total"] for k, v in after.items()}

    approved = assessment_approve(user=town.user("leader"), town=town.town, year=YEAR)
    assert approved.status == AssessmentStatus.APPROVED
    assert approved.approved_by == town.user("leader") and approved.approved_at is not None
    with pytest.raises(ReportError, match="已审定"):
        assessment_compute(user=town.user("town_staff"), town=town.town, year=YEAR)
    with pytest.raises(ReportError, match="已审定"):
        assessment_approve(user=town.user("leader"), town=town.town, year=YEAR)
    AssessmentWeights.objects.filter(year=YEAR).update(village_coverage=Decimal("0"))
    assert AssessmentResult.objects.get().villages == result.villages


def test_weights_must_add_up(db):
    from django.core.exceptions import ValidationError

    weights = AssessmentWeights(year=YEAR, village_coverage=Decimal("5"))
    with pytest.raises(ValidationError) as exc:
        weights.full_clean()
    assert "6" in str(exc.value)
    AssessmentWeights(year=YEAR).full_clean()  # the defaults add up to 6 and 100


def test_who_may_compute_and_approve(town, data):
    with pytest.raises(ReportError, match="只有镇工作人员"):
        assessment_compute(user=town.user("discipline"), town=town.town, year=YEAR)
    with pytest.raises(ReportError, match="请先计算"):
        assessment_approve(user=town.user("leader"), town=town.town, year=YEAR)
    assessment_compute(user=town.user("town_staff"), town=town.town, year=YEAR)
    with pytest.raises(ReportError, match="只有领导小组"):
        assessment_approve(user=town.user("town_staff"), town=town.town, year=YEAR)
    with pytest.raises(ReportError, match="未来"):
        assessment_compute(user=town.user("town_staff"), town=town.town, year=timezone.localdate().year + 1)


@pytest.mark.parametrize(
    "persona,status",
    [("town_staff", 200), ("discipline", 200), ("officer_a", 404), ("grid_head_a1", 404), ("member_a", 404)],
)
def test_assessment_page_access(town, data, login, persona, status):
    response = login(town.user(persona)).get(f"/reports/assessment/{town.town.pk}/", {"year": YEAR})
    assert response.status_code == status
    if status == 200:
        assert response.context["is_preview"] is True
        assert {r["name"] for r in response.context["sheet"]["villages"]} == {"甲村", "乙村"}


def test_assessment_page_compute_and_approve(town, data, login):
    staff = login(town.user("town_staff"))
    response = staff.post(f"/reports/assessment/{town.town.pk}/compute/", {"year": YEAR}, follow=True)
    assert response.context["is_preview"] is False
    officer = login(town.user("officer_a"))
    assert officer.post(f"/reports/assessment/{town.town.pk}/approve/", {"year": YEAR}).status_code == 404
    leader = login(town.user("leader"))
    response = leader.post(f"/reports/assessment/{town.town.pk}/approve/", {"year": YEAR}, follow=True)
    assert response.context["sheet"]["approved"] is True
    response = login(town.user("town_staff")).post(
        f"/reports/assessment/{town.town.pk}/compute/", {"year": YEAR}, follow=True
    )
    assert "不能重新计算" in response.content.decode()
    response = staff.post(f"/reports/assessment/{town.town.pk}/compute/", {"year": "abc"}, follow=True)
    assert response.status_code == 200 and "年度无效" in response.content.decode()


def test_assessment_ledger(town, data):
    import io

    from openpyxl import load_workbook

    from reports.periods import period_of
    from reports.services import export_request

    job = export_request(
        user=town.user("town_staff"),
        kind="assessment",
        place=town.town,
        period=period_of("year", datetime.date(YEAR, 1, 1)),
    )
    with job.file.open("rb") as handle:
        wb = load_workbook(io.BytesIO(handle.read()))
    assert wb.sheetnames == ["村(社区)得分", "干部绩效"]
    ws = wb["村(社区)得分"]
    assert ws["A1"].value.startswith("双凫铺镇 2026年")
    header = [c.value.replace("\n", "") for c in ws[2]]  # a long header breaks before its bracket
    assert header[0] == "村(社区)" and header[-1] == "总分(满分6分)" and len(header) == 12
    assert ws["B3"].number_format == "0.0%"  # rates print as percentages
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert sorted(r[0] for r in rows) == ["乙村", "甲村"]
    assert all(isinstance(r[-1], (int, float)) for r in rows)
    assert len(list(wb["干部绩效"].iter_rows(min_row=3))) == 3


def test_dispatch_component(town, data, clock, monkeypatch):
    from dispatch import services as dispatch_services
    from dispatch.services import order_issue, order_report_done

    monkeypatch.setattr(dispatch_services, "today", lambda: datetime.date(2026, 9, 10))
    order = order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="排查汛期隐患",
        task="排查",
        due_date=datetime.date(2026, 9, 20),
        places=[town.village_a, town.grid_a1],
    )
    order_report_done(user=town.user("officer_a"), order=order, report="已排查")
    sheet = assessment_build(user=town.user("town_staff"), town=town.town, year=YEAR)
    villages = {r["name"]: r for r in sheet["villages"]}
    assert villages["甲村"]["rates"]["dispatch"] == 0.5 and villages["甲村"]["points"]["dispatch"] == 0.25
    assert villages["乙村"]["rates"]["dispatch"] is None
    cadres = {r["name"]: r for r in sheet["cadres"]}
    assert cadres["grid_head_a1"]["rates"]["dispatch"] == 0.0


def test_assessment_page_queries_do_not_grow(town, data, login, django_assert_max_num_queries):
    from .test_dashboards import _grow

    client = login(town.user("town_staff"))
    url = f"/reports/assessment/{town.town.pk}/"
    with django_assert_max_num_queries(36):
        small = client.get(url, {"year": YEAR})
    _grow(town, 30)
    with django_assert_max_num_queries(36):
        large = client.get(url, {"year": YEAR})
    assert len(large.context["sheet"]["cadres"]) == len(small.context["sheet"]["cadres"]) + 30
