"""Choices for awards (docs/domain.md#awards): round halves and statuses, award kinds, criteria, flags, events."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.enums import MemberRole, VillageSubRole


class Half(models.TextChoices):
    MID_YEAR = "mid", _("年中")
    YEAR_END = "end", _("年终")


class RoundStatus(models.TextChoices):
    """draft → nominating → submitted → approved → published (frozen). submitted may go back to nominating."""

    DRAFT = "draft", _("草稿")
    NOMINATING = "nominating", _("推荐中")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已审批")
    PUBLISHED = "published", _("已公布")


# While these hold, award types, weights and the period may still change (town staff).
EDITABLE_STATUSES = (RoundStatus.DRAFT, RoundStatus.NOMINATING)


class AwardKind(models.TextChoices):
    GRID3 = "grid3", _("三级网格")
    GRID4 = "grid4", _("四级网格")
    GRID_WORKER = "grid_worker", _("网格员")
    LINKED_MEMBER = "linked_member", _("联户党员干部")


GRID_KINDS = frozenset({AwardKind.GRID3, AwardKind.GRID4})
PERSON_KINDS = frozenset({AwardKind.GRID_WORKER, AwardKind.LINKED_MEMBER})


class Criterion(models.TextChoices):
    """What a score is made of. Grid criteria apply to grid awards, person criteria to person awards.

    Rates (already 0–100) count as points directly; counts become points relative to the best candidate of
    the same award type (100 × value / max). score = Σ(weight × points) / Σ weight, rounded to 2 decimals.
    """

    # grids
    COMPLIANCE = "compliance", _("联系达标率")
    ISSUES_SOLVED = "issues_solved", _("网格内办结问题数")
    SATISFACTION = "satisfaction", _("群众满意率")
    FEEDBACK = "feedback", _("群众回访评价数")
    # people
    CONTACTS = "contacts", _("走访次数")
    DUTIES = "duties", _("五到位覆盖项数")
    ISSUES_RAISED = "issues_raised", _("收集上报问题数")
    ISSUES_RESOLVED = "issues_resolved", _("所报问题已办结数")
    DISPATCH_DONE = "dispatch_done", _("完成调度令数")
    VOLUNTEER_HOURS = "volunteer_hours", _("志愿服务时长")


GRID_CRITERIA = (Criterion.COMPLIANCE, Criterion.ISSUES_SOLVED, Criterion.SATISFACTION, Criterion.FEEDBACK)
PERSON_CRITERIA = (
    Criterion.CONTACTS,
    Criterion.DUTIES,
    Criterion.ISSUES_RAISED,
    Criterion.ISSUES_RESOLVED,
    Criterion.DISPATCH_DONE,
    Criterion.VOLUNTEER_HOURS,
)
RATE_CRITERIA = frozenset({Criterion.COMPLIANCE, Criterion.SATISFACTION})
# DUTIES is 0–5: points = 20 × duties covered, never relative to others.
FIXED_SCALE = {Criterion.DUTIES: Decimal(20)}

DEFAULT_WEIGHTS = {
    Criterion.COMPLIANCE: Decimal(40),
    Criterion.ISSUES_SOLVED: Decimal(25),
    Criterion.SATISFACTION: Decimal(25),
    Criterion.FEEDBACK: Decimal(10),
    Criterion.CONTACTS: Decimal(35),
    Criterion.DUTIES: Decimal(25),
    Criterion.ISSUES_RAISED: Decimal(15),
    Criterion.ISSUES_RESOLVED: Decimal(15),
    Criterion.DISPATCH_DONE: Decimal(10),
    # 新时代文明实践 hours (activities app): 0 by default, so rounds made before it keep their scores; the town
    # gives it a weight per round (round page, 权重).
    Criterion.VOLUNTEER_HOURS: Decimal(0),
}


def criteria_for(kind: str) -> tuple[str, ...]:
    return GRID_CRITERIA if kind in GRID_KINDS else PERSON_CRITERIA


class FlagKind(models.TextChoices):
    """Consequences of an award (奖惩兑现). Rules: rewards.services.flags_for."""

    STAR = "star", _("优先推荐“双凫干事创业之星”")
    APPRAISAL = "appraisal", _("年度考核、提拔使用优先考虑")
    RESERVE_CADRE = "reserve_cadre", _("优先推荐村级后备干部")
    REPRESENTATIVE = "representative", _("优先推荐党代表、人大代表、政协委员")
    CIVILISED = "civilised", _("网格内农户优先评选“文明家庭户”")


# In-service cadres (在职干部): appraisal and promotion, and the 双凫干事创业之星 nomination.
IN_SERVICE_ROLES = frozenset(
    {MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE, MemberRole.CITY_LEADER, MemberRole.CITY_DEPT_HEAD}
)
# Village two-committee cadres are cadres too (双凫干事创业之星), but not in-service (no appraisal flag).
VILLAGE_COMMITTEE_SUBROLES = frozenset({VillageSubRole.CADRE})


class EventAction(models.TextChoices):
    CREATE = "create", _("创建评选")
    EDIT = "edit", _("修改设置")
    OPEN = "open", _("开始推荐")
    NOMINATE = "nominate", _("推荐")
    WITHDRAW = "withdraw", _("撤回推荐")
    SUBMIT = "submit", _("提交审批")
    RETURN = "return", _("退回重新推荐")
    APPROVE = "approve", _("审批通过")
    PUBLISH = "publish", _("公布并锁定")
    CORRECTION_OPEN = "correction_open", _("列入整改")
    CORRECTION_CLOSE = "correction_close", _("整改完成")
