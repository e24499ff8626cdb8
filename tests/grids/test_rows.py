"""grids.rows: hand-written reads give the instances the ORM gives (converters applied, relations cached)."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from members.auth import MemberBackend
from members.models import Link, Member
from visits.services import _member_links_with_household

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the hand-written reads are PostgreSQL's"),
]


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_user_is_read_with_their_member_in_one_query(town, django_assert_num_queries):
    member = town.members["member_a"]
    member.muted_channels = ["sms"]  # a JSON field: its converter must run
    member.save()
    expected = Member.objects.select_related("user").get(pk=member.pk)
    with django_assert_num_queries(1):
        user = MemberBackend().get_user(member.user_id)
        read = user.member
        assert read.user is user
    assert _fields(user) == _fields(expected.user) and _fields(read) == _fields(expected)
    assert read.muted_channels == ["sms"]


def test_a_user_without_a_member_and_unknown_ids(town, django_user_model):
    admin = django_user_model.objects.create_user("no_member")
    user = MemberBackend().get_user(admin.pk)
    assert user == admin and not hasattr(user, "member")
    assert MemberBackend().get_user(10**12) is None
    assert MemberBackend().get_user("not a number") is None
    admin.is_active = False
    admin.save()
    assert MemberBackend().get_user(admin.pk) is None


def test_a_members_links_come_with_the_household_decrypted(town, django_assert_num_queries):
    member = town.members["member_a"]
    household = town.ha1
    household.id_number = "43012419800101001X"
    household.save()
    orm = list(
        Link.objects.filter(member=member, household=household)
        .select_related("household")
        .order_by("start_date")
    )
    with django_assert_num_queries(1):
        links = _member_links_with_household(member.pk, household.pk)
        assert links[0].household.id_number == "43012419800101001X"
    assert [_fields(link) for link in links] == [_fields(link) for link in orm]
    assert model_to_dict(links[0].household) == model_to_dict(orm[0].household)
    assert _member_links_with_household(member.pk, town.hb1.pk) == []
