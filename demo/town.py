"""The demo town (演示数据): a realistic 双凫铺镇 under 宁乡市, or a city of many towns for benchmarks.

`demo_town_build` plans everything in memory first (places, households, members, who links to whom), then
writes each level with `bulk_create` in batches. Bulk inserts skip `save()`, so the materialized paths that
`Place.save()`, `Household.save()`, `Member.save()` and `Link.save()` would compute are filled in here:
places level by level (insert, then set `path`/`depth` from the returned pks), the rest copied from their place.

The pairing follows docs/domain.md#links so the link checks page shows no problem and full coverage:
city leaders / department heads link a village and 10 special households in it (the first city leader also
links the town); every town cadre links exactly one third-level grid and 10 key households in it (the grid's
head is one of them); village cadres and notables link 2–3 key households; party members, deputies and
volunteers link 10–15 neighbouring households each, so every household is covered; exempt members link nothing;
migrant party members are linked by a village cadre.

Everything is drawn from `random.Random(seed)`, so a seed gives the same town. Persona passwords come from
`secrets` and are returned once to the caller; they are stored only as hashes.
"""

from __future__ import annotations

import datetime
import os
import random
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from grids.crypto import id_number_hash
from grids.enums import DepartmentKind, PlaceKind
from grids.models import Department, Household, Place, path_segment
from grids.validators import id_number_checksum
from members.enums import ExemptReason, LinkType, MemberRole, PositionKind, VillageSubRole
from members.models import Link, Member, Position

START = datetime.date(2021, 1, 1)  # pairing (一一配对) was done in the preparation phase, Dec 2020
CITY_NAME = "宁乡市"
CITY_CODE = "430182"  # 宁乡市's administrative division code; also the region part of the demo ID numbers
BATCH = 2000

