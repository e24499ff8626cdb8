"""Exporters: one per ledger sheet, each yields rows; grids.ledger.write_ledger renders them (write-only).

Rows come from `.values_list(...).iterator(chunk_size=...)`, so memory stays flat whatever the number of
rows. Everything is read through the owning app's scoped queryset for the requesting user, then narrowed
to the chosen place and period. Phone and ID numbers are masked unless `full_numbers` (which the services
only allow with the `reports.view_full_numbers` permission).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Max
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from grids.enums import CATEGORY_FIELDS, PlaceKind
from grids.ledger import Column, Sheet
from grids.models import Household, Place
from grids.validators import mask_id_number, mask_phone
from issues.access import issues_visible_to
from issues.enums import IssueAction, IssueKind, IssueLevel, IssueStatus, Satisfaction
from issues.models import IssueEvent
from members.access import households_visible_to, links_visible_to
from members.enums import LinkType, MemberRole
from visits.enums import DUTY_FIELDS, ContactKind, Duty
from visits.selectors import link_compliance

from .periods import ReportPeriod
from .selectors import contacts_in

CHUNK = 2000
GRID_KINDS = (PlaceKind.GRID3, PlaceKind.GRID4)


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def caption(place: Place, period: ReportPeriod | None, title: str) -> str:
    when = f" {period.label}" if period else ""
    return f"{place.name} {title}{when}"


def code_chars() -> int:
    """The longest household number (户编号) in characters, so its column is never too narrow (one query)."""
    longest = Household.objects.aggregate(n=Max(Length("code")))["n"]
    return max(longest or 0, 19)


def _code_column(header: str | None = None) -> Column:
    return Column(header or _("户编号"), code_chars(), "code")


def _phone(value: str, full: bool) -> str:
    return value if full else mask_phone(value)


def _id(value: str, full: bool) -> str:
    return value if full else mask_id_number(value)


# --- households and links ------------------------------------------------------------------------------


def households_sheet(*, user, place: Place, full_numbers: bool) -> Sheet:
    category_fields = list(CATEGORY_FIELDS.items())
    fields = ["code", "head_name", "grid__name", "address", "phone", "id_number", "people_count", "notes"]
    fields += [field for _cat, field in category_fields]

    def rows() -> Iterator[list]:
        qs = households_visible_to(user).filter(path__startswith=place.path).order_by("path", "code")
        for row in qs.values_list(*fields).iterator(chunk_size=CHUNK):
            code, head, grid, address, phone, id_number, people, notes = row[:8]
            cats = [str(cat.label) for (cat, _f), flag in zip(category_fields, row[8:], strict=True) if flag]
            yield [
                code,
                head,
                grid,
                address,
                _phone(phone, full_numbers),
                _id(id_number, full_numbers),
                people,
                "、".join(cats) or _("普通户"),
                notes,
            ]

    columns = [
        _code_column(),
        Column(_("户主"), 8),
        Column(_("网格"), 14),
        Column(_("住址"), 24),
        Column(_("联系电话"), 13, "code"),
        Column(_("身份证号"), 18, "code"),
        Column(_("人口数"), 4, "int", total=True),
        Column(_("类别"), 16),
        Column(_("备注"), 24),
    ]
    return Sheet(_("户"), columns, rows(), caption=caption(place, None, _("户台账")))


def links_sheet(*, user, place: Place, period: ReportPeriod, full_numbers: bool) -> Sheet:
    """Links active at any time in the period under the place (历史联系 too: start/end dates shown)."""
    types = _labels(LinkType)
    roles = _labels(MemberRole)

    def rows() -> Iterator[list]:
        qs = (
            links_visible_to(user)
            .filter(path__startswith=place.path, start_date__lt=period.end)
            .exclude(end_date__lt=period.start)
            .order_by("path", "member__name", "id")
        )
        fields = (
            "member__name",
            "member__role",
            "member__phone",
            "link_type",
            "household__code",
            "household__head_name",
            "place__name",
            "migrant__name",
            "start_date",
            "end_date",
            "note",
        )
        for name, role, phone, lt, code, head, place_name, migrant, start, end, note in qs.values_list(
            *fields
        ).iterator(chunk_size=CHUNK):
            target = head or place_name or migrant or ""
            yield [
                name,
                roles.get(role, role),
                _phone(phone, full_numbers),
                types.get(lt, lt),
                code or "",
                target,
                start,
                end,
                note,
            ]

    columns = [
        Column(_("联户人员"), 8),
        Column(_("身份"), 14),
        Column(_("手机号"), 13, "code"),
        Column(_("联系类型"), 22),
        _code_column(),
        Column(_("联系对象"), 14),
        Column(_("开始日期"), kind="date"),
        Column(_("结束日期"), kind="date"),
        Column(_("备注"), 20),
    ]
    return Sheet(_("联户人员"), columns, rows(), caption=caption(place, period, _("联户人员台账")))


# --- contacts ------------------------------------------------------------------------------------------


CONTACT_FIELDS = (
    "id",
    "occurred_at",
    "member__name",
    "kind",
    "household__code",
    "household__head_name",
    "place__name",
    *DUTY_FIELDS.values(),
    "found_problem",
    "summary",
    "household__notes",
)


def contact_rows(*, user, place: Place, period: ReportPeriod) -> Iterator[list]:
    kinds = _labels(ContactKind)
    yard = str(ContactKind.YARD_MEETING.label)
    qs = contacts_in(user=user, place=place, period=period).order_by("occurred_at", "id")
    for row in qs.values_list(*CONTACT_FIELDS).iterator(chunk_size=CHUNK):
        pk, when, member, kind, code, head, place_name = row[:7]
        duties = row[7:12]
        found, summary, notes = row[12], row[13], row[14]
        target = head or place_name or (yard if kind == ContactKind.YARD_MEETING else "")
        yield [
            pk,
            when,
            member,
            kinds.get(kind, kind),
            code or "",
            target,
            *duties,
            found,
            summary,
            notes or "",
        ]


def contacts_sheet(*, user, place: Place, period: ReportPeriod) -> Sheet:
    columns = [
        Column(_("编号"), 7, "int"),
        Column(_("走访时间"), kind="datetime"),
        Column(_("联户人员"), 8),
        Column(_("方式"), 8),
        _code_column(),
        Column(_("对象"), 18),  # a grid's name ("双凫铺社区第三网格") on one line
        *[Column(str(duty.label), 2) for duty in Duty],
        Column(_("发现问题"), 2),
        Column(_("走访情况"), 40),
        Column(_("户备注"), 20),
    ]
    return Sheet(
        _("走访记录"),
        columns,
        contact_rows(user=user, place=place, period=period),
        caption=caption(place, period, _("走访台账")),
    )


# --- issues --------------------------------------------------------------------------------------------


def _issues(user, place: Place, period: ReportPeriod):
    start, end = period.bounds
    return issues_visible_to(user).filter(
        path__startswith=place.path, raised_at__gte=start, raised_at__lt=end
    )


def issues_sheet(*, user, place: Place, period: ReportPeriod) -> Sheet:
    kinds, levels, statuses, sats = (
        _labels(IssueKind),
        _labels(IssueLevel),
        _labels(IssueStatus),
        _labels(Satisfaction),
    )
    fields = (
        "id",
        "raised_at",
        "kind",
        "category__name",
        "household__head_name",
        "place__name",
        "description",
        "raised_by__name",
        "level",
        "status",
        "deadline",
        "resolved_level",
        "resolved_at",
        "satisfaction",
        "result",
    )

    def rows() -> Iterator[list]:
        qs = _issues(user, place, period).order_by("raised_at", "id")
        for (
            pk,
            raised,
            kind,
            cat,
            head,
            pname,
            desc,
            by,
            level,
            status,
            deadline,
            rlevel,
            rat,
            sat,
            result,
        ) in qs.values_list(*fields).iterator(chunk_size=CHUNK):
            yield [
                pk,
                raised,
                kinds.get(kind, kind),
                cat,
                head or pname or "",
                desc,
                by,
                levels.get(level, level),
                statuses.get(status, status),
                deadline,
                levels.get(rlevel, ""),
                rat,
                sats.get(sat, ""),
                result,
            ]

    columns = [
        Column(_("编号"), 6, "int"),
        Column(_("提出时间"), kind="datetime"),
        Column(_("类型"), 8),
        Column(_("类别"), 10),
        Column(_("对象"), 12),
        Column(_("情况描述"), 36),
        Column(_("提出人"), 8),
        Column(_("当前层级"), 12),
        Column(_("状态"), 8),
        Column(_("办理期限"), kind="datetime"),
        Column(_("办结层级"), 12),
        Column(_("办结时间"), kind="datetime"),
        Column(_("满意度"), 8),
        Column(_("办理结果"), 30),
    ]
    return Sheet(_("诉求问题"), columns, rows(), caption=caption(place, period, _("诉求/问题台账")))


def issue_events_sheet(*, user, place: Place, period: ReportPeriod) -> Sheet:
    """Each issue's timeline (办理记录), in order, for issues raised in the period."""
    actions, levels, statuses = _labels(IssueAction), _labels(IssueLevel), _labels(IssueStatus)
    fields = (
        "issue_id",
        "created_at",
        "action",
        "actor_name",
        "from_level",
        "to_level",
        "from_status",
        "to_status",
        "department__name",
        "deadline",
        "note",
    )

    def rows() -> Iterator[list]:
        qs = IssueEvent.objects.filter(issue__in=_issues(user, place, period).values("pk")).order_by(
            "issue_id", "created_at", "id"
        )
        for issue, at, action, actor, fl, tl, fs, ts, dept, deadline, note in qs.values_list(
            *fields
        ).iterator(chunk_size=CHUNK):
            yield [
                issue,
                at,
                actions.get(action, action),
                actor,
                levels.get(fl, ""),
                levels.get(tl, ""),
                statuses.get(fs, ""),
                statuses.get(ts, ""),
                dept or "",
                deadline,
                note,
            ]

    columns = [
        Column(_("问题编号"), 6, "int"),
        Column(_("时间"), kind="datetime"),
        Column(_("动作"), 10),
        Column(_("操作人"), 8),
        Column(_("原层级"), 12),
        Column(_("新层级"), 12),
        Column(_("原状态"), 8),
        Column(_("新状态"), 8),
        Column(_("部门"), 14),
        Column(_("期限"), kind="datetime"),
        Column(_("说明"), 36),
    ]
    return Sheet(_("办理过程"), columns, rows(), caption=caption(place, period, _("问题办理过程")))


