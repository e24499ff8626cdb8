"""Each signal fires on crafted data and stays quiet on ordinary data."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from members.enums import ExemptReason, LinkType
from tests.factories import LinkFactory
from verification.enums import FlagStatus, LocationStatus, SignalKind
from verification.models import Flag, LocationProposal, SignalSettings
from verification.services import check_contact, location_decide, patterns_run, reason_text
from visits.models import Contact, ContactHousehold

from .conftest import BASE, last_month, photo, record

pytestmark = pytest.mark.django_db


def kinds() -> list[str]:
    return sorted(Flag.objects.values_list("kind", flat=True))


def test_a_located_home_visit_far_from_the_household_is_flagged(
    town, located, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        near = record(town, town.ha1, at=now, position=(BASE[0] + Decimal("0.0005"), BASE[1], 20))  # ~55 m
    assert kinds() == []
    with django_capture_on_commit_callbacks(execute=True):
        far = record(town, town.ha1, at=now, position=(BASE[0] + Decimal("0.0100"), BASE[1], 15))  # ~1.1 km
    flag = Flag.objects.get()
    assert (flag.kind, list(flag.contacts.all())) == (SignalKind.FAR, [far])
    assert 1100 <= flag.evidence["distance_m"] <= 1125 and flag.evidence["accuracy_m"] == 15
    assert "米" in reason_text(flag)
    assert near.latitude == Decimal("28.1005")  # kept to 4 decimals (about 10 m)


def test_the_far_threshold_is_the_towns_own(town, located, django_capture_on_commit_callbacks):
    SignalSettings.objects.create(town=town.town, far_metres=2000)
    with django_capture_on_commit_callbacks(execute=True):
        record(town, town.ha1, at=timezone.now(), position=(BASE[0] + Decimal("0.0100"), BASE[1], 15))
    assert kinds() == []


def test_an_online_contact_keeps_no_position(town, located, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = record(
            town, town.ha1, at=timezone.now(), kind="online", position=(Decimal("30"), BASE[1], 5)
        )
    assert contact.latitude is None and kinds() == []


def test_a_household_without_location_gets_one_from_its_first_located_visit_once_confirmed(
    town, django_capture_on_commit_callbacks
):
    assert town.ha1.latitude is None
    with django_capture_on_commit_callbacks(execute=True):
        record(town, town.ha1, at=timezone.now(), position=(BASE[0], BASE[1], 30))
        record(town, town.ha1, at=timezone.now(), position=(BASE[0] + 1, BASE[1], 30))
    proposal = LocationProposal.objects.get()  # one pending proposal per household
    assert proposal.status == LocationStatus.PENDING and kinds() == []
    with pytest.raises(Exception):  # noqa: B017 - another grid's head may not confirm it
        location_decide(user=town.user("grid_head_b1"), proposal=proposal, confirm=True)
    location_decide(user=town.user("grid_head_a1"), proposal=proposal, confirm=True)
    town.ha1.refresh_from_db()
    assert (town.ha1.latitude, town.ha1.longitude) == BASE
    # From now on a visit far from it is flagged.
    with django_capture_on_commit_callbacks(execute=True):
        record(town, town.ha1, at=timezone.now(), position=(BASE[0] + Decimal("0.0100"), BASE[1], 30))
    assert kinds() == [SignalKind.FAR]


def test_an_entry_long_after_the_fact_is_flagged(town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=70))
    assert kinds() == []
    with django_capture_on_commit_callbacks(execute=True):
        late = record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=80))
    flag = Flag.objects.get()
    assert flag.kind == SignalKind.LATE_ENTRY and flag.evidence == {"hours": 80, "limit_h": 72}
    assert list(flag.contacts.all()) == [late]


def test_a_contact_while_recorded_as_working_away_is_flagged(town, django_capture_on_commit_callbacks):
    member = town.members["member_a"]
    member.is_exempt, member.exempt_reason = True, ExemptReason.WORKING_AWAY
    member.save()
    with django_capture_on_commit_callbacks(execute=True):
        record(town, town.ha1, at=timezone.now())
    assert kinds() == [SignalKind.WHILE_AWAY]


def test_a_contact_dated_before_the_link_began_is_flagged(town):
    member = town.members["member_a"]
    start = timezone.localdate() - datetime.timedelta(days=10)
    LinkFactory(member=member, household=town.ha2, link_type=LinkType.PARTY_HOUSEHOLD, start_date=start)
    at = timezone.now() - datetime.timedelta(days=20)
    contact = Contact.objects.create(
        member=member, kind="yard_meeting", occurred_at=at, path=town.grid_a1a.path
    )
    for household in (town.ha1, town.ha2):
        ContactHousehold.objects.create(
            contact=contact, household=household, member=member, kind="yard_meeting", occurred_at=at
        )
    check_contact(contact.pk)
    assert kinds() == [SignalKind.BEFORE_LINK, SignalKind.LATE_ENTRY]  # entered today, 20 days after
    flag = Flag.objects.get(kind=SignalKind.BEFORE_LINK)
    assert flag.evidence["link_start"] == start.isoformat() and flag.evidence["households"] == 1


def test_a_corrected_contact_loses_a_finding_that_no_longer_holds(town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=100))
    assert kinds() == [SignalKind.LATE_ENTRY]
    Contact.objects.filter(pk=contact.pk).update(occurred_at=timezone.now() - datetime.timedelta(hours=1))
    check_contact(contact.pk)
    assert kinds() == []


def test_a_burst_of_visits_one_could_not_walk_is_flagged(town, located):
    start = timezone.now().replace(hour=10, minute=0) - datetime.timedelta(days=1)
    # Four households 1 km apart in a row (3 km of walking, ~36 min at 5 km/h) recorded within 15 minutes.
    for i, household in enumerate(located[:4]):
        record(town, household, at=start + datetime.timedelta(minutes=5 * i))
    # The same households at a walking pace the day before: fine.
    for i, household in enumerate(located[:4]):
        record(town, household, at=start - datetime.timedelta(days=1) + datetime.timedelta(minutes=40 * i))
    month = timezone.localdate(start).replace(day=1)
    counts = patterns_run(town=town.town, month=month)
    flag = Flag.objects.get(kind=SignalKind.BURST)
    assert counts[SignalKind.BURST] == 1
    assert flag.evidence["count"] == 4 and flag.evidence["span_minutes"] == 15
    assert flag.evidence["walk_minutes"] == 36
    # Running the job again refreshes the same flag instead of adding one.
    patterns_run(town=town.town, month=month)
    assert Flag.objects.filter(kind=SignalKind.BURST).count() == 1


def test_the_same_photo_on_two_contacts_is_flagged_even_resized(town, located, media):
    at = timezone.now() - datetime.timedelta(hours=2)
    record(town, located[0], at=at, photos=[photo(1)])
    # The same picture, resized and saved as PNG, on another household's visit.
    original = Image.open(photo(1))
    out = io.BytesIO()
    original.resize((300, 300)).save(out, "PNG")
    copy = SimpleUploadedFile("copy.png", out.getvalue(), content_type="image/png")
    record(town, located[1], at=at, photos=[copy])
    # Different pictures elsewhere: no flag for them.
    record(town, located[2], at=at, photos=[photo(2)])
    record(town, located[3], at=at, photos=[photo(3)])
    counts = patterns_run(town=town.town, month=timezone.localdate(at).replace(day=1))
    flag = Flag.objects.get(kind=SignalKind.SAME_PHOTO)
    assert counts[SignalKind.SAME_PHOTO] == 1
    assert flag.contacts.count() == 2 and flag.evidence["contacts"] == 2


def test_look_alike_summaries_of_one_member_are_flagged(town, located):
    at = timezone.now() - datetime.timedelta(hours=3)
    texts = ["入户走访,宣传惠民政策,了解家庭情况,无诉求。"] * 3 + [
        "入户走访,宣传惠民政策,了解家庭情况,无诉求!",
        "入户走访:宣传惠民政策,了解家庭情况,无诉求",
    ]
    for i, text in enumerate(texts):
        record(town, located[i % 5], at=at - datetime.timedelta(minutes=90 * i), summary=text)
    varied = [
        "老人腿脚不便,帮忙联系了村医上门。",
        "反映村道路灯坏了,已报网格。",
        "孩子在外读书,家中两位老人身体尚好。",
    ]
    for i, text in enumerate(varied):
        record(town, located[i], at=at - datetime.timedelta(days=1, minutes=90 * i), summary=text)
    counts = patterns_run(town=town.town, month=timezone.localdate(at).replace(day=1))
    flag = Flag.objects.get(kind=SignalKind.SAME_TEXT)
    assert counts[SignalKind.SAME_TEXT] == 1 and flag.evidence["count"] == 5 and flag.contacts.count() == 5


def test_a_month_entered_mostly_in_its_last_days_is_flagged(town, located):
    month = last_month()
    first = datetime.datetime.combine(month, datetime.time(9), tzinfo=timezone.get_current_timezone())
    contacts = [record(town, located[i % 5], at=first + datetime.timedelta(days=i * 3)) for i in range(8)]
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    last_day = datetime.datetime.combine(
        following, datetime.time(8), tzinfo=first.tzinfo
    ) - datetime.timedelta(days=1)
    Contact.objects.filter(pk__in=[c.pk for c in contacts[:6]]).update(created_at=last_day)
    Contact.objects.filter(pk__in=[c.pk for c in contacts[6:]]).update(
        created_at=first + datetime.timedelta(days=20)
    )
    counts = patterns_run(town=town.town, month=month)
    flag = Flag.objects.get(kind=SignalKind.MONTH_END)
    assert counts[SignalKind.MONTH_END] == 1
    assert (flag.evidence["total"], flag.evidence["late"], flag.evidence["percent"]) == (8, 6, 75)


def test_a_month_entered_as_it_went_is_not_flagged(town, located):
    month = last_month()
    first = datetime.datetime.combine(month, datetime.time(9), tzinfo=timezone.get_current_timezone())
    for i in range(8):
        contact = record(town, located[i % 5], at=first + datetime.timedelta(days=i * 3))
        Contact.objects.filter(pk=contact.pk).update(
            created_at=contact.occurred_at + datetime.timedelta(hours=2)
        )
    patterns_run(town=town.town, month=month)
    assert not Flag.objects.filter(kind=SignalKind.MONTH_END).exists()


def test_a_dismissed_flag_stays_dismissed_when_the_job_runs_again(town, located):
    start = timezone.now().replace(hour=10, minute=0) - datetime.timedelta(days=1)
    for i, household in enumerate(located[:4]):
        record(town, household, at=start + datetime.timedelta(minutes=5 * i))
    month = timezone.localdate(start).replace(day=1)
    patterns_run(town=town.town, month=month)
    from verification.services import flag_dismiss

    burst = Flag.objects.get(kind=SignalKind.BURST)
    flag_dismiss(user=town.user("town_staff"), flag=burst, note="网格长确认当天确实集中走访")
    patterns_run(town=town.town, month=month)
    assert list(Flag.objects.filter(kind=SignalKind.BURST).values_list("status", flat=True)) == [
        FlagStatus.DISMISSED
    ]


@pytest.fixture
def sent(monkeypatch):
    """The checks sent to a worker (verification.signals' enqueue), instead of running them."""
    calls = []
    monkeypatch.setattr("verification.signals.enqueue", lambda task, *args, **kw: calls.append(args) or True)
    return calls


def test_a_contact_just_recorded_is_checked_at_once_without_a_query_or_a_task(
    town, sent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from verification.services import check_recorded

    contact = record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=2))
    SignalSettings.cached_for_path(contact.path)  # the town's thresholds, read once a minute per process
    with django_assert_num_queries(0):
        assert check_recorded(contact) == []
    with django_capture_on_commit_callbacks(execute=True):
        late = record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=80))
    assert sent == [] and kinds() == [SignalKind.LATE_ENTRY]
    assert list(Flag.objects.get().contacts.all()) == [late]