TOWN_NAMES = (
    "双凫铺镇 金洲镇 大成桥镇 夏铎铺镇 花明楼镇 道林镇 东湖塘镇 双江口镇 回龙铺镇 灰汤镇 "
    "老粮仓镇 流沙河镇 巷子口镇 龙田镇 沩山乡 青山桥镇 黄材镇 横市镇 坝塘镇 喻家坝镇 大屯营镇 "
    "煤炭坝镇 菁华铺乡 资福镇 历经铺街道 白马桥街道 玉潭街道 城郊街道 金玉街道 宁乡经开区"
).split()
FIRST_TOWN_VILLAGES = (
    "双凫铺社区 白鹤村 柳林江村 南田坪村 宁家坝村 汪家冲村 八角亭村 金沙村 龙塘村 石桥村 "
    "新桥社区 花园村 荷叶塘村 大屋村 长冲村 青山村"
).split()
VILLAGE_PREFIXES = (
    "白 石 枫 杉 竹 桃 荷 梅 松 柏 龙 凤 金 银 青 黄 长 大 新 双 东 南 西 北 上 下 高 平 团 合"
).split()
VILLAGE_SUFFIXES = (
    "山村 塘村 冲村 桥村 湾村 坪村 溪村 林村 田村 坝村 岭村 洲村 铺社区 园社区 泉村 峰村"
).split()
TOWN_OFFICES = (
    "党建办 社会治安和应急管理办 社会事务办 农业综合服务中心 财政所 派出所 综合行政执法大队 经济发展办"
).split()
STATIONED_UNITS = ["派出所", "供电所", "卫生院", "中心学校", "自然资源所"]
CENTRE_NAME = "网格化综合服务中心"
DISCIPLINE_NAME = "镇纪委"
CITY_DEPARTMENTS = (
    "市水利局 市住建局 市民政局 市农业农村局 市自然资源局 市人社局 市卫健局 市教育局 市交通运输局 "
    "市生态环境局"
).split()
# Common surnames around 宁乡, weighted by how often they occur.
SURNAMES = "".join(
    w[0] * int(w[1:])
    for w in (
        "刘9 周6 李6 王5 张5 陈5 彭4 谢4 黄4 杨3 易3 喻3 姜3 胡3 曾3 邓3 罗2 朱2 袁2 文2 戴2 廖2 贺2 龚2 肖2 唐2 何2 成1 汤1 鲁1 段1 陶1 蒋1 熊1 钟1 邹1"
    ).split()
)
GIVEN = (
    "建国志强伟军平红英芳秀兰桂春梅德福胜利海文武辉林云清玉金明华光荣安康宏斌超勇杰涛鹏飞霞丽敏静"
    "艳娟燕萍凤莲菊香洪波松柏正良友庆雄智思佳"
)
MOBILE_PREFIXES = (
    "133 135 136 137 138 139 150 151 152 157 158 159 173 177 180 181 182 183 186 187 188 189 199"
).split()
WORKING_AWAY = ["在广东东莞务工", "在浙江义乌经商", "在长沙务工", "在深圳务工", "在上海务工"]
CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 34 → 三十四 (for 1–99: villager groups and grids)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else CN_DIGITS[tens] + "十"
    return head + (CN_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class DemoSize:
    villages: int
    grid3: int
    grid4: int
    households: int
    city_leaders: int
    city_dept_heads: int
    # Posts held by town cadres who do not head a grid (each still links one grid and 10 key households).
    town_posts: tuple[tuple[str, str], ...]
    # Cadres beyond the grid heads and the posts above, linking a grid already headed by someone else.
    extra_cadres: int


_FULL_POSTS = (
    (PositionKind.LEADER, "党委书记"),
    (PositionKind.FIRST_DEPUTY, "党委副书记、镇长"),
    (PositionKind.EXEC_DEPUTY, "党委副书记"),
    (PositionKind.DEPUTY_LEADER, "党委委员、组织委员"),
    (PositionKind.DEPUTY_LEADER, "党委委员、政法委员"),
    (PositionKind.DEPUTY_LEADER, "副镇长"),
    (PositionKind.OFFICE_DIRECTOR, "网格化综合服务中心主任"),
    (PositionKind.CENTRE_STAFF, CENTRE_NAME),
    (PositionKind.CENTRE_STAFF, CENTRE_NAME),
    (PositionKind.CENTRE_STAFF, CENTRE_NAME),
    (PositionKind.DISCIPLINE, "纪委书记"),
    (PositionKind.DISCIPLINE, "纪委副书记"),
    *((PositionKind.DEPT_HANDLER, office) for office in TOWN_OFFICES),
)
SIZES = {
    # docs/domain.md#places: ~16 villages, ~60 third-level grids, ~400 fourth-level grids, ~15,000 households, ~80 cadres.
    "town": DemoSize(
        villages=16,
        grid3=60,
        grid4=400,
        households=15000,
        city_leaders=2,
        city_dept_heads=6,
        town_posts=_FULL_POSTS,
        extra_cadres=0,
    ),
    # For tests: two villages, a few hundred households, one of each post a persona needs.
    "small": DemoSize(
        villages=2,
        grid3=4,
        grid4=12,
        households=400,
        city_leaders=1,
        city_dept_heads=1,
        town_posts=(
            (PositionKind.LEADER, "党委书记"),
            (PositionKind.OFFICE_DIRECTOR, "网格化综合服务中心主任"),
            (PositionKind.CENTRE_STAFF, CENTRE_NAME),
            (PositionKind.DISCIPLINE, "纪委书记"),
            (PositionKind.DEPT_HANDLER, "社会事务办"),
        ),
        extra_cadres=0,
    ),
}
SIZES["city"] = SIZES["town"]  # a city is many towns of this size (--towns, 30 by default)

# Persona logins: (username, label, is_staff). Superuser only for town_admin.
PERSONAS = (
    ("town_admin", _("系统管理员(超级用户)"), True),
    ("centre", _("网格化综合服务中心工作人员"), True),
    ("leader", _("领导小组组长"), True),
    ("discipline", _("镇纪委"), True),
    ("officer", _("第一个村(社区)的专干"), True),
    ("gridhead", _("三级网格长(镇干部)"), True),
    ("gridhead4", _("四级网格长(村民小组长)"), True),
    ("member", _("联户党员"), False),
    ("villagecadre", _("村(社区)干部"), False),
    ("handler", _("镇线办经办人(社会事务办)"), False),
    ("cityhandler", _("市直部门经办人"), False),
    ("cityleader", _("联镇市领导"), False),
)


# Who may reveal a full phone or ID number (grids.reveal_personal_number, each reveal logged): the centre's
# designated staff only (the superuser has every permission). Nobody else, discipline commission included.
REVEAL_PERSONAS = frozenset({"centre"})


@dataclass
class PersonaLogin:
    username: str
    label: str
    member_name: str
    password: str


@dataclass
class DemoResult:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[PersonaLogin] = field(default_factory=list)
    skipped: bool = False


class DemoError(Exception):
    """The demo cannot be built here (it exists already, or a persona username is taken)."""


def _split(total: int, parts: int, rng: random.Random, spread: float = 0.35) -> list[int]:
    """`parts` positive integers summing exactly to `total`, varying around the mean."""
    weights = [rng.uniform(1 - spread, 1 + spread) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    i = 0
    while sum(counts) < total:
        counts[i % parts] += 1
        i += 1
    while sum(counts) > total:
        if counts[i % parts] > 1:
            counts[i % parts] -= 1
        i += 1
    return counts


def _is_special(h: Household) -> bool:
    return h.is_hardship or h.is_disability or h.is_elderly_alone or h.is_left_behind or h.is_key


def _is_category(h: Household) -> bool:
    """The four categories a city leader's 10 households come from."""
    return h.is_hardship or h.is_disability or h.is_elderly_alone or h.is_left_behind


@dataclass
class _Grid3:
    place: Place
    village: Place
    grid4s: list[Place]
    households: list[Household] = field(default_factory=list)


class _TownBuilder:
    """Plans and writes one town. Shares the id/phone registries of the whole run to keep them unique."""

    def __init__(self, run: _Run, index: int, town_name: str) -> None:
        self.run = run
        self.rng = random.Random(f"{run.seed}-{index}")
        self.size = run.size
        self.index = index
        self.town_name = town_name
        self.members: list[Member] = []
        self.positions: list[tuple[Member, str, Place, Department | None]] = []
        # (member, link_type, target); target is a Place, a Household or a (migrant) Member.
        self.links: list[tuple[Member, str, object]] = []
        self.linked: set[int] = set()  # id() of planned households someone links
        self.personas: dict[str, Member] = {}

    # --- places ------------------------------------------------------------------------------------

    def _insert_level(self, objs: list[Place]) -> list[Place]:
        Place.objects.bulk_create(objs, batch_size=BATCH)
        for obj in objs:
            obj.path = obj.parent.path + path_segment(obj.pk)
            obj.depth = obj.path.count("/") - 1
        Place.objects.bulk_update(objs, ["path", "depth"], batch_size=500)
        return objs

    def build_places(self) -> None:
        rng, size = self.rng, self.size
        city = self.run.city
        code = f"{CITY_CODE}{self.index + 1:03d}"
        (self.town,) = self._insert_level(
            [Place(kind=PlaceKind.TOWN, name=self.town_name, code=code, parent=city)]
        )
        names = self._village_names()
        villages = self._insert_level(
            [
                Place(kind=PlaceKind.VILLAGE, name=name, code=f"{code}{v + 1:03d}", parent=self.town)
                for v, name in enumerate(names)
            ]
        )
        grid3_counts = _split(size.grid3, size.villages, rng, spread=0.2)
        grid3s = self._insert_level(
            [
                Place(
                    kind=PlaceKind.GRID3,
                    name=f"{village.name}第{cn_number(g + 1)}网格",
                    code=f"{village.code}{g + 1:02d}",
                    parent=village,
                )
                for village, n in zip(villages, grid3_counts, strict=True)
                for g in range(n)
            ]
        )
        grid4_counts = _split(size.grid4, len(grid3s), rng, spread=0.3)
        group_no: dict[int, int] = {}
        grid4_plan = []
        for grid3, n in zip(grid3s, grid4_counts, strict=True):
            for g in range(n):
                no = group_no[grid3.parent_id] = group_no.get(grid3.parent_id, 0) + 1
                place = Place(
                    kind=PlaceKind.GRID4,
                    name=f"{grid3.parent.name}{cn_number(no)}组",
                    code=f"{grid3.code}{g + 1:02d}",
                    parent=grid3,
                )
                grid4_plan.append(place)
        grid4s = self._insert_level(grid4_plan)
        self.villages = villages
        by_grid3: dict[int, _Grid3] = {g.pk: _Grid3(place=g, village=g.parent, grid4s=[]) for g in grid3s}
        for g4 in grid4s:
            by_grid3[g4.parent_id].grid4s.append(g4)
        self.grid3s = [by_grid3[g.pk] for g in grid3s]
        self.grid4s = grid4s

    def _village_names(self) -> list[str]:
        n = self.size.villages
        if self.index == 0:
            return FIRST_TOWN_VILLAGES[:n]
        names: list[str] = []
        while len(names) < n:
            name = (
                self.rng.choice(VILLAGE_PREFIXES)
                + self.rng.choice(VILLAGE_PREFIXES)
                + self.rng.choice(VILLAGE_SUFFIXES)
            )
            if name not in names:
                names.append(name)
        return names

    def build_departments(self) -> None:
        depts = [Department(kind=DepartmentKind.TOWN_OFFICE, name=n, place=self.town) for n in TOWN_OFFICES]
        depts.append(Department(kind=DepartmentKind.CENTRE, name=CENTRE_NAME, place=self.town))
        depts.append(Department(kind=DepartmentKind.DISCIPLINE, name=DISCIPLINE_NAME, place=self.town))
        Department.objects.bulk_create(depts)
        self.departments = {d.name: d for d in depts}

    # --- households ----------------------------------------------------------------------------------

    def plan_households(self) -> None:
        rng = self.rng
        per_grid4 = _split(self.size.households, len(self.grid4s), rng, spread=0.45)
        counts = dict(zip((g.pk for g in self.grid4s), per_grid4, strict=True))
        lat0, lon0 = 28.03 + rng.uniform(-0.3, 0.3), 112.25 + rng.uniform(-0.3, 0.3)
        for grid3 in self.grid3s:
            for g4 in grid3.grid4s:
                glat, glon = lat0 + rng.uniform(-0.06, 0.06), lon0 + rng.uniform(-0.06, 0.06)
                for number in range(1, counts[g4.pk] + 1):
                    grid3.households.append(self._household(g4, number, glat, glon))

    def _household(self, grid4: Place, number: int, glat: float, glon: float) -> Household:
        rng = self.rng
        elderly = rng.random() < 0.03
        people = 1 if elderly else rng.choices([1, 2, 3, 4, 5, 6], weights=[6, 18, 26, 26, 16, 8])[0]
        return Household(
            code=f"{grid4.code}{number:03d}",
            grid=grid4,
            path=grid4.path,
            head_name=self.run.name(rng),
            address=f"{grid4.name}{number}号",
            phone=self.run.mobile(rng, unique=False),
            id_number=self.run.id_number(rng, elderly=elderly) if rng.random() < 0.6 else "",
            people_count=people,
            is_hardship=rng.random() < 0.03,
            is_disability=rng.random() < 0.02,
            is_elderly_alone=elderly,
            is_left_behind=rng.random() < 0.03,
            is_key=rng.random() < 0.06,
            latitude=Decimal(f"{glat + rng.uniform(-0.004, 0.004):.6f}"),
            longitude=Decimal(f"{glon + rng.uniform(-0.004, 0.004):.6f}"),
        )

    def _take(self, pool: Iterable[Household], n: int, *, city: bool = False) -> list[Household]:
        """n distinct households from `pool` for one member, preferring ones nobody links yet.

        Town and village links want key households (any category or flagged key); when the grid runs
        short, an ordinary unlinked household is flagged key (the grid may do so) before sharing one.
        City leaders want the four categories; they share a household before anything is flagged, and
        only as a last resort is an ordinary household marked as hardship.
        """
        wanted = _is_category if city else _is_special
        is_linked = self.linked.__contains__
        passes = [lambda h: wanted(h) and not is_linked(id(h))]
        if city:
            passes += [wanted, lambda h: not is_linked(id(h)), lambda h: True]
        else:
            passes += [lambda h: not is_linked(id(h)), wanted, lambda h: True]
        pool = list(pool)
        taken: list[Household] = []
        chosen: set[int] = set()
        for accept in passes:
            for h in pool:
                if len(taken) == n:
                    break
                if id(h) not in chosen and accept(h):
                    if not wanted(h):
                        if city:
                            h.is_hardship = True
                        else:
                            h.is_key = True  # the grid flags it as a key household (重点户)
                    taken.append(h)
                    chosen.add(id(h))
            if len(taken) == n:
                break
        self.linked.update(chosen)
        return taken

    # --- members -------------------------------------------------------------------------------------

    def _member(self, role: str, home: Place, *, unit: str = "", subrole: str = "", party: bool = True, **kw):
        member = Member(
            name=self.run.name(self.rng),
            phone=self.run.mobile(self.rng, unique=True),
            role=role,
            village_subrole=subrole,
            is_party_member=party,
            home=home,
            unit=unit,
            **kw,
        )
        self.members.append(member)
        return member

    def _link_households(self, member: Member, link_type: str, households: list[Household]) -> None:
        self.links.extend((member, link_type, h) for h in households)

    def plan_city_members(self) -> None:
        size, run = self.size, self.run
        village_order = list(self.villages)
        people = [(MemberRole.CITY_LEADER, "宁乡市人民政府副市长", None) for _ in range(size.city_leaders)]
        for i in range(size.city_dept_heads):
            dept = run.city_departments[(self.index * size.city_dept_heads + i) % len(run.city_departments)]
            people.append((MemberRole.CITY_DEPT_HEAD, f"{dept.name}局长", dept))
        for i, (role, unit, dept) in enumerate(people):
            member = self._member(role, run.city, unit=unit)
            village = village_order[i % len(village_order)]
            self.links.append((member, LinkType.CITY_VILLAGE, village))
            pool = (h for g in self.grid3s if g.village is village for h in g.households)
            self._link_households(member, LinkType.CITY_HOUSEHOLD, self._take(pool, 10, city=True))
            if i == 0:
                self.links.append((member, LinkType.CITY_TOWN, self.town))
                self.personas.setdefault("cityleader", member)
                # The city tier: this leader also holds the city leader's post (the whole city, read-only:
                # /reports/city/); their 联点 town is seen in full through the link.
                self.positions.append((member, PositionKind.CITY_LEADER, run.city, None))
            if dept is not None:
                self.positions.append((member, PositionKind.DEPT_HANDLER, run.city, dept))
                self.personas.setdefault("cityhandler", member)

    def plan_town_cadres(self) -> None:
        size, rng = self.size, self.rng
        heads = list(self.grid3s)
        n_posts = len(size.town_posts)
        others = [rng.choice(self.grid3s) for _ in range(n_posts + size.extra_cadres)]
        stationed_heads = set(rng.sample(range(len(heads)), k=min(len(heads), max(0, len(heads) // 8))))
        for i, grid3 in enumerate(heads + others):
            role, unit = MemberRole.TOWN_CADRE, rng.choice(TOWN_OFFICES)
            post = size.town_posts[i - len(heads)] if len(heads) <= i < len(heads) + n_posts else None
            if post is not None:
                unit = post[1]
                if post[0] == PositionKind.DEPT_HANDLER and post[1] == "派出所":
                    role = MemberRole.STATIONED_CADRE
            elif i in stationed_heads:
                role, unit = MemberRole.STATIONED_CADRE, rng.choice(STATIONED_UNITS)
            member = self._member(role, self.town, unit=unit)
            self.links.append((member, LinkType.TOWN_GRID, grid3.place))
            self._link_households(
                member,
                LinkType.TOWN_HOUSEHOLD,
                self._take(grid3.households, 10),
            )
            if i < len(heads):
                self.positions.append((member, PositionKind.GRID_HEAD, grid3.place, None))
                if grid3 is self.grid3s[0]:
                    self.personas["gridhead"] = member
            elif post is not None:
                kind, dept = post[0], None
                if kind == PositionKind.DEPT_HANDLER:
                    dept = self.departments[post[1]]
                self.positions.append((member, kind, self.town, dept))
                persona = {
                    PositionKind.LEADER: "leader",
                    PositionKind.OFFICE_DIRECTOR: "town_admin",
                    PositionKind.CENTRE_STAFF: "centre",
                    PositionKind.DISCIPLINE: "discipline",
                }.get(kind)
                if kind == PositionKind.DEPT_HANDLER and post[1] == "社会事务办":
                    persona = "handler"
                if persona:
                    self.personas.setdefault(persona, member)

    def plan_village_members(self) -> None:
        rng = self.rng
        self.group_leaders: dict[int, Member] = {}
        for village in self.villages:
            grids = [g for g in self.grid3s if g.village is village]
            roster = [(VillageSubRole.CADRE, True)] * 5 + [
                (VillageSubRole.AUX_POLICE, rng.random() < 0.5),
                (VillageSubRole.RESERVE, rng.random() < 0.7),
                (VillageSubRole.REPRESENTATIVE, rng.random() < 0.5),
                (VillageSubRole.PARTY_GROUP_LEADER, True),
            ]
            cadres = []
            for j, (subrole, party) in enumerate(roster):
                grid3 = grids[j % len(grids)]
                member = self._member(
                    MemberRole.VILLAGE_CADRE, village, subrole=subrole, party=party, unit=village.name
                )
                cadres.append(member)
                households = self._take(grid3.households, rng.choice([2, 3]))
                self._link_households(member, LinkType.VILLAGE_HOUSEHOLD, households)
            self.positions.append((cadres[0], PositionKind.VILLAGE_OFFICER, village, None))
            if village is self.villages[0]:
                self.personas["officer"] = cadres[0]
                self.personas["villagecadre"] = cadres[1]
            # A migrant party member from this village, kept in touch with by a village cadre.
            migrant = self._member(
                MemberRole.PARTY_MEMBER,
                rng.choice(rng.choice(grids).grid4s),
                unit=rng.choice(WORKING_AWAY),
                is_migrant=True,
            )
            self.links.append((cadres[1], LinkType.MIGRANT, migrant))
            for _n in range(2):
                grid3 = rng.choice(grids)
                notable = self._member(MemberRole.NOTABLE, rng.choice(grid3.grid4s), party=rng.random() < 0.3)
                households = self._take(grid3.households, rng.choice([2, 3]))
                self._link_households(notable, LinkType.VILLAGE_HOUSEHOLD, households)
            # Villager-group leaders head most fourth-level grids (the first of each grid always).
            for grid3 in grids:
                for k, g4 in enumerate(grid3.grid4s):
                    if k == 0 or rng.random() < 0.55:
                        self._group_leader(grid3, g4)

    def _group_leader(self, grid3: _Grid3, g4: Place) -> Member:
        leader = self._member(
            MemberRole.VILLAGE_CADRE,
            g4,
            subrole=VillageSubRole.GROUP_LEADER,
            party=self.rng.random() < 0.6,
            unit=g4.name,
        )
        own = [h for h in grid3.households if h.grid is g4]
        rest = [h for h in grid3.households if h.grid is not g4]
        households = self._take(own + rest, self.rng.choice([2, 3]))
        self._link_households(leader, LinkType.VILLAGE_HOUSEHOLD, households)
        self.group_leaders[g4.pk] = leader
        self.positions.append((leader, PositionKind.GRID_HEAD, g4, None))
        if g4 is self.grid3s[0].grid4s[0]:
            self.personas["gridhead4"] = leader
        return leader

    def plan_party_members(self) -> None:
        """Split each grid's unlinked households, in address order, into runs of 10–15 for party members."""
        rng = self.rng
        for grid3 in self.grid3s:
            rest = [h for h in grid3.households if id(h) not in self.linked]
            chunks = self._chunks(rest)
            holders: list[tuple[Member, list[Household]]] = []
            for chunk in chunks:
                if len(chunk) < 10:  # a tiny remainder: pad with neighbours someone else links as well
                    ids = {id(h) for h in chunk}
                    chunk = chunk + [h for h in grid3.households if id(h) not in ids][: 10 - len(chunk)]
                roll = rng.random()
                role = MemberRole.DEPUTY if roll < 0.04 else MemberRole.VOLUNTEER if roll < 0.06 else None
                member = self._member(
                    role or MemberRole.PARTY_MEMBER,
                    chunk[len(chunk) // 2].grid,
                    party=role != MemberRole.VOLUNTEER,
                    unit="宁乡市人大代表" if role == MemberRole.DEPUTY else "",
                )
                self.linked.update(id(h) for h in chunk)
                self._link_households(member, LinkType.PARTY_HOUSEHOLD, chunk)
                holders.append((member, chunk))
                if grid3 is self.grid3s[0] and role is None:
                    self.personas.setdefault("member", member)
            # Fourth-level grids without a group leader are headed by a party member living there.
            for g4 in grid3.grid4s:
                if g4.pk in self.group_leaders:
                    continue
                head = next((m for m, _c in holders if m.home is g4), None)
                if head is None:
                    head = next((m for m, c in holders if any(h.grid is g4 for h in c)), None)
                    if head is not None:
                        head.home = g4
                if head is None:
                    self._group_leader(grid3, g4)
                else:
                    self.positions.append((head, PositionKind.GRID_HEAD, g4, None))

    @staticmethod
    def _chunks(households: list[Household]) -> list[list[Household]]:
        total = len(households)
        if total == 0:
            return []
        k = max(1, round(total / 13))
        while total / k > 15:
            k += 1
        while k > 1 and total / k < 10:
            k -= 1
        base, extra = divmod(total, k)
        chunks, start = [], 0
        for i in range(k):
            n = base + (1 if i < extra else 0)
            chunks.append(households[start : start + n])
            start += n
        return chunks

    def plan_exempt_members(self) -> None:
        rng = self.rng
        party = sum(1 for m in self.members if m.role == MemberRole.PARTY_MEMBER)
        for _n in range(round(party * 0.04)):
            reason = rng.choice([ExemptReason.OLD_INFIRM, ExemptReason.WORKING_AWAY])
            self._member(
                MemberRole.PARTY_MEMBER,
                rng.choice(self.grid4s),
                is_exempt=True,
                exempt_reason=reason,
                exempt_note="年逾八十,行动不便"
                if reason == ExemptReason.OLD_INFIRM
                else rng.choice(WORKING_AWAY),
            )

    # --- writing -------------------------------------------------------------------------------------

    def write(self) -> None:
        households = [h for g in self.grid3s for h in g.households]
        Household.objects.bulk_create(households, batch_size=BATCH)
        for m in self.members:
            m.path = m.home.path
        Member.objects.bulk_create(self.members, batch_size=BATCH)
        Position.objects.bulk_create(
            [
                Position(member=m, kind=kind, place=place, department=dept, start_date=START)
                for m, kind, place, dept in self.positions
            ],
            batch_size=BATCH,
        )
        links = []
        for member, link_type, target in self.links:
            link = Link(member=member, link_type=link_type, path=target.path, start_date=START)
            if isinstance(target, Household):
                link.household = target
            elif isinstance(target, Member):
                link.migrant = target
            else:
                link.place = target
            links.append(link)
        Link.objects.bulk_create(links, batch_size=BATCH)

    def build(self) -> None:
        self.build_places()
        self.build_departments()
        self.plan_households()
        self.plan_city_members()
        self.plan_town_cadres()
        self.plan_village_members()
        self.plan_party_members()
        self.plan_exempt_members()
        self.write()


class _Run:
    """State shared by every town of one build: the seed, the city, and registries that keep numbers unique."""

    def __init__(self, *, size: DemoSize, seed: int) -> None:
        self.size = size
        self.seed = seed
        self.rng = random.Random(seed)
        # ID numbers are stored encrypted: compare keyed hashes (grids/crypto.py), nothing is decrypted.
        self.id_hashes: set[str] = set(
            Household.objects.exclude(id_number_hash="").values_list("id_number_hash", flat=True)
        )
        self.phones: set[str] = set(Member.objects.exclude(phone="").values_list("phone", flat=True))

    def name(self, rng: random.Random) -> str:
        surname = "欧阳" if rng.random() < 0.005 else rng.choice(SURNAMES)
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
        return surname + given

    def mobile(self, rng: random.Random, *, unique: bool) -> str:
        while True:
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if not unique:
                return phone
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def id_number(self, rng: random.Random, *, elderly: bool) -> str:
        while True:
            year = rng.randint(1930, 1950) if elderly else rng.randint(1945, 1998)
            birth = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
            first17 = f"{CITY_CODE}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            number = first17 + id_number_checksum(first17)
            hashed = id_number_hash(number)
            if hashed not in self.id_hashes:
                self.id_hashes.add(hashed)
                return number

    def build_city(self) -> None:
        self.city = Place(kind=PlaceKind.CITY, name=CITY_NAME, code=CITY_CODE)
        Place.objects.bulk_create([self.city])
        self.city.path = "/" + path_segment(self.city.pk)
        self.city.depth = 1
        Place.objects.filter(pk=self.city.pk).update(path=self.city.path, depth=1)
        self.city_departments = Department.objects.bulk_create(
            [Department(kind=DepartmentKind.CITY_DEPT, name=n, place=self.city) for n in CITY_DEPARTMENTS]
        )


def _create_logins(personas: dict[str, Member]) -> list[PersonaLogin]:
    """A user per persona with a random password, hashed with the configured (slow, by design) hasher.

    The hashes are computed in threads: PBKDF2 releases the GIL, so 12 of them take a fraction of the time.
    """
    User = get_user_model()
    wanted = [
        (username, label, staff, personas[username])
        for username, label, staff in PERSONAS
        if username in personas
    ]
    passwords = [secrets.token_urlsafe(12) for _ in wanted]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        hashes = list(pool.map(make_password, passwords))
    logins = []
    for (username, label, staff, member), password, hashed in zip(wanted, passwords, hashes, strict=True):
        user = User(username=username, first_name=member.name, is_staff=staff, password=hashed)
        user.is_superuser = username == "town_admin"
        user.save()
        if username in REVEAL_PERSONAS:
            user.user_permissions.add(Permission.objects.get(codename="reveal_personal_number"))
        Member.objects.filter(pk=member.pk).update(user=user)
        member.user = user
        logins.append(
            PersonaLogin(username=username, label=str(label), member_name=member.name, password=password)
        )
    return logins


def demo_counts(*, city: Place) -> dict[str, int]:
    """What the demo holds under `city`, counted in the database."""
    places = dict(Place.objects.under(city).values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    households = Household.objects.under(city).aggregate(
        households=Count("id"),
        with_id_number=Count("id", filter=~Q(id_number="")),
        hardship=Count("id", filter=Q(is_hardship=True)),
        disability=Count("id", filter=Q(is_disability=True)),
        elderly_alone=Count("id", filter=Q(is_elderly_alone=True)),
        left_behind=Count("id", filter=Q(is_left_behind=True)),
        key=Count("id", filter=Q(is_key=True)),
    )
    members = Member.objects.filter(path__startswith=city.path).aggregate(
        members=Count("id"),
        town_cadres=Count("id", filter=Q(role__in=[MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE])),
        village_cadres=Count("id", filter=Q(role=MemberRole.VILLAGE_CADRE)),
        party_members=Count("id", filter=Q(role__in=[MemberRole.PARTY_MEMBER, MemberRole.DEPUTY])),
        exempt=Count("id", filter=Q(is_exempt=True)),
        migrant=Count("id", filter=Q(is_migrant=True)),
    )
    return {
        "towns": places.get(PlaceKind.TOWN, 0),
        "villages": places.get(PlaceKind.VILLAGE, 0),
        "grid3": places.get(PlaceKind.GRID3, 0),
        "grid4": places.get(PlaceKind.GRID4, 0),
        **households,
        **members,
        "positions": Position.objects.filter(member__path__startswith=city.path).count(),
        "links": Link.objects.filter(member__path__startswith=city.path).count(),
        "departments": Department.objects.filter(place__path__startswith=city.path).count(),
    }


def demo_town_build(
    *, size: str = "town", towns: int = 1, seed: int = 2021, if_empty: bool = False, logins: bool = True
) -> DemoResult:
    """Build the demo city 宁乡市 with `towns` towns (双凫铺镇 first) of the given size, and persona logins.

    Side effects: inserts places, departments, households, members, positions, links and (if `logins`)
    12 users for the first town's personas, all in one transaction. Returns the counts and the persona
    passwords, which are not kept anywhere else. With `if_empty`, does nothing if any place exists.
    Raises DemoError if the demo city or a persona username already exists.
    """
    if size not in SIZES:
        raise DemoError(_("未知的规模:%(size)s") % {"size": size})
    if towns < 1 or towns > len(TOWN_NAMES) * 10:
        raise DemoError(_("镇的数量应在 1 到 %(max)d 之间") % {"max": len(TOWN_NAMES) * 10})
    if if_empty and Place.objects.exists():
        return DemoResult(skipped=True)
    if Place.objects.filter(code=CITY_CODE).exists():
        raise DemoError(_("演示数据已存在(宁乡市)"))
    if logins:
        taken = list(
            get_user_model()
            .objects.filter(username__in=[p[0] for p in PERSONAS])
            .values_list("username", flat=True)
        )
        if taken:
            raise DemoError(_("用户名已被占用:%(names)s") % {"names": ", ".join(sorted(taken))})
    with transaction.atomic():
        run = _Run(size=SIZES[size], seed=seed)
        run.build_city()
        first_personas: dict[str, Member] = {}
        for index in range(towns):
            base = TOWN_NAMES[index % len(TOWN_NAMES)]
            name = (
                base
                if index < len(TOWN_NAMES)
                else f"{base[:-1]}{cn_number(index // len(TOWN_NAMES) + 1)}{base[-1]}"
            )
            builder = _TownBuilder(run, index, name)
            builder.build()
            if index == 0:
                first_personas = builder.personas
        result = DemoResult(logins=_create_logins(first_personas) if logins else [])
        result.counts = demo_counts(city=run.city)
    return result
