"""Recording and correcting contacts: the rules, idempotency, photos, the edit window and the audit trail."""

import datetime
import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from members.enums import LinkType
from members.models import Link
from tests.factories import LinkFactory
from visits.enums import ContactKind, RevisionAction
from visits.models import Contact, ContactHousehold, ContactPhoto, ContactRevision
from visits.services import contact_is_editable, contact_record, contact_update

from .conftest import at


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_record_home_visit_sets_link_path_and_counting_row(town, record):
    contact = record(
        town.user("member_a"),
        ContactKind.HOME_VISIT,
        at(2025, 5, 10),
        household=town.ha1,
        duties=["policy", "demands"],
        summary="  谈了医保  ",
    )
    assert contact.created is True
    assert contact.member == town.members["member_a"]
    assert contact.link == Link.objects.get(member=town.members["member_a"], household=town.ha1)
    assert contact.path == town.ha1.path
    assert contact.summary == "谈了医保"
    assert (contact.duty_policy, contact.duty_demands, contact.duty_opinion) == (True, True, False)
    assert list(ContactHousehold.objects.values_list("household_id", "member_id", "kind")) == [
        (town.ha1.pk, town.members["member_a"].pk, "home_visit")
    ]
    [rev] = ContactRevision.objects.filter(contact=contact)
    assert rev.action == RevisionAction.CREATE and rev.changed_by == town.user("member_a")
    assert rev.changes["duties"] == ["policy", "demands"]


def test_same_client_id_stores_once_and_returns_the_stored_record(town, record):
    cid = uuid.uuid4()
    first = record(
        town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, client_id=cid
    )
    again = record(
        town.user("member_a"), ContactKind.ONLINE, at(2025, 5, 11), household=town.ha1, client_id=str(cid)
    )
    assert (first.created, again.created) == (True, False)
    assert again.pk == first.pk and again.kind == "home_visit"
    assert Contact.objects.count() == 1 and ContactHousehold.objects.count() == 1
    assert ContactRevision.objects.count() == 1


def test_client_id_of_another_user_is_refused(town, record):
    cid = uuid.uuid4()
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, client_id=cid)
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_b"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.hb1, client_id=cid
        )
    assert "客户端编号已被使用" in messages_of(exc)


def test_future_date_is_refused(town, record):
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_a"),
            ContactKind.HOME_VISIT,
            timezone.now() + datetime.timedelta(hours=1),
            household=town.ha1,
        )
    assert exc.value.message_dict["occurred_at"] == ["不能选择未来的时间"]
    assert Contact.objects.count() == 0


def test_date_before_the_link_began_is_refused(town, record):
    Link.objects.filter(household=town.ha1).update(start_date=datetime.date(2025, 5, 1))
    with pytest.raises(ValidationError) as exc:
        record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 4, 30, 23, 59), household=town.ha1)
    assert exc.value.message_dict["occurred_at"] == ["走访日期不能早于联系开始日期 2025-05-01"]
    # Midnight of the first day (Asia/Shanghai) is fine.
    assert record(
        town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 1, 0, 0), household=town.ha1
    ).created


def test_member_records_only_for_own_links(town, record):
    with pytest.raises(ValidationError) as exc:
        record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha2)
    assert exc.value.message_dict["household"] == ["只能为自己联系的对象记录走访"]


def test_grid_head_and_town_staff_record_in_their_scope_without_a_link(town, record):
    contact = record(town.user("grid_head_a1"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha3)
    assert contact.link is None and contact.member == town.members["grid_head_a1"]
    with pytest.raises(ValidationError):
        record(town.user("grid_head_a1"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.hb1)
    staff = record(town.user("town_staff"), ContactKind.ONSITE, at(2025, 5, 10), place=town.village_b)
    assert staff.link is None and staff.path == town.village_b.path
    # The discipline commission sees the town read-only: it may not record for the town.
    with pytest.raises(PermissionDenied):
        record(town.user("discipline"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.hb1)


def test_yard_meeting_households_must_be_in_scope(town, record):
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_a"), ContactKind.YARD_MEETING, at(2025, 5, 10), households=[town.ha1, town.ha2]
        )
    assert exc.value.message_dict["households"] == ["屋场夜话的户必须在您的范围内"]
    ok = record(town.user("member_a"), ContactKind.YARD_MEETING, at(2025, 5, 10), households=[town.ha1])
    assert ok.household is None and list(ok.households.all()) == [town.ha1]


def test_at_least_one_duty_and_kind_fits_target(town, record):
    with pytest.raises(ValidationError) as exc:
        record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, duties=[])
    assert "请至少选择一项“五到位”内容" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        record(town.user("grid_head_a1"), ContactKind.GRID_SINKDOWN, at(2025, 5, 10), place=town.town)
    assert "该走访方式不适用于所选地点" in messages_of(exc)
    with pytest.raises(ValidationError):
        record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), place=town.grid_a1)