def test_the_check_in_the_request_finds_what_the_worker_finds(town, located, sent):
    """The same contacts checked from what the request holds and from the database give the same flags."""
    from verification.services import check_recorded

    member = town.members["member_a"]
    member.is_exempt, member.exempt_reason = True, ExemptReason.WORKING_AWAY
    member.save()
    contacts = [
        record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=90)),
        record(town, located[1], at=timezone.now(), position=(BASE[0] + Decimal("0.0300"), BASE[1], 10)),
        record(town, located[2], at=timezone.now(), kind="online"),
    ]
    in_request = [sorted((f.kind, True) for f in check_recorded(c)) for c in contacts]
    evidence = sorted(Flag.objects.values_list("key", "evidence"))
    Flag.objects.all().delete()
    from_database = [sorted((f.kind, True) for f in check_contact(c.pk, created=True)) for c in contacts]
    assert in_request == from_database
    assert sorted(Flag.objects.values_list("key", "evidence")) == evidence
    assert in_request[0] == [(SignalKind.LATE_ENTRY, True), (SignalKind.WHILE_AWAY, True)]
    assert (SignalKind.FAR, True) in in_request[1]


def test_a_corrected_contact_is_checked_by_a_worker(town, sent, django_capture_on_commit_callbacks):
    from visits.services import contact_update

    contact = record(town, town.ha1, at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(user=town.user("member_a"), contact=contact, summary="改过")
    assert sent == [(contact.pk, False)]


def test_a_check_that_fails_in_the_request_goes_to_a_worker(
    town, sent, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(contact):
        raise RuntimeError("disk full")

    monkeypatch.setattr("verification.signals.check_recorded", broken)
    with django_capture_on_commit_callbacks(execute=True):
        contact = record(town, town.ha1, at=timezone.now())
    assert sent == [(contact.pk, True)]