# --- compliance -----------------------------------------------------------------------------------------


def compliance_sheet(*, user, place: Place, period: ReportPeriod) -> Sheet:
    """Each current link's status on the period's status day, with every rule's done/required."""
    from visits.enums import Status

    types = _labels(LinkType)
    statuses = _labels(Status)
    on = period.status_day

    def rows() -> Iterator[list]:
        links = links_visible_to(user).current(on).filter(path__startswith=place.path)
        for item in link_compliance(links=links, on=on):
            link = item.link
            target = (
                link.household.head_name if link.household_id else (link.place.name if link.place_id else "")
            )
            detail = "; ".join(
                f"{r.rule.label}: {r.done}/{r.required} {statuses.get(r.status, r.status)}"
                for r in item.rules
            )
            yield [
                link.member.name,
                types.get(link.link_type, link.link_type),
                link.household.code if link.household_id else "",
                target,
                statuses.get(item.status, item.status),
                item.last_contact_at,
                detail,
            ]

    columns = [
        Column(_("联户人员"), 8),
        Column(_("联系类型"), 22),
        _code_column(),
        Column(_("联系对象"), 14),
        Column(_("状态"), 8),
        Column(_("最近走访"), kind="datetime"),
        Column(_("要求完成情况"), 48),
    ]
    title = _("联户人员履职台账(截至%(day)s)") % {"day": on.isoformat()}
    return Sheet(_("履职情况"), columns, rows(), caption=f"{place.name} {title}")


