"""A contact the discipline commission decides false stops counting everywhere; the record stays."""

import datetime

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from verification import services
from verification.enums import CaseDecision
from verification.models import Case
from visits.enums import Period
from visits.models import Contact, ContactHousehold, ContactMonthTally, LastContact, LinkTally
from visits.selectors import members_without_contact
from visits.services import contact_is_editable
from visits.tallies import tallies_check

from .conftest import record

pytestmark = pytest.mark.django_db
ZERO = {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}


def _decide(town, contact, decision):
    case = services.case_open(contact=contact, by=town.user("town_staff"), text="核实")
    return services.case_decide(
        user=town.user("discipline"), case=case, decision=decision, reason="两次回访均称未见"
    )


def _counts(town):
    link = town.ha1.links.get()
    return (
        sum(LinkTally.objects.filter(link=link, period=Period.QUARTER).values_list("home_visit", flat=True)),
        sum(ContactMonthTally.objects.values_list("contacts", flat=True)),
        LastContact.objects.filter(household=town.ha1).exists(),
    )


def test_a_contact_decided_false_stops_counting_and_stays_on_record(town):
    contact = record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=2), summary="入户走访")
    assert _counts(town) == (1, 1, True)
    assert (
        not members_without_contact(user=town.user("town_staff"))
        .filter(pk=town.members["member_a"].pk)
        .exists()
    )
    _decide(town, contact, CaseDecision.FALSE_CONTACT)
    contact.refresh_from_db()
    assert contact.struck and contact.struck_at is not None
    assert _counts(town) == (0, 0, False)
    assert tallies_check() == ZERO  # the recount agrees: struck contacts count nowhere
    assert not ContactHousehold.objects.filter(contact=contact).exists()
    assert contact.revisions.last().action == "strike"
    assert contact.revisions.last().changes["households"] == [town.ha1.pk]
    # The member is again without a contact this month, and cannot edit the decided record.
    assert (
        members_without_contact(user=town.user("town_staff")).filter(pk=town.members["member_a"].pk).exists()
    )
    assert not contact_is_editable(user=town.user("member_a"), contact=contact)
    # The evidence of a case cannot be deleted.
    with pytest.raises(ProtectedError):
        Contact.objects.filter(pk=contact.pk).delete()


@pytest.mark.parametrize("decision", [CaseDecision.GENUINE, CaseDecision.UNVERIFIABLE])
def test_other_decisions_change_no_count(town, decision):
    contact = record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=2))
    _decide(town, contact, decision)
    contact.refresh_from_db()
    assert not contact.struck and _counts(town) == (1, 1, True)
    assert Case.objects.get().decision == decision


def test_the_village_assessment_shows_its_verification_results(town, login):
    from reports.assessment import assessment_build

    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    at = datetime.datetime.combine(month, datetime.time(10), tzinfo=timezone.get_current_timezone())
    contacts = [record(town, town.ha1, at=at + datetime.timedelta(days=i)) for i in range(3)]
    sample = services.sample_draw(user=town.user("town_staff"), town=town.town, month=month, seed=1)
    calls = list(sample.calls.order_by("id"))
    assert sorted(c.contact_id for c in calls) == [c.pk for c in contacts]
    services.call_record(user=town.user("town_staff"), call=calls[0], outcome="confirmed")
    services.call_record(user=town.user("town_staff"), call=calls[1], outcome="denied", note="户主说没有人来")
    services.case_decide(
        user=town.user("discipline"),
        case=Case.objects.get(),
        decision=CaseDecision.FALSE_CONTACT,
        reason="属实",
    )
    sheet = assessment_build(user=town.user("town_staff"), town=town.town, year=timezone.localdate().year)
    by_name = {row["name"]: row["verification"] for row in sheet["villages"]}
    assert by_name["甲村"] == {"calls": 2, "confirmed": 1, "denied": 1, "unreachable": 0, "false": 1}
    assert by_name["乙村"] == {"calls": 0, "confirmed": 0, "denied": 0, "unreachable": 0, "false": 0}