def test_user_without_member_cannot_record(db, record):
    from tests.factories import UserFactory

    with pytest.raises(ValidationError) as exc:
        record(UserFactory(), ContactKind.HOME_VISIT, at(2025, 5, 10))
    assert "该账号未关联联户人员" in messages_of(exc)


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (2400, 1200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (28.0, 15.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@override_settings(MEDIA_ROOT="/tmp/lianhu-visits-test-media")
def test_photos_are_reencoded_without_exif_and_resized(town, record):
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the fixture really has metadata
    upload = SimpleUploadedFile("13800001111.jpg", raw, content_type="image/jpeg")
    contact = record(
        town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, photos=[upload]
    )
    [photo] = ContactPhoto.objects.filter(contact=contact)
    assert "13800001111" not in photo.image.name
    with Image.open(photo.image.path) as saved:
        assert saved.format == "JPEG"
        assert saved.size == (1600, 800)
        assert dict(saved.getexif()) == {}
        assert "exif" not in saved.info


def test_non_images_too_many_and_too_large_photos_are_refused(town, record, settings):
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, photos=[fake]
        )
    assert exc.value.message_dict["photos"] == ["只能上传 JPEG/PNG/WebP 图片"]
    four = [SimpleUploadedFile(f"{i}.jpg", jpeg_with_gps()) for i in range(4)]
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, photos=four
        )
    assert exc.value.message_dict["photos"] == ["最多上传 3 张照片"]
    settings.LIANHU = {**settings.LIANHU, "CONTACT_PHOTO_MAX_BYTES": 1024 * 1024}
    big = SimpleUploadedFile("big.png", b"0" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError) as exc:
        record(
            town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, photos=[big]
        )
    assert exc.value.message_dict["photos"] == ["照片不能超过 1 MB"]
    assert Contact.objects.count() == 0


def test_update_by_author_is_audited_and_moves_the_counting_rows(town, record):
    user = town.user("member_a")
    contact = record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    contact_update(
        user=user,
        contact=contact,
        kind=ContactKind.ONLINE,
        occurred_at=at(2025, 5, 9, 8),
        duties=["opinion"],
        summary="改",
    )
    contact.refresh_from_db()
    assert (contact.kind, contact.duties, contact.summary) == ("online", ["opinion"], "改")
    row = ContactHousehold.objects.get(contact=contact)
    assert (row.kind, row.occurred_at) == ("online", at(2025, 5, 9, 8))
    rev = ContactRevision.objects.filter(contact=contact).last()
    assert rev.action == RevisionAction.UPDATE and rev.changed_by == user
    assert rev.changes["kind"] == ["home_visit", "online"]
    assert rev.changes["duties"] == [["policy"], ["opinion"]]
    assert rev.changes["occurred_at"] == ["2025-05-10T10:00:00+08:00", "2025-05-09T08:00:00+08:00"]
    assert set(rev.changes) == {"kind", "duties", "occurred_at", "summary"}


def test_update_refuses_other_users_and_is_locked_after_the_window(town, record, settings):
    user = town.user("member_a")
    contact = record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    with pytest.raises(PermissionDenied):
        contact_update(user=town.user("town_staff"), contact=contact, summary="x")
    settings.LIANHU = {**settings.LIANHU, "CONTACT_EDIT_DAYS": 7}
    Contact.objects.filter(pk=contact.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=7, minutes=1)
    )
    contact.refresh_from_db()
    assert contact_is_editable(user=user, contact=contact) is False
    with pytest.raises(ValidationError) as exc:
        contact_update(user=user, contact=contact, summary="x")
    assert "天修改期,已锁定" in messages_of(exc)
    Contact.objects.filter(pk=contact.pk).update(created_at=timezone.now() - datetime.timedelta(days=6))
    contact.refresh_from_db()
    contact_update(user=user, contact=contact, summary="仍可修改")
    assert Contact.objects.get(pk=contact.pk).summary == "仍可修改"


def test_update_cannot_change_target_kind_or_go_before_link(town, record):
    user = town.user("member_a")
    Link.objects.filter(household=town.ha1).update(start_date=datetime.date(2025, 5, 1))
    contact = record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    with pytest.raises(ValidationError):
        contact_update(user=user, contact=contact, kind=ContactKind.GRID_SINKDOWN)
    with pytest.raises(ValidationError) as exc:
        contact_update(user=user, contact=contact, occurred_at=at(2025, 4, 20))
    assert "走访日期不能早于联系开始日期" in messages_of(exc)
    with pytest.raises(ValidationError):
        contact_update(user=user, contact=contact, member=town.members["member_b"])


def test_contact_link_kept_for_village_household_type(town, record):
    link = LinkFactory(
        member=town.members["officer_a"], household=town.ha2, link_type=LinkType.VILLAGE_HOUSEHOLD
    )
    contact = record(town.user("officer_a"), ContactKind.ONLINE, at(2025, 5, 10), household=town.ha2)
    assert contact.link == link


def test_contact_record_directly_without_client_id(town):
    contact = contact_record(
        user=town.user("member_a"),
        kind="online",
        occurred_at=at(2025, 5, 10),
        duties=["policy"],
        household=town.ha1,
    )
    assert contact.client_id is not None and contact.created
