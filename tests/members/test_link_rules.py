"""Role → link type and exemption are Link.clean's rule: the admin, the services and the census import all
go through it (members/models.py link_refusals)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from members.enums import ExemptReason, LinkType, MemberRole
from members.models import Link, link_refusals
from members.services import link_create

from ..factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_link_clean_refuses_a_type_the_role_cannot_hold(town):
    link = Link(member=town.members["member_a"], link_type=LinkType.TOWN_GRID, place=town.grid_a1)
    with pytest.raises(ValidationError) as caught:
        link.full_clean()
    assert "link_type" in caught.value.error_dict


def test_link_clean_refuses_an_exempt_member(town):
    exempt = MemberFactory(
        home=town.village_a,
        role=MemberRole.PARTY_MEMBER,
        is_exempt=True,
        exempt_reason=ExemptReason.OLD_INFIRM,
    )
    link = Link(member=exempt, link_type=LinkType.PARTY_HOUSEHOLD, household=town.ha2)
    with pytest.raises(ValidationError, match="免于联户") as caught:
        link.full_clean()
    assert "member" in caught.value.error_dict


def test_a_member_exempted_later_may_still_have_a_link_ended(town):
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    member = link.member
    member.is_exempt, member.exempt_reason = True, ExemptReason.OLD_INFIRM
    member.save()
    link = Link.objects.get(pk=link.pk)
    link.end_date = link.start_date + datetime.timedelta(days=30)
    link.full_clean()  # ending it is allowed; only a new holder or type is checked
    link.link_type = LinkType.VILLAGE_HOUSEHOLD  # a new type: checked again, and refused
    with pytest.raises(ValidationError) as caught:
        link.full_clean()
    assert {"link_type", "member"} <= set(caught.value.error_dict)


def test_the_service_refuses_a_wrong_combination(town):
    with pytest.raises(ValidationError) as caught:
        link_create(member=town.members["member_a"], link_type=LinkType.TOWN_GRID, target=town.grid_a1)
    assert "link_type" in caught.value.error_dict
    assert not Link.objects.filter(member=town.members["member_a"], place=town.grid_a1).exists()


def test_the_admin_refuses_a_wrong_combination(town, login):
    client = login(town.user("town_staff"))
    post = {
        "member": town.members["member_a"].pk,
        "link_type": LinkType.TOWN_GRID,
        "place": town.grid_a1.pk,
        "start_date": "2024-01-01",
    }
    response = client.post("/admin/members/link/add/", post)
    assert response.status_code == 200  # the form again, with the rule's message
    assert "link_type" in response.context["adminform"].form.errors
    assert not Link.objects.filter(member=town.members["member_a"], place=town.grid_a1).exists()
    exempt = MemberFactory(
        home=town.village_a,
        role=MemberRole.PARTY_MEMBER,
        is_exempt=True,
        exempt_reason=ExemptReason.OLD_INFIRM,
    )
    response = client.post(
        "/admin/members/link/add/",
        {
            "member": exempt.pk,
            "link_type": LinkType.PARTY_HOUSEHOLD,
            "household": town.ha2.pk,
            "start_date": "2024-01-01",
        },
    )
    assert response.status_code == 200
    assert "member" in response.context["adminform"].form.errors
    assert not Link.objects.filter(member=exempt).exists()


def test_the_rule_itself():
    assert (
        link_refusals(role=MemberRole.PARTY_MEMBER, is_exempt=False, link_type=LinkType.PARTY_HOUSEHOLD) == []
    )
    assert [
        f
        for f, _m in link_refusals(role=MemberRole.PARTY_MEMBER, is_exempt=True, link_type=LinkType.TOWN_GRID)
    ] == [
        "link_type",
        "member",
    ]
