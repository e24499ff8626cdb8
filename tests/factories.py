"""factory_boy factories shared by all tests. Apps above members add their own in tests/<app>/factories.py."""

import datetime

import factory
from django.contrib.auth import get_user_model

from grids.enums import DepartmentKind, PlaceKind
from grids.models import Department, Household, Place
from grids.validators import id_number_checksum
from members.enums import LinkType, MemberRole, PositionKind
from members.models import Link, Member, Position


def make_id_number(seq: int, birth: str = "19800101", region: str = "430124") -> str:
    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + id_number_checksum(first17)


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    kind = PlaceKind.TOWN
    name = factory.Sequence(lambda n: f"地点{n}")
    code = factory.Sequence(lambda n: f"P{n:06d}")
    parent = None


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    kind = DepartmentKind.TOWN_OFFICE
    name = factory.Sequence(lambda n: f"部门{n}")
    place = factory.SubFactory(PlaceFactory)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    code = factory.Sequence(lambda n: f"H{n:07d}")
    grid = factory.SubFactory(PlaceFactory, kind=PlaceKind.GRID4)
    head_name = factory.Sequence(lambda n: f"户主{n}")
    address = factory.Sequence(lambda n: f"某组{n}号")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    people_count = 3


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-12345")
    is_staff = False


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"党员{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    role = MemberRole.PARTY_MEMBER
    is_party_member = True
    home = factory.SubFactory(PlaceFactory, kind=PlaceKind.VILLAGE)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    member = factory.SubFactory(MemberFactory)
    kind = PositionKind.GRID_HEAD
    place = factory.SubFactory(PlaceFactory)
    start_date = datetime.date(2020, 1, 1)


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Link

    member = factory.SubFactory(MemberFactory)
    link_type = LinkType.PARTY_HOUSEHOLD
    household = factory.SubFactory(HouseholdFactory)
    start_date = datetime.date(2020, 1, 1)