# --- assessment ------------------------------------------------------------------------------------------


def assessment_sheets(*, sheet: dict, town: Place, year: int) -> list[Sheet]:
    """The village scores and the cadre sheet, every component's rate and points shown."""
    from .enums import Component

    comps = list(Component)

    def comp_columns(points_kind: str) -> list[Column]:
        cols = []
        for c in comps:
            cols += [
                Column(_("%(label)s(比率)") % {"label": c.label}, kind="percent"),
                Column(_("%(label)s(得分)") % {"label": c.label}, kind="decimal"),
            ]
        return cols

    def village_rows():
        for row in sheet["villages"]:
            values = [row["name"]]
            for c in comps:
                values += [row["rates"].get(c.value), row["points"].get(c.value)]
            yield [*values, row["total"]]

    def cadre_rows():
        for row in sheet["cadres"]:
            values = [row["name"], row.get("role_label", ""), row.get("home", "")]
            for c in comps:
                values += [row["rates"].get(c.value), row["points"].get(c.value)]
            # 新时代文明实践 beside the score (not weighted); sheets stored before it have no such entry
            act = row.get("activities") or {}
            yield [
                *values,
                row["total"],
                *(act.get(k) for k in ("hours", "attended", "absent", "trainings_missed")),
            ]

    status = _("已审定") if sheet.get("approved") else _("未审定")
    villages = Sheet(
        _("村(社区)得分"),
        [Column(_("村(社区)"), 14), *comp_columns("village"), Column(_("总分(满分6分)"), kind="decimal")],
        village_rows(),
        caption=f"{town.name} {year}年 {_('四联五到位村(社区)考核')} ({status})",
    )
    cadres = Sheet(
        _("干部绩效"),
        [
            Column(_("姓名"), 10),
            Column(_("身份"), 14),
            Column(_("所在地"), 14),
            *comp_columns("cadre"),
            Column(_("总分(满分100分)"), kind="decimal"),
            Column(_("志愿服务时长"), kind="decimal"),
            Column(_("参加活动"), kind="int"),
            Column(_("报名未到"), kind="int"),
            Column(_("缺席培训"), kind="int"),
        ],
        cadre_rows(),
        caption=f"{town.name} {year}年 {_('联户干部绩效')} ({status})",
    )
    return [villages, cadres]


