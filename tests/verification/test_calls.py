"""The monthly sample, verification calls, cases and who sees what (pages, API, ledger)."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from members.enums import LinkType
from tests.factories import HouseholdFactory, LinkFactory
from verification import services
from verification.enums import CallOutcome, CaseDecision, CaseStatus, SignalKind
from verification.models import Call, Case, Flag, Sample

from .conftest import last_month, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_of_contacts(town):
    """Last month: 12 contacts by member_a in village A (12 households), 3 by member_b in village B."""
    month = last_month()
    first = datetime.datetime.combine(month, datetime.time(9), tzinfo=timezone.get_current_timezone())
    a = []
    for i in range(12):
        household = HouseholdFactory(grid=town.grid_a1a, head_name=f"甲{i}", phone=f"1390731{i:04d}")
        LinkFactory(member=town.members["member_a"], household=household, link_type=LinkType.PARTY_HOUSEHOLD)
        a.append(record(town, household, at=first + datetime.timedelta(days=i)))
    b = [record(town, town.hb1, persona="member_b", at=first + datetime.timedelta(days=i)) for i in range(3)]
    return month, a, b


def _ids(sample):
    return sorted(sample.calls.values_list("contact_id", flat=True))


def test_the_sample_takes_a_share_per_village_flagged_first_and_is_reproducible(town, month_of_contacts):
    month, a, b = month_of_contacts
    flag = Flag.objects.create(
        kind=SignalKind.LATE_ENTRY, member=town.members["member_a"], key="x", month=month, path=a[7].path
    )
    flag.contacts.set([a[7]])
    sample = services.sample_draw(user=town.user("town_staff"), town=town.town, month=month, seed=42)
    calls = list(sample.calls.all())
    # 3 % of 12 rounds up to 1, at least 5 per village; village B has only 3.
    assert sum(c.village_id == town.village_a.pk for c in calls) == 5
    assert sorted(c.contact_id for c in calls if c.village_id == town.village_b.pk) == sorted(x.pk for x in b)
    assert a[7].pk in _ids(sample) and Call.objects.get(contact=a[7]).flagged
    first = _ids(sample)
    # Drawing the month again answers the same sample; the same seed draws the same list.
    assert services.sample_draw(user=town.user("town_staff"), town=town.town, month=month).pk == sample.pk
    Sample.objects.all().delete()
    assert (
        _ids(services.sample_draw(user=town.user("town_staff"), town=town.town, month=month, seed=42))
        == first
    )
    Sample.objects.all().delete()
    others = {
        tuple(_ids(services.sample_draw(user=town.user("town_staff"), town=town.town, month=month, seed=s)))
        for s in (1, 2, 3)
    }
    Sample.objects.all().delete()
    assert len(others | {tuple(first)}) > 1  # other seeds draw other lists


def test_a_month_is_sampled_once_it_is_over(town, month_of_contacts):
    with pytest.raises(ValidationError):
        services.sample_draw(user=town.user("town_staff"), town=town.town, month=timezone.localdate())
    assert not Sample.objects.exists()


@pytest.mark.parametrize("persona", ["discipline", "officer_a", "member_a", "grid_head_a1"])
def test_only_the_centre_draws_the_sample(town, month_of_contacts, persona):
    with pytest.raises(PermissionDenied):
        services.sample_draw(user=town.user(persona), town=town.town, month=month_of_contacts[0])
    assert not Sample.objects.exists()


def test_cross_checking_officers_call_only_the_other_village_and_a_denial_opens_a_case(
    town, month_of_contacts, login
):
    month, a, b = month_of_contacts
    sample = services.sample_draw(
        user=town.user("town_staff"), town=town.town, month=month, seed=7, cross_check=True
    )
    call_a = sample.calls.filter(village=town.village_a).first()
    assert call_a.caller_village_id == town.village_b.pk
    # officer_b calls village A's households; officer_a may not call them, nor see them.
    client = login(town.user("officer_a"))
    page = client.get(f"/verification/calls/?month={month:%Y-%m}").content.decode()
    assert call_a.household.head_name not in page
    assert (
        client.post(f"/verification/calls/{call_a.pk}/record/", {"outcome": "confirmed"}).status_code == 404
    )
    client = login(town.user("officer_b"))
    page = client.get(f"/verification/calls/?month={month:%Y-%m}").content.decode()
    assert call_a.household.phone in page  # the caller sees the full number to dial, and it is logged
    from members.models import AccessLog

    shown = AccessLog.objects.filter(action="reveal", object_id=call_a.household_id)
    assert shown.count() == 1 and shown.get().actor == town.user("officer_b")
    with pytest.raises(ValidationError):  # a denial needs the household's words
        services.call_record(user=town.user("officer_b"), call=call_a, outcome=CallOutcome.DENIED)
    client.post(
        f"/verification/calls/{call_a.pk}/record/", {"outcome": "denied", "note": "户主说这个月没人来过"}
    )
    call_a.refresh_from_db()
    assert (call_a.outcome, call_a.called_by) == (CallOutcome.DENIED, town.user("officer_b"))
    case = Case.objects.get()
    assert (case.contact_id, case.member_id, case.status) == (
        call_a.contact_id,
        town.members["member_a"].pk,
        CaseStatus.OPEN,
    )
    # The member does not see an undecided case; the discipline commission decides it.
    assert services.case_explain is not None
    client = login(town.user("member_a"))
    assert client.get(f"/verification/cases/{case.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.case_decide(
            user=town.user("town_staff"), case=case, decision=CaseDecision.FALSE_CONTACT, reason="x"
        )
    client = login(town.user("discipline"))
    client.post(
        f"/verification/cases/{case.pk}/",
        {"action": "decide", "decision": "false", "reason": "两户均称未见到"},
    )
    case.refresh_from_db()
    assert (case.status, case.decision) == (CaseStatus.DECIDED, CaseDecision.FALSE_CONTACT)
    from notifications.models import Notification

    notice = Notification.objects.get(
        recipient=town.members["member_a"], link=f"/verification/cases/{case.pk}/"
    )
    assert "属实" in notice.title
    # Now the member sees it and may explain; another member sees nothing.
    assert login(town.user("member_b")).get(f"/verification/cases/{case.pk}/").status_code == 404
    client = login(town.user("member_a"))
    assert client.get(f"/verification/cases/{case.pk}/").status_code == 200
    client.post(
        f"/verification/cases/{case.pk}/", {"action": "explain", "text": "当天是电话联系,误选了入户走访"}
    )
    assert list(case.events.values_list("kind", flat=True)) == ["opened", "decided", "explained"]
    with pytest.raises(Exception):  # noqa: B017 - events are append-only
        case.events.first().delete()


def test_the_centre_passes_a_flag_to_the_discipline_commission(town, month_of_contacts):
    month, a, _b = month_of_contacts
    flag = Flag.objects.create(
        kind=SignalKind.LATE_ENTRY, member=town.members["member_a"], key="y", month=month, path=a[0].path
    )
    flag.contacts.set([a[0], a[1]])
    with pytest.raises(PermissionDenied):
        services.flag_to_case(user=town.user("discipline"), flag=flag)
    cases = services.flag_to_case(user=town.user("town_staff"), flag=flag, note="请核实")
    assert sorted(c.contact_id for c in cases) == [a[0].pk, a[1].pk]
    flag.refresh_from_db()
    assert flag.status == "case"


PAGES = ["/verification/", "/verification/cases/", "/verification/calls/", "/verification/locations/"]
ALLOWED = {
    "town_staff": {"/verification/", "/verification/cases/", "/verification/calls/"},
    "discipline": {"/verification/", "/verification/cases/", "/verification/calls/"},
    "leader": {"/verification/", "/verification/cases/", "/verification/calls/"},
    "officer_a": {"/verification/calls/", "/verification/cases/"},
    "grid_head_a1": {"/verification/locations/", "/verification/cases/"},
    "member_a": {"/verification/cases/"},
    "handler": {"/verification/cases/"},
}


@pytest.mark.parametrize("persona", sorted(ALLOWED))
def test_pages_answer_each_persona_by_post(town, login, persona):
    client = login(town.user(persona))
    for url in PAGES:
        expected = 200 if url in ALLOWED[persona] else 403
        assert client.get(url).status_code == expected, (persona, url)


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in [*PAGES, "/verification/calls/ledger.xlsx"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_flags_are_seen_by_reviewers_of_the_town_only(town, month_of_contacts, login):
    month, a, _b = month_of_contacts
    flag = Flag.objects.create(
        kind=SignalKind.LATE_ENTRY,
        member=town.members["member_a"],
        key="z",
        month=month,
        path=a[0].path,
        evidence={"hours": 99, "limit_h": 72},
    )
    flag.contacts.set([a[0]])
    for persona, code in [
        ("town_staff", 200),
        ("discipline", 200),
        ("officer_a", 403),
        ("member_a", 403),
        ("grid_head_a1", 403),
    ]:
        assert login(town.user(persona)).get(f"/verification/flags/{flag.pk}/").status_code == code, persona
    api = login(town.user("member_a")).get(f"/api/verification/flags/?month={month:%Y-%m}").json()
    assert api["count"] == 0
    api = login(town.user("discipline")).get(f"/api/verification/flags/?month={month:%Y-%m}").json()
    assert [row["id"] for row in api["results"]] == [flag.pk] and "99" in api["results"][0]["reason"]
    # The discipline commission reads but does not dismiss (that is the centre's step).
    response = login(town.user("discipline")).post(
        f"/api/verification/flags/{flag.pk}/dismiss/", {"note": "x"}
    )
    assert response.status_code == 403


def test_the_ledger_lists_the_calls_with_masked_numbers(town, month_of_contacts, login):
    month = month_of_contacts[0]
    sample = services.sample_draw(user=town.user("town_staff"), town=town.town, month=month, seed=3)
    response = login(town.user("discipline")).get(f"/verification/calls/ledger.xlsx?month={month:%Y-%m}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    data = [r for r in rows[2:] if r[0]]
    assert len(data) == sample.calls.count()
    phones = {r[2] for r in data}
    assert all("****" in p for p in phones), phones
    assert (
        login(town.user("officer_a")).get(f"/verification/calls/ledger.xlsx?month={month:%Y-%m}").status_code
        == 403
    )


def test_the_api_shows_the_caller_the_full_number_and_others_a_masked_one(town, month_of_contacts, login):
    month = month_of_contacts[0]
    services.sample_draw(user=town.user("town_staff"), town=town.town, month=month, seed=5)
    centre = login(town.user("town_staff")).get(f"/api/verification/calls/?month={month:%Y-%m}").json()
    assert centre["count"] == 8 and all("****" not in r["phone"] for r in centre["results"])
    discipline = login(town.user("discipline")).get(f"/api/verification/calls/?month={month:%Y-%m}").json()
    assert all("****" in r["phone"] for r in discipline["results"])
    assert (
        login(town.user("member_a")).get(f"/api/verification/calls/?month={month:%Y-%m}").json()["count"] == 0
    )
