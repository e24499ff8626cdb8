"""python manage.py demo_activity [--if-empty] [--seed N] [--months N]

Months of activity for the demo town (demo/town.py builds places, households, members and links only):
contacts, issues taken through the escalation ladder, dispatch orders and this month's task lists, so
dashboards, compliance pages and 任务清单 show a realistic mix instead of "everything overdue" or "not yet made".

Contacts are planned in memory and written with `bulk_create` (tens of thousands of rows), filling the same
fields, counting rows (ContactHousehold with the link it counts towards) and "create" revisions as
`visits.services.contact_record`; bulk inserts fire no signals, so `visits.tallies.tallies_rebuild()` recounts
the tallies afterwards. Of the household links ~75 % meet both household rules (a home visit this quarter, a
contact every month), ~15 % fall behind (this month missing → due; last month missing as well → overdue) and
~10 % have no contact at all. Town cadres go down to their grid most weeks, a few yard meetings reach several
households each, and city leaders hold on-site days.

Issues, dispatch orders and return visits go through the real services (issues.services, dispatch.services,
visits.services) with the users of the members who act, so events, deadlines and notifications are what the
app itself would write. Each service is given the moment the step happened in the story (`now=`, never later
than the real now), which it uses for its stamps, deadlines and checks instead of the current time. Members who act but have no login
get one with an unusable password (nobody can sign in with it until an administrator sets one).
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from dispatch.models import OrderRecipient
from dispatch.services import order_acknowledge, order_issue, order_report_done
from grids.enums import DepartmentKind, PlaceKind
from grids.models import Department, Household, Place
from grids.paths import ancestors
from issues.enums import AssignmentStatus, IssueKind, IssueLevel, Satisfaction, Urgency, WhistleKind
from issues.models import Issue, IssueCategory, IssueEvent
from issues.services import (
    IssueError,
    assignment_accept,
    assignment_reply,
    assignment_send_back,
    issue_escalate,
    issue_feedback_record,
    issue_raise,
    issue_resolve,
    issue_return_to_department,
    issue_supervise,
    issue_whistle,
)
from members.enums import LinkType, PositionKind
from members.models import Link, Member, Position
from visits.enums import DUTY_FIELDS, ContactKind, Duty, Period, RevisionAction, Status
from visits.models import (
    Contact,
    ContactHousehold,
    ContactMonthTally,
    ContactRevision,
    LastContact,
    LinkTally,
)
from visits.periods import TZ, local_date, local_midnight, period_bounds
from visits.selectors import annotate_compliance, rule_groups
from visits.services import contact_record
from visits.tallies import tallies_rebuild

INSERT_CHUNK = 5000
HOUSEHOLD_LINK_TYPES = (
    LinkType.CITY_HOUSEHOLD,
    LinkType.TOWN_HOUSEHOLD,
    LinkType.VILLAGE_HOUSEHOLD,
    LinkType.PARTY_HOUSEHOLD,
)
ISSUES = 60

# --- texts ---------------------------------------------------------------------------------------------

OPENINGS = {
    ContactKind.HOME_VISIT: ["入户走访,", "到户主家中走访,", "上门看望,", "入户拉家常,"],
    ContactKind.ONLINE: ["电话联系户主,", "微信视频问候,", "通过微信群联系,", "电话回访,"],
    ContactKind.GRID_SINKDOWN: ["下沉网格,", "到网格走村串户,", "在网格内巡查,"],
    ContactKind.ONSITE: ["蹲点现场办公,", "到村现场办公,", "召开现场办公会,"],
    ContactKind.YARD_MEETING: ["召开屋场夜话,", "在组上晒谷坪开屋场夜话,", "组织屋场会,"],
}
PHRASES = {
    Duty.POLICY: [
        "宣传了城乡居民医保缴费政策",
        "宣传了森林防火和禁止野外用火",
        "讲解了防范电信诈骗知识",
        "宣传了防汛防溺水安全知识",
        "讲解了村规民约和移风易俗要求",
        "宣传了冬季用电用火安全",
        "讲解了耕地保护政策",
    ],
    Duty.OPINION: [
        "了解到群众对村道硬化进度比较关心",
        "听取了对村集体经济发展的意见",
        "群众对人居环境整治成效表示满意",
        "了解了家庭生产生活近况,总体稳定",
        "听取了对村务公开的意见建议",
    ],
    Duty.DEMANDS: [
        "收集到自来水水压不足的诉求",
        "户主希望增设路灯",
        "收集到孩子上学接送的困难",
        "老人希望帮忙办理养老认证",
        "户主咨询了危房改造申请条件",
    ],
    Duty.DISPUTES: [
        "排查了房屋用电线路老化隐患",
        "调解了邻里之间的排水纠纷",
        "排查了房前屋后地质灾害隐患",
        "化解了家庭赡养方面的小矛盾",
    ],
    Duty.SUPERVISION: [
        "核查了惠民补贴发放到位情况",
        "了解了低保评议公开情况",
        "检查了网格内垃圾清运落实情况",
        "督促村里落实了防溺水巡查",
    ],
}
# Which duties each kind of contact tends to serve (weights in Duty order).
DUTY_WEIGHTS = {
    ContactKind.HOME_VISIT: [5, 6, 4, 2, 1],
    ContactKind.ONLINE: [3, 6, 3, 1, 1],
    ContactKind.GRID_SINKDOWN: [3, 3, 2, 3, 5],
    ContactKind.ONSITE: [3, 3, 3, 2, 5],
    ContactKind.YARD_MEETING: [6, 5, 5, 2, 2],
}
DUTIES = list(Duty)

# (category, kind, urgency, description, on-the-spot result, grid result, village result, department result)
PROBLEMS = [
    (
        "基础设施",
        IssueKind.PROBLEM,
        Urgency.NORMAL,
        "组上通组公路有一段路基塌陷,雨天车辆无法通行",
        "",
        "组织组上劳力填筑碎石临时通行",
        "村里安排资金对塌陷路段进行修复",
        "交通部门已将该路段纳入今年修复计划并完成修复",
    ),
    (
        "环境卫生",
        IssueKind.PROBLEM,
        Urgency.NORMAL,
        "屋后排水沟淤塞,雨后污水漫到路面",
        "当场和户主一起清理了沟渠",
        "网格组织保洁员疏通了水沟",
        "村里安排人员疏浚并硬化了沟渠",
        "已安排清淤并纳入人居环境整治",
    ),
    (
        "社会保障",
        IssueKind.DEMAND,
        Urgency.NORMAL,
        "老人异地就医报销手续不会办理,希望得到帮助",
        "当场指导在手机上完成了异地就医备案",
        "网格员上门帮助办理了备案",
        "村专干代办了报销手续",
        "医保部门已完成报销并电话告知",
    ),
    (
        "社会保障",
        IssueKind.DEMAND,
        Urgency.NORMAL,
        "家中主要劳动力因病丧失劳动能力,申请低保",
        "",
        "网格长上门核实了家庭情况",
        "村里已召开评议会并上报",
        "民政部门审核通过,已纳入低保",
    ),
    (
        "就业增收",
        IssueKind.DEMAND,
        Urgency.NORMAL,
        "家中两名劳动力希望参加技能培训,学电工和挖机",
        "当场介绍了镇里春季培训报名方式",
        "网格长帮助报了名",
        "村里已推荐参加镇里技能培训",
        "人社部门已安排参加培训",
    ),
    (
        "土地山林",
        IssueKind.DISPUTE,
        Urgency.NORMAL,
        "与邻户因山林界址发生争议,双方各执一词",
        "",
        "网格长召集双方查看了山界,初步达成一致",
        "村调委会组织调解,双方签订协议",
        "自然资源部门现场勘界,已明确界址",
    ),
    (
        "矛盾纠纷",
        IssueKind.DISPUTE,
        Urgency.NORMAL,
        "兄弟之间因老人赡养费分担产生矛盾",
        "当场做通工作,兄弟俩约定按月分担",
        "网格长上门调解,双方达成口头协议",
        "村调委会调解成功,签订赡养协议",
        "司法所组织调解,签订赡养协议",
    ),
    (
        "安全隐患",
        IssueKind.HAZARD,
        Urgency.URGENT,
        "房屋旁边电线杆倾斜,存在倒塌隐患",
        "",
        "网格长设置了警示标志并联系供电所",
        "村里协调供电所扶正了电杆",
        "供电部门已更换电杆,隐患消除",
    ),
    (
        "安全隐患",
        IssueKind.HAZARD,
        Urgency.EMERGENCY,
        "山塘坝体渗水严重,下游有三户住户",
        "",
        "网格长组织下游住户临时转移",
        "村里安排专人24小时值守",
        "应急和水利部门抢险加固了坝体,隐患消除",
    ),
    (
        "基础设施",
        IssueKind.DEMAND,
        Urgency.NORMAL,
        "自来水管老化,经常停水",
        "当场联系水厂师傅上门维修",
        "网格长联系水厂更换了入户水管",
        "村里协调水厂对组上主管进行了更换",
        "水务部门已完成管网改造",
    ),
    (
        "其他",
        IssueKind.DEMAND,
        Urgency.NORMAL,
        "孩子户口迁移手续不清楚,希望得到指导",
        "当场讲清了所需材料和办理流程",
        "网格长帮助预约了派出所办理",
        "村专干陪同到派出所办理",
        "派出所已办结户口迁移",
    ),
    (
        "环境卫生",
        IssueKind.PROBLEM,
        Urgency.NORMAL,
        "组上垃圾收集点清运不及时,气味大",
        "",
        "网格长督促保洁员加密清运",
        "村里增加了清运频次并设置了分类桶",
        "已调整清运线路,每日清运",
    ),
    (
        "基础设施",
        IssueKind.PROBLEM,
        Urgency.NORMAL,
        "组上多盏路灯损坏,夜间出行不便",
        "",
        "网格长登记并报村维修",
        "村里更换了损坏的路灯",
        "已完成路灯维修",
    ),
    (
        "安全隐患",
        IssueKind.HAZARD,
        Urgency.URGENT,
        "屋后山体出现裂缝,雨季有滑坡风险",
        "",
        "网格长劝导户主雨天暂住亲戚家",
        "村里设置了监测点并安排巡查",
        "自然资源部门已完成地灾评估并实施治理",
    ),
]
# Departments preferred per category (only those with a current handler are used).
CATEGORY_DEPARTMENTS = {
    "基础设施": ["经济发展办", "市交通运输局", "市住建局", "农业综合服务中心"],
    "环境卫生": ["综合行政执法大队", "市生态环境局", "农业综合服务中心"],
    "社会保障": ["社会事务办", "市民政局", "市人社局"],
    "就业增收": ["社会事务办", "市人社局"],
    "土地山林": ["市自然资源局", "农业综合服务中心"],
    "矛盾纠纷": ["社会治安和应急管理办", "派出所"],
    "安全隐患": ["社会治安和应急管理办", "市水利局", "市自然资源局"],
    "其他": ["派出所", "社会事务办"],
}
ESCALATE_REASONS = {
    IssueLevel.ON_SPOT: "现场难以解决,需网格协调",
    IssueLevel.GRID: "涉及资金和多户协调,网格无力解决,报村",
    IssueLevel.VILLAGE: "超出村级职权范围,报镇网格化综合服务中心",
}
FEEDBACK_NOTES = ["户主表示满意", "群众对处理结果认可", "回访时户主表示感谢", ""]
UNSATISFIED_NOTES = ["户主认为处理不彻底,问题有反复", "群众反映只做了临时处理,希望彻底解决"]

ORDERS = [
    (
        "关于开展冬季森林防火入户宣传的调度令",
        "请各村(社区)专干组织网格员对辖区农户逐户开展森林防火宣传,发放告知书,排查野外用火隐患,于期限前报送宣传情况。",
        "已逐户发放森林防火告知书,排查野外用火隐患,未发现问题",
    ),
    (
        "关于排查困难群众冬季取暖和住房安全的调度令",
        "请各网格长对网格内困难户、孤寡老人户逐户走访,重点排查取暖用电用火和房屋安全,建立问题台账。",
        "已走访网格内全部困难户、孤寡老人户,建立台账,发现问题已上报",
    ),
    (
        "关于做好城乡居民医保集中征缴宣传的调度令",
        "请各村(社区)结合屋场夜话宣传城乡居民医保缴费政策,动员群众按时参保缴费,报送参保进度。",
        "已召开屋场夜话宣传医保政策,参保动员工作完成",
    ),
]


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _prep(field, value):
    return field.get_db_prep_save(value, connection)


def _insert(model, rows: list[dict]) -> None:
    """INSERT rows (field attname → value) with one prepared statement; omitted fields take their default.

    Values are passed to the driver as they are, except those the database needs converted (aware
    datetimes, UUIDs, JSON), which go through the field's own preparation.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if f.attname in rows[0] or not f.primary_key]
    # Omitted fields: their default, computed per row (a callable default such as uuid4 must not repeat).
    omitted = {f.attname: f for f in fields if f.attname not in rows[0]}
    prepare = {
        f.attname: partial(_prep, f)
        for f in fields
        if isinstance(f, models.DateTimeField | models.UUIDField | models.JSONField)
    }
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    one = "({})".format(", ".join(["%s"] * len(fields)))
    names = [f.attname for f in fields]
    # SQLite runs in-process: one statement executed per row is cheapest. A server answers each statement
    # with a round trip: send many rows per statement instead (within PostgreSQL's 65,535 parameters).
    per_statement = 1 if connection.vendor == "sqlite" else max(1, min(1000, 65535 // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            params = []
            for row in rows[start : start + INSERT_CHUNK]:
                values = []
                for name in names:
                    value = row[name] if name in row else omitted[name].get_default()
                    convert = prepare.get(name)
                    values.append(convert(value) if convert is not None and value is not None else value)
                params.append(values)
            if per_statement == 1:
                cursor.executemany(head + one, params)
                continue
            for i in range(0, len(params), per_statement):
                part = params[i : i + per_statement]
                cursor.execute(head + ", ".join([one] * len(part)), [v for values in part for v in values])


@dataclass
class Plan:
    contacts: list[dict] = field(default_factory=list)
    reached: list[list[tuple[int, int | None]]] = field(default_factory=list)  # (household, link) per contact


@dataclass
class Story:
    steps: list[str]
    feedback: str = Satisfaction.SATISFIED


class Activity:
    def __init__(self, *, seed: int, months: int, stdout) -> None:
        self.rng = random.Random(seed)
        self.months = months
        self.stdout = stdout
        self.now = timezone.now()
        self.today = local_date(self.now)
        self.window_start = _add_months(self.today.replace(day=1), -(months - 1))
        self.counts: Counter = Counter()
        self.users: dict[int, object] = {}
        self.holders: dict[tuple, object] = {}
        self.laps: dict[str, float] = {}

    # --- helpers ---------------------------------------------------------------------------------------

    def _moment(
        self, lo: datetime.datetime, hi: datetime.datetime, *, daytime: bool = True
    ) -> datetime.datetime:
        """A random moment in [lo, hi), in daytime hours when there is room for it."""
        rng = self.rng
        if hi <= lo:
            return lo
        days = (hi.astimezone(TZ).date() - lo.astimezone(TZ).date()).days
        if daytime and days >= 1:
            for _attempt in range(4):
                day = lo.astimezone(TZ).date() + datetime.timedelta(days=rng.randint(0, days))
                moment = datetime.datetime.combine(
                    day, datetime.time(rng.randint(8, 20), rng.randint(0, 59)), tzinfo=TZ
                )
                if lo <= moment < hi:
                    return moment
        return lo + (hi - lo) * rng.random()

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _duties(self, kind: str) -> list[str]:
        n = self.rng.choices([1, 2, 3], weights=[5, 4, 1])[0]
        chosen: list[str] = []
        while len(chosen) < n:
            duty = self.rng.choices(DUTIES, weights=DUTY_WEIGHTS[kind])[0]
            if duty not in chosen:
                chosen.append(duty)
        return [d for d in DUTIES if d in chosen]

    def _summary(self, kind: str, duties: list[str]) -> str:
        parts = [self.rng.choice(PHRASES[Duty(d)]) for d in duties]
        return self.rng.choice(OPENINGS[kind]) + ",".join(parts) + "。"

    def _link_contact(self, plan: Plan, link: dict, kind: str, lo, hi) -> dict:
        """A contact on a link (to its household, reached, or to its place) at a moment in [lo, hi)."""
        household_id = link.get("household_id")
        return self._contact(
            plan,
            member_id=link["member_id"],
            kind=kind,
            at=self._moment(lo, hi),
            path=link["path"],
            household_id=household_id,
            place_id=link.get("place_id"),
            link_id=link["pk"],
            reached=[(household_id, link["pk"])] if household_id is not None else [],
        )

    def _contact(
        self,
        plan: Plan,
        *,
        member_id: int,
        kind: str,
        at: datetime.datetime,
        path: str,
        reached: list[tuple[int, int | None]],
        link_id: int | None = None,
        household_id: int | None = None,
        place_id: int | None = None,
    ) -> dict:
        """One planned contact: the Contact's field values (by attname) and the households it reached."""
        duties = self._duties(kind)
        row = {
            "member_id": member_id,
            "kind": kind,
            "occurred_at": at,
            "household_id": household_id,
            "place_id": place_id,
            "link_id": link_id,
            "summary": self._summary(kind, duties),
            "found_problem": False,
            "client_id": self._uuid(),
            "path": path,
            "created_by_id": self.member_user.get(member_id),
            # Entered when it happened (this also keeps the 7-day correction window of old records closed).
            "created_at": at,
            "updated_at": at,
            **{f: duty in duties for duty, f in DUTY_FIELDS.items()},
        }
        plan.contacts.append(row)
        plan.reached.append(reached)
        return row

    def _span(self, start: datetime.date, end: datetime.date, link_start: datetime.date):
        """[lo, hi) as aware datetimes for local dates [start, end), clipped to the link, the window and now."""
        lo = local_midnight(max(start, link_start, self.window_start))
        hi = min(local_midnight(end), self.now)
        return lo, hi

    # --- step 0: links that start inside the window ---------------------------------------------------

    def move_link_starts(self) -> int:
        """Links that began after the window's start would refuse earlier contacts: start them there."""
        return Link.objects.filter(end_date__isnull=True, start_date__gt=self.window_start).update(
            start_date=self.window_start
        )

    # --- step 1: contacts ------------------------------------------------------------------------------

    def plan_contacts(self) -> Plan:
        plan = Plan()
        links = list(
            Link.objects.current(self.today)
            .order_by("pk")
            .values("pk", "member_id", "link_type", "household_id", "place_id", "path", "start_date")
        )
        self.member_user = dict(Member.objects.filter(user__isnull=False).values_list("pk", "user_id"))
        month_starts = [_add_months(self.window_start, i) for i in range(self.months)]
        self.link_class: Counter = Counter()
        for link in links:
            lt = link["link_type"]
            if lt in HOUSEHOLD_LINK_TYPES:
                self._plan_household_link(plan, link, month_starts)
            elif lt == LinkType.TOWN_GRID:
                self._plan_grid_link(plan, link)
            elif lt in (LinkType.CITY_TOWN, LinkType.CITY_VILLAGE):
                self._plan_onsite_link(plan, link, month_starts)
        self._plan_yard_meetings(plan, links)
        return plan

    def _plan_household_link(self, plan: Plan, link: dict, month_starts: list[datetime.date]) -> None:
        rng = self.rng
        roll = rng.random()
        cls = "good" if roll < 0.75 else "behind" if roll < 0.90 else "none"
        self.link_class[cls] += 1
        if cls == "none":
            return
        current_month = self.today.replace(day=1)
        previous_month = _add_months(current_month, -1)
        skip = set()
        if cls == "behind":
            skip.add(current_month)
            if rng.random() < 0.5:
                skip.add(previous_month)
        # One month of each quarter holds the quarter's home visit (the current quarter's: up to this month).
        by_quarter: dict[datetime.date, list[datetime.date]] = defaultdict(list)
        for month in month_starts:
            if month <= current_month and month not in skip:
                by_quarter[period_bounds(Period.QUARTER, month)[0]].append(month)
        visit_months = {rng.choice(months) for months in by_quarter.values()}
        for month in month_starts:
            if month > current_month or month in skip:
                continue
            lo, hi = self._span(month, _add_months(month, 1), link["start_date"])
            if hi <= lo:
                continue
            kinds = [ContactKind.HOME_VISIT if month in visit_months else ContactKind.ONLINE]
            if rng.random() < 0.2:
                kinds.append(ContactKind.ONLINE)
            for kind in kinds:
                self._link_contact(plan, link, kind, lo, hi)

    def _plan_grid_link(self, plan: Plan, link: dict) -> None:
        """镇干部联网格: a grid sink-down most weeks (some cadres are less regular)."""
        rng = self.rng
        diligence = 0.92 if rng.random() < 0.8 else 0.6
        week = period_bounds(Period.WEEK, self.window_start)[0]
        while week <= self.today:
            if rng.random() < diligence:
                lo, hi = self._span(week, week + datetime.timedelta(days=7), link["start_date"])
                if hi > lo:
                    self._link_contact(plan, link, ContactKind.GRID_SINKDOWN, lo, hi)
            week += datetime.timedelta(days=7)

    def _plan_onsite_link(self, plan: Plan, link: dict, month_starts: list[datetime.date]) -> None:
        """City leaders' on-site days at their town / village: about one a month."""
        rng = self.rng
        for month in month_starts:
            n = (1 if rng.random() < 0.85 else 0) + (1 if rng.random() < 0.15 else 0)
            lo, hi = self._span(month, _add_months(month, 1), link["start_date"])
            for _i in range(n if hi > lo else 0):
                self._link_contact(plan, link, ContactKind.ONSITE, lo, hi)

    def _plan_yard_meetings(self, plan: Plan, links: list[dict]) -> None:
        """屋场夜话: a fourth-level grid's head gathers several of its households in the evening."""
        rng = self.rng
        heads = list(
            Position.objects.current(self.today)
            .filter(kind=PositionKind.GRID_HEAD, place__kind=PlaceKind.GRID4)
            .order_by("pk")
            .values_list("member_id", "place_id", "place__path")
        )
        if not heads:
            return
        by_grid: dict[int, list[int]] = defaultdict(list)
        for hid, grid_id in Household.objects.filter(grid_id__in=[g for _m, g, _p in heads]).values_list(
            "pk", "grid_id"
        ):
            by_grid[grid_id].append(hid)
        link_of = {
            (lk["member_id"], lk["household_id"]): lk["pk"] for lk in links if lk["household_id"] is not None
        }
        meetings = max(3, len(heads) // 8)
        for member_id, grid_id, path in rng.sample(heads, k=min(meetings, len(heads))):
            households = by_grid.get(grid_id, [])
            if len(households) < 3:
                continue
            chosen = sorted(rng.sample(households, k=min(len(households), rng.randint(6, 15))))
            day_lo = local_midnight(self.window_start)
            at = self._moment(day_lo, self.now)
            evening = datetime.datetime.combine(
                local_date(at), datetime.time(19, rng.randint(0, 59)), tzinfo=TZ
            )
            at = evening if evening < self.now else at
            self._contact(
                plan,
                member_id=member_id,
                kind=ContactKind.YARD_MEETING,
                at=at,
                path=path,
                reached=[(h, link_of.get((member_id, h))) for h in chosen],
            )

    def mark_problems(self, plan: Plan) -> list[tuple[dict, tuple]]:
        """Home visits that found a problem: the sources of the issues, spread over the window."""
        rng = self.rng
        visits = [
            c for c in plan.contacts if c["kind"] == ContactKind.HOME_VISIT and c["link_id"] is not None
        ]
        visits.sort(key=lambda c: c["occurred_at"])
        if not visits:
            return []
        n = min(ISSUES, len(visits))
        # Evenly over time, plus the latest few (issues still being handled this week).
        picks = [visits[int(i * (len(visits) - 1) / max(1, n - 4))] for i in range(max(1, n - 4))]
        picks += visits[-4:]
        chosen, seen = [], set()
        for c in picks:
            if id(c) in seen or len(chosen) >= n:
                continue
            seen.add(id(c))
            problem = rng.choice(PROBLEMS)
            c["found_problem"] = True
            c["duty_demands"] = True
            c["summary"] = f"入户走访,{problem[3]}。已做好解释,按程序处理。"
            chosen.append((c, problem))
        return chosen + self._persona_problems(visits, chosen)

    def _persona_problems(
        self, visits: list[dict], chosen: list[tuple[dict, tuple]]
    ) -> list[tuple[dict, tuple]]:
        """One problem found last week in the demo grid head's grid, left waiting at the grid, and one in another
        grid of the demo officer's village, escalated to the village: whoever signs in as `gridhead` or `officer`
        (the printed demo logins) finds work in their queue. Marked with the story they follow (run_issues)."""
        posts = {
            username: Position.objects.current(self.today)
            .filter(member__user__username=username, kind=kind)
            .values_list("place__path", flat=True)
            .first()
            for username, kind in (
                ("gridhead", PositionKind.GRID_HEAD),
                ("officer", PositionKind.VILLAGE_OFFICER),
            )
        }
        taken = {id(c) for c, _problem in chosen}

        def age(c) -> int:
            return (self.today - local_date(c["occurred_at"])).days

        # Last week or the one before if there is one (time for the escalation), else the latest before that.
        recent = [c for c in reversed(visits) if 4 <= age(c) <= 14 and id(c) not in taken]
        recent += [c for c in reversed(visits) if age(c) > 14 and id(c) not in taken]
        wanted = [(posts["gridhead"], None, ["grid"])]
        wanted.append((posts["officer"], posts["gridhead"], ["grid", "escalate"]))
        extra = []
        for inside, outside, steps in wanted:
            if not inside:
                continue
            c = next(
                (
                    c
                    for c in recent
                    if c["path"].startswith(inside) and not (outside and c["path"].startswith(outside))
                ),
                None,
            )
            if c is None:
                continue
            recent.remove(c)
            problem = self.rng.choice(PROBLEMS)
            c["found_problem"] = True
            c["duty_demands"] = True
            c["summary"] = f"入户走访,{problem[3]}。已做好解释,按程序处理。"
            c["_story"] = steps
            extra.append((c, problem))
        return extra

    def write(self, plan: Plan) -> None:
        """Insert contacts, their counting rows and "create" revisions: what contact_record writes, in bulk.

        Rows go in with one prepared INSERT per table (`executemany`): Django's bulk_create spends most of
        its time preparing 20 values per contact in Python, and SQLite takes only 49 contacts per statement.
        Contacts get their ids here (after the current maximum; the command holds the write transaction) so
        the other rows can point at them; the id sequence is reset afterwards.
        """
        tick = time.monotonic()
        order = sorted(range(len(plan.contacts)), key=lambda i: plan.contacts[i]["occurred_at"])
        contacts = [plan.contacts[i] for i in order]
        first_pk = (Contact.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        for offset, row in enumerate(contacts):
            row["id"] = first_pk + offset
        _insert(Contact, contacts)
        tick = self.lap("insert contacts", tick)
        rows, revisions = [], []
        duty_names = [(duty.value, f) for duty, f in DUTY_FIELDS.items()]
        for i in order:
            contact, reached = plan.contacts[i], plan.reached[i]
            for household_id, link_id in reached:
                rows.append(
                    {
                        "contact_id": contact["id"],
                        "household_id": household_id,
                        "member_id": contact["member_id"],
                        "link_id": link_id,
                        "kind": contact["kind"],
                        "occurred_at": contact["occurred_at"],
                    }
                )
            revisions.append(
                {
                    "contact_id": contact["id"],
                    "action": RevisionAction.CREATE.value,
                    "changed_by_id": contact["created_by_id"],
                    "changed_at": contact["occurred_at"],
                    "changes": {
                        "kind": contact["kind"],
                        "occurred_at": contact["occurred_at"].astimezone(TZ).isoformat(),
                        "household": contact["household_id"],
                        "place": contact["place_id"],
                        "households": sorted(h for h, _l in reached),
                        "duties": [d for d, f in duty_names if contact[f]],
                        "summary": contact["summary"],
                        "found_problem": contact["found_problem"],
                    },
                }
            )
        _insert(ContactHousehold, rows)
        tick = self.lap("insert reached", tick)
        _insert(ContactRevision, revisions)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Contact]):
                cursor.execute(sql)
        tick = self.lap("insert revisions", tick)
        self.counts["contacts"] = len(contacts)
        self.counts["contact_households"] = len(rows)
        self.counts["tallies"] = tallies_rebuild()
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner takes the tables for empty until autovacuum comes round.
            with connection.cursor() as cursor:
                for model in (
                    Contact,
                    ContactHousehold,
                    ContactRevision,
                    LinkTally,
                    ContactMonthTally,
                    LastContact,
                    Link,
                ):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.lap("tallies", tick)

    def lap(self, name: str, tick: float) -> float:
        now = time.monotonic()
        self.laps[name] = now - tick
        return now

    # --- users ------------------------------------------------------------------------------------------

    def user_for(self, member: Member):
        """The member's login, created (unusable password) if they have none."""
        user = self.users.get(member.pk)
        if user is not None:
            return user
        if member.user_id is None:
            User = get_user_model()
            username = f"demo-m{member.pk}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, first_name=member.name[:150], password=make_password(None))
                user.save()
                self.counts["users_created"] += 1
            Member.objects.filter(pk=member.pk).update(user=user)
            member.user = user
        else:
            user = member.user
        self.users[member.pk] = user
        return user

    def _post_holder(self, kind: str, path_prefixes: list[str], department_id: int | None = None):
        """The user of the member holding the post (a persona with a login first, else the oldest post)."""
        key = (kind, tuple(path_prefixes), department_id)
        if key not in self.holders:
            qs = Position.objects.current(self.today).filter(kind=kind)
            if department_id is not None:
                qs = qs.filter(department_id=department_id)
            else:
                qs = qs.filter(place__path__in=path_prefixes)
            candidates = list(qs.select_related("member__user").order_by("pk")[:50])
            pos = next((p for p in candidates if p.member.user_id), candidates[0] if candidates else None)
            self.holders[key] = self.user_for(pos.member) if pos else None
        return self.holders[key]

    # --- step 2: issues ---------------------------------------------------------------------------------

    def _stories(self, n: int) -> list[Story]:
        """What happens to each issue; the oldest few get stuck (overdue), the newest are still moving."""
        S = Satisfaction
        closing = [
            Story(["spot", "feedback"]),
            Story(["grid", "resolve", "feedback"]),
            Story(["grid", "escalate", "resolve", "feedback"], S.BASICALLY),
            Story(["grid", "escalate", "escalate", "whistle", "accept", "reply", "resolve", "feedback"]),
            Story(["grid", "resolve", "feedback", "resolve", "feedback"], S.UNSATISFIED),
            Story(
                [
                    "grid",
                    "escalate",
                    "escalate",
                    "whistle2",
                    "accept",
                    "reply_first",
                    "send_back",
                    "return",
                    "accept",
                    "reply",
                    "resolve",
                    "feedback",
                ],
                S.BASICALLY,
            ),
            Story(["grid", "emergency", "whistle_emergency", "accept", "reply", "resolve", "feedback"]),
            Story(["spot"]),
        ]
        stuck = [
            Story(["grid"]),
            Story(["grid", "escalate", "supervise"]),
            Story(["grid", "escalate", "escalate", "whistle", "accept", "supervise"]),
        ]
        stories = []
        for i in range(n):
            if i % 9 == 4 and i < n - 10:
                story = stuck[(i // 9) % len(stuck)]
            else:
                story = self.rng.choices(closing, weights=[14, 12, 8, 6, 3, 3, 2, 2])[0]
            stories.append(Story(list(story.steps), story.feedback))
        return stories

    def run_issues(self, sources: list[tuple[dict, tuple]]) -> None:
        if not sources:
            return
        categories = {c.name: c for c in IssueCategory.objects.filter(active=True)}
        fallback = next(iter(categories.values()), None)
        # Departments someone can answer for (a current handler): whistling elsewhere would go unanswered.
        handled = Position.objects.current(self.today).filter(
            kind=PositionKind.DEPT_HANDLER, department__isnull=False
        )
        departments = {
            d.pk: d
            for d in Department.objects.filter(
                pk__in=handled.values("department_id"),
                active=True,
                kind__in=[DepartmentKind.TOWN_OFFICE, DepartmentKind.CITY_DEPT],
            ).select_related("place")
        }
        contacts = Contact.objects.select_related("household", "member__user").in_bulk(
            [row["id"] for row, _p in sources]
        )
        stories = self._stories(len(sources))
        for (row, problem), story in zip(sources, stories, strict=True):
            if row.get("_story"):  # the demo personas' waiting work (_persona_problems)
                story = Story(list(row["_story"]))
            contact = contacts[row["id"]]
            category = categories.get(problem[0], fallback)
            if category is None:
                return
            self._issue_story(
                contact=contact,
                raiser=contact.member,
                category=category,
                problem=problem,
                story=story,
                departments=departments,
            )

    def _issue_story(self, *, contact, raiser, category, problem, story, departments) -> None:
        rng = self.rng
        _cat, kind, urgency, description, spot, grid_result, village_result, dept_result = problem
        household = contact.household
        prefixes = ancestors(household.path)
        at = contact.occurred_at + datetime.timedelta(minutes=rng.randint(5, 40))
        raiser_user = self.user_for(raiser)
        if story.steps[0] == "spot" and not spot:  # cannot be solved on the spot: the grid solves it
            story.steps[:1] = ["grid", "resolve"]
        first = story.steps[0]
        if "emergency" in story.steps:
            urgency, kind = Urgency.EMERGENCY, IssueKind.HAZARD
        if at > self.now:
            return
        issue = issue_raise(
            user=raiser_user,
            category=category,
            description=description,
            household=household,
            kind=kind,
            urgency=urgency,
            contact=contact,
            solved_result=spot if first == "spot" else "",
            escalate_reason=ESCALATE_REASONS[IssueLevel.ON_SPOT] if first == "grid" else "",
            now=at,
        )
        self.counts["issues"] += 1
        dept_ids = self._departments_for(category.name, departments, prefixes)
        for step in story.steps[1:]:
            delay = {
                "accept": datetime.timedelta(hours=rng.randint(1, 20)),
                "feedback": datetime.timedelta(days=rng.randint(2, 8)),
                "supervise": datetime.timedelta(days=rng.randint(6, 12)),
                "reply": datetime.timedelta(days=rng.randint(2, 5)),
            }.get(step, datetime.timedelta(hours=rng.randint(6, 40)))
            if urgency == Urgency.EMERGENCY and step != "feedback":
                at = at + datetime.timedelta(hours=rng.randint(1, 6))  # emergencies: day and night
            else:
                at = self._office_hours(at + delay)
            if at > self.now:
                return
            issue.refresh_from_db()
            try:
                self._step(
                    step,
                    issue=issue,
                    raiser_user=raiser_user,
                    prefixes=prefixes,
                    story=story,
                    results=(grid_result, village_result, dept_result),
                    dept_ids=dept_ids,
                    at=at,
                )
            except IssueError as exc:  # a story that does not fit this town (e.g. no handler): stop there
                self.counts["issue_steps_refused"] += 1
                self.stdout.write(f"  issue #{issue.pk} {step}: {exc.message}")
                return

    def _office_hours(self, moment: datetime.datetime) -> datetime.datetime:
        """The same moment if it falls in 8:00-20:59 local time, else the next morning."""
        local = moment.astimezone(TZ)
        if 8 <= local.hour <= 20:
            return moment
        day = local.date() + datetime.timedelta(days=1 if local.hour > 20 else 0)
        return datetime.datetime.combine(day, datetime.time(8, self.rng.randint(0, 59)), tzinfo=TZ)

    def _departments_for(self, category: str, departments: dict, prefixes: list[str]) -> list[int]:
        """Departments of the issue's town or city, those fitting the category first."""
        names = CATEGORY_DEPARTMENTS.get(category, [])
        near = sorted(pk for pk, d in departments.items() if d.place.path in prefixes)
        preferred = sorted(
            near, key=lambda pk: names.index(departments[pk].name) if departments[pk].name in names else 99
        )
        return preferred

    def _centre(self, prefixes):
        return self._post_holder(PositionKind.CENTRE_STAFF, prefixes) or self._post_holder(
            PositionKind.OFFICE_DIRECTOR, prefixes
        )

    def _step(self, step, *, issue: Issue, raiser_user, prefixes, story, results, dept_ids, at) -> None:
        rng = self.rng
        grid_result, village_result, dept_result = results
        if step in ("resolve", "escalate", "emergency"):
            if issue.level == IssueLevel.GRID:
                actor = self._post_holder(PositionKind.GRID_HEAD, prefixes)
            elif issue.level == IssueLevel.VILLAGE:
                actor = self._post_holder(PositionKind.VILLAGE_OFFICER, prefixes)
            else:
                actor = self._centre(prefixes)
            if actor is None:
                raise IssueError("no one holds the post")
            if step == "resolve":
                result = {
                    IssueLevel.GRID: grid_result,
                    IssueLevel.VILLAGE: village_result,
                }.get(issue.level, dept_result)
                if issue.satisfaction == Satisfaction.UNSATISFIED:
                    result = "再次上门处理," + result + ",彻底解决"
                issue_resolve(user=actor, issue_id=issue.pk, version=issue.version, result=result, now=at)
            elif step == "emergency":
                issue_escalate(
                    user=actor,
                    issue_id=issue.pk,
                    version=issue.version,
                    reason="险情紧急,网格直接报镇网格化综合服务中心",
                    to_level=IssueLevel.CENTRE,
                    now=at,
                )
            else:
                issue_escalate(
                    user=actor,
                    issue_id=issue.pk,
                    version=issue.version,
                    reason=ESCALATE_REASONS[issue.level],
                    now=at,
                )
        elif step.startswith("whistle"):
            centre = self._centre(prefixes)
            if not dept_ids or centre is None:
                raise IssueError("no department or centre")
            picked = dept_ids[:2] if step == "whistle2" else dept_ids[:1]
            kind = {
                "whistle2": WhistleKind.HARD,
                "whistle_emergency": WhistleKind.EMERGENCY,
            }.get(step, WhistleKind.ROUTINE)
            issue_whistle(
                user=centre,
                issue_id=issue.pk,
                version=issue.version,
                departments=list(Department.objects.filter(pk__in=picked)),
                kind=kind,
                note="请按期办理并反馈结果",
                now=at,
            )
        elif step in ("accept", "reply", "reply_first", "send_back"):
            wanted = {
                "accept": [AssignmentStatus.PENDING],
                "reply": [AssignmentStatus.ACCEPTED],
                "reply_first": [AssignmentStatus.ACCEPTED],
                "send_back": [AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED],
            }[step]
            for assignment in issue.assignments.filter(status__in=wanted).order_by("pk"):
                handler = self._post_holder(
                    PositionKind.DEPT_HANDLER, [], department_id=assignment.department_id
                )
                if step == "accept":
                    assignment_accept(
                        user=handler, assignment_id=assignment.pk, version=assignment.version, now=at
                    )
                elif step in ("reply", "reply_first"):
                    assignment_reply(
                        user=handler,
                        assignment_id=assignment.pk,
                        version=assignment.version,
                        result=dept_result,
                        now=at,
                    )
                else:
                    assignment_send_back(
                        user=handler,
                        assignment_id=assignment.pk,
                        version=assignment.version,
                        reason="该事项需先由村里补充现场照片和户主书面申请",
                        now=at,
                    )
                    return  # one department sends its share back
                if step == "reply_first":
                    return  # the first department answers; the other sends its share back next
        elif step == "return":
            centre = self._centre(prefixes)
            back = issue.assignments.filter(status=AssignmentStatus.SENT_BACK).order_by("pk").first()
            if back is not None:
                issue_return_to_department(
                    user=centre,
                    issue_id=issue.pk,
                    version=issue.version,
                    assignment_id=back.pk,
                    reason="村里已补充材料,请继续办理",
                    now=at,
                )
        elif step == "supervise":
            supervisor = (
                self._post_holder(PositionKind.DISCIPLINE, prefixes)
                if rng.random() < 0.5
                else self._centre(prefixes)
            )
            if supervisor is None:
                raise IssueError("no supervisor")
            issue_supervise(
                user=supervisor,
                issue_id=issue.pk,
                note="已超期,请加快办理并于期限内反馈",
                deadline=local_date(at) + datetime.timedelta(days=rng.randint(2, 4)),
                now=at,
            )
        elif step == "feedback":
            unsatisfied = story.feedback == Satisfaction.UNSATISFIED and issue.satisfaction == ""
            satisfaction = (
                story.feedback if story.feedback != Satisfaction.UNSATISFIED else Satisfaction.SATISFIED
            )
            if unsatisfied:
                satisfaction = Satisfaction.UNSATISFIED
            visit = self._return_visit(raiser_user, issue, at)
            issue_feedback_record(
                user=raiser_user,
                issue_id=issue.pk,
                version=issue.version,
                satisfaction=satisfaction,
                note=rng.choice(UNSATISFIED_NOTES) if unsatisfied else rng.choice(FEEDBACK_NOTES),
                contact=visit,
                now=at,
            )

    def _return_visit(self, user, issue: Issue, at: datetime.datetime):
        """回访: a contact recorded through the real service (signals keep the tallies in step)."""
        try:
            contact = contact_record(
                user=user,
                kind=ContactKind.HOME_VISIT if self.rng.random() < 0.6 else ContactKind.ONLINE,
                occurred_at=at,
                duties=[Duty.DEMANDS, Duty.SUPERVISION],
                household=issue.household,
                summary=f"回访诉求办理情况:{issue.result[:60]}",
                client_id=self._uuid(),
                now=at,
            )
        except ValidationError:  # the link may have ended: feedback without a contact then
            return None
        self.counts["return_visits"] += 1
        return contact

    # --- step 4: this month's task lists ------------------------------------------------------------------

    def run_task_lists(self) -> int:
        """This month's task lists, as the 06:30 job of the 1st makes them (dispatch.jobs.job_run, recorded as a
        JobRun). Their notices are marked delivered: the demo's console should not scroll 3,000 log-backend
        SMS/WeCom lines past the logins. Returns the lists made (0 if the month's run already happened)."""
        from dispatch.jobs import JobError, job_run
        from notifications.enums import DeliveryStatus, NotificationKind
        from notifications.models import Delivery

        key = f"{self.today:%Y-%m}"
        try:
            run = job_run(job="task_lists", period_key=key)
        except JobError:
            return 0
        Delivery.objects.filter(
            notification__kind=NotificationKind.TASK_LIST,
            notification__period_key=key,
            status=DeliveryStatus.QUEUED,
        ).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
        return run.created

    # --- step 3: dispatch orders ------------------------------------------------------------------------

    def run_orders(self) -> None:
        rng = self.rng
        towns = list(Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk")[:1])
        if not towns:
            return
        town = towns[0]
        centre = self._centre([town.path])
        if centre is None:
            return
        villages = list(
            Place.objects.filter(kind=PlaceKind.VILLAGE, path__startswith=town.path).order_by("pk")
        )
        grids = list(Place.objects.filter(kind=PlaceKind.GRID3, path__startswith=town.path).order_by("pk"))
        for i, (title, task, report) in enumerate(ORDERS):
            places = villages if i != 1 else grids
            if not places:
                continue
            # The service accepts only a due date from today on: the orders are recent ones.
            issued = self.now - datetime.timedelta(days=[12, 6, 2][i], hours=rng.randint(0, 6))
            order = order_issue(
                user=centre,
                town=town,
                title=title,
                task=task,
                due_date=local_date(issued) + datetime.timedelta(days=[15, 10, 14][i]),
                places=places,
                now=issued,
            )
            self.counts["orders"] += 1
            share_ack, share_done = [(0.9, 0.7), (0.7, 0.4), (0.5, 0.1)][i]
            rows = list(
                OrderRecipient.objects.filter(order=order).select_related("member__user").order_by("pk")
            )
            # Shares, not independent rolls: every order shows its done, acknowledged and pending rows
            # whatever the date did to the random stream before (at least one done where there are rows).
            rng.shuffle(rows)
            n_ack = round(share_ack * len(rows))
            n_done = max(1, round(share_done * len(rows))) if rows else 0
            for rank, row in enumerate(rows):
                if rank >= max(n_ack, n_done):
                    continue
                user = self.user_for(row.member)
                ack_at = min(issued + datetime.timedelta(hours=rng.randint(1, 30)), self.now)
                order_acknowledge(user=user, order=order, now=ack_at)
                if rank < n_done:
                    done_at = min(ack_at + datetime.timedelta(days=rng.randint(1, 5)), self.now)
                    order_report_done(user=user, order=order, report=report, now=done_at)

    # --- the whole run ------------------------------------------------------------------------------

    def compliance(self) -> Counter:
        groups = rule_groups()
        types = sorted({lt for g in groups for lt in g.link_types})
        links = annotate_compliance(
            Link.objects.current(self.today).filter(link_type__in=types), on=self.today, groups=groups
        )
        names = {0: Status.DONE, 1: Status.DUE, 2: Status.OVERDUE, -1: Status.NONE}
        rows = links.annotate(rank=F("status_rank")).values("rank").annotate(n=Count("id")).order_by()
        return Counter({str(names[row["rank"]]): row["n"] for row in rows})


class Command(BaseCommand):
    help = "为演示镇生成近几个月的走访、诉求办理和调度令数据(需先运行 demo_town)。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="已有任何走访记录时什么也不做")
        parser.add_argument("--seed", type=int, default=2021, help="随机种子,同一种子生成相同数据")
        parser.add_argument("--months", type=int, default=4, help="生成最近几个月的走访(默认 4)")

    def handle(self, *args, if_empty: bool, seed: int, months: int, **options):
        if Contact.objects.exists():
            if if_empty:
                self.stdout.write("已有走访记录,跳过演示活动数据 (contacts exist; demo activity skipped)")
                return
            raise CommandError(
                "已有走访记录,演示活动数据只能在没有走访记录时生成 (contacts exist; use a fresh database)"
            )
        if not 1 <= months <= 24:
            raise CommandError("月数应在 1 到 24 之间 (months must be 1-24)")
        if not Link.objects.exists():
            if if_empty:  # nothing to be active on (dev.py serve on a database without the demo town)
                self.stdout.write("没有联系关系,跳过演示活动数据 (no links; demo activity skipped)")
                return
            raise CommandError("没有联系关系,请先运行 demo_town (no links: run demo_town first)")
        started = time.monotonic()
        if connection.vendor == "sqlite":
            # Tens of thousands of rows into tables with ten indexes each: SQLite's default 2 MB page cache
            # would spill to disk over and over (this connection only).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
        activity = Activity(seed=seed, months=months, stdout=self.stdout)
        with transaction.atomic():
            moved = activity.move_link_starts()
            plan = activity.plan_contacts()
            sources = activity.mark_problems(plan)
            activity.lap("plan", started)
            activity.write(plan)
            t_contacts = time.monotonic() - started
            activity.run_issues(sources)
            activity.run_orders()
        tick = time.monotonic()
        task_lists = activity.run_task_lists()
        activity.lap("task lists", tick)
        elapsed = time.monotonic() - started
        counts = activity.counts
        kinds = Counter(dict(Contact.objects.values_list("kind").annotate(n=Count("id")).order_by()))
        statuses = Counter(dict(Issue.objects.values_list("status").annotate(n=Count("id")).order_by()))
        levels = Counter(dict(Issue.objects.values_list("level").annotate(n=Count("id")).order_by()))
        overdue = Issue.objects.overdue(timezone.now()).count()
        recipients = Counter(
            dict(OrderRecipient.objects.values_list("status").annotate(n=Count("id")).order_by())
        )
        tick = time.monotonic()
        status = activity.compliance()
        activity.lap("compliance check", tick)
        out = self.stdout.write
        out(
            f"演示活动数据已生成,用时 {elapsed:.1f} 秒 (demo activity in {elapsed:.1f}s; contacts {t_contacts:.1f}s)"
        )
        out("  timings          " + ", ".join(f"{k} {v:.1f}s" for k, v in activity.laps.items()))
        out(f"  window           {activity.window_start} .. {activity.today} ({months} months)")
        if moved:
            out(f"  links moved      {moved} (start date set to the window start)")
        out(f"  household links  {dict(activity.link_class)}")
        out(f"  contacts         {counts['contacts'] + counts['return_visits']} {dict(kinds)}")
        out(f"  contact hh rows  {counts['contact_households']}; tallies {counts['tallies']}")
        out(f"  compliance       {dict(status)}")
        out(f"  issues           {counts['issues']} status {dict(statuses)} level {dict(levels)}")
        out(f"  issue events     {IssueEvent.objects.count()}; overdue {overdue}")
        out(f"  dispatch orders  {counts['orders']} recipients {dict(recipients)}")
        out(f"  task lists       {task_lists} for {activity.today:%Y-%m}")
        out(f"  users created    {counts['users_created']} (no password: unusable until an admin sets one)")