# --- dispatch orders --------------------------------------------------------------------------------------


def dispatch_sheets(*, user, place: Place, period: ReportPeriod) -> list[Sheet]:
    """Dispatch orders received under the place in the period (none while the dispatch app is absent)."""
    from .selectors import dispatch_recipients_under

    recipients = dispatch_recipients_under(place=place, period=period)
    if recipients is None:
        return []
    statuses = {value: str(label) for value, label in recipients.model._meta.get_field("status").choices}
    fields = (
        "order_id",
        "order__title",
        "order__issued_at",
        "order__due_date",
        "member__name",
        "via__name",
        "status",
        "acknowledged_at",
        "done_at",
        "report",
    )

    def rows() -> Iterator[list]:
        qs = recipients.order_by("order__issued_at", "order_id", "id")
        for oid, title, issued, due, member, via, status, ack, done, report in qs.values_list(
            *fields
        ).iterator(chunk_size=CHUNK):
            yield [
                oid,
                title,
                issued,
                due,
                member,
                via or "",
                statuses.get(status, status),
                ack,
                done,
                report,
            ]

    columns = [
        Column(_("调度令编号"), 6, "int"),
        Column(_("标题"), 24),
        Column(_("下发时间"), kind="datetime"),
        Column(_("完成期限"), kind="date"),
        Column(_("承办人"), 8),
        Column(_("所属村/网格"), 14),
        Column(_("状态"), 8),
        Column(_("签收时间"), kind="datetime"),
        Column(_("办结时间"), kind="datetime"),
        Column(_("办理情况"), 36),
    ]
    return [Sheet(_("调度令"), columns, rows(), caption=caption(place, period, _("调度令台账")))]
