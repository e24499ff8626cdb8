"""A tiny town with two villages and one login per persona (docs/domain.md#places for the posts).

town 双凫铺镇
├─ village A ─ grid3 A1 ─ grid4 A1a ─ households ha1, ha2 (ha1 linked to member_a)
│                        └ grid4 A1b ─ household ha3 (no link)
└─ village B ─ grid3 B1 ─ grid4 B1a ─ household hb1 (linked to member_b)
"""

import datetime
from dataclasses import dataclass

from grids.enums import DepartmentKind, PlaceKind
from grids.models import Department, Household, Place
from members.enums import LinkType, MemberRole, PositionKind
from members.models import Link, Member

from .factories import (
    DepartmentFactory,
    HouseholdFactory,
    LinkFactory,
    MemberFactory,
    PlaceFactory,
    PositionFactory,
    UserFactory,
)

START = datetime.date(2020, 1, 1)


@dataclass
class Town:
    city: Place
    town: Place
    village_a: Place
    village_b: Place
    grid_a1: Place
    grid_a1a: Place
    grid_a1b: Place
    grid_b1: Place
    grid_b1a: Place
    ha1: Household
    ha2: Household
    ha3: Household
    hb1: Household
    department: Department
    other_department: Department
    centre: Department
    users: dict
    members: dict

    def user(self, persona: str):
        return self.users[persona]


def build_town() -> Town:
    city = PlaceFactory(kind=PlaceKind.CITY, name="宁乡市", code="C01")
    town = PlaceFactory(kind=PlaceKind.TOWN, name="双凫铺镇", code="T01", parent=city)
    village_a = PlaceFactory(kind=PlaceKind.VILLAGE, name="甲村", code="VA", parent=town)
    village_b = PlaceFactory(kind=PlaceKind.VILLAGE, name="乙村", code="VB", parent=town)
    grid_a1 = PlaceFactory(kind=PlaceKind.GRID3, name="甲村第一网格", code="GA1", parent=village_a)
    grid_a1a = PlaceFactory(kind=PlaceKind.GRID4, name="甲村一组", code="GA1a", parent=grid_a1)
    grid_a1b = PlaceFactory(kind=PlaceKind.GRID4, name="甲村二组", code="GA1b", parent=grid_a1)
    grid_b1 = PlaceFactory(kind=PlaceKind.GRID3, name="乙村第一网格", code="GB1", parent=village_b)
    grid_b1a = PlaceFactory(kind=PlaceKind.GRID4, name="乙村一组", code="GB1a", parent=grid_b1)
    ha1 = HouseholdFactory(grid=grid_a1a, head_name="张甲一", is_hardship=True)
    ha2 = HouseholdFactory(grid=grid_a1a, head_name="张甲二")
    ha3 = HouseholdFactory(grid=grid_a1b, head_name="张甲三")
    hb1 = HouseholdFactory(grid=grid_b1a, head_name="李乙一")
    department = DepartmentFactory(kind=DepartmentKind.TOWN_OFFICE, name="社会事务办", place=town)
    other_department = DepartmentFactory(kind=DepartmentKind.CITY_DEPT, name="市水利局", place=city)
    centre = DepartmentFactory(kind=DepartmentKind.CENTRE, name="网格化综合服务中心", place=town)
    DepartmentFactory(kind=DepartmentKind.DISCIPLINE, name="镇纪委", place=town)

    users: dict = {}
    members: dict = {}

    def persona(key, role, home, position=None, place=None, department=None, staff=False):
        user = UserFactory(username=key, is_staff=staff)
        member = MemberFactory(name=key, role=role, home=home, user=user)
        if position:
            PositionFactory(
                member=member, kind=position, place=place, department=department, start_date=START
            )
        users[key] = user
        members[key] = member
        return member

    persona("town_staff", MemberRole.TOWN_CADRE, town, PositionKind.CENTRE_STAFF, town, staff=True)
    persona("leader", MemberRole.TOWN_CADRE, town, PositionKind.LEADER, town, staff=True)
    persona("discipline", MemberRole.TOWN_CADRE, town, PositionKind.DISCIPLINE, town, staff=True)
    persona(
        "officer_a", MemberRole.VILLAGE_CADRE, village_a, PositionKind.VILLAGE_OFFICER, village_a, staff=True
    )
    persona(
        "officer_b", MemberRole.VILLAGE_CADRE, village_b, PositionKind.VILLAGE_OFFICER, village_b, staff=True
    )
    head = persona("grid_head_a1", MemberRole.TOWN_CADRE, town, PositionKind.GRID_HEAD, grid_a1, staff=True)
    persona("grid_head_b1", MemberRole.TOWN_CADRE, town, PositionKind.GRID_HEAD, grid_b1, staff=True)
    member_a = persona("member_a", MemberRole.PARTY_MEMBER, grid_a1a)
    member_b = persona("member_b", MemberRole.PARTY_MEMBER, grid_b1a)
    persona("handler", MemberRole.TOWN_CADRE, town, PositionKind.DEPT_HANDLER, town, department=department)
    persona(
        "other_handler",
        MemberRole.CITY_DEPT_HEAD,
        city,
        PositionKind.DEPT_HANDLER,
        city,
        department=other_department,
    )

    LinkFactory(member=member_a, household=ha1, link_type=LinkType.PARTY_HOUSEHOLD, start_date=START)
    LinkFactory(member=member_b, household=hb1, link_type=LinkType.PARTY_HOUSEHOLD, start_date=START)
    Link.objects.create(member=head, link_type=LinkType.TOWN_GRID, place=grid_a1, start_date=START)
    return Town(
        city=city,
        town=town,
        village_a=village_a,
        village_b=village_b,
        grid_a1=grid_a1,
        grid_a1a=grid_a1a,
        grid_a1b=grid_a1b,
        grid_b1=grid_b1,
        grid_b1a=grid_b1a,
        ha1=ha1,
        ha2=ha2,
        ha3=ha3,
        hb1=hb1,
        department=department,
        other_department=other_department,
        centre=centre,
        users=users,
        members=members,
    )


__all__ = ["Town", "build_town", "Member"]
