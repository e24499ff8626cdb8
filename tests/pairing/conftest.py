import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from grids.enums import PlaceKind
from members.enums import LinkType, MemberRole, PositionKind, VillageSubRole

from ..factories import HouseholdFactory, MemberFactory, PlaceFactory, PositionFactory, UserFactory

START = datetime.date(2021, 1, 1)


@dataclass
class Village:
    town: object
    village: object
    grid3: object
    groups: list
    households: dict = field(default_factory=dict)  # group index -> [households]
    party: list = field(default_factory=list)
    cadres: list = field(default_factory=list)
    staff: object = None
    officer: object = None


def build_village(*, code="V", per_group=(12, 12), party_per_group=1, cadres=1, key=(0, 6), town=None):
    """A village with one third-level grid, len(per_group) groups ~2 km apart, households and members.

    key=(group, n): the first n households of that group are hardship households (key); the rest ordinary.
    """
    if town is None:
        city = PlaceFactory(kind=PlaceKind.CITY, name=f"市{code}", code=f"C{code}")
        town = PlaceFactory(kind=PlaceKind.TOWN, name=f"镇{code}", code=f"T{code}", parent=city)
    village = PlaceFactory(kind=PlaceKind.VILLAGE, name=f"{code}村", code=f"{code}V", parent=town)
    grid3 = PlaceFactory(kind=PlaceKind.GRID3, name=f"{code}村第一网格", code=f"{code}G3", parent=village)
    v = Village(town=town, village=village, grid3=grid3, groups=[])
    for g, n in enumerate(per_group):
        group = PlaceFactory(
            kind=PlaceKind.GRID4, name=f"{code}村{g + 1}组", code=f"{code}G4{g}", parent=grid3
        )
        v.groups.append(group)
        lat = Decimal("28.00000") + Decimal("0.02") * g
        v.households[g] = [
            HouseholdFactory(
                grid=group,
                head_name=f"{code}户{g}-{i}",
                is_hardship=(g == key[0] and i < key[1]),
                latitude=lat + Decimal("0.0001") * i,
                longitude=Decimal("112.00000"),
            )
            for i in range(n)
        ]
        for k in range(party_per_group):
            v.party.append(
                MemberFactory(
                    name=f"{code}党员{g}-{k}",
                    role=MemberRole.PARTY_MEMBER,
                    home=group,
                    latitude=lat,
                    longitude=Decimal("112.00000"),
                )
            )
    for k in range(cadres):
        v.cadres.append(
            MemberFactory(
                name=f"{code}村干部{k}",
                role=MemberRole.VILLAGE_CADRE,
                village_subrole=VillageSubRole.CADRE,
                home=v.groups[0],
            )
        )
    return v


@pytest.fixture
def village(db):
    return build_village()


def staff_for(town, name="staff"):
    user = UserFactory(username=name)
    member = MemberFactory(name=name, role=MemberRole.TOWN_CADRE, home=town, user=user)
    PositionFactory(member=member, kind=PositionKind.CENTRE_STAFF, place=town)
    return user


def officer_for(village, name="officer"):
    user = UserFactory(username=name)
    member = MemberFactory(
        name=name,
        role=MemberRole.VILLAGE_CADRE,
        home=village,
        user=user,
        is_exempt=True,
        exempt_reason="old_infirm",
    )
    PositionFactory(member=member, kind=PositionKind.VILLAGE_OFFICER, place=village)
    return user


__all__ = ["START", "LinkType", "build_village", "staff_for", "officer_for"]
