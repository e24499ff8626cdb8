from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberRole(models.TextChoices):
    """联户主体 from the work plan (docs/domain.md#links)."""

    CITY_LEADER = "city_leader", _("市领导")
    CITY_DEPT_HEAD = "city_dept_head", _("市直部门单位负责人")
    TOWN_CADRE = "town_cadre", _("镇干部")
    STATIONED_CADRE = "stationed_cadre", _("驻镇单位干部")
    VILLAGE_CADRE = "village_cadre", _("村(社区)干部")
    PARTY_MEMBER = "party_member", _("党员")
    DEPUTY = "deputy", _("党代表/人大代表/政协委员")
    NOTABLE = "notable", _("社会贤达")
    VOLUNTEER = "volunteer", _("优秀志愿者")


class VillageSubRole(models.TextChoices):
    """Who counts as a village cadre (村干部) in the plan."""

    CADRE = "cadre", _("村(社区)两委干部")
    AUX_POLICE = "aux_police", _("村辅警")
    RESERVE = "reserve", _("村级后备干部")
    GROUP_LEADER = "group_leader", _("村民小组长")
    PARTY_GROUP_LEADER = "party_group_leader", _("党小组长")
    REPRESENTATIVE = "representative", _("村民代表")


class ExemptReason(models.TextChoices):
    OLD_INFIRM = "old_infirm", _("年老体弱行动不便")
    WORKING_AWAY = "working_away", _("长期在外务工")


class PositionKind(models.TextChoices):
    """Organisational posts. They decide what a login may see and do (members.access)."""

    LEADER = "leader", _("领导小组组长")
    FIRST_DEPUTY = "first_deputy", _("领导小组第一副组长")
    EXEC_DEPUTY = "exec_deputy", _("领导小组常务副组长")
    DEPUTY_LEADER = "deputy_leader", _("领导小组副组长")
    OFFICE_DIRECTOR = "office_director", _("领导小组办公室主任")
    CENTRE_STAFF = "centre_staff", _("网格化综合服务中心工作人员")
    DISCIPLINE = "discipline", _("镇纪委")
    VILLAGE_OFFICER = "village_officer", _("村(社区)专干")
    GRID_HEAD = "grid_head", _("网格长")
    DEPT_HANDLER = "dept_handler", _("部门经办人")
    # The city tier (docs/architecture.md "The city tier"): read-only over the whole city.
    CITY_LEADER = "city_leader", _("市领导")
    CITY_OFFICE = "city_office", _("市联户办")


# Posts that see and manage the whole town.
TOWN_STAFF_POSITIONS = frozenset(
    {
        PositionKind.LEADER,
        PositionKind.FIRST_DEPUTY,
        PositionKind.EXEC_DEPUTY,
        PositionKind.DEPUTY_LEADER,
        PositionKind.OFFICE_DIRECTOR,
        PositionKind.CENTRE_STAFF,
    }
)
LEADING_GROUP_POSITIONS = frozenset(
    {
        PositionKind.LEADER,
        PositionKind.FIRST_DEPUTY,
        PositionKind.EXEC_DEPUTY,
        PositionKind.DEPUTY_LEADER,
        PositionKind.OFFICE_DIRECTOR,
    }
)


# Posts held at the city that see the whole city, read-only (city dashboard, compliance by town, league table).
CITY_POSITIONS = frozenset({PositionKind.CITY_LEADER, PositionKind.CITY_OFFICE})


class TargetKind(models.TextChoices):
    TOWN = "town", _("镇")
    VILLAGE = "village", _("村(社区)")
    GRID = "grid", _("网格")
    HOUSEHOLD = "household", _("户")
    MIGRANT = "migrant", _("流动党员")


class LinkType(models.TextChoices):
    """四联: who links to what (docs/domain.md#links)."""

    CITY_TOWN = "city_town", _("市领导联镇")
    CITY_VILLAGE = "city_village", _("市领导/市直部门负责人联村")
    CITY_HOUSEHOLD = "city_household", _("市领导/市直部门负责人联户")
    TOWN_GRID = "town_grid", _("镇干部联网格")
    TOWN_HOUSEHOLD = "town_household", _("镇干部联重点户")
    VILLAGE_HOUSEHOLD = "village_household", _("村干部/社会贤达联户")
    PARTY_HOUSEHOLD = "party_household", _("党员/两代表一委员联户")
    MIGRANT = "migrant", _("联系流动党员")


LINK_TARGET = {
    LinkType.CITY_TOWN: TargetKind.TOWN,
    LinkType.CITY_VILLAGE: TargetKind.VILLAGE,
    LinkType.CITY_HOUSEHOLD: TargetKind.HOUSEHOLD,
    LinkType.TOWN_GRID: TargetKind.GRID,
    LinkType.TOWN_HOUSEHOLD: TargetKind.HOUSEHOLD,
    LinkType.VILLAGE_HOUSEHOLD: TargetKind.HOUSEHOLD,
    LinkType.PARTY_HOUSEHOLD: TargetKind.HOUSEHOLD,
    LinkType.MIGRANT: TargetKind.MIGRANT,
}

# How many households one member should hold under each household link type (inclusive range).
HOUSEHOLD_RANGE = {
    LinkType.CITY_HOUSEHOLD: (10, 10),
    LinkType.TOWN_HOUSEHOLD: (10, 10),
    LinkType.VILLAGE_HOUSEHOLD: (2, 3),
    LinkType.PARTY_HOUSEHOLD: (10, 15),
}

# Which roles may hold which link types.
ROLE_LINK_TYPES = {
    MemberRole.CITY_LEADER: {LinkType.CITY_TOWN, LinkType.CITY_VILLAGE, LinkType.CITY_HOUSEHOLD},
    MemberRole.CITY_DEPT_HEAD: {LinkType.CITY_VILLAGE, LinkType.CITY_HOUSEHOLD},
    MemberRole.TOWN_CADRE: {LinkType.TOWN_GRID, LinkType.TOWN_HOUSEHOLD},
    MemberRole.STATIONED_CADRE: {LinkType.TOWN_GRID, LinkType.TOWN_HOUSEHOLD},
    MemberRole.VILLAGE_CADRE: {LinkType.VILLAGE_HOUSEHOLD, LinkType.MIGRANT},
    MemberRole.NOTABLE: {LinkType.VILLAGE_HOUSEHOLD},
    MemberRole.PARTY_MEMBER: {LinkType.PARTY_HOUSEHOLD},
    MemberRole.DEPUTY: {LinkType.PARTY_HOUSEHOLD},
    MemberRole.VOLUNTEER: {LinkType.PARTY_HOUSEHOLD},
}


class AccessAction(models.TextChoices):
    """What the access log (members.AccessLog) records."""

    REVEAL = "reveal", _("查看完整号码")
    EXPORT = "export", _("导出含完整号码的台账")
    EXPORT_DOWNLOAD = "export_download", _("下载含完整号码的台账")
    CENSUS_IMPORT = "census_import", _("导入摸底数据")
    LINK_CHANGE = "link_change", _("变更联系")
    POST_CHANGE = "post_change", _("变更职务")
